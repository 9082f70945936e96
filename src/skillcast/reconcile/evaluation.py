"""Rolling-origin backtests of reconciled forecasts, scored per hierarchy level.

:func:`node_windows` backtests the base forecaster of a :class:`ReconciledForecaster` on
every node of the hierarchy once (city total, sectors, occupation major groups, levels,
bottom series); :meth:`NodeWindows.reconcile` then reconciles each window with a method,
exactly as the fitted forecaster would have at that origin:

* the summing structure is built from the bottom series present at the origin;
* the residuals are those ``fit`` would have used on the data up to the origin
  (``residual_source``): the in-sample one-step errors of AutoETS fitted on the nodes up
  to the origin, and/or the one-step-ahead errors at the ``residual_windows`` latest
  origins before it (so no error of a period after the origin is used): extra one-step
  windows before the first scored origin ("warm-up") and the scored windows' own first
  steps;
* the held bottom series are those intermittent or lumpy in the data up to the origin.

With ``step == 1`` these are the residual origins ``ReconciledForecaster.fit`` uses on the
data up to the origin, so the score equals that of ``backtest(forecaster, panel, ...)``
at a fraction of the fits. :func:`accuracy_by_level` tabulates MASE, WAPE, RMSSE,
direction-of-change hit rate and dissimilarity index per level, before (base) and after
(reconciled) reconciliation.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.backtest import BacktestResult, backtest
from skillcast.errors import SkillcastConfigError
from skillcast.forecast import Forecast
from skillcast.metrics import evaluate
from skillcast.panel import Panel
from skillcast.reconcile.forecaster import (
    NEEDS_RESIDUALS,
    LevelCalibrated,
    ReconciledForecaster,
    calibrated_errors,
    held_series,
    insample_errors,
    occupation_table,
    point_only,
    reconcile_nodes,
    usable_aggregations,
)
from skillcast.reconcile.frames import aggregate_panel, residual_matrix
from skillcast.reconcile.structure import SummingStructure, build_structure

__all__ = [
    "LEVEL_METRICS",
    "LevelBacktest",
    "NodeWindows",
    "accuracy_by_level",
    "level_backtest",
    "level_metrics",
    "node_windows",
]

#: The measures reported per hierarchy level (those official projection systems publish).
LEVEL_METRICS = ("mase", "wape", "rmsse", "hit_rate", "di")
COVERAGE = ("coverage_80", "coverage_95")  # reported too when the forecasts have intervals
_CARRIED = ["origin", "actual", "origin_value", "scale_mae", "scale_rmse"]


@dataclass
class LevelBacktest:
    """Base and reconciled backtest forecasts of every node, and the bottom as a backtest.

    Attributes:
        base: the base forecasts of every node (a backtest frame of the node panel: keys
            ``aggregation`` + the panel's keys, ``origin``, ``period``, ``step``,
            ``actual``, ``mean``, bounds, ``origin_value``, ``scale_mae``, ``scale_rmse``).
        reconciled: the same rows, reconciled (same columns, same order).
        bottom: the reconciled bottom series as a :class:`BacktestResult` of the panel:
            what the gate scores and the planner CSV would have shown.
        method: the method asked for; ``methods_used`` the one used per window (a
            fallback to ``wls_struct`` shows here).
        aggregations: the level names in structure order (``total`` ... ``bottom``).
    """

    base: pd.DataFrame
    reconciled: pd.DataFrame
    bottom: BacktestResult
    method: str
    methods_used: tuple[str, ...]
    aggregations: tuple[str, ...]


@dataclass
class NodeWindows:
    """The base forecaster's backtest on every node, ready to reconcile (see module doc)."""

    panel: Panel
    nodes: Panel
    base: BacktestResult
    errors: pd.DataFrame  # one-step errors: node keys, origin, actual, mean
    aggregations: list[list[str]]
    residual_windows: int
    levels: tuple[str, ...]  # aggregation level names in structure order
    residual_source: str = "backtest"

    def reconcile(
        self, method: str, nonnegative: bool = True, hold_intermittent: bool = True
    ) -> LevelBacktest:
        """Reconcile every window with ``method``; see the module doc for what each uses."""
        keys = list(self.panel.spec.keys)
        node_keys = ["aggregation", *keys]
        frame = self.base.frame
        windows, used = [], []
        for origin in self.base.origins:  # a handful of windows
            rows = frame.loc[frame["origin"] == origin].reset_index(drop=True)
            known = self.panel.until(origin)
            structure = build_structure(
                known.series, keys, aggregations=self.aggregations,
                taxonomy=occupation_table(known.spec),
            )  # fmt: skip
            residuals = None
            if method in NEEDS_RESIDUALS:
                residuals = self._residuals(known, structure, origin)
            held = held_series(known) if hold_intermittent else None
            values = [c for c in frame.columns if c not in (*_CARRIED, *node_keys)]
            base = Forecast(
                frame=rows.loc[:, [*node_keys, *values]],
                spec=self.nodes.spec,
                levels=self.base.levels,
                model=self.base.model,
            )
            out, how = reconcile_nodes(base, structure, method, residuals, held, nonnegative)
            merged = out.frame.drop(columns="node").merge(
                rows.loc[:, [*node_keys, "step", *_CARRIED]],
                on=[*node_keys, "step"],
                how="left",
                validate="one_to_one",
            )
            windows.append(merged.loc[:, list(frame.columns)])
            used.append(how)
        reconciled = pd.concat(windows, ignore_index=True)
        order = ["origin", *node_keys, "step"]
        reconciled = reconciled.sort_values(order, kind="stable", ignore_index=True)
        base_frame = frame.sort_values(order, kind="stable", ignore_index=True)
        reconciled.attrs["keys"] = base_frame.attrs["keys"] = node_keys
        bottom = reconciled.loc[reconciled["aggregation"] == "bottom"].drop(columns="aggregation")
        bottom = bottom.sort_values(["origin", *keys, "step"], kind="stable", ignore_index=True)
        bottom.attrs["keys"] = keys
        result = BacktestResult(
            frame=bottom,
            panel=self.panel,
            horizon=self.base.horizon,
            origins=self.base.origins,
            step=self.base.step,
            levels=self.base.levels,
            model=f"{self.base.model}+{method}",
            refit=self.base.refit,
        )
        return LevelBacktest(base_frame, reconciled, result, method, tuple(used), self.levels)

    def _residuals(
        self, known: Panel, structure: SummingStructure, origin: pd.Period
    ) -> np.ndarray | None:
        """What ``fit`` on the data up to ``origin`` would estimate the covariance from."""
        if self.residual_source == "insample":
            return insample_errors(aggregate_panel(known, structure), structure)
        backtested = residual_matrix(self._errors_before(origin), structure, step=1)
        if self.residual_source == "backtest":
            return backtested
        insample = insample_errors(aggregate_panel(known, structure), structure)
        return None if insample is None else calibrated_errors(insample, backtested, structure)

    def _errors_before(self, origin: pd.Period) -> pd.DataFrame:
        """One-step errors at the ``residual_windows`` latest origins before ``origin``."""
        errors = self.errors
        earlier = errors["origin"] < origin
        origins = np.sort(errors.loc[earlier, "origin"].unique())[-self.residual_windows :]
        return errors.loc[errors["origin"].isin(origins)]


