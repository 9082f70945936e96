"""The analogue forecaster of young series: values, leakage, accuracy and coverage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import AnalogueForecaster, AutoForecaster, GlobalModel, Naive, SeasonalNaive
from skillcast.models.analogues import (
    default_hierarchy,
    group_medians,
    leave_one_out_medians,
    origin_state,
)
from skillcast.models.auto import ANALOGUE

CES = Path(__file__).parent / "data" / "us_ces_retail_health_1990s.csv"
MONTHLY = PanelSpec(freq="monthly", keys=("sector", "occupation"), taxonomies={})


def long_frame(values: dict[tuple[str, str], np.ndarray], first: str = "2010-01") -> pd.DataFrame:
    start = pd.Period(first, "M")
    rows = [
        (sector, occ, str(start + t), float(v))
        for (sector, occ), series in values.items()
        for t, v in enumerate(series)
        if np.isfinite(v)
    ]
    return pd.DataFrame(rows, columns=["sector", "occupation", "period", "employment"])


def group_panel(seed: int, n_new: int = 4, n_periods: int = 72, stub: int = 6, noise=0.03):
    """Monthly series in two occupation groups, each following its group's seasonal and
    trend path times its own size and noise; the ``n_new`` youngest series of each group
    start ``stub`` periods before the end of the training part (``n_periods - 24``).

    Returns (training panel, actuals of the 24 periods after it (series x 24) in panel
    order, positions of the new series)."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_periods)
    paths = {
        "2511": (1 + 0.010 * t) * (1 + 0.25 * np.sin(2 * np.pi * t / 12)),
        "5120": (1 - 0.004 * t) * (1 + 0.30 * np.cos(2 * np.pi * t / 12)),
    }
    train = n_periods - 24
    values, new_keys = {}, []
    for occ, path in paths.items():
        for i in range(8 + n_new):
            size = rng.uniform(20, 400)
            series = size * path * np.exp(rng.normal(0, noise, n_periods))
            key = ("J62", f"{occ}{i:02d}")
            if i >= 8:  # a new series: nothing before its start
                series[: train - stub] = np.nan
                new_keys.append(key)
            values[key] = series
    full = load_panel(long_frame(values), MONTHLY)
    known = full.until(full.periods[train - 1])
    actual = full.dense()[:, train:]
    index = pd.MultiIndex.from_frame(known.series)
    new = np.sort(index.get_indexer(pd.MultiIndex.from_tuples(new_keys)))
    return known, actual, new


# ------------------------------------------------------------------ hand-computed values
def test_young_forecast_is_its_level_times_the_analogues_median_path():
    nan = np.nan
    # half-years: window = 2 periods, young = 5; base Naive: each analogue's future is
    # its last value. Relative window values: a (10, 12)/11, b (20, 30)/25, c (5, 5)/5;
    # medians 10/11 and 12/11; future medians median(12/11, 1.2, 1) = 12/11.
    # The young series (4, 6): level = 10 / (10/11 + 12/11) = 5, forecast 5 x 12/11.
    series = {
        "8311": [9, 9, 8, 10, 12],
        "8312": [20, 22, 25, 20, 30],
        "8313": [5, 6, 5, 5, 5],
        "8314": [nan, nan, nan, 4, 6],
    }
    periods = ["2021-H1", "2021-H2", "2022-H1", "2022-H2", "2023-H1"]
    rows = [
        ("C10", occ, periods[t], float(v))
        for occ, values in series.items()
        for t, v in enumerate(values)
        if np.isfinite(v)
    ]
    frame = pd.DataFrame(rows, columns=["sector", "occupation", "period", "employment"])
    panel = load_panel(frame, PanelSpec(keys=("sector", "occupation"), taxonomies={}))
    model = AnalogueForecaster(base=Naive(), levels=()).fit(panel)
    mean = model.predict_dense(3)
    assert model.young_.tolist() == [False, False, False, True]
    np.testing.assert_allclose(mean[3], [60 / 11] * 3)
    np.testing.assert_allclose(mean[:3], [[12] * 3, [30] * 3, [5] * 3])  # the base's own
    table = model.analogues_
    assert table["occupation"].tolist() == ["8314"]
    assert table[["k", "n_analogues"]].to_numpy().tolist() == [[2, 3]]
    assert table["rung"].iloc[0] == "occupation:3/sector"
    np.testing.assert_allclose(table["level"], [5.0])


def test_group_medians_and_leave_one_out_medians_by_hand():
    values = np.array([[1.0, 5], [2, np.nan], [3, 7], [10, 8], [20, 9]])
    groups = np.array([0, 0, 0, 1, 1])
    np.testing.assert_allclose(group_medians(values, groups, 2), [[2, 6], [15, 8.5]])
    np.testing.assert_allclose(
        leave_one_out_medians(values, groups, 2),
        [[2.5, 7], [2, np.nan], [1.5, 5], [20, 9], [10, 8]],
    )


