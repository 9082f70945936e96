"""Structure measures on arrays: direction of change and mix across categories.

They judge the shape of a forecast rather than its size: whether it moves the way the
actual moved from the origin (:func:`direction_hit_rate`), and whether it splits the
total across categories as the actual does (:func:`dissimilarity_index`). A cell where
any input is NaN is left out. Definitions are in :mod:`skillcast.metrics`.
"""

from __future__ import annotations

import numpy as np

from skillcast.metrics.point import _mean, _pairs


def _direction(change: np.ndarray, tol: float) -> np.ndarray:
    return np.where(np.abs(change) <= tol, 0.0, np.sign(change))


def direction_hit_rate(
    actual: object, forecast: object, origin_value: object, tol: float = 0.0
) -> float:
    """Share of cells whose forecast change from the origin value has the actual's sign.

    Changes with |change| <= ``tol`` count as flat, a third class: flat hits flat only.
    """
    y, f, o = _pairs(actual, forecast, origin_value)
    return _mean((_direction(f - o, tol) == _direction(y - o, tol)).astype(float))


def dissimilarity_index(actual: object, forecast: object) -> float:
    """0.5 * sum_i |f_i / F - a_i / A| over categories i (arrays of per-category totals)."""
    a, f = _pairs(actual, forecast)
    if a.size < 2 or a.sum() <= 0 or f.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(f / f.sum() - a / a.sum()).sum())
