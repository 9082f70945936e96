"""Rolling-origin backtests: refit (or update) a forecaster at a series of origins.

Windows are laid out back from the end of the panel: the last origin is the last period
minus ``horizon`` (so its forecasts end at the last period), earlier origins step back
by ``step`` periods. At each origin the forecaster sees only the rows up to and
including the origin, and forecasts the next ``horizon`` periods, which are then
joined with what actually happened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import Forecaster, interval_columns
from skillcast.panel import Panel

if TYPE_CHECKING:
    from skillcast.metrics import GroupSpec


@dataclass
class BacktestResult:
    """Forecasts of every window joined with actuals.

    Attributes:
        frame: long frame, one row per (window, series, step) for every series present
            at the window's origin: the key columns, ``origin`` and ``period`` (pandas
            Period), ``step`` (1..horizon), ``actual`` (NaN where the panel has no value:
            such cells are not scored), ``mean``, ``lower_<l>``/``upper_<l>`` per level,
            ``origin_value`` (the series' value at the origin), ``scale_mae`` and
            ``scale_rmse`` (in-sample seasonal-naive MAE and RMSE of the series on the
            training part up to the origin; the MASE and RMSSE denominators). Sorted by
            origin, keys, step. ``frame.attrs["keys"]`` names the key columns.
        panel: the panel backtested.
        horizon: steps forecast at each origin.
        origins: the forecast origins, oldest first.
        step: periods between consecutive origins.
        levels: interval levels in the frame.
        model: the forecaster's class name.
        refit: whether the forecaster was re-estimated at every origin.
        updated: whether later origins used the forecaster's ``update`` method (only
            when ``refit=False`` and the forecaster has one).
    """

    frame: pd.DataFrame
    panel: Panel
    horizon: int
    origins: pd.PeriodIndex
    step: int = 1
    levels: tuple[int, ...] = ()
    model: str = ""
    refit: bool = True
    updated: bool = field(default=False)

    @property
    def keys(self) -> list[str]:
        return list(self.panel.spec.keys)

    @property
    def n_windows(self) -> int:
        return len(self.origins)

    def evaluate(self, by: GroupSpec = None, **kwargs: object) -> pd.DataFrame:
        """Shortcut for :func:`skillcast.metrics.evaluate` on this result."""
        from skillcast.metrics import evaluate

        return evaluate(self, by=by, **kwargs)  # type: ignore[arg-type]


def window_origins(n_periods: int, horizon: int, n_windows: int, step: int = 1) -> np.ndarray:
    """Positions of the origins, oldest first: the last is ``n_periods - 1 - horizon``."""
    last = n_periods - 1 - horizon
    return last - step * np.arange(n_windows - 1, -1, -1, dtype=np.int64)


def backtest(
    forecaster: Forecaster,
    panel: Panel,
    horizon: int,
    n_windows: int,
    step: int = 1,
    refit: bool = True,
    *,
    min_train: int = 2,
) -> BacktestResult:
    """Rolling-origin backtest of ``forecaster`` on ``panel``.

    Args:
        forecaster: an unfitted (or fitted: it is cloned, never changed) forecaster.
        panel: the full history.
        horizon: periods forecast at each origin (>= 1).
        n_windows: number of origins (>= 1).
        step: periods between consecutive origins (>= 1). With ``step < horizon`` the
            forecast periods of neighbouring windows overlap; their training data never
            reaches past their own origin.
        refit: ``True`` fits a fresh clone at every origin. ``False`` fits once at the
            first origin and, at later origins, hands the data up to that origin to the
            fitted model's ``update(panel)`` method, which must condition on the new data
            without re-estimating parameters. A forecaster without ``update`` is refitted
            at every origin instead (``result.updated`` is then ``False``).
        min_train: periods the first window must have up to its origin.

    When ``panel.spec.known_exog`` is non-empty, ``predict`` receives ``exog``: the
    panel's rows for the forecast periods (after the origin) with the key columns, the
    period column and the known-in-advance columns only; observed-only drivers are never
    passed. Series whose first row comes after an origin produce no rows for that window.

    Raises:
        SkillcastConfigError: bad arguments, or a panel too short for the windows.
    """
    horizon, n_windows = _positive(horizon, "horizon"), _positive(n_windows, "n_windows")
    step, min_train = _positive(step, "step"), _positive(min_train, "min_train")
    if not isinstance(forecaster, Forecaster):
        raise SkillcastConfigError(
            f"backtest needs a skillcast Forecaster, got {type(forecaster).__name__}."
        )
    needed = horizon + step * (n_windows - 1) + min_train
    if panel.n_periods < needed:
        raise SkillcastConfigError(
            f"The panel has {panel.n_periods} period(s); {n_windows} window(s) of horizon "
            f"{horizon} every {step} period(s) with {min_train} training period(s) need at "
            f"least {needed}. Shorten the horizon, use fewer windows or a smaller step."
        )
    positions = window_origins(panel.n_periods, horizon, n_windows, step)
    origins = panel.periods[positions]
    model: Forecaster | None = None
    updated = False
    windows = []
    for origin in origins:
        train = panel.until(origin)
        if refit or model is None:
            model = clone(forecaster).fit(train)
        elif callable(getattr(model, "update", None)):
            model = model.update(train) or model
            updated = True
        else:  # no way to condition without re-estimating: refit, as documented
            model = clone(forecaster).fit(train)
        windows.append(_forecast_window(model, panel, train, origin, horizon))
    levels = tuple(sorted({lv for _, lv in windows for lv in lv}))
    frame = _join_actuals(panel, [w for w, _ in windows], positions, levels)
    return BacktestResult(
        frame=frame,
        panel=panel,
        horizon=horizon,
        origins=origins,
        step=step,
        levels=levels,
        model=type(forecaster).__name__,
        refit=refit,
        updated=updated,
    )


def _positive(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SkillcastConfigError(f"{name} must be a positive integer, got {value!r}.")
    return int(value)


def _forecast_window(
    model: Forecaster, panel: Panel, train: Panel, origin: pd.Period, horizon: int
) -> tuple[pd.DataFrame, tuple[int, ...]]:
    """Forecast the ``horizon`` periods after ``origin`` from a model fitted on ``train``."""
    spec = panel.spec
    # the training panel ends at its last row; if no series reports at the origin itself,
    # forecast through the gap and keep only the periods after the origin
    gap = int(panel.freq.steps(pd.PeriodIndex([origin]), train.periods[-1])[0])
    exog = None
    if spec.known_exog:
        col = panel.frame[spec.period]
        rows = (col > train.periods[-1]) & (col <= origin + horizon)
        exog = panel.frame.loc[rows, [*spec.keys, spec.period, *spec.known_exog]]
        exog = exog.reset_index(drop=True)
    forecast = model.predict(horizon + gap, exog=exog)
    frame = forecast.frame
    if len(frame) and frame["period"].min() != train.periods[-1] + 1:
        raise SkillcastConfigError(
            f"{type(model).__name__} forecast from {frame['period'].min()} after seeing data "
            f"up to {train.periods[-1]}: forecasts must start right after the last period "
            "of the panel given to fit (or to update)."
        )
    if gap:
        frame = frame.loc[frame["period"] > origin].reset_index(drop=True)
    return frame.assign(origin=origin), tuple(forecast.levels)


def _join_actuals(
    panel: Panel, frames: list[pd.DataFrame], positions: np.ndarray, levels: tuple[int, ...]
) -> pd.DataFrame:
    """Stack window forecasts and add actuals, the origin value and the MASE scales."""
    keys = list(panel.spec.keys)
    window = np.repeat(np.arange(len(frames)), [len(f) for f in frames])
    frame = pd.concat(frames, ignore_index=True)
    series = panel.series.assign(_sid=np.arange(panel.n_series))
    sid = frame[keys].merge(series, on=keys, how="left", validate="many_to_one")["_sid"]
    sid = sid.to_numpy(dtype=np.int64)
    pos = panel.freq.steps(frame["period"], panel.periods[0])
    origin_pos = positions[window]
    y = panel.dense()
    scale_mae, scale_rmse = training_scales(y, positions, panel.freq.season_length)
    bounds = [c for lv in levels for c in interval_columns(lv)]
    for column in bounds:
        if column not in frame:
            frame[column] = np.nan
    out = frame[keys].assign(
        origin=frame["origin"].astype(panel.periods.dtype),
        period=frame["period"].astype(panel.periods.dtype),
        step=(pos - origin_pos).astype(np.int64),
        actual=y[sid, pos],
        mean=frame["mean"].to_numpy(dtype=float),
        **{c: frame[c].to_numpy(dtype=float) for c in bounds},
        origin_value=y[sid, origin_pos],
        scale_mae=scale_mae[sid, window],
        scale_rmse=scale_rmse[sid, window],
    )
    out = out.sort_values(["origin", *keys, "step"], kind="stable", ignore_index=True)
    out.attrs["keys"] = keys
    return out


def training_scales(
    y: np.ndarray, origins: object = None, season_length: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """In-sample seasonal-naive MAE and RMSE of each series up to each origin.

    ``y`` is (series x periods), NaN where unobserved; ``origins`` are period positions
    (default: the last). Differences y[t] - y[t - season_length] with t <= origin are
    used; a series with no such pair falls back to lag-1 differences, and one with
    neither gets NaN. Returns two (series x origins) arrays.
    """
    y = np.asarray(y, dtype=float)
    origins = np.atleast_1d(np.asarray(y.shape[1] - 1 if origins is None else origins))
    stats = [_cumulative_diffs(y, lag, origins) for lag in dict.fromkeys((season_length, 1))]
    n, s_abs, s_sq = stats[0]
    if len(stats) > 1:  # lag-1 where the seasonal lag has no pair yet
        short = n == 0
        n, s_abs, s_sq = (np.where(short, b, a) for a, b in zip(stats[0], stats[1], strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s_abs / n, np.nan), np.where(n > 0, np.sqrt(s_sq / n), np.nan)


def _cumulative_diffs(
    y: np.ndarray, lag: int, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum |d| and sum d^2 of lag-``lag`` differences up to each origin."""
    d = y[:, lag:] - y[:, :-lag] if y.shape[1] > lag else np.zeros((y.shape[0], 0))
    ok = np.isfinite(d)
    # column j of the cumulative sums holds the differences ending at or before j + lag
    cums = [
        np.cumsum(x, axis=1) for x in (ok, np.where(ok, np.abs(d), 0.0), np.where(ok, d * d, 0.0))
    ]
    idx = origins - lag
    take = (idx >= 0) & (idx < d.shape[1])
    out = []
    for c in cums:
        vals = np.zeros((y.shape[0], origins.size))
        vals[:, take] = c[:, idx[take]]
        out.append(vals)
    return out[0], out[1], out[2]
