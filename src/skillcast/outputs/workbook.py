"""The run's tables as one Excel workbook: a sheet per table, Vietnamese column titles.

:func:`write_workbook` writes ``tables`` (file name -> planner table, as the forecast
app builds them) to one ``.xlsx`` file, atomically. Each sheet has a bold, frozen header
row with an auto-filter; columns the module knows (:data:`COLUMN_TITLES`) get a
Vietnamese title, others keep their name. Numbers are stored as numbers (empty cells for
missing values; ``inf`` ratios as the text ``inf``, Excel having no infinity), booleans
as booleans, and all text as text: a value such as ``=SUM(A1)`` or ``+84...`` is a
string cell, never a formula (the CSVs prefix such cells with ``'``; a workbook can say
"text" outright, so values stay as they are). Risky text cells also carry Excel's
quote-prefix style, so editing one in Excel keeps it text.

Needs openpyxl (imported when a workbook is written).
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skillcast.outputs.files import atomic_write

__all__ = ["COLUMN_TITLES", "SHEET_NAMES", "workbook_writer", "write_workbook"]

#: Planner column -> Vietnamese column title.
COLUMN_TITLES: dict[str, str] = {
    "period": "Kỳ",
    "year": "Năm",
    "aggregation": "Mức tổng hợp",
    "scenario": "Kịch bản",
    "region": "Địa bàn",
    "sector": "Mã ngành (VSIC 2018)",
    "sector_name_vi": "Tên ngành",
    "sector_name_en": "Tên ngành (tiếng Anh)",
    "cluster": "Cụm ngành ưu tiên",
    "cluster_name_vi": "Tên cụm ngành",
    "cluster_name_en": "Tên cụm ngành (tiếng Anh)",
    "occupation": "Mã nghề (VSCO 2020)",
    "occupation_name_vi": "Tên nghề",
    "occupation_name_en": "Tên nghề (tiếng Anh)",
    "level": "Mã trình độ",
    "level_name_vi": "Trình độ chuyên môn kỹ thuật",
    "level_name_en": "Trình độ (tiếng Anh)",
    "forecast": "Dự báo (người)",
    "lower_80": "Cận dưới 80%",
    "upper_80": "Cận trên 80%",
    "lower_95": "Cận dưới 95%",
    "upper_95": "Cận trên 95%",
    "periods": "Số kỳ trong năm",
    "complete": "Đủ cả năm",
    "measure": "Loại chỉ tiêu",
    "decomposition": "Cách tách",
    "stock": "Số lao động",
    "change": "Thay đổi số lao động",
    "expansion": "Nhu cầu mở rộng",
    "contraction": "Thu hẹp",
    "replacement_rate": "Tỷ lệ thay thế",
    "replacement": "Nhu cầu thay thế",
    "openings": "Nhu cầu tuyển dụng",
    "openings_lower": "Nhu cầu tuyển dụng: cận dưới 80%",
    "openings_upper": "Nhu cầu tuyển dụng: cận trên 80%",
    "openings_lower_80": "Nhu cầu tuyển dụng: cận dưới 80%",
    "openings_upper_80": "Nhu cầu tuyển dụng: cận trên 80%",
    "openings_lower_95": "Nhu cầu tuyển dụng: cận dưới 95%",
    "openings_upper_95": "Nhu cầu tuyển dụng: cận trên 95%",
    "hiring_factor": "Hệ số tuyển dụng thực tế",
    "realised_hiring": "Tuyển dụng thực tế dự kiến",
    "supply": "Nguồn cung (tốt nghiệp)",
    "gap": "Chênh lệch cung - cầu",
    "gap_lower": "Chênh lệch: cận dưới",
    "gap_upper": "Chênh lệch: cận trên",
    "ratio": "Tỷ lệ cầu/cung",
    "ratio_lower": "Tỷ lệ cầu/cung: cận dưới",
    "ratio_upper": "Tỷ lệ cầu/cung: cận trên",
    "gap_class": "Phân loại",
    "confidence": "Mức chắc chắn",
    "assessment": "Đánh giá",
    "likely_shortage": "Nhiều khả năng thiếu hụt",
    "emerging": "Mới xuất hiện (ít số liệu)",
    "emerging_reason": "Lý do: mã mới, ô mới, tăng từ 0",
    "cluster_openings": "Nhu cầu tuyển dụng của cụm",
    "cluster_openings_lower": "Nhu cầu của cụm: cận dưới 80%",
    "cluster_openings_upper": "Nhu cầu của cụm: cận trên 80%",
    "openings_share": "Tỷ trọng nhu cầu của cụm",
    "supply_allocated": "Nguồn cung phân bổ cho cụm",
    "gap_allocated": "Chênh lệch phân bổ cho cụm",
    "gap_allocated_lower": "Chênh lệch phân bổ: cận dưới",
    "gap_allocated_upper": "Chênh lệch phân bổ: cận trên",
    "allocation": "Cách phân bổ",
    "driver": "Yếu tố tác động",
    "elasticity": "Hệ số co giãn",
    "std_error": "Sai số chuẩn",
    "n_obs": "Số quan sát",
    "driver_sd": "Độ lệch chuẩn của yếu tố",
    "status": "Trạng thái",
    "model_version": "Phiên bản mô hình",
    "run_id": "Mã lần huấn luyện",
    "data_through": "Số liệu đến kỳ",
    "refit": "Huấn luyện lại",
    "created_at": "Thời điểm lập (UTC)",
    "forecast_run_id": "Mã lần dự báo",
}
#: File name of a table -> sheet name (others: the file name's stem).
SHEET_NAMES: dict[str, str] = {
    "forecast.csv": "Dự báo",
    "forecast_all_levels.csv": "Dự báo mọi cấp",
    "openings.csv": "Nhu cầu tuyển dụng",
    "supply_gap.csv": "Cung - cầu",
    "forecast_scenarios.csv": "Kịch bản",
    "scenario_drivers.csv": "Yếu tố kịch bản",
    "scenario_elasticities.csv": "Hệ số co giãn",
}
_RISKY = ("=", "+", "-", "@", "\t", "\r")
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")  # refused by the xlsx format
_MAX_WIDTH = 60
# what openpyxl stores as an error value rather than text (openpyxl.cell.cell.ERROR_CODES)
ERROR_CODES = frozenset(
    ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA")
)


def write_workbook(
    tables: Mapping[str, pd.DataFrame],
    path: str | os.PathLike[str],
    *,
    titles: Mapping[str, str] | None = None,
) -> Path:
    """Write ``tables`` to the workbook ``path`` (temporary file, then rename).

    Args:
        tables: sheet source by name: a file name of the run (``forecast.csv`` ->
            sheet "Dự báo", see :data:`SHEET_NAMES`) or any name (its stem, cut to
            Excel's 31 characters, made unique). Sheets follow the mapping's order.
        path: the ``.xlsx`` file to (re)place.
        titles: column titles to use over :data:`COLUMN_TITLES`.

    Returns:
        ``path``. A failure leaves an earlier file at ``path`` as it was.
    """
    return atomic_write(path, workbook_writer(tables, titles=titles))


def workbook_writer(
    tables: Mapping[str, pd.DataFrame],
    *,
    titles: Mapping[str, str] | None = None,
) -> Callable[[Path], None]:
    """A function writing the workbook of ``tables`` to the path it is given, for an
    atomic writer that owns the temporary file (:func:`skillcast.outputs.atomic_write`,
    or a file set publishing several files as one)."""
    chosen = {**COLUMN_TITLES, **(titles or {})}
    frozen = dict(tables)

    def write(path: Path) -> None:
        from openpyxl import Workbook

        # write-only: rows stream to disk instead of a cell object per value in memory
        book = Workbook(write_only=True)
        used: set[str] = set()
        for name, frame in frozen.items():
            _fill(book.create_sheet(_sheet_name(name, used)), frame, chosen)
        if not frozen:  # a workbook needs one sheet
            book.create_sheet("Trống")
        book.save(path)

    return write


def _sheet_name(name: str, used: set[str]) -> str:
    base = SHEET_NAMES.get(name) or re.sub(r"\.\w+$", "", name)
    base = _BAD_SHEET.sub("_", base).strip("'")[:31] or "Sheet"
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(candidate.lower())
    return candidate


def _fill(sheet: Any, frame: pd.DataFrame, titles: Mapping[str, str]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    columns = [str(c) for c in frame.columns]
    header = [_text_cell(sheet, titles.get(c, c), bold=Font(bold=True)) for c in columns]
    values = [_column_values(frame[c]) for c in frame.columns]
    widths = [len(str(titles.get(c, c))) for c in columns]
    for j, column in enumerate(values):
        longest = max((len(str(v)) for v in column[:1000] if v is not None), default=0)
        widths[j] = min(max(widths[j], longest) + 2, _MAX_WIDTH)
        sheet.column_dimensions[get_column_letter(j + 1)].width = widths[j]
    sheet.freeze_panes = "A2"
    if columns:
        sheet.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(frame) + 1}"
    sheet.append(header)
    for row in zip(*values, strict=True):
        sheet.append([_text_cell(sheet, v) if _needs_cell(v) else v for v in row])


def _column_values(column: pd.Series) -> list[Any]:
    """The cell values of a column: numbers, booleans, text; None for a missing value."""
    dtype = column.dtype
    missing = column.isna().to_numpy()
    if pd.api.types.is_bool_dtype(dtype):
        raw = column.to_numpy(dtype=object)
        return [None if m else bool(v) for v, m in zip(raw, missing, strict=True)]
    if pd.api.types.is_numeric_dtype(dtype):
        floats = column.to_numpy(dtype=float, na_value=np.nan)
        whole = pd.api.types.is_integer_dtype(dtype)
        return [_number(v, whole) for v in floats]
    raw = column.to_numpy(dtype=object)
    out: list[Any] = []
    for v, m in zip(raw, missing, strict=True):
        if m:
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, int | float | np.integer | np.floating):
            # a mixed column keeps its numbers as numbers; infinities cannot be stored
            out.append(_number(float(v), isinstance(v, int | np.integer)))
        else:
            out.append(str(v))
    return out


def _number(value: float, whole: bool) -> float | int | str | None:
    if math.isnan(value):
        return None
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return int(value) if whole else value


def _needs_cell(value: object) -> bool:
    """Text openpyxl would not store as plain text as it is."""
    return isinstance(value, str) and (
        value.startswith(_RISKY) or value in ERROR_CODES or _ILLEGAL.search(value) is not None
    )


def _text_cell(sheet: Any, text: str, bold: Any = None) -> Any:
    """A string cell whatever the text looks like (openpyxl makes ``=...`` a formula
    and ``#N/A`` an error unless told)."""
    from openpyxl.cell import WriteOnlyCell

    value = _ILLEGAL.sub("", text)
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if value.startswith(_RISKY):
        cell.quotePrefix = True
    if bold is not None:
        cell.font = bold
    return cell
