"""The default forecaster: route each series to the method its history suits.

:class:`AutoForecaster` classifies every series (Syntetos-Boylan, see
:func:`~skillcast.models.intermittent.classify_demand`) and counts its observations:

* **cold start** -- fewer than ``min_history`` observations: by default
  (``cold_start="combined"``) the equal-weight mean of the pooled
  :class:`~skillcast.models.global_model.GlobalModel` (a young series from its groups'
  dynamics, the drivers and its own few values) and the
  :class:`~skillcast.models.analogues.AnalogueForecaster` (the series' own level times
  the path of established series of its occupation minor group, level and sector,
  coarser groups when too few), with the analogues' intervals calibrated on series that
  were once new; or either alone (``"global"``, ``"analogue"``); or (``"auto"``)
  whichever of the two forecast the cold-start series better on validation;
* **intermittent** -- ADI >= 1.32 or CV2 >= 0.49 (classes intermittent, lumpy,
  erratic, and series without any demand): Croston-SBA, TSB or the pooled model,
  whichever forecast these series best on validation (or the one named by
  ``intermittent``);
* **regular** -- the rest: AutoETS and the pooled model combined, per group of series
  (``by``), with the convex weight whose combination had the least validation error
  (``combine="optimal"``: the centre of the weights within 1% of the least, since the
  argmin of a flat validation curve is noise; ``"inverse"``: inverse-error weights;
  ``"choice"``: the better member).

Validation: every member forecasts from ``validation_windows`` rolling origins inside
the training data (the last one ``validation_horizon`` periods before its end), so the
choices never see data after the training panel. Intervals are conformal on the
residuals of the routed combination at those origins, per horizon step; a series with
too few residuals of its own uses those pooled over its route. Cold-start series
forecast by or with the analogues take the analogue forecaster's once-new half-widths
around their routed mean instead (young series rarely have validation residuals: at
earlier origins they did not exist).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar, cast

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.analogues import AnalogueForecaster
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.calibration import ConformalIntervals
from skillcast.models.ensemble import combine as combine_forecasts
from skillcast.models.ets import AutoETS
from skillcast.models.global_model import GlobalModel
from skillcast.models.intermittent import TSB, Croston, classify_demand
from skillcast.models.validation import (
    METRICS,
    RollingForecasts,
    convex_weights,
    group_errors,
    inverse_error_weights,
    series_errors,
    series_groups,
    validation_origins,
)
from skillcast.panel import Panel

MEMBERS = ("AutoETS", "GlobalModel", "Croston", "TSB", "AnalogueForecaster")
ETS, GLOBAL, CROSTON, TSB_, ANALOGUE = range(5)
INTERMITTENT_CHOICES = ("auto", "croston", "tsb", "global")
COLD_STARTS = ("analogue", "global", "combined", "auto")
# cold-start member weights per fixed route: (pooled model, analogues); "combined" takes
# equal weights: a weight fitted on held-back once-new cases would need the pooled model
# refitted with those series cut at every calibration origin
COLD_WEIGHTS = {"global": (1.0, 0.0), "analogue": (0.0, 1.0), "combined": (0.5, 0.5)}
COMBINES = ("optimal", "inverse", "choice")


class AutoForecaster(Forecaster):
    """Route series to Croston/TSB, the pooled model, or an AutoETS + pooled combination.

    Args:
        global_model: the pooled model; ``None``: ``GlobalModel(strategy="recursive",
            n_jobs=n_jobs, random_state=random_state)`` (on the bundled sample the
            recursive model validated better than the direct one, and it trains one
            LightGBM model per origin instead of one per step).
        ets: the per-series model of regular series; ``None``: ``AutoETS()``.
        intermittent: ``"auto"`` (the best of Croston-SBA, TSB and the pooled model on
            validation), or ``"croston"``, ``"tsb"``, ``"global"``.
        cold_start: how series with fewer than ``min_history`` observations are forecast:
            ``"combined"`` (the mean of the pooled model and the analogue forecaster,
            equal weights, with the analogues' once-new half-widths around it: a weight
            fitted on once-new cases would need the pooled model refitted with those
            series cut at every calibration origin), ``"analogue"`` (the analogue
            forecaster), ``"global"`` (the pooled model, with the intervals of its
            pooled validation residuals) or ``"auto"`` (the one of the last two with
            the smaller validation error on these series; the analogues when no
            validation origin scores them). ``"combined"`` was best on both test beds:
            on the US CES panel (no drivers; 1,018 cases of series with 6-12 months,
            ``experiments/emerging_backtest.py``) MASE 1.19 against 1.25 for the
            analogues, 1.42 for the pooled model and 1.43 for naive, 80%/95% coverage
            0.84/0.97 (analogues 0.82/0.96, pooled model 0.70/0.90); on the bundled
            sample (12 series cut to 2 half-years, drivers known) MASE 1.54 against
            1.60 pooled, 1.82 analogues, 1.80 naive.
        analogue: the analogue forecaster; ``None``: ``AnalogueForecaster()``. Its
            ``young`` is set to ``min_history``.
        min_history: observations a series needs not to be a cold start; ``None``:
            two seasons plus one (5 half-years, 3 years).
        combine: how regular series mix AutoETS and the pooled model, per group:
            ``"optimal"`` (the weight, on a grid of 0.05, whose mix had the least
            validation error, taken as the mean of the grid weights within 1% of that
            least error; it accounts for how the two members' errors correlate: see
            :func:`~skillcast.models.validation.convex_weights`),
            ``"inverse"`` (proportional to 1 / validation error) or ``"choice"`` (the
            better member).
        by: groups of regular series with their own weights: a key column,
            ``"column:n"`` (first n characters of its codes, ``"occupation:1"`` = major
            group) or a list of them; ``None``: one set.
        metric: ``"mase"`` or ``"wape"``, the validation error.
        min_group_series: a ``by`` group with fewer regular series takes the overall
            weights.
        validation_windows, validation_horizon: rolling origins inside the training data
            (``None`` horizon: twice the season length, at least 4). On the bundled
            sample 6 windows chose better weights than 4 (MASE 1.149 against 1.157)
            and 8 no better than 6.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
        n_jobs: the members are fitted (and forecast from the validation origins) side by
            side in up to this many threads (-1: one per core); also passed to the default
            pooled model.
        random_state: passed to the default pooled model.

    Attributes:
        routes_: one row per series: keys, ``n_observed``, ``adi``, ``cv2``,
            ``demand_class``, ``route`` (``ets+global``, ``croston``, ``tsb``,
            ``global``; cold starts: ``combined``, ``analogue`` or ``global``),
            ``cold_start`` and the weight of each member (``w_AutoETS``,
            ``w_GlobalModel``, ``w_Croston``, ``w_TSB``, ``w_AnalogueForecaster``).
        cold_route_: the route of the cold-start series (``cold_start`` resolved).
        weights_: regular-series weights per ``by`` group.
        validation_errors_: each member's validation error per segment (regular
            groups, intermittent, cold start).
        members_: the fitted members, in the order of :data:`MEMBERS`.
    """

    def __init__(
        self,
        global_model: GlobalModel | None = None,
        ets: Forecaster | None = None,
        intermittent: str = "auto",
        min_history: int | None = None,
        combine: str = "optimal",
        by: str | Sequence[str] | None = None,
        metric: str = "mase",
        min_group_series: int = 5,
        validation_windows: int = 6,
        validation_horizon: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
        n_jobs: int = 1,
        random_state: int = 0,
        cold_start: str = "combined",
        analogue: AnalogueForecaster | None = None,
    ) -> None:
        self.global_model = global_model
        self.ets = ets
        self.intermittent = intermittent
        self.min_history = min_history
        self.combine = combine
        self.by = by
        self.metric = metric
        self.min_group_series = min_group_series
        self.validation_windows = validation_windows
        self.validation_horizon = validation_horizon
        self.levels = levels
        self.intervals = intervals
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.cold_start = cold_start
        self.analogue = analogue

    #: Members fitted side by side at most (``None``: as ``n_jobs`` says).
    member_threads: ClassVar[int | None] = None

    def _candidates(self) -> list[Forecaster]:
        """Unfitted members in the order of :data:`MEMBERS`, all but the analogues for
        point forecasts (the combination's own residuals give the intervals)."""
        pooled = self.global_model
        if pooled is None:
            pooled = GlobalModel(
                strategy="recursive", n_jobs=self.n_jobs, random_state=self.random_state
            )
        point = [
            clone(self.ets) if self.ets is not None else AutoETS(),
            clone(pooled),
            Croston(variant="sba"),
            TSB(),
        ]
        analogue = clone(self.analogue) if self.analogue is not None else AnalogueForecaster()
        return [*(m.set_params(levels=()) for m in point), analogue]

    def _validate(self, panel: Panel) -> int:
        if self.intermittent not in INTERMITTENT_CHOICES:
            raise SkillcastConfigError(
                f"intermittent must be one of {INTERMITTENT_CHOICES}, got {self.intermittent!r}"
            )
        if self.cold_start not in COLD_STARTS:
            raise SkillcastConfigError(
                f"cold_start must be one of {COLD_STARTS}, got {self.cold_start!r}"
            )
        if self.analogue is not None and not isinstance(self.analogue, AnalogueForecaster):
            raise SkillcastConfigError(
                f"analogue must be an AnalogueForecaster, got {type(self.analogue).__name__}"
            )
        if self.combine not in COMBINES:
            raise SkillcastConfigError(f"combine must be one of {COMBINES}, got {self.combine!r}")
        if self.metric not in METRICS:
            raise SkillcastConfigError(f"metric must be one of {METRICS}, got {self.metric!r}")
        m = panel.freq.season_length
        min_history = 2 * m + 1 if self.min_history is None else int(self.min_history)
        if min_history < 1:
            raise SkillcastConfigError(f"min_history must be >= 1, got {self.min_history!r}")
        return min_history

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> RollingForecasts:
        min_history = self._validate(panel)
        demand = classify_demand(panel)
        cold = demand["n_observed"].to_numpy() < min_history
        sparse = (demand["demand_class"] != "smooth").to_numpy() & ~cold
        segment = np.where(cold, 2, np.where(sparse, 1, 0))
        candidates = self._candidates()
        candidates[ANALOGUE].set_params(young=min_history)
        analogues_used = bool(cold.any()) and self.cold_start != "global"
        origins, horizon = validation_origins(
            panel, self.validation_windows, self.validation_horizon
        )
        n_members = len(candidates)
        # without cold starts routed to them the analogues are not validated; errors are
        # compared on the cells every validated member forecast
        checked = [j for j in range(n_members) if j != ANALOGUE or analogues_used]
        stack = np.full((n_members, panel.n_series, len(origins), horizon), np.nan)

        def member(j: int) -> tuple[Forecaster, np.ndarray | None]:
            m = candidates[j]
            if j != ANALOGUE:
                # fit and rolling forecasts in one pass (AutoETS: warm-started refits)
                return m, m.fit_rolling(panel, origins, horizon)
            fitted = self._fit_analogue(m, panel, analogues_used)
            if not analogues_used:
                return fitted, None
            return fitted, fitted.rolling_forecast(panel, origins, horizon)

        # members are independent: with n_jobs > 1 they fit side by side in threads, the
        # pooled model first (LightGBM's training and numpy's loops release the GIL: on
        # the US CES panel 2 threads took 0.6x the time of one)
        order = [GLOBAL, *[j for j in range(n_members) if j != GLOBAL]]
        jobs = int(self.n_jobs)
        threads = min(len(order), (os.cpu_count() or 1) if jobs < 0 else max(jobs, 1))
        if self.member_threads is not None:
            threads = min(threads, self.member_threads)
        if threads == 1:  # in this thread: its context (a current Dask client) holds
            done = {j: member(j) for j in order}
        else:
            with ThreadPoolExecutor(max_workers=threads) as pool:
                done = dict(zip(order, pool.map(member, order), strict=True))
        self.members_ = [done[j][0] for j in range(n_members)]
        for j in checked:
            stack[j] = done[j][1]
        num = np.full((n_members, panel.n_series), np.nan)
        den = np.full((n_members, panel.n_series), np.nan)
        num[checked], den[checked] = series_errors(panel, origins, stack[checked], self.metric)
        weights = np.zeros((n_members, panel.n_series))
        seg_err = group_errors(num, den, segment, self.metric)
        self.cold_route_ = self._cold_route(seg_err[:, 2] if seg_err.shape[1] > 2 else None)
        cold_weights = COLD_WEIGHTS[self.cold_route_]
        weights[GLOBAL, segment == 2], weights[ANALOGUE, segment == 2] = cold_weights

        # intermittent series: one method for all of them
        pick = self._intermittent_member(seg_err[:, 1] if seg_err.shape[1] > 1 else None)
        weights[pick, segment == 1] = 1.0

        # regular series: AutoETS + pooled model per group
        groups, table = series_groups(panel, self.by)
        pair = [ETS, GLOBAL]
        regular = segment == 0
        sub_groups = np.where(regular, groups, len(table))  # others: a throwaway group
        everyone = np.where(regular, 0, 1)
        errors = group_errors(num[pair], den[pair], sub_groups, self.metric)[:, : len(table)]
        group_w = self._pair_weights(panel, origins, stack[pair], sub_groups, errors)
        overall_errors = group_errors(num[pair], den[pair], everyone, self.metric)
        overall = self._pair_weights(panel, origins, stack[pair], everyone, overall_errors)[:, :1]
        counts = np.bincount(groups[regular], minlength=len(table))
        group_w = group_w[:, : len(table)]
        group_w[:, counts < int(self.min_group_series)] = overall
        weights[np.ix_(np.asarray(pair), np.flatnonzero(regular))] = group_w[:, groups[regular]]

        self.series_weights_ = weights
        self.weights_ = table.assign(**{MEMBERS[j]: group_w[k] for k, j in enumerate(pair)})
        self.validation_errors_ = self._errors_frame(table, errors, seg_err)
        self.routes_ = self._routes(panel, demand, segment, pick, weights)
        # intervals are calibrated on the routed combination's own validation errors
        combined = combine_forecasts(stack, weights)
        return RollingForecasts(origins, combined, groups=self._pools(segment, combined))

    def _fit_analogue(self, member: Forecaster, panel: Panel, used: bool) -> Forecaster:
        """The analogue member, with its once-new intervals when it serves cold starts
        and the panel is long enough to calibrate them (else point forecasts only: the
        routed combination's pooled residuals give the intervals)."""
        if used and self.levels:
            try:
                return member.set_params(levels=self.levels, intervals=self.intervals).fit(panel)
            except SkillcastConfigError:
                pass  # too short to calibrate; a wrong parameter raises again just below
        return member.set_params(levels=()).fit(panel)

    def _cold_route(self, errors: np.ndarray | None) -> str:
        """Route of cold-start series: fixed, or the member with the smaller validation
        error (``"auto"``)."""
        if self.cold_start != "auto":
            return self.cold_start
        if errors is None or not np.isfinite(errors[[ANALOGUE, GLOBAL]]).all():
            return "analogue"  # no validation origin scores these series
        return "global" if errors[GLOBAL] < errors[ANALOGUE] else "analogue"

    def _intermittent_member(self, errors: np.ndarray | None) -> int:
        """Member index for intermittent series: fixed, or the least validation error."""
        fixed = {"croston": CROSTON, "tsb": TSB_, "global": GLOBAL}
        if self.intermittent in fixed:
            return fixed[self.intermittent]
        candidates = [CROSTON, TSB_, GLOBAL]
        if errors is None or not np.isfinite(errors[candidates]).any():
            return CROSTON
        scores = np.where(np.isfinite(errors[candidates]), errors[candidates], np.inf)
        return candidates[int(np.argmin(scores))]  # ties: Croston first

    def _pair_weights(
        self,
        panel: Panel,
        origins: list[int],
        pair: np.ndarray,
        groups: np.ndarray,
        errors: np.ndarray,
    ) -> np.ndarray:
        """(2 x groups) weights of AutoETS and the pooled model on validation."""
        if self.combine == "optimal":
            return convex_weights(panel, origins, pair, groups, self.metric)[0]
        if self.combine == "inverse":
            return inverse_error_weights(errors)
        best = np.argmin(np.where(np.isfinite(errors), errors, np.inf), axis=0)
        return np.stack([best == 0, best == 1]).astype(float)

    def _pools(self, segment: np.ndarray, combined: np.ndarray) -> np.ndarray:
        """Residual pool of each series: its segment (relative errors differ a lot between
        regular, intermittent and young series), or the regular one for a segment without
        any validation residual at some step (young series often did not exist yet)."""
        pools = segment.copy()
        scored = np.isfinite(combined).sum(axis=1)  # (series x steps)
        for s in (1, 2):
            if (scored[segment == s].sum(axis=0) == 0).any():
                pools[segment == s] = 0
        return pools

    def _routes(
        self,
        panel: Panel,
        demand: pd.DataFrame,
        segment: np.ndarray,
        pick: int,
        weights: np.ndarray,
    ) -> pd.DataFrame:
        picked = {CROSTON: "croston", TSB_: "tsb", GLOBAL: "global"}[pick]
        route = np.select(
            [segment == 2, segment == 1], [self.cold_route_, picked], default="ets+global"
        )
        out = demand.copy()
        out["route"] = route
        out["cold_start"] = segment == 2
        for j, name in enumerate(MEMBERS):
            out[f"w_{name}"] = weights[j]
        return out

    def _errors_frame(
        self, table: pd.DataFrame, regular: np.ndarray, segments: np.ndarray
    ) -> pd.DataFrame:
        labels = table.astype(str).agg("/".join, axis=1)
        rows = [f"regular:{g}" for g in labels] + ["intermittent", "cold_start"]
        values = np.full((len(rows), len(MEMBERS)), np.nan)
        values[: len(labels), [ETS, GLOBAL]] = regular.T
        for k, s in enumerate((1, 2)):
            if segments.shape[1] > s:
                values[len(labels) + k] = segments[:, s]
        return pd.DataFrame(values, columns=list(MEMBERS)).assign(segment=rows)[
            ["segment", *MEMBERS]
        ]

    def _bounds(
        self, mean: np.ndarray, horizon: int, exog: pd.DataFrame | None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        bounds = super()._bounds(mean, horizon, exog)
        # a version saved before the analogue member existed has four members and
        # forecasts its cold starts from the pooled model alone
        if len(self.members_) <= ANALOGUE or getattr(self, "cold_route_", "global") == "global":
            return bounds
        member = cast(AnalogueForecaster, self.members_[ANALOGUE])
        if not member.levels:
            return bounds
        # cold starts forecast by (or with) the analogues: their once-new half-widths,
        # around the routed mean (the analogues' own or the combined one)
        rows = (self.series_weights_[ANALOGUE] > 0) & member.young_
        own = member._bounds(mean, horizon, exog)
        for level in self.levels:
            lo, hi = bounds[int(level)]
            a_lo, a_hi = own[int(level)]
            bounds[int(level)] = (
                np.where(rows[:, None], a_lo, lo),
                np.where(rows[:, None], a_hi, hi),
            )
        return bounds

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        used = np.flatnonzero(self.series_weights_.sum(axis=1) > 0)
        stack = np.full((len(self.members_), self.panel_.n_series, horizon), np.nan)
        for j in used:  # skip members no series is routed to
            stack[j] = np.clip(self.members_[j].predict_dense(horizon, exog), 0.0, None)
        return combine_forecasts(stack, self.series_weights_)
