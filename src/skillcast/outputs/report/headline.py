"""The report's totals: ``headline`` (the city and each priority cluster per year, with
80%/95% ranges and openings) and ``by-level`` (by training level and by occupation major
group)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from skillcast.outputs.annual import annual_view
from skillcast.outputs.clusters import cluster_sectors
from skillcast.outputs.read_back import floats
from skillcast.outputs.report.charts import intervals_chart
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.outputs.report.tables import Tables, calendar_years, sum_by
from skillcast.outputs.report.wording import Text, num, num_range

__all__ = ["by_level_section", "headline_section"]


def headline_section(
    tables: Tables, inputs: ReportInputs, clusters: pd.DataFrame
) -> dict[str, Any]:
    """The ``headline`` section: a panel per whole city and priority cluster (yearly
    forecast, 80%/95% ranges, openings), and the notes on how its ranges were made."""
    city, reconciled = tables.node("total", None)
    panels = [_panel(Text("Toàn thành phố", "Whole city"), calendar_years(city, inputs), "city")]
    forecast = tables.forecast
    masks = cluster_sectors(forecast["sector"], clusters) if "sector" in forecast else {}
    names = clusters.drop_duplicates("cluster").set_index("cluster")
    sector_totals = None
    if tables.all_levels is not None:
        node, found = tables.node("sector", "sector")
        sector_totals = node if found else None
    openings = tables.openings
    for i, (key, row) in enumerate(names.iterrows()):
        label = Text(str(row["name_vi"]), str(row["name_en"]))
        mask = masks.get(str(key))
        if mask is None or not mask.any():
            panels.append({"title": label, "key": key, "empty": True})
            continue
        if sector_totals is not None:
            in_cluster = cluster_sectors(sector_totals["sector"], clusters)[str(key)]
            per = sum_by(sector_totals.loc[in_cluster], [])
        else:
            per = sum_by(forecast.loc[mask], [])
        panel = _panel(label, calendar_years(per, inputs), f"c{i}")
        if openings is not None and "sector" in openings.columns:
            panel["openings"] = _yearly_openings(
                openings.loc[cluster_sectors(openings["sector"], clusters)[str(key)]]
            )
        panels.append(panel)
    if openings is not None:
        panels[0]["openings"] = _yearly_openings(openings)
    return {
        "panels": panels,
        "reconciled": reconciled,
        "partial": _partial_note(tables.forecast, inputs),
        "unit": _unit(inputs),
    }


def _panel(title: Text, years: pd.DataFrame, salt: str) -> dict[str, Any]:
    if years.empty:
        return {"title": title, "key": salt, "empty": True}
    frame = years.assign(year=years["year"].astype(str)).set_index("year")
    chart = intervals_chart(list(frame.index), [("", frame)], size=(3.4, 2.3), salt=salt)
    rows = [
        {
            "year": year,
            "forecast": num(r["forecast"]),
            "r80": num_range(r.get("lower_80"), r.get("upper_80")),
            "r95": num_range(r.get("lower_95"), r.get("upper_95")),
        }
        for year, r in frame.iterrows()
    ]
    return {
        "title": title,
        "key": salt,
        "chart": chart,
        "rows": rows,
        "empty": False,
        "openings": {},
    }


def _yearly_openings(rows: pd.DataFrame) -> dict[str, str]:
    if rows.empty or "openings" not in rows.columns:
        return {}
    per = rows.loc[:, ["period"]].assign(openings=floats(rows["openings"]))
    per = per.groupby("period", sort=False, as_index=False)["openings"].sum()
    years = annual_view(per, flows={"openings": {}})
    return {str(y): num(v) for y, v in zip(years["year"], years["openings"], strict=True)}


def _unit(inputs: ReportInputs) -> Text:
    if inputs.measure == "openings":
        return Text("nhu cầu tuyển dụng (người)", "recruitment needs (workers)")
    return Text("số lao động (người)", "employment (workers)")


def _partial_note(forecast: pd.DataFrame, inputs: ReportInputs) -> Text | None:
    totals = sum_by(forecast, [])
    years = annual_view(
        totals.loc[:, ["period", "forecast"]], stocks={"forecast": {}}, partial="flag", keys=[]
    )
    partial = sorted(set(years.loc[~years["complete"], "year"].astype(int)))
    if not partial:
        return None
    listed = ", ".join(str(y) for y in partial)
    return Text(
        f"Năm {listed} chưa được dự báo đủ mọi kỳ nên không có số liệu cả năm.",
        f"{listed}: not every period of the year is forecast, so no yearly figure is shown.",
    )


def by_level_section(tables: Tables, inputs: ReportInputs) -> dict[str, Any]:
    """The ``by-level`` section: a chart and a table per training level and per occupation
    major group (None for a grouping without a whole year)."""
    from skillcast import taxonomy

    out: dict[str, Any] = {}
    for name, key, tax, salt in (
        ("level", "level", taxonomy.levels(), "lv"),
        ("occupation_major", "occupation", taxonomy.occupations(), "om"),
    ):
        per, reconciled = tables.node(name, key)
        years = calendar_years(per, inputs)
        if years.empty:
            out[name] = None
            continue
        codes = sorted(set(years[key].dropna()), key=_code_order(tax))
        groups = [
            (str(y), part.set_index(key))
            for y, part in years.groupby("year", sort=True)  # a few years
        ]
        chart = intervals_chart(
            codes,
            groups,
            size=(7.2, 3.0 if name == "level" else 3.8),
            salt=salt,
            horizontal=name != "level",
        )
        rows = []
        for code in codes:
            cells = []
            for _, part in groups:
                r = part.loc[code] if code in part.index else None
                cells.append(
                    {
                        "forecast": num(r["forecast"]) if r is not None else "–",
                        "r80": num_range(r.get("lower_80"), r.get("upper_80"))
                        if r is not None
                        else "–",
                    }
                )
            rows.append({"code": code, "name": _tax_name(tax, code), "cells": cells})
        out[name] = {
            "chart": chart,
            "years": [g for g, _ in groups],
            "rows": rows,
            "reconciled": reconciled,
        }
    return out


def _code_order(tax: Any) -> Any:
    def key(code: str) -> tuple[float, str]:
        if "ordinal" in tax.columns and code in tax:
            return (float(tax.ordinal(pd.Series([code])).iloc[0]), code)
        return (0.0, code)

    return key


def _tax_name(tax: Any, code: str) -> Text:
    s = pd.Series([code])
    vi, en = tax.name_of(s, lang="vi").iloc[0], tax.name_of(s, lang="en").iloc[0]
    return Text(str(vi) if pd.notna(vi) else code, str(en) if pd.notna(en) else code)
