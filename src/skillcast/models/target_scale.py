"""Targets relative to each series' recent level, so one pooled model serves cells of
3 and of 3,000 workers (see :class:`skillcast.models.GlobalModel`)."""

from __future__ import annotations

import numpy as np

TRANSFORMS = ("log1p", "scale", None)


def recent_level(y: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` observed values at or before each period.

    Args:
        y: (series x periods) target, NaN where not observed.
        window: how many of the latest observed values to average (fewer early on).

    Returns:
        (series x periods) float64; NaN before a series' first observation.
    """
    observed = ~np.isnan(y)
    count = np.cumsum(observed, axis=1)
    total = np.cumsum(np.where(observed, y, 0.0), axis=1)
    # prefix[s, c]: sum of the first c observed values of series s
    prefix = np.zeros((y.shape[0], int(count.max(initial=0)) + 1))
    rows, cols = np.nonzero(observed)
    prefix[rows, count[rows, cols]] = total[rows, cols]
    start = np.maximum(count - window, 0)
    dropped = np.take_along_axis(prefix, start, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, (total - dropped) / np.minimum(count, window), np.nan)


def to_target(y: np.ndarray, level: np.ndarray, kind: str | None) -> np.ndarray:
    """``y`` on the scale the regressors learn (see :class:`GlobalModel`)."""
    if kind == "log1p":
        return np.log1p(np.maximum(y, 0.0)) - np.log1p(np.maximum(level, 0.0))
    return y / divisor(level) if kind == "scale" else y


def from_target(z: np.ndarray, level: np.ndarray, kind: str | None) -> np.ndarray:
    """Inverse of :func:`to_target`."""
    if kind == "log1p":
        return np.expm1(z + np.log1p(np.maximum(level, 0.0)))
    return z * divisor(level) if kind == "scale" else z


def divisor(level: np.ndarray) -> np.ndarray:
    """The level as a divisor: 0 (or below) becomes 1, one unit of the target."""
    return np.where(level > 0, level, 1.0)
