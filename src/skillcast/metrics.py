"""Forecast accuracy measures, on arrays and on backtest results.

Array functions take 1-D arrays of equal length; a cell whose actual (or forecast) is
NaN is left out. :func:`evaluate` scores a :class:`~skillcast.backtest.BacktestResult`
per series, horizon step, taxonomy group or overall; :func:`compare` backtests several
forecasters on the same windows and tabulates them.

Definitions (e = forecast - actual; units are those of the target unless stated):

- ``mae`` mean |e|; ``rmse`` sqrt(mean e^2); ``bias`` mean e (positive = over-forecast);
  ``rel_bias`` sum e / sum y; ``wape`` sum |e| / sum |y|. For these ratios 0/0 is 0 and
  x/0 is +-inf.
- ``smape`` mean of 200 |e| / (|f| + |y|), on a 0-200 scale; a cell with f = y = 0
  scores 0.
- ``mase`` / ``rmsse``: each cell's error is scaled by its window's in-sample
  seasonal-naive MAE (RMSE for rmsse) of its series, computed on the training part up
  to the origin (see :func:`skillcast.backtest.training_scales`). Per series,
  mase = mean |e| / scale and rmsse = sqrt(mean e^2 / scale^2) over all its windows
  and steps; a group's value is the unweighted mean over its series, so every series
  counts once whatever its size.
  Cells whose scale is 0 (a series flat in training) or undefined are left out of both;
  ``mase_excluded`` counts the series with at least one such scored cell. WAPE still
  scores them.
- ``pinball_lower_<l>`` / ``pinball_upper_<l>``: pinball loss of the interval bounds as
  quantiles (1 - l/100)/2 and (1 + l/100)/2; ``coverage_<l>`` share of actuals inside
  [lower, upper] (bounds included); ``width_<l>`` mean upper - lower.
- ``hit_rate``: direction of change. Forecast and actual are compared with the value at
  the origin; each change is classed down / flat / up (flat when |change| <= tol,
  default 0) and a cell is a hit when both classes agree. So a flat forecast hits only
  a flat actual. Cells without a value at the origin are left out.
- ``di``: dissimilarity index between the forecast and actual distributions across the
  categories of one column (default ``occupation``). For each (origin, period) cell,
  forecasts and actuals are summed per category over the other keys (scored rows only),
  DI = 0.5 * sum_i |f_i / F - a_i / A| (0 = same mix, 1 = disjoint); a group's value is
  the mean over its cells. Cells with F or A = 0 or fewer than two categories are left
  out (DI is undefined there, e.g. when grouping by the category column itself).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError

if TYPE_CHECKING:
    from skillcast.backtest import BacktestResult
    from skillcast.models.base import Forecaster
    from skillcast.panel import Panel

GroupSpec = str | Sequence[str] | Mapping[str, "str | Callable[[pd.DataFrame], object]"] | None

_REQUIRED = ("origin", "period", "step", "actual", "mean")


def _pairs(*arrays: object) -> list[np.ndarray]:
    """Float arrays restricted to the cells where every array is finite."""
    arrs = [np.asarray(a, dtype=float).ravel() for a in arrays]
    if len({a.size for a in arrs}) > 1:
        raise ValueError(f"arrays differ in length: {[a.size for a in arrs]}")
    keep = np.logical_and.reduce([np.isfinite(a) for a in arrs])
    return [a[keep] for a in arrs]


def _ratio(num: np.ndarray | float, den: np.ndarray | float) -> np.ndarray | float:
    """num / den with 0/0 = 0 and x/0 = +-inf."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.where(den == 0, np.where(num == 0, 0.0, np.sign(num) * np.inf), num / den)
    return out if out.ndim else float(out)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else float("nan")


def mae(actual: object, forecast: object) -> float:
    """Mean absolute error."""
    y, f = _pairs(actual, forecast)
    return _mean(np.abs(f - y))


def rmse(actual: object, forecast: object) -> float:
    """Root mean squared error."""
    y, f = _pairs(actual, forecast)
    return float(np.sqrt(_mean((f - y) ** 2)))