def test_default_hierarchy_climbs_the_occupation_codes_then_drops_keys():
    frame = long_frame({("H52", "8343"): np.ones(3), ("H50", "3152"): np.ones(3)})
    frame["level"] = "L2"
    spec = PanelSpec(freq="monthly", keys=("sector", "occupation", "level"), taxonomies={})
    rungs = default_hierarchy(load_panel(frame, spec))
    assert rungs == [
        ("occupation:3", "sector", "level"),
        ("occupation:2", "sector", "level"),
        ("occupation:1", "sector", "level"),
        ("sector", "level"),
        ("sector",),
        (),
    ]


# ------------------------------------------------------------------------ the contract
def test_shapes_flags_and_intervals_of_a_fitted_model():
    panel, _, new = group_panel(0, n_periods=96)  # 72 months: 24 calibrated steps fit
    model = AnalogueForecaster().fit(panel)
    fc = model.predict(30)  # beyond the calibrated 24 steps
    assert fc.frame.shape[0] == panel.n_series * 30
    assert np.flatnonzero(model.young_).tolist() == new.tolist()
    mean, lo, hi = fc.dense("mean"), fc.dense("lower_95"), fc.dense("upper_95")
    assert np.isfinite(mean).all() and (lo <= mean).all() and (mean <= hi).all()
    width = (hi - fc.dense("upper_80"))[new]
    assert (width > 0).all()  # 95% strictly wider than 80%
    half = (hi - mean)[new]
    assert (np.diff(half, axis=1) >= -1e-9).all()  # never narrower further ahead
    assert model.relative_widths_.shape == (2, 3, 24) and model.calibration_cases_ > 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"young": 0}, "young must be an integer >= 1"),
        ({"window": 0}, "window must be an integer >= 1"),
        ({"min_analogues": 1.5}, "min_analogues must be an integer >= 1"),
        ({"hierarchy": "occupation:3"}, "wrap it in a list"),
        ({"hierarchy": [("occupation:x",)]}, "column:n"),
        ({"hierarchy": [("region",)]}, "not key columns"),
        ({"base": "ets"}, "base must be a skillcast Forecaster"),
        ({"levels": (80, 120)}, "percentages in"),
    ],
)
def test_bad_parameters_raise_clear_errors(params, message):
    panel, _, _ = group_panel(2, n_new=1)
    with pytest.raises(SkillcastConfigError, match=message):
        AnalogueForecaster(**params).fit(panel)


def test_a_panel_too_short_to_calibrate_says_so_and_point_forecasts_still_work():
    panel, _, _ = group_panel(3, n_periods=40)  # 16 training months < young (25) + steps
    with pytest.raises(SkillcastConfigError, match="too few to calibrate"):
        AnalogueForecaster().fit(panel)
    assert AnalogueForecaster(levels=()).fit(panel).predict(6).frame["mean"].notna().all()


# ------------------------------------------------------------------------------ leakage
@st.composite
def leakage_cases(draw):
    n_series = draw(st.integers(3, 8))
    n_periods = draw(st.integers(8, 20))
    origin = draw(st.integers(3, n_periods - 2))
    rng = np.random.default_rng(draw(st.integers(0, 10_000)))
    y = rng.uniform(1, 100, (n_series, n_periods)).round(1)
    # the first series starts at column 0, so panel positions are column positions
    starts = [0] + [draw(st.integers(0, origin)) for _ in range(n_series - 1)]
    for i, s in enumerate(starts):
        y[i, :s] = np.nan
    return y, origin, rng.uniform(0, 1000, (n_series, n_periods - origin - 1)).round(1)


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(leakage_cases())
def test_once_new_calibration_reads_nothing_after_its_origin(case):
    y, origin, future = case
    changed = y.copy()
    changed[:, origin + 1 :] = future
    model = AnalogueForecaster(young=3, window=2, min_analogues=1, levels=())
    panel = load_panel(long_frame(dict(enumerate_keys(y))), MONTHLY)
    model.fit(panel.until(panel.periods[origin]))  # rungs for the held-back cases
    forecasts = np.ones((y.shape[0], 4))
    before, after = origin_state(y, origin, 2, 3), origin_state(changed, origin, 2, 3)
    for name in ("history", "level", "relative", "analogue"):
        np.testing.assert_array_equal(getattr(before, name), getattr(after, name))
    first = model._held_back(y, origin, forecasts, 4, 3)
    second = model._held_back(changed, origin, forecasts, 4, 3)
    np.testing.assert_array_equal(first[0], second[0])  # window values
    np.testing.assert_array_equal(first[1], second[1])  # analogue paths


