"""Exponential smoothing: recursions by hand, form selection on known dynamics, accuracy."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from skillcast import Panel, PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import AutoETS, ExponentialSmoothing, SeasonalNaive
from skillcast.models.base import Forecaster
from skillcast.models.ets import information_criterion
from skillcast.models.ets_kernels import (
    align_left,
    forecast_states,
    initial_states,
    params_from_scaled,
    parse_form,
    scaled_value,
    simulate,
)
from skillcast.models.ets_refine import refine_jointly, shift_states
from skillcast.models.ets_search import search_form
from skillcast.models.validation import validation_origins

SPEC = PanelSpec(freq="quarterly", keys=("sector", "occupation"), taxonomies={}, gaps="missing")
T = 40
t = np.arange(T)


def make_panel(y: np.ndarray, start: str = "2012Q1") -> Panel:
    """Quarterly panel from a (series x periods) array; NaN cells get no row."""
    n_series, n_periods = y.shape
    periods = pd.period_range(start, periods=n_periods, freq="Q").astype(str)
    frame = pd.DataFrame(
        {
            "sector": "C10",
            "occupation": np.repeat([f"{i:04d}" for i in range(n_series)], n_periods),
            "period": np.tile(np.asarray(periods), n_series),
            "employment": y.ravel(),
        }
    )
    return load_panel(frame[frame["employment"].notna()], SPEC)


def fit_point(model, y):
    return model.set_params(levels=()).fit(make_panel(y))


# --- recursions by hand ---------------------------------------------------------------


def test_simple_smoothing_recursion_by_hand():
    values, mask, first = align_left(np.array([[2.0, 4.0, 6.0]]))
    form = parse_form("ANN")
    init = initial_states(values, mask, form, 1)
    assert init[0][0] == pytest.approx(4.0)  # mean of the first observations
    params = {k: np.array([[v]]) for k, v in dict(alpha=0.5, beta=0, gamma=0, phi=1).items()}
    run = simulate(values, mask, form, 1, params, init, end=np.array([2]), keep_errors=True)
    # errors -2, 1, 2.5; level 4 -> 3 -> 3.5 -> 4.75
    np.testing.assert_allclose(run.errors[:, 0, 0], [-2.0, 1.0, 2.5])
    assert run.lik[0, 0] == pytest.approx(3 * np.log(11.25 / 3))
    assert run.states[0][0, 0] == pytest.approx(4.75)


def test_holt_winters_additive_recursion_by_hand():
    # m = 2, level 10, trend 1, season (+2, -2); alpha 0.5, beta 0.25, gamma 0.5
    values, mask, _ = align_left(np.array([[14.0, 9.0]]))
    form = parse_form("AAA")
    init = (np.array([10.0]), np.array([1.0]), np.array([[2.0], [-2.0]]))
    params = {k: np.array([[v]]) for k, v in dict(alpha=0.5, beta=0.25, gamma=0.5, phi=1).items()}
    run = simulate(values, mask, form, 2, params, init, end=np.array([1]), keep_errors=True)
    # t0: forecast 10 + 1 + 2 = 13, error 1: level 11.5, trend 1.25, season0 2.5
    # t1: forecast 11.5 + 1.25 - 2 = 10.75, error -1.75: level 11.875, trend 0.8125,
    #     season1 -2.875
    np.testing.assert_allclose(run.errors[:, 0, 0], [1.0, -1.75])
    level, trend, season = run.states
    assert (level[0, 0], trend[0, 0]) == pytest.approx((11.875, 0.8125))
    np.testing.assert_allclose(season[:, 0, 0], [2.5, -2.875])


def test_forecast_from_states_damped_trend_and_season_phase():
    form = parse_form("AAdA")
    states = (np.array([10.0]), np.array([2.0]), np.array([[1.0], [2.0], [3.0], [4.0]]))
    params = {"phi": np.array([0.5])}
    out = forecast_states(form, 4, params, states, np.array([5]), 3)
    # origin row 5: steps land in slots 2, 3, 0; damped growth 0.5, 0.75, 0.875 x trend 2
    np.testing.assert_allclose(out, [[10 + 1 + 3, 10 + 1.5 + 4, 10 + 1.75 + 1]])
    mult = forecast_states(parse_form("MNM"), 4, params, states, np.array([5]), 1)
    np.testing.assert_allclose(mult, [[30.0]])


def test_information_criterion_by_hand():
    lik, n = np.array([10.0, 10.0]), np.array([20, 4])
    # k = 3: AICc = 10 + 6 + 2 * 3 * 4 / 16; the second series has n <= k + 1
    np.testing.assert_allclose(information_criterion(lik, n, 3), [17.5, np.inf])
    np.testing.assert_allclose(information_criterion(lik, n, 3, "aic"), [16.0, np.inf])
    assert information_criterion(lik, n, 3, "bic")[0] == pytest.approx(10 + 3 * np.log(20))


def test_parameter_counts_and_form_parsing():
    assert parse_form("AAdA").n_params(4) == 4 + 1 + 1 + 3 + 1
    assert parse_form("ANN").n_params(4) == 3
    assert parse_form("mam").name == "MAM"
    for bad in ("XNN", "AXN", "AAM", "A"):
        with pytest.raises(SkillcastConfigError):
            parse_form(bad)


# --- parameter bounds and the joint refinement ----------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-30, 30), min_size=4, max_size=4), st.sampled_from([1, 2, 4, 12]))
def test_search_coordinates_map_into_the_usual_region(u, m):
    params = params_from_scaled(parse_form("AAdA"), np.array(u, dtype=float), m)
    alpha, beta, gamma, phi = (float(params[k]) for k in ("alpha", "beta", "gamma", "phi"))
    assert 1e-4 <= alpha <= 1 - 1e-4
    assert 1e-4 <= beta <= min(alpha, 1 / (2 * m)) + 1e-12
    assert 1e-4 <= gamma <= 1 - alpha
    assert 0.8 <= phi <= 0.98
    assert scaled_value("alpha", 0.3) == pytest.approx(np.log((0.3 - 1e-4) / (0.7 - 1e-4)))


def test_state_shifts_keep_the_seasonal_sum():
    form, m = parse_form("AAA"), 4
    init = (np.array([10.0]), np.array([1.0]), np.array([[2.0], [-1.0], [0.5], [-1.5]]))
    dirs = [("level", 0), ("trend", 0), ("season", 0), ("season", 1), ("season", 2)]
    level, trend, season = shift_states(init, dirs, np.array([[1.0], [0.5], [2], [1], [-1]]), m)
    assert (level[0], trend[0]) == (11.0, 1.5)
    np.testing.assert_allclose(season[:, 0], [4.0, 0.0, -0.5, -3.5])
    assert season.sum() == pytest.approx(0.0) and form.season == "A"


def test_states_only_refinement_gives_the_least_squares_level():
    # ANN with alpha fixed: e_t = c_t - (1 - alpha)^t l0, so the best l0 is a regression
    y = np.array([[5.0, 7.0, 6.0, 9.0, 8.0, 10.0, 9.5, 11.0]])
    values, mask, _ = align_left(y)
    form, alpha = parse_form("ANN"), 0.4
    u = np.array([[scaled_value("alpha", alpha)]])
    a = params_from_scaled(form, u, 1)["alpha"][0]
    decay = (1 - a) ** np.arange(8)
    zero = simulate(
        values,
        mask,
        form,
        1,
        params_from_scaled(form, u[:, None], 1),
        (np.zeros(1), np.zeros(1), np.zeros((1, 1))),
        keep_errors=True,
    )
    c = zero.errors[:, 0, 0]  # errors with l0 = 0
    best = c @ decay / (decay @ decay)
    start = (np.array([0.0]), np.zeros(1), np.zeros((1, 1)))
    lik0 = zero.lik[0]
    u_out, lik, states = refine_jointly(values, mask, form, 1, u, start, lik0, states_only=True)
    assert states[0][0] == pytest.approx(best, rel=1e-6)
    assert u_out[0, 0] == u[0, 0] and lik[0] < lik0[0]


def _lik(values, mask, form, m, x, n_params):
    u, rest = x[:n_params], x[n_params:]
    init = (
        np.array([rest[0]]),
        np.array([rest[1] if form.trend != "N" else 0.0]),
        np.zeros((1, 1)),
    )
    return simulate(values, mask, form, m, params_from_scaled(form, u[:, None, None], m), init).lik[
        0, 0
    ]


@pytest.mark.parametrize("name", ["AAN", "MAN"])
def test_joint_refinement_matches_a_general_purpose_optimiser(name):
    gen = np.random.default_rng(3)
    y = (80 + 1.5 * t[:30] + np.cumsum(gen.normal(0, 1.0, 30)) + gen.normal(0, 2, 30))[None]
    values, mask, _ = align_left(y)
    form = parse_form(name)
    u, lik, states = search_form(values, mask, form, 1, initial_states(values, mask, form, 1))
    ours = float(lik[0])
    x = np.r_[u[:, 0], states[0][0], states[1][0]]
    # Nelder-Mead from our optimum finds nothing better, nor from the heuristic start
    fun = lambda z: _lik(values, mask, form, 1, z, len(form.dims))  # noqa: E731
    polished = minimize(fun, x, method="Nelder-Mead", options={"maxiter": 4000, "fatol": 1e-9})
    heuristic = initial_states(values, mask, form, 1)
    x0 = np.r_[
        [scaled_value("alpha", 0.2), scaled_value("beta_rel", 0.1)], heuristic[0], heuristic[1]
    ]
    fresh = minimize(fun, x0, method="Nelder-Mead", options={"maxiter": 4000, "fatol": 1e-9})
    assert ours == pytest.approx(fun(x), abs=1e-9)
    assert ours <= polished.fun + 1e-3
    assert ours <= fresh.fun + 1e-3


# --- exact fits of noiseless dynamics ---------------------------------------------------


def test_noiseless_trend_and_season_are_reproduced_exactly():
    line = 5 + 2.0 * t[None, :24]
    out = fit_point(ExponentialSmoothing("AAN"), line).predict(3).dense()
    np.testing.assert_allclose(out, 5 + 2.0 * np.array([[24, 25, 26]]), rtol=1e-6)
    seasonal = 50 + t[None, :24] + np.array([6.0, -1.0, -3.0, -2.0])[t[:24] % 4]
    out = fit_point(ExponentialSmoothing("AAA"), seasonal).predict(4).dense()
    expected = 50 + np.arange(24, 28) + np.array([6.0, -1.0, -3.0, -2.0])
    np.testing.assert_allclose(out, expected[None, :], rtol=1e-6)


# --- form selection on known dynamics ---------------------------------------------------

rng = np.random.default_rng(42)
N = 12
LEVEL = 100 + rng.normal(0, 2, (N, T))
TREND = 50 + 3 * t + rng.normal(0, 1.5, (N, T))
PATTERN = np.array([20.0, -5.0, -25.0, 10.0])
ADDITIVE = 200 + PATTERN[t % 4] + rng.normal(0, 2, (N, T))
RATIO = np.array([1.3, 0.9, 0.6, 1.2])
MULTIPLICATIVE = (50 + 5 * t) * RATIO[t % 4] * np.exp(rng.normal(0, 0.02, (N, T)))
DYNAMICS = np.vstack([LEVEL, TREND, ADDITIVE, MULTIPLICATIVE])
AUTO = fit_point(AutoETS(), DYNAMICS)


def test_pure_level_series_choose_simple_smoothing_and_forecast_the_level():
    forms = AUTO.form_[:N]
    assert (forms == "ANN").mean() >= 0.75
    out = AUTO.predict(4).dense()[:N]
    assert np.abs(out - 100).max() < 2.5
    assert np.ptp(out, axis=1).max() < 1e-9 or (forms != "ANN").any()


def test_linear_trend_chooses_a_trend_form():
    forms = AUTO.form_[N : 2 * N]
    assert all(f[1] == "A" for f in forms)  # AAN or AAdN (any error/season)
    out = AUTO.predict(4).dense()[N : 2 * N]
    truth = 50 + 3 * np.arange(T, T + 4)
    assert np.abs(out - truth).max() < 6


def test_additive_seasonality_chooses_a_seasonal_form():
    forms = AUTO.form_[2 * N : 3 * N]
    assert all(f[-1] in "AM" for f in forms)
    out = AUTO.predict(4).dense()[2 * N : 3 * N]
    truth = 200 + PATTERN[np.arange(T, T + 4) % 4]
    assert np.abs(out - truth).max() < 5


def test_multiplicative_seasonality_chooses_multiplicative_form():
    forms = AUTO.form_[3 * N :]
    assert (np.array([f[-1] for f in forms]) == "M").mean() >= 0.75
    out = AUTO.predict(4).dense()[3 * N :]
    truth = (50 + 5 * np.arange(T, T + 4)) * RATIO[np.arange(T, T + 4) % 4]
    assert np.abs(out / truth - 1).max() < 0.08


def test_params_frame_is_inspectable_and_admissible():
    p = AUTO.params_
    assert list(p.columns[:3]) == ["sector", "occupation", "form"]
    assert {"alpha", "beta", "gamma", "phi", "aicc", "n_obs"} <= set(p.columns)
    assert (p["form"] == AUTO.form_).all()
    assert ((p["alpha"] > 0) & (p["alpha"] < 1)).all()
    trend = p["form"].str[1] == "A"
    assert p.loc[~trend, "beta"].isna().all()
    assert (p.loc[trend, "beta"] <= p.loc[trend, "alpha"]).all()
    seasonal = p["form"].str[-1] != "N"
    assert (p.loc[seasonal, "gamma"] <= 1 - p.loc[seasonal, "alpha"]).all()
    damped = p["form"].str.contains("Ad")
    assert p.loc[damped, "phi"].between(0.8, 0.98).all() and p.loc[~damped, "phi"].isna().all()
    # the chosen form has the smallest criterion of all candidates
    crit = AUTO.criteria_.to_numpy()
    np.testing.assert_allclose(p["aicc"], crit.min(axis=1))


def test_autoets_beats_seasonal_naive_on_smooth_seasonal_series():
    gen = np.random.default_rng(7)
    n = 40
    level = gen.uniform(50, 500, (n, 1))
    amp = gen.uniform(0.1, 0.3, (n, 1))
    phase = gen.uniform(0, 2 * np.pi, (n, 1))
    y = level * (1 + 0.005 * t) * (1 + amp * np.sin(np.pi * t / 2 + phase))
    y = y + gen.normal(0, 1, (n, T)) * 0.04 * level
    train, test = y[:, :32], y[:, 32:]
    ets = fit_point(AutoETS(), train).predict(8).dense()
    snaive = fit_point(SeasonalNaive(), train).predict(8).dense()
    mae_ets, mae_snaive = np.abs(ets - test).mean(), np.abs(snaive - test).mean()
    assert mae_ets < 0.85 * mae_snaive  # 0.79 at this seed; seasonal naive is noisier


# --- rolling refits for validation and calibration ----------------------------------


def seasonal_panel_values(seed: int, n: int = 24) -> np.ndarray:
    gen = np.random.default_rng(seed)
    level = gen.uniform(50, 500, (n, 1))
    amp = gen.uniform(0.05, 0.3, (n, 1))
    y = level * (1 + 0.004 * t) * (1 + amp * np.sin(np.pi * t / 2 + gen.uniform(0, 6, (n, 1))))
    y = y + gen.normal(0, 1, (n, T)) * 0.05 * level
    y[:3, :12] = np.nan  # late starters: fresh searches at the early origins
    y[3, 30:] = np.nan  # stopped reporting before the later origins
    return y


@pytest.mark.parametrize("cut", [26, 31, 35])
def test_warm_started_rolling_refits_never_read_after_their_origin(cut):
    y = seasonal_panel_values(3)
    origins = [24, 28, 32, 36]
    model = fit_point(AutoETS(), y)
    before = model.rolling_forecast(model.panel_, origins, 3)
    altered = y.copy()
    altered[:, cut + 1 :] = altered[:, cut + 1 :] * 1.7 + 40
    moved = fit_point(AutoETS(), altered)
    after = moved.rolling_forecast(moved.panel_, origins, 3)
    # an origin at or before the cut saw nothing altered, nor did the refits it started
    # from; later origins saw the change
    seen = [k for k, o in enumerate(origins) if o <= cut]
    np.testing.assert_array_equal(before[:, seen], after[:, seen])
    assert not np.allclose(before[:, len(seen) :], after[:, len(seen) :], equal_nan=True)


def test_warm_started_rolling_refits_match_fresh_fits():
    y = seasonal_panel_values(5)
    origins = [24, 28, 32, 36]
    model = fit_point(AutoETS(), y)
    warm = model.rolling_forecast(model.panel_, origins, 3)
    # a clone fitted at each origin (its own chain from its calibration origins)
    fresh = Forecaster.rolling_forecast(model, model.panel_, origins, 3)
    assert np.array_equal(np.isnan(warm), np.isnan(fresh))
    assert not np.isnan(warm).any()  # a stopped series still forecasts from its last value
    gap = np.nanmean(np.abs(warm - fresh) / fresh)
    assert gap < 0.01


def test_fit_rolling_is_the_rolling_forecast_then_a_warm_whole_panel_fit():
    y = seasonal_panel_values(7)
    origins = [24, 28, 32, 36]
    panel = make_panel(y)
    fresh = AutoETS(levels=()).fit(panel)
    one_pass = AutoETS(levels=())
    rolling = one_pass.fit_rolling(panel, origins, 3)
    np.testing.assert_array_equal(rolling, fresh.rolling_forecast(panel, origins, 3))
    # the whole-panel fit starts from the last origin's optimum: close to a fresh search
    gap = np.abs(one_pass.predict(4).dense() / fresh.predict(4).dense() - 1)
    assert gap.mean() < 0.01
    assert one_pass.params_["n_obs"].tolist() == fresh.params_["n_obs"].tolist()
    with pytest.raises(SkillcastConfigError, match="levels"):
        AutoETS().fit_rolling(panel, origins, 3)


def test_fit_with_intervals_calibrates_on_the_warm_rolling_refits():
    y = seasonal_panel_values(9)
    panel = make_panel(y)
    model = AutoETS(levels=(80,)).fit(panel)
    # the calibration origins of the default intervals, and a point-only twin that runs
    # the same refits and then the warm whole-panel fit
    settings = model.interval_settings()
    origins, horizon = validation_origins(panel, settings.windows, settings.horizon)
    twin = AutoETS(levels=())
    rolling = twin.fit_rolling(panel, origins, horizon)
    np.testing.assert_array_equal(rolling, model.rolling_forecast(panel, origins, horizon))
    np.testing.assert_array_equal(model.predict(4).dense(), twin.predict(4).dense())
    pd.testing.assert_frame_equal(model.params_, twin.params_)
    # a point-only fit takes the same path: intervals never move the point forecasts
    point = AutoETS(levels=()).fit(panel)
    np.testing.assert_array_equal(point.predict(4).dense(), model.predict(4).dense())
    # too short for the calibration origins: a point-only fit still fits
    short = make_panel(y[:, :2])
    assert np.isfinite(AutoETS(levels=()).fit(short).predict(2).dense()).all()
    with pytest.raises(SkillcastConfigError, match="levels"):
        AutoETS().fit(short)


def test_forms_fitted_in_worker_processes_give_the_same_fit():
    y = np.vstack([seasonal_panel_values(3), TREND[:2], LEVEL[:2]])
    panel = make_panel(y)
    here = AutoETS().fit(panel)
    there = AutoETS(n_jobs=2).fit(panel)
    pd.testing.assert_frame_equal(here.params_, there.params_)
    pd.testing.assert_frame_equal(here.predict(6).frame, there.predict(6).frame)
    fixed = ExponentialSmoothing("MAM", n_jobs=-1).fit(panel)
    pd.testing.assert_frame_equal(fixed.params_, ExponentialSmoothing("MAM").fit(panel).params_)
    with pytest.raises(SkillcastConfigError, match="n_jobs"):
        AutoETS(n_jobs=0, levels=()).fit(panel)


class _EveryForm(ExponentialSmoothing):
    """The fallback chain fitted on every series, as before fallbacks were fitted only
    where used."""

    chained = False


def test_fallback_forms_are_fitted_only_where_the_form_before_them_failed():
    y = np.vstack([seasonal_panel_values(5, n=6), TREND[:2]])
    y[-1, :6] = 0.0  # not strictly positive: no multiplicative form
    y[-2, :-6] = np.nan  # 6 quarters: too short for a season
    panel = make_panel(y)
    model = ExponentialSmoothing("MAM").fit(panel)
    every = _EveryForm("MAM").fit(panel)
    assert model.form_.tolist() == ["MAM"] * 6 + ["AAN", "AAA"]
    np.testing.assert_array_equal(model.form_, every.form_)
    pd.testing.assert_frame_equal(model.predict(6).frame, every.predict(6).frame)
    # the fallbacks' criteria exist only where they were fitted
    assert np.isinf(model.criteria_.loc[:5, ["AAA", "AAN", "ANN"]].to_numpy()).all()
    assert np.isfinite(every.criteria_.loc[:5, ["AAA", "AAN", "ANN"]].to_numpy()).all()


def test_one_form_split_between_worker_processes_gives_the_same_fit():
    # 72 series: one form is split in two pieces of 36 for 2 workers
    y = np.vstack([seasonal_panel_values(s) for s in (1, 2, 3)])
    panel = make_panel(y)
    here = ExponentialSmoothing("AAA", levels=()).fit(panel)
    there = ExponentialSmoothing("AAA", levels=(), n_jobs=2).fit(panel)
    np.testing.assert_array_equal(here.form_, there.form_)
    np.testing.assert_allclose(here.predict(6).dense(), there.predict(6).dense(), rtol=1e-6)


# --- ragged panels ----------------------------------------------------------------------


def test_each_series_starts_at_its_own_first_observation():
    late = ADDITIVE[:1].copy()
    late[:, :9] = np.nan  # starts in 2014Q2: a different seasonal phase from row 0
    y = np.vstack([LEVEL[:1], late])
    together = fit_point(AutoETS(), y).predict(4).dense()
    alone = AutoETS(levels=()).fit(make_panel(late[:, 9:], start="2014Q2")).predict(4).dense()
    # equal but for the last digits batched arithmetic leaves in the chain of warm starts
    np.testing.assert_allclose(together[1], alone[0], rtol=1e-7)
    truth = 200 + PATTERN[np.arange(T, T + 4) % 4]
    assert np.abs(together[1] - truth).max() < 6


def test_short_zero_and_single_value_series():
    y = np.full((4, T), np.nan)
    y[0, -6:] = [10, 30, 12, 31, 11, 29]  # six quarters: under two seasons
    y[1] = ADDITIVE[0]
    y[1, 5] = 0.0  # a zero: multiplicative forms are ruled out
    y[2, -1] = 7.0  # one observation
    y[3] = ADDITIVE[1]
    y[3, 20] = np.nan  # a missing report inside the series
    model = fit_point(AutoETS(), y)
    crit = model.criteria_
    assert np.isinf(crit.loc[0, ["ANA", "AAA", "AAdA", "MNM", "MAM"]]).all()
    assert model.form_[0][-1] == "N"
    assert np.isinf(crit.loc[1, ["MNM", "MAM"]]).all() and model.form_[1][0] == "A"
    assert model.form_[2] == "ANN"
    out = model.predict(2).dense()
    np.testing.assert_allclose(out[2], [7.0, 7.0])
    assert model.form_[3][-1] in "AM" and np.isfinite(out[3]).all()


def test_fixed_form_falls_back_when_a_series_cannot_support_it():
    y = np.vstack([MULTIPLICATIVE[0], ADDITIVE[0], np.r_[[np.nan] * 34, ADDITIVE[0, :6]]])
    y[1, 3] = 0.0
    model = fit_point(ExponentialSmoothing("MAdM"), y)
    assert list(model.form_) == ["MAdM", "AAdA", "AAdN"]
    assert model.params_.loc[2, "gamma"] != model.params_.loc[2, "gamma"]  # NaN: no season


def test_annual_panel_fits_no_seasonal_form():
    spec = SPEC.with_(freq="annual")
    years = [str(2000 + i) for i in range(12)]
    frame = pd.DataFrame(
        {
            "sector": "C10",
            "occupation": "7412",
            "period": years,
            "employment": 100 + 4.0 * np.arange(12),
        }
    )
    model = AutoETS(levels=()).fit(load_panel(frame, spec))
    assert model.form_[0][-1] == "N"
    np.testing.assert_allclose(model.predict(2).dense(), [[148.0, 152.0]], rtol=1e-3)


def test_autoets_validates_its_arguments():
    panel = make_panel(LEVEL[:2])
    with pytest.raises(SkillcastConfigError, match="criterion"):
        AutoETS(criterion="hqic", levels=()).fit(panel)
    with pytest.raises(SkillcastConfigError, match="forms"):
        AutoETS(forms="ANN", levels=()).fit(panel)
    with pytest.raises(SkillcastConfigError, match="season_length"):
        AutoETS(season_length=0, levels=()).fit(panel)
