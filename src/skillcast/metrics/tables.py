"""Backtest accuracy tables: :func:`evaluate` scores a backtest.

:func:`evaluate` turns a :class:`~skillcast.backtest.BacktestResult` (or its frame) into
one row per group -- overall, per series, horizon step, origin, taxonomy group or a
derived grouping such as :func:`prefix` -- with one column per measure of
:mod:`skillcast.metrics`; :func:`metrics_by_step` is its per-step shortcut.
Cell terms come from the array measures in :mod:`skillcast.metrics.point`,
:mod:`~skillcast.metrics.interval` and :mod:`~skillcast.metrics.structure`, so a table
and the array functions agree by construction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.metrics.interval import _pinball_terms, level_quantiles
from skillcast.metrics.point import _ratio, _smape_terms
from skillcast.metrics.structure import _direction


class BacktestResult(Protocol):
    """What :func:`evaluate` reads of a :class:`skillcast.backtest.BacktestResult`."""

    frame: pd.DataFrame


GroupSpec = str | Sequence[str] | Mapping[str, "str | Callable[[pd.DataFrame], object]"] | None

_REQUIRED = ("origin", "period", "step", "actual", "mean")


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
    """Score a backtest: one row per group, one column per measure (see the package doc).

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
    out = out.join(means[sorted(means.columns, key=level_order)])
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


def level_order(column: str) -> tuple[int, int]:
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
