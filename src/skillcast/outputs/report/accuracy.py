"""How far to trust the numbers: the report's ``track-record`` section (forecasts
published earlier against what was observed) and ``trust`` section (backtest accuracy in
plain words, interval coverage, small cells)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.outputs.read_back import KEYS, as_codes, floats
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.outputs.report.tables import Tables
from skillcast.outputs.report.wording import AGGREGATIONS, PERIOD_WORDS, Text, as_float, num, pct

__all__ = ["track_record_section", "trust_section"]


def track_record_section(inputs: ReportInputs) -> dict[str, Any] | None:
    """The ``track-record`` section: per observed period, the published forecast against the
    actuals, by level, with the share inside the ranges (None without both tables)."""
    if inputs.published is None or inputs.actuals is None:
        return None
    published = as_codes(inputs.published)
    actuals = as_codes(inputs.actuals)
    if "actual" not in actuals.columns:
        raise SkillcastConfigError("The actuals table needs an 'actual' column (workers).")
    if "created_at" in published.columns and published["created_at"].nunique() > 1:
        latest = published.groupby("period")["created_at"].transform("max")
        published = published.loc[published["created_at"] == latest]
    keys = [
        k
        for k in KEYS
        if k in published.columns and k in actuals.columns and published[k].notna().any()
    ]
    merged = published.merge(actuals.loc[:, [*keys, "period", "actual"]], on=[*keys, "period"])
    if merged.empty:
        return {"periods": []}
    merged = merged.assign(actual=floats(merged["actual"]), forecast=floats(merged["forecast"]))
    periods = []
    for period, part in merged.groupby("period", sort=True):  # a few periods
        f, a = float(part["forecast"].sum()), float(part["actual"].sum())
        err = (f - a) / a if a else np.nan
        sentence = Text(
            f"Kỳ {period}: đã dự báo {num(f)} người, thực tế {num(a)} người "
            f"({'cao' if f >= a else 'thấp'} hơn {pct(abs(err)).vi}).",
            f"{period}: forecast {num(f)} workers, observed {num(a)} "
            f"({pct(abs(err)).en} {'too high' if f >= a else 'too low'}).",
        )
        levels = []
        if "level" in part.columns:
            for code, lv in part.groupby("level", sort=True):  # five levels
                lf, la = float(lv["forecast"].sum()), float(lv["actual"].sum())
                levels.append(
                    {
                        "name": Text(
                            str(lv["level_name_vi"].iloc[0]), str(lv["level_name_en"].iloc[0])
                        )
                        if "level_name_vi" in lv.columns
                        else Text(str(code), str(code)),
                        "forecast": num(lf),
                        "actual": num(la),
                        "error": pct((lf - la) / la if la else np.nan, sign=True),
                    }
                )
        coverage = {}
        for lv in (80, 95):
            lo, hi = f"lower_{lv}", f"upper_{lv}"
            if lo in part.columns and hi in part.columns:
                inside = (floats(part[lo]) <= part["actual"]) & (part["actual"] <= floats(part[hi]))
                coverage[lv] = pct(float(np.mean(inside)), digits=0)
        periods.append(
            {
                "period": period,
                "sentence": sentence,
                "levels": levels,
                "coverage": coverage,
                "n": len(part),
            }
        )
    return {"periods": periods}


def trust_section(tables: Tables, inputs: ReportInputs) -> dict[str, Any]:
    """The ``trust`` section: the small cells, and the backtest accuracy by level in a table
    and in sentences (``accuracy`` None without an accuracy table)."""
    out: dict[str, Any] = {"small": _small_cells(tables.forecast, inputs.small_cell)}
    acc = inputs.accuracy
    if acc is None or acc.empty:
        out["accuracy"] = None
        return out
    if "forecast" in acc.columns and (acc["forecast"] == "reconciled").any():
        acc = acc.loc[acc["forecast"] == "reconciled"]
    acc = acc.drop_duplicates("aggregation") if "aggregation" in acc.columns else acc
    rows = []
    for r in acc.to_dict("records"):
        name = str(r.get("aggregation", ""))
        rows.append(
            {
                "name": AGGREGATIONS.get(name, Text(name, name)),
                "series": num(r.get("n_series")),
                "wape": pct(r.get("wape")),
                "hit": pct(r.get("hit_rate"), digits=0),
                "c80": pct(r.get("coverage_80"), digits=0),
                "c95": pct(r.get("coverage_95"), digits=0),
            }
        )
    by_name = {str(r.get("aggregation")): r for r in acc.to_dict("records")}
    total, bottom = by_name.get("total"), by_name.get("bottom")
    words = PERIOD_WORDS[tables.freq.name]
    sentences = []
    if total is not None:
        n = int(as_float(total.get("n")) / max(as_float(total.get("n_series")), 1.0))
        sentences.append(
            Text(
                f"Trong {n} lần dự báo thử cho các {words.vi} đã qua, tổng toàn thành phố lệch "
                f"trung bình {pct(total.get('wape')).vi}.",
                f"Over {n} back-tested forecasts of past {words.en}s, the city total was off by "
                f"{pct(total.get('wape')).en} on average.",
            )
        )
    if bottom is not None:
        sentences.append(
            Text(
                f"Từng nghề (theo ngành và trình độ) lệch trung bình {pct(bottom.get('wape')).vi}"
                f"; chiều tăng/giảm đúng ở {pct(bottom.get('hit_rate'), 0).vi} số trường hợp.",
                f"Single occupations (by sector and level) were off by "
                f"{pct(bottom.get('wape')).en}; the direction of change was right in "
                f"{pct(bottom.get('hit_rate'), 0).en} of cases.",
            )
        )
        c80 = as_float(bottom.get("coverage_80"))
        if np.isfinite(c80):
            sentences.append(
                Text(
                    f"Khoảng 80% chứa giá trị thực tế ở {pct(c80, 0).vi} số trường hợp "
                    "(mục tiêu: 80%).",
                    f"The 80% ranges held the observed value in {pct(c80, 0).en} of cases "
                    "(target: 80%).",
                )
            )
    out["accuracy"] = {"rows": rows, "sentences": sentences}
    return out


def _small_cells(forecast: pd.DataFrame, threshold: int) -> dict[str, Any]:
    first = (
        forecast.loc[forecast["period"] == forecast["period"].iloc[0]]
        if len(forecast)
        else forecast
    )
    values = floats(first["forecast"])
    small = values < threshold
    share = float(values[small].sum() / values.sum()) if values.sum() else 0.0
    return {
        "threshold": threshold,
        "count": int(small.sum()),
        "total": len(values),
        "share": pct(share),
    }