def wape(actual: object, forecast: object) -> float:
    """Weighted absolute percentage error as a fraction: sum |f - y| / sum |y|."""
    y, f = _pairs(actual, forecast)
    return _ratio(np.abs(f - y).sum(), np.abs(y).sum())  # type: ignore[return-value]


def smape(actual: object, forecast: object) -> float:
    """Symmetric MAPE on a 0-200 scale; a cell with f = y = 0 scores 0."""
    y, f = _pairs(actual, forecast)
    return _mean(_smape_terms(y, f))


def _smape_terms(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    return 200.0 * _ratio(np.abs(f - y), np.abs(f) + np.abs(y))  # type: ignore[operator]


def bias(actual: object, forecast: object) -> float:
    """Mean error, forecast - actual (positive = over-forecast)."""
    y, f = _pairs(actual, forecast)
    return _mean(f - y)


def relative_bias(actual: object, forecast: object) -> float:
    """sum(forecast - actual) / sum(actual)."""
    y, f = _pairs(actual, forecast)
    return _ratio((f - y).sum(), y.sum())  # type: ignore[return-value]


def _scaled(actual: object, forecast: object, scale: object, series: object, power: int) -> float:
    y, f = np.asarray(actual, dtype=float).ravel(), np.asarray(forecast, dtype=float).ravel()
    s = np.broadcast_to(np.asarray(scale, dtype=float), y.shape)
    ids = np.zeros(y.size) if series is None else pd.factorize(np.asarray(series))[0]
    q = np.abs(f - y) ** power / np.where(s > 0, s, np.nan) ** power
    per_series = pd.Series(q).groupby(ids).mean()  # NaN cells (no scale, no actual) skipped
    if power == 2:
        per_series = np.sqrt(per_series)
    return float(per_series.mean())


def mase(actual: object, forecast: object, scale: object, series: object = None) -> float:
    """Mean absolute scaled error: mean over series of mean |e| / scale.

    ``scale`` is one value or one per cell (each window has its own); cells with a scale
    of 0 or NaN are left out. ``series`` labels each cell's series (default: one series).
    """
    return _scaled(actual, forecast, scale, series, 1)


def rmsse(actual: object, forecast: object, scale: object, series: object = None) -> float:
    """Root mean squared scaled error: mean over series of sqrt(mean e^2 / scale^2)."""
    return _scaled(actual, forecast, scale, series, 2)


def pinball(actual: object, quantile_forecast: object, tau: float) -> float:
    """Mean pinball (quantile) loss of a forecast of quantile ``tau`` (0 < tau < 1)."""
    y, q = _pairs(actual, quantile_forecast)
    return _mean(_pinball_terms(y, q, tau))


def _pinball_terms(y: np.ndarray, q: np.ndarray, tau: float) -> np.ndarray:
    diff = y - q
    return np.maximum(tau * diff, (tau - 1.0) * diff)


def level_quantiles(level: int) -> tuple[float, float]:
    """Quantiles of the bounds of a central ``level`` percent interval (80 -> 0.1, 0.9)."""
    return (1 - level / 100) / 2, (1 + level / 100) / 2


def coverage(actual: object, lower: object, upper: object) -> float:
    """Share of actuals inside [lower, upper]."""
    y, lo, hi = _pairs(actual, lower, upper)
    return _mean(((y >= lo) & (y <= hi)).astype(float))


def interval_width(lower: object, upper: object) -> float:
    """Mean width upper - lower."""
    lo, hi = _pairs(lower, upper)
    return _mean(hi - lo)


def _direction(change: np.ndarray, tol: float) -> np.ndarray:
    return np.where(np.abs(change) <= tol, 0.0, np.sign(change))


def direction_hit_rate(
    actual: object, forecast: object, origin_value: object, tol: float = 0.0
) -> float:
    """Share of cells whose forecast change from the origin value has the actual's sign.

    Changes with |change| <= ``tol`` count as flat, a third class: flat hits flat only.
    """
    y, f, o = _pairs(actual, forecast, origin_value)
    return _mean((_direction(f - o, tol) == _direction(y - o, tol)).astype(float))


def dissimilarity_index(actual: object, forecast: object) -> float:
    """0.5 * sum_i |f_i / F - a_i / A| over categories i (arrays of per-category totals)."""
    a, f = _pairs(actual, forecast)
    if a.size < 2 or a.sum() <= 0 or f.sum() <= 0:
        return float("nan")
    return float(0.5 * np.abs(f / f.sum() - a / a.sum()).sum())


def prefix(column: str, n: int) -> Callable[[pd.DataFrame], pd.Series]:
    """A derived grouping: the first ``n`` characters of a code column.

    ``evaluate(result, by={"major_group": prefix("occupation", 1)})`` groups ISCO unit
    groups by major group.
    """

    def derive(frame: pd.DataFrame) -> pd.Series:
        return frame[column].astype(str).str[:n]

    return derive


def evaluate(
    result: BacktestResult | pd.DataFrame,
    by: GroupSpec = None,
    levels: Sequence[int] | None = None,
    *,
    di_column: str = "occupation",
    direction_tol: float = 0.0,
    keys: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Score a backtest: one row per group, one column per measure (see module doc).

    Args:
        result: a :class:`~skillcast.backtest.BacktestResult` or its ``frame``.
        by: ``None`` (overall); a column name or list of them (a key, ``"step"``,
            ``"origin"``, ``"period"``; ``"series"`` stands for all keys); or a mapping
            output name -> column name or function(frame) -> values, for derived
            groups such as :func:`prefix`.
        levels: interval levels to score (default: every level in the frame).
        di_column: the category column of the dissimilarity index.
        direction_tol: changes up to this size count as flat in ``hit_rate``.
        keys: series key columns of a bare frame (default: its ``attrs["keys"]``, else
            the columns before ``origin``).

    Returns:
        The group columns, then ``n`` (scored cells), ``n_series``, ``mae``, ``rmse``,
        ``wape``, ``smape``, ``mase``, ``rmsse``, ``mase_excluded``, ``bias``,
        ``rel_bias``, per level ``pinball_lower_<l>``, ``pinball_upper_<l>``,
        ``coverage_<l>``, ``width_<l>``, then ``hit_rate`` and ``di``.
    """
    frame, keys = _frame_and_keys(result, keys)
    levels = _levels(frame, levels)
    groups = _groups(frame, by, keys)
    names = list(groups) or ["_all"]
    cols = {f"_g{i}": v for i, v in enumerate(groups.values())} or {"_g0": 0}
    gcols = list(cols)
    y, f = frame["actual"].to_numpy(dtype=float), frame["mean"].to_numpy(dtype=float)
    work = pd.DataFrame(cols, index=frame.index).assign(
        _sid=frame.groupby(keys, sort=False, observed=True).ngroup().to_numpy(),
        origin=frame["origin"],
        period=frame["period"],
        y=y,
        f=f,
    )
    work = work.loc[np.isfinite(y) & np.isfinite(f)]  # only scored cells from here on
    cell = _cell_terms(frame.loc[work.index], levels, direction_tol)
    work = work.assign(**cell)

    grouped = work.groupby(gcols, sort=True, dropna=False, observed=True)
    sums = grouped[["n", "ae", "se", "e", "ay"]].sum()
    means = grouped[[c for c in cell if c.startswith(("pinball", "coverage", "width"))]].mean()
    out = pd.DataFrame({"n": sums["n"].astype(np.int64)})
    per_series = work.groupby([*gcols, "_sid"], dropna=False, observed=True).agg(
        q_mae=("q_mae", "mean"), q_rmse=("q_rmse", "mean"), unscaled=("unscaled", "max")
    )
    per_series["q_rmse"] = np.sqrt(per_series["q_rmse"])
    series_stats = per_series.groupby(level=gcols, dropna=False).agg(
        n_series=("q_mae", "size"),
        mase=("q_mae", "mean"),
        rmsse=("q_rmse", "mean"),
        mase_excluded=("unscaled", "sum"),
    )
    out["n_series"] = series_stats["n_series"]
    out["mae"] = sums["ae"] / sums["n"]
    out["rmse"] = np.sqrt(sums["se"] / sums["n"])
    out["wape"] = _ratio(sums["ae"].to_numpy(), sums["ay"].to_numpy())
    out["smape"] = grouped["smape"].mean()
    out[["mase", "rmsse"]] = series_stats[["mase", "rmsse"]]
    out["mase_excluded"] = series_stats["mase_excluded"].astype(np.int64)
    out["bias"] = sums["e"] / sums["n"]
    out["rel_bias"] = _ratio(sums["e"].to_numpy(), sums["ay"].to_numpy())
    out = out.join(means[sorted(means.columns, key=_level_order)])
    out["hit_rate"] = grouped["hit_rate"].mean()
    out["di"] = _di(work, frame, gcols, di_column)
    out = out.reset_index()
    out.columns = [*names, *out.columns[len(gcols) :]]
    if out.empty and not groups:  # nothing scored: still one overall row, n = 0
        out = out.reindex([0]).assign(n=0, n_series=0, mase_excluded=0)
    return out.drop(columns="_all", errors="ignore")


def _cell_terms(frame: pd.DataFrame, levels: list[int], tol: float) -> dict[str, np.ndarray]:
    """Per-cell terms that the group aggregates sum or average (scored rows only)."""
    y, f = frame["actual"].to_numpy(dtype=float), frame["mean"].to_numpy(dtype=float)
    e = f - y
    cell = {"n": np.ones_like(e), "ae": np.abs(e), "se": e * e, "e": e, "ay": np.abs(y)}
    cell["smape"] = _smape_terms(y, f)
    for power, name, column in ((1, "q_mae", "scale_mae"), (2, "q_rmse", "scale_rmse")):
        s = _optional(frame, column)
        cell[name] = np.abs(e) ** power / np.where(s > 0, s, np.nan) ** power
    cell["unscaled"] = np.isnan(cell["q_mae"]).astype(float)
    for level in levels:
        lo, hi = _optional(frame, f"lower_{level}"), _optional(frame, f"upper_{level}")
        q_lo, q_hi = level_quantiles(level)
        cell[f"pinball_lower_{level}"] = _pinball_terms(y, lo, q_lo)
        cell[f"pinball_upper_{level}"] = _pinball_terms(y, hi, q_hi)
        cell[f"coverage_{level}"] = np.where(np.isnan(lo + hi), np.nan, (y >= lo) & (y <= hi))
        cell[f"width_{level}"] = hi - lo
    o = _optional(frame, "origin_value")
    hit = _direction(f - o, tol) == _direction(y - o, tol)
    cell["hit_rate"] = np.where(np.isnan(o), np.nan, hit)
    return cell


def _level_order(column: str) -> tuple[int, int]:
    kind, _, level = column.rpartition("_")
    return int(level), ["pinball_lower", "pinball_upper", "coverage", "width"].index(kind)


def _optional(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column in frame:
        return frame[column].to_numpy(dtype=float)
    return np.full(len(frame), np.nan)


def _di(work: pd.DataFrame, frame: pd.DataFrame, gcols: list[str], column: str) -> pd.Series:
    """Mean over (origin, period) cells of the dissimilarity index, per group."""
    if column not in frame:
        return pd.Series(np.nan, index=work.groupby(gcols, dropna=False).size().index)
    cells = [*gcols, "origin", "period"]
    totals = (
        work.assign(_cat=frame.loc[work.index, column])
        .groupby([*cells, "_cat"], dropna=False, observed=True)[["f", "y"]]
        .sum()
    )
    by_cell = totals.groupby(level=cells, dropna=False)
    share_f = totals["f"] / by_cell["f"].transform("sum")
    share_y = totals["y"] / by_cell["y"].transform("sum")
    di = (0.5 * (share_f - share_y).abs()).groupby(level=cells, dropna=False).sum()
    stats = by_cell.agg(n_cat=("f", "size"), F=("f", "sum"), Y=("y", "sum"))
    di = di.where((stats["n_cat"] >= 2) & (stats["F"] > 0) & (stats["Y"] > 0))
    return di.groupby(level=gcols, dropna=False).mean()


def _frame_and_keys(
    result: BacktestResult | pd.DataFrame, keys: Sequence[str] | None
) -> tuple[pd.DataFrame, list[str]]:
    frame = result if isinstance(result, pd.DataFrame) else result.frame
    missing = [c for c in _REQUIRED if c not in frame]
    if missing:
        raise SkillcastConfigError(
            f"The frame lacks column(s) {missing}; pass a backtest result or its frame."
        )
    if keys is None:
        keys = frame.attrs.get("keys") or list(frame.columns[: list(frame.columns).index("origin")])
    keys = list(keys)
    if not keys or any(k not in frame for k in keys):
        raise SkillcastConfigError(f"Series keys {keys} are not columns of the frame.")
    return frame, keys


def _levels(frame: pd.DataFrame, levels: Sequence[int] | None) -> list[int]:
    found = sorted({int(m[1]) for c in frame.columns if (m := re.fullmatch(r"lower_(\d+)", c))})
    if levels is None:
        return [lv for lv in found if f"upper_{lv}" in frame]
    absent = [lv for lv in levels if lv not in found]
    if absent:
        raise SkillcastConfigError(f"No interval columns for level(s) {absent}; found {found}.")
    return sorted(int(lv) for lv in levels)


def _groups(frame: pd.DataFrame, by: GroupSpec, keys: list[str]) -> dict[str, pd.Series]:
    if by is None:
        return {}
    if isinstance(by, str):
        by = [by]
    if not isinstance(by, Mapping):
        by = {name: name for name in by}
    out: dict[str, pd.Series] = {}
    for name, spec in by.items():
        if spec == "series":
            out.update({k: frame[k] for k in keys})
        elif isinstance(spec, str):
            if spec not in frame:
                raise SkillcastConfigError(
                    f"Cannot group by {spec!r}: not a column of the backtest frame "
                    f"{list(frame.columns)}. Use a key, 'step', 'origin', 'period' or "
                    "'series', or a function of the frame."
                )
            out[name] = frame[spec]
        else:
            values = spec(frame)
            out[name] = (
                values
                if isinstance(values, pd.Series)
                else pd.Series(np.asarray(values), index=frame.index)
            )
    return out


def metrics_by_step(result: BacktestResult | pd.DataFrame, **kwargs: object) -> pd.DataFrame:
    """:func:`evaluate` per horizon step (one row per step)."""
    return evaluate(result, by="step", **kwargs)  # type: ignore[arg-type]


def compare(
    forecasters: Mapping[str, Forecaster],
    panel: Panel,
    horizon: int,
    n_windows: int,
    step: int = 1,
    by: GroupSpec = None,
    *,
    refit: bool = True,
    levels: Sequence[int] | None = None,
    di_column: str = "occupation",
) -> pd.DataFrame:
    """Backtest every forecaster on the same windows and tabulate :func:`evaluate`.

    One row per forecaster (per forecaster and group when ``by`` is given), a ``model``
    column holding the dict key first, sorted by MASE (within each group when grouped;
    undefined MASE last).
    """
    from skillcast.backtest import backtest

    if not forecasters:
        raise SkillcastConfigError("compare needs at least one forecaster.")
    tables = []
    for name, forecaster in forecasters.items():
        result = backtest(forecaster, panel, horizon, n_windows, step=step, refit=refit)
        table = evaluate(result, by=by, levels=levels, di_column=di_column)
        tables.append(table.assign(model=name))
    out = pd.concat(tables, ignore_index=True)
    group_names = list(tables[0].columns[: list(tables[0].columns).index("n")])
    bounds = [c for c in out.columns if c.startswith(("pinball", "coverage", "width"))]
    head = ["n", "n_series", "mae", "rmse", "wape", "smape", "mase", "rmsse", "mase_excluded"]
    order = [*head, "bias", "rel_bias", *sorted(bounds, key=_level_order), "hit_rate", "di"]
    out = out[["model", *group_names, *order]]
    out = out.sort_values([*group_names, "mase"], kind="stable", na_position="last")
    return out.reset_index(drop=True)
