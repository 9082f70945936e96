"""The pooled model: training rows, transforms, strategies, known drivers, intervals."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline

from skillcast import Panel, PanelSpec, SkillcastConfigError, load_panel
from skillcast.features import (
    FeatureBuilder,
    FeaturePipeline,
    FeatureScale,
    Lags,
    SeasonTrend,
    make_minimal_features,
)
from skillcast.features.exogenous import ExogenousFeatures
from skillcast.models import ConformalIntervals, GlobalModel
from skillcast.models.global_model import season_lags
from skillcast.models.target_scale import recent_level, to_target

NAN = np.nan


def linear():
    """A linear model that accepts the NaN lags of young series."""
    return make_pipeline(SimpleImputer(strategy="median"), LinearRegression())


SPEC = PanelSpec(keys=("item",), taxonomies={}, gaps="missing", known_exog=("driver",))


def driver_panel(
    n_series: int = 24, n_periods: int = 16, seed: int = 0
) -> tuple[Panel, np.ndarray]:
    """y[s, t] = size_s * exp(0.8 x_t): each period's value follows that period's driver.

    The driver is city-wide and known in advance, drawn uniformly on [-1, 1] every
    period, so the only way to forecast a period is to read its own driver value.
    """
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(-1.0, 1.0, size=n_periods), 2)
    size = rng.uniform(50, 500, n_series)
    periods = pd.period_range("2010-01", periods=n_periods, freq="6M")
    labels = [f"{p.year}-H{1 if p.month <= 6 else 2}" for p in periods]
    rows = [
        (f"s{s:02d}", labels[t], round(size[s] * np.exp(0.8 * x[t])), x[t])
        for s in range(n_series)
        for t in range(n_periods)
    ]
    frame = pd.DataFrame(rows, columns=["item", "period", "employment", "driver"])
    return load_panel(frame, SPEC), x


def future(panel: Panel, values: list[float]) -> pd.DataFrame:
    """City-wide driver values for the periods after the panel."""
    last = panel.periods[-1]
    return pd.DataFrame({"period": [last + k + 1 for k in range(len(values))], "driver": values})


def driver_features() -> FeaturePipeline:
    # no trend feature: in this panel it would name each period as well as its driver
    return FeaturePipeline([Lags((1, 2)), ExogenousFeatures()])


def test_recent_level_is_the_mean_of_the_last_observed_values():
    y = np.array([[2.0, 4.0, NAN, 6.0, 8.0], [NAN, NAN, 3.0, NAN, 5.0]])
    expected = [[2, 3, 3, 5, 7], [NAN, NAN, 3, 3, 4]]
    np.testing.assert_allclose(recent_level(y, 2), expected)
    np.testing.assert_allclose(recent_level(y, 3)[0], [2, 3, 3, 4, 6])


def test_direct_step_two_reads_the_step_two_driver_only():
    panel, x = driver_panel()
    lo, hi = float(x.min()), float(x.max())  # stay inside what the trees were trained on
    model = GlobalModel(
        features=driver_features(), strategy="direct", levels=(), max_horizon=2
    ).fit(panel)
    high = model.predict(2, exog=future(panel, [lo, hi])).dense()
    low = model.predict(2, exog=future(panel, [lo, lo])).dense()
    other_first = model.predict(2, exog=future(panel, [hi, hi])).dense()
    # the step-2 forecast follows the step-2 driver (truth: exp(0.8 (hi - lo)) ~ 4.5 times)
    assert (high[:, 1] > 2.0 * low[:, 1]).all()
    # ...and ignores the step-1 driver, which only moves step 1
    np.testing.assert_array_equal(other_first[:, 1], high[:, 1])
    assert (other_first[:, 0] > 2.0 * high[:, 0]).all()
    # against the truth size * exp(0.8 x): close for most series
    size = panel.dense()[:, -1] / np.exp(0.8 * x[-1])
    for forecast, value in ((high[:, 1], hi), (low[:, 1], lo)):
        assert np.median(np.abs(forecast / (size * np.exp(0.8 * value)) - 1)) < 0.25


def test_recursive_step_two_feeds_on_its_own_step_one_forecast():
    panel, _ = driver_panel()
    model = GlobalModel(features=driver_features(), strategy="recursive", levels=()).fit(panel)
    assert list(model.models_) == [1]
    a = model.predict(2, exog=future(panel, [-0.9, 0.9])).dense()
    b = model.predict(2, exog=future(panel, [0.9, 0.9])).dense()
    # step 2 sees the step-1 forecast as its lag_1: changing the step-1 driver moves it
    assert not np.allclose(a[:, 1], b[:, 1])
    assert (b[:, 0] > 2.0 * a[:, 0]).all()


def trend_panel(n_series: int = 12, n_periods: int = 12, slope: float = -6.0) -> Panel:
    """Straight lines falling to zero and below (clipped at 0 in the data)."""
    rows = [
        (f"s{s:02d}", f"{2010 + t // 2}-H{t % 2 + 1}", max(40.0 + s + slope * t, 0.0))
        for s in range(n_series)
        for t in range(n_periods)
    ]
    frame = pd.DataFrame(rows, columns=["item", "period", "employment"])
    return load_panel(frame, PanelSpec(keys=("item",), taxonomies={}))


@pytest.mark.filterwarnings("ignore:Skipping features without any observed values")
def test_forecasts_and_bounds_are_never_negative():
    # a raw linear model extrapolates the falling lines below zero; the output is clipped
    panel = trend_panel(slope=-3.0)
    model = GlobalModel(
        estimator=linear(), features=FeaturePipeline([Lags((1, 2))]), strategy="direct",
        target_transform=None, levels=(80,), calibration_refits=None,
    ).fit(panel)  # fmt: skip
    raw = model.models_[4].predict(
        pd.DataFrame(
            model.features_.transform(panel, [panel.n_periods - 1], 4), columns=model.feature_names_
        )
    )
    assert (raw < 0).any()
    frame = model.predict(6).frame
    assert (frame[["mean", "lower_80", "upper_80"]].to_numpy() >= 0).all()


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.integers(0, 30), min_size=6 * 8, max_size=6 * 8),
    transform=st.sampled_from(["log1p", "scale", None]),
)
def test_property_forecasts_are_finite_and_non_negative(values, transform):
    y = np.array(values, dtype=float).reshape(6, 8)
    rows = [(f"s{s}", f"{2010 + t // 2}-H{t % 2 + 1}", y[s, t]) for s in range(6) for t in range(8)]
    panel = load_panel(
        pd.DataFrame(rows, columns=["item", "period", "employment"]),
        PanelSpec(keys=("item",), taxonomies={}),
    )
    model = GlobalModel(
        estimator=linear(), features=make_minimal_features(2),
        target_transform=transform, levels=(), max_horizon=2,
    )  # fmt: skip
    mean = model.fit(panel).predict(3).dense()
    assert np.isfinite(mean).all() and (mean >= 0).all()


def test_same_seed_same_forecast_other_seed_other_forecast():
    panel, _ = driver_panel(seed=3)
    exog = future(panel, [1.0, -1.0])

    def run(seed: int) -> np.ndarray:
        model = GlobalModel(features=driver_features(), levels=(), max_horizon=2, random_state=seed)
        return model.fit(panel).predict(2, exog=exog).dense()

    np.testing.assert_array_equal(run(7), run(7))
    assert not np.array_equal(run(7), run(8))  # row and column subsampling follow the seed


def test_steps_beyond_max_horizon_are_trained_per_predict_and_not_kept():
    panel = trend_panel(slope=2.0)
    options = {"features": make_minimal_features(2), "strategy": "direct", "levels": ()}
    model = GlobalModel(max_horizon=2, **options).fit(panel)
    assert sorted(model.models_) == [1, 2]
    cache = model._table_cache
    mean = model.predict(3).dense()
    assert sorted(model.models_) == [1, 2]  # predict leaves the fitted model as it was
    assert model._table_cache is cache and sorted(cache[1]) == [1, 2]  # no step-3 table held
    assert mean.shape == (12, 3) and (mean > 0).all()
    # the same step-3 model as one trained in fit
    longer = GlobalModel(max_horizon=3, **options).fit(panel)
    np.testing.assert_array_equal(mean, longer.predict(3).dense())
    np.testing.assert_array_equal(model.predict(3).dense(), mean)


def test_quantile_bounds_beyond_max_horizon_leave_the_fitted_model_unchanged():
    panel, _ = driver_panel(n_series=20, n_periods=12, seed=4)
    exog = future(panel, [0.5, -0.5, 0.2])
    options = {
        "features": driver_features(),
        "strategy": "direct",
        "quantile": True,
        "levels": (80,),
    }
    model = GlobalModel(max_horizon=2, **options).fit(panel)
    frame = model.predict(3, exog=exog).frame
    assert sorted(model.models_) == sorted(model.quantile_models_) == [1, 2]
    longer = GlobalModel(max_horizon=3, **options).fit(panel)
    pd.testing.assert_frame_equal(frame, longer.predict(3, exog=exog).frame)


class HalfValue(FeatureBuilder):
    """A custom level of the target: half its value at the origin."""

    def _fit(self, panel: Panel) -> None:
        self.feature_names_out_ = ["half_value"]

    def _columns(self, arrays, origins, step, exog):
        return [arrays.gather(None, origins) / 2.0]

    def get_feature_scales_out(self) -> list[FeatureScale]:
        return ["level"]


class Undeclared(FeatureBuilder):
    """The same column from a builder that declares nothing."""

    def _fit(self, panel: Panel) -> None:
        self.feature_names_out_ = ["half_value_undeclared"]

    def _columns(self, arrays, origins, step, exog):
        return [arrays.gather(None, origins) / 2.0]


@pytest.mark.parametrize("transform", ["log1p", "scale"])
def test_columns_a_custom_builder_declares_as_levels_are_rescaled(transform):
    panel = trend_panel(slope=2.0)
    features = FeaturePipeline([Lags((1,)), HalfValue(), Undeclared(), SeasonTrend()])
    model = GlobalModel(
        estimator=linear(), features=features, target_transform=transform, levels=(),
        max_horizon=1,
    ).fit(panel)  # fmt: skip
    assert model.level_columns_.tolist() == [0, 1]
    assert model.spread_columns_.tolist() == []
    origin = panel.n_periods - 1
    level = recent_level(panel.dense(), model.scale_window_)[:, origin]
    raw = model.features_.transform(panel, [origin], 1)
    X = model._features(panel, [origin], 1, None, level)
    np.testing.assert_allclose(X[:, 1], to_target(raw[:, 1], level, transform))
    np.testing.assert_array_equal(X[:, 2], raw[:, 2])  # undeclared: as it came


def test_rolling_forecasts_never_read_after_their_origin():
    panel, _ = driver_panel(n_series=10, n_periods=14)
    model = GlobalModel(features=driver_features(), levels=(), calibration_refits=None)
    model.fit(panel)
    origins = [7, 8, 9]
    before = model.rolling_forecast(panel, origins, 2)
    # change every value after the last origin's forecast window starts
    frame = panel.frame.copy()
    late = panel.period_pos > 9
    frame.loc[late, "employment"] = frame.loc[late, "employment"] * 3 + 7
    altered = Panel(panel.spec, frame)
    model.fit(altered)
    after = model.rolling_forecast(altered, origins, 2)
    # forecasts from origins 7 and 8 land at most at 10; their models and features only
    # ever saw periods <= the origin, so they are the same; origin 9 too (target 10, 11
    # are forecast, not read)
    np.testing.assert_array_equal(before, after)


def test_conformal_intervals_are_calibrated_per_step_and_widen():
    panel, _ = driver_panel(n_series=30, n_periods=16, seed=5)
    model = GlobalModel(
        features=driver_features(), max_horizon=2, intervals=ConformalIntervals(horizon=2)
    )
    model.fit(panel)
    cal = model.calibration_
    assert cal.residuals.shape == (30, 4, 2)
    assert np.isfinite(cal.residuals).all()
    frame = model.predict(2, exog=future(panel, [1.0, -1.0])).frame
    width80 = frame["upper_80"] - frame["lower_80"]
    width95 = frame["upper_95"] - frame["lower_95"]
    assert (width95 >= width80 - 1e-9).all() and (width80 > 0).any()
    assert ((frame["lower_95"] <= frame["mean"]) & (frame["mean"] <= frame["upper_95"])).all()


def test_quantile_models_give_nested_bounds():
    panel, _ = driver_panel(n_series=30, n_periods=16, seed=2)
    model = GlobalModel(features=driver_features(), quantile=True, max_horizon=2).fit(panel)
    assert model.calibration_ is None
    assert model.quantiles_ == pytest.approx((0.1, 0.9, 0.025, 0.975))
    assert all(len(v) == 4 for v in model.quantile_models_.values())
    frame = model.predict(2, exog=future(panel, [1.0, 1.0])).frame
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["lower_80"] <= frame["mean"]).all() and (frame["mean"] <= frame["upper_80"]).all()
    assert (frame["upper_80"] <= frame["upper_95"]).all()
    assert (frame["upper_95"] > frame["lower_95"]).mean() > 0.9


def test_quantile_needs_a_quantile_capable_estimator():
    panel = trend_panel(slope=1.0)
    model = GlobalModel(
        estimator=LinearRegression(), quantile=True, features=make_minimal_features(2)
    )
    with pytest.raises(SkillcastConfigError, match="quantile=True"):
        model.fit(panel)


def test_a_young_series_gets_a_forecast_from_the_pooled_dynamics():
    # every series grows 10% a period; "new" has only its last two values
    rows = []
    for s in range(10):
        for t in range(12):
            rows.append((f"s{s}", f"{2010 + t // 2}-H{t % 2 + 1}", round((20 + 5 * s) * 1.1**t)))
    rows += [("new", "2015-H1", 100.0), ("new", "2015-H2", 110.0)]
    panel = load_panel(
        pd.DataFrame(rows, columns=["item", "period", "employment"]),
        PanelSpec(keys=("item",), taxonomies={}),
    )
    model = GlobalModel(features=make_minimal_features(2), levels=(), max_horizon=2).fit(panel)
    mean = model.predict(2).frame.set_index(["item", "step"])["mean"]
    assert mean[("new", 1)] == pytest.approx(121, rel=0.08)
    assert mean[("new", 2)] > mean[("new", 1)]


def test_invalid_settings_are_refused():
    panel = trend_panel(slope=1.0)
    for bad in ({"strategy": "both"}, {"target_transform": "sqrt"}, {"n_jobs": 0}):
        with pytest.raises(SkillcastConfigError):
            GlobalModel(features=make_minimal_features(2), **bad).fit(panel)


def monthly_panel(n_series: int = 6, n_periods: int = 40, seed: int = 0) -> Panel:
    """Seasonal monthly lines: size * (1 + 0.3 sin(month)), a little noise."""
    rng = np.random.default_rng(seed)
    periods = pd.period_range("2015-01", periods=n_periods, freq="M")
    season = 1 + 0.3 * np.sin(2 * np.pi * np.arange(n_periods) / 12)
    y = rng.uniform(50, 500, (n_series, 1)) * season * rng.lognormal(0, 0.02, (n_series, n_periods))
    frame = pd.DataFrame(
        {
            "item": np.repeat([f"s{s}" for s in range(n_series)], n_periods),
            "period": np.tile(periods.astype(str), n_series),
            "employment": y.round(1).ravel(),
        }
    )
    return load_panel(frame, PanelSpec(freq="monthly", keys=("item",), taxonomies={}))


def test_season_lags_read_the_targets_season_at_or_before_the_origin():
    panel = monthly_panel(n_series=2, n_periods=40)
    y = panel.dense()
    origin = 30
    for step, first in ((1, 19), (12, 30), (13, 19), (24, 30)):
        got = season_lags(panel, [origin], step, 2)
        # the latest period of the target's month at or before the origin, then a year back
        np.testing.assert_array_equal(got, y[:, [first, first - 12]])
        assert (origin + step - first) % 12 == 0 and first <= origin
    early = season_lags(panel, [5], 1, 2)  # a year back lies before the panel
    np.testing.assert_array_equal(early[:, 1], [NAN, NAN])


def test_multi_is_the_default_and_one_model_serves_every_step():
    panel = monthly_panel()
    model = GlobalModel(features=FeaturePipeline([Lags((1, 2))]), levels=()).fit(panel)
    assert model.strategy == "multi" and list(model.models_) == [0]
    assert model.feature_names_[-4:] == [
        "series_level", "horizon_step", "target_season_lag_1", "target_season_lag_2"
    ]  # fmt: skip
    X, z, target = model._table_cache[1][0]
    # every step 1..24 has rows, the near ones most
    assert X.shape == (len(z), len(model.feature_names_))
    per_step = np.bincount(X[:, -3].astype(int), minlength=25)[1:]
    assert (per_step > 0).all() and per_step[0] > per_step[11] >= per_step[23]
    # about multi_rows = 1 times one step's rows (6 series x 39 origins at step 1)
    assert 0.75 * 6 * 39 < len(z) < 1.5 * 6 * 39
    mean = model.predict(30).dense()  # beyond max_horizon: the same model
    assert mean.shape == (6, 30) and np.isfinite(mean).all() and (mean > 0).all()


def test_the_multi_sample_depends_on_the_panels_shape_and_the_seed_only():
    first, other = monthly_panel(seed=0), monthly_panel(seed=1)

    def target_rows(panel: Panel, seed: int = 0) -> np.ndarray:
        model = GlobalModel(features=make_minimal_features(12), levels=(), random_state=seed)
        return model.fit(panel)._table_cache[1][0][2]

    np.testing.assert_array_equal(target_rows(first), target_rows(other))
    assert not np.array_equal(target_rows(first), target_rows(first, seed=1))


def test_multi_step_two_reads_the_step_two_driver_only():
    panel, x = driver_panel(n_series=30, n_periods=16)
    lo, hi = float(x.min()), float(x.max())
    model = GlobalModel(features=driver_features(), levels=(), max_horizon=2).fit(panel)
    high = model.predict(2, exog=future(panel, [lo, hi])).dense()
    low = model.predict(2, exog=future(panel, [lo, lo])).dense()
    other_first = model.predict(2, exog=future(panel, [hi, hi])).dense()
    assert (high[:, 1] > 1.5 * low[:, 1]).all()
    np.testing.assert_array_equal(other_first[:, 1], high[:, 1])
    assert (other_first[:, 0] > 1.5 * high[:, 0]).all()


class CountingRidge(LinearRegression):
    """A linear model that counts its fits (a class-wide tally)."""

    fits = 0

    def fit(self, X, y, sample_weight=None):
        CountingRidge.fits += 1
        return super().fit(X, y, sample_weight)


@pytest.mark.parametrize(
    ("strategy", "refits", "expected"),
    [
        ("multi", 1, 1 + 1),  # the model, then one more for every calibration window
        ("multi", None, 1 + 4),  # one per window
        ("direct", 1, 2 + 2),  # per step: 2 steps
        ("direct", None, 2 + 4 * 2),
    ],
)
def test_calibration_retrains_once_by_default(strategy, refits, expected):
    panel = monthly_panel()
    estimator = make_pipeline(SimpleImputer(strategy="median"), CountingRidge())
    CountingRidge.fits = 0
    model = GlobalModel(
        estimator=estimator, features=FeaturePipeline([Lags((1, 2))]), strategy=strategy,
        max_horizon=2, intervals=ConformalIntervals(horizon=2), calibration_refits=refits,
    ).fit(panel)  # fmt: skip
    assert CountingRidge.fits == expected
    assert model.calibration_.residuals.shape == (6, 4, 2)
    assert np.isfinite(model.calibration_.residuals).all()