def node_windows(
    model: ReconciledForecaster,
    panel: Panel,
    horizon: int,
    n_windows: int,
    step: int = 1,
    refit: bool = True,
    residuals: bool | None = None,
) -> NodeWindows:
    """Backtest ``model.forecaster`` on every node of ``panel`` (see module doc).

    ``residuals`` (default: whether ``model.method`` needs them) adds the warm-up
    one-step windows before the first scored origin.
    """
    if not isinstance(model, ReconciledForecaster):
        raise SkillcastConfigError(f"node_windows needs a ReconciledForecaster, got {model!r}")
    keys = list(panel.spec.keys)
    aggregations = usable_aggregations(keys, model.aggregations)
    structure = build_structure(
        panel.series, keys, aggregations=aggregations, taxonomy=occupation_table(panel.spec)
    )
    nodes = aggregate_panel(panel, structure)
    calibrated = LevelCalibrated(model.forecaster)
    base = backtest(calibrated, nodes, horizon, n_windows, step=step, refit=refit)
    node_keys = ["aggregation", *keys]
    columns = [*node_keys, "origin", "actual", "mean"]
    first_steps = base.frame.loc[base.frame["step"] == 1, [*columns, "step"]]
    parts = [first_steps]
    wanted = model.method in NEEDS_RESIDUALS if residuals is None else residuals
    source = model.residual_source
    wanted = wanted and source != "insample"  # in-sample errors need no warm-up windows
    r = int(model.residual_windows)
    if wanted and r > 0:
        early = nodes.until(base.origins[0])
        n_warm = min(r, early.n_periods - 3)  # each warm-up origin keeps >= 2 periods
        if n_warm >= 1:
            warm = backtest(point_only(model.forecaster), early, 1, n_warm)
            parts.insert(0, warm.frame.loc[:, [*columns, "step"]])
    errors = pd.concat(parts, ignore_index=True)
    return NodeWindows(panel, nodes, base, errors, aggregations, r, structure.aggregations, source)


