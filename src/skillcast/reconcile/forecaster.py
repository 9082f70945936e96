"""Coherent forecasts of the occupation x level x sector hierarchy: :class:`ReconciledForecaster`.

The forecaster the apps train and register when ``reconcile.method`` is not ``none``. It
wraps any skillcast forecaster (the ``model`` config group) and

1. builds the summing structure of the panel's series (the ``reconcile.aggregations``:
   by default city total, sector, occupation major group, training level; the bottom
   series always) and the history of every node (:func:`~skillcast.reconcile.aggregate_panel`);
2. for ``mint_shrink`` and ``wls_var``, estimates the error covariance from residuals of
   every node (``residual_source``):

   * ``"insample"``: the one-step in-sample errors of a point-forecast
     :class:`~skillcast.models.AutoETS` fitted on the nodes, one per period of history,
     as hierarchicalforecast and R's fable use (one AutoETS fit);
   * ``"backtest"``: the one-step errors of a point-forecast copy of the wrapped
     forecaster refitted at the ``residual_windows`` origins before the end of the data
     (signed errors of forecasts made without the period forecast);
   * ``"calibrated"`` (default): the in-sample AutoETS errors, each aggregation level's
     rows scaled by one factor so their mean square matches the wrapped forecaster's
     backtest errors (the geometric mean over the level's nodes of the ratio). A handful
     of backtest errors per node gives very noisy variances (the shrinkage then goes
     almost all the way to the diagonal, so ``W`` is a diagonal of 4-8 squared errors per
     node, which made the bottom series worse on the real panels); the in-sample errors
     alone describe AutoETS, not the wrapped forecaster, whose accuracy can differ by
     level (a pooled model helps the bottom series more than the totals). The calibrated
     errors take the covariance's shape from the long in-sample history and each level's
     scale from the wrapped forecaster;
3. fits the wrapped forecaster on every node, its conformal intervals calibrated within
   each aggregation level (:class:`LevelCalibrated`: the city total's errors are not
   pooled with those of small cells);
4. at ``predict``, forecasts every node and reconciles them
   (:func:`~skillcast.reconcile.reconcile_forecast`), holding the bottom series whose
   history is intermittent or lumpy (Syntetos-Boylan, :func:`~skillcast.models.classify_demand`)
   at their base forecasts when ``hold_intermittent``, since reconciliation can badly
   distort such cells.

Intervals: each node keeps the width of its base interval, re-centred on its reconciled
forecast (``lower = reconciled - (base - base lower)``, clipped at 0). Reconciling the
bounds themselves adds up the bottom series' bounds, as if their errors moved together,
which makes the aggregates' intervals several times too wide; the re-centred widths are
calibrated on the base forecasts' own errors, and reconciled forecasts are usually more
accurate, so they are, if anything, a little conservative.

``predict`` returns the reconciled bottom series in the panel's own spec, so the wrapper
backtests, persists and serves like any forecaster; ``predict_all`` returns every node.
When the residuals cannot support a covariance estimate (fewer than two one-step errors,
or a node without any, e.g. a series that started inside the residual windows), the
reconciliation falls back to ``wls_struct`` and says so in ``Forecast.model``.

Library code with no Hydra or MLflow import: the registered model loads it without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.backtest import backtest
from skillcast.errors import SkillcastConfigError
from skillcast.forecast import Forecast, interval_columns
from skillcast.models.base import Forecaster, check_panel
from skillcast.models.ets import AutoETS
from skillcast.models.intermittent import classify_demand
from skillcast.panel import Panel
from skillcast.reconcile.frames import aggregate_panel, reconcile_forecast, residual_matrix
from skillcast.reconcile.structure import (
    TIER_NAMES,
    SummingStructure,
    build_structure,
    tier_column,
)
from skillcast.spec import PanelSpec
from skillcast.taxonomy import Taxonomy, for_column

__all__ = [
    "DEFAULT_AGGREGATIONS",
    "METHODS",
    "NEEDS_RESIDUALS",
    "LevelCalibrated",
    "ReconciledForecaster",
    "held_series",
    "point_only",
    "reconcile_nodes",
    "usable_aggregations",
]

#: Aggregation levels added up by default: city total, sector, occupation major group, level.
DEFAULT_AGGREGATIONS: tuple[tuple[str, ...], ...] = (
    (),
    ("sector",),
    ("occupation_major",),
    ("level",),
)
METHODS = ("mint_shrink", "wls_var", "wls_struct", "ols", "bottom_up")
NEEDS_RESIDUALS = ("mint_shrink", "wls_var")
RESIDUAL_SOURCES = ("calibrated", "insample", "backtest")
FALLBACK = "wls_struct"  # needs no residuals
HELD_CLASSES = ("intermittent", "lumpy")
OCCUPATION = "occupation"


def occupation_table(spec: PanelSpec) -> Taxonomy:
    """The occupation table occupation tiers roll up with: the user's own when the spec
    names one (a prefix cut with the shipped table's widths would make nonsense nodes of
    other codes), else the shipped one."""
    return for_column(spec.taxonomies, OCCUPATION, "occupation")


def usable_aggregations(
    keys: Sequence[str], aggregations: Sequence[Sequence[str]]
) -> list[list[str]]:
    """The aggregations whose columns the keys provide (keys, or occupation tiers).

    An aggregation naming a key the data lacks (``sector`` for a panel keyed by
    occupation and level only) is left out, so the default list fits any panel.
    """
    tiers = {tier_column(OCCUPATION, t) for t in TIER_NAMES} if OCCUPATION in keys else set()
    known = set(keys) | tiers
    out = []
    for spec in aggregations:
        cols = [spec] if isinstance(spec, str) else list(spec)
        if all(c in known for c in cols):
            out.append(cols)
    return out


def point_only(forecaster: Forecaster) -> Forecaster:
    """An unfitted copy without interval levels (no conformal calibration refits)."""
    copy = clone(forecaster)
    holder = settings_holder(copy)
    if "levels" in holder.get_params(deep=False):
        holder.set_params(levels=())
    return copy


def settings_holder(forecaster: Forecaster) -> Forecaster:
    """The forecaster whose parameters hold the interval settings: ``forecaster`` itself,
    or the one it wraps when it is a wrapper without settings of its own (a
    :class:`~skillcast.distributed.DistributedForecaster` passes its forecaster's on)."""
    current = forecaster
    while True:
        params = current.get_params(deep=False)
        inner = params.get("forecaster")
        if "intervals" in params or "levels" in params or not isinstance(inner, Forecaster):
            return current
        current = inner


def held_series(panel: Panel) -> np.ndarray:
    """Boolean mask (series in panel order) of intermittent or lumpy demand histories."""
    classes = classify_demand(panel)["demand_class"].to_numpy()
    return np.isin(classes, HELD_CLASSES)


def _usable_residuals(residuals: np.ndarray | None) -> bool:
    if residuals is None or residuals.ndim != 2:
        return False
    seen = np.isfinite(residuals)
    return int(seen.any(axis=0).sum()) >= 2 and bool(seen.any(axis=1).all())


def reconcile_nodes(
    base: Forecast,
    structure: SummingStructure,
    method: str,
    residuals: np.ndarray | None = None,
    fixed: np.ndarray | None = None,
    nonnegative: bool = True,
) -> tuple[Forecast, str]:
    """Reconcile base forecasts of every node; return them and the method used.

    ``mint_shrink``/``wls_var`` fall back to ``wls_struct`` when ``residuals``
    ((n_total, T), structure order) cannot support the estimate. Bounds are the base
    intervals re-centred on the reconciled forecasts (see module doc).
    """
    used = method
    if method in NEEDS_RESIDUALS and not _usable_residuals(residuals):
        used = FALLBACK
    point = Forecast(frame=base.frame.drop(columns=_bounds(base)), spec=base.spec, levels=())
    out = reconcile_forecast(
        point,
        structure,
        used,
        residuals=residuals if used in NEEDS_RESIDUALS else None,
        nonnegative=nonnegative,
        fixed=fixed if fixed is not None and fixed.any() else None,
    )
    return _recentred(out, base, structure), used


def _bounds(forecast: Forecast) -> list[str]:
    return [c for lv in forecast.levels for c in interval_columns(lv)]


def _recentred(out: Forecast, base: Forecast, structure: SummingStructure) -> Forecast:
    """``out`` with each node's base interval shifted by its (reconciled - base) mean."""
    if not base.levels:
        return out
    horizon = int(out.frame["step"].max())

    def dense(frame: pd.DataFrame, column: str) -> np.ndarray:
        """(n_total, horizon) values of a column, nodes in structure order."""
        values = np.full((structure.n_total, horizon), np.nan)
        values[structure.locate(frame), frame["step"].to_numpy() - 1] = frame[column]
        return values

    rows = (structure.locate(out.frame), out.frame["step"].to_numpy() - 1)
    mean = out.frame["mean"].to_numpy(dtype=float)
    shift = mean - dense(base.frame, "mean")[rows]
    frame = out.frame.copy()
    inner_lo, inner_hi = mean, mean
    for level in sorted(base.levels):  # nested: lower_95 <= lower_80 <= mean <= upper_80 ...
        lo_col, hi_col = interval_columns(level)
        lo = np.minimum(dense(base.frame, lo_col)[rows] + shift, inner_lo)
        hi = np.maximum(dense(base.frame, hi_col)[rows] + shift, inner_hi)
        frame[lo_col], frame[hi_col] = np.clip(lo, 0.0, None), hi
        inner_lo, inner_hi = frame[lo_col].to_numpy(), hi
    return Forecast(frame=frame, spec=out.spec, levels=tuple(sorted(base.levels)), model=out.model)


class LevelCalibrated(Forecaster):
    """A forecaster of every node whose conformal intervals are calibrated per level.

    Fits a clone of ``forecaster`` whose ``intervals.groups`` is ``("aggregation",)``:
    residuals pool within an aggregation level (the total with itself, sectors with sectors, ...)
    instead of across all nodes, whose sizes differ by four orders of magnitude.
    """

    def __init__(self, forecaster: Forecaster) -> None:
        self.forecaster = forecaster

    @property
    def levels(self) -> tuple[int, ...]:  # type: ignore[override]
        return tuple(getattr(self.forecaster, "levels", ()) or ())

    def fit(self, panel: Panel) -> Self:
        panel = check_panel(panel, type(self).__name__)
        inner = clone(self.forecaster)
        if "aggregation" in panel.spec.keys:
            holder = settings_holder(inner)  # a clone too: clone copies nested estimators
            pooled = replace(holder.interval_settings(), groups=("aggregation",))
            holder.set_params(intervals=pooled)
        self.panel_ = panel
        self.forecaster_ = inner.fit(panel)
        return self

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        self._check_fitted()
        return self.forecaster_.predict(horizon, exog=exog)

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} fits whole panels: call fit(panel)")

    def _predict_dense(self, horizon: int, exog: Any) -> np.ndarray:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} predicts whole panels: call predict(horizon)")


