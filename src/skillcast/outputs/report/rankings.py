"""The report's ranked tables: ``shortages`` (occupation x level by the yearly gap,
city-wide and per priority cluster) and ``growth`` (the fastest growing and declining
occupations, the most openings)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.outputs.annual import annual_supply_gap, annual_view, label_frequency
from skillcast.outputs.clusters import cluster_supply_gap
from skillcast.outputs.forecast_tables import half_up
from skillcast.outputs.read_back import as_codes, floats
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.outputs.report.tables import TOP, Tables, sum_by
from skillcast.outputs.report.wording import ASSESSMENTS, Text, as_float, num, num_range, pct

__all__ = ["growth_section", "shortages_section"]

ALL = "all"  # the city-wide choice of the cluster filter


def shortages_section(
    tables: Tables, inputs: ReportInputs, clusters: pd.DataFrame
) -> dict[str, Any] | None:
    """The ``shortages`` section: every (cluster, year, occupation x level) row of the gap,
    ranked by gap within a cluster and year, and the choices of its filters (None
    without a supply gap)."""
    if inputs.supply_gap is None:
        return None
    gap = as_codes(inputs.supply_gap)
    if gap.empty:
        return {"rows": [], "years": [], "clusters": [], "note": None}
    note = None
    if label_frequency(gap["period"]).name != "annual":
        yearly = annual_supply_gap(gap, correlation=inputs.correlation)
        if yearly.empty:  # no whole year: rank the periods themselves
            note = Text(
                "Chưa có năm nào được dự báo đủ mọi kỳ: bảng xếp hạng theo từng kỳ.",
                "No year is forecast in full: the table ranks each period.",
            )
        else:
            gap = as_codes(yearly.drop(columns="year"))
    city = gap.assign(cluster=ALL, gap_value=floats(gap["gap"]))
    city = city.assign(g_lo=floats(gap["gap_lower"]), g_hi=floats(gap["gap_upper"]))
    parts = [city]
    cluster_note = None
    openings = tables.openings
    if openings is not None and "sector" in openings.columns:
        shared = cluster_supply_gap(gap, openings, clusters=clusters)
        shared = shared.loc[floats(shared["cluster_openings"]) > 0]
        parts.append(
            shared.assign(
                openings=shared["cluster_openings"],
                supply=shared["supply_allocated"],
                gap_value=floats(shared["gap_allocated"]),
                g_lo=floats(shared["gap_allocated_lower"]),
                g_hi=floats(shared["gap_allocated_upper"]),
            )
        )
    else:
        cluster_note = Text(
            "Không có bảng nhu cầu tuyển dụng theo ngành nên không chia được theo cụm ngành.",
            "No openings by sector were given, so the gap cannot be shared out to clusters.",
        )
    rows = []
    rank = {c: i for i, c in enumerate([ALL, *dict.fromkeys(clusters["cluster"])])}
    table = pd.concat(parts, ignore_index=True)
    table = table.assign(_r=table["cluster"].map(rank), _g=-table["gap_value"])
    table = table.sort_values(["_r", "period", "_g", "occupation", "level"], kind="stable")
    for r in table.itertuples(index=False):
        openings_value = as_float(r.openings)
        rows.append(
            {
                "cluster": r.cluster,
                "year": r.period,
                "occupation": r.occupation,
                "occupation_name": Text(str(r.occupation_name_vi), str(r.occupation_name_en)),
                "level": Text(str(r.level_name_vi), str(r.level_name_en)),
                "openings": num(openings_value),
                "supply": num(r.supply),
                "gap": num(r.gap_value),
                "gap_raw": int(half_up(np.array([r.gap_value]))[0]),
                "range": num_range(r.g_lo, r.g_hi),
                "assessment": ASSESSMENTS.get(
                    str(r.assessment), Text(str(r.assessment), str(r.assessment))
                ),
                "kind": str(r.gap_class),
                "small": openings_value < inputs.small_cell,
            }
        )
    names = clusters.drop_duplicates("cluster")
    options = [{"key": ALL, "vi": "Toàn thành phố", "en": "Whole city"}] + [
        {"key": c, "vi": v, "en": e}
        for c, v, e in zip(names["cluster"], names["name_vi"], names["name_en"], strict=True)
        if (table["cluster"] == c).any()
    ]
    years = list(dict.fromkeys(table["period"].astype(str)))
    return {
        "rows": rows,
        "years": years,
        "clusters": options,
        "note": note,
        "cluster_note": cluster_note,
    }


def growth_section(tables: Tables, inputs: ReportInputs) -> dict[str, Any]:
    """The ``growth`` section: the occupations growing and declining fastest between the
    first and last forecast years (short of two years: the last period and the one a
    year before), and those with the most openings; a reason instead when the forecast
    is too short."""
    forecast = tables.forecast
    if "occupation" not in forecast.columns:
        return {"reason": Text("Dự báo không chia theo nghề.", "The forecast has no occupations.")}
    per = sum_by(forecast, ["occupation"])
    point = per.loc[:, ["occupation", "period", "forecast"]]
    if inputs.measure == "openings":
        years = annual_view(point, flows={"forecast": {}})
    else:
        years = annual_view(point, stocks={"forecast": {}})
    span = sorted(set(years["year"].astype(int)))
    if len(span) >= 2:
        first, last = span[0], span[-1]
        wide = years.pivot_table(index="occupation", columns="year", values="forecast")
        start, end = wide[first].astype(float), wide[last].astype(float)
        steps, basis = last - first, Text(f"năm {first} → {last}", f"{first} → {last}")
        ends = (str(first), str(last))
    else:
        periods = list(dict.fromkeys(forecast["period"]))
        m = tables.freq.season_length
        if len(periods) <= m:
            return {
                "reason": Text(
                    "Dự báo chưa đủ dài (dưới một năm và một kỳ) để đo tốc độ tăng.",
                    "The forecast is too short (under a year and a period) to measure growth.",
                )
            }
        a, b = periods[-1 - m], periods[-1]
        wide = per.pivot_table(index="occupation", columns="period", values="forecast")
        start, end = wide[a].astype(float), wide[b].astype(float)
        steps, basis = 1, Text(f"{a} → {b}", f"{a} → {b}")
        ends = (str(a), str(b))
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (end / start) ** (1.0 / steps) - 1.0
    table = pd.DataFrame({"start": start, "end": end, "rate": rate})
    names = forecast.drop_duplicates("occupation").set_index("occupation")
    flagged = _flag_columns(forecast)
    openings = None
    if tables.openings is not None and "occupation" in tables.openings.columns:
        op = tables.openings
        sums = op.loc[:, ["occupation", "period"]].assign(openings=floats(op["openings"]))
        sums = sums.groupby(["occupation", "period"], as_index=False, sort=False).sum()
        yearly = annual_view(sums, flows={"openings": {}})
        if len(yearly):
            openings = yearly.groupby("occupation")["openings"].mean()
    table["openings"] = openings.reindex(table.index) if openings is not None else np.nan

    def rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
        out = []
        for code, r in frame.iterrows():
            name = names.loc[code] if code in names.index else None
            out.append(
                {
                    "code": code,
                    "name": Text(
                        str(name["occupation_name_vi"]) if name is not None else code,
                        str(name["occupation_name_en"]) if name is not None else code,
                    ),
                    "start": num(r["start"]),
                    "end": num(r["end"]),
                    "rate": pct(r["rate"], sign=True),
                    "openings": num(r["openings"]),
                    "small": bool(r["start"] < inputs.small_cell),
                    "new": code in flagged,
                }
            )
        return out

    valid = table.loc[np.isfinite(table["rate"])]
    return {
        "basis": basis,
        "ends": ends,
        "growing": rows(valid.sort_values("rate", ascending=False).head(TOP)),
        "declining": rows(valid.loc[valid["rate"] < 0].sort_values("rate").head(TOP)),
        "openings": rows(table.dropna(subset=["openings"]).nlargest(TOP, "openings"))
        if table["openings"].notna().any()
        else None,
        "has_flags": bool(flagged),
    }


def _flag_columns(forecast: pd.DataFrame) -> set[str]:
    """Occupations with an emerging or cold-start series, where a column says so."""
    found: set[str] = set()
    for column in ("emerging", "cold_start", "new_series"):
        if column in forecast.columns:
            text = forecast[column].astype(str).str.strip().str.lower()
            on = text.isin(["true", "1", "yes"]).to_numpy()
            found |= set(forecast.loc[on, "occupation"].astype(str))
    return found
