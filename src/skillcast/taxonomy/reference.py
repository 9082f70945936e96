"""The complete reference classifications under the curated tables.

``isco08.csv`` (the ILO's ISCO-08 structure) completes the curated VSCO 2020 occupation
table, and ``vsic2018.csv`` (the statistics office's VSIC 2018 list) the curated sector
table. Curated rows win where both have a code: they carry the Vietnamese (or English)
names, the Vietnam-specific meanings and the attributes written by hand. The reference
files stay as their publishers' lists are, so a new release replaces one file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError

__all__ = [
    "complete_occupations",
    "complete_sectors",
    "occupation_coverage",
    "sector_coverage",
]

#: Flag columns added by the merge: 1 where the reference list gave the row and had no
#: name in that language.
NAME_VI_MISSING = "name_vi_missing"
NAME_EN_MISSING = "name_en_missing"

_ISCO_COLUMNS = ("code", "level", "parent", "title_en")
_VSIC_COLUMNS = ("code", "level", "parent", "section", "name_vi")
_SKILL_COLUMNS = ("skill_level", "skill_level_min", "skill_level_max")
_VSIC_TIERS = ("sections", "divisions", "groups", "classes", "sub-classes")


def _require(frame: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SkillcastDataError(f"{what} lacks the column(s) {missing}; reinstall skillcast")


def complete_occupations(vsco: pd.DataFrame, isco: pd.DataFrame) -> pd.DataFrame:
    """The curated VSCO 2020 rows plus every ISCO-08 group they lack, in code order.

    Args:
        vsco: the curated table (taxonomy CSV format, all cells text).
        isco: ``isco08.csv`` (``code,level,parent,title_en``, all cells text).

    Returns:
        A table in the taxonomy CSV format with the curated table's columns and
        ``name_vi_missing`` (``"1"`` on rows from ISCO-08 only: English title, no
        Vietnamese name). ISCO-08 sets skill levels by major group, and in groups 1 and 0
        by sub-major group, so a row from ISCO-08 takes the skill level of its sub-major
        group as the curated table writes it (every sub-major group is curated).
    """
    _require(isco, _ISCO_COLUMNS, "isco08.csv")
    added = isco.loc[~isco["code"].isin(vsco["code"])]
    curated = vsco.set_index("code")
    sub_major = added["code"].str[:2]
    if not sub_major.isin(curated.index).all():
        raise SkillcastDataError(
            "occupations.csv lacks ISCO-08 sub-major groups "
            f"{sorted(set(sub_major[~sub_major.isin(curated.index)]))}; reinstall skillcast"
        )
    rows = pd.DataFrame({c: "" for c in vsco.columns}, index=added.index)
    rows["code"] = added["code"]
    rows["parent"] = added["parent"]
    rows["tier"] = added["level"]
    rows["name_en"] = added["title_en"]
    rows["version"] = vsco["version"].iloc[0]
    for column in _SKILL_COLUMNS:
        if column in curated.columns:
            rows[column] = curated[column].reindex(sub_major.to_numpy()).to_numpy()
    for column, value in (("vsco_specific", "0"), ("isco08", "1")):
        if column in rows.columns:
            rows[column] = value
    table = pd.concat(
        [vsco.assign(**{NAME_VI_MISSING: "0"}), rows.assign(**{NAME_VI_MISSING: "1"})],
        ignore_index=True,
    )
    # code order is the hierarchy's order: 0, 01, 011, 0110, 02, ...
    return table.sort_values("code", kind="stable", ignore_index=True)


def complete_sectors(curated: pd.DataFrame, vsic: pd.DataFrame) -> pd.DataFrame:
    """Every VSIC 2018 code, written with its section letter, the curated names first.

    Args:
        curated: the curated table (sections and divisions with VI/EN names), codes
            written ``H52``.
        vsic: ``vsic2018.csv`` (``code,level,parent,section,name_vi``, codes written
            ``52``, all cells text).

    Returns:
        A taxonomy table in VSIC's pre-order: ``code`` (``H``, ``H52``, ``H521``,
        ``H5210``, ``H52101``), ``alias`` (VSIC's own ``52``, ``521``, ...; empty for
        sections), and ``name_en_missing`` (``"1"`` where no English name is known: the
        statistics office publishes none).
    """
    _require(vsic, _VSIC_COLUMNS, "vsic2018.csv")
    section = vsic["level"] == "1"
    code = vsic["code"].where(section, vsic["section"] + vsic["code"])
    parent = vsic["parent"].where(vsic["level"].isin(["1", "2"]), vsic["section"] + vsic["parent"])
    rows = pd.DataFrame(
        {
            "code": code,
            "parent": parent,
            "tier": vsic["level"],
            "name_vi": vsic["name_vi"],
            "name_en": "",
            "version": curated["version"].iloc[0],
            "alias": vsic["code"].where(~section, ""),
        }
    )
    extra = [c for c in curated.columns if c not in rows.columns]
    for column in extra:
        rows[column] = ""
    by_code = curated.set_index("code")
    known = rows["code"].isin(by_code.index).to_numpy()
    for column in ("name_vi", "name_en", *extra):
        values = by_code[column].reindex(rows.loc[known, "code"].to_numpy()).to_numpy()
        rows.loc[known, column] = np.where(values != "", values, rows.loc[known, column])
    unlisted = curated.loc[~curated["code"].isin(rows["code"])]
    if not unlisted.empty:
        raise SkillcastDataError(
            f"sectors.csv has codes missing from vsic2018.csv: {unlisted['code'].tolist()[:5]}; "
            "reinstall skillcast"
        )
    rows[NAME_EN_MISSING] = np.where(rows["name_en"] == "", "1", "0")
    return rows.reset_index(drop=True)


def occupation_coverage(table: pd.DataFrame) -> str:
    """The occupation table's coverage in words, for messages about codes it lacks."""
    isco = table["isco08"].astype(str) == "1"
    national = ", ".join(table.loc[~isco, "code"])
    return (
        f"the shipped occupation table is complete ISCO-08 ({int(isco.sum())} codes, "
        f"tiers 1-4) plus VSCO 2020 national codes ({national}); VSCO's 5-digit national "
        "detail is not in it"
    )


def sector_coverage(table: pd.DataFrame) -> str:
    """The sector table's coverage in words, for messages about codes it lacks."""
    counts = table["tier"].astype(int).value_counts().sort_index()
    parts = ", ".join(
        f"{n} {_VSIC_TIERS[t - 1] if t <= len(_VSIC_TIERS) else f'tier-{t} codes'}"
        for t, n in counts.items()
    )
    return (
        f"the shipped sector table is complete VSIC 2018 as the statistics office lists it "
        f"({len(table):,} codes: {parts}), written with the section letter (H52; 52 is "
        "read as H52)"
    )
