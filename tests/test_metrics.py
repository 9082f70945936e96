import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, SkillcastConfigError, frequency, load_panel
from skillcast import metrics as m
from skillcast.backtest import backtest, compare
from skillcast.models.base import Forecaster

Y = [10.0, 0.0, 5.0, np.nan]
F = [12.0, 0.0, 2.0, 7.0]  # scored errors: 2, 0, -3


def test_point_metrics_by_hand():
    assert m.mae(Y, F) == pytest.approx(5 / 3)
    assert m.rmse(Y, F) == pytest.approx(np.sqrt(13 / 3))
    assert m.wape(Y, F) == pytest.approx(1 / 3)
    assert m.smape(Y, F) == pytest.approx((400 / 22 + 0 + 600 / 7) / 3)  # 0/0 cell -> 0
    assert m.bias(Y, F) == pytest.approx(-1 / 3)
    assert m.relative_bias(Y, F) == pytest.approx(-1 / 15)


def test_zero_denominators():
    assert m.wape([0, 0], [0, 0]) == 0.0
    assert m.wape([0, 0], [1, 0]) == np.inf
    assert m.smape([0, 0], [0, 0]) == 0.0
    assert m.smape([0], [3]) == 200.0
    assert m.relative_bias([0], [-0.0]) == 0.0
    assert np.isnan(m.mae([np.nan], [1.0]))
    with pytest.raises(ValueError, match="differ in length"):
        m.mae([1, 2], [1])


def test_mase_rmsse_by_hand_with_zero_scale_excluded():
    actual = [10, 0, 5, 8, np.nan]
    forecast = [12, 1, 2, 4, 9]
    scale = [1, 0, 3, 2, 1]
    series = ["a", "a", "b", "b", "b"]
    # a: 2/1 (the zero-scale cell is left out); b: mean(3/3, 4/2) = 1.5
    assert m.mase(actual, forecast, scale, series) == pytest.approx((2 + 1.5) / 2)
    # a: sqrt(4/1) = 2; b: sqrt(mean(9/9, 16/4)) = sqrt(2.5)
    assert m.rmsse(actual, forecast, scale, series) == pytest.approx((2 + np.sqrt(2.5)) / 2)
    # one series, one scale: MAE / scale
    assert m.mase(Y, F, 2.0) == pytest.approx(5 / 6)
    assert m.rmsse(Y, F, 2.0) == pytest.approx(np.sqrt(13 / 3) / 2)
    assert np.isnan(m.mase([1.0], [2.0], 0.0))


def test_pinball_coverage_width_by_hand():
    assert m.level_quantiles(80) == pytest.approx((0.1, 0.9))
    assert m.level_quantiles(95) == pytest.approx((0.025, 0.975))
    # y - q = -2, 0, 3
    assert m.pinball(Y, F, 0.1) == pytest.approx((1.8 + 0 + 0.3) / 3)
    assert m.pinball(Y, F, 0.9) == pytest.approx((0.2 + 0 + 2.7) / 3)
    actual, lower, upper = [10, 0, 5, 7], [9, 0, 6, np.nan], [10, 1, 8, 9]
    assert m.coverage(actual, lower, upper) == pytest.approx(2 / 3)  # bounds count as inside
    assert m.interval_width(lower, upper) == pytest.approx(4 / 3)


def test_direction_hit_rate_with_ties():
    origin = [10, 10, 10, 10, 10, np.nan]
    actual = [12, 8, 10, 10, 12, 5]
    forecast = [11, 9, 10, 11, 10, 5]
    # up/up, down/down, flat/flat hit; up/flat and flat/up miss; no origin value: skipped
    assert m.direction_hit_rate(actual, forecast, origin) == pytest.approx(3 / 5)
    # with tol=1 every forecast change is flat: only the two flat actuals are hit
    assert m.direction_hit_rate(actual, forecast, origin, tol=1.0) == pytest.approx(2 / 5)


def test_dissimilarity_index_by_hand():
    assert m.dissimilarity_index([50, 30, 20], [40, 40, 20]) == pytest.approx(0.1)
    assert m.dissimilarity_index([50, 30, 20], [80, 80, 40]) == pytest.approx(0.1)  # shares only
    assert m.dissimilarity_index([1, 0], [0, 1]) == pytest.approx(1.0)
    assert np.isnan(m.dissimilarity_index([5], [7]))
    assert np.isnan(m.dissimilarity_index([0, 0], [1, 2]))


def hand_frame() -> pd.DataFrame:
    p = pd.period_range("2020Q1", periods=3, freq="Q")
    return pd.DataFrame(
        {
            "sector": ["A"] * 4,
            "occupation": ["11", "11", "21", "21"],
            "origin": pd.PeriodIndex([p[0]] * 4),
            "period": pd.PeriodIndex([p[1], p[2], p[1], p[2]]),
            "step": [1, 2, 1, 2],
            "actual": [10.0, 14.0, 20.0, np.nan],
            "mean": [12.0, 12.0, 15.0, 15.0],
            "lower_80": [9.0, 10.0, 14.0, 14.0],
            "upper_80": [13.0, 13.0, 16.0, 16.0],
            "origin_value": [11.0, 11.0, 20.0, 20.0],
            "scale_mae": [2.0, 2.0, 0.0, 0.0],
            "scale_rmse": [2.0, 2.0, 0.0, 0.0],
        }
    )


