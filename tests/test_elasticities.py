"""Driver elasticities: estimated from history, supplied, and applied to scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skillcast.elasticities import DriverElasticities, widened
from skillcast.elasticity_groups import random_effects
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.models import SeasonalNaive
from skillcast.panel import PanelSpec, load_panel
from skillcast.scenarios import make_scenario_paths

N_PERIODS = 24
TRUE = {"S0": 0.8, "S1": 0.0, "S2": -0.4}  # elasticity to the varying driver, by sector
SPEC = PanelSpec(
    keys=("sector", "occupation", "level"),
    known_exog=("driver", "plan"),
    taxonomies={},
)
GROWTH = {
    "baseline": {"driver": 0.05, "plan": 0.07},
    "high": {"driver": 0.15, "plan": 0.07},
    "low": {"driver": -0.05, "plan": 0.07},
}


def make_frame(seed: int = 0) -> pd.DataFrame:
    """Three sectors x 4 occupations, semi-annual; employment = own trend x seasonal x
    driver ** elasticity x noise. ``driver`` grows irregularly (so its effect can be told
    from trend); ``plan`` grows exactly 7% a year (it cannot)."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_PERIODS)
    driver = 100 * np.exp(np.cumsum(rng.normal(0.03, 0.08, N_PERIODS)))
    plan = 50 * 1.07 ** (t / 2)
    rows = []
    for s, (sector, beta) in enumerate(TRUE.items()):
        trend = np.exp((0.01 + 0.01 * s) * t)
        for o in range(4):
            size = rng.uniform(100, 1000)
            y = size * trend * (driver / 100) ** beta * np.where(t % 2, 0.95, 1.05)
            y *= np.exp(rng.normal(0, 0.005, N_PERIODS))
            rows.append(
                pd.DataFrame(
                    {
                        "sector": sector,
                        "occupation": f"O{o}",
                        "level": "L1",
                        "period": pd.period_range("2014-01", periods=N_PERIODS, freq="6M").astype(
                            str
                        ),
                        "employment": y,
                        "driver": driver,
                        "plan": plan,
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def panel():
    return load_panel(make_frame(), SPEC)


def test_estimates_recover_the_elasticities_and_read_a_smooth_driver_from_the_trend(
    panel,
) -> None:
    """The varying driver's slopes are estimated; the plan (7% every year) cannot be told
    from each sector's own trend, so it gets trend growth / plan growth, with a std error
    allowing an own trend of +-trend_sd a year."""
    fitted = DriverElasticities().fit(panel)
    table = fitted.table_.set_index(["sector", "driver"])
    plan_growth = np.log(1.07)
    for s, (sector, beta) in enumerate(TRUE.items()):
        row = table.loc[(sector, "driver")]
        assert row["elasticity"] == pytest.approx(beta, abs=0.06)
        assert row["status"] == "estimated"
        assert row["std_error"] < 0.1
        assert row["n_obs"] == N_PERIODS - 2
        plan = table.loc[(sector, "plan")]
        assert plan["status"] == "trend reading"
        own_trend = 2 * (0.01 + 0.01 * s)  # log growth a year of make_frame's trend
        assert plan["elasticity"] == pytest.approx(own_trend / plan_growth, abs=0.05)
        assert plan["std_error"] == pytest.approx(0.02 / plan_growth, rel=0.1)


def test_without_intercept_trend_growth_is_put_on_the_drivers(panel) -> None:
    """Employment-elasticity reading: with only the smooth plan (7% a year) as driver, a
    sector growing 2% a half-year (4.04% a year) gets log(1.0404) / log(1.07)."""
    frame = make_frame().drop(columns="driver")
    spec = PanelSpec(keys=SPEC.keys, known_exog=("plan",), taxonomies={})
    smooth_only = load_panel(frame.loc[frame["sector"] == "S1"], spec)
    fitted = DriverElasticities(intercept=False, ridge=0.0).fit(smooth_only)
    (beta,) = fitted.table_["elasticity"]
    assert beta == pytest.approx(np.log(np.exp(0.02 * 2)) / np.log(1.07), rel=0.02)


def test_high_scenario_moves_each_sector_in_its_learned_direction(panel) -> None:
    fitted = DriverElasticities().fit(panel)
    forecast = SeasonalNaive().fit(panel).predict(4)
    paths = make_scenario_paths(panel, 4, GROWTH, seasonal=())
    named = {name: paths.exog(name) for name in paths.names}
    out = fitted.scenario_forecasts(forecast, panel, named, reference=named["baseline"])
    assert list(out["scenario"].unique()) == ["baseline", "high", "low"]
    base = out.loc[out["scenario"] == "baseline"].reset_index(drop=True)
    pd.testing.assert_frame_equal(base.drop(columns="scenario"), forecast.frame)
    for name, sign in (("high", 1), ("low", -1)):
        part = out.loc[out["scenario"] == name].reset_index(drop=True)
        ratio = part["mean"] / base["mean"]
        beta = part["sector"].map(fitted.table_.query("driver == 'driver'").set_index("sector")
                                  ["elasticity"])  # fmt: skip
        # exact: path ratio at step k is ((1+g_s)/(1+g_base)) ** (k / 2)
        g = GROWTH[name]["driver"]
        expected = np.exp(beta * np.log((1 + g) / 1.05) * part["step"] / 2)
        np.testing.assert_allclose(ratio, expected, rtol=1e-9)
        by_sector = np.sign(np.log(ratio)).groupby(part["sector"]).mean()
        assert by_sector["S0"] == sign and by_sector["S2"] == -sign
        # bounds move with the mean and widen with the elasticity's std error
        assert (part["upper_95"] >= base["upper_95"] * ratio * (1 - 1e-12)).all()
        assert (part["lower_80"] <= base["lower_80"] * ratio * (1 + 1e-12)).all()
        last = (part["step"] == 4) & (part["sector"] == "S0")
        assert (part.loc[last, "upper_95"] > base.loc[last, "upper_95"] * ratio[last]).all()


def test_supplied_table_replaces_the_estimate(panel, tmp_path) -> None:
    table = pd.DataFrame(
        {"sector": ["S0", "S2"], "driver": ["plan", "driver"], "elasticity": [0.85, 0.3]}
    )
    path = tmp_path / "elasticities.csv"
    table.to_csv(path, index=False)
    for source in (table, path):
        fitted = DriverElasticities(table=source).fit(panel)
        got = fitted.table_.set_index(["sector", "driver"])
        assert got.loc[("S0", "plan"), "elasticity"] == 0.85
        assert got.loc[("S0", "plan"), "status"] == "supplied"
        assert got.loc[("S1", "driver"), "elasticity"] == 0.0
        assert got.loc[("S1", "driver"), "status"] == "not supplied"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"sector": ["S0"], "driver": ["plan"]}), "lacks column"),
        (pd.DataFrame({"sector": ["S0"], "driver": ["plan"], "elasticity": ["x"]}), "finite"),
        (pd.DataFrame({"sector": ["S0"], "driver": ["gdp"], "elasticity": [1.0]}), "known driver"),
        (
            pd.DataFrame({"sector": ["S0", "S0"], "driver": ["plan"] * 2, "elasticity": [1, 2]}),
            "repeat",
        ),
    ],
)
def test_bad_supplied_tables_are_named(panel, table, message) -> None:
    with pytest.raises(SkillcastDataError, match=message):
        DriverElasticities(table=table).fit(panel)