@SETTINGS
@given(leakage_cases())
def test_forecasts_from_an_origin_ignore_data_after_it(case):
    y, origin, future = case
    changed = y.copy()
    changed[:, origin + 1 :] = future
    model = AnalogueForecaster(young=3, window=2, min_analogues=1, levels=())
    out = []
    for values in (y, changed):
        panel = load_panel(long_frame(dict(enumerate_keys(values))), MONTHLY)
        out.append(model.rolling_forecast(panel, [origin], 3))
    np.testing.assert_array_equal(out[0], out[1])


def enumerate_keys(y: np.ndarray):
    for i, row in enumerate(y):
        yield ("J62", f"{2511 + i % 3}{i:02d}"), row


# --------------------------------------------------------------------------- accuracy
def test_analogue_beats_naive_on_the_stub_when_new_series_follow_their_group():
    errors = {"analogue": [], "naive": []}
    for seed in range(3):
        panel, actual, new = group_panel(seed)
        analogue = AnalogueForecaster(levels=()).fit(panel).predict_dense(24)[new]
        naive = Naive(levels=()).fit(panel).predict_dense(24)[new]
        errors["analogue"].append(np.abs(analogue - actual[new]).mean())
        errors["naive"].append(np.abs(naive - actual[new]).mean())
    assert np.mean(errors["analogue"]) < 0.5 * np.mean(errors["naive"])


def test_young_interval_coverage_is_near_nominal_on_held_back_series():
    inside = {80: [], 95: []}
    for seed in range(4):
        panel, actual, new = group_panel(seed + 10, n_new=12, n_periods=96, noise=0.08)
        fc = AnalogueForecaster().fit(panel).predict(24)
        for level in inside:
            lo, hi = fc.dense(f"lower_{level}")[new], fc.dense(f"upper_{level}")[new]
            inside[level].append(((actual[new] >= lo) & (actual[new] <= hi)).mean())
    # calibration origins reach back to shorter histories, whose base fits are worse:
    # here the intervals err on the wide side (about 0.94 / 0.99), never the narrow one
    assert 0.75 <= np.mean(inside[80]) < np.mean(inside[95])
    assert 0.92 <= np.mean(inside[95])


# --------------------------------------------------------------------- AutoForecaster
def test_auto_routes_cold_starts_to_the_analogues_with_their_intervals():
    panel, _, new = group_panel(4)
    auto = AutoForecaster(
        global_model=GlobalModel(strategy="recursive", n_jobs=1),
        validation_windows=2,
        cold_start="analogue",
    ).fit(panel)
    routes = auto.routes_
    assert (routes["route"].to_numpy()[new] == "analogue").all()
    assert (routes["w_AnalogueForecaster"].to_numpy()[new] == 1.0).all()
    fc = auto.predict(6)
    member = auto.members_[ANALOGUE].predict(6)
    for column in ("mean", "lower_80", "upper_95"):
        np.testing.assert_allclose(fc.dense(column)[new], member.dense(column)[new])


def test_auto_cold_start_options():
    panel, _, new = group_panel(5)
    small = GlobalModel(strategy="recursive", n_jobs=1)
    default = AutoForecaster(global_model=small, levels=()).fit(panel)
    assert (default.routes_["route"].to_numpy()[new] == "combined").all()
    pooled = AutoForecaster(global_model=small, cold_start="global", levels=()).fit(panel)
    assert (pooled.routes_["route"].to_numpy()[new] == "global").all()
    assert (pooled.routes_["w_GlobalModel"].to_numpy()[new] == 1.0).all()
    # the new series did not exist at the validation origins: "auto" cannot compare
    chosen = AutoForecaster(global_model=small, cold_start="auto", levels=()).fit(panel)
    assert (chosen.routes_["route"].to_numpy()[new] == "analogue").all()
    with pytest.raises(SkillcastConfigError, match="cold_start must be one of"):
        AutoForecaster(cold_start="pooled").fit(panel)
    with pytest.raises(SkillcastConfigError, match="analogue must be an AnalogueForecaster"):
        AutoForecaster(analogue=Naive()).fit(panel)


