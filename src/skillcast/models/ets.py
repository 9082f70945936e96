"""Exponential smoothing fitted to every series of a panel at once.

:class:`ExponentialSmoothing` fits one form (simple ``ANN``, Holt damped ``AAdN``,
Holt-Winters ``AAA``/``AAdA``, multiplicative ``MAM``...) with smoothing parameters
chosen per series; :class:`AutoETS` also chooses the form per series by an information
criterion (AICc by default). Smoothing parameters (within the usual bounds of
Hyndman et al.'s ``ets``) and initial states are estimated jointly by maximum likelihood
for all series in one batch: from the best point of a coarse parameter grid and from
light smoothing, each refined by Levenberg-Marquardt (see
:mod:`skillcast.models.ets_search` and :mod:`skillcast.models.ets_refine`); nothing
loops over series.

Each series starts at its own first observation. Seasonal forms need two full seasons
of observations and multiplicative forms strictly positive data; a series that cannot
support a form is fitted with a simpler one.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
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
from skillcast.models.ets_search import search_form
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


class _SmoothingForecaster(Forecaster):
    """Shared fitting: search each candidate form, pick one per series, keep its states."""

    #: The information criterion computed per form and reported in ``params_``; AutoETS
    #: takes it as an init parameter and selects by it.
    criterion: str = "aicc"

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

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
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
        u_all: list[np.ndarray] = []
        init_all: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        for f, form in enumerate(forms):  # a handful of forms
            eligible = n_obs > 0
            if form.season != "N":
                eligible &= (m >= 2) & (n_obs >= 2 * m)
            if form.multiplicative:
                eligible &= positive
            cols = np.flatnonzero(eligible)
            u = np.zeros((len(form.dims), n_series))
            init = (np.zeros(n_series), np.zeros(n_series), np.zeros((max(m, 1), n_series)))
            if cols.size:
                sub_v, sub_m = values[:, cols], mask[:, cols]
                start = initial_states(sub_v, sub_m, form, max(m, 1))
                u[:, cols], lik[f, cols], fitted = search_form(sub_v, sub_m, form, max(m, 1), start)
                init[0][cols], init[1][cols], init[2][:, cols] = fitted
            crit[f] = information_criterion(lik[f], n_obs, form.n_params(m), criterion)
            u_all.append(u)
            init_all.append(init)
        choice = self._select(lik, crit, forms)
        self._keep_states(values, mask, first, forms, choice, u_all, init_all, m)
        self.forms_ = tuple(form.name for form in forms)
        self.form_ = np.array(self.forms_, dtype=object)[choice]
        self.form_[n_obs == 0] = None
        self.criteria_ = pd.DataFrame(crit.T, columns=list(self.forms_))
        self.params_ = self._params_frame(panel, forms, choice, crit, n_obs)

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
        for f, form in enumerate(forms):
            cols = np.flatnonzero((choice == f) & (first >= 0))
            if not cols.size:
                continue
            params = params_from_scaled(form, u_all[f][:, None, cols])
            sub_v, sub_m = values[:, cols], mask[:, cols]
            init = (init_all[f][0][cols], init_all[f][1][cols], init_all[f][2][:, cols])
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
    ) -> None:
        self.season_length = season_length
        self.forms = forms
        self.criterion = criterion
        self.levels = levels
        self.intervals = intervals

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
    data), then to ``ANN``.

    Args:
        form: ``"ANN"`` (simple), ``"AAN"`` (Holt), ``"AAdN"`` (damped Holt), ``"AAA"``/
            ``"AAdA"`` (additive Holt-Winters), ``"MAM"``/``"MAdM"`` (multiplicative
            Holt-Winters) or any other error/trend/season combination.
        season_length: periods per seasonal cycle; ``None`` takes the panel's.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.

    Attributes:
        form_, params_: as for :class:`AutoETS` (``form_`` shows any fallback).
    """

    def __init__(
        self,
        form: str = "ANN",
        season_length: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.form = form
        self.season_length = season_length
        self.levels = levels
        self.intervals = intervals

    def _candidates(self) -> list[EtsForm]:
        form = parse_form(self.form)
        additive = EtsForm("A", form.trend, "A" if form.season == "M" else form.season)
        chain = [form, additive, EtsForm("A", form.trend, "N"), _FALLBACK]
        return list(dict.fromkeys(chain))

    def _select(self, lik: np.ndarray, crit: np.ndarray, forms: list[EtsForm]) -> np.ndarray:
        # the first form of the fallback chain that fitted
        return np.argmax(np.isfinite(lik), axis=0)
