import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import Panel, PanelSpec, SkillcastConfigError, frequency, load_panel
from skillcast.backtest import BacktestResult, backtest
from skillcast.metrics import evaluate
from skillcast.models.base import Forecaster
from skillcast.models.validation import origin_positions, training_scales


class Log:
    """Shared record of what the clones of a forecaster saw (survives sklearn.clone)."""

    def __init__(self) -> None:
        self.fits: list[Panel] = []
        self.updates: list[Panel] = []
        self.predicts: list[tuple[int, pd.DataFrame | None]] = []

    def __deepcopy__(self, memo: dict) -> "Log":
        return self


class LastValue(Forecaster):
    """Repeats each series' last observed value; bounds mean -/+ level / 10."""

    def __init__(self, levels: tuple[int, ...] = (80,), log: Log | None = None) -> None:
        self.levels = levels
        self.log = log

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        if self.log is not None:
            self.log.fits.append(panel)
        self.last_ = pd.DataFrame(y).ffill(axis=1).to_numpy()[:, -1]

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        if self.log is not None:
            self.log.predicts.append((horizon, None if exog is None else exog.copy()))
        return np.repeat(self.last_[:, None], horizon, axis=1)

    def _calibration(self, panel: Panel, validation: object) -> None:
        return None  # fixed bounds below: nothing to calibrate (and no extra fits in the log)

    def _bounds(self, mean: np.ndarray, horizon: int, exog: object) -> dict:
        return {lv: (mean - lv / 10, mean + lv / 10) for lv in self.levels}


class Updatable(LastValue):
    """LastValue whose update conditions on new data without refitting."""

    updatable = True

    def update(self, panel: Panel) -> "Updatable":
        self.log.updates.append(panel)
        self.panel_ = panel
        self.last_ = pd.DataFrame(panel.dense()).ffill(axis=1).to_numpy()[:, -1]
        return self


def labels(freq: str, n: int, start: str = "2015-01") -> list[str]:
    f = frequency(freq)
    return list(f.labels(pd.period_range(start, periods=n, freq=f.pandas_freq)))


def make_panel(
    series: dict[tuple[str, str], tuple[int, list[float]]],
    freq: str = "quarterly",
    n_periods: int | None = None,
    **spec: object,
) -> Panel:
    """Panel from {(sector, occupation): (start position, values)}."""
    n = n_periods or max(s + len(v) for s, v in series.values())
    grid = labels(freq, n)
    rows = [
        {"sector": sec, "occupation": occ, "period": grid[start + i], "employment": v}
        for (sec, occ), (start, values) in series.items()
        for i, v in enumerate(values)
    ]
    df = pd.DataFrame(rows)
    for col in (*spec.get("known_exog", ()), *spec.get("observed_exog", ())):
        df[col] = np.arange(len(df), dtype=float) * 10 + len(col)
    return load_panel(
        df, PanelSpec(freq=freq, keys=("sector", "occupation"), taxonomies={}, **spec)
    )


def simple_panel(n: int = 8) -> Panel:
    return make_panel(
        {
            ("A", "11"): (0, [10.0 + t for t in range(n)]),
            ("B", "21"): (0, [50.0 - 2 * t for t in range(n)]),
            ("B", "22"): (3, [5.0] * (n - 3)),  # starts at position 3
        }
    )


