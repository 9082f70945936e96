"""Benchmark forecasters: naive, seasonal naive, drift and window average.

Each works on the dense (series x periods) array in one pass over all series. Forecasts
start after the panel's last period; a series whose last report is older keeps its last
observed values (its own history, not the panel's, decides what it forecasts). Missing
cells (NaN) are skipped, so "the last value" is the last *observed* value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.calibration import ConformalIntervals
from skillcast.panel import Panel


def last_observed_position(y: np.ndarray) -> np.ndarray:
    """Column of each row's last non-NaN value, -1 for an all-NaN row. Shape (n_series,)."""
    observed = ~np.isnan(y)
    last = y.shape[1] - 1 - np.argmax(observed[:, ::-1], axis=1)
    return np.where(observed.any(axis=1), last, -1)


def first_observed_position(y: np.ndarray) -> np.ndarray:
    """Column of each row's first non-NaN value, -1 for an all-NaN row. Shape (n_series,)."""
    observed = ~np.isnan(y)
    return np.where(observed.any(axis=1), np.argmax(observed, axis=1), -1)


def _take(y: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """``y[i, pos[i]]`` per row, NaN where ``pos`` is -1."""
    values = y[np.arange(y.shape[0]), np.maximum(pos, 0)]
    return np.where(pos >= 0, values, np.nan)


class Naive(Forecaster):
    """Repeat each series' last observed value for every step.

    Args:
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self, levels: tuple[int, ...] = DEFAULT_LEVELS, intervals: ConformalIntervals | None = None
    ) -> None:
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        self.last_ = _take(y, last_observed_position(y))

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return np.repeat(self.last_[:, None], horizon, axis=1)


class SeasonalNaive(Forecaster):
    """Repeat the last observed value of the same season (half-year, quarter, month).

    A series observed over fewer than ``season_length`` periods, or missing every value of
    one season, forecasts its last observed value (naive) for the uncovered seasons.

    Args:
        season_length: periods per seasonal cycle; ``None`` takes the panel's
            (2 for semi-annual, 4 quarterly, 12 monthly, 1 annual).
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self,
        season_length: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.season_length = season_length
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        m = panel.freq.season_length if self.season_length is None else int(self.season_length)
        if m < 1:
            raise SkillcastConfigError(f"season_length must be >= 1, got {self.season_length!r}")
        n_series, n_periods = y.shape
        last = last_observed_position(y)
        naive = _take(y, last)
        first = first_observed_position(y)
        short = (last - first + 1) < m
        # phase p of the panel's last column: columns n_periods-1-p, n_periods-1-p-m, ...
        seasonal = np.empty((n_series, m))
        for phase in range(m):  # m <= 12: a loop over seasons, not series
            start = n_periods - 1 - phase
            if start < 0:  # the panel is shorter than a season
                seasonal[:, phase] = np.nan
                continue
            cols = y[:, start::-m][:, ::-1]  # this season's columns, oldest first
            seasonal[:, phase] = _take(cols, last_observed_position(cols))
        seasonal = np.where(np.isnan(seasonal) | short[:, None], naive[:, None], seasonal)
        self.season_length_ = m
        self.seasonal_ = seasonal  # column p: value p periods before the panel's last period

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        m = self.season_length_
        steps = np.arange(1, horizon + 1)
        # step h lands in the season of the period m - (h mod m) ... before the last one
        phase = (-steps) % m
        return self.seasonal_[:, phase]


class Drift(Forecaster):
    """Extend the line from each series' first to its last observed value.

    Step h after the panel's last period lies ``gap + h`` periods after the series' last
    observation (``gap`` = periods since that observation). A series with one observation
    forecasts it unchanged.

    Args:
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self, levels: tuple[int, ...] = DEFAULT_LEVELS, intervals: ConformalIntervals | None = None
    ) -> None:
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        first, last = first_observed_position(y), last_observed_position(y)
        span = (last - first).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (_take(y, last) - _take(y, first)) / span
        self.slope_ = np.where(span > 0, slope, 0.0)
        self.last_ = _take(y, last)
        self.gap_ = (y.shape[1] - 1 - last).astype(float)

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        steps = self.gap_[:, None] + np.arange(1, horizon + 1)[None, :]
        return self.last_[:, None] + self.slope_[:, None] * steps


class WindowAverage(Forecaster):
    """Mean of each series' last ``window`` observed values, for every step.

    Args:
        window: how many of the latest observed values to average (fewer if the series
            has fewer).
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
    """

    def __init__(
        self,
        window: int = 4,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.window = window
        self.levels = levels
        self.intervals = intervals

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        if int(self.window) < 1:
            raise SkillcastConfigError(f"window must be >= 1, got {self.window!r}")
        observed = ~np.isnan(y)
        # rank of each observed value counted from the end: 1 for the latest
        rank_from_end = np.cumsum(observed[:, ::-1], axis=1)[:, ::-1]
        keep = observed & (rank_from_end <= int(self.window))
        count = keep.sum(axis=1)
        total = np.where(keep, y, 0.0).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean_ = np.where(count > 0, total / np.maximum(count, 1), np.nan)

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return np.repeat(self.mean_[:, None], horizon, axis=1)