def test_evaluate_overall_by_hand():
    row = m.evaluate(hand_frame()).iloc[0]
    expected = {
        "n": 3, "n_series": 2, "mae": 3.0, "rmse": np.sqrt(11), "wape": 9 / 44,
        "smape": (400 / 22 + 400 / 26 + 1000 / 35) / 3,
        "mase": 1.0, "rmsse": 1.0, "mase_excluded": 1,  # series 21 has a zero scale
        "bias": -5 / 3, "rel_bias": -5 / 44,
        "pinball_lower_80": 1.1 / 3, "pinball_upper_80": 1.6,
        "coverage_80": 1 / 3, "width_80": 3.0,
        "hit_rate": 1 / 3,  # up/down miss, up/up hit, down/flat miss
        "di": 1 / 9,  # period 2 has one scored occupation: left out
    }  # fmt: skip
    assert list(row.index) == list(expected)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value), name


def test_evaluate_by_step_group_and_series():
    frame = hand_frame()
    by_step = m.evaluate(frame, by="step")
    assert by_step["step"].tolist() == [1, 2]
    assert by_step["n"].tolist() == [2, 1] and by_step["n_series"].tolist() == [2, 1]
    assert by_step["mae"].tolist() == pytest.approx([3.5, 2.0])
    assert by_step["di"].iloc[0] == pytest.approx(1 / 9) and np.isnan(by_step["di"].iloc[1])
    pd.testing.assert_frame_equal(m.metrics_by_step(frame), by_step)
    major = m.evaluate(frame, by={"major": m.prefix("occupation", 1)})
    assert major["major"].tolist() == ["1", "2"]
    assert major["mae"].tolist() == pytest.approx([2.0, 5.0])
    assert major["mase"].iloc[0] == pytest.approx(1.0) and np.isnan(major["mase"].iloc[1])
    assert major["mase_excluded"].tolist() == [0, 1]
    per_series = m.evaluate(frame, by="series")
    assert per_series[["sector", "occupation"]].values.tolist() == [["A", "11"], ["A", "21"]]
    assert per_series["di"].isna().all()  # one occupation per group: DI undefined
    by_origin = m.evaluate(frame, by=["origin"])
    assert isinstance(by_origin["origin"].dtype, pd.PeriodDtype)


def test_evaluate_errors_and_levels():
    frame = hand_frame()
    with pytest.raises(SkillcastConfigError, match="Cannot group by 'region'"):
        m.evaluate(frame, by="region")
    with pytest.raises(SkillcastConfigError, match="level"):
        m.evaluate(frame, levels=[95])
    with pytest.raises(SkillcastConfigError, match="actual"):
        m.evaluate(frame.drop(columns="actual"))
    point = m.evaluate(frame, levels=[])
    assert not any(c.startswith(("pinball", "coverage")) for c in point.columns)
    no_occ = m.evaluate(frame.rename(columns={"occupation": "job"}))
    assert np.isnan(no_occ["di"].item())
    assert m.evaluate(frame, di_column="occupation", direction_tol=5)["hit_rate"].item() == 1.0


@settings(max_examples=40, deadline=None)
@given(
    data=st.lists(
        st.tuples(
            st.integers(0, 2),  # series
            st.floats(0, 100, allow_nan=False, allow_subnormal=False),  # actual
            st.floats(0, 100, allow_nan=False, allow_subnormal=False),  # forecast
            st.floats(0, 100, allow_nan=False, allow_subnormal=False),  # origin value
            st.sampled_from([0.0, 0.5, 2.0, 7.0]),  # scale
            st.floats(0, 20, allow_nan=False, allow_subnormal=False),  # half-width
        ),
        min_size=1,
        max_size=25,
    )
)
def test_evaluate_matches_array_functions(data):
    sid, y, f, o, scale, half = (np.array(c) for c in zip(*data, strict=True))
    frame = pd.DataFrame(
        {
            "occupation": sid.astype(str),
            "origin": pd.Period("2020Q1", "Q"),
            "period": pd.Period("2020Q2", "Q"),
            "step": 1,
            "actual": y,
            "mean": f,
            "lower_80": f - half,
            "upper_80": f + half,
            "origin_value": o,
            "scale_mae": scale,
            "scale_rmse": scale,
        }
    )
    row = m.evaluate(frame).iloc[0]
    assert row["n"] == len(y)
    assert row["mae"] == pytest.approx(m.mae(y, f))
    assert row["rmse"] == pytest.approx(m.rmse(y, f))
    assert row["smape"] == pytest.approx(m.smape(y, f))
    assert row["bias"] == pytest.approx(m.bias(y, f))
    assert row["pinball_lower_80"] == pytest.approx(m.pinball(y, f - half, 0.1))
    assert row["coverage_80"] == pytest.approx(m.coverage(y, f - half, f + half))
    assert row["hit_rate"] == pytest.approx(m.direction_hit_rate(y, f, o))
    assert row["mase"] == pytest.approx(m.mase(y, f, scale, sid), nan_ok=True)
    assert row["rmsse"] == pytest.approx(m.rmsse(y, f, scale, sid), nan_ok=True)
    unscaled = pd.Series(scale == 0).groupby(sid).any().sum()
    assert row["mase_excluded"] == unscaled
    if y.sum() > 0:
        assert row["wape"] == pytest.approx(m.wape(y, f))
        # the identity WAPE = MAE * n / sum |y|
        assert m.wape(y, f) == pytest.approx(m.mae(y, f) * len(y) / np.abs(y).sum())
    totals = pd.DataFrame({"s": sid, "y": y, "f": f}).groupby("s").sum()
    assert row["di"] == pytest.approx(m.dissimilarity_index(totals["y"], totals["f"]), nan_ok=True)
    assert 0 <= row["coverage_80"] <= 1 and 0 <= row["smape"] <= 200


