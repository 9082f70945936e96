"""Rolling-origin backtests: refit (or update) a forecaster at a series of origins.

Windows are laid out back from the end of the panel by the rolling-origin engine
(:mod:`skillcast.models.validation`, shared with validation weights and conformal
calibration): the last origin is the last period minus ``horizon`` (so its forecasts
end at the last period), earlier origins step back by ``step`` periods. At each origin
the forecaster sees only the rows up to and including the origin, and forecasts the
next ``horizon`` periods, which are then joined with what actually happened.
:func:`compare` backtests several forecasters on the same windows and ranks them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.forecast import interval_columns
from skillcast.metrics import GroupSpec, evaluate
from skillcast.metrics.tables import level_order
from skillcast.models.base import Forecaster
from skillcast.models.validation import fit_until, future_exog, origin_positions, training_scales
from skillcast.panel import Panel


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
        return evaluate(self, by=by, **kwargs)  # type: ignore[arg-type]


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

    When ``panel.spec.known_exog`` is non-empty, ``predict`` receives ``exog``: one row
    per series and forecast period (after the origin) with the key columns, the period
    column and the known-in-advance columns only (NaN where the panel has no value;
    :func:`~skillcast.models.validation.future_exog`); observed-only drivers are never
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
    positions = origin_positions(panel.n_periods, horizon, n_windows, step)
    origins = panel.periods[positions]
    model: Forecaster | None = None
    updated = False
    windows = []
    for pos, origin in zip(positions, origins, strict=True):
        if refit or model is None or not model.updatable:
            train, model = fit_until(forecaster, panel, int(pos))
        else:
            train = panel.until(origin)
            model = model.update(train)
            updated = True
        windows.append(_forecast_window(model, panel, train, origin, horizon))
    levels = tuple(sorted({level for _, window_levels in windows for level in window_levels}))
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
    # the training panel ends at its last row; if no series reports at the origin itself,
    # forecast through the gap and keep only the periods after the origin
    gap = int(panel.freq.steps(pd.PeriodIndex([origin]), train.periods[-1])[0])
    last = int(panel.freq.steps(pd.PeriodIndex([train.periods[-1]]), panel.periods[0])[0])
    forecast = model.predict(horizon + gap, exog=future_exog(panel, last, horizon + gap))
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


def compare(
    forecasters: Mapping[str, Forecaster],
    panel: Panel,
    horizon: int,
    n_windows: int,
    step: int = 1,
    by: GroupSpec = None,
    *,
    refit: bool = True,
    levels: Sequence[int] | None = None,
    di_column: str = "occupation",
) -> pd.DataFrame:
    """Backtest every forecaster on the same windows and tabulate :func:`evaluate`.

    One row per forecaster (per forecaster and group when ``by`` is given), a ``model``
    column holding the dict key first, sorted by MASE (within each group when grouped;
    undefined MASE last).
    """
    if not forecasters:
        raise SkillcastConfigError("compare needs at least one forecaster.")
    tables = []
    for name, forecaster in forecasters.items():
        result = backtest(forecaster, panel, horizon, n_windows, step=step, refit=refit)
        table = evaluate(result, by=by, levels=levels, di_column=di_column)
        tables.append(table.assign(model=name))
    out = pd.concat(tables, ignore_index=True)
    group_names = list(tables[0].columns[: list(tables[0].columns).index("n")])
    bounds = [c for c in out.columns if c.startswith(("pinball", "coverage", "width"))]
    head = ["n", "n_series", "mae", "rmse", "wape", "smape", "mase", "rmsse", "mase_excluded"]
    order = [*head, "bias", "rel_bias", *sorted(bounds, key=level_order), "hit_rate", "di"]
    out = out[["model", *group_names, *order]]
    out = out.sort_values([*group_names, "mase"], kind="stable", na_position="last")
    return out.reset_index(drop=True)
