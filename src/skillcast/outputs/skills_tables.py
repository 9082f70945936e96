"""The skills tables: ``skills.csv`` (openings needing each skill group) and
``skill_intensity.csv`` (digital / green / transversal share of the openings' skills).

Both are built from the openings table (the frame of
:func:`skillcast.demand.job_openings`, or ``openings.csv`` read back) with the rules of
:mod:`skillcast.skills`, in the conventions of the other planner tables: period labels,
codes with Vietnamese and English names, the stamp columns.

Rows are cells of period x priority cluster x training level (``by="cluster"``; cluster
``*`` "Tất cả" / "All" is the whole city), or period x sector x level (``by="sector"``,
with the ``;``-joined ``cluster`` label). A sector sits in several clusters (H52 is in
seaport_maritime, logistics and airport), so cluster rows overlap: do not add clusters
up, and never add skill groups up either (one opening counts in every group its
occupation needs).

``skills.csv`` (:data:`SKILLS_COLUMNS`), one row per cell and skill group that some
opening of the cell needs:

* ``openings``: all openings of the cell; ``openings_no_profile``: those of occupation
  codes with no ISCO-08 unit group behind them (left out of the skill figures);
* ``openings_essential`` and its 80% / 95% bounds: openings whose occupation lists an
  essential skill in the group (openings x the share of the unit group's ESCO
  occupations that do, summed over occupations);
* ``share_of_openings``: ``openings_essential`` over the openings with a profile (3
  decimals);
* ``openings_optional``: the same with optional skills, a weaker and separate measure;
* ``borrowed_share``: share of the openings whose occupation borrowed its profile from a
  coarser group (ESCO has no occupation in the unit group, or the code is coarser).

Counts are whole workers, rounded half-up like ``openings.csv`` (the bounds kept around
the point): an estimate of a count, where a decimal would claim precision the shares do
not have; ``share_of_openings`` keeps the detail of small cells. Rounding keeps
``openings_essential <= openings``. Skill-group names are ESCO's English labels only
(``skill_group_name_en``): ESCO has no Vietnamese version.

``skill_intensity.csv`` (:data:`SKILL_INTENSITY_COLUMNS`), one row per cell: the
openings-weighted share of the essential skills that are digital, green or transversal
(:func:`skillcast.skills.skill_intensity`; a share of skills, not of openings) and the
mean length of the skill lists, 3 and 1 decimals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.outputs.clusters import cluster_sectors, cluster_table
from skillcast.outputs.emerging_flags import FLAG_COLUMNS, grouped_flags
from skillcast.outputs.forecast_tables import (
    ALL_CODE,
    ALL_NAMES,
    STAMP_COLUMNS,
    half_up,
    labelled_keys,
    nested,
    stamp,
    whole_numbers,
)
from skillcast.outputs.read_back import as_codes
from skillcast.periods import Frequency, parse_periods
from skillcast.skills import (
    SkillBridge,
    SkillFlags,
    load_bridge,
    load_flags,
    skill_demand,
    skill_intensity,
)

__all__ = [
    "SKILLS_COLUMNS",
    "SKILL_INTENSITY_COLUMNS",
    "skill_intensity_frame",
    "skills_frame",
]

By = Literal["cluster", "sector"]
_CELL = ("cluster", "cluster_name_vi", "cluster_name_en", "level", "level_name_vi",
         "level_name_en")  # fmt: skip
_BOUNDS = tuple(f"openings_essential_{s}_{lv}" for lv in (80, 95) for s in ("lower", "upper"))
#: ``skills.csv`` by cluster (``by="sector"``: ``sector``, its names and ``cluster`` in
#: place of the cluster columns).
SKILLS_COLUMNS: tuple[str, ...] = (
    "period", *_CELL, "skill_group_level", "skill_group", "skill_group_name_en", "openings",
    "openings_no_profile", "openings_essential", *_BOUNDS, "share_of_openings",
    "openings_optional", "borrowed_share", *FLAG_COLUMNS, *STAMP_COLUMNS,
)  # fmt: skip
#: ``skill_intensity.csv`` by cluster (the same swap for ``by="sector"``).
SKILL_INTENSITY_COLUMNS: tuple[str, ...] = (
    "period", *_CELL, "openings", "openings_no_profile", "digital_skill_share",
    "green_skill_share", "transversal_skill_share", "essential_skills_mean", "borrowed_share",
    *FLAG_COLUMNS, *STAMP_COLUMNS,
)  # fmt: skip


def skills_frame(
    openings: pd.DataFrame,
    freq: Frequency,
    *,
    bridge: SkillBridge | None = None,
    by: By = "cluster",
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of openings needing each skill group (see the module docstring).

    ``openings`` has ``period`` (Periods, or labels of ``freq``), ``sector``,
    ``occupation``, ``level``, ``openings`` and optionally its bounds
    (``openings_lower_80`` ...). ``bridge``: None loads the shipped ESCO level-2 bridge
    (``load_bridge(level=1)`` gives the 28 broad groups). Rows are sorted by period,
    cell (city first, then the clusters in ``clusters.csv`` order; or sectors), level and
    the bridge's group order. ``emerging``: the frame of
    :func:`skillcast.emerging.detect_emerging`; a cell is flagged when every series of
    its openings is (:mod:`skillcast.outputs.emerging_flags`; None: empty cells).
    """
    bridge = load_bridge() if bridge is None else bridge
    src, key = _cells(openings, freq, by)
    keys = ("period", key, "level")
    ess = skill_demand(src, bridge, by=keys, strength="essential", drop_zero=False)
    opt = (
        skill_demand(src, bridge, by=keys, bounds=False, strength="optional", drop_zero=False)
        if bridge.has_optional
        else ess.assign(openings=np.nan)
    )
    total = src.groupby(list(keys), sort=True, dropna=False)["openings"].sum(min_count=1)
    cell_total = total.reindex(pd.MultiIndex.from_frame(ess.loc[:, list(keys)])).to_numpy()
    point = half_up(ess["openings"].to_numpy(dtype=float))
    bounds = {lv: (_whole(ess, f"openings_lower_{lv}"), _whole(ess, f"openings_upper_{lv}"))
              for lv in (80, 95)}  # fmt: skip
    lo80, hi80, lo95, hi95 = nested(point, bounds)
    base = ess["openings_base"].to_numpy(dtype=float)
    out = _labels(ess, freq, key)
    out["skill_group_level"] = "" if bridge.group_level is None else str(bridge.group_level)
    out["skill_group"] = ess["skill_group"].to_numpy(dtype=object)
    out["skill_group_name_en"] = ess["skill_group_name"].to_numpy(dtype=object)
    out["openings"] = whole_numbers(half_up(cell_total))
    out["openings_no_profile"] = whole_numbers(half_up(np.nan_to_num(cell_total - base)))
    out["openings_essential"] = whole_numbers(point)
    for name, values in zip(_BOUNDS, (lo80, hi80, lo95, hi95), strict=True):
        out[name] = whole_numbers(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(base > 0, ess["openings"].to_numpy(dtype=float) / base, np.nan)
    out["share_of_openings"] = np.round(share, 3)
    out["openings_optional"] = whole_numbers(half_up(opt["openings"].to_numpy(dtype=float)))
    out["borrowed_share"] = ess["borrowed_share"].astype(float).round(3).to_numpy()
    _set_flags(out, ess, src, key, emerging)
    needed = (ess["openings"].to_numpy(dtype=float) != 0) | (
        opt["openings"].to_numpy(dtype=float) != 0
    )
    out = out.loc[needed]
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return _ordered(out, key, SKILLS_COLUMNS)


def skill_intensity_frame(
    openings: pd.DataFrame,
    freq: Frequency,
    *,
    flags: SkillFlags | None = None,
    by: By = "cluster",
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The planner table of the digital / green / transversal share of the openings'
    essential skills (:data:`SKILL_INTENSITY_COLUMNS`), one row per cell.

    ``openings`` as for :func:`skills_frame`; ``flags``: None loads the shipped ESCO flags;
    ``emerging`` as for :func:`skills_frame`.
    """
    flags = load_flags() if flags is None else flags
    src, key = _cells(openings, freq, by)
    table = skill_intensity(src, flags, value="openings", by=("period", key, "level"))
    out = _labels(table, freq, key)
    total = table["openings"].to_numpy(dtype=float)
    profiled = table["openings_profiled"].to_numpy(dtype=float)
    out["openings"] = whole_numbers(half_up(total))
    out["openings_no_profile"] = whole_numbers(half_up(np.nan_to_num(total - profiled)))
    for column in ("digital_skill_share", "green_skill_share", "transversal_skill_share",
                   "borrowed_share"):  # fmt: skip
        out[column] = table[column].astype(float).round(3).to_numpy()
    out["essential_skills_mean"] = table["essential_skills_mean"].astype(float).round(1)
    _set_flags(out, table, src, key, emerging)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return _ordered(out, key, SKILL_INTENSITY_COLUMNS)


def _cells(openings: pd.DataFrame, freq: Frequency, by: str) -> tuple[pd.DataFrame, str]:
    """The openings with Periods and text codes; by cluster, each row once per cluster of
    its sector and once under ``*`` (the city)."""
    if by not in ("cluster", "sector"):
        raise SkillcastConfigError(f"by={by!r}; choose 'cluster' or 'sector'.")
    missing = [c for c in ("period", "occupation", "level", "openings")
               if c not in openings.columns]  # fmt: skip
    if missing:
        raise SkillcastConfigError(f"The openings table lacks column(s) {missing}.")
    citywide = "sector" not in openings.columns
    if citywide and by == "sector":
        raise SkillcastConfigError(
            "skills.by=sector needs a 'sector' key and the data has none: use "
            "skills.by=cluster (city-wide rows only without sectors) or skills=off."
        )
    src = as_codes(openings.drop(columns="cluster", errors="ignore"))
    parsed = parse_periods(src["period"], freq)
    bad = parsed.unparseable | parsed.off_grid
    if bad.any():
        raise SkillcastDataError(
            f"The openings table, column 'period': {int(bad.sum())} row(s) are not "
            f"{freq.name} periods, e.g. {list(src.loc[bad, 'period'].head(3))}."
        )
    src["period"] = parsed.periods.array
    if by == "sector":
        return src, "sector"
    if citywide:  # an occupation x level panel: no sector, so no cluster but the city
        return src.assign(cluster=ALL_CODE), "cluster"
    masks = cluster_sectors(src["sector"], cluster_table(None))
    parts = [src.assign(cluster=ALL_CODE)]
    parts += [src.loc[mask].assign(cluster=name) for name, mask in masks.items()]
    return pd.concat(parts, ignore_index=True), "cluster"


def _set_flags(
    out: pd.DataFrame,
    cells: pd.DataFrame,
    src: pd.DataFrame,
    key: str,
    emerging: pd.DataFrame | None,
) -> None:
    """In place: the flag columns of ``out`` (rows aligned with ``cells``), each cell
    flagged when every series of its openings rows in ``src`` is."""
    by = ["period", key, "level"]
    per_cell = grouped_flags(src, emerging, by)
    if per_cell is None:
        out["emerging"] = pd.Series(pd.NA, index=out.index, dtype="boolean")
        out["emerging_reason"] = pd.NA
        return
    joined = (
        cells.loc[:, by]
        .astype({key: str, "level": str})
        .merge(per_cell.astype({key: str, "level": str}), on=by, how="left")
    )
    out["emerging"] = pd.array(joined["emerging"].fillna(False).astype(bool), dtype="boolean")
    out["emerging_reason"] = joined["emerging_reason"].fillna("").to_numpy(dtype=object)


def _whole(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        return np.full(len(frame), np.nan)
    return half_up(frame[column].to_numpy(dtype=float))


def _labels(frame: pd.DataFrame, freq: Frequency, key: str) -> pd.DataFrame:
    if key == "sector":
        from skillcast.outputs.clusters import with_clusters

        return with_clusters(labelled_keys(frame, freq, keys=("sector", "level")))
    out = labelled_keys(frame, freq, keys=("level",))
    names = cluster_table(None).drop_duplicates("cluster").set_index("cluster")
    codes = frame["cluster"].astype(str).to_numpy(dtype=object)
    out.insert(1, "cluster", codes)
    for pos, lang in enumerate(("vi", "en"), start=2):
        named = names[f"name_{lang}"].reindex(codes).to_numpy(dtype=object)
        named[codes == ALL_CODE] = ALL_NAMES[lang]
        out.insert(pos, f"cluster_name_{lang}", named)
    return out


def _ordered(out: pd.DataFrame, key: str, columns: tuple[str, ...]) -> pd.DataFrame:
    """Rows by period, cell, level (the input order within); columns for ``key``."""
    if key == "cluster":
        order = [ALL_CODE, *dict.fromkeys(cluster_table(None)["cluster"])]
        rank = out["cluster"].map({c: i for i, c in enumerate(order)})
    else:
        rank = out["sector"]
    sort = out.assign(_p=out["period"], _r=rank.to_numpy(), _l=out["level"])
    out = sort.sort_values(["_p", "_r", "_l"], kind="stable").reset_index(drop=True)
    if key == "cluster":
        return out.loc[:, list(columns)]
    cell = ["sector", "sector_name_vi", "sector_name_en", "cluster", *_CELL[3:]]
    return out.loc[:, [columns[0], *cell, *columns[len(_CELL) + 1 :]]]
