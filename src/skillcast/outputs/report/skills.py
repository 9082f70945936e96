"""The ``skills`` section: the skill groups the expected openings need (ESCO, or the
bridge the run used), per priority cluster; the digital, green and transversal share of
their essential skills by training level; and the skill groups whose demand grows
fastest. All for the first calendar year of the forecast.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.outputs.read_back import floats
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.outputs.report.wording import Text, num, num_range, pct

__all__ = ["skills_section"]

TOP = 5
_CITY = "*"


def skills_section(inputs: ReportInputs, clusters: pd.DataFrame) -> dict[str, Any] | None:
    """The section's content, or None when the run has no skills table."""
    skills = inputs.skills
    if skills is None or skills.empty or "skill_group" not in skills.columns:
        return None
    year = str(skills["period"].astype(str).str[:4].min())
    first = skills.loc[skills["period"].astype(str).str[:4] == year]
    names = _cluster_names(clusters)
    out: dict[str, Any] = {"year": year, "top": _top_groups(first, names)}
    out["intensity"] = _intensity(inputs.skill_intensity, year)
    out["emerging"] = _emerging(inputs.emerging_skills)
    return out


def _cluster_names(clusters: pd.DataFrame) -> dict[str, Text]:
    table = clusters.drop_duplicates("cluster")
    names = {_CITY: Text("Toàn thành phố", "Whole city")}
    for row in table.itertuples(index=False):
        names[str(row.cluster)] = Text(str(row.name_vi), str(row.name_en))
    return names


def _top_groups(rows: pd.DataFrame, names: dict[str, Text]) -> list[dict[str, Any]]:
    """Per cluster (the city first), the skill groups most openings need as essential,
    summed over the year's periods and the training levels (bounds summed: conservative)."""
    if "cluster" not in rows.columns:
        rows = rows.assign(cluster=_CITY)
    values = ["openings_essential", "openings_essential_lower_80", "openings_essential_upper_80",
              "openings"]  # fmt: skip
    present = [c for c in values if c in rows.columns]
    frame = rows.assign(**{c: floats(rows[c]) for c in present})
    out = []
    order = [c for c in names if c in set(frame["cluster"])]
    for cluster in order:
        part = frame.loc[frame["cluster"] == cluster]
        total = part.drop_duplicates(["period", "level"])["openings"].sum()
        sums = part.groupby(["skill_group", "skill_group_name_en"], sort=False)[present].sum()
        sums = sums.sort_values("openings_essential", ascending=False).head(TOP)
        groups = [
            {
                "code": code,
                "name": name,
                "openings": num(r["openings_essential"]),
                "r80": num_range(r.get("openings_essential_lower_80"),
                                 r.get("openings_essential_upper_80")),  # fmt: skip
                "share": pct(r["openings_essential"] / total if total else np.nan),
            }
            for (code, name), r in sums.iterrows()
        ]
        out.append({"cluster": names[cluster], "openings": num(total), "groups": groups})
    return out


def _intensity(table: pd.DataFrame | None, year: str) -> list[dict[str, Any]] | None:
    """The city's digital / green / transversal share of the essential skills of the
    year's openings, by training level (periods weighted by their openings)."""
    if table is None or table.empty:
        return None
    rows = table.loc[table["period"].astype(str).str[:4] == year]
    if "cluster" in rows.columns:
        rows = rows.loc[rows["cluster"].astype(str) == _CITY]
    shares = ["digital_skill_share", "green_skill_share", "transversal_skill_share"]
    out = []
    for level, part in rows.groupby("level", sort=True):
        weight = floats(part["openings"])
        cells: dict[str, Any] = {"level": str(level), "openings": num(weight.sum())}
        for column in shares:
            value = floats(part[column])
            ok = np.isfinite(value) & (weight > 0)
            mean = np.average(value[ok], weights=weight[ok]) if ok.any() else np.nan
            cells[column] = pct(mean)
        name = part.get("level_name_vi")
        cells["name"] = Text(
            str(name.iloc[0]) if name is not None else "",
            str(part["level_name_en"].iloc[0]) if "level_name_en" in part.columns else "",
        )
        out.append(cells)
    return out


def _emerging(table: pd.DataFrame | None) -> list[dict[str, Any]] | None:
    if table is None or table.empty:
        return None
    ranked = table.loc[~table["small_base"].astype(bool)] if "small_base" in table else table
    return [
        {
            "code": str(r["skill_group"]),
            "name": str(r["skill_group_name"]),
            "past": num(r["past"]),
            "expected": num(r["expected"]),
            "growth": pct(r["growth"], sign=True),
            "drivers": str(r.get("drivers", "")).replace(";", ", "),
        }
        for _, r in ranked.head(TOP).iterrows()
    ]