def test_bad_settings_and_panels_are_refused(panel) -> None:
    with pytest.raises(SkillcastConfigError, match="group by"):
        DriverElasticities(by="region").fit(panel)
    with pytest.raises(SkillcastConfigError, match="min_obs"):
        DriverElasticities(min_obs=1).fit(panel)
    no_drivers = load_panel(
        make_frame().drop(columns=["driver", "plan"]), PanelSpec(keys=SPEC.keys, taxonomies={})
    )
    with pytest.raises(SkillcastConfigError, match="no known-in-advance drivers"):
        DriverElasticities().fit(no_drivers)
    short = load_panel(make_frame().groupby("sector").head(2), SPEC)
    with pytest.raises(SkillcastDataError, match="year-on-year"):
        DriverElasticities().fit(short)


def test_short_groups_borrow_their_pools_estimate_and_say_why(panel) -> None:
    """S1 has too few periods: it takes the random-effects mean of its pool (S0 at 0.8,
    S2 at -0.4, both precise, so about their plain mean), with a std error as wide as
    the two disagree; without pooling it gets 0."""
    frame = make_frame()
    late = (frame["sector"] == "S1") & (frame["period"] < "2024")
    short = load_panel(frame.loc[~late], SPEC)
    table = DriverElasticities(min_obs=6).fit(short).table_.set_index(["sector", "driver"])
    row = table.loc[("S1", "driver")]
    assert row["status"] == "too few periods" and row["shrinkage"] == 1.0
    others = table.loc[[("S0", "driver"), ("S2", "driver")], "elasticity"]
    assert row["elasticity"] == pytest.approx(others.mean(), abs=0.01)
    assert row["std_error"] > 0.6  # the two differ by 1.2
    alone = DriverElasticities(min_obs=6, pool=None).fit(short).table_
    row = alone.set_index(["sector", "driver"]).loc[("S1", "driver")]
    assert row["status"] == "too few periods" and row["elasticity"] == 0.0