def test_windows_frame_and_actuals_by_hand():
    panel = simple_panel(8)
    result = backtest(LastValue(), panel, horizon=2, n_windows=3, step=2)
    assert isinstance(result, BacktestResult)
    # last origin = position 7 - 2 = 5; then 3, 1
    assert list(result.origins) == list(panel.periods[[1, 3, 5]])
    f = result.frame
    assert list(f.columns) == [
        "sector", "occupation", "origin", "period", "step", "actual", "mean",
        "lower_80", "upper_80", "origin_value", "scale_mae", "scale_rmse",
    ]  # fmt: skip
    # series B/22 starts at position 3: absent from the first window
    assert len(f) == 2 * 2 + 3 * 2 + 3 * 2
    w = f[(f["origin"] == panel.periods[3]) & (f["occupation"] == "11")]
    assert w["period"].tolist() == list(panel.periods[[4, 5]])
    assert w["step"].tolist() == [1, 2]
    assert w["actual"].tolist() == [14.0, 15.0]
    assert w["mean"].tolist() == [13.0, 13.0]
    assert w["lower_80"].tolist() == [5.0, 5.0] and w["upper_80"].tolist() == [21.0, 21.0]
    assert w["origin_value"].tolist() == [13.0, 13.0]
    # quarterly: season 4; positions 0..3 give no lag-4 pair, so lag-1 differences: |1|
    assert w["scale_mae"].tolist() == [1.0, 1.0]
    b = f[(f["origin"] == panel.periods[5]) & (f["occupation"] == "21")]
    assert b["actual"].tolist() == [38.0, 36.0] and b["mean"].tolist() == [40.0, 40.0]
    assert b["scale_mae"].tolist() == [8.0, 8.0]  # lag-4 differences of a -2 slope
    assert result.horizon == 2 and result.levels == (80,) and result.model == "LastValue"
    assert result.keys == ["sector", "occupation"] and f.attrs["keys"] == result.keys


def test_window_origins_positions():
    assert origin_positions(10, 3, 3, 2).tolist() == [2, 4, 6]
    assert origin_positions(10, 1, 1).tolist() == [8]


def test_too_short_panel_says_how_many_periods_are_needed():
    panel = simple_panel(8)
    # 3 + 2 * (3 - 1) + 2 = 9 periods needed
    with pytest.raises(SkillcastConfigError, match=r"has 8 period\(s\).*at least 9"):
        backtest(LastValue(), panel, horizon=3, n_windows=3, step=2)
    backtest(LastValue(), panel, horizon=3, n_windows=2, step=2)  # 7 needed: fine


@pytest.mark.parametrize(
    "kwargs", [{"horizon": 0}, {"n_windows": 0}, {"step": 0}, {"horizon": 1.5}, {"step": True}]
)
def test_bad_arguments(kwargs):
    args = {"horizon": 1, "n_windows": 1, "step": 1} | kwargs
    with pytest.raises(SkillcastConfigError, match="positive integer"):
        backtest(LastValue(), simple_panel(), **args)


def test_forecaster_is_cloned_not_fitted():
    model = LastValue()
    backtest(model, simple_panel(), horizon=1, n_windows=2)
    assert not hasattr(model, "panel_")


@settings(max_examples=30, deadline=None)
@given(
    freq=st.sampled_from(["semiannual", "quarterly", "annual"]),
    n_periods=st.integers(3, 13),
    starts=st.lists(st.integers(0, 6), min_size=1, max_size=3),
    horizon=st.integers(1, 4),
    n_windows=st.integers(1, 4),
    step=st.integers(1, 3),
)
def test_windows_never_train_past_their_origin(freq, n_periods, starts, horizon, n_windows, step):
    rng = np.random.default_rng(n_periods * 31 + sum(starts))
    series = {}
    for i, s in enumerate(starts):
        start = min(s, n_periods - 1)
        series["S", str(i)] = (start, list(rng.integers(0, 50, n_periods - start).astype(float)))
    panel = make_panel(series, freq=freq, n_periods=n_periods)
    n = panel.n_periods
    log = Log()
    needed = horizon + step * (n_windows - 1) + 2
    if n < needed:
        with pytest.raises(SkillcastConfigError, match=f"at least {needed}"):
            backtest(LastValue(log=log), panel, horizon, n_windows, step)
        return
    result = backtest(LastValue(log=log), panel, horizon, n_windows, step)
    positions = [n - 1 - horizon - step * k for k in range(n_windows)][::-1]
    assert list(result.origins) == list(panel.periods[positions])
    assert panel.periods[-1] == result.origins[-1] + horizon  # last window ends at the end
    assert len(log.fits) == n_windows
    first, _ = panel.first_last()
    y = panel.dense()
    for fitted, origin, pos in zip(log.fits, result.origins, positions, strict=True):
        # the training data ends exactly at the origin, before the first forecast period
        assert fitted.frame["period"].max() == origin == fitted.periods[-1]
        w = result.frame[result.frame["origin"] == origin]
        assert (w["period"] > origin).all() and w["period"].min() == origin + 1
        assert (w["period"] == origin + w["step"]).all()
        assert len(w) == int((first <= pos).sum()) * horizon
        assert sorted(set(w["step"])) == list(range(1, horizon + 1))
        present = np.flatnonzero(first <= pos)
        assert w["occupation"].astype(int).drop_duplicates().tolist() == present.tolist()
        sid = w["occupation"].astype(int).to_numpy()
        np.testing.assert_array_equal(w["actual"], y[sid, pos + w["step"].to_numpy()])
        # scales equal a direct computation on the training part only
        ref = _reference_scale(fitted.dense(), panel.freq.season_length)
        got = w.groupby("occupation", sort=True)["scale_mae"].first().to_numpy()
        np.testing.assert_allclose(got, ref, equal_nan=True)


