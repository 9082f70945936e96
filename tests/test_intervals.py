"""Conformal intervals: quantiles by hand, coverage on i.i.d. noise, no look-ahead."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import AutoETS, ConformalIntervals, ExponentialSmoothing, Naive, WindowAverage
from skillcast.models.calibration import ConformalCalibration, _group_quantile, conformal_quantile
from skillcast.models.validation import validation_origins

SPEC = PanelSpec(freq="quarterly", keys=("sector", "occupation"), taxonomies={})


def make_panel(y: np.ndarray, sectors=None, spec: PanelSpec = SPEC, **exog) -> Panel:
    """Quarterly panel from 2010Q1 of a (series x periods) array; NaN cells get no row."""
    n_series, n_periods = y.shape
    sectors = ["C10"] * n_series if sectors is None else sectors
    periods = pd.period_range("2010Q1", periods=n_periods, freq="Q").astype(str)
    frame = pd.DataFrame(
        {
            "sector": np.repeat(sectors, n_periods),
            "occupation": np.repeat([f"{i:04d}" for i in range(n_series)], n_periods),
            "period": np.tile(np.asarray(periods), n_series),
            "employment": y.ravel(),
            **{name: np.asarray(v, dtype=float).ravel() for name, v in exog.items()},
        }
    )
    return load_panel(frame[frame["employment"].notna()], spec)


def coverage(forecast, actual: np.ndarray, level: int) -> float:
    lo, hi = forecast.dense(f"lower_{level}"), forecast.dense(f"upper_{level}")
    return float(((actual >= lo) & (actual <= hi)).mean())


# --- quantiles and widths by hand -------------------------------------------------------


def test_finite_sample_conformal_quantile_by_hand():
    values = np.array([np.arange(1.0, 10.0)])
    q, exact = conformal_quantile(values, 0.8)  # rank ceil(10 * 0.8) = 8
    assert (q[0], exact[0]) == (8.0, True)
    q, exact = conformal_quantile(values, 0.95)  # rank 10 > 9: the largest, flagged
    assert (q[0], exact[0]) == (9.0, False)
    q, exact = conformal_quantile(np.array([[np.nan, 2.0, 1.0, np.nan], [np.nan] * 4]), 0.5)
    assert q[0] == 2.0 and exact[0]  # n = 2: rank ceil(1.5) = 2
    assert np.isnan(q[1]) and not exact[1]


def test_group_quantile_by_hand():
    values = np.array([[1.0, 2.0], [3.0, 4.0], [10.0, 20.0], [np.nan, np.nan]])
    out = _group_quantile(values, np.array([0, 0, 1, 2]), 0.5)
    # group 0: 1..4, rank ceil(2.5) = 3 -> 3; group 1: rank 2 of 2 -> 20; group 2: empty
    np.testing.assert_allclose(out, [3.0, 20.0, np.nan])


def hand_calibration(min_residuals: int) -> ConformalCalibration:
    residuals = np.zeros((3, 2, 2))  # series x windows x steps
    residuals[0] = [[1, 2], [3, 1]]  # scale 10
    residuals[1] = [[2, 4], [10, 2]]  # scale 20
    return ConformalCalibration(
        residuals=residuals,
        scale=np.array([10.0, 20.0, 0.0]),  # series 2 never reported a worker
        groups=np.zeros(3, dtype=np.int64),
        origins=(),
        min_residuals=min_residuals,
    )


def test_pooled_widths_rescale_non_decreasing_and_grow_with_sqrt_beyond_horizon():
    width = hand_calibration(min_residuals=20).widths(50, 4)
    # step 1 scaled residuals 0.1, 0.3, 0.1, 0.5 -> rank 3 of 4 = 0.3; step 2: 0.2, 0.1,
    # 0.2, 0.1 -> 0.2, raised to step 1's width; steps 3-4: x sqrt(3/2), sqrt(4/2)
    growth = np.array([1, 1, np.sqrt(1.5), np.sqrt(2)])
    np.testing.assert_allclose(width, [3 * growth, 6 * growth, 0 * growth])
    np.testing.assert_allclose(hand_calibration(20).widths(50, 1), [[3], [6], [0]])


def test_series_with_enough_residuals_use_their_own():
    width = hand_calibration(min_residuals=2).widths(50, 2)
    # series 1's own step-1 residuals 2, 10: rank 2 of 2 -> 10; series 0: 1, 3 -> 3
    np.testing.assert_allclose(width[:2], [[3, 3], [10, 10]])


def test_calibration_origins_by_hand():
    def origins(n_periods: int, windows: int, horizon: int) -> tuple[list[int], int]:
        return validation_origins(make_panel(np.ones((1, n_periods))), windows, horizon)

    assert origins(20, 4, 8) == ([8, 9, 10, 11], 8)
    assert origins(6, 4, 4) == ([1], 4)  # origins before position 1 dropped
    assert origins(4, 4, 8) == ([1], 2)  # horizon shortened to the data
    with pytest.raises(SkillcastConfigError, match="at least 3 periods"):
        origins(2, 4, 4)


# --- coverage ----------------------------------------------------------------------------

RNG = np.random.default_rng(2024)
N_IID, T_IID, HOLD = 400, 34, 4
IID_LEVEL = RNG.uniform(20, 400, (N_IID, 1))
IID = IID_LEVEL * (1 + 0.1 * RNG.normal(size=(N_IID, T_IID)))  # noise 10% of the level
IID_PANEL = make_panel(IID[:, :-HOLD])


@pytest.mark.parametrize("model", [WindowAverage(window=8), AutoETS(forms=("ANN", "AAdN"))])
def test_pooled_coverage_on_iid_noise_is_near_nominal(model):
    forecast = model.fit(IID_PANEL).predict(HOLD)
    actual = IID[:, -HOLD:]
    assert abs(coverage(forecast, actual, 80) - 0.80) < 0.04
    assert abs(coverage(forecast, actual, 95) - 0.95) < 0.025
    frame = forecast.frame
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["lower_80"] <= frame["mean"]).all() and (frame["mean"] <= frame["upper_80"]).all()
    assert (frame["upper_80"] <= frame["upper_95"]).all() and (frame["lower_95"] >= 0).all()


def test_per_series_quantiles_follow_each_series_noise():
    rng = np.random.default_rng(5)
    n, periods, hold = 100, 68, 8
    sigma = np.where(np.arange(n) < n // 2, 2.0, 10.0)[:, None]  # not tied to the level
    y = 100 + sigma * rng.normal(size=(n, periods))
    panel = make_panel(y[:, :-hold])
    own = WindowAverage(window=8, intervals=ConformalIntervals(40, hold, min_residuals=20))
    pooled = WindowAverage(window=8, intervals=ConformalIntervals(horizon=hold))
    actual = y[:, -hold:]
    fc_own, fc_pooled = own.fit(panel).predict(hold), pooled.fit(panel).predict(hold)
    low, high = slice(0, n // 2), slice(n // 2, n)
    for half in (low, high):
        lo, hi = fc_own.dense("lower_80")[half], fc_own.dense("upper_80")[half]
        cov = ((actual[half] >= lo) & (actual[half] <= hi)).mean()
        assert abs(cov - 0.80) < 0.07
    # pooling on the relative scale cannot tell the two halves apart
    lo, hi = fc_pooled.dense("lower_80"), fc_pooled.dense("upper_80")
    inside = (actual >= lo) & (actual <= hi)
    assert inside[low].mean() > 0.95 and inside[high].mean() < 0.7


def test_interval_groups_pool_within_each_group():
    rng = np.random.default_rng(11)
    n, periods = 400, 30
    sectors = np.where(np.arange(n) % 2 == 0, "C10", "H52")
    noise = np.where(sectors == "C10", 0.02, 0.2)[:, None]
    y = 100 * (1 + noise * rng.normal(size=(n, periods)))
    panel = make_panel(y[:, :-4], sectors=sectors)
    grouped = Naive(intervals=ConformalIntervals(groups=("sector",)))
    fc = grouped.fit(panel).predict(4)
    panel_order = np.r_[np.flatnonzero(sectors == "C10"), np.flatnonzero(sectors == "H52")]
    actual = y[panel_order, -4:]  # the panel sorts by sector: C10 series, then H52
    inside = (actual >= fc.dense("lower_80")) & (actual <= fc.dense("upper_80"))
    assert abs(inside[: n // 2].mean() - 0.8) < 0.05
    assert abs(inside[n // 2 :].mean() - 0.8) < 0.05
    everyone = Naive().fit(panel).predict(4)
    inside = (actual >= everyone.dense("lower_80")) & (actual <= everyone.dense("upper_80"))
    assert inside[: n // 2].mean() > 0.97 and inside[n // 2 :].mean() < 0.75
    with pytest.raises(SkillcastConfigError, match="region"):
        Naive(intervals=ConformalIntervals(groups=("region",))).fit(panel)


# --- no look-ahead -----------------------------------------------------------------------


class SpyNaive(Naive):
    """Naive that records the last period of every panel it is fitted on."""

    fitted_until: list = []

    def _fit_dense(self, y, panel):
        SpyNaive.fitted_until.append(panel.frame["period"].max())
        super()._fit_dense(y, panel)


def test_calibration_refits_see_only_data_up_to_each_origin():
    SpyNaive.fitted_until = []
    model = SpyNaive().fit(IID_PANEL)
    cal = model.calibration_
    assert len(cal.origins) == 4 and cal.residuals.shape == (N_IID, 4, 8)
    # the full fit, then one refit per origin: each on data up to its origin only
    assert SpyNaive.fitted_until[0] == IID_PANEL.periods[-1]
    assert SpyNaive.fitted_until[1:] == list(cal.origins)
    assert list(cal.origins) == list(IID_PANEL.periods[-12:-8])  # last = end - horizon


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(0, 11))
def test_residuals_do_not_depend_on_data_after_what_they_compare(seed, cut):
    """Property: changing the data after position P changes no residual (origin k,
    step h) with origin_k + h <= P."""
    rng = np.random.default_rng(seed)
    y = rng.uniform(5, 50, (3, 20))
    first = make_panel(y)
    model = AutoETS(forms=("ANN", "AAdN")).fit(first)
    origins = [first.periods.get_loc(o) for o in model.calibration_.origins]
    cut = origins[0] + cut  # P somewhere from the first origin on
    changed = y.copy()
    changed[:, cut + 1 :] = rng.uniform(5, 50, (3, 20 - cut - 1))
    other = AutoETS(forms=("ANN", "AAdN")).fit(make_panel(changed))
    for k, origin in enumerate(origins):
        for h in range(1, model.calibration_.horizon + 1):
            same = model.calibration_.residuals[:, k, h - 1]
            new = other.calibration_.residuals[:, k, h - 1]
            if origin + h <= cut:
                np.testing.assert_array_equal(same, new)


class ExogSpy(Naive):
    """Naive that records the known drivers it is given when forecasting."""

    seen: list = []

    def _predict_dense(self, horizon, exog):
        ExogSpy.seen.append(exog)
        return super()._predict_dense(horizon, exog)


def test_calibration_passes_known_drivers_of_the_forecast_periods_only():
    ExogSpy.seen = []
    y = np.arange(1.0, 41.0).reshape(2, 20)
    spec = SPEC.with_(known_exog=("plan",))
    model = ExogSpy(intervals=ConformalIntervals(windows=2, horizon=3))
    model.fit(make_panel(y, spec=spec, plan=y * 10))
    origins = model.calibration_.origins
    assert len(ExogSpy.seen) == 2
    for origin, exog in zip(origins, ExogSpy.seen, strict=True):
        assert list(exog.columns) == ["sector", "occupation", "period", "plan"]
        assert sorted(set(exog["period"])) == [origin + 1, origin + 2, origin + 3]
        assert len(exog) == 2 * 3


# --- configuration -----------------------------------------------------------------------


def test_levels_are_validated_and_intervals_need_a_fit_with_levels():
    with pytest.raises(SkillcastConfigError, match="percentages"):
        Naive(levels=(120,)).fit(IID_PANEL)
    model = ExponentialSmoothing(levels=()).fit(IID_PANEL)
    assert model.calibration_ is None
    assert "lower_80" not in model.predict(2).frame.columns
    model.set_params(levels=(80,))
    with pytest.raises(SkillcastConfigError, match="levels"):
        model.predict(2)


def test_long_horizons_extend_the_calibrated_widths():
    model = WindowAverage(window=8, levels=(80,)).fit(IID_PANEL)
    fc = model.predict(16)
    width = fc.dense("upper_80") - fc.dense("mean")
    np.testing.assert_allclose(width[:, 15], width[:, 7] * np.sqrt(16 / 8), rtol=1e-9)
    assert (np.diff(width, axis=1) >= -1e-9).all()


def test_small_groups_get_distinct_nested_normal_theory_widths():
    """A lone series with 4 residuals: 80% is the exact rank (the largest, rank 4 of 4);
    95% needs rank 5, so it is max(largest, t(4, 0.975) x RMS), not the largest again."""
    residuals = np.array([[[1.0], [2.0], [2.0], [3.0]]])  # 1 series x 4 windows x 1 step
    cal = ConformalCalibration(
        residuals=residuals,
        scale=np.array([1.0]),
        groups=np.zeros(1, dtype=np.int64),
        origins=(),
        min_residuals=20,
    )
    w80 = cal.widths(80, 1)[0, 0]
    w95 = cal.widths(95, 1)[0, 0]
    assert w80 == 3.0
    rms = np.sqrt((1 + 4 + 4 + 9) / 4)
    assert w95 == pytest.approx(2.7764451 * rms, rel=1e-6)
    assert w95 > w80
