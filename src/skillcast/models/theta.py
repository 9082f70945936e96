"""The Theta method for every series of a panel at once.

Assimakopoulos and Nikolopoulos' Theta method, the best of the M3 competition, in the
form Hyndman and Billah (2003) showed it to be: simple exponential smoothing with a
drift of half the slope of the series' least-squares line,

    y(n + h) = level(n) + b / 2 * (h - 1 + (1 - (1 - alpha)^n) / alpha),

on seasonally adjusted data. As in their ``thetaf``, a series is adjusted when its
autocorrelation at the seasonal lag is significant at 90% (the M3 test) and it has more
than two seasons of strictly positive observations; the adjustment is classical
multiplicative decomposition (ratios to the centred moving average, averaged per
season), and the forecasts are multiplied back by the seasonal indices.

The smoothing parameter and initial level are estimated by maximum likelihood with the
exponential-smoothing machinery of :class:`~skillcast.models.AutoETS` (form ``ANN``),
all series in one batch. Theta is cheap and, on trending or seasonally adjusted data,
often more accurate than a chosen ETS form: on ONS JOBS05 (240 quarterly series,
seasonally adjusted, 3 origins, horizon 8) MASE 1.169 against 1.181 for AutoETS; on the
US CES panel (not adjusted, with seasons that drift) 0.590 against 0.433; statsforecast's
``Theta`` scores 1.1685 and 0.5907 there (``experiments/bench_real.py``). It is not a
member of :class:`~skillcast.models.AutoForecaster`: mixed with AutoETS by validation
weights it helped ONS JOBS05 (MASE 1.1293 against 1.1311) but cost the bundled sample
3.8% (1.2164 against 1.1718), its validation windows favouring it wrongly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.calibration import ConformalIntervals
from skillcast.models.ets_kernels import (
    align_left,
    initial_states,
    params_from_scaled,
    parse_form,
    simulate,
)
from skillcast.models.ets_search import search_form
from skillcast.panel import Panel

_SES = parse_form("ANN")
_CRITICAL = 1.645  # one-sided 95% normal quantile: the 90% two-sided test of thetaf


def _window_sums(values: np.ndarray, mask: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Sums of values and of observed flags over ``width`` consecutive rows, one per start
    row (rows - width + 1 of them)."""
    zero = np.zeros((1, values.shape[1]))
    total = np.vstack([zero, np.cumsum(values * mask, axis=0)])
    count = np.vstack([zero, np.cumsum(mask, axis=0)])
    return total[width:] - total[:-width], count[width:] - count[:-width]


def centred_average(values: np.ndarray, mask: np.ndarray, m: int) -> np.ndarray:
    """Classical decomposition's trend: the centred moving average of order ``m`` (the
    mean of two ``m``-averages a row apart when ``m`` is even), (periods x series) with
    NaN where the window is not fully observed or runs off the data."""
    n_periods = values.shape[0]
    out = np.full(values.shape, np.nan)
    if m % 2:  # odd: m rows centred on the row
        total, count = _window_sums(values, mask, m)
        half = m // 2
        with np.errstate(invalid="ignore", divide="ignore"):
            out[half : n_periods - half] = np.where(count == m, total / m, np.nan)
        return out
    # even: rows t - m/2 .. t + m/2, the two ends at half weight
    total, count = _window_sums(values, mask, m + 1)
    ends = values * mask
    half = m // 2
    inner = total - 0.5 * ends[: n_periods - m] - 0.5 * ends[m:]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[half : n_periods - half] = np.where(count == m + 1, inner / m, np.nan)
    return out


