"""Driver elasticities: estimated from history, supplied, and applied to scenarios."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skillcast.elasticities import DriverElasticities
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


def test_estimates_recover_the_elasticities_and_flag_a_smooth_driver(panel) -> None:
    fitted = DriverElasticities().fit(panel)
    table = fitted.table_.set_index(["sector", "driver"])
    for sector, beta in TRUE.items():
        row = table.loc[(sector, "driver")]
        assert row["elasticity"] == pytest.approx(beta, abs=0.06)
        assert row["status"] == "estimated"
        assert row["std_error"] < 0.1
        assert row["n_obs"] == N_PERIODS - 2
        plan = table.loc[(sector, "plan")]
        assert plan["status"] == "driver too smooth"
        assert plan["elasticity"] == 0.0 and np.isnan(plan["std_error"])


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
        for bound in ("lower_80", "upper_95"):
            np.testing.assert_allclose(part[bound] / base[bound], ratio, rtol=1e-9)


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


def test_short_groups_get_zero_and_say_why(panel) -> None:
    frame = make_frame()
    late = (frame["sector"] == "S1") & (frame["period"] < "2024")
    fitted = DriverElasticities(min_obs=6).fit(load_panel(frame.loc[~late], SPEC))
    row = fitted.table_.set_index(["sector", "driver"]).loc[("S1", "driver")]
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
    both = DriverElasticities(ridge=0.0).fit(load_panel(frame, spec)).table_
    one_spec = PanelSpec(keys=SPEC.keys, known_exog=("driver",), taxonomies={})
    one = DriverElasticities(ridge=0.0).fit(load_panel(frame.drop(columns="driver2"), one_spec))
    summed = both.groupby("sector")["elasticity"].sum()
    np.testing.assert_allclose(summed, one.table_.set_index("sector")["elasticity"], atol=1e-8)
    assert np.isfinite(both["elasticity"]).all()
