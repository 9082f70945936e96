"""The report's ``revisions`` section: what changed since the previous forecast, per
period and per occupation x level, and why where the runs' stamps tell."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.outputs.forecast_tables import half_up
from skillcast.outputs.read_back import KEYS, as_codes, floats
from skillcast.outputs.report.inputs import ReportInputs, RunInfo
from skillcast.outputs.report.tables import TOP, Tables, sum_by
from skillcast.outputs.report.wording import Text, num, pct, signed

__all__ = ["revisions_section"]


def revisions_section(tables: Tables, inputs: ReportInputs, run: RunInfo) -> dict[str, Any] | None:
    """The ``revisions`` section: totals per common period before and now, the largest
    changes by occupation x level, series new and gone, and the reasons (None without a
    previous forecast)."""
    if inputs.previous is None:
        return None
    prev = as_codes(inputs.previous.forecast)
    info = inputs.previous.info
    now = tables.forecast
    common = [p for p in dict.fromkeys(now["period"]) if p in set(prev["period"])]
    reasons = _reasons(run, info)
    if not common:
        return {
            "reasons": reasons,
            "none": Text(
                "Hai lần dự báo không có kỳ nào chung để so sánh.",
                "The two forecasts share no period to compare.",
            ),
        }
    totals = []
    for period in common:
        a = float(np.nansum(floats(prev.loc[prev["period"] == period, "forecast"])))
        b = float(np.nansum(floats(now.loc[now["period"] == period, "forecast"])))
        totals.append(
            {
                "period": period,
                "before": num(a),
                "now": num(b),
                "change": signed(b - a),
                "pct": pct((b - a) / a if a else np.nan, sign=True),
            }
        )
    by = [k for k in ("occupation", "level") if k in now.columns and k in prev.columns]
    a = sum_by(prev.loc[prev["period"].isin(common)], by).groupby(by)["forecast"].mean()
    b = sum_by(now.loc[now["period"].isin(common)], by).groupby(by)["forecast"].mean()
    both = pd.DataFrame({"before": a, "now": b}).fillna(0.0)
    both["change"] = both["now"] - both["before"]
    top = both.reindex(both["change"].abs().sort_values(ascending=False).index).head(TOP)
    labels = now.drop_duplicates(by).set_index(by)
    rows = []
    for idx, r in top.iterrows():
        key = idx if isinstance(idx, tuple) else (idx,)
        lab = labels.loc[key] if key in labels.index else None
        rows.append(
            {
                "occupation": key[0],
                "name": Text(
                    str(lab["occupation_name_vi"]) if lab is not None else key[0],
                    str(lab["occupation_name_en"]) if lab is not None else key[0],
                ),
                "level": Text(str(lab["level_name_vi"]), str(lab["level_name_en"]))
                if lab is not None and len(key) > 1
                else Text("", ""),
                "before": num(r["before"]),
                "now": num(r["now"]),
                "change": signed(r["change"]),
                "change_raw": int(half_up(np.array([r["change"]]))[0]),
                "pct": pct(r["change"] / r["before"] if r["before"] else np.nan, sign=True),
                "small": bool(max(r["before"], r["now"]) < inputs.small_cell),
            }
        )
    series_keys = [k for k in KEYS if k in now.columns and now[k].notna().any()]
    new = _count_new(now, prev, series_keys)
    gone = _count_new(prev, now, series_keys)
    return {
        "reasons": reasons,
        "periods": common,
        "totals": totals,
        "rows": rows,
        "new": new,
        "gone": gone,
    }


def _count_new(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> int:
    if not keys:
        return 0
    left = set(map(tuple, a.loc[:, keys].fillna("").to_numpy()))
    right = set(map(tuple, b.loc[:, keys].fillna("").to_numpy()))
    return len(left - right)


def _reasons(run: RunInfo, prev: RunInfo) -> list[Text]:
    out = []
    if run.data_through and prev.data_through and run.data_through != prev.data_through:
        out.append(
            Text(
                f"Số liệu mới: dữ liệu đến kỳ {run.data_through} (lần trước: đến kỳ "
                f"{prev.data_through}).",
                f"New data: observed through {run.data_through} (previously through "
                f"{prev.data_through}).",
            )
        )
    if run.model_version and prev.model_version and run.model_version != prev.model_version:
        out.append(
            Text(
                f"Mô hình mới: phiên bản {run.model_version} (lần trước: {prev.model_version}).",
                f"New model: version {run.model_version} (previously {prev.model_version}).",
            )
        )
    if run.refit:
        out.append(
            Text(
                "Mô hình được huấn luyện lại trên số liệu mới nhất trước khi dự báo.",
                "The model was refitted on the latest data before forecasting.",
            )
        )
    if not out:
        out.append(
            Text(
                "Không ghi nhận thay đổi về số liệu hay mô hình giữa hai lần dự báo.",
                "No change of data or model is recorded between the two forecasts.",
            )
        )
    return out