def level_backtest(
    model: ReconciledForecaster,
    panel: Panel,
    horizon: int,
    n_windows: int,
    step: int = 1,
    refit: bool = True,
) -> LevelBacktest:
    """Backtest ``model`` with its own method: base and reconciled forecasts of every node."""
    windows = node_windows(model, panel, horizon, n_windows, step=step, refit=refit)
    return windows.reconcile(model.method, model.nonnegative, model.hold_intermittent)


def _di_column(aggregation: str, keys: list[str]) -> str:
    """The category column of a level's dissimilarity index (its occupation mix if it has
    one; the bottom: occupations over sectors and levels; the total: none, DI undefined)."""
    parts = [] if aggregation == "total" else aggregation.split(" x ")
    if aggregation == "bottom" or any(p.startswith("occupation") for p in parts):
        return "occupation" if "occupation" in keys else keys[0]
    return parts[0] if parts and parts[0] in keys else keys[0]


def accuracy_by_level(result: LevelBacktest) -> pd.DataFrame:
    """Accuracy per hierarchy level, base and reconciled.

    Returns:
        One row per level (in structure order: ``total``, ``sector``,
        ``occupation_major``, ``level``, ..., ``bottom``) and forecast (``base``,
        ``reconciled``): ``aggregation``, ``forecast``, ``n_series``, ``n`` (scored
        cells), :data:`LEVEL_METRICS` and the interval coverages the forecasts have.
        MASE is the mean over the level's series of their scaled errors; DI compares the
        forecast and actual mix across the level's categories (occupations where the
        level has them), undefined for the total.
    """
    keys = result.base.attrs["keys"]
    bottom_keys = [k for k in keys if k != "aggregation"]
    rows = []
    for name in result.aggregations:  # a handful of levels
        for label, frame in (("base", result.base), ("reconciled", result.reconciled)):
            part = frame.loc[frame["aggregation"] == name]
            scores = evaluate(part, keys=keys, di_column=_di_column(name, bottom_keys))
            row = {"aggregation": name, "forecast": label}
            row |= {c: scores[c].iloc[0] for c in ("n_series", "n", *LEVEL_METRICS)}
            row |= {c: scores[c].iloc[0] for c in COVERAGE if c in scores}
            rows.append(row)
    return pd.DataFrame(rows)


def level_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Flat metric names for tracking: ``recon_bottom_mase``, ``base_sector_wape``, ..."""
    prefix = {"base": "base", "reconciled": "recon"}
    out = {}
    for row in table.itertuples(index=False):
        level = str(row.aggregation).replace(" x ", "_x_").replace(" ", "_")
        for metric in LEVEL_METRICS:
            out[f"{prefix[row.forecast]}_{level}_{metric}"] = float(getattr(row, metric))
    return out
