"""Conformal prediction intervals from rolling-origin residuals.

At fit time (:meth:`Forecaster.fit <skillcast.models.base.Forecaster.fit>` calls
:func:`calibrate` when ``levels`` is not empty) a copy of the forecaster is refitted on
the panel as known at each of ``calibration_windows`` consecutive origins near the end
of the training data, forecasts ``calibration_horizon`` steps, and the absolute errors
are stored per series x window x step. The last origin is ``calibration_horizon``
periods before the panel's end, so every window has every step observed. A refit sees
only the rows up to its origin (``panel.until(origin)``).

Interval half-width per series and step, for coverage q (``levels`` / 100):

* a series with at least ``min_residuals`` residuals at that step (default 20, the
  fewest for which the 95% finite-sample rank exists) uses its own finite-sample
  conformal quantile: the ``ceil((n + 1) q)``-th smallest of its n residuals;
* otherwise residuals are pooled over the series' group (``interval_groups``: key
  columns, ``None`` = all series): each residual is divided by its series' mean
  absolute observed value, the same finite-sample quantile is taken over the group's
  pooled scaled residuals and multiplied back by the series' scale. Pooling on a
  relative scale assumes errors grow in proportion to a series' size, which suits
  counts of workers across cells of very different sizes. When a group has fewer
  residuals than the rank needs (19 for 95%: a lone city total with a few calibration
  windows), the half-width is the larger of its largest residual and a normal-theory
  one, ``t(n, (1 + q) / 2) x RMS`` of its n residuals (Student's t, the residuals taken
  as zero-mean normal errors), so 80% and 95% intervals stay distinct and nested.

Half-widths are made non-decreasing in the step (uncertainty does not shrink further
ahead; this also steadies the few residuals per step). Steps beyond the calibration
horizon grow with the square root of the step from the last calibrated one, as the
spread of a random walk does. Intervals are ``mean -/+ half-width``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel

if TYPE_CHECKING:
    from skillcast.models.base import Forecaster


@dataclass
class ConformalCalibration:
    """Rolling-origin residuals of a forecaster and what is needed to turn them into
    interval half-widths.

    Attributes:
        residuals: absolute errors, (series x windows x steps), NaN where the series had
            no forecast or no actual value.
        scale: per series, mean absolute observed value (the unit of pooled residuals).
        groups: per series, the integer id of the group its residuals pool into.
        origins: the calibration origins, oldest first.
        min_residuals: residuals a series needs at a step to use only its own.
    """

    residuals: np.ndarray
    scale: np.ndarray
    groups: np.ndarray
    origins: tuple[pd.Period, ...]
    min_residuals: int

    @property
    def horizon(self) -> int:
        return self.residuals.shape[2]

    def widths(self, level: float, horizon: int) -> np.ndarray:
        """Half-widths (series x horizon) of the central ``level``% interval."""
        q = _coverage(level)
        res = self.residuals
        n_series, _, n_steps = res.shape
        usable = (self.scale > 0) & np.isfinite(self.scale)
        with np.errstate(invalid="ignore", divide="ignore"):
            scaled = res / np.where(usable, self.scale, np.nan)[:, None, None]
        width = np.empty((n_series, n_steps))
        for h in range(n_steps):  # a handful of steps
            own, enough = conformal_quantile(res[:, :, h], q)
            enough &= (~np.isnan(res[:, :, h])).sum(axis=1) >= self.min_residuals
            pooled = _group_width(scaled[:, :, h], self.groups, q)[self.groups] * self.scale
            width[:, h] = np.where(enough, own, pooled)
        width = np.fmax.accumulate(width, axis=1)
        if horizon > n_steps:
            steps = np.arange(n_steps + 1, horizon + 1)
            growth = np.sqrt(steps / n_steps)
            width = np.hstack([width, width[:, -1:] * growth[None, :]])
        return width[:, :horizon]


def _coverage(level: float) -> float:
    q = float(level) / 100.0
    if not 0.0 < q < 1.0:
        raise SkillcastConfigError(f"interval levels are percentages in (0, 100), got {level!r}")
    return q


def conformal_quantile(values: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Finite-sample conformal quantile of each row of ``values`` (NaN ignored).

    The ``ceil((n + 1) q)``-th smallest of a row's n values; where that rank exceeds n
    the row's largest value is returned and the flag is False.

    Returns:
        ``(quantile, exact)``, each of shape (rows,); quantile NaN for an all-NaN row.
    """
    ordered = np.sort(values, axis=1)  # NaN sort last
    n = (~np.isnan(values)).sum(axis=1)
    rank = np.ceil((n + 1) * q - 1e-9).astype(np.int64)
    exact = (rank <= n) & (n > 0)
    idx = np.clip(np.minimum(rank, n) - 1, 0, max(values.shape[1] - 1, 0))
    out = np.take_along_axis(ordered, idx[:, None], axis=1)[:, 0]
    return np.where(n > 0, out, np.nan), exact


