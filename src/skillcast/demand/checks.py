"""Checks for the user tables of the demand layer (rates, hiring factors, age structure, supply).

Each failure raises :class:`~skillcast.errors.SkillcastDataError` naming the table and
column, the count of offending rows, up to five examples and what the user can do, in the
same form as the panel checks.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError

# the message form every user table shares (re-exported: checks.fail, checks.require_columns)
from skillcast.table_checks import fail as fail
from skillcast.table_checks import require_columns as require_columns

#: Value of a code column that matches every code (a wildcard row of a rates table).
WILDCARD = "*"


def read_table(
    data: pd.DataFrame | str | PathLike[str], what: str, text_columns: tuple[str, ...]
) -> pd.DataFrame:
    """A shallow copy of a DataFrame, or a CSV read with ``text_columns`` kept as text.

    Codes such as ``"01"`` lose their leading zeros when read as numbers, so code columns
    are always read as strings.
    """
    if isinstance(data, pd.DataFrame):
        return data.copy(deep=False)
    path = Path(data)
    if not path.exists():
        raise SkillcastDataError(f"{what}: no such file {path}. Pass a DataFrame or a CSV path.")
    return pd.read_csv(path, dtype={c: str for c in text_columns}, encoding="utf-8-sig")


def code_column(frame: pd.DataFrame, what: str, column: str) -> pd.Series:
    """``column`` as stripped strings; blank or missing cells raise."""
    text = frame[column].astype(object).map(_code_text, na_action="ignore")
    blank = (text.isna() | (text == "")).to_numpy()
    if blank.any():
        raise fail(frame, blank, what, column, "are empty", f"Fill {column!r} or drop the rows.")
    return text.astype(object)


def _code_text(value: object) -> str:
    # integers typed into a spreadsheet come back as 8343 or 8343.0
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number_column(
    frame: pd.DataFrame,
    what: str,
    column: str,
    low: float = 0.0,
    high: float = np.inf,
    remedy: str = "",
) -> np.ndarray:
    """``column`` as float64; non-numbers, blanks, infinities and values outside
    ``[low, high]`` raise."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise fail(
            frame,
            bad,
            what,
            column,
            "are not finite numbers",
            remedy or "Fix the cells (text notes, thousands separators, blanks).",
        )
    out = (values < low) | (values > high)
    if out.any():
        span = f"[{low:g}, {high:g}]" if np.isfinite(high) else f">= {low:g}"
        raise fail(
            frame,
            out,
            what,
            column,
            f"lie outside {span}",
            remedy or f"Correct the values; {column!r} must be {span}.",
        )
    return values


def no_duplicates(frame: pd.DataFrame, what: str, keys: list[str], remedy: str) -> None:
    """Raise when a combination of ``keys`` appears on more than one row."""
    dup = frame.duplicated(keys, keep=False).to_numpy()
    if dup.any():
        raise fail(frame, dup, what, keys[-1], f"repeat a combination of {keys}", remedy)