def test_auto_combined_route_is_the_equal_mix_with_the_analogue_half_widths():
    panel, _, new = group_panel(6)
    auto = AutoForecaster(
        global_model=GlobalModel(strategy="recursive", n_jobs=1),
        validation_windows=2,
        cold_start="combined",
    ).fit(panel)
    routes = auto.routes_
    assert (routes["route"].to_numpy()[new] == "combined").all()
    assert routes["cold_start"].to_numpy()[new].all()
    np.testing.assert_allclose(routes["w_GlobalModel"].to_numpy()[new], 0.5)
    np.testing.assert_allclose(routes["w_AnalogueForecaster"].to_numpy()[new], 0.5)
    old = ~routes["cold_start"].to_numpy()  # established series keep their routes
    assert (routes["w_AnalogueForecaster"].to_numpy()[old] == 0.0).all()
    fc = auto.predict(6)
    pooled = np.clip(auto.members_[1].predict_dense(6), 0, None)[new]
    analogue = auto.members_[ANALOGUE].predict(6)
    mean = fc.dense("mean")[new]
    np.testing.assert_allclose(mean, 0.5 * pooled + 0.5 * analogue.dense("mean")[new])
    for level in (80, 95):  # the analogues' once-new half-widths, around the mix
        half = (analogue.dense(f"upper_{level}") - analogue.dense("mean"))[new]
        np.testing.assert_allclose(fc.dense(f"upper_{level}")[new], mean + half)
        np.testing.assert_allclose(fc.dense(f"lower_{level}")[new], np.clip(mean - half, 0, None))
    lo80, hi80, lo95, hi95 = (
        fc.dense(c)[new] for c in ("lower_80", "upper_80", "lower_95", "upper_95")
    )
    assert (lo95 <= lo80).all() and (lo80 <= mean).all() and (mean <= hi80).all()
    assert (hi80 < hi95).all()


def test_auto_combined_route_reads_nothing_after_its_origin():
    """Two panels equal up to the origin and different after it give the same fit."""
    panel, actual, new = group_panel(7)
    y = panel.dense()
    origin = panel.n_periods - 4
    changed = y.copy()
    changed[:, origin + 1 :] = np.where(
        np.isfinite(y[:, origin + 1 :]), 3 * y[:, origin + 1 :], np.nan
    )
    keys = [tuple(r) for r in panel.series[["sector", "occupation"]].to_numpy()]
    out = []
    for values in (y, changed):
        full = load_panel(long_frame(dict(zip(keys, values, strict=True)), "2010-01"), MONTHLY)
        model = AutoForecaster(
            global_model=GlobalModel(strategy="recursive", n_jobs=1),
            validation_windows=2,
            cold_start="combined",
        ).fit(full.until(full.periods[origin]))
        out.append(model.predict(6).frame)
    assert (model.routes_["route"].to_numpy()[new] == "combined").all()
    pd.testing.assert_frame_equal(out[0], out[1])


# ---------------------------------------------------------- real data: US CES extract
@pytest.mark.slow
def test_analogue_beats_naive_on_the_stub_on_us_ces_hidden_history():
    """Retail and education/health series (1990s) cut to their last 6 months at fixed
    origins, half of the bottom series at a time; MASE over the next 24 months, scaled
    by each series' seasonal-naive MAE over its history up to the end of that window."""
    frame = pd.read_csv(CES, dtype={"industry_code": str})
    frame = frame.rename(columns={"industry_code": "industry", "month": "period"})
    spec = PanelSpec(freq="monthly", keys=("industry",), target="employed", taxonomies={})
    panel = load_panel(frame, spec)
    codes = panel.series["industry"].tolist()
    bottom = np.array(
        [i for i, c in enumerate(codes) if not any(o != c and o.startswith(c.rstrip("0"))
                                                   for o in codes)]
    )  # fmt: skip
    y = panel.dense()
    mase = {"analogue": [], "naive": [], "seasonal naive": []}
    for origin in ("1995-12", "1996-09", "1997-06"):
        pos = panel.periods.get_loc(pd.Period(origin, "M"))
        for fold in (bottom[::2], bottom[1::2]):
            known = panel.until(origin)
            early = np.isin(known.series_id, fold) & (known.frame["period"] <= known.periods[-7])
            cut = Panel(spec, known.frame.loc[~early.to_numpy()].reset_index(drop=True))
            actual = y[fold, pos + 1 : pos + 25]
            upto = y[fold, : pos + 25]
            scale = np.nanmean(np.abs(upto[:, 12:] - upto[:, :-12]), axis=1)
            for name, model in (
                ("analogue", AnalogueForecaster(levels=())),
                ("naive", Naive(levels=())),
                ("seasonal naive", SeasonalNaive(levels=())),
            ):
                mean = np.clip(model.fit(cut).predict_dense(24)[fold], 0, None)
                mase[name] += list(np.abs(mean - actual).mean(axis=1) / scale)
    assert np.mean(mase["analogue"]) < np.mean(mase["naive"])
    assert np.mean(mase["analogue"]) < np.mean(mase["seasonal naive"])
