"""Forecasts for young series from established analogues in their groups.

A series with fewer than ``young`` observations (a new occupation, a new sector cell)
has too little history of its own to show a trend or a season. Its **analogues** are the
established series of its groups, tried from the finest rung of a ladder to the coarsest
(by default: the same occupation minor group, training level and sector; then the same
sub-major group; the same major group; the same sector and level; the same sector; all
series) until a rung has ``min_analogues`` of them. ISCO skill levels are set by the
major group, so a rung that keeps the minor group keeps the skill level too.

Forecast of a young series, per step h after the origin T::

    path(t)   = median over analogues a of  y_a(t) / L_a,  L_a = mean of y_a over the last
                ``window`` periods up to T, and y_a(T + h) the ``base`` model's forecast
                of the analogue (its trend and season)
    level     = sum of the series' own values in that window / sum of path(t) over the
                same periods (its level, seasonally adjusted by its analogues' profile)
    forecast  = level x path(T + h)

Established series are forecast by ``base`` itself (their own history is their best
analogue). Everything reads the data up to the origin only.

Intervals are conformal on series that were once new: at ``intervals.windows`` past
origins inside the training data, every established series is cut to its last k values
(k = 1 .. ``window``), forecast from its analogues (itself left out of the median), and
its absolute errors over ``intervals.horizon`` steps, divided by its estimated level,
are pooled per (k, step). A young series with k values in the window gets
``level x`` the finite-sample conformal quantile of its k's pool; half-widths never
shrink with the step and widen with its square root beyond the calibrated horizon.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.analogue_groups import group_medians, leave_one_out_medians
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.baselines import last_observed_position
from skillcast.models.calibration import (
    ConformalCalibration,
    ConformalIntervals,
    conformal_quantile,
)
from skillcast.models.ets import ExponentialSmoothing
from skillcast.models.validation import RollingForecasts, parse_by, series_groups
from skillcast.panel import Panel

Rung = tuple[str, ...]
# re-exported: the median helpers are part of this module's public surface
__all__ = ["AnalogueForecaster", "OriginState", "default_hierarchy", "group_medians",
           "leave_one_out_medians", "origin_state", "stub_levels"]  # fmt: skip


def default_hierarchy(panel: Panel) -> list[Rung]:
    """The fallback ladder of analogue groups, finest first.

    The ladder key is ``occupation`` when the panel has it, else the key with the
    longest codes; it climbs its code prefixes (VSCO/ISCO, VSIC and CES industry codes
    roll up by prefix) with the other keys held, then drops the other keys from the
    last (``level`` before ``sector`` before ``region`` in the usual key order).
    """
    keys = list(panel.spec.keys)
    widths = {k: int(panel.series[k].astype(str).str.len().max()) for k in keys}
    main = "occupation" if "occupation" in keys else max(keys, key=lambda k: widths[k])
    others = [k for k in keys if k != main]
    rungs: list[Rung] = [(f"{main}:{w}", *others) for w in range(widths[main] - 1, 0, -1)]
    rungs += [tuple(others[:n]) for n in range(len(others), -1, -1)]
    return rungs


class AnalogueForecaster(Forecaster):
    """Young series from their established analogues; established ones from ``base``.

    Args:
        base: forecaster of the established series, whose forecasts also give the
            analogues' future path; ``None``: ``ExponentialSmoothing("ANA")`` (level and
            additive season: the path starts from the analogues' latest level; on the
            US CES cases of ``experiments/emerging_backtest.py`` it gave MASE 1.25 where
            ``SeasonalNaive``, whose path restarts from last year's values, gave 1.53).
        young: observations below which a series is forecast from analogues (also the
            observations an analogue needs); ``None``: two seasons plus one, as
            :class:`~skillcast.models.auto.AutoForecaster`'s ``min_history``.
        hierarchy: the ladder of analogue groups, finest first; each rung is a key
            column, ``"column:n"`` (first n characters of its codes) or a list of them.
            ``None``: :func:`default_hierarchy`. A last rung of all series is added.
        min_analogues: established series a rung must hold to be used.
        window: periods (up to the origin) that set levels: the analogues' and the young
            series' own (its last ``window`` values); ``None``: a season, at most 3
            periods (recent enough to follow a trend: on the US CES cases 3 months gave
            MASE 1.25, 12 months 1.32).
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: ``windows`` (past origins, one season plus one period apart) and
            ``horizon`` of the once-new calibration; ``None``: their defaults.

    Attributes:
        base_: the fitted ``base``.
        young_: (series,) True for the series forecast from analogues.
        analogues_: one row per young series: keys, ``n_observed``, ``k`` (values in the
            window), ``rung`` (the analogue group used, or ``"none"``: last value carried
            forward), ``n_analogues`` and ``level``.
        relative_widths_: (levels x k x steps) conformal half-widths relative to the level.
        calibration_: the base's conformal calibration (the established series' intervals).
        calibration_cases_: held-back series x origins behind the widths.
    """

    def __init__(
        self,
        base: Forecaster | None = None,
        young: int | None = None,
        hierarchy: Sequence[str | Sequence[str]] | None = None,
        min_analogues: int = 3,
        window: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.base = base
        self.young = young
        self.hierarchy = hierarchy
        self.min_analogues = min_analogues
        self.window = window
        self.levels = levels
        self.intervals = intervals

    # ------------------------------------------------------------------ fitting
    def _settings(self, panel: Panel) -> tuple[int, int, list[Rung]]:
        m = panel.freq.season_length
        young = 2 * m + 1 if self.young is None else self.young
        window = min(max(m, 1), 3) if self.window is None else self.window
        for name, value in (("young", young), ("window", window), ("min_analogues",
                            self.min_analogues)):  # fmt: skip
            if not isinstance(value, int | np.integer) or value < 1:
                raise SkillcastConfigError(f"{name} must be an integer >= 1, got {value!r}")
        if self.hierarchy is None:
            rungs = default_hierarchy(panel)
        elif isinstance(self.hierarchy, str):
            raise SkillcastConfigError(
                "hierarchy is a list of rungs, finest first, e.g. [('occupation:3', "
                "'sector'), ('occupation:1',), ()]; got a single string "
                f"{self.hierarchy!r}: wrap it in a list."
            )
        else:
            rungs = [(r,) if isinstance(r, str) else tuple(r) for r in self.hierarchy]
        for rung in rungs:
            parse_by(rung)  # a clear error for a malformed "column:n"
        if not rungs or rungs[-1]:
            rungs.append(())
        return int(young), int(window), rungs

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        young, window, rungs = self._settings(panel)
        if self.base is not None and not isinstance(self.base, Forecaster):
            raise SkillcastConfigError(
                f"base must be a skillcast Forecaster, got {type(self.base).__name__}"
            )
        base = clone(self.base) if self.base is not None else ExponentialSmoothing("ANA")
        self.base_ = base.set_params(levels=self.levels, intervals=self.intervals).fit(panel)
        self.window_, self.rungs_ = window, rungs
        self.rung_groups_ = np.stack([series_groups(panel, list(r))[0] for r in rungs])
        n_obs = np.isfinite(y).sum(axis=1)
        state = origin_state(y, y.shape[1] - 1, window, young)
        self.young_ = n_obs < young
        self.analogue_, self.analogue_level_ = state.analogue, state.level
        rung = _choose_rungs(self.rung_groups_, state.analogue, int(self.min_analogues), 0)
        self.rung_ = np.where(self.young_, rung, -1)
        hist_path = self._paths(state.relative, self.rung_, loo=False)
        self.k_ = np.where(self.young_, np.isfinite(state.history).sum(axis=1), 0)
        level = stub_levels(state.history, hist_path, window)
        last = y[np.arange(y.shape[0]), np.maximum(last_observed_position(y), 0)]
        self.fallback_ = self.young_ & ~np.isfinite(level)
        self.scale_ = np.where(self.fallback_, last, level)
        self.analogues_ = self._table(panel, n_obs, state.analogue)

    def _paths(self, relative: np.ndarray, rung: np.ndarray, loo: bool) -> np.ndarray:
        """(series x cols) pooled relative path of each series' chosen rung (NaN: none)."""
        out = np.full((len(rung), relative.shape[1]), np.nan)
        pool = self.analogue_ if not loo else np.isfinite(relative).any(axis=1)
        for r in np.unique(rung[rung >= 0]):  # a handful of rungs, not series
            ids = self.rung_groups_[r]
            n_groups = int(ids.max()) + 1
            rows = np.flatnonzero(rung == r)
            if loo:
                out[rows] = leave_one_out_medians(
                    np.where(pool[:, None], relative, np.nan), ids, n_groups
                )[rows]
            else:
                medians = group_medians(relative[pool], ids[pool], n_groups)
                out[rows] = medians[ids[rows]]
        return out

    def _table(self, panel: Panel, n_obs: np.ndarray, analogue: np.ndarray) -> pd.DataFrame:
        rows = np.flatnonzero(self.young_)
        rung = self.rung_[rows]
        counts = np.zeros(len(rows), dtype=np.int64)
        for r in np.unique(rung[rung >= 0]):
            ids = self.rung_groups_[r]
            per_group = np.bincount(ids[analogue], minlength=int(ids.max()) + 1)
            counts[rung == r] = per_group[ids[rows[rung == r]]]
        labels = np.array(["/".join(r) or "all" for r in self.rungs_] + ["none"], dtype=object)
        out = panel.series.iloc[rows].reset_index(drop=True)
        return out.assign(
            n_observed=n_obs[rows],
            k=self.k_[rows],
            rung=labels[np.where(self.fallback_[rows], -1, rung)],
            n_analogues=np.where(self.fallback_[rows], 0, counts),
            level=self.scale_[rows],
        )

    # --------------------------------------------------------------- forecasting
    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        mean = self.base_.predict_dense(horizon, exog)
        if not self.young_.any():
            return mean
        with np.errstate(invalid="ignore", divide="ignore"):
            relative = np.clip(mean, 0.0, None) / self.analogue_level_[:, None]
        path = self._paths(relative, self.rung_, loo=False)
        young = self.scale_[:, None] * path
        flat = np.repeat(self.scale_[:, None], horizon, axis=1)  # no analogue: naive
        young = np.where(self.fallback_[:, None], flat, young)
        return np.where(self.young_[:, None], young, mean)

    # ----------------------------------------------------------------- intervals
    def _calibration(
        self, panel: Panel, validation: RollingForecasts | None
    ) -> ConformalCalibration | None:
        self.check_levels()
        settings = self.interval_settings()
        m = panel.freq.season_length
        y, window = panel.dense(), self.window_
        young = 2 * m + 1 if self.young is None else int(self.young)
        horizon = max(4, 2 * m) if settings.horizon is None else int(settings.horizon)
        horizon = min(horizon, panel.n_periods - young)
        last = panel.n_periods - 1 - horizon
        # one season plus one period apart: each origin in another year and season
        spaced = [last - (m + 1) * j for j in range(int(settings.windows))]
        origins = sorted(o for o in spaced if o >= young - 1)
        if horizon < 1 or not origins:
            raise SkillcastConfigError(
                f"AnalogueForecaster: {panel.n_periods} periods are too few to calibrate "
                f"intervals on once-new series (needs more than young={young}); pass "
                "levels=() for point forecasts only."
            )
        base = clone(self.base_).set_params(levels=())
        fc = base.rolling_forecast(panel, origins, horizon)
        cases = [self._held_back(y, o, fc[:, j], horizon, young) for j, o in enumerate(origins)]
        history = np.vstack([c[0] for c in cases])
        path = np.vstack([c[1] for c in cases])
        actual = np.vstack([c[2] for c in cases])
        if not len(actual):
            raise SkillcastConfigError(
                "AnalogueForecaster: no established series to hold back at the calibration "
                "origins; pass levels=() for point forecasts only."
            )
        k_max = min(window, young - 1)
        widths = np.full((len(self.levels), k_max, horizon), np.nan)
        for k in range(1, k_max + 1):  # one pool per stub length
            stub = stub_levels(history, path[:, :window], k)
            with np.errstate(invalid="ignore", divide="ignore"):
                rel = np.abs(actual - stub[:, None] * path[:, window:]) / stub[:, None]
            rel[~(stub > 0)] = np.nan
            for i, lv in enumerate(self.levels):
                widths[i, k - 1] = conformal_quantile(rel.T, float(lv) / 100.0)[0]
        if not np.isfinite(widths).all():
            raise SkillcastConfigError(
                "AnalogueForecaster: no once-new case could be scored for some step (too "
                "few established series with history); pass levels=() for point forecasts."
            )
        self.relative_widths_ = np.fmax.accumulate(widths, axis=2)
        self.calibration_cases_ = int(np.isfinite(actual).any(axis=1).sum())
        # established series keep the base's own conformal calibration
        calibration: ConformalCalibration | None = self.base_.calibration_
        return calibration

    def _held_back(
        self, y: np.ndarray, origin: int, forecast: np.ndarray, horizon: int, young: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Established series at ``origin`` as if new: their window values, their analogue
        path (themselves left out) over the window and the horizon, and the actuals."""
        window = self.window_
        state = origin_state(y[:, : origin + 1], origin, window, young)
        actual = y[:, origin + 1 : origin + 1 + horizon]
        with np.errstate(invalid="ignore", divide="ignore"):
            future = forecast / state.level[:, None]
        relative = np.where(state.analogue[:, None], np.hstack([state.relative, future]), np.nan)
        rung = _choose_rungs(self.rung_groups_, state.analogue, int(self.min_analogues), 1)
        cases = state.analogue & (rung >= 0) & np.isfinite(actual).any(axis=1)
        path = self._paths(relative, np.where(cases, rung, -1), loo=True)
        return state.history[cases], path[cases], actual[cases]

    def _bounds(
        self, mean: np.ndarray, horizon: int, exog: pd.DataFrame | None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        bounds = self.base_._bounds(mean, horizon, exog)
        for i, level in enumerate(self.levels):
            width = self.relative_width(i, horizon) * self.scale_[:, None]
            lo, hi = bounds[int(level)]
            young = self.young_[:, None]
            bounds[int(level)] = (
                np.where(young, mean - width, lo),
                np.where(young, mean + width, hi),
            )
        return bounds

    def relative_width(self, level_index: int, horizon: int) -> np.ndarray:
        """(series x horizon) half-widths relative to each young series' level, by its k."""
        table = self.relative_widths_[level_index]  # (k x steps)
        n_steps = table.shape[1]
        if horizon > n_steps:
            growth = np.sqrt(np.arange(n_steps + 1, horizon + 1) / n_steps)
            table = np.hstack([table, table[:, -1:] * growth[None, :]])
        k = np.clip(self.k_, 1, table.shape[0]) - 1
        return table[k, :horizon]


@dataclass
class OriginState:
    """What an origin shows of each series (all arrays in panel order).

    Attributes:
        history: (series x window) values of the last ``window`` periods up to the origin.
        level: (series,) mean of ``history`` (NaN when it has no value).
        relative: ``history / level``.
        analogue: (series,) established at the origin: ``young`` observations or more,
            observed at the origin, and a positive level.
    """

    history: np.ndarray
    level: np.ndarray
    relative: np.ndarray
    analogue: np.ndarray


def origin_state(y: np.ndarray, origin: int, window: int, young: int) -> OriginState:
    """The :class:`OriginState` of ``y`` (series x periods) at column ``origin``."""
    start = max(origin - window + 1, 0)
    history = np.full((y.shape[0], window), np.nan)
    history[:, window - (origin + 1 - start) :] = y[:, start : origin + 1]
    with warnings.catch_warnings():  # an all-NaN window is a NaN level, on purpose
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(history, axis=1)
    n_obs = np.isfinite(y[:, : origin + 1]).sum(axis=1)
    analogue = (n_obs >= young) & np.isfinite(y[:, origin]) & (level > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        relative = history / level[:, None]
    return OriginState(history, level, relative, analogue)


def _choose_rungs(
    rung_groups: np.ndarray, analogue: np.ndarray, min_analogues: int, self_count: int
) -> np.ndarray:
    """(series,) index of the finest rung with ``min_analogues`` analogues besides the
    series (``self_count`` = 1 when it is one of them); else the last rung if it has any;
    else -1."""
    n_rungs, n_series = rung_groups.shape
    counts = np.empty((n_rungs, n_series), dtype=np.int64)
    for r in range(n_rungs):  # a handful of rungs
        ids = rung_groups[r]
        counts[r] = np.bincount(ids[analogue], minlength=int(ids.max()) + 1)[ids]
    counts -= np.where(analogue, self_count, 0)[None, :]
    enough = counts >= min_analogues
    first = np.where(enough.any(axis=0), np.argmax(enough, axis=0), n_rungs - 1)
    return np.where(counts[n_rungs - 1] > 0, first, -1)


def stub_levels(history: np.ndarray, path: np.ndarray, k: int) -> np.ndarray:
    """Each series' level from its last ``k`` window values against the analogues' path
    over the same periods (series,): sum of values / sum of path, NaN when undefined."""
    use = np.isfinite(history) & np.isfinite(path)
    use[:, : history.shape[1] - k] = False
    num = np.where(use, history, 0.0).sum(axis=1)
    den = np.where(use, path, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(use.any(axis=1) & (den > 0), num / den, np.nan)
