"""The skills-demand tables: ``openings.csv`` and ``supply_gap.csv``, whole workers.

Same conventions as the forecast tables (:mod:`skillcast.outputs.forecast_tables`):
period labels, codes with Vietnamese and English names, whole workers rounded half-up
with bounds kept around the point value, the model version, run and time stamp.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from skillcast.outputs.clusters import with_clusters
from skillcast.outputs.emerging_flags import FLAG_COLUMNS, flag_table
from skillcast.outputs.forecast_tables import (
    KEY_COLUMNS,
    PLANNER_COLUMNS,
    STAMP_COLUMNS,
    half_up,
    labelled_keys,
    nested,
    stamp,
    whole_numbers,
)
from skillcast.periods import Frequency

__all__ = ["OPENINGS_COLUMNS", "SUPPLY_GAP_COLUMNS", "openings_frame", "supply_gap_frame"]

_NAMED = PLANNER_COLUMNS[1:11]  # region .. level_name_en
#: ``openings.csv`` (see :func:`openings_frame`).
OPENINGS_COLUMNS: tuple[str, ...] = (
    "period", *_NAMED, "cluster", "measure", "decomposition", "stock", "change", "expansion",
    "contraction", "replacement_rate", "replacement", "openings", "openings_lower_80",
    "openings_upper_80", "openings_lower_95", "openings_upper_95", "hiring_factor",
    "realised_hiring", *FLAG_COLUMNS, *STAMP_COLUMNS,
)  # fmt: skip
#: ``supply_gap.csv`` with cells by occupation x level (see :func:`supply_gap_frame`).
SUPPLY_GAP_COLUMNS: tuple[str, ...] = (
    "period", *PLANNER_COLUMNS[5:11], "cluster", "openings", "openings_lower", "openings_upper",
    "supply", "gap", "gap_lower", "gap_upper", "ratio", "ratio_lower", "ratio_upper",
    "gap_class", "confidence", "assessment", "likely_shortage", *FLAG_COLUMNS, *STAMP_COLUMNS,
)  # fmt: skip
GAP_CLASS_ORDER = ("shortage", "balance", "surplus")


def openings_frame(
    openings: pd.DataFrame,
    freq: Frequency,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of job openings (:data:`OPENINGS_COLUMNS`), whole workers.

    ``openings`` is the frame of :func:`skillcast.demand.job_openings`. Rows add up:
    ``change`` is rounded half-up, ``expansion = max(change, 0)``, ``contraction =
    max(-change, 0)``, ``replacement`` is rounded, and ``openings = expansion +
    replacement`` exactly (a stock target; ``realised_hiring`` equals it). For declared
    openings (measure ``openings``) the decomposition columns are empty and
    ``realised_hiring`` is ``openings x hiring_factor``, rounded. The openings bounds are
    rounded and kept around ``openings`` (empty without that interval level).
    ``replacement_rate`` is per period (4 decimals), ``hiring_factor`` 3 decimals.
    ``emerging``: the frame of :func:`skillcast.emerging.detect_emerging` (each row
    takes its series' flag; None: empty cells).
    """
    src = openings.reset_index(drop=True)
    out = labelled_keys(src, freq)
    out["measure"] = src["measure"].astype(str).to_numpy(dtype=object)
    out["decomposition"] = src["decomposition"].astype(str).to_numpy(dtype=object)
    stock = src["measure"].to_numpy() == "stock"
    change = half_up(src["change"].to_numpy(dtype=float))
    expansion = np.where(stock, np.maximum(change, 0.0), np.nan)
    replacement = np.where(stock, half_up(src["replacement"].to_numpy(dtype=float)), np.nan)
    point = np.where(stock, expansion + replacement, half_up(src["openings"].to_numpy(dtype=float)))
    hiring = np.where(stock, point, half_up(src["realised_hiring"].to_numpy(dtype=float)))
    out["stock"] = whole_numbers(half_up(src["stock"].to_numpy(dtype=float)))
    out["change"] = whole_numbers(change)
    out["expansion"] = whole_numbers(expansion)
    out["contraction"] = whole_numbers(np.maximum(-change, 0.0))
    out["replacement_rate"] = src["replacement_rate"].astype(float).round(4).to_numpy()
    out["replacement"] = whole_numbers(replacement)
    out["openings"] = whole_numbers(point)
    bounds = {}
    for lv in (80, 95):
        cols = [f"openings_{side}_{lv}" for side in ("lower", "upper")]
        got = [
            half_up(src[c].to_numpy(dtype=float)) if c in src else np.full(len(src), np.nan)
            for c in cols
        ]
        bounds[lv] = (got[0], got[1])
    lo80, hi80, lo95, hi95 = nested(point, bounds)
    named = {"openings_lower_80": lo80, "openings_upper_80": hi80}
    named |= {"openings_lower_95": lo95, "openings_upper_95": hi95}
    for name, values in named.items():
        out[name] = whole_numbers(values)
    out["hiring_factor"] = src["hiring_factor"].astype(float).round(3).to_numpy()
    out["realised_hiring"] = whole_numbers(hiring)
    out = flag_table(out, emerging)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    out = with_clusters(out.drop(columns="cluster", errors="ignore"))
    return out.loc[:, list(OPENINGS_COLUMNS)]


