"""Driver scenarios: paths of known drivers, and forecasts that follow what the model learned."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.features import ExogenousFeatures, FeaturePipeline
from skillcast.models.global_model import GlobalModel
from skillcast.panel import PanelSpec, load_panel
from skillcast.scenarios import (
    forecast_scenarios,
    make_scenario_paths,
    scenario_totals,
    season_effect,
)

N_SERIES, N_PERIODS = 40, 24
LAST_DRIVER = 90.0
SPEC = PanelSpec(
    keys=("sector", "occupation", "level"),
    known_exog=("driver", "seasonal_driver"),
    observed_exog=("observed", "driver_history"),
    taxonomies={},
)
GROWTH = {
    "low": {"driver": -0.10, "seasonal_driver": 0.0},
    "baseline": {"driver": 0.10, "seasonal_driver": 0.0},
    "high": {"driver": 0.30, "seasonal_driver": 0.0},
}


def make_frame(seed: int = 0) -> pd.DataFrame:
    """Employment = size * (driver / 100) ** 1.5 * small noise; the driver is city-wide and
    wanders between 70 and 140 without trend, so forecasts under every scenario path stay
    inside the range the model was trained on."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range(end="2025-07", periods=N_PERIODS, freq="6M")
    driver = rng.uniform(70.0, 140.0, N_PERIODS)
    driver[-1] = LAST_DRIVER
    # 20% above trend in H1, 20% below in H2, growing 4% a year
    seasonal = (
        50.0 * 1.04 ** (np.arange(N_PERIODS) / 2) * np.where(np.arange(N_PERIODS) % 2, 0.8, 1.2)
    )
    size = rng.uniform(50.0, 2000.0, N_SERIES)
    y = size[:, None] * (driver / 100.0)[None, :] ** 1.5
    y *= np.exp(rng.normal(0.0, 0.02, (N_SERIES, N_PERIODS)))
    return pd.DataFrame(
        {
            "sector": np.repeat([f"S{i % 4}" for i in range(N_SERIES)], N_PERIODS),
            "occupation": np.repeat([f"O{i:02d}" for i in range(N_SERIES)], N_PERIODS),
            "level": "L1",
            "period": np.tile(periods.astype(str), N_SERIES),
            "employment": np.round(y.ravel(), 1),
            "driver": np.tile(driver, N_SERIES),
            "seasonal_driver": np.tile(seasonal, N_SERIES),
            "observed": np.tile(rng.normal(size=N_PERIODS), N_SERIES),
            # the driver's own history, read at the origin: the target is growth from the
            # origin's level, so the model needs the driver there as well as at the target
            "driver_history": np.tile(driver, N_SERIES),
        }
    )


@pytest.fixture(scope="module")
def panel():
    return load_panel(make_frame(), SPEC)


@pytest.fixture(scope="module")
def model(panel):
    # A linear regressor on the log growth from the origin: a tree ensemble sees a
    # city-wide driver at only as many distinct values as the panel has periods and
    # cannot extrapolate, so it cannot rank nearby scenarios reliably (see the
    # cold-start / scenario experiment).
    return GlobalModel(
        estimator=LinearRegression(),
        features=FeaturePipeline([ExogenousFeatures()]),
        strategy="direct",
        scale_window=1,
        max_horizon=3,
        drop_features=("exog_known_seasonal_driver", "exog_obs_observed_lag_1"),
        n_jobs=2,
    ).fit(panel)


def test_paths_compound_from_last_value_and_carry_the_season(panel):
    growth = {"baseline": GROWTH["baseline"], "up": {"driver": 0.21, "seasonal_driver": 0.5}}
    # the random driver's last years look seasonal by chance: name the seasonal one
    paths = make_scenario_paths(panel, 3, growth, seasonal=["seasonal_driver"])
    assert paths.seasonal == ("seasonal_driver",)
    frame = paths.frame
    # city-wide drivers: no key columns, one row per scenario and period
    assert list(frame.columns) == ["scenario", "period", "driver", "seasonal_driver"]
    assert list(frame["period"].astype(str)) == ["2026-01", "2026-07", "2027-01"] * 2
    up = paths.exog("up")
    # smooth: 90 * 1.21 ** (k / 2) = 90 * 1.1 ** k
    np.testing.assert_allclose(up["driver"], [99.0, 108.9, 119.79])
    # seasonal: last year's H1 / H2 value, times 1.5 per year ahead
    y = panel.dense("seasonal_driver")[0]
    np.testing.assert_allclose(up["seasonal_driver"], [y[-2] * 1.5, y[-1] * 1.5, y[-2] * 2.25])
    np.testing.assert_allclose(paths.exog("baseline")["seasonal_driver"], [y[-2], y[-1], y[-2]])


def test_season_effect_separates_trend_from_season():
    t = np.arange(12)
    smooth = 95.0 * 1.07 ** (t / 2)  # steady growth alone is not a season
    assert season_effect(smooth, 2) == pytest.approx(0.0, abs=1e-12)
    seasonal = smooth * np.where(t % 2, np.exp(-0.1), np.exp(0.1))
    assert season_effect(seasonal, 2) == pytest.approx(0.1)
    assert season_effect(seasonal, 1) == 0.0