def _reference_scale(y: np.ndarray, m: int) -> np.ndarray:
    out = []
    for row in y:  # a plain per-series loop: an independent check of the vectorised code
        for lag in (m, 1):
            d = [abs(row[t] - row[t - lag]) for t in range(lag, len(row))]
            d = [x for x in d if not np.isnan(x)]
            if d:
                out.append(np.mean(d))
                break
        else:
            out.append(np.nan)
    return np.array(out)


def test_training_scales_by_hand():
    y = np.array([[1.0, 3, 2, 6, 4], [1.0, np.nan, 2, 6, 4], [5.0, 5, 5, 5, 5]])
    mae, rmse = training_scales(y, [0, 1, 2, 4], season_length=2)
    # series 0 at origin 4: lag-2 differences 1, 3, 2; at origin 1 only lag-1: 2
    np.testing.assert_allclose(mae[0], [np.nan, 2, 1, 2])
    np.testing.assert_allclose(rmse[0], [np.nan, 2, 1, np.sqrt(14 / 3)])
    np.testing.assert_allclose(mae[1], [np.nan, np.nan, 1, 1.5])  # the NaN pair is skipped
    np.testing.assert_allclose(mae[2], [np.nan, 0, 0, 0])
    last_mae, _ = training_scales(y, season_length=2)
    np.testing.assert_allclose(last_mae[:, 0], [2, 1.5, 0])


def test_known_exog_for_target_periods_and_never_observed_only():
    panel = make_panel(
        {("A", "11"): (0, [1.0] * 8), ("A", "12"): (2, [2.0] * 6)},
        known_exog=("plan",),
        observed_exog=("ads",),
    )
    log = Log()
    result = backtest(LastValue(log=log), panel, horizon=2, n_windows=3)
    assert len(log.predicts) == 3
    for (horizon, exog), origin in zip(log.predicts, result.origins, strict=True):
        assert horizon == 2
        assert list(exog.columns) == ["sector", "occupation", "period", "plan"]
        assert sorted(set(exog["period"])) == [origin + 1, origin + 2]
        expected = panel.frame.loc[
            panel.frame["period"].isin([origin + 1, origin + 2]),
            ["sector", "occupation", "period", "plan"],
        ].reset_index(drop=True)
        pd.testing.assert_frame_equal(exog, expected)
    # no known exog: predict gets None
    log2 = Log()
    backtest(LastValue(log=log2), simple_panel(), horizon=1, n_windows=2)
    assert [e for _, e in log2.predicts] == [None, None]


def test_refit_false_updates_without_refitting():
    panel = simple_panel(8)
    log = Log()
    result = backtest(Updatable(log=log), panel, horizon=1, n_windows=3, refit=False)
    assert len(log.fits) == 1 and len(log.updates) == 2 and result.updated
    assert [p.periods[-1] for p in log.updates] == list(result.origins[1:])
    a = result.frame[result.frame["occupation"] == "11"]
    assert a["mean"].tolist() == [14.0, 15.0, 16.0]  # conditions on the newest data
    # no update method: refit at every origin
    log2 = Log()
    plain = backtest(LastValue(log=log2), panel, horizon=1, n_windows=3, refit=False)
    assert len(log2.fits) == 3 and not plain.updated
    pd.testing.assert_frame_equal(plain.frame, result.frame)


