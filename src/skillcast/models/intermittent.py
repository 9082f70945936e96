"""Forecasters for intermittent demand, and the Syntetos-Boylan demand classification.

Small cells (an occupation at one training level in one sector) often report zero for
several periods, then a handful of workers. Croston-type methods smooth the size of the
non-zero demands and the interval between them separately; TSB smooths the probability
that a period has demand. All recursions run over time with every series in one array.

Missing cells (NaN) are skipped: they neither count as a period without demand nor
update any estimate. Each series starts at its own first observation.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.calibration import ConformalIntervals
from skillcast.panel import Panel

ADI_CUTOFF = 1.32  # average inter-demand interval above which demand is "intermittent"
CV2_CUTOFF = 0.49  # squared CV of demand sizes above which demand is "erratic"


def _check_rate(name: str, value: float) -> float:
    value = float(value)
    if not 0.0 < value <= 1.0:
        raise SkillcastConfigError(f"{name} must lie in (0, 1], got {value!r}")
    return value


def croston_states(y: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Smoothed demand size and inter-demand interval after the last period of ``y``.

    The first non-zero demand initialises the size, and the periods from the series'
    first observation up to and including it initialise the interval (so a demand in
    the first period has interval 1). Later demands update both with weight ``alpha``.
    Series without any demand get size 0 and interval NaN.

    Args:
        y: (series x periods) demand, NaN where not observed.
        alpha: smoothing weight in (0, 1].

    Returns:
        ``(size, interval)``, each of shape (n_series,).
    """
    n_series = y.shape[0]
    size = np.zeros(n_series)
    interval = np.full(n_series, np.nan)
    since = np.zeros(n_series)  # observed periods since the last demand (or the start)
    seen = np.zeros(n_series, dtype=bool)  # a demand has initialised the states
    for t in range(y.shape[1]):
        col = y[:, t]
        observed = ~np.isnan(col)
        since += observed
        demand = observed & (col > 0)
        first = demand & ~seen
        later = demand & seen
        size = np.where(first, col, np.where(later, size + alpha * (col - size), size))
        interval = np.where(
            first, since, np.where(later, interval + alpha * (since - interval), interval)
        )
        seen |= demand
        since = np.where(demand, 0.0, since)
    return size, interval


class Croston(Forecaster):
    """Croston's method and its Syntetos-Boylan approximation (SBA).

    Forecast per period: size / interval; SBA multiplies by ``1 - alpha / 2`` to remove
    Croston's upward bias. A series that never had demand forecasts 0.

    Args:
        variant: ``"sba"`` (default) or ``"classic"``.
        alpha: smoothing weight for both size and interval, in (0, 1].
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self,
        variant: Literal["sba", "classic"] = "sba",
        alpha: float = 0.1,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.variant = variant
        self.alpha = alpha
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        if self.variant not in ("sba", "classic"):
            raise SkillcastConfigError(
                f"Croston variant must be 'sba' or 'classic', got {self.variant!r}"
            )
        alpha = _check_rate("alpha", self.alpha)
        self.size_, self.interval_ = croston_states(y, alpha)
        factor = 1.0 - alpha / 2.0 if self.variant == "sba" else 1.0
        with np.errstate(invalid="ignore"):
            rate = factor * self.size_ / self.interval_
        # no demand yet: 0; no observation at all: unknown
        self.rate_ = np.where(np.isnan(self.interval_), 0.0, rate)
        self.rate_[np.isnan(y).all(axis=1)] = np.nan

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return np.repeat(self.rate_[:, None], horizon, axis=1)


class TSB(Forecaster):
    """Teunter-Syntetos-Babai: smoothed demand probability times smoothed demand size.

    Every observed period updates the probability ``p <- p + beta * (1{demand} - p)``;
    periods with demand also update the size ``z <- z + alpha * (demand - z)``. The
    probability starts at the first observation's demand indicator, the size at the first
    non-zero demand. Because the probability decays through runs of zeros, the forecast
    of a series whose demand has stopped falls towards 0 (Croston's would not).

    Args:
        alpha: smoothing weight of the demand size, in (0, 1].
        beta: smoothing weight of the demand probability, in (0, 1].
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self,
        alpha: float = 0.1,
        beta: float = 0.1,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        alpha = _check_rate("alpha", self.alpha)
        beta = _check_rate("beta", self.beta)
        n_series = y.shape[0]
        prob = np.full(n_series, np.nan)
        size = np.zeros(n_series)
        sized = np.zeros(n_series, dtype=bool)
        for t in range(y.shape[1]):
            col = y[:, t]
            observed = ~np.isnan(col)
            occurred = (col > 0).astype(float)
            prob = np.where(
                observed,
                np.where(np.isnan(prob), occurred, prob + beta * (occurred - prob)),
                prob,
            )
            demand = observed & (col > 0)
            size = np.where(demand, np.where(sized, size + alpha * (col - size), col), size)
            sized |= demand
        self.probability_ = prob
        self.size_ = size
        self.rate_ = prob * size  # NaN only for a series never observed

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return np.repeat(self.rate_[:, None], horizon, axis=1)


def classify_demand(y: Panel | np.ndarray) -> pd.DataFrame:
    """Syntetos-Boylan classification of each series' demand pattern.

    ADI is the number of observed periods divided by the number with demand (> 0); CV2 is
    the squared coefficient of variation (population standard deviation / mean) of the
    non-zero demand sizes. Classes, with cut-offs ADI 1.32 and CV2 0.49: ``smooth``
    (ADI < 1.32, CV2 < 0.49), ``erratic`` (ADI < 1.32, CV2 >= 0.49), ``intermittent``
    (ADI >= 1.32, CV2 < 0.49), ``lumpy`` (both at or above). A series with no demand at
    all has ADI = inf, CV2 = NaN and class ``none``.

    Args:
        y: a :class:`~skillcast.panel.Panel` (its target) or a (series x periods) array
            with NaN where not observed.

    Returns:
        One row per series (in panel order): the panel's key columns when given a panel,
        then ``n_observed``, ``n_demand``, ``adi``, ``cv2`` and ``demand_class``.
    """
    keys = y.series.copy() if isinstance(y, Panel) else pd.DataFrame(index=range(len(y)))
    values = y.dense() if isinstance(y, Panel) else np.asarray(y, dtype=float)
    if values.ndim != 2:
        raise SkillcastConfigError(f"classify_demand needs a 2-D array, got shape {values.shape}")
    observed = ~np.isnan(values)
    demand = observed & (values > 0)
    n_obs = observed.sum(axis=1)
    n_dem = demand.sum(axis=1)
    sizes = np.where(demand, values, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        adi = np.where(n_dem > 0, n_obs / n_dem, np.inf)
        mean = sizes.sum(axis=1) / n_dem
        var = np.where(demand, (values - mean[:, None]) ** 2, 0.0).sum(axis=1) / n_dem
        cv2 = var / mean**2
    intermittent = adi >= ADI_CUTOFF
    erratic = cv2 >= CV2_CUTOFF
    label = np.select(
        [n_dem == 0, intermittent & erratic, intermittent, erratic],
        ["none", "lumpy", "intermittent", "erratic"],
        default="smooth",
    )
    out = keys.reset_index(drop=True)
    out["n_observed"] = n_obs
    out["n_demand"] = n_dem
    out["adi"] = adi
    out["cv2"] = cv2
    out["demand_class"] = label
    return out