class ReconciledForecaster(Forecaster):
    """Forecast every node of the grouped hierarchy, return coherent forecasts.

    Args:
        forecaster: the base forecaster, fitted on every node (unfitted; it is cloned).
        method: ``mint_shrink`` (default), ``wls_var``, ``wls_struct``, ``ols`` or
            ``bottom_up``.
        aggregations: grouping columns of each aggregation level (``()`` = total; key
            columns or occupation tiers such as ``occupation_major``); levels naming
            columns the data lacks are skipped.
        nonnegative: keep every reconciled value >= 0.
        hold_intermittent: hold intermittent and lumpy bottom series at their base forecasts.
        residual_windows: one-step-ahead backtest origins whose errors estimate the error
            covariance (``mint_shrink``, ``wls_var``) with ``residual_source`` ``"backtest"``
            or ``"calibrated"``.
        residual_source: ``"calibrated"`` (default), ``"insample"`` or ``"backtest"``:
            which errors estimate the covariance (see the module doc). ``"insample"``
            needs no backtest; the others refit the wrapped forecaster at
            ``residual_windows`` origins.

    Attributes:
        panel_: the bottom panel fitted on. base_: the base forecaster fitted on every node.
        aggregations_: the aggregations used. residuals_: (n_total, T) one-step errors in
        structure order, or None. held_: bottom series held at their base forecasts.
    """

    _structure: SummingStructure | None = None  # built in fit; not saved

    def __init__(
        self,
        forecaster: Forecaster,
        method: str = "mint_shrink",
        aggregations: Sequence[Sequence[str]] = DEFAULT_AGGREGATIONS,
        nonnegative: bool = True,
        hold_intermittent: bool = True,
        residual_windows: int = 8,
        residual_source: str = "calibrated",
    ) -> None:
        self.forecaster = forecaster
        self.method = method
        self.aggregations = aggregations
        self.nonnegative = nonnegative
        self.hold_intermittent = hold_intermittent
        self.residual_windows = residual_windows
        self.residual_source = residual_source

    @property
    def levels(self) -> tuple[int, ...]:  # type: ignore[override]
        """The interval levels of the wrapped forecaster."""
        return tuple(getattr(self.forecaster, "levels", ()) or ())

    # ------------------------------------------------------------------ fitting
    def fit(self, panel: Panel) -> Self:
        """Fit the base forecaster on every node and estimate what reconciliation needs."""
        panel = check_panel(panel, type(self).__name__)
        self._check_params()
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        self.panel_ = panel
        self.aggregations_ = usable_aggregations(panel.spec.keys, self.aggregations)
        self._structure = self._build(panel)
        nodes = aggregate_panel(panel, self._structure)
        self.residuals_ = None
        if self.method in NEEDS_RESIDUALS:
            self.residuals_ = node_errors(
                self.forecaster, nodes, self._structure, int(self.residual_windows),
                self.residual_source,
            )  # fmt: skip
        self.held_ = held_series(panel) if self.hold_intermittent else np.zeros(0, dtype=bool)
        self.base_ = LevelCalibrated(self.forecaster).fit(nodes)
        return self

    def _check_params(self) -> None:
        if not isinstance(self.forecaster, Forecaster):
            raise SkillcastConfigError(
                f"ReconciledForecaster wraps a skillcast Forecaster, got "
                f"{type(self.forecaster).__name__}."
            )
        if self.method not in METHODS:
            raise SkillcastConfigError(
                f"reconcile.method={self.method!r}; choose one of {METHODS} (or none)."
            )
        if self.residual_source not in RESIDUAL_SOURCES:
            raise SkillcastConfigError(
                f"residual_source={self.residual_source!r}; choose one of {RESIDUAL_SOURCES}."
            )
        if int(self.residual_windows) < 0:
            raise SkillcastConfigError(
                f"residual_windows must be >= 0, got {self.residual_windows!r}."
            )

    def _build(self, panel: Panel) -> SummingStructure:
        return build_structure(
            panel.series, panel.spec.keys, aggregations=self.aggregations_,
            taxonomy=occupation_table(panel.spec),
        )  # fmt: skip

    def structure(self) -> SummingStructure:
        """The summing structure of the fitted panel's series.

        Kept from ``fit``; a loaded model (the structure is not saved: it is rebuilt
        from the panel in well under a second) builds it again on each call rather than
        caching it, so ``predict`` never changes the model.
        """
        self._check_fitted()
        if self._structure is None:
            return self._build(self.panel_)
        return self._structure

    # ---------------------------------------------------------------- predicting
    def predict_all(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """Reconciled forecasts of every node (keys ``aggregation`` + the panel's keys)."""
        base = self.predict_base(horizon, exog)
        held = self.held_ if self.held_.size else None
        out, used = reconcile_nodes(
            base, self.structure(), self.method, self.residuals_, held, self.nonnegative
        )
        if used != self.method:
            out.model = f"{out.model} (fallback from {self.method}: too few residuals)"
        return out

    def predict_base(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """Base (unreconciled) forecasts of every node."""
        self._check_fitted()
        if int(horizon) < 1:
            raise SkillcastConfigError(f"horizon must be >= 1, got {horizon!r}")
        return self.base_.predict(int(horizon), exog=self._node_exog(exog))

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """Reconciled forecasts of the bottom series, in the fitted panel's spec and order."""
        return self.bottom(self.predict_all(horizon, exog))

    def bottom(self, nodes: Forecast) -> Forecast:
        """The bottom series of an every-node forecast, as a forecast of the fitted panel."""
        self._check_fitted()
        frame = nodes.frame
        rows = frame.loc[frame["aggregation"] == "bottom"]
        keys = list(self.panel_.spec.keys)
        columns = [*keys, "period", "step", "mean"]
        columns += [c for lv in nodes.levels for c in interval_columns(lv)]
        out = rows.loc[:, columns].reset_index(drop=True)
        return Forecast(frame=out, spec=self.panel_.spec, levels=nodes.levels, model=nodes.model)

    def _node_exog(self, exog: pd.DataFrame | None) -> pd.DataFrame | None:
        """City-wide driver rows for the node panel (drivers varying by key were dropped)."""
        if exog is None:
            return None
        spec = self.base_.panel_.spec
        keep = [c for c in spec.known_exog if c in exog.columns]
        if not keep or spec.period not in exog.columns:
            return None
        return exog.loc[:, [spec.period, *keep]].drop_duplicates(spec.period, ignore_index=True)

    # the protocol's dense hooks are not used: fit and predict work on whole panels
    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} fits whole panels: call fit(panel)")

    def _predict_dense(self, horizon: int, exog: Any) -> np.ndarray:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} predicts whole panels: call predict(horizon)")


