"""The report's ``emerging`` section: occupations new in the data or rising from zero.

One row per occupation with at least one emerging series (the detection of
:func:`skillcast.emerging.detect_emerging`, or -- without it -- the ``emerging`` columns
of ``forecast.csv``): why, since when, where (sectors and levels), its recent size and
its forecast for the first forecast period with the 80% range, both added up over its
emerging series (bounds added: conservative). Largest forecast first.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from skillcast.emerging import NEW_CODE, NEW_SERIES, REASONS, RISING
from skillcast.outputs.read_back import as_codes, floats
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.outputs.report.tables import Tables
from skillcast.outputs.report.wording import PERIOD_WORDS, Text, num, num_range

__all__ = ["emerging_section"]

SHOWN = 30  # rows on the page; the files flag every series
_KEYS = ("region", "sector", "occupation", "level")
_NEW_CODE_OF = {
    "occupation": Text("Nghề mới trong số liệu", "Occupation new in the data"),
    "sector": Text("Ngành mới trong số liệu", "Sector new in the data"),
    "level": Text("Trình độ mới trong số liệu", "Training level new in the data"),
    "region": Text("Địa bàn mới trong số liệu", "Region new in the data"),
}
_REASON_WORDS = {
    NEW_CODE: Text("Mã mới trong số liệu", "Code new in the data"),
    NEW_SERIES: Text(
        "Ô mới (nghề đã có ở ngành hoặc trình độ khác)",
        "New cell (the occupation was reported in other sectors or levels)",
    ),
    RISING: Text("Tăng lên từ mức gần 0", "Rising from (near) zero"),
}


def emerging_section(tables: Tables, inputs: ReportInputs) -> dict[str, Any] | None:
    """The section's content; None when no detection was run (nothing says which series
    are new)."""
    flags = _flags(inputs, tables.forecast)
    if flags is None:
        return None
    attrs = inputs.emerging.attrs if inputs.emerging is not None else {}
    recent, end = attrs.get("recent"), attrs.get("end", "")
    word = PERIOD_WORDS[tables.freq.name]
    window = (
        Text(
            f"{recent} {word.vi} gần nhất (đến {end})", f"the last {recent} {word.en}(s) (to {end})"
        )
        if recent
        else Text("các kỳ gần nhất", "the latest periods")
    )
    on = flags.loc[flags["emerging"]]
    if on.empty:
        return {"rows": [], "window": window, "more": 0, "first": ""}
    group = "occupation" if "occupation" in on.columns else next(k for k in _KEYS if k in on)
    first, sized = _first_forecast(tables.forecast, on)
    names = _names(tables.forecast, group)
    ranked: list[tuple[float, dict[str, Any]]] = []
    for code, part in on.groupby(group, sort=False):
        mine = sized.loc[sized[group] == code] if len(sized) else sized
        size = float(np.nansum(floats(mine["forecast"]))) if len(mine) else -1.0
        ranked.append((size, _row(str(code), part, mine, names, group)))
    rows = [row for _, row in sorted(ranked, key=lambda pair: -pair[0])]
    return {
        "rows": rows[:SHOWN],
        "window": window,
        "more": max(len(rows) - SHOWN, 0),
        "first": first,
    }


def _row(
    code: str, part: pd.DataFrame, mine: pd.DataFrame, names: dict[str, Text], group: str
) -> dict[str, Any]:
    """One occupation's row: its emerging series ``part`` and their forecast rows ``mine``."""
    recent = floats(part["recent_mean"]) if "recent_mean" in part else np.array([np.nan])
    bounded = len(mine) and {"lower_80", "upper_80"} <= set(mine.columns)
    return {
        "code": code,
        "name": names.get(code, Text(code, code)),
        "reasons": [_reason(r, k) for r, k in _reasons(part)],
        "since": min((p for p in part["first_period"].astype(str) if p), default="–"),
        "where": _where(part, group),
        "observed": int(part["n_observed"].max()) if "n_observed" in part else None,
        "recent": num(np.nansum(recent)) if np.isfinite(recent).any() else "–",
        "forecast": num(np.nansum(floats(mine["forecast"]))) if len(mine) else "–",
        "r80": num_range(np.nansum(floats(mine["lower_80"])), np.nansum(floats(mine["upper_80"])))
        if bounded
        else "–",
    }