def supply_gap_frame(
    gap: pd.DataFrame,
    freq: Frequency,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    openings: pd.DataFrame | None = None,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of the supply gap (:data:`SUPPLY_GAP_COLUMNS` for cells by
    occupation x level; other cell keys take their place), whole workers.

    ``gap`` is the frame of :func:`skillcast.demand.supply_gap`. ``openings`` and its
    bounds are rounded (bounds kept around it), ``gap = openings - supply`` exactly (and
    ``gap_lower``/``gap_upper`` from the bounds); ratios keep 3 decimals (``inf``: openings
    with no supply). Rows are sorted by period, then shortages first, balance, surpluses
    last, each by the size of the gap (largest first), then the cell keys. ``cluster``
    lists the priority clusters whose sectors have openings in the cell, given the
    planner table of ``openings`` (:func:`~skillcast.outputs.clusters.with_clusters`);
    empty without it. A cell is ``emerging`` when every series rolled into it (each
    sector's, each occupation under a coarser supply code) is
    (:mod:`skillcast.outputs.emerging_flags`).
    """
    by = [c for c in gap.columns if c in KEY_COLUMNS]
    rank = gap["gap_class"].map({c: i for i, c in enumerate(GAP_CLASS_ORDER)})
    order = gap.assign(_rank=rank, _size=-gap["gap"].abs())
    src = order.sort_values(["period", "_rank", "_size", *by], kind="stable")
    src = src.reset_index(drop=True)
    out = labelled_keys(src, freq, keys=by)
    point = half_up(src["openings"].to_numpy(dtype=float))
    lo = half_up(src["openings_lower"].to_numpy(dtype=float))
    hi = half_up(src["openings_upper"].to_numpy(dtype=float))
    lo, hi = np.minimum(lo, point), np.maximum(hi, point)
    supply = half_up(src["supply"].to_numpy(dtype=float))
    values = {"openings": point, "openings_lower": lo, "openings_upper": hi, "supply": supply}
    values |= {"gap": point - supply, "gap_lower": lo - supply, "gap_upper": hi - supply}
    for column, array in values.items():
        out[column] = whole_numbers(array)
    for column in ("ratio", "ratio_lower", "ratio_upper"):
        out[column] = src[column].astype(float).round(3).to_numpy()
    for column in ("gap_class", "confidence", "assessment"):
        out[column] = src[column].astype(str).to_numpy(dtype=object)
    out["likely_shortage"] = src["likely_shortage"].astype(bool).to_numpy()
    out = flag_table(out, emerging)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    if openings is not None and {"occupation", "level"} <= set(by):
        out = with_clusters(out, openings=openings)
    else:
        out["cluster"] = ""
    named = [c for k in by for c in (k, f"{k}_name_vi", f"{k}_name_en") if c in out.columns]
    return out.loc[:, ["period", *named, *SUPPLY_GAP_COLUMNS[7:]]]
