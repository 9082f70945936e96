"""Conformal prediction intervals from rolling-origin residuals.

At fit time (:meth:`Forecaster.fit <skillcast.models.base.Forecaster.fit>`, when
``levels`` is not empty) the forecaster forecasts from each of ``intervals.windows``
consecutive origins near the end of the training data, ``intervals.horizon`` steps
ahead, seeing only the data up to each origin (the rolling-origin engine of
:mod:`skillcast.models.validation`), and :func:`calibrate` stores the absolute errors
per series x window x step. The last origin is ``intervals.horizon`` periods before the
panel's end, so every window has every step observed. The settings are the
forecaster's ``intervals`` init parameter (:class:`ConformalIntervals`).

Interval half-width per series and step, for coverage q (``levels`` / 100):

* a series with at least ``intervals.min_residuals`` residuals at that step (default 20, the
  fewest for which the 95% finite-sample rank exists) uses its own finite-sample
  conformal quantile: the ``ceil((n + 1) q)``-th smallest of its n residuals;
* otherwise residuals are pooled over the series' group (``intervals.groups``:
  key columns, ``None`` = all series): each residual is divided by its series' mean
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

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel


@dataclass(frozen=True)
class ConformalIntervals:
    """How a forecaster calibrates its conformal intervals (its ``intervals`` parameter).

    Attributes:
        windows: rolling origins whose errors are the residuals.
        horizon: steps forecast from each origin; ``None``: twice the season length, at
            least 4 periods. Steps beyond it widen with the square root of the step.
        min_residuals: residuals a series needs at a step to use only its own (20: the
            fewest for which the 95% finite-sample rank exists); others pool.
        groups: key columns within which residuals pool (``None``: all series).
    """

    windows: int = 4
    horizon: int | None = None
    min_residuals: int = 20
    groups: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if isinstance(self.groups, str):
            object.__setattr__(self, "groups", (self.groups,))
        elif self.groups is not None:
            object.__setattr__(self, "groups", tuple(self.groups))
        if int(self.windows) < 1 or int(self.min_residuals) < 1:
            raise SkillcastConfigError(
                f"intervals needs windows >= 1 and min_residuals >= 1, got {self!r}."
            )
        if self.horizon is not None and int(self.horizon) < 1:
            raise SkillcastConfigError(f"intervals.horizon must be >= 1, got {self.horizon!r}")


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
    normal = stdtrit(np.maximum(counts, 1), 0.5 + q / 2.0) * rms  # Student t quantile
    fallback = np.where(counts > 0, np.maximum(largest, normal), np.nan)
    return np.where(exact, quantile, fallback)


def calibrate(
    panel: Panel,
    origins: list[int],
    forecasts: np.ndarray,
    groups: np.ndarray,
    min_residuals: int,
) -> ConformalCalibration:
    """Conformal calibration from point forecasts stacked as (series x origins x horizon).

    Args:
        panel: the panel the forecasts were made on (actuals and scales come from it).
        origins: positions in ``panel.periods`` the forecasts were made from.
        groups: (series,) id of the pool each series' residuals join when it has too few.
        min_residuals: residuals a series needs at a step to use only its own.
    """
    y = panel.dense()
    residuals = np.abs(actuals(panel, origins, forecasts.shape[-1]) - forecasts)
    with np.errstate(invalid="ignore"):
        scale = np.nanmean(np.abs(y), axis=1) if y.size else np.zeros(0)
    return ConformalCalibration(
        residuals=residuals,
        scale=scale,
        groups=np.asarray(groups, dtype=np.int64),
        origins=tuple(panel.periods[int(o)] for o in origins),
        min_residuals=int(min_residuals),
    )


def actuals(panel: Panel, origins: Sequence[int] | np.ndarray, horizon: int) -> np.ndarray:
    """Observed values after each origin, (series x origins x horizon), NaN past the end."""
    y = panel.dense()
    out = np.full((panel.n_series, len(origins), horizon), np.nan)
    for k, pos in enumerate(origins):  # a handful of windows
        stop = min(int(pos) + 1 + horizon, panel.n_periods)
        out[:, k, : stop - int(pos) - 1] = y[:, int(pos) + 1 : stop]
    return out


def conformal_bounds(
    calibration: ConformalCalibration | None,
    levels: tuple[int, ...],
    mean: np.ndarray,
    horizon: int,
    name: str = "the forecaster",
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Lower and upper bounds (each series x horizon) per level, from stored residuals."""
    if calibration is None:
        raise SkillcastConfigError(
            f"{name} was fitted without intervals (levels=()); set levels and fit again "
            "to get intervals."
        )
    bounds = {}
    for level in levels:
        width = calibration.widths(level, horizon)
        bounds[int(level)] = (mean - width, mean + width)
    return bounds