def test_per_series_driver_keeps_key_columns():
    frame = make_frame()
    frame["driver"] *= np.where(frame["sector"] == "S0", 2.0, 1.0)
    panel = load_panel(frame, SPEC)
    paths = make_scenario_paths(panel, 2, {"base": GROWTH["baseline"]}, seasonal=())
    assert list(paths.frame.columns[:5]) == ["scenario", "sector", "occupation", "level", "period"]
    assert len(paths.frame) == N_SERIES * 2
    s0 = paths.frame["sector"] == "S0"
    np.testing.assert_allclose(paths.frame.loc[s0, "driver"].iloc[0], 2 * LAST_DRIVER * 1.1**0.5)
    np.testing.assert_allclose(paths.frame.loc[~s0, "driver"].iloc[0], LAST_DRIVER * 1.1**0.5)


def test_high_driver_scenario_raises_the_forecast(model, panel):
    paths = make_scenario_paths(panel, 3, GROWTH, seasonal=())  # the random driver: smooth
    out = forecast_scenarios(model, 3, paths)
    plain = model.predict(3, exog=paths.exog("low"))
    assert list(out.columns) == ["scenario", *plain.frame.columns]
    assert list(dict.fromkeys(out["scenario"])) == ["low", "baseline", "high"]
    assert (out.groupby("scenario", sort=False).size() == N_SERIES * 3).all()
    low = out[out["scenario"] == "low"].drop(columns="scenario").reset_index(drop=True)
    pd.testing.assert_frame_equal(low, plain.frame)
    # mean over series, at every step: high > baseline > low
    mean = out.groupby(["scenario", "step"])["mean"].mean().unstack("scenario")
    assert (mean["high"] > mean["baseline"]).all()
    assert (mean["baseline"] > mean["low"]).all()
    # elasticity 1.5: at step 1 the drivers are 90 * (0.9, 1.1, 1.3) ** 0.5, so
    # high / low = (1.3 / 0.9) ** 0.75 = 1.318 (the model is linear in the driver level)
    ratio = mean.loc[1, "high"] / mean.loc[1, "low"]
    assert ratio == pytest.approx((1.3 / 0.9) ** 0.75, rel=0.06)
    totals = scenario_totals(out)
    assert list(totals.columns) == ["low", "baseline", "high"]
    np.testing.assert_allclose(totals["high"].to_numpy(), mean["high"].to_numpy() * N_SERIES)


def test_frames_and_scenario_paths_are_accepted(model, panel):
    paths = make_scenario_paths(panel, 2, GROWTH)
    from_paths = forecast_scenarios(model, 2, paths)
    from_frame = forecast_scenarios(model, 2, paths.frame)
    from_dict = forecast_scenarios(model, 2, {n: paths.exog(n) for n in paths.names})
    pd.testing.assert_frame_equal(from_paths, from_frame)
    pd.testing.assert_frame_equal(from_paths, from_dict)
    # the config shape builds the same paths (seasonality detected the same way)
    pd.testing.assert_frame_equal(from_paths, forecast_scenarios(model, 2, GROWTH))


@pytest.mark.parametrize(
    ("growth", "match"),
    [
        ({"x": {"driver": 0.1, "seasonal_driver": 0.0, "ports": 0.1}}, "unknown driver.*ports"),
        ({"x": {"driver": 0.1}}, "no growth rate for driver.*seasonal_driver"),
        ({"x": {"driver": 0.1, "seasonal_driver": 0.0, "observed": 0.1}}, "observed-only"),
        ({"x": {"driver": -1.0, "seasonal_driver": 0.0}}, "above -1"),
        ({"x": {"driver": "7%", "seasonal_driver": 0.0}}, "finite number"),
        ({"x": 0.07}, "mapping driver"),
        ({}, "non-empty"),
    ],
)
def test_bad_growth_config_is_refused(model, growth, match):
    with pytest.raises(SkillcastConfigError, match=match):
        forecast_scenarios(model, 2, growth)


def test_bad_path_frame_is_refused(model, panel):
    path = make_scenario_paths(panel, 3, {"b": GROWTH["baseline"]}).exog("b")
    with pytest.raises(SkillcastDataError, match=r"'gap'.*1 forecast period.*2026-H2"):
        forecast_scenarios(model, 3, {"gap": path.drop(index=1)})
    with pytest.raises(SkillcastDataError, match=r"'extra'.*\['ports'\]"):
        forecast_scenarios(model, 3, {"extra": path.assign(ports=1.0)})
    with pytest.raises(SkillcastDataError, match=r"lacks column.*seasonal_driver"):
        forecast_scenarios(model, 3, {"short": path.drop(columns="seasonal_driver")})
    with pytest.raises(SkillcastDataError, match=r"missing or non-numeric"):
        forecast_scenarios(model, 3, {"nan": path.assign(driver=[1.0, np.nan, 2.0])})
    with pytest.raises(SkillcastConfigError, match="horizon"):
        forecast_scenarios(model, 0, GROWTH)
    with pytest.raises(SkillcastConfigError, match="fitted"):
        forecast_scenarios(GlobalModel(), 2, GROWTH)


