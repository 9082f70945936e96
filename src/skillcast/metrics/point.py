"""Point-forecast errors on arrays: size, bias and scaled errors (MASE, RMSSE).

Each function takes 1-D arrays of equal length (actuals first); a cell whose actual or
forecast is NaN is left out. Definitions are in :mod:`skillcast.metrics`. The cell terms
(:func:`_smape_terms`) and the safe ratio (:func:`_ratio`) are shared with the backtest
tables of :mod:`skillcast.metrics.tables`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(*arrays: object) -> list[np.ndarray]:
    """Float arrays restricted to the cells where every array is finite."""
    arrs = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if len({a.size for a in arrs}) > 1:
        raise ValueError(f"arrays differ in length: {[a.size for a in arrs]}")
    keep = np.logical_and.reduce([np.isfinite(a) for a in arrs])
    return [a[keep] for a in arrs]


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    """num / den with 0/0 = 0 and x/0 = +-inf."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(den == 0, np.where(num == 0, 0.0, np.sign(num) * np.inf), num / den)
    return out if out.ndim else float(out)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def mae(actual: object, forecast: object) -> float:
    """Mean absolute error."""
    y, f = _pairs(actual, forecast)
    return _mean(np.abs(f - y))


def rmse(actual: object, forecast: object) -> float:
    """Root mean squared error."""
    y, f = _pairs(actual, forecast)
    return float(np.sqrt(_mean((f - y) ** 2)))


def wape(actual: object, forecast: object) -> float:
    """Weighted absolute percentage error as a fraction: sum |f - y| / sum |y|."""
    y, f = _pairs(actual, forecast)
    return _ratio(np.abs(f - y).sum(), np.abs(y).sum())  # type: ignore[return-value]


def smape(actual: object, forecast: object) -> float:
    """Symmetric MAPE on a 0-200 scale; a cell with f = y = 0 scores 0."""
    y, f = _pairs(actual, forecast)
    return _mean(_smape_terms(y, f))


def _smape_terms(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    return 200.0 * np.asarray(_ratio(np.abs(f - y), np.abs(f) + np.abs(y)))


def bias(actual: object, forecast: object) -> float:
    """Mean error, forecast - actual (positive = over-forecast)."""
    y, f = _pairs(actual, forecast)
    return _mean(f - y)


def relative_bias(actual: object, forecast: object) -> float:
    """sum(forecast - actual) / sum(actual)."""
    y, f = _pairs(actual, forecast)
    return _ratio((f - y).sum(), y.sum())  # type: ignore[return-value]


def _scaled(actual: object, forecast: object, scale: object, series: object, power: int) -> float:
    y, f = np.asarray(actual, dtype=float).ravel(), np.asarray(forecast, dtype=float).ravel()
    s = np.broadcast_to(np.asarray(scale, dtype=float), y.shape)
    ids = np.zeros(y.size) if series is None else pd.factorize(np.asarray(series))[0]
    q = np.abs(f - y) ** power / np.where(s > 0, s, np.nan) ** power
    per_series = pd.Series(q).groupby(ids).mean()  # NaN cells (no scale, no actual) skipped
    if power == 2:
        per_series = np.sqrt(per_series)
    return float(per_series.mean())


def mase(actual: object, forecast: object, scale: object, series: object = None) -> float:
    """Mean absolute scaled error: mean over series of mean |e| / scale.

    ``scale`` is one value or one per cell (each window has its own); cells with a scale
    of 0 or NaN are left out. ``series`` labels each cell's series (default: one series).
    """
    return _scaled(actual, forecast, scale, series, 1)


def rmsse(actual: object, forecast: object, scale: object, series: object = None) -> float:
    """Root mean squared scaled error: mean over series of sqrt(mean e^2 / scale^2)."""
    return _scaled(actual, forecast, scale, series, 2)
