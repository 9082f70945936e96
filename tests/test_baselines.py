"""Benchmarks and intermittent-demand forecasters against hand-computed forecasts."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from skillcast import Panel, PanelSpec, SkillcastConfigError, load_panel
from skillcast.models import (
    TSB,
    Croston,
    Drift,
    Naive,
    SeasonalNaive,
    WindowAverage,
    classify_demand,
)

SPEC = PanelSpec(freq="semiannual", keys=("occupation",), taxonomies={}, gaps="missing")
PERIODS = ["2018-H1", "2018-H2", "2019-H1", "2019-H2", "2020-H1", "2020-H2"]
NAN = np.nan
# the panel runs 2018-H1..2020-H2; forecasts start at 2021-H1 (an H1 period)
SERIES = {
    "A": [10, 12, 11, 13, 12, 14],
    "B": [NAN, NAN, 0, 5, 0, 7],  # starts 2019-H1, zeros
    "C": [3, 0, 4, 2, 6, "missing"],  # last report is empty: last observed 6 at 2020-H1
    "D": [NAN, NAN, NAN, NAN, NAN, 9],  # shorter than a season
    "E": [NAN, NAN, NAN, 6, 3, 0],  # falling: drift goes negative
}


def make_panel(series: dict[str, list]) -> Panel:
    rows = []
    for key, values in series.items():
        for period, value in zip(PERIODS, values, strict=True):
            if isinstance(value, str):
                rows.append((key, period, None))  # a row whose target is empty
            elif not np.isnan(value):
                rows.append((key, period, float(value)))
    frame = pd.DataFrame(rows, columns=["occupation", "period", "employment"])
    return load_panel(frame, SPEC)


PANEL = make_panel(SERIES)


def point(model, horizon=3, panel=PANEL) -> np.ndarray:
    return model.set_params(levels=()).fit(panel).predict(horizon).dense()


def test_panel_layout_is_what_the_tests_assume():
    assert list(PANEL.series["occupation"]) == ["A", "B", "C", "D", "E"]
    assert PANEL.n_periods == 6
    assert np.isnan(PANEL.dense()[2, 5])


def test_naive_repeats_last_observed_value():
    np.testing.assert_allclose(point(Naive()), [[14] * 3, [7] * 3, [6] * 3, [9] * 3, [0] * 3])


def test_seasonal_naive_uses_last_value_of_the_same_half_year():
    expected = [
        [12, 14, 12],  # 2021-H1 <- 2020-H1, 2021-H2 <- 2020-H2
        [0, 7, 0],
        [6, 2, 6],  # 2020-H2 is missing: H2 comes from 2019-H2
        [9, 9, 9],  # one observation: naive
        [3, 0, 3],
    ]
    np.testing.assert_allclose(point(SeasonalNaive()), expected)
    # an explicit season length overrides the panel's
    np.testing.assert_allclose(point(SeasonalNaive(season_length=1))[:, 0], [14, 7, 6, 9, 0])


def test_seasonal_naive_periods_and_steps_in_frame():
    frame = SeasonalNaive(levels=()).fit(PANEL).predict(2).frame
    first = frame[frame["occupation"] == "A"]
    assert [str(p) for p in first["period"]] == ["2021-01", "2021-07"]
    assert list(first["step"]) == [1, 2]
    assert list(first["mean"]) == [12.0, 14.0]


def test_drift_extends_first_to_last_line():
    expected = [
        [14.8, 15.6, 16.4],  # (14 - 10) / 5 per period
        [7 + 7 / 3, 7 + 14 / 3, 14.0],
        [7.5, 8.25, 9.0],  # slope 0.75 from 2018-H1 to 2020-H1; 2021-H1 is 2 periods on
        [9, 9, 9],
        [0, 0, 0],  # -3, -6, -9 clipped: counts cannot be negative
    ]
    np.testing.assert_allclose(point(Drift()), expected)


def test_window_average_over_last_observed_values():
    np.testing.assert_allclose(point(WindowAverage())[:, 0], [12.5, 3.0, 3.0, 9.0, 3.0])
    np.testing.assert_allclose(point(WindowAverage(window=2))[:, 0], [13.0, 3.5, 4.0, 9.0, 1.5])
    with pytest.raises(SkillcastConfigError, match="window"):
        WindowAverage(window=0).fit(PANEL)


@settings(max_examples=40, deadline=None)
@given(
    hnp.arrays(
        float,
        (4, 7),
        elements=st.one_of(st.just(np.nan), st.floats(0, 100, allow_nan=False)),
    ),
    st.integers(1, 5),
)
def test_dense_baselines_match_per_series_reference(y, window):
    """Property: the vectorised fits equal a plain per-series computation."""
    y[:, -1] = np.where(np.isnan(y).all(axis=1), 1.0, y[:, -1])  # every series observed
    naive, avg, drift, snaive = Naive(), WindowAverage(window=window), Drift(), SeasonalNaive()
    for model in (naive, avg, drift):
        model._fit_dense(y, None)
    snaive.season_length = 3
    snaive._fit_dense(y, None)
    for i, row in enumerate(y):
        pos = np.flatnonzero(~np.isnan(row))
        assert naive.last_[i] == row[pos[-1]]
        assert avg.mean_[i] == pytest.approx(row[pos[-window:]].mean())
        slope = (row[pos[-1]] - row[pos[0]]) / (pos[-1] - pos[0]) if len(pos) > 1 else 0.0
        expected = row[pos[-1]] + slope * (6 - pos[-1] + 1)
        assert drift._predict_dense(1, None)[i, 0] == pytest.approx(expected)
        for h in (1, 2, 3):
            same_season = [p for p in pos if (p - (6 + h)) % 3 == 0]
            want = row[same_season[-1]] if same_season and pos[-1] - pos[0] >= 2 else row[pos[-1]]
            assert snaive._predict_dense(3, None)[i, h - 1] == want


# --- intermittent demand -------------------------------------------------------------

INTERMITTENT = {
    "A": [0, 3, 0, 0, 5, 0],
    "B": [NAN, NAN, 2, "missing", 0, 4],  # late start, one missing report
    "C": [0, 0, 0, 0, 0, 0],
}
IPANEL = make_panel(INTERMITTENT)


def test_croston_classic_and_sba_by_hand():
    # A: demands 3 (interval 2) then 5 (interval 3); alpha 0.5:
    # size 3 -> 4, interval 2 -> 2.5; forecast 4 / 2.5 = 1.6, SBA x 0.75 = 1.2
    # B: demand 2 in its first observed period (interval 1), the missing report is
    # skipped, then 4 two observed periods later: size 3, interval 1.5 -> 2.0 / 1.5
    classic = point(Croston(variant="classic", alpha=0.5), panel=IPANEL)
    np.testing.assert_allclose(classic[:, 0], [1.6, 2.0, 0.0])
    sba = point(Croston(alpha=0.5), panel=IPANEL)
    np.testing.assert_allclose(sba[:, 0], [1.2, 1.5, 0.0])
    np.testing.assert_allclose(sba[:, 1:], sba[:, :1].repeat(2, axis=1))
    model = Croston(variant="classic", alpha=0.5, levels=()).fit(IPANEL)
    np.testing.assert_allclose(model.size_[:2], [4.0, 3.0])
    np.testing.assert_allclose(model.interval_[:2], [2.5, 1.5])


def test_croston_default_alpha():
    # A with alpha 0.1: size 3 -> 3.2, interval 2 -> 2.1; SBA factor 0.95
    np.testing.assert_allclose(point(Croston(), panel=IPANEL)[0, 0], 0.95 * 3.2 / 2.1)


def test_tsb_by_hand():
    # A, alpha 0.5 (size), beta 0.2 (probability): p starts at 0 (no demand in the first
    # period): 0.2, 0.16, 0.128, 0.3024, 0.24192; size 3 then 4
    # B: p starts at 1, then 0.8 (zero), then 0.84 (demand); size 2 -> 3
    out = point(TSB(alpha=0.5, beta=0.2), panel=IPANEL)
    np.testing.assert_allclose(out[:, 0], [0.24192 * 4, 0.84 * 3, 0.0])


def test_intermittent_parameters_are_validated():
    with pytest.raises(SkillcastConfigError, match="variant"):
        Croston(variant="syntetos").fit(IPANEL)
    with pytest.raises(SkillcastConfigError, match="alpha"):
        Croston(alpha=0).fit(IPANEL)
    with pytest.raises(SkillcastConfigError, match="beta"):
        TSB(beta=1.5).fit(IPANEL)


def test_classify_demand_on_known_patterns():
    y = np.array(
        [
            [5, 6, 5, 6, 5, 6],  # smooth: ADI 1, CV2 0.25 / 30.25
            [1, 10, 1, 10, 1, 10],  # erratic: ADI 1, CV2 20.25 / 30.25
            [0, 5, 0, 5, 0, 6],  # intermittent: ADI 2, CV2 (2/9) / (16/3)^2
            [0, 1, 0, 0, 10, 0],  # lumpy: ADI 3, CV2 20.25 / 30.25
            [0, 0, 0, 0, 0, 0],  # no demand
            [NAN, NAN, 4, 0, 4, 0],  # 4 observed, 2 demands: ADI 2, CV2 0
        ],
        dtype=float,
    )
    out = classify_demand(y)
    assert list(out["demand_class"]) == [
        "smooth",
        "erratic",
        "intermittent",
        "lumpy",
        "none",
        "intermittent",
    ]
    np.testing.assert_allclose(out["adi"], [1, 1, 2, 3, np.inf, 2])
    np.testing.assert_allclose(
        out["cv2"][:4], [0.25 / 30.25, 20.25 / 30.25, (2 / 9) / (16 / 3) ** 2, 20.25 / 30.25]
    )
    assert np.isnan(out["cv2"][4])
    assert list(out["n_observed"]) == [6, 6, 6, 6, 6, 4]


def test_classify_demand_on_panel_keeps_keys_and_cutoffs():
    out = classify_demand(IPANEL)
    assert list(out.columns[:1]) == ["occupation"]
    assert list(out["occupation"]) == ["A", "B", "C"]
    # A: 6 periods, 2 demands -> ADI 3; B: 3 observed, 2 demands -> ADI 1.5
    np.testing.assert_allclose(out["adi"][:2], [3.0, 1.5])
    # ADI exactly at the 1.32 cut-off counts as intermittent
    edge = classify_demand(np.array([[1.0] * 25 + [0.0] * 8, [1.0] * 26 + [0.0] * 7]))
    assert edge["adi"][0] == 1.32
    assert list(edge["demand_class"]) == ["intermittent", "smooth"]


def test_intermittent_forecasters_give_intervals_by_default():
    fc = TSB().fit(IPANEL).predict(2)
    assert {"lower_80", "upper_80", "lower_95", "upper_95"} <= set(fc.frame.columns)
    assert (fc.frame["lower_95"] <= fc.frame["lower_80"]).all()
    assert (fc.frame["upper_80"] <= fc.frame["upper_95"]).all()
    assert (fc.frame[["lower_95", "mean"]].to_numpy() >= 0).all()
