"""Weighted combinations of forecasters.

:class:`Ensemble` averages its members' point forecasts with equal weights, fixed
weights, or weights learned from rolling-origin validation inside the training data
(inverse of each member's error, optionally per group of series), and calibrates
conformal intervals on the residuals of the combined forecast itself: the members'
own intervals are not combined, because an average of forecasts has less spread than
any member's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.base import DEFAULT_LEVELS, Forecaster
from skillcast.models.calibration import ConformalIntervals
from skillcast.models.validation import (
    METRICS,
    RollingForecasts,
    group_errors,
    inverse_error_weights,
    member_names,
    series_errors,
    series_groups,
    validation_origins,
)
from skillcast.panel import Panel

WEIGHTINGS = ("equal", "backtest")


def combine(forecasts: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over members, renormalised where a member has no forecast.

    Args:
        forecasts: (members x series x ...) point forecasts, NaN where missing.
        weights: (members x series), each column summing to 1.

    Returns:
        (series x ...) combination; NaN where no member with weight > 0 has a value.
    """
    w = weights.reshape(weights.shape + (1,) * (forecasts.ndim - 2))
    w = np.where(np.isnan(forecasts), 0.0, np.broadcast_to(w, forecasts.shape))
    total = w.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(np.isnan(forecasts), 0.0, forecasts * w).sum(axis=0) / total
    return np.where(total > 0, out, np.nan)


class Ensemble(Forecaster):
    """Combine forecasters' point forecasts; calibrate intervals on the combination.

    Args:
        forecasters: a list of forecasters, or a dict name -> forecaster (names appear
            in ``weights_``; a list takes class names).
        weights: ``"equal"``; ``"backtest"``: proportional to ``1 / error`` of each
            member on ``validation_windows`` rolling origins inside the training data
            (the last origin ``validation_horizon`` periods before its end, so nothing
            after the training data is read); or fixed numbers, one per member.
        by: groups with their own backtest weights: a key column, ``"column:n"`` (the
            first n characters of its codes, e.g. ``"occupation:1"`` for the major
            group), or a list of them; ``None``: one set of weights.
        metric: ``"mase"`` or ``"wape"``, the validation error behind the weights.
        min_group_series: a group with fewer scored series takes the overall weights.
        validation_windows: rolling origins for weights and interval calibration.
        validation_horizon: steps forecast from each; ``None``: twice the season length,
            at least 4.
        levels: central interval coverages (percent); ``()`` for point forecasts only.
        intervals: how the intervals are calibrated (:class:`~skillcast.models.ConformalIntervals`);
            ``None``: its defaults.

    Attributes:
        members_: the fitted members (point forecasts only), in order.
        names_: member names.
        weights_: one row per group (the ``by`` columns, or ``group="all"``), one weight
            column per member.
        validation_errors_: the members' validation errors, laid out like ``weights_``
            (``None`` for equal or fixed weights without intervals).
        series_weights_: (members x series) weights applied to each series.
    """

    def __init__(
        self,
        forecasters: Sequence[Forecaster] | Mapping[str, Forecaster] = (),
        weights: str | Sequence[float] = "equal",
        by: str | Sequence[str] | None = None,
        metric: str = "mase",
        min_group_series: int = 5,
        validation_windows: int = 4,
        validation_horizon: int | None = None,
        levels: tuple[int, ...] = DEFAULT_LEVELS,
        intervals: ConformalIntervals | None = None,
    ) -> None:
        self.forecasters = forecasters
        self.weights = weights
        self.by = by
        self.metric = metric
        self.min_group_series = min_group_series
        self.validation_windows = validation_windows
        self.validation_horizon = validation_horizon
        self.levels = levels
        self.intervals = intervals

    def _members(self) -> list[Forecaster]:
        items = self.forecasters
        members = list(items.values()) if isinstance(items, Mapping) else list(items)
        if not members:
            raise SkillcastConfigError("Ensemble needs at least one forecaster.")
        bad = [type(m).__name__ for m in members if not isinstance(m, Forecaster)]
        if bad:
            raise SkillcastConfigError(f"Ensemble members must be forecasters, got {bad}.")
        return members

    def _fixed_weights(self, n_members: int) -> np.ndarray | None:
        if isinstance(self.weights, str):
            if self.weights not in WEIGHTINGS:
                raise SkillcastConfigError(
                    f"weights must be one of {WEIGHTINGS} or numbers, got {self.weights!r}"
                )
            return np.full(n_members, 1.0 / n_members) if self.weights == "equal" else None
        values = np.asarray(list(self.weights), dtype=float)
        if values.shape != (n_members,) or (values < 0).any() or values.sum() <= 0:
            raise SkillcastConfigError(
                f"weights must be {n_members} non-negative numbers with a positive sum, "
                f"got {self.weights!r}"
            )
        return values / values.sum()

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> RollingForecasts | None:
        if self.metric not in METRICS:
            raise SkillcastConfigError(f"metric must be one of {METRICS}, got {self.metric!r}")
        members = self._members()
        self.names_ = member_names(self.forecasters)
        fixed = self._fixed_weights(len(members))
        self.members_ = [clone(m).set_params(levels=()).fit(panel) for m in members]
        groups, table = series_groups(panel, self.by)
        self.validation_errors_ = None
        if fixed is not None and not self.levels:
            self.series_weights_ = np.repeat(fixed[:, None], panel.n_series, axis=1)
            self.weights_ = table.assign(**dict(zip(self.names_, fixed, strict=True)))
            return None
        origins, horizon = validation_origins(
            panel, self.validation_windows, self.validation_horizon
        )
        stack = np.stack([m.rolling_forecast(panel, origins, horizon) for m in self.members_])
        if fixed is None:
            group_w, errors = self._learned(panel, origins, stack, groups)
            self.validation_errors_ = _table(table, self.names_, errors)
        else:
            group_w = np.repeat(fixed[:, None], len(table), axis=1)
        self.series_weights_ = group_w[:, groups]
        self.weights_ = _table(table, self.names_, group_w)
        # intervals are calibrated on the combination's own validation errors
        return RollingForecasts(origins, combine(stack, self.series_weights_))

    def _learned(
        self, panel: Panel, origins: list[int], stack: np.ndarray, groups: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """(members x groups) weights and errors; small groups take the overall weights."""
        num, den = series_errors(panel, origins, stack, self.metric)
        errors = group_errors(num, den, groups, self.metric)
        overall = group_errors(num, den, np.zeros_like(groups), self.metric)
        scored = np.bincount(groups, weights=(den > 0).all(axis=0), minlength=errors.shape[1])
        weights = inverse_error_weights(errors)
        small = scored < int(self.min_group_series)
        weights[:, small] = inverse_error_weights(overall)
        return weights, errors

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        stack = np.stack([m.predict_dense(horizon, exog) for m in self.members_])
        return combine(np.clip(stack, 0.0, None), self.series_weights_)


def _table(groups: pd.DataFrame, names: list[str], values: np.ndarray) -> pd.DataFrame:
    """Group columns then one column per member (values: members x groups)."""
    return groups.assign(**{n: values[j] for j, n in enumerate(names)})