def test_non_positive_paths_are_refused(panel) -> None:
    fitted = DriverElasticities().fit(panel)
    paths = make_scenario_paths(panel, 2, GROWTH)
    bad = paths.exog("high").assign(driver=0.0)
    with pytest.raises(SkillcastDataError, match="positive"):
        fitted.factors(panel, paths.exog("baseline"), bad, 2)


def test_table_rows_for_groups_the_panel_lacks_are_set_aside(panel) -> None:
    table = pd.DataFrame(
        {"sector": ["S0", "S9"], "driver": ["driver", "driver"], "elasticity": [0.5, 1.0]}
    )
    fitted = DriverElasticities(table=table).fit(panel)
    assert fitted.unmatched_.to_dict("records") == [
        {"sector": "S9", "driver": "driver", "elasticity": 1.0}
    ]
    got = fitted.table_.set_index(["sector", "driver"])["elasticity"]
    assert got[("S0", "driver")] == 0.5 and got[("S1", "driver")] == 0.0


def test_missing_path_values_and_misaligned_forecasts_are_refused(panel) -> None:
    fitted = DriverElasticities().fit(panel)
    paths = make_scenario_paths(panel, 2, GROWTH, seasonal=())
    holed = paths.exog("high")
    holed.loc[1, "driver"] = np.nan
    with pytest.raises(SkillcastDataError, match="missing, not a number or <= 0"):
        fitted.factors(panel, paths.exog("baseline"), holed, 2)
    early = SeasonalNaive().fit(panel.until(panel.periods[-3])).predict(2)
    named = {"high": paths.exog("high")}
    with pytest.raises(SkillcastDataError, match="forecaster.panel_"):
        fitted.scenario_forecasts(early, panel, named, paths.exog("baseline"))


def test_collinear_drivers_without_ridge_share_their_effect(panel) -> None:
    """driver2 = 2 x driver: with ridge=0 the system is singular; the minimum-norm
    solution splits the effect, and the total response equals the one-driver fit."""
    frame = make_frame().assign(driver2=lambda f: 2 * f["driver"]).drop(columns="plan")
    spec = PanelSpec(keys=SPEC.keys, known_exog=("driver", "driver2"), taxonomies={})
    both = DriverElasticities(ridge=0.0, pool=None).fit(load_panel(frame, spec)).table_
    one_spec = PanelSpec(keys=SPEC.keys, known_exog=("driver",), taxonomies={})
    one = DriverElasticities(ridge=0.0, pool=None).fit(
        load_panel(frame.drop(columns="driver2"), one_spec)
    )
    summed = both.groupby("sector")["elasticity"].sum()
    np.testing.assert_allclose(summed, one.table_.set_index("sector")["elasticity"], atol=1e-8)
    assert np.isfinite(both["elasticity"]).all()


# ------------------------------------------- a panel with a known elasticity, by cluster
EXPOSED = ("H49", "H50", "H52", "H53")  # logistics cluster: employment ~ driver ** 0.8
UNEXPOSED = ("C10", "C26", "C27", "K64")  # manufacturing, finance: own trend only
KNOWN = 0.8
KNOWN_SPEC = PanelSpec(keys=SPEC.keys, known_exog=("driver",), taxonomies={})
KNOWN_GROWTH = {"baseline": {"driver": 0.05}, "high": {"driver": 0.15}}


