"""The planner CSV: a stable, Excel-friendly table of forecasts, written atomically.

Columns, in this order (:data:`PLANNER_COLUMNS`):

``period`` (label such as ``2026-H1``), ``region``, ``sector``, ``sector_name_vi``,
``sector_name_en``, ``occupation``, ``occupation_name_vi``, ``occupation_name_en``,
``level``, ``level_name_vi``, ``level_name_en``, ``forecast``, ``lower_80``, ``upper_80``,
``lower_95``, ``upper_95`` (whole workers), ``model_version``, ``run_id``, ``created_at``
(UTC, ISO 8601).

A key the panel does not have (the sample has no region) and a name the classification
does not know are empty cells. Numbers are rounded to whole workers with
``lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95`` kept after rounding. The
file is UTF-8 with a byte-order mark so Excel shows Vietnamese diacritics, and text
cells that a spreadsheet would read as a formula are prefixed with a single quote.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.models.base import Forecast

__all__ = [
    "ENCODING",
    "PLANNER_COLUMNS",
    "atomic_write",
    "neutralise_formulas",
    "planner_frame",
    "write_planner_csv",
]

KEY_COLUMNS = ("region", "sector", "occupation", "level")
NAMED_KEYS = ("sector", "occupation", "level")  # keys with a shipped classification
NUMBER_COLUMNS = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")
PLANNER_COLUMNS: tuple[str, ...] = (
    "period",
    "region",
    "sector",
    "sector_name_vi",
    "sector_name_en",
    "occupation",
    "occupation_name_vi",
    "occupation_name_en",
    "level",
    "level_name_vi",
    "level_name_en",
    *NUMBER_COLUMNS,
    "model_version",
    "run_id",
    "created_at",
)
ENCODING = "utf-8-sig"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def planner_frame(
    forecast: Forecast,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
) -> pd.DataFrame:
    """The planner table of ``forecast``: one row per series and period, columns as above.

    Key columns are read from the forecast frame by name (``region``, ``sector``,
    ``occupation``, ``level``); names come from the shipped classifications
    (:mod:`skillcast.taxonomy`). Numbers are nullable integers (``Int64``); interval
    columns are empty when the forecast has no such level.
    """
    from skillcast import taxonomy  # the tables load on first use only

    src = forecast.frame
    n = len(src)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    out["period"] = forecast.spec.frequency.labels(pd.PeriodIndex(src["period"]))
    for key in KEY_COLUMNS:
        codes = src[key].astype("string") if key in src.columns else pd.Series([pd.NA] * n)
        out[key] = codes.to_numpy(dtype=object)
        if key in NAMED_KEYS:
            table = taxonomy.builtin(key)
            for lang in ("vi", "en"):
                names = table.name_of(codes.fillna("").to_numpy(dtype=str), lang=lang)
                out[f"{key}_name_{lang}"] = names.to_numpy(dtype=object)
    for column, values in rounded_bounds(src).items():
        out[column] = values
    out["model_version"] = "" if model_version is None else str(model_version)
    out["run_id"] = run_id or ""
    stamp = created_at or datetime.now(UTC)
    out["created_at"] = stamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return out.loc[:, list(PLANNER_COLUMNS)]


def rounded_bounds(frame: pd.DataFrame) -> dict[str, pd.Series]:
    """Whole-worker ``forecast`` and bounds from a forecast frame, nested after rounding.

    Rounding is half-up. Each bound is pulled back to the forecast (or to the narrower
    interval's bound) if rounding crossed it, so the order
    ``lower_95 <= lower_80 <= forecast <= upper_80 <= upper_95`` holds on every row.
    Missing bound columns give empty (``<NA>``) cells.
    """

    def whole(column: str) -> np.ndarray:
        if column not in frame.columns:
            return np.full(len(frame), np.nan)
        values = frame[column].to_numpy(dtype=float)
        return np.floor(np.clip(values, 0.0, None) + 0.5)

    mean = whole("mean")
    # np.minimum/np.maximum propagate NaN, so a missing bound stays missing
    lo80 = np.minimum(whole("lower_80"), mean)
    hi80 = np.maximum(whole("upper_80"), mean)
    lo95 = np.minimum(whole("lower_95"), np.where(np.isnan(lo80), mean, lo80))
    hi95 = np.maximum(whole("upper_95"), np.where(np.isnan(hi80), mean, hi80))
    values = {"forecast": mean, "lower_80": lo80, "upper_80": hi80}
    values |= {"lower_95": lo95, "upper_95": hi95}
    return {k: pd.Series(v).round().astype("Int64") for k, v in values.items()}


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells starting with ``= + - @``, a tab or a CR begin with ``'``.

    Spreadsheets run such cells as formulas (CSV injection); the quote makes them text.
    Numeric columns are left alone.
    """
    out = frame.copy()
    for column in out.columns:
        col = out[column]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            continue
        text = col.astype("string")
        risky = text.str.startswith(_FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            values = col.to_numpy(dtype=object, copy=True)
            values[risky] = "'" + text[risky].to_numpy(dtype=object)
            out[column] = values
    return out


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers see the old file or the new one, never a partial one; if ``write`` fails the
    old file is untouched and the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_planner_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a planner table as UTF-8-with-BOM CSV, formulas neutralised, atomically."""
    safe = neutralise_formulas(frame)
    return atomic_write(
        path, lambda tmp: safe.to_csv(tmp, index=False, encoding=ENCODING, lineterminator="\n")
    )
