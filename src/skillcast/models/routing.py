"""Rolling-origin validation inside the training data, and what is learned from it.

:class:`~skillcast.models.ensemble.Ensemble` and
:class:`~skillcast.models.auto.AutoForecaster` weight and route their members by how
they forecast from earlier origins of the panel they are fitted on (never beyond it),
and calibrate their intervals on the residuals of the combined forecast. This module
holds the shared pieces: the validation origins, member forecasts from them, per-group
errors, inverse-error and least-error convex weights, series groups (``by``) and
conformal calibration from a stack of forecasts.

Errors per series are MASE terms (|error| over the series' in-sample seasonal-naive MAE
up to the origin, as :mod:`skillcast.metrics` scores backtests) or WAPE terms; a
group's error is the mean of its series' MASE, or its WAPE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.intervals import ConformalCalibration, calibration_origins
from skillcast.panel import Panel

if TYPE_CHECKING:
    from skillcast.models.base import Forecaster

METRICS = ("mase", "wape")


def future_exog(panel: Panel, origin: int, horizon: int) -> pd.DataFrame | None:
    """Known-in-advance drivers of the ``horizon`` periods after position ``origin``.

    One row per series and period (NaN where the panel has no value), so a forecast
    from a validation origin finds a value for every series, even one that stopped
    reporting.
    """
    spec = panel.spec
    stop = min(int(origin) + 1 + horizon, panel.n_periods)
    if not spec.known_exog or stop <= origin + 1:
        return None
    periods = panel.periods[int(origin) + 1 : stop]
    n = panel.n_series
    frame = panel.series.loc[np.repeat(np.arange(n), len(periods))].reset_index(drop=True)
    frame[spec.period] = np.tile(np.asarray(periods), n)
    for column in spec.known_exog:
        frame[column] = panel.dense(column)[:, int(origin) + 1 : stop].reshape(-1)
    return frame


def rolling_origins(
    forecaster: Forecaster, panel: Panel, windows: int | None = None, horizon: int | None = None
) -> tuple[list[int], int]:
    """Validation origins (positions, oldest first) and horizon inside ``panel``.

    Defaults come from the forecaster's ``calibration_windows`` and
    ``calibration_horizon`` (``None``: twice the season length, at least 4). The last
    origin lies ``horizon`` periods before the panel's end.
    """
    windows = int(forecaster.calibration_windows if windows is None else windows)
    wanted = forecaster.calibration_horizon if horizon is None else horizon
    wanted = max(4, 2 * panel.freq.season_length) if wanted is None else int(wanted)
    if wanted < 1:
        raise SkillcastConfigError(f"validation horizon must be >= 1, got {wanted!r}")
    return calibration_origins(panel.n_periods, windows, wanted)


def rolling_forecasts(
    forecaster: Forecaster, panel: Panel, origins: Sequence[int], horizon: int
) -> np.ndarray:
    """Point forecasts of ``forecaster`` from each origin, seeing data up to it only.

    A forecaster with a ``rolling_forecast(panel, origins, horizon)`` method (the
    global model, fitted on ``panel``: it retrains on slices of its feature table) uses
    it; any other is refitted (a clone, without intervals) on ``panel.until(origin)``.

    Returns:
        (series x origins x horizon), NaN for series absent at an origin.
    """
    own = getattr(forecaster, "rolling_forecast", None)
    if callable(own):
        return np.clip(own(panel, list(origins), horizon), 0.0, None)
    out = np.full((panel.n_series, len(origins), horizon), np.nan)
    index = pd.MultiIndex.from_frame(panel.series)
    for k, pos in enumerate(origins):  # a handful of windows
        origin = panel.periods[int(pos)]
        known = panel.until(origin)
        model = clone(forecaster).set_params(levels=()).fit(known)
        mean = model._predict_dense(horizon, future_exog(panel, int(pos), horizon))
        rows = index.get_indexer(pd.MultiIndex.from_frame(known.series))
        out[rows, k, :] = np.clip(mean, 0.0, None)
    return out


def actuals(panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
    """Observed values after each origin, (series x origins x horizon), NaN past the end."""
    y = panel.dense()
    out = np.full((panel.n_series, len(origins), horizon), np.nan)
    for k, pos in enumerate(origins):
        stop = min(int(pos) + 1 + horizon, panel.n_periods)
        out[:, k, : stop - int(pos) - 1] = y[:, int(pos) + 1 : stop]
    return out


def series_errors(
    panel: Panel, origins: Sequence[int], forecasts: np.ndarray, metric: str = "mase"
) -> tuple[np.ndarray, np.ndarray]:
    """Per-series error terms of stacked forecasts.

    Args:
        forecasts: (members x series x origins x horizon).

    Returns:
        ``(numerator, denominator)``, each (members x series): the summed scaled
        absolute errors and the number of scored cells (``"mase"``), or the summed
        absolute errors and absolute actuals (``"wape"``). A cell counts only where
        every member has a forecast, so members are compared on the same cells.
    """
    if metric not in METRICS:
        raise SkillcastConfigError(f"metric must be one of {METRICS}, got {metric!r}")
    y = actuals(panel, origins, forecasts.shape[-1])
    scored = np.isfinite(y) & np.isfinite(forecasts).all(axis=0)
    err = np.where(scored, np.abs(forecasts - y), 0.0)
    if metric == "mase":
        from skillcast.backtest import training_scales  # backtest imports the models

        scale, _ = training_scales(panel.dense(), np.asarray(origins), panel.freq.season_length)
        ok = scored & (scale > 0)[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(ok, err / scale[:, :, None], 0.0)
        return q.sum(axis=(2, 3)), np.broadcast_to(ok.sum(axis=(1, 2)), q.shape[:2])
    actual = np.where(scored, np.abs(y), 0.0).sum(axis=(1, 2))  # (series,): same cells
    return err.sum(axis=(2, 3)), np.broadcast_to(actual, err.shape[:2])


def group_errors(
    numerator: np.ndarray, denominator: np.ndarray, groups: np.ndarray, metric: str = "mase"
) -> np.ndarray:
    """Error of each member in each group, (members x groups); NaN for an unscored group.

    MASE: mean over the group's scored series of their own MASE; WAPE: the group's
    summed absolute errors over its summed actuals.
    """
    n_groups = int(groups.max()) + 1 if groups.size else 0
    out = np.full((numerator.shape[0], n_groups), np.nan)
    for j in range(numerator.shape[0]):  # a handful of members
        if metric == "mase":
            scored = denominator[j] > 0
            per_series = np.where(scored, numerator[j] / np.maximum(denominator[j], 1), 0.0)
            total = np.bincount(groups, weights=per_series, minlength=n_groups)
            count = np.bincount(groups, weights=scored, minlength=n_groups)
        else:
            total = np.bincount(groups, weights=numerator[j], minlength=n_groups)
            count = np.bincount(groups, weights=denominator[j], minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[j] = np.where(count > 0, total / count, np.nan)
    return out


def inverse_error_weights(errors: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Weights proportional to ``1 / error**power`` per column (group), summing to 1.

    A member with zero error in a group takes all of it (shared among ties); a group
    without any finite error gets equal weights.
    """
    errors = np.asarray(errors, dtype=float)
    finite = np.isfinite(errors)
    perfect = finite & (errors <= 0)
    with np.errstate(divide="ignore"):
        inv = np.where(finite & ~perfect, 1.0 / np.where(perfect, 1.0, errors) ** power, 0.0)
    inv = np.where(perfect.any(axis=0), perfect.astype(float), inv)
    total = inv.sum(axis=0)
    equal = np.full_like(inv, 1.0 / max(inv.shape[0], 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inv / total, equal)


def convex_weights(
    panel: Panel,
    origins: Sequence[int],
    pair: np.ndarray,
    groups: np.ndarray,
    metric: str = "mase",
    grid: int = 21,
) -> tuple[np.ndarray, np.ndarray]:
    """The weight w of the second of two forecasts in ``(1 - w) a + w b`` that gives the
    least validation error, per group, searched on ``grid`` evenly spaced values in [0, 1].

    Unlike inverse-error weights this accounts for how the two members' errors
    correlate, and gives 0 or 1 when one member adds nothing.

    Args:
        pair: (2 x series x origins x horizon) validation forecasts.
        groups: (series,) group ids.

    Returns:
        ``(weights, errors)``: (2 x groups) weights of the two members (a group with no
        scored series gets 0.5 each) and the (grid x groups) error of every candidate.
    """
    w = np.linspace(0.0, 1.0, int(grid))
    combos = (1 - w)[:, None, None, None] * pair[0] + w[:, None, None, None] * pair[1]
    num, den = series_errors(panel, origins, combos, metric)
    errors = group_errors(num, den, groups, metric)
    scored = np.isfinite(errors).any(axis=0)
    best = w[np.argmin(np.where(np.isfinite(errors), errors, np.inf), axis=0)]
    best = np.where(scored, best, 0.5)
    return np.stack([1 - best, best]), errors


def parse_by(by: str | Sequence[str] | None) -> list[tuple[str, int | None]]:
    """``by`` as (key column, prefix length) pairs; ``"occupation:1"`` = first character."""
    if by is None:
        return []
    items = [by] if isinstance(by, str) else list(by)
    out: list[tuple[str, int | None]] = []
    for item in items:
        column, _, n = str(item).partition(":")
        if n and not n.isdigit():
            raise SkillcastConfigError(
                f"by={item!r}: write a key column, or 'column:n' for the first n characters "
                "of its codes (e.g. 'occupation:1' for the occupation major group)."
            )
        out.append((column, int(n) if n else None))
    return out


def series_groups(panel: Panel, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Group id of each series (panel order) and the table of groups (one row per id)."""
    parts = parse_by(by)
    if not parts:
        return np.zeros(panel.n_series, dtype=np.int64), pd.DataFrame({"group": ["all"]})
    missing = [c for c, _ in parts if c not in panel.series.columns]
    if missing:
        raise SkillcastConfigError(
            f"by names {missing}, not key columns of the panel {list(panel.series.columns)}."
        )
    labels = pd.DataFrame(
        {
            (c if n is None else f"{c}:{n}"): panel.series[c].astype(str).str[:n]
            if n
            else panel.series[c].astype(str)
            for c, n in parts
        }
    )
    ids = labels.groupby(list(labels.columns), sort=True).ngroup().to_numpy(dtype=np.int64)
    table = labels.assign(_id=ids).drop_duplicates("_id").sort_values("_id")
    return ids, table.drop(columns="_id").reset_index(drop=True)


def member_names(forecasters: Sequence[object] | Mapping[str, object]) -> list[str]:
    """Names of ensemble members: dict keys, else class names (numbered when repeated)."""
    if isinstance(forecasters, Mapping):
        return [str(k) for k in forecasters]
    names = [type(f).__name__ for f in forecasters]
    return [
        f"{n}_{names[:i].count(n) + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)
    ]


def build_calibration(
    forecaster: Forecaster,
    panel: Panel,
    origins: Sequence[int],
    forecasts: np.ndarray,
    groups: np.ndarray | None = None,
) -> ConformalCalibration:
    """Conformal calibration from forecasts stacked as (series x origins x horizon).

    ``groups`` (one id per series) sets how residuals pool for series with too few of
    their own; ``None`` uses the forecaster's ``interval_groups`` key columns (all
    series in one pool when that is ``None``). Mirrors
    :func:`skillcast.models.intervals.calibrate`, without refitting anything.
    """
    y = panel.dense()
    residuals = np.abs(actuals(panel, origins, forecasts.shape[-1]) - forecasts)
    if groups is None:
        columns = forecaster.interval_groups
        groups, _ = series_groups(panel, [columns] if isinstance(columns, str) else columns)
    with np.errstate(invalid="ignore"):
        scale = np.nanmean(np.abs(y), axis=1) if y.size else np.zeros(0)
    return ConformalCalibration(
        residuals=residuals,
        scale=scale,
        groups=np.asarray(groups, dtype=np.int64),
        origins=tuple(panel.periods[int(o)] for o in origins),
        min_residuals=int(forecaster.min_residuals),
    )