def _group_quantile(values: np.ndarray, groups: np.ndarray, q: float) -> np.ndarray:
    """Finite-sample conformal quantile of the values pooled per group.

    Args:
        values: (series x windows), NaN ignored.
        groups: (series,) group ids 0..G-1.

    Returns:
        (G,) quantiles, NaN for a group without values.
    """
    n_groups = int(groups.max()) + 1 if groups.size else 0
    flat = values.ravel()
    gid = np.repeat(groups, values.shape[1])
    keep = ~np.isnan(flat)
    flat, gid = flat[keep], gid[keep]
    order = np.lexsort((flat, gid))  # by group, then value
    ordered = flat[order]
    counts = np.bincount(gid, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    rank = np.clip(np.ceil((counts + 1) * q - 1e-9).astype(np.int64), 1, np.maximum(counts, 1))
    pick = np.minimum(starts + rank - 1, max(len(ordered) - 1, 0))
    out = ordered[pick] if len(ordered) else np.full(n_groups, np.nan)
    return np.where(counts > 0, out, np.nan)


def _group_width(values: np.ndarray, groups: np.ndarray, q: float) -> np.ndarray:
    """Pooled half-width per group: the conformal quantile where the group has residuals
    enough for its rank, else the normal-theory fallback of the module docstring."""
    from scipy.stats import t as student_t  # scipy.stats loads slowly: only when needed

    quantile = _group_quantile(values, groups, q)
    n_groups = len(quantile)
    keep = ~np.isnan(values)
    gid = np.repeat(groups, values.shape[1])[keep.ravel()]
    flat = values[keep]
    counts = np.bincount(gid, minlength=n_groups)
    exact = np.ceil((counts + 1) * q - 1e-9) <= counts
    if exact.all():
        return quantile
    rms = np.sqrt(np.bincount(gid, flat**2, minlength=n_groups) / np.maximum(counts, 1))
    largest = np.full(n_groups, -np.inf)
    np.maximum.at(largest, gid, flat)
    normal = student_t.ppf(0.5 + q / 2.0, df=np.maximum(counts, 1)) * rms
    fallback = np.where(counts > 0, np.maximum(largest, normal), np.nan)
    return np.where(exact, quantile, fallback)


def calibration_origins(n_periods: int, windows: int, horizon: int) -> tuple[list[int], int]:
    """Positions of the calibration origins and the horizon they forecast.

    The last origin lies ``horizon`` periods before the panel's last period; earlier
    origins step back one period each. A panel too short for the horizon gets a shorter
    one; origins that would leave fewer than two periods of training data are dropped.

    Returns:
        ``(origins, horizon)`` with origins oldest first.
    """
    last = n_periods - 1
    if last < 2 or windows < 1:
        raise SkillcastConfigError(
            f"Interval calibration needs at least 3 periods and 1 window (panel has "
            f"{n_periods} periods, calibration_windows={windows}); pass levels=() for "
            "point forecasts only."
        )
    horizon = min(horizon, last - 1)
    first = last - horizon - windows + 1
    return [o for o in range(first, last - horizon + 1) if o >= 1], horizon


def _group_ids(panel: Panel, columns: tuple[str, ...] | str | None) -> np.ndarray:
    if columns is None:
        return np.zeros(panel.n_series, dtype=np.int64)
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    missing = [c for c in columns if c not in panel.series.columns]
    if missing:
        raise SkillcastConfigError(
            f"interval_groups names {missing}, not key columns {list(panel.series.columns)}."
        )
    return panel.series.groupby(list(columns), sort=True).ngroup().to_numpy(dtype=np.int64)


def _future_exog(panel: Panel, origin: pd.Period, horizon: int) -> pd.DataFrame | None:
    """Known-in-advance drivers of the periods a calibration window forecasts."""
    spec = panel.spec
    if not spec.known_exog:
        return None
    col = panel.frame[spec.period]
    rows = (col > origin) & (col <= origin + horizon)
    return panel.frame.loc[rows, [*spec.keys, spec.period, *spec.known_exog]].reset_index(drop=True)


def calibrate(forecaster: Forecaster, panel: Panel) -> ConformalCalibration:
    """Rolling-origin absolute residuals of ``forecaster`` on ``panel`` (see module doc).

    Reads ``calibration_windows``, ``calibration_horizon`` (``None``: twice the season
    length, at least 4), ``min_residuals`` and ``interval_groups`` from the forecaster.
    """
    for level in forecaster.levels:
        _coverage(level)
    windows = int(forecaster.calibration_windows)
    wanted = forecaster.calibration_horizon
    wanted = max(4, 2 * panel.freq.season_length) if wanted is None else int(wanted)
    if wanted < 1:
        raise SkillcastConfigError(f"calibration_horizon must be >= 1, got {wanted!r}")
    origins, horizon = calibration_origins(panel.n_periods, windows, wanted)
    y = panel.dense()
    series_index = pd.MultiIndex.from_frame(panel.series)
    residuals = np.full((panel.n_series, len(origins), horizon), np.nan)
    for k, pos in enumerate(origins):  # a handful of windows
        origin = panel.periods[pos]
        known = panel.until(origin)
        model = clone(forecaster).set_params(levels=())
        model.fit(known)
        mean = np.clip(model._predict_dense(horizon, _future_exog(panel, origin, horizon)), 0, None)
        rows = series_index.get_indexer(pd.MultiIndex.from_frame(known.series))
        actual = y[rows, pos + 1 : pos + 1 + horizon]
        residuals[rows, k, :] = np.abs(actual - mean)
    with np.errstate(invalid="ignore"):
        scale = np.nanmean(np.abs(y), axis=1) if y.size else np.zeros(0)
    return ConformalCalibration(
        residuals=residuals,
        scale=scale,
        groups=_group_ids(panel, forecaster.interval_groups),
        origins=tuple(panel.periods[o] for o in origins),
        min_residuals=int(forecaster.min_residuals),
    )


def conformal_bounds(
    forecaster: Forecaster, mean: np.ndarray, horizon: int
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper bounds (each series x horizon) per level in ``forecaster.levels``,
    from the residuals stored when it was fitted."""
    calibration = getattr(forecaster, "calibration_", None)
    if calibration is None:
        raise SkillcastConfigError(
            f"{type(forecaster).__name__} was fitted without intervals (levels=()); set "
            "levels and fit again to get intervals."
        )
    bounds = {}
    for level in forecaster.levels:
        width = calibration.widths(level, horizon)
        bounds[int(level)] = (mean - width, mean + width)
    return bounds