def seasonal_indices(values: np.ndarray, mask: np.ndarray, m: int) -> np.ndarray:
    """Multiplicative seasonal indices per series, (m x series); 1 for a series that is
    not adjusted (no significant autocorrelation at lag ``m``, two seasons of data or
    fewer, a value <= 0, or a season never covered by the moving average).

    Args:
        values, mask: (periods x series) left-aligned data and observed mask: row t is
            season ``t % m`` of the series.
    """
    n_periods, n_series = values.shape
    ones = np.ones((max(m, 1), n_series))
    if m < 2 or n_periods <= 2 * m:
        return ones
    n_obs = mask.sum(axis=0)
    observed = mask > 0
    positive = ~(observed & (values <= 0)).any(axis=0)
    # autocorrelations at lags 1..m of the observed values around their mean; an
    # unobserved cell contributes nothing
    with np.errstate(invalid="ignore", divide="ignore"):
        centred = np.where(observed, values - values.sum(axis=0) / np.maximum(n_obs, 1), 0.0)
        variance = (centred**2).sum(axis=0)
        acf = np.stack(
            [(centred[k:] * centred[:-k]).sum(axis=0) / variance for k in range(1, m + 1)]
        )
        spread = np.sqrt((1 + 2 * (acf[:-1] ** 2).sum(axis=0)) / np.maximum(n_obs, 1))
        seasonal = (np.abs(acf[-1]) > _CRITICAL * spread) & (n_obs > 2 * m) & positive
        ratio = values / centred_average(values, mask, m)
    ratio = np.where(observed & np.isfinite(ratio), ratio, np.nan)
    per_season = np.full((m, n_series), np.nan)
    for p in range(m):  # one row per season
        rows = ratio[p::m]
        seen = ~np.isnan(rows)
        count = seen.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            per_season[p] = np.where(
                count > 0, np.where(seen, rows, 0.0).sum(axis=0) / count, np.nan
            )
    with np.errstate(invalid="ignore", divide="ignore"):
        index = per_season / per_season.mean(axis=0)
    usable = seasonal & np.isfinite(index).all(axis=0) & (index > 0).all(axis=0)
    return np.where(usable[None, :], index, 1.0)


class Theta(Forecaster):
    """The Theta method (simple exponential smoothing with half the trend line's slope as
    drift), on multiplicatively seasonally adjusted data where a series is seasonal.

    Args:
        season_length: periods per seasonal cycle; ``None`` takes the panel's. With 1
            no series is adjusted.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.

    Attributes:
        params_: per series: keys, ``alpha``, ``drift`` (per period, half the slope),
            ``seasonal`` (adjusted or not) and ``n_obs``.
        seasonal_index_: (season x series) multiplicative indices, 1 where not adjusted.
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
        values, mask, first = align_left(y)
        n_periods, n_series = values.shape
        n_obs = mask.sum(axis=0)
        index = seasonal_indices(values, mask, m)
        phase = np.arange(n_periods) % index.shape[0]
        adjusted = np.where(mask > 0, values / index[phase], 0.0)
        alpha = np.full(n_series, np.nan)
        level = np.full(n_series, np.nan)
        end = n_periods - 1 - first  # aligned row of the panel's last period
        cols = np.flatnonzero(n_obs > 0)
        if cols.size:
            sub_v, sub_m = adjusted[:, cols], mask[:, cols]
            u, _, init = search_form(sub_v, sub_m, _SES, 1, initial_states(sub_v, sub_m, _SES, 1))
            params = params_from_scaled(_SES, u[:, None, :], 1)
            run = simulate(sub_v, sub_m, _SES, 1, params, init, end=end[cols])
            if run.states is None:
                raise RuntimeError("simulate(end=...) returned no final states")
            alpha[cols], level[cols] = params["alpha"][0], run.states[0][0]
        # least-squares slope of the adjusted observations on time
        rows = np.arange(n_periods)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            t_mean = (rows * mask).sum(axis=0) / n_obs
            y_mean = adjusted.sum(axis=0) / n_obs
            sxx = (((rows - t_mean) ** 2) * mask).sum(axis=0)
            sxy = ((rows - t_mean) * (adjusted - y_mean) * mask).sum(axis=0)
        slope = np.where(sxx > 0, sxy / np.where(sxx > 0, sxx, 1.0), 0.0)
        self.alpha_, self.level_, self.drift_ = alpha, level, slope / 2
        self.n_obs_, self.end_, self.seasonal_index_ = n_obs, end, index
        frame = panel.series.copy()
        frame["alpha"] = alpha
        frame["drift"] = self.drift_
        frame["seasonal"] = (index != 1.0).any(axis=0)
        frame["n_obs"] = n_obs.astype(int)
        self.params_ = frame

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        steps = np.arange(1, horizon + 1)[None, :]
        alpha = self.alpha_[:, None]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            reach = steps - 1 + (1 - (1 - alpha) ** self.n_obs_[:, None]) / alpha
        mean = self.level_[:, None] + self.drift_[:, None] * reach
        m = self.seasonal_index_.shape[0]
        phase = (self.end_[:, None] + steps) % m
        return mean * np.take_along_axis(self.seasonal_index_.T, phase, axis=1)
