"""Exponential smoothing fitted to every series of a panel at once.

:class:`ExponentialSmoothing` fits one form (simple ``ANN``, Holt damped ``AAdN``,
Holt-Winters ``AAA``/``AAdA``, multiplicative ``MAM``...) with smoothing parameters
chosen per series; :class:`AutoETS` also chooses the form per series by an information
criterion (AICc by default). Smoothing parameters (within the usual bounds of
Hyndman et al.'s ``ets``, the trend's beta also at most ``1 / (2 m)``: see
:func:`~skillcast.models.ets_kernels.trend_limit`) and initial states are estimated
jointly by maximum likelihood for all series in one batch: from the best point of a
coarse parameter grid and from light smoothing, each refined by Levenberg-Marquardt (see
:mod:`skillcast.models.ets_search` and :mod:`skillcast.models.ets_refine`); nothing
loops over series.

Each series starts at its own first observation. Seasonal forms need two full seasons
of observations and multiplicative forms strictly positive data; a series that cannot
support a form is fitted with a simpler one.
"""

from __future__ import annotations

import os
from abc import abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster, check_panel
from skillcast.models.calibration import ConformalIntervals
from skillcast.models.ets_kernels import (
    EtsForm,
    align_left,
    forecast_states,
    initial_states,
    params_from_scaled,
    parse_form,
    simulate,
)
from skillcast.models.ets_search import States, refine_from, search_form
from skillcast.models.validation import RollingForecasts, validation_origins
from skillcast.panel import Panel

DEFAULT_FORMS: tuple[str, ...] = ("ANN", "AAN", "AAdN", "ANA", "AAA", "AAdA", "MNM", "MAM")
CRITERIA = ("aicc", "aic", "bic")
_FALLBACK = parse_form("ANN")


def information_criterion(
    lik: np.ndarray, n_obs: np.ndarray, n_params: int, criterion: str = "aicc"
) -> np.ndarray:
    """AICc, AIC or BIC from the -2 log-likelihood term ``lik`` (n log(SSE/n) for additive
    errors), per series; inf where a series has too few observations (n <= k + 1)."""
    n = n_obs.astype(float)
    k = float(n_params)
    with np.errstate(divide="ignore", invalid="ignore"):
        if criterion == "aic":
            value = lik + 2 * k
        elif criterion == "bic":
            value = lik + k * np.log(n)
        else:
            value = lik + 2 * k + 2 * k * (k + 1) / (n - k - 1)
    return np.where((n - k - 1 > 0) & np.isfinite(value), value, np.inf)


@dataclass
class _Search:
    """Per candidate form: each series' search coordinates, initial states and whether
    the form fitted it; what a refit at a later rolling origin starts from."""

    u: list[np.ndarray]  # (dims x series) per form
    init: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # level, trend, (m x series)
    ok: list[np.ndarray]  # bool per series

    def take(self, rows: np.ndarray) -> _Search:
        """The series at ``rows``."""
        return _Search(
            [u[:, rows] for u in self.u],
            [(a[rows], b[rows], c[:, rows]) for a, b, c in self.init],
            [ok[rows] for ok in self.ok],
        )

    def put(self, rows: np.ndarray, n_series: int, into: _Search | None) -> _Search:
        """``into`` (or an empty search over ``n_series``) with these series at ``rows``."""
        if into is None:
            into = _Search(
                [np.zeros((u.shape[0], n_series)) for u in self.u],
                [
                    (np.zeros(n_series), np.zeros(n_series), np.zeros((c.shape[0], n_series)))
                    for _, _, c in self.init
                ],  # fmt: skip
                [np.zeros(n_series, dtype=bool) for _ in self.ok],
            )
        for f in range(len(self.u)):
            into.u[f][:, rows] = self.u[f]
            for whole, part in zip(into.init[f], self.init[f], strict=True):
                whole[..., rows] = part
            into.ok[f][rows] = self.ok[f]
        return into


FormTask = tuple[
    np.ndarray, np.ndarray, EtsForm, int, np.ndarray,
    tuple[np.ndarray, States, np.ndarray] | None,
]  # fmt: skip