class Stale(LastValue):
    updatable = True

    def update(self, panel: Panel) -> "Stale":
        return self  # forgets to move to the new data


def test_update_that_ignores_new_data_is_caught():
    with pytest.raises(SkillcastConfigError, match="must start right after"):
        backtest(Stale(), simple_panel(), horizon=1, n_windows=2, refit=False)


def test_origin_with_no_reports_forecasts_through_the_gap():
    # A reports at positions 0..3, B from 5 on: nobody reports at origin position 4
    panel = make_panel({("A", "11"): (0, [1.0, 2, 3, 4]), ("B", "21"): (5, [7.0] * 5)})
    assert panel.n_periods == 10
    log = Log()
    result = backtest(LastValue(log=log), panel, horizon=2, n_windows=2)
    assert list(result.origins) == list(panel.periods[[6, 7]])
    log = Log()
    first = backtest(LastValue(log=log), panel, horizon=2, n_windows=4)
    assert log.fits[0].periods[-1] == panel.periods[3]  # origin 4: data up to position 3
    w = first.frame[first.frame["origin"] == panel.periods[4]]
    assert w["occupation"].tolist() == ["11", "11"]  # B starts after this origin
    assert w["period"].tolist() == list(panel.periods[[5, 6]])
    assert w["step"].tolist() == [1, 2] and w["mean"].tolist() == [4.0, 4.0]
    assert w["actual"].isna().all()


def test_missing_actuals_stay_nan_and_are_not_scored():
    df = pd.DataFrame(
        {
            "sector": ["A"] * 6 + ["B"] * 4,
            "occupation": ["11"] * 6 + ["21"] * 4,
            "period": labels("semiannual", 6) + labels("semiannual", 4),
            "employment": [1, 2, 3, 4, None, 6, 10, 10, 10, 10],
        }
    )
    spec = PanelSpec(keys=("sector", "occupation"), gaps="missing", taxonomies={})
    panel = load_panel(df, spec)
    result = backtest(LastValue(levels=()), panel, horizon=2, n_windows=1)
    f = result.frame
    # origin 2016-H2 (position 3); series B ended there: its target cells have no actual
    assert f["actual"].isna().tolist() == [True, False, True, True]
    assert f["mean"].tolist() == [4.0, 4.0, 10.0, 10.0]
    table = evaluate(result)
    assert table["n"].item() == 1 and table["mae"].item() == 2.0
    assert table["n_series"].item() == 1
    assert table["mase"].item() == pytest.approx(2.0 / 2.0)  # semi-annual lag-2 scale: 2


def test_seasonal_naive_baseline_scores_mase_one_on_trend_plus_season():
    from skillcast.models.baselines import Naive, SeasonalNaive

    t = np.arange(12)
    panel = make_panel(
        {
            ("A", "11"): (0, list(100 + 2.0 * t + 10 * (t % 2))),
            ("A", "12"): (0, list(50 + 4.0 * t)),
        },
        freq="semiannual",
    )
    result = backtest(SeasonalNaive(levels=()), panel, horizon=2, n_windows=4)
    table = evaluate(result)
    # seasonal-naive errors are 2 * slope per step, exactly the in-sample scale
    assert table["mase"].item() == pytest.approx(1.0)
    assert table["rmsse"].item() == pytest.approx(1.0)
    naive = evaluate(backtest(Naive(levels=()), panel, horizon=2, n_windows=4))
    assert naive["mase"].item() > 1.0


def test_result_evaluate_shortcut():
    result = backtest(LastValue(), simple_panel(), horizon=2, n_windows=2)
    pd.testing.assert_frame_equal(result.evaluate(by="step"), evaluate(result, by="step"))