class SeasonalRepeat(Forecaster):
    """Repeats the last full season; no intervals."""

    def __init__(self, levels: tuple[int, ...] = ()) -> None:
        self.levels = levels

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        self.season_ = y[:, -panel.freq.season_length :]

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        reps = -(-horizon // self.season_.shape[1])
        return np.tile(self.season_, reps)[:, :horizon]


class Offset(SeasonalRepeat):
    def __init__(self, offset: float = 0.0, levels: tuple[int, ...] = ()) -> None:
        self.offset = offset
        self.levels = levels

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return super()._predict_dense(horizon, exog) + self.offset


def trend_panel(intercepts: list[float], slopes: list[float], freq: str, n: int) -> Panel:
    f = frequency(freq)
    grid = f.labels(pd.period_range("2015-01", periods=n, freq=f.pandas_freq))
    df = pd.DataFrame(
        [
            {"sector": "S", "occupation": f"{i}1", "period": grid[t], "employment": a + b * t}
            for i, (a, b) in enumerate(zip(intercepts, slopes, strict=True))
            for t in range(n)
        ]
    )
    return load_panel(df, PanelSpec(freq=freq, keys=("sector", "occupation"), taxonomies={}))


@settings(max_examples=15, deadline=None)
@given(
    freq=st.sampled_from(["semiannual", "quarterly"]),
    intercepts=st.lists(st.integers(0, 500), min_size=1, max_size=3),
    slope=st.integers(1, 30),
    data=st.data(),
)
def test_mase_of_seasonal_naive_on_linear_trends_is_one(freq, intercepts, slope, data):
    # on y = a + b t, seasonal-naive errors out of sample equal the in-sample ones: m * b
    season = frequency(freq).season_length
    horizon = data.draw(st.integers(1, season))
    n_windows = data.draw(st.integers(1, 3))
    slopes = [slope * (i + 1) for i in range(len(intercepts))]
    panel = trend_panel([float(a) for a in intercepts], slopes, freq, 2 * season + 6)
    row = m.evaluate(backtest(SeasonalRepeat(), panel, horizon, n_windows)).iloc[0]
    assert row["mase"] == pytest.approx(1.0)
    assert row["rmsse"] == pytest.approx(1.0)
    assert row["mae"] == pytest.approx(season * np.mean(slopes))
    assert row["mase_excluded"] == 0


def test_compare_ranks_forecasters_by_mase():
    panel = trend_panel([100.0, 200.0], [2.0, 4.0], "semiannual", 10)
    models = {"far": Offset(offset=-30.0), "seasonal": SeasonalRepeat(), "near": Offset(-5.0)}
    table = compare(models, panel, horizon=2, n_windows=3)
    assert table["model"].tolist() == ["seasonal", "near", "far"]
    assert table["mase"].is_monotonic_increasing
    assert table["mase"].iloc[0] == pytest.approx(1.0)
    alone = m.evaluate(backtest(Offset(-5.0), panel, horizon=2, n_windows=3))
    pd.testing.assert_frame_equal(
        table.iloc[[1], 1:].reset_index(drop=True), alone, check_dtype=False
    )
    by_step = compare(models, panel, horizon=2, n_windows=3, by="step")
    assert by_step[["step", "model"]].values.tolist() == [
        [1, "seasonal"], [1, "near"], [1, "far"], [2, "seasonal"], [2, "near"], [2, "far"],
    ]  # fmt: skip
    with pytest.raises(SkillcastConfigError, match="at least one"):
        compare({}, panel, horizon=1, n_windows=1)