def fit_form(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    eligible: np.ndarray,
    warm: tuple[np.ndarray, States, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, States]:
    """One form fitted to the ``eligible`` series of left-aligned ``values`` (periods x
    series): a search from scratch, or for the series ``warm`` marks (its third item), a
    few refinement steps from its coordinates and states (an earlier origin's optimum).

    Returns:
        ``(u, lik, init)``: coordinates (dims x series), -2 log-likelihood term (inf
        where not fitted) and initial states, zeros outside ``eligible``.
    """
    n_series = values.shape[1]
    u = np.zeros((len(form.dims), n_series))
    lik = np.full(n_series, np.inf)
    init = (np.zeros(n_series), np.zeros(n_series), np.zeros((m, n_series)))
    hot = eligible & warm[2] if warm is not None else np.zeros(n_series, dtype=bool)
    for cols, from_warm in ((np.flatnonzero(eligible & ~hot), False),
                            (np.flatnonzero(hot), True)):  # fmt: skip
        if not cols.size:
            continue
        sub_v, sub_m = values[:, cols], mask[:, cols]
        if from_warm and warm is not None:
            w_u, w_init, _ = warm
            start = (w_init[0][cols], w_init[1][cols], w_init[2][:, cols])
            fit = refine_from(sub_v, sub_m, form, m, w_u[:, cols], start)
        else:
            fit = search_form(sub_v, sub_m, form, m, initial_states(sub_v, sub_m, form, m))
        u[:, cols], lik[cols], fitted = fit
        init[0][cols], init[1][cols], init[2][:, cols] = fitted
    return u, lik, init


def _cost(form: EtsForm) -> int:
    """Rough relative cost of fitting ``form``: coordinates searched, a multiplicative
    form's extra work counted once more."""
    return 4 * len(form.dims) + 20 * (form.season != "N") + 3 * form.multiplicative


#: Fewest series in a piece when one form is split across worker processes.
MIN_PIECE = 32

Fit: TypeAlias = tuple[np.ndarray, np.ndarray, States]


def _pieces(task: FormTask, parts: int) -> list[tuple[np.ndarray, FormTask]]:
    """``task`` split into ``parts`` tasks over disjoint groups of its eligible series:
    (the group's columns, the task on those columns only; :func:`fit_form` fits only
    the eligible columns, so a piece fits them exactly as the whole task would)."""
    values, mask, form, m, eligible, warm = task
    out = []
    for cols in np.array_split(np.flatnonzero(eligible), parts):
        start = None
        if warm is not None:
            u, (level, trend, season), ok = warm
            start = (u[:, cols], (level[cols], trend[cols], season[:, cols]), ok[cols])
        sub = (values[:, cols], mask[:, cols], form, m, np.ones(cols.size, dtype=bool), start)
        out.append((cols, sub))
    return out


def _merge(task: FormTask, pieces: list[tuple[np.ndarray, Fit]]) -> Fit:
    """The fits of a task's pieces put back in its series' columns (as :func:`fit_form`
    lays them out: zeros and an infinite likelihood where not fitted)."""
    values, _, form, m, _, _ = task
    n_series = values.shape[1]
    u = np.zeros((len(form.dims), n_series))
    lik = np.full(n_series, np.inf)
    init = (np.zeros(n_series), np.zeros(n_series), np.zeros((m, n_series)))
    for cols, (p_u, p_lik, p_init) in pieces:
        u[:, cols], lik[cols] = p_u, p_lik
        init[0][cols], init[1][cols], init[2][:, cols] = p_init
    return u, lik, init


def _map_forms(tasks: list[FormTask], n_jobs: int | None) -> list[Fit]:
    """:func:`fit_form` for every task, in worker processes when ``n_jobs`` asks for more
    than one. Processes, not threads: the recursions loop over periods in Python with
    small array operations, which hold the GIL most of the time (2 threads on the US CES
    panel were slower than one). With fewer forms than workers (a fixed form) a form's
    series are split between the workers, at least :data:`MIN_PIECE` to a piece. The
    costliest pieces go first, so the workers finish together."""
    jobs = 1 if n_jobs is None else int(n_jobs)
    if jobs == 0 or jobs < -1:
        raise SkillcastConfigError(f"n_jobs must be >= 1 or -1, got {n_jobs!r}")
    workers = (os.cpu_count() or 1) if jobs == -1 else jobs
    # (task, its series in the piece, the piece's task): one piece per task, or a form's
    # series in several when there are fewer forms than workers
    pieces = [
        (i, cols, sub)
        for i, task in enumerate(tasks)
        for cols, sub in _pieces(
            task, max(1, min(workers // len(tasks), int(task[4].sum()) // MIN_PIECE))
        )
    ]
    if workers == 1 or len(pieces) == 1:
        done = [fit_form(*sub) for _, _, sub in pieces]
    else:
        order = sorted(
            range(len(pieces)), key=lambda k: -_cost(pieces[k][2][2]) * pieces[k][1].size
        )
        # joblib (scikit-learn's own dependency) keeps its worker processes between calls
        fitted = Parallel(n_jobs=min(workers, len(pieces)))(
            delayed(fit_form)(*pieces[k][2]) for k in order
        )
        by_piece = dict(zip(order, fitted, strict=True))
        done = [by_piece[k] for k in range(len(pieces))]
    return [
        _merge(
            task, [(cols, fit) for (t, cols, _), fit in zip(pieces, done, strict=True) if t == i]
        )
        for i, task in enumerate(tasks)
    ]


class _SmoothingForecaster(Forecaster):
    """Shared fitting: search each candidate form, pick one per series, keep its states."""

    #: The information criterion computed per form and reported in ``params_``; AutoETS
    #: takes it as an init parameter and selects by it.
    criterion: str = "aicc"
    #: Worker processes for the candidate forms (an init parameter of the subclasses).
    n_jobs: int | None = None
    #: True: the candidate forms are a fallback chain, each fitted only on the series no
    #: form before it fitted; False: every form on every series it suits.
    chained: ClassVar[bool] = False

    @abstractmethod
    def _candidates(self) -> list[EtsForm]:
        """The forms to search."""

    @abstractmethod
    def _select(self, lik: np.ndarray, crit: np.ndarray, forms: list[EtsForm]) -> np.ndarray:
        """Index of the chosen form per series, from likelihoods and criteria."""

    def _season_length(self, panel: Panel) -> int:
        m = panel.freq.season_length if self.season_length is None else int(self.season_length)
        if m < 1:
            raise SkillcastConfigError(f"season_length must be >= 1, got {self.season_length!r}")
        return m

    def fit_rolling(self, panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
        """Fit on ``panel`` and return :meth:`rolling_forecast` from ``origins`` in one
        pass: the refits at the origins first, oldest first, each from the optimum at the
        origin before it, then the fit on the whole panel from the last origin's optimum
        rather than a search from scratch (no refit reads past its own origin), as
        ``fit`` does at its calibration origins. Cheaper than ``fit`` and ``rolling_forecast``; the
        whole-panel fit may settle in another local optimum than a fresh search would.
        Point forecasts only: ``levels`` must be empty.

        Returns:
            (series x origins x horizon), clipped at 0, NaN for series absent at an origin.
        """
        if self.levels:
            raise SkillcastConfigError("fit_rolling fits point forecasts: set levels=().")
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        rolling, warm = self._rolling(panel, origins, horizon)
        self.panel_, self.calibration_ = panel, None
        self._fit_forms(panel.dense(), panel, warm)
        return rolling

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> RollingForecasts | None:
        """The refits at the calibration origins of ``intervals`` come first (a search
        from scratch at the earliest, warm starts after, as :meth:`rolling_forecast`),
        then the whole-panel fit starts from the last origin's optimum, as
        :meth:`fit_rolling` does: one search from scratch per fit instead of two (1.6x
        faster on the US CES panel, MASE 0.4575 against 0.4519 with a second search; on
        ONS JOBS05 1.1815 against 1.1831). Point-only fits (``levels=()``) take the same
        path, so asking for intervals never moves the point forecasts; a panel too short
        for the calibration origins gets a search from scratch."""
        settings = self.interval_settings()
        try:
            origins, horizon = validation_origins(panel, settings.windows, settings.horizon)
        except SkillcastConfigError:
            if self.levels:
                raise
            self._fit_forms(y, panel, None)
            return None
        rolling, warm = self._rolling(panel, origins, horizon)
        self._fit_forms(y, panel, warm)
        return RollingForecasts(origins, rolling) if self.levels else None

    def rolling_forecast(self, panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
        """Point forecasts from each origin by a clone refitted on the data up to it, as
        the base class does, but each refit after the earliest origin starts from the
        optimum found at the origin before it (:func:`~skillcast.models.ets_search.refine_from`)
        instead of searching from scratch: several times cheaper, and still blind to
        everything after its own origin (warm starts come from earlier origins only)."""
        return self._rolling(panel, origins, horizon)[0]

    def _rolling(
        self, panel: Panel, origins: Sequence[int], horizon: int
    ) -> tuple[np.ndarray, _Search | None]:
        """Rolling forecasts and the last origin's search, in ``panel``'s series order."""
        out = np.full((panel.n_series, len(origins), horizon), np.nan)
        index = pd.MultiIndex.from_frame(panel.series)
        warm: _Search | None = None
        for k in np.argsort(np.asarray(origins), kind="stable"):
            pos = int(origins[k])
            known = panel.until(panel.periods[pos])
            rows = index.get_indexer(pd.MultiIndex.from_frame(known.series))
            model = clone(self).set_params(levels=())
            model.panel_, model.calibration_ = known, None
            start = None if warm is None else warm.take(rows)
            search = model._fit_forms(known.dense(), known, start)
            warm = search.put(rows, panel.n_series, warm)
            out[rows, k, :] = np.clip(model.predict_dense(horizon), 0.0, None)
        return out, warm

    def _fit_forms(self, y: np.ndarray, panel: Panel, warm: _Search | None) -> _Search:
        """Fit every candidate form and keep the chosen one per series; ``warm``: starts
        per form and series (in ``panel``'s order) from an earlier origin's fit."""
        criterion = self.criterion
        if criterion not in CRITERIA:
            raise SkillcastConfigError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
        m = self._season_length(panel)
        forms = self._candidates()
        if _FALLBACK not in forms:
            forms.append(_FALLBACK)  # for series too short for every requested form
        values, mask, first = align_left(y)
        n_series = y.shape[0]
        n_obs = mask.sum(axis=0)
        positive = ((values > 0) | (mask == 0)).all(axis=0) & (n_obs > 0)
        lik = np.full((len(forms), n_series), np.inf)
        crit = np.full((len(forms), n_series), np.inf)
        tasks = []
        for f, form in enumerate(forms):  # a handful of forms
            eligible = n_obs > 0
            if form.season != "N":
                eligible &= (m >= 2) & (n_obs >= 2 * m)
            if form.multiplicative:
                eligible &= positive
            start = None
            if warm is not None:
                start = (warm.u[f], warm.init[f], eligible & warm.ok[f])
            tasks.append((values, mask, form, max(m, 1), eligible, start))
        fits = self._chain(tasks) if self.chained else _map_forms(tasks, self.n_jobs)
        u_all = [fit[0] for fit in fits]
        init_all = [fit[2] for fit in fits]
        for f, form in enumerate(forms):
            lik[f] = fits[f][1]
            crit[f] = information_criterion(lik[f], n_obs, form.n_params(m), criterion)
        choice = self._select(lik, crit, forms)
        self._keep_states(values, mask, first, forms, choice, u_all, init_all, m)
        self.forms_ = tuple(form.name for form in forms)
        self.form_ = np.array(self.forms_, dtype=object)[choice]
        self.form_[n_obs == 0] = None
        self.criteria_ = pd.DataFrame(crit.T, columns=list(self.forms_))
        self.params_ = self._params_frame(panel, forms, choice, crit, n_obs)
        return _Search(u_all, init_all, [np.isfinite(row) for row in lik])

    def _chain(self, tasks: list[FormTask]) -> list[Fit]:
        """The forms in order, each on the eligible series no earlier form fitted: a
        fallback is fitted only where it is used (on the US CES panel, ``AAA`` alone
        instead of ``AAA``, ``AAN`` and ``ANN`` on every series)."""
        fits: list[Fit] = []
        fitted = np.zeros(tasks[0][0].shape[1], dtype=bool)
        for values, mask, form, m, eligible, start in tasks:
            fit = _map_forms([(values, mask, form, m, eligible & ~fitted, start)], self.n_jobs)[0]
            fitted |= np.isfinite(fit[1])
            fits.append(fit)
        return fits

    def _keep_states(
        self,
        values: np.ndarray,
        mask: np.ndarray,
        first: np.ndarray,
        forms: list[EtsForm],
        choice: np.ndarray,
        u_all: list[np.ndarray],
        init_all: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
        m: int,
    ) -> None:
        n_series = values.shape[1]
        m = max(m, 1)
        self.season_length_ = m
        self.choice_ = choice
        self.end_ = values.shape[0] - 1 - first  # aligned row of the panel's last period
        self.smoothing_ = {k: np.full(n_series, np.nan) for k in ("alpha", "beta", "gamma", "phi")}
        self.level_ = np.full(n_series, np.nan)
        self.trend_ = np.zeros(n_series)
        self.season_ = np.zeros((m, n_series))
        # initial states of the chosen forms: what insample_errors() replays from
        self.initial_level_ = np.full(n_series, np.nan)
        self.initial_trend_ = np.zeros(n_series)
        self.initial_season_ = np.zeros((m, n_series))
        for f, form in enumerate(forms):
            cols = np.flatnonzero((choice == f) & (first >= 0))
            if not cols.size:
                continue
            params = params_from_scaled(form, u_all[f][:, None, cols], m)
            sub_v, sub_m = values[:, cols], mask[:, cols]
            init = (init_all[f][0][cols], init_all[f][1][cols], init_all[f][2][:, cols])
            self.initial_level_[cols], self.initial_trend_[cols] = init[0], init[1]
            self.initial_season_[:, cols] = init[2]
            states = simulate(sub_v, sub_m, form, m, params, init, end=self.end_[cols]).states
            if states is None:
                raise RuntimeError("simulate(end=...) returned no final states")
            self.level_[cols], self.trend_[cols] = states[0][0], states[1][0]
            self.season_[:, cols] = states[2][:, 0]
            for key, value in params.items():
                self.smoothing_[key][cols] = value[0]
        self.candidate_forms_ = forms

    def _params_frame(
        self,
        panel: Panel,
        forms: list[EtsForm],
        choice: np.ndarray,
        crit: np.ndarray,
        n_obs: np.ndarray,
    ) -> pd.DataFrame:
        frame = panel.series.copy()
        # per-form flags, indexed by each series' choice (no loop over series)
        has_trend = np.array([f.trend != "N" for f in forms])[choice]
        has_season = np.array([f.season != "N" for f in forms])[choice]
        damped = np.array([f.trend == "Ad" for f in forms])[choice]
        frame["form"] = self.form_
        frame["alpha"] = self.smoothing_["alpha"]
        frame["beta"] = np.where(has_trend, self.smoothing_["beta"], np.nan)
        frame["gamma"] = np.where(has_season, self.smoothing_["gamma"], np.nan)
        frame["phi"] = np.where(damped, self.smoothing_["phi"], np.nan)
        frame[self.criterion] = crit[choice, np.arange(len(choice))]
        frame["n_obs"] = n_obs.astype(int)
        return frame

    def insample_errors(self) -> np.ndarray:
        """One-step in-sample errors ``y - fitted`` of the fitted model, (series x periods)
        in the fitted panel's order and periods, NaN where a series has no observation.

        The recursion is replayed from the estimated initial states with the estimated
        smoothing parameters (additive errors for every form: a multiplicative-error
        form's relative error ``e`` is turned into ``y - mu``). These are the residuals
        MinT's error covariance is usually estimated from (one per period of history).
        """
        self._check_fitted()
        y = self.panel_.dense()
        values, mask, first = align_left(y)
        n_periods, n_series = values.shape
        m = self.season_length_
        out = np.full((n_series, n_periods), np.nan)
        for f, form in enumerate(self.candidate_forms_):  # a handful of forms
            cols = np.flatnonzero((self.choice_ == f) & (first >= 0))
            if not cols.size:
                continue
            params = {k: v[None, cols] for k, v in self.smoothing_.items()}
            init = (self.initial_level_[cols], self.initial_trend_[cols],
                    self.initial_season_[:, cols])  # fmt: skip
            sub_v, sub_m = values[:, cols], mask[:, cols]
            sim = simulate(sub_v, sub_m, form, m, params, init, keep_errors=True)
            assert sim.errors is not None
            e = sim.errors[:, 0, :]
            if form.error == "M":  # relative (y - mu) / mu -> y - mu
                with np.errstate(divide="ignore", invalid="ignore"):
                    e = sub_v * e / (1.0 + e)
            e = np.where(sub_m > 0, e, np.nan)
            # left-aligned rows back to panel periods
            rows = np.arange(n_periods)[None, :] - first[cols][:, None]
            shifted = e[np.clip(rows, 0, None), np.arange(len(cols))[:, None]]
            out[cols] = np.where(rows >= 0, shifted, np.nan)
        return out

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        n_series = len(self.choice_)
        mean = np.full((n_series, horizon), np.nan)
        observed = ~np.isnan(self.level_)
        for f, form in enumerate(self.candidate_forms_):  # a handful of forms
            cols = np.flatnonzero((self.choice_ == f) & observed)
            if not cols.size:
                continue
            params = {k: v[cols] for k, v in self.smoothing_.items()}
            states = (self.level_[cols], self.trend_[cols], self.season_[:, cols])
            mean[cols] = forecast_states(
                form, self.season_length_, params, states, self.end_[cols], horizon
            )
        return mean


class AutoETS(_SmoothingForecaster):
    """Exponential smoothing with the form chosen per series by an information criterion.

    Args:
        season_length: periods per seasonal cycle; ``None`` takes the panel's. With 1
            (annual data) no seasonal form is fitted.
        forms: candidate forms, e.g. ``("ANN", "AAdN", "AAA", "MAM")``; ties go to the
            earlier one. ``ANN`` is always added as the fallback for series too short for
            every candidate.
        criterion: ``"aicc"`` (default), ``"aic"`` or ``"bic"``, computed from the
            one-step squared errors with every smoothing parameter, initial state and
            the error variance counted.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
        n_jobs: worker processes the candidate forms are fitted in, side by side (-1: one
            per core; ``None`` or 1: in this process). Worth it from about a hundred long
            series (the US CES panel, 102 monthly series: about 1.8x faster with 2); a
            small panel pays more for starting the workers than it saves.

    Attributes:
        form_: chosen form per series (object array, panel order).
        params_: per series: keys, form, alpha, beta, gamma, phi (NaN when the form has
            no such parameter), the criterion value and the number of observations.
        criteria_: criterion of every candidate form per series (inf when ineligible).
    """

    def __init__(
        self,
        season_length: int | None = None,
        forms: Sequence[str] = DEFAULT_FORMS,
        criterion: str = "aicc",
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.season_length = season_length
        self.forms = forms
        self.criterion = criterion
        self.levels = levels
        self.intervals = intervals
        self.n_jobs = n_jobs

    def _candidates(self) -> list[EtsForm]:
        if isinstance(self.forms, str) or not len(self.forms):
            raise SkillcastConfigError(f"forms must be a non-empty sequence, got {self.forms!r}")
        return list(dict.fromkeys(parse_form(f) for f in self.forms))

    def _select(self, lik: np.ndarray, crit: np.ndarray, forms: list[EtsForm]) -> np.ndarray:
        choice = np.argmin(crit, axis=0)
        none_fit = ~np.isfinite(crit).any(axis=0)
        return np.where(none_fit, forms.index(_FALLBACK), choice)


class ExponentialSmoothing(_SmoothingForecaster):
    """One exponential-smoothing form for every series, parameters chosen per series.

    A series that cannot support the form falls back, in order: to additive error and
    season (data not strictly positive), then to no season (fewer than two seasons of
    data), then to ``ANN``. Each fallback is fitted only on the series the forms before
    it could not fit (``criteria_`` is infinite for a form not fitted to a series): on
    the US CES panel (102 monthly series, 4 origins) ``AAA`` took 1.95 s against 3.29 s
    when every form was fitted on every series, ``MAM`` 2.63 s against 5.75 s, with the
    same forecasts.

    Args:
        form: ``"ANN"`` (simple), ``"AAN"`` (Holt), ``"AAdN"`` (damped Holt), ``"AAA"``/
            ``"AAdA"`` (additive Holt-Winters), ``"MAM"``/``"MAdM"`` (multiplicative
            Holt-Winters) or any other error/trend/season combination.
        season_length: periods per seasonal cycle; ``None`` takes the panel's.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.
        n_jobs: worker processes the form's series are split between (at least 32
            series to a worker; -1: one per core; ``None`` or 1: in this process). Little
            gain below a few hundred long series (the US CES panel, 102 monthly series:
            ``AAA`` 1.64 s with 2 against 1.95 s with 1); a small panel pays more for
            starting the workers than it saves.

    Attributes:
        form_, params_: as for :class:`AutoETS` (``form_`` shows any fallback).
    """

    def __init__(
        self,
        form: str = "ANN",
        season_length: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
        n_jobs: int | None = None,
    ) -> None:
        self.form = form
        self.season_length = season_length
        self.levels = levels
        self.intervals = intervals
        self.n_jobs = n_jobs

    def _candidates(self) -> list[EtsForm]:
        form = parse_form(self.form)
        additive = EtsForm("A", form.trend, "A" if form.season == "M" else form.season)
        chain = [form, additive, EtsForm("A", form.trend, "N"), _FALLBACK]
        return list(dict.fromkeys(chain))

    chained = True  # a fallback is fitted only on the series the forms before it failed

    def _select(self, lik: np.ndarray, crit: np.ndarray, forms: list[EtsForm]) -> np.ndarray:
        # the first form of the fallback chain that fitted
        return np.argmax(np.isfinite(lik), axis=0)