def _flags(inputs: ReportInputs, forecast: pd.DataFrame) -> pd.DataFrame | None:
    """The detection frame, or the flags of ``forecast.csv``'s own columns."""
    if inputs.emerging is not None:
        flags = as_codes(inputs.emerging)
        flags["emerging"] = flags["emerging"].astype(str).str.lower().isin(["true", "1"])
        return flags
    if "emerging" not in forecast.columns:
        return None
    text = forecast["emerging"].astype(str).str.strip().str.lower()
    if not text.isin(["true", "false", "1", "0"]).any():
        return None  # the columns are there but empty: not assessed
    keys = [k for k in _KEYS if k in forecast.columns]
    reason = forecast["emerging_reason"] if "emerging_reason" in forecast else ""
    rows = forecast.loc[:, keys].assign(emerging=text.isin(["true", "1"]), emerging_reason=reason)
    rows = rows.drop_duplicates(keys).fillna({"emerging_reason": ""})
    return rows.assign(first_period="", emerging_key="")


def _first_forecast(forecast: pd.DataFrame, on: pd.DataFrame) -> tuple[str, pd.DataFrame]:
    """The first forecast period's label and the forecast rows of the emerging series."""
    if forecast.empty:
        return "", forecast
    first = min(forecast["period"].astype(str))  # labels of one frequency sort in time
    rows = forecast.loc[forecast["period"].astype(str) == first]
    keys = [k for k in _KEYS if k in on.columns and k in rows.columns]
    wanted = on.loc[:, keys].astype(str).drop_duplicates()
    return first, rows.astype({k: str for k in keys}).merge(wanted, on=keys, how="inner")


def _names(forecast: pd.DataFrame, key: str) -> dict[str, Text]:
    vi, en = f"{key}_name_vi", f"{key}_name_en"
    if vi not in forecast.columns or en not in forecast.columns:
        return {}
    rows = forecast.drop_duplicates(key)
    return {
        str(c): Text(
            str(v) if isinstance(v, str) and v else str(c),
            str(e) if isinstance(e, str) and e else str(c),
        )
        for c, v, e in zip(rows[key], rows[vi], rows[en], strict=True)
    }


def _reasons(part: pd.DataFrame) -> list[tuple[str, str]]:
    """The distinct (reason, key) pairs of an occupation's series, strongest first."""
    keys = (
        part["emerging_key"].astype(str)
        if "emerging_key" in part
        else pd.Series("", index=part.index)
    )
    pairs = set(zip(part["emerging_reason"].astype(str), keys, strict=True))
    rank = {r: i for i, r in enumerate(REASONS)}
    return sorted(pairs, key=lambda p: (rank.get(p[0], len(rank)), p[1]))


def _reason(reason: str, key: str) -> Text:
    if reason == NEW_CODE:
        # the section is about occupations: say so when the occupation code is the new one
        named = key.split(";")
        first = "occupation" if "occupation" in named else named[0]
        return _NEW_CODE_OF.get(first, _REASON_WORDS[NEW_CODE])
    for known, words in _REASON_WORDS.items():
        if reason.startswith(known):
            return words
    return Text(reason, reason) if reason else Text("Mới nổi", "Emerging")


def _where(part: pd.DataFrame, group: str) -> str:
    """The other keys' codes of an occupation's emerging series: ``C26, H52 · L3, L4``."""
    shown = []
    for key in _KEYS:
        if key == group or key not in part.columns:
            continue
        codes = [c for c in dict.fromkeys(part[key].astype(str)) if c and c != "nan"]
        if codes:
            shown.append(", ".join(sorted(codes)))
    return " · ".join(shown)
