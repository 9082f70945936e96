"""Ensemble weights and the AutoForecaster's routes, against hand-computed values."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skillcast import PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import (
    TSB,
    AutoForecaster,
    Croston,
    Drift,
    Ensemble,
    GlobalModel,
    Naive,
    SeasonalNaive,
)
from skillcast.models.ensemble import combine
from skillcast.models.validation import convex_weights, inverse_error_weights, series_groups

SPEC = PanelSpec(keys=("item",), taxonomies={}, gaps="missing")


def label(t: int) -> str:
    return f"{2010 + t // 2}-H{t % 2 + 1}"


def make_panel(series: dict[str, list[float]], start: int = 0):
    rows = [
        (key, label(start + t), float(v))
        for key, values in series.items()
        for t, v in enumerate(values)
        if not np.isnan(v)
    ]
    return load_panel(pd.DataFrame(rows, columns=["item", "period", "employment"]), SPEC)


# lines rising 2 a half-year: over 14 periods, the validation origins are 6..9 (the
# last one 4 periods before the end) and each forecasts 4 steps
LINES = {f"a{i}": [100.0 + 10 * i + 2 * t for t in range(14)] for i in range(6)}
# flat with a half-year pattern: seasonal naive is exact
SEASONAL = {f"b{i}": [20.0 + 5 * i + (10 if t % 2 else 0) for t in range(14)] for i in range(6)}


def test_backtest_weights_are_inverse_mase_on_validation_windows():
    # On a line of slope b: naive misses by b*h at step h (mean 2.5b over 4 steps), the
    # seasonal naive by 2b, 2b, 4b, 4b (mean 3b); the MASE scale is |y_t - y_t-2| = 2b.
    # MASE 1.25 and 1.5 -> weights (1/1.25) : (1/1.5) = 6/11 : 5/11.
    panel = make_panel(LINES)
    model = Ensemble([Naive(), SeasonalNaive()], weights="backtest", levels=()).fit(panel)
    assert list(model.weights_.columns) == ["group", "Naive", "SeasonalNaive"]
    np.testing.assert_allclose(model.validation_errors_[["Naive", "SeasonalNaive"]], [[1.25, 1.5]])
    np.testing.assert_allclose(model.weights_[["Naive", "SeasonalNaive"]], [[6 / 11, 5 / 11]])
    assert model.weights_["Naive"].iloc[0] > model.weights_["SeasonalNaive"].iloc[0]
    # the forecast is that mix: naive 126 + 10i flat; seasonal naive 124, 126, 124, 126 (+10i)
    mean = model.predict(4).dense()
    snaive = np.array([124.0, 126.0, 124.0, 126.0])
    expected = 6 / 11 * 126.0 + 5 / 11 * snaive + 10 * np.arange(6)[:, None]
    np.testing.assert_allclose(mean, expected)


def test_a_perfect_member_takes_all_the_weight():
    panel = make_panel(LINES)
    model = Ensemble({"naive": Naive(), "drift": Drift()}, weights="backtest", levels=())
    model.fit(panel)
    np.testing.assert_allclose(model.weights_[["naive", "drift"]], [[0.0, 1.0]])
    np.testing.assert_allclose(model.predict(2).dense()[0], [128.0, 130.0])


def test_weights_per_group_follow_each_groups_best_member():
    # WAPE: the seasonal series have no MASE scale (the seasonal naive fits them exactly).
    # Lines: naive misses 2h, seasonal naive 4, 4, 8, 8 -> the same 6/11 : 5/11 as MASE.
    panel = make_panel({**LINES, **SEASONAL})
    options = {"weights": "backtest", "by": "item:1", "metric": "wape", "levels": ()}
    model = Ensemble([Naive(), SeasonalNaive()], min_group_series=3, **options).fit(panel)
    weights = model.weights_.set_index("item:1")
    np.testing.assert_allclose(weights.loc["a"], [6 / 11, 5 / 11])
    np.testing.assert_allclose(weights.loc["b"], [0.0, 1.0])  # the seasonal naive is exact
    # groups smaller than min_group_series take the weights of all series together: naive
    # misses 5 a cell on both groups (960 in all), the seasonal naive 6 on the lines (576)
    small = Ensemble([Naive(), SeasonalNaive()], min_group_series=7, **options).fit(panel)
    np.testing.assert_allclose(small.weights_[["Naive", "SeasonalNaive"]], [[0.375, 0.625]] * 2)


def test_equal_and_fixed_weights():
    panel = make_panel(LINES)
    equal = Ensemble([Naive(), SeasonalNaive()], levels=()).fit(panel)
    np.testing.assert_allclose(equal.weights_[["Naive", "SeasonalNaive"]], [[0.5, 0.5]])
    assert equal.validation_errors_ is None
    fixed = Ensemble([Naive(), SeasonalNaive()], weights=[3, 1], levels=()).fit(panel)
    np.testing.assert_allclose(
        fixed.predict(1).dense()[:, 0], 0.75 * 126 + 0.25 * 124 + 10 * np.arange(6)
    )
    with pytest.raises(SkillcastConfigError):
        Ensemble([Naive()], weights=[1, 2]).fit(panel)
    with pytest.raises(SkillcastConfigError):
        Ensemble([], weights="equal").fit(panel)


def test_ensemble_intervals_come_from_the_combined_residuals():
    rng = np.random.default_rng(0)
    noisy = {k: list(np.array(v) + rng.normal(0, 3, 14)) for k, v in LINES.items()}
    panel = make_panel(noisy)
    model = Ensemble([Naive(), Drift()], weights="backtest").fit(panel)
    cal = model.calibration_
    assert cal.residuals.shape == (6, 4, 4)
    frame = model.predict(4).frame
    assert (
        (frame["lower_95"] <= frame["lower_80"]) & (frame["upper_80"] <= frame["upper_95"])
    ).all()
    assert (frame["upper_80"] > frame["lower_80"]).all()


def test_combine_renormalises_over_available_members():
    forecasts = np.array([[[1.0, 2.0], [np.nan, 4.0]], [[3.0, np.nan], [5.0, 6.0]]])
    weights = np.array([[0.25, 0.5], [0.75, 0.5]])
    np.testing.assert_allclose(combine(forecasts, weights), [[2.5, 2.0], [5.0, 5.0]])


@given(
    forecasts=hnp.arrays(float, (3, 5, 2), elements=st.one_of(st.just(np.nan), st.floats(0, 1e6))),
    raw=hnp.arrays(float, (3, 5), elements=st.floats(0.01, 1)),
)
def test_property_a_combination_lies_between_its_members(forecasts, raw):
    weights = raw / raw.sum(axis=0)
    out = combine(forecasts, weights)
    available = ~np.isnan(forecasts).all(axis=0)
    assert np.array_equal(np.isnan(out), ~available)
    lo, hi = np.nanmin(forecasts[:, available], axis=0), np.nanmax(forecasts[:, available], axis=0)
    assert (out[available] >= lo - 1e-6 * (1 + hi)).all()
    assert (out[available] <= hi + 1e-6 * (1 + hi)).all()


def test_inverse_error_weights_hand_computed():
    w = inverse_error_weights(np.array([[1.0, 0.0, np.nan], [3.0, 2.0, np.nan]]))
    np.testing.assert_allclose(w, [[0.75, 1.0, 0.5], [0.25, 0.0, 0.5]])


def test_convex_weights_find_the_mix_that_cancels_errors():
    # member a is 4 too high, member b 2 too low: 1/3 a + 2/3 b is exact
    panel = make_panel(LINES)
    y = panel.dense()
    origins = [6, 7, 8, 9]
    truth = np.stack([y[:, o + 1 : o + 5] for o in origins], axis=1)
    pair = np.stack([truth + 4.0, truth - 2.0])
    weights, errors = convex_weights(panel, origins, pair, np.zeros(6, dtype=np.int64), grid=31)
    np.testing.assert_allclose(weights[:, 0], [1 / 3, 2 / 3])
    # MASE scale |y_t - y_t-2| = 4: a alone scores 4/4, b alone 2/4, w = 2/3 (grid 20) 0
    assert errors.shape == (31, 1)
    np.testing.assert_allclose(errors[[0, 20, 30], 0], [1.0, 0.0, 0.5], atol=1e-12)


def test_convex_weights_take_the_centre_of_a_flat_optimum():
    # identical members: every mix scores the same, so no grid value is better than
    # another and the weight is the middle, not the first grid value
    panel = make_panel(LINES)
    y = panel.dense()
    origins = [6, 7, 8, 9]
    truth = np.stack([y[:, o + 1 : o + 5] for o in origins], axis=1)
    same = np.stack([truth + 3.0, truth + 3.0])
    weights, _ = convex_weights(panel, origins, same, np.zeros(6, dtype=np.int64))
    np.testing.assert_allclose(weights[:, 0], [0.5, 0.5])
    with pytest.raises(SkillcastConfigError, match="tolerance"):
        convex_weights(panel, origins, same, np.zeros(6, dtype=np.int64), tolerance=-0.1)


def test_series_groups_by_key_prefix():
    panel = make_panel({**LINES, **SEASONAL})
    ids, table = series_groups(panel, "item:1")
    assert table["item:1"].tolist() == ["a", "b"]
    assert ids.tolist() == [0] * 6 + [1] * 6
    with pytest.raises(SkillcastConfigError):
        series_groups(panel, "sector")


# ----------------------------------------------------------------------- AutoForecaster
def auto_panel():
    """20 growing series, 4 intermittent ones, and one series with 3 observations."""
    rng = np.random.default_rng(1)
    t = np.arange(16)
    series = {
        f"r{i:02d}": list(np.round((40 + 8 * i) * 1.04**t * np.exp(rng.normal(0, 0.03, 16))))
        for i in range(20)
    }
    for i in range(4):
        demand = (rng.random(16) < 0.3) * rng.integers(2, 6, 16)
        demand[[2, 9]] = 3  # every one has some demand
        series[f"s{i}"] = list(demand.astype(float))
    series["new"] = [np.nan] * 13 + [30.0, 33.0, 36.0]
    return make_panel(series)


def small_pooled():
    return GlobalModel(strategy="recursive", calibration_refits=None, n_jobs=1)


@pytest.fixture(scope="module")
def fitted_auto():
    return AutoForecaster(global_model=small_pooled()).fit(auto_panel())


def test_routes_name_each_series_demand_class_route_and_weights(fitted_auto):
    routes = fitted_auto.routes_.set_index("item")
    assert len(routes) == 25
    assert {"demand_class", "route", "cold_start", "w_AutoETS", "w_GlobalModel", "w_Croston",
            "w_TSB", "adi", "cv2", "n_observed"} <= set(routes.columns)  # fmt: skip
    weights = routes.filter(like="w_").to_numpy()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)
    # the short series is a cold start: the pooled model and the analogues, equal weights
    assert routes.loc["new", "cold_start"] and routes.loc["new", "route"] == "combined"
    assert routes.loc["new", "w_GlobalModel"] == routes.loc["new", "w_AnalogueForecaster"] == 0.5
    # intermittent series: one method, the one with the least validation error
    sparse = routes.loc[[f"s{i}" for i in range(4)]]
    assert (sparse["adi"] >= 1.32).all() and not sparse["cold_start"].any()
    assert sparse["route"].nunique() == 1
    errors = fitted_auto.validation_errors_.set_index("segment").loc["intermittent"]
    best = errors[["Croston", "TSB", "GlobalModel"]].idxmin()
    assert (
        sparse["route"].iloc[0]
        == {"Croston": "croston", "TSB": "tsb", "GlobalModel": "global"}[best]
    )
    # regular series: AutoETS + pooled model, with the learned group weights
    regular = routes.loc[[f"r{i:02d}" for i in range(20)]]
    assert (regular["route"] == "ets+global").all()
    np.testing.assert_allclose(regular["w_AutoETS"], fitted_auto.weights_["AutoETS"].iloc[0])


def test_auto_forecast_is_the_routed_mix_of_its_members(fitted_auto):
    mean = fitted_auto.predict(3).dense()
    members = [m._predict_dense(3, None) for m in fitted_auto.members_]
    w = fitted_auto.series_weights_
    expected = sum(w[j][:, None] * np.clip(members[j], 0, None) for j in range(len(members)))
    np.testing.assert_allclose(mean, expected)
    assert (mean >= 0).all() and np.isfinite(mean).all()


def test_members_fitted_side_by_side_give_the_same_model(fitted_auto):
    # n_jobs=2 fits the members in two threads; the pooled model keeps its own thread
    # count, so the result is the one-thread fit's to the last digit
    panel = auto_panel()
    both = AutoForecaster(global_model=small_pooled(), n_jobs=2).fit(panel)
    np.testing.assert_array_equal(both.series_weights_, fitted_auto.series_weights_)
    one, two = fitted_auto.predict(3), both.predict(3)
    pd.testing.assert_frame_equal(one.frame, two.frame)


def test_fixed_intermittent_route_uses_croston_or_tsb_forecasts():
    panel = auto_panel()
    for route, member in (("croston", Croston(levels=())), ("tsb", TSB(levels=()))):
        auto = AutoForecaster(global_model=small_pooled(), intermittent=route, levels=()).fit(panel)
        routes = auto.routes_.set_index("item")
        sparse = [f"s{i}" for i in range(4)]
        assert (routes.loc[sparse, "route"] == route).all()
        rows = np.flatnonzero(panel.series["item"].str.startswith("s"))
        expected = member.fit(panel).predict(2).dense()[rows]
        np.testing.assert_allclose(auto.predict(2).dense()[rows], expected)


def test_auto_intervals_contain_the_forecast_and_widen_with_the_level(fitted_auto):
    frame = fitted_auto.predict(4).frame
    assert fitted_auto.calibration_.residuals.shape[1:] == (6, 4)  # 6 origins, 4 steps
    assert ((frame["lower_95"] <= frame["lower_80"]) & (frame["lower_80"] <= frame["mean"])).all()
    assert ((frame["mean"] <= frame["upper_80"]) & (frame["upper_80"] <= frame["upper_95"])).all()
    assert (frame["upper_95"] > frame["lower_95"]).mean() > 0.9


def test_auto_choice_mode_and_bad_settings():
    panel = auto_panel()
    auto = AutoForecaster(global_model=small_pooled(), combine="choice", levels=()).fit(panel)
    assert set(auto.weights_[["AutoETS", "GlobalModel"]].iloc[0]) == {0.0, 1.0}
    for bad in ({"intermittent": "never"}, {"combine": "vote"}, {"metric": "mape"}):
        with pytest.raises(SkillcastConfigError):
            AutoForecaster(global_model=small_pooled(), **bad).fit(panel)