def node_errors(
    forecaster: Forecaster,
    nodes: Panel,
    structure: SummingStructure,
    windows: int,
    source: str,
) -> np.ndarray | None:
    """The residuals of every node ``fit`` estimates the error covariance from (``source``:
    see the module doc); None when there are too few."""
    if source == "insample":
        return insample_errors(nodes, structure)
    backtested = one_step_errors(forecaster, nodes, structure, windows)
    if source == "backtest" or backtested is None:
        return backtested
    insample = insample_errors(nodes, structure)
    return None if insample is None else calibrated_errors(insample, backtested, structure)


def calibrated_errors(
    insample: np.ndarray, backtested: np.ndarray, structure: SummingStructure
) -> np.ndarray:
    """``insample`` with each aggregation level's rows scaled by one factor: the square
    root of the geometric mean, over the level's nodes with both kinds of errors, of
    (mean squared ``backtested`` error) / (mean squared ``insample`` error)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.nanmean(backtested**2, axis=1) / np.nanmean(insample**2, axis=1)
    levels = structure.nodes["aggregation"].to_numpy()
    scale = np.ones(structure.n_total)
    for name in pd.unique(levels):  # a handful of levels
        rows = levels == name
        usable = ratio[rows][np.isfinite(ratio[rows]) & (ratio[rows] > 0)]
        if usable.size:
            scale[rows] = np.sqrt(np.exp(np.log(usable).mean()))
    return insample * scale[:, None]


def insample_errors(nodes: Panel, structure: SummingStructure) -> np.ndarray | None:
    """(n_total, T) one-step in-sample errors of a point-forecast AutoETS fitted on every
    node (``actual - fitted``), nodes in structure order; None when the panel is too short
    for two errors."""
    if nodes.n_periods < 2:
        return None
    model = AutoETS(levels=()).fit(nodes)
    out = np.full((structure.n_total, nodes.n_periods), np.nan)
    out[structure.locate(nodes.series)] = model.insample_errors()
    return out


def one_step_errors(
    forecaster: Forecaster, nodes: Panel, structure: SummingStructure, windows: int
) -> np.ndarray | None:
    """(n_total, T) errors ``actual - forecast`` one period ahead, nodes in structure order.

    A point-forecast copy of ``forecaster`` is refitted at each of the last ``windows``
    origins (``T <= windows``; fewer when the panel is short); None when fewer than two
    fit.
    """
    windows = min(int(windows), nodes.n_periods - 3)  # each origin keeps >= 2 periods
    if windows < 2:
        return None
    result = backtest(point_only(forecaster), nodes, horizon=1, n_windows=windows)
    return residual_matrix(result.frame, structure, step=1)
