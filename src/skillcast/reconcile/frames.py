"""Panels and forecasts at every node: aggregate the history, reconcile the forecasts.

The workflow: ``structure = build_structure(panel)``; ``agg = aggregate_panel(panel,
structure)``; fit any forecaster on ``agg`` (its series are all nodes); backtest it for
residuals (``residual_matrix``); ``reconcile_forecast(forecaster.predict(h), structure,
residuals=...)`` returns coherent forecasts of every node.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.forecast import Forecast, interval_columns
from skillcast.panel import Panel, PanelSpec
from skillcast.reconcile.methods import make_reconciler
from skillcast.reconcile.structure import SummingStructure

__all__ = [
    "aggregate_forecast",
    "aggregate_panel",
    "aggregated_spec",
    "reconcile_forecast",
    "residual_matrix",
]


def aggregated_spec(spec: PanelSpec, exog: tuple[str, ...] = ()) -> PanelSpec:
    """The spec of a panel of nodes: keys ``("aggregation", *keys)``, no code checks.

    Only the exogenous columns named in ``exog`` are kept. The taxonomies stay (codes
    are not checked against them: ``unknown_codes="keep"``), so a base model fitted on
    the nodes reads the user's own classification tables, not the shipped ones.
    """
    keys = spec.keys if spec.keys[:1] == ("aggregation",) else ("aggregation", *spec.keys)
    return spec.with_(
        keys=keys,
        known_exog=tuple(c for c in spec.known_exog if c in exog),
        observed_exog=tuple(c for c in spec.observed_exog if c in exog),
        unknown_codes="keep",
    )


def aggregate_panel(panel: Panel, structure: SummingStructure) -> Panel:
    """A panel whose series are all nodes of ``structure``, each the sum of its bottom series.

    A node has a row from the first period any of its bottom series has to the last;
    bottom series outside their own span count as zero, and a node is missing (NaN) in a
    period where one of its bottom series has a row with a missing target. Exogenous
    columns that are the same for every series in each period (city-wide drivers) are
    kept; the others cannot be added up and are dropped.

    Returns:
        Panel with keys ``("aggregation", *structure.keys)``; aggregated-out keys hold
        ``"*"`` and rolled-up occupations their tier's code.
    """
    spec = panel.spec
    if set(structure.keys) != set(spec.keys):
        raise SkillcastConfigError(
            f"the structure's keys {structure.keys} differ from the panel's {spec.keys}"
        )
    pos = structure.bottom_positions(panel.series)
    if len(pos) != structure.n_bottom:
        raise SkillcastDataError(
            f"the panel has {len(pos)} series, the structure {structure.n_bottom} bottom "
            "series; build the structure from this panel"
        )
    S, n_periods = structure.S, panel.n_periods
    first, last = np.empty_like(pos), np.empty_like(pos)
    first[pos], last[pos] = panel.first_last()
    y = _in_bottom_order(panel.dense(), pos)
    t = np.arange(n_periods)
    inspan = (t >= first[:, None]) & (t <= last[:, None])
    missing = inspan & np.isnan(y)
    total = np.asarray(S @ np.where(inspan & ~missing, y, 0.0))
    total[np.asarray(S @ missing.astype(float)) > 0] = np.nan
    node_first = np.minimum.reduceat(first[S.indices], S.indptr[:-1])
    node_last = np.maximum.reduceat(last[S.indices], S.indptr[:-1])
    r, c = np.nonzero((t >= node_first[:, None]) & (t <= node_last[:, None]))
    keys = ["aggregation", *structure.keys]
    frame = structure.nodes.iloc[r][keys].reset_index(drop=True).astype(str)
    frame[spec.period] = pd.Series(panel.periods.take(c))
    frame[spec.target] = total[r, c]
    kept = []
    for column in spec.exog:  # a few drivers
        values = _in_bottom_order(panel.dense(column), pos)
        lo, hi = np.fmin.reduce(values, axis=0), np.fmax.reduce(values, axis=0)
        if np.all((lo == hi) | np.isnan(lo)):
            frame[column] = lo[c]
            kept.append(column)
    return Panel(aggregated_spec(spec, tuple(kept)), frame)


def _in_bottom_order(dense: np.ndarray, pos: np.ndarray) -> np.ndarray:
    out = np.empty_like(dense)
    out[pos] = dense
    return out


def aggregate_forecast(forecast: Forecast, structure: SummingStructure) -> Forecast:
    """Add a forecast of the bottom series up to every node (bottom-up, with bounds).

    Interval bounds are added up too, which is exact only if the bottom errors move
    together: the aggregates' intervals are conservative (too wide).
    """
    frame = forecast.frame
    pos = structure.bottom_positions(frame.loc[:, list(structure.keys)])
    columns = _value_columns(forecast.levels)
    base, periods = _dense(frame, pos, structure.n_bottom, columns)
    out = structure.aggregate(base)
    bounds = {
        lvl: (out[..., 2 * i + 1], out[..., 2 * i + 2]) for i, lvl in enumerate(forecast.levels)
    }
    return _forecast(structure, forecast, out[..., 0], bounds, periods, forecast.model)


def reconcile_forecast(
    forecast: Forecast,
    structure: SummingStructure,
    method: str = "mint_shrink",
    residuals: np.ndarray | None = None,
    nonnegative: bool = True,
    fixed: np.ndarray | pd.Series | pd.DataFrame | None = None,
    **params: Any,
) -> Forecast:
    """Coherent forecasts of every node from base forecasts of every node.

    Args:
        forecast: base forecasts, e.g. from a forecaster fit on :func:`aggregate_panel`;
            rows matched to nodes on ``node`` or on ``aggregation`` and the keys.
            ``bottom_up`` also accepts a forecast of the bottom series only.
        structure: the summing structure.
        method: ``mint_shrink`` (default; needs ``residuals``), ``wls_var`` (needs
            ``residuals``), ``wls_struct``, ``ols`` or ``bottom_up``.
        residuals: (n_total, T) base-forecast errors in structure order
            (see :func:`residual_matrix`).
        nonnegative: keep every value >= 0 (see :mod:`skillcast.reconcile.methods`).
        fixed: bottom series held at their base forecasts: a boolean mask in bottom order,
            or a frame of their key values.
        params: further arguments of the reconciler (``shrinkage``, ``solver``, ...).

    Returns:
        A :class:`Forecast` of every node in structure order (columns ``node``,
        ``aggregation``, the keys, ``period``, ``step``, ``mean`` and the bounds). The
        mean is coherent. Each interval bound is reconciled by the same projection, then
        bounds are ordered (lower_95 <= lower_80 <= mean <= upper_80 <= upper_95) and
        clipped at zero; this is an approximation (it treats the bounds' offsets as
        moving together across nodes), and the ordering step can leave the bounds
        slightly incoherent. For exact reconciled quantiles, reconcile sample paths with
        ``make_reconciler(method).fit(...).transform(paths)``.
    """
    if not isinstance(forecast, Forecast):
        raise SkillcastConfigError(f"reconcile_forecast needs a Forecast, got {type(forecast)}")
    frame = forecast.frame
    pos = structure.locate(frame)
    if (pos < 0).any():
        bad = frame.loc[pos < 0].head(5).to_dict("records")
        raise SkillcastDataError(
            f"{int((pos < 0).sum())} forecast rows match no node of the structure, e.g. {bad}"
        )
    columns = _value_columns(forecast.levels)
    base, periods = _dense(frame, pos, structure.n_total, columns)
    rows = slice(structure.n_aggregate, None) if method == "bottom_up" else slice(None)
    absent = np.isnan(base[rows]).any(axis=(1, 2))
    if absent.any():
        names = structure.nodes["node"].iloc[rows].to_numpy()[absent][:5].tolist()
        raise SkillcastDataError(
            f"{int(absent.sum())} nodes lack a forecast for some step, e.g. {names}; fit the "
            "forecaster on aggregate_panel(panel, structure) so every node is forecast"
        )
    reconciler = make_reconciler(method, nonnegative=nonnegative, **params)
    out = reconciler.fit(structure, residuals, _fixed(fixed, structure)).transform(base)
    mean = out[..., 0]
    bounds = {
        lvl: (out[..., 2 * i + 1], out[..., 2 * i + 2]) for i, lvl in enumerate(forecast.levels)
    }
    _order_bounds(mean, bounds)
    return _forecast(structure, forecast, mean, bounds, periods, f"{forecast.model}+{method}")


def residual_matrix(
    backtest: pd.DataFrame, structure: SummingStructure, step: int = 1
) -> np.ndarray:
    """(n_total, n_origins) errors ``actual - mean`` at one step ahead, nodes in order.

    Args:
        backtest: a backtest frame (``BacktestResult.frame`` or the result itself) of a
            forecaster run on :func:`aggregate_panel`: node columns, ``origin``, ``step``,
            ``actual``, ``mean``.
        structure: the summing structure.
        step: which forecast step's errors to use (1 = one step ahead).

    Returns:
        Array with NaN where a node has no error for an origin.
    """
    frame = getattr(backtest, "frame", backtest)
    frame = frame.loc[frame["step"] == step]
    if frame.empty:
        raise SkillcastDataError(f"the backtest has no rows at step {step}")
    pos = structure.locate(frame)
    keep = pos >= 0
    codes, origins = pd.factorize(frame["origin"], sort=True)
    out = np.full((structure.n_total, len(origins)), np.nan)
    error = (frame["actual"] - frame["mean"]).to_numpy(dtype=float)
    out[pos[keep], codes[keep]] = error[keep]
    return out


# ---------------------------------------------------------------------- helpers
def _value_columns(levels: tuple[int, ...]) -> list[str]:
    return ["mean", *(c for lvl in levels for c in interval_columns(lvl))]


def _dense(
    frame: pd.DataFrame, pos: np.ndarray, n_rows: int, columns: list[str]
) -> tuple[np.ndarray, pd.Series]:
    """(n_rows, H, len(columns)) values (NaN where absent) and the period of each step."""
    step = frame["step"].to_numpy(dtype=np.int64)
    horizon = int(step.max())
    flat = pos * horizon + step - 1
    if pd.Index(flat).has_duplicates:
        raise SkillcastDataError("the forecast has more than one row for some node and step")
    out = np.full((n_rows * horizon, len(columns)), np.nan)
    out[flat] = frame[columns].to_numpy(dtype=float)
    periods = frame.drop_duplicates("step").set_index("step")["period"]
    return out.reshape(n_rows, horizon, len(columns)), periods.reindex(range(1, horizon + 1))


def _fixed(
    fixed: np.ndarray | pd.Series | pd.DataFrame | None, structure: SummingStructure
) -> np.ndarray | None:
    if fixed is None or not isinstance(fixed, pd.DataFrame):
        return None if fixed is None else np.asarray(fixed)
    mask = np.zeros(structure.n_bottom, dtype=bool)
    mask[structure.bottom_positions(fixed)] = True
    return mask


def _order_bounds(mean: np.ndarray, bounds: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
    """In place: nested, ordered and non-negative bounds, narrowest level first."""
    inner_lo, inner_hi = mean, mean
    for level in sorted(bounds):
        lo, hi = bounds[level]
        np.clip(np.minimum(lo, inner_lo), 0.0, None, out=lo)
        np.clip(np.maximum(hi, inner_hi), 0.0, None, out=hi)
        inner_lo, inner_hi = lo, hi


def _forecast(
    structure: SummingStructure,
    forecast: Forecast,
    mean: np.ndarray,
    bounds: dict[int, tuple[np.ndarray, np.ndarray]],
    periods: pd.Series,
    model: str,
) -> Forecast:
    """Long frame of every node (node-major, step-minor) from (n_total, H) arrays."""
    n, horizon = mean.shape
    cols = ["node", "aggregation", *structure.keys]
    frame = structure.nodes.loc[np.repeat(np.arange(n), horizon), cols].reset_index(drop=True)
    frame["period"] = pd.Series(
        pd.PeriodIndex(periods.to_numpy()).take(np.tile(np.arange(horizon), n))
    )
    frame["step"] = np.tile(np.arange(1, horizon + 1), n)
    frame["mean"] = mean.ravel()
    for level in sorted(bounds):
        lo_col, hi_col = interval_columns(level)
        frame[lo_col], frame[hi_col] = bounds[level][0].ravel(), bounds[level][1].ravel()
    spec = aggregated_spec(forecast.spec)
    return Forecast(frame=frame, spec=spec, levels=tuple(sorted(bounds)), model=model)