# ------------------------------------------------------------------ relative to a plan
def make_plan(horizon: int = 4) -> pd.DataFrame:
    periods = pd.period_range("2026-01", periods=horizon, freq="6M").astype(str)
    return pd.DataFrame({
        "period": periods, "driver": 80.0 + 5 * np.arange(horizon),
        "seasonal_driver": np.resize([70.0, 40.0], horizon),
    })  # fmt: skip


def test_with_a_plan_the_reference_path_is_the_plan(panel):
    """Scenarios scale the plan by ((1 + g_s) / (1 + g_reference)) ** (k / m) (smooth) or
    ** ceil(k / m) (seasonal); the reference's path is the plan itself, bit for bit."""
    plan = make_plan()
    paths = make_scenario_paths(
        panel, 4, GROWTH, seasonal=["seasonal_driver"], plan=plan, reference="baseline"
    )
    assert paths.reference == "baseline"
    base = paths.exog("baseline")
    np.testing.assert_array_equal(base["driver"].to_numpy(), plan["driver"].to_numpy())
    np.testing.assert_array_equal(base["seasonal_driver"], plan["seasonal_driver"])
    high = paths.exog("high")
    k = np.arange(1, 5)
    np.testing.assert_allclose(high["driver"], plan["driver"] * (1.3 / 1.1) ** (k / 2))
    low = paths.exog("low")
    np.testing.assert_allclose(low["driver"], plan["driver"] * (0.9 / 1.1) ** (k / 2))
    np.testing.assert_allclose(low["seasonal_driver"], plan["seasonal_driver"])  # same rate


def test_a_plan_short_of_the_horizon_or_without_a_reference_is_refused(panel):
    with pytest.raises(SkillcastDataError, match="2027-H2"):
        make_scenario_paths(panel, 4, GROWTH, plan=make_plan(3), reference="baseline")
    with pytest.raises(SkillcastConfigError, match="reference"):
        make_scenario_paths(panel, 4, GROWTH, plan=make_plan(), reference="central")
    negative = make_plan().assign(driver=-1.0)
    with pytest.raises(SkillcastDataError, match="<= 0"):
        make_scenario_paths(panel, 4, GROWTH, plan=negative, reference="baseline")


def test_app_glue_baseline_is_forecast_csv_and_high_moves_the_port_sectors():
    """The forecast app's tables on the sample with its plan (scenarios=sample): the
    baseline rows of forecast_scenarios.csv are forecast.csv; under high the port
    sectors (H5x) rise, manufacturing (C2x) does not; intervals widen where it moves."""
    from hydra import compose, initialize_config_dir

    from skillcast.apps import schema
    from skillcast.apps.data import load_data, load_future_exog
    from skillcast.apps.forecast import forecast_tables
    from skillcast.models import SeasonalNaive

    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        cfg = compose(
            "forecast", ["data=sample", "scenarios=sample", "output.horizon=4", "demand=off"]
        )
    panel = load_data(cfg.data)
    plan = load_future_exog(cfg.data, panel)
    assert plan is not None
    stamp = {"model_version": 1, "run_id": "r", "data_through": "2025-H2", "refit": False,
             "created_at": datetime(2026, 12, 1, tzinfo=UTC)}  # fmt: skip
    model = SeasonalNaive().fit(panel)
    tables, _, notes = forecast_tables(model, panel, cfg, plan, stamp)
    planner, table = tables["forecast.csv"], tables["forecast_scenarios.csv"]
    base = table.loc[table["scenario"] == "baseline"].drop(columns="scenario")
    pd.testing.assert_frame_equal(base.reset_index(drop=True), planner.reset_index(drop=True))
    high = table.loc[table["scenario"] == "high"].reset_index(drop=True)
    last = (high["period"] == "2027-H2").to_numpy() & (planner["forecast"] > 0).to_numpy()
    ratio = (
        pd.Series(
            high.loc[last, "forecast"].to_numpy(float)
            / planner.loc[last, "forecast"].to_numpy(float)
        )
        .groupby(high.loc[last, "sector"].str[:2].to_numpy())
        .mean()
    )
    assert ratio["H5"] > 1.02  # ~0.84 x 2 years x log(1.10 / 1.07)
    assert ratio["C2"] == 1.0
    width = high["upper_95"].astype(float) - high["lower_95"].astype(float)
    base_width = planner["upper_95"].astype(float) - planner["lower_95"].astype(float)
    port = (high["sector"].str[:2] == "H5").to_numpy() & last & (planner["forecast"] > 100)
    assert (width[port] > base_width[port]).all()
    elastic = tables["scenario_elasticities.csv"]
    assert {"pool", "shrinkage"} <= set(elastic.columns)
    assert any("Trend reading" in note for note in notes)