def make_known(smooth: bool, seed: int = 1) -> pd.DataFrame:
    """Eight sectors x 5 occupations, semi-annual, 24 periods. Exposed sectors follow the
    driver with elasticity 0.8 and no own trend; the others grow 3% a year on their own.
    The driver either wanders (log growth N(3%, 6%) a half-year) or follows a plan of
    exactly 7% a year. Noise: a sector shock (1%) and a series shock (2%) per period."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_PERIODS)
    if smooth:
        driver = 50 * 1.07 ** (t / 2)
    else:
        driver = 100 * np.exp(np.cumsum(rng.normal(0.03, 0.06, N_PERIODS)))
    periods = pd.period_range("2014-01", periods=N_PERIODS, freq="6M").astype(str)
    rows = []
    for sector in (*EXPOSED, *UNEXPOSED):
        exposed = sector in EXPOSED
        level = (driver / driver[0]) ** KNOWN if exposed else 1.03 ** (t / 2)
        shock = rng.normal(0, 0.01, N_PERIODS)
        for o in range(5):
            y = rng.uniform(200, 2000) * level * np.exp(shock + rng.normal(0, 0.02, N_PERIODS))
            rows.append(pd.DataFrame({
                "sector": sector, "occupation": f"O{o}", "level": "L2", "period": periods,
                "employment": y, "driver": driver,
            }))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def moves(fitted: DriverElasticities, panel) -> pd.Series:
    """Log change of each sector's total forecast, high vs baseline, at the last step."""
    forecast = SeasonalNaive().fit(panel).predict(4)
    paths = make_scenario_paths(panel, 4, KNOWN_GROWTH, seasonal=())
    named = {name: paths.exog(name) for name in paths.names}
    out = fitted.scenario_forecasts(forecast, panel, named, named["baseline"])
    base = out.loc[out["scenario"] == "baseline"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(base, forecast.frame)  # the reference is the forecast
    last = out.loc[out["step"] == 4].groupby(["scenario", "sector"])["mean"].sum()
    return np.log(last["high"] / last["baseline"])


def test_a_known_elasticity_is_recovered_within_its_interval() -> None:
    panel = load_panel(make_known(smooth=False), KNOWN_SPEC)
    fitted = DriverElasticities().fit(panel)
    table = fitted.table_.set_index("sector")
    assert set(table["status"]) == {"estimated"}
    assert set(table.loc[list(EXPOSED), "pool"]) == {"logistics"}
    for sector in EXPOSED:
        row = table.loc[sector]
        assert abs(row["elasticity"] - KNOWN) <= 1.96 * row["std_error"], sector
        assert row["std_error"] < 0.15  # informative, not just wide
    for sector in UNEXPOSED:
        row = table.loc[sector]
        assert abs(row["elasticity"]) <= 1.96 * row["std_error"], sector
    # high: the driver grows 15% instead of 5% a year, for two years
    move = moves(fitted, panel)
    expected = KNOWN * 2 * np.log(1.15 / 1.05)
    for sector in EXPOSED:
        assert move[sector] == pytest.approx(expected, rel=0.25)
    assert move[list(UNEXPOSED)].abs().max() < 0.2 * expected


def test_a_smooth_driver_gets_a_trend_reading_with_an_honest_interval() -> None:
    """The driver grows exactly 7% a year: its slope cannot be separated from a trend.
    With the exposed cluster named, the exposed sectors' trend reading recovers 0.8
    within its (wide) interval and the others stay untouched; without it, every growing
    sector gets a trend reading (flagged, wide) -- the reason to name the exposure."""
    panel = load_panel(make_known(smooth=True), KNOWN_SPEC)
    fitted = DriverElasticities(exposure={"driver": ["logistics"]}).fit(panel)
    table = fitted.table_.set_index("sector")
    for sector in EXPOSED:
        row = table.loc[sector]
        assert row["status"] == "trend reading"
        assert abs(row["elasticity"] - KNOWN) <= 1.96 * row["std_error"], sector
        assert row["std_error"] >= 0.02 / np.log(1.07)  # the own-trend allowance
    assert (table.loc[list(UNEXPOSED), "status"] == "not exposed").all()
    assert (table.loc[list(UNEXPOSED), ["elasticity", "std_error"]] == 0).all().all()
    move = moves(fitted, panel)
    expected = KNOWN * 2 * np.log(1.15 / 1.05)
    for sector in EXPOSED:
        assert move[sector] == pytest.approx(expected, rel=0.25)
    assert (move[list(UNEXPOSED)] == 0).all()
    everyone = DriverElasticities().fit(panel).table_.set_index("sector")
    growing = everyone.loc[list(UNEXPOSED)]
    assert (growing["status"] == "trend reading").all()
    np.testing.assert_allclose(growing["elasticity"], np.log(1.03) / np.log(1.07), atol=0.1)


def test_random_effects_follow_dersimonian_laird() -> None:
    """Pool 0: three estimates, worked by hand; pool 1: one estimate, no tau2."""
    b = np.array([0.5, 1.0, 0.8, 0.3])
    v = np.array([0.01, 0.04, 0.02, 0.05])
    mean, var_mean, tau2, count = random_effects(b, v, np.array([0, 0, 0, 1]), 2)
    w = [100.0, 25.0, 50.0]
    fixed = (100 * 0.5 + 25 * 1.0 + 50 * 0.8) / 175  # 0.657142...
    q = sum(wi * (bi - fixed) ** 2 for wi, bi in zip(w, b[:3], strict=True))
    c = 175 - (100**2 + 25**2 + 50**2) / 175
    t2 = max((q - 2) / c, 0.0)
    ws = [1 / (vi + t2) for vi in v[:3]]
    assert tau2[0] == pytest.approx(t2) and t2 > 0
    assert mean[0] == pytest.approx(
        sum(wi * bi for wi, bi in zip(ws, b[:3], strict=True)) / sum(ws)
    )
    assert var_mean[0] == pytest.approx(1 / sum(ws))
    assert (mean[1], var_mean[1], tau2[1]) == pytest.approx((0.3, 0.05, 0.0))
    assert list(count) == [3, 1]


def test_scenario_bounds_add_the_elasticity_uncertainty_in_quadrature() -> None:
    mean, upper, lower = np.array([100.0]), np.array([120.0]), np.array([90.0])
    L, sd = np.array([0.1]), np.array([0.05])
    z = 1.2815515655446004  # 80% two-sided
    got = widened(upper, mean, L, sd, "upper_80")
    assert got[0] == pytest.approx(100 * np.exp(0.1 + np.hypot(np.log(1.2), z * 0.05)))
    got = widened(lower, mean, L, sd, "lower_80")
    assert got[0] == pytest.approx(100 * np.exp(0.1 - np.hypot(np.log(100 / 90), z * 0.05)))
    assert widened(np.array([0.0]), mean, L, sd, "lower_95")[0] == 0.0
    # no uncertainty (the reference scenario): the bound is only scaled
    assert widened(upper, mean, L, np.array([0.0]), "upper_95")[0] == 120.0 * np.exp(0.1)


def test_supplied_std_errors_widen_the_scenario_intervals(panel) -> None:
    table = pd.DataFrame(
        {"sector": ["S0"], "driver": ["driver"], "elasticity": [0.5], "std_error": [0.2]}
    )
    fitted = DriverElasticities(table=table).fit(panel)
    got = fitted.table_.set_index(["sector", "driver"])
    assert got.loc[("S0", "driver"), "std_error"] == 0.2
    assert got.loc[("S1", "driver"), "std_error"] == 0.0
    forecast = SeasonalNaive().fit(panel).predict(2)
    paths = make_scenario_paths(panel, 2, GROWTH, seasonal=())
    named = {"high": paths.exog("high")}
    out = fitted.scenario_forecasts(forecast, panel, named, paths.exog("baseline"))
    ratio = (out["upper_95"] / out["mean"]) / (forecast.frame["upper_95"] / forecast.frame["mean"])
    assert (ratio[out["sector"] == "S0"] > 1).all()
    np.testing.assert_allclose(ratio[out["sector"] != "S0"], 1.0, rtol=1e-12)
    bad = table.assign(std_error=[-1.0])
    with pytest.raises(SkillcastDataError, match="std_error"):
        DriverElasticities(table=bad).fit(panel)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"exposure": {"gdp": ["logistics"]}}, "driver"),
        ({"exposure": {"driver": ["harbour"]}}, "neither priority clusters"),
        ({"exposure": {"driver": ["logistics"]}, "by": "occupation"}, "group by the sector"),
        ({"pool": "region"}, "pool="),
        ({"trend_sd": -0.1}, "trend_sd"),
    ],
)
def test_bad_exposure_and_pooling_settings_are_refused(kwargs, message) -> None:
    panel = load_panel(make_known(smooth=False), KNOWN_SPEC)
    with pytest.raises(SkillcastConfigError, match=message):
        DriverElasticities(**kwargs).fit(panel)
