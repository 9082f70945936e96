"""Interval and quantile measures on arrays: pinball loss, coverage, width.

Each function takes 1-D arrays of equal length; a cell where any of them is NaN is left
out. A central ``level`` percent interval's bounds are scored as the quantiles
:func:`level_quantiles` gives. Definitions are in :mod:`skillcast.metrics`.
"""

from __future__ import annotations

import numpy as np

from skillcast.metrics.point import _mean, _pairs


def pinball(actual: object, quantile_forecast: object, tau: float) -> float:
    """Mean pinball (quantile) loss of a forecast of quantile ``tau`` (0 < tau < 1)."""
    y, q = _pairs(actual, quantile_forecast)
    return _mean(_pinball_terms(y, q, tau))


def _pinball_terms(y: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    diff = y - q
    return np.maximum(tau * diff, (tau - 1.0) * diff)


def level_quantiles(level: int) -> tuple[float, float]:
    """Quantiles of the bounds of a central ``level`` percent interval (80 -> 0.1, 0.9)."""
    return (1 - level / 100) / 2, (1 + level / 100) / 2


def coverage(actual: object, lower: object, upper: object) -> float:
    """Share of actuals inside [lower, upper]."""
    y, lo, hi = _pairs(actual, lower, upper)
    return _mean(((y >= lo) & (y <= hi)).astype(float))


def interval_width(lower: object, upper: object) -> float:
    """Mean width upper - lower."""
    lo, hi = _pairs(lower, upper)
    return _mean(hi - lo)
