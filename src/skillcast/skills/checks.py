"""Checks shared by the skill tables: reading, required columns, codes and shares.

Every failure raises :class:`~skillcast.errors.SkillcastDataError` naming the table and
column, the count of offending rows, up to five examples and what the user can do, in
the same form as the panel and demand checks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path
from typing import TypeAlias

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError

# the message form every user table shares (re-exported: checks.fail, checks.require_columns)
from skillcast.table_checks import fail as fail
from skillcast.table_checks import require_columns as require_columns
from skillcast.taxonomy import as_codes, occupations

Table: TypeAlias = pd.DataFrame | str | PathLike[str]


def read_table(
    data: Table,
    what: str,
    text_columns: Sequence[str],
    columns: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of a DataFrame, or a CSV (``.csv`` / ``.csv.gz``) read with the code
    columns as text, with its columns renamed by ``columns`` (``{"theirs": "ours"}``).

    Codes such as ``"0110"`` lose their leading zero when read as numbers, so the code
    columns (named either way) are always read as strings.
    """
    rename = dict(columns or {})
    if isinstance(data, pd.DataFrame):
        frame = data.copy()
    else:
        path = Path(data)
        if not path.is_file():
            raise SkillcastDataError(f"{what}: no such file {path}. Pass a DataFrame or a path.")
        theirs = {k for k, v in rename.items() if v in text_columns}
        dtype = dict.fromkeys([*text_columns, *theirs], str)
        frame = pd.read_csv(path, dtype=dtype, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.rename(columns=rename)


def code_column(frame: pd.DataFrame, what: str, column: str) -> pd.Series:
    """``column`` as stripped text codes (object dtype); blank cells raise."""
    codes = as_codes(frame[column].reset_index(drop=True))
    blank = codes.isna().to_numpy()
    if blank.any():
        raise fail(frame, blank, what, column, "are empty", f"Fill {column!r} or drop the rows.")
    return codes


def share_column(frame: pd.DataFrame, what: str, column: str, remedy: str) -> np.ndarray:
    """``column`` as float64 shares; blanks, text and values outside [0, 1] raise."""
    values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise fail(frame, bad, what, column, "are not numbers", remedy)
    out = (values < 0.0) | (values > 1.0)
    if out.any():
        raise fail(frame, out, what, column, "lie outside [0, 1]", remedy)
    return values


def require_keys(frame: pd.DataFrame, keys: Sequence[str], what: str, parameter: str) -> None:
    """Raise :class:`SkillcastConfigError` when a key or value column is absent."""
    missing = [k for k in keys if k not in frame.columns]
    if missing:
        raise SkillcastConfigError(
            f"{what} has no column(s) {missing}; it has {list(frame.columns)}. "
            f"Name the columns it has with {parameter}."
        )


def unit_groups(frame: pd.DataFrame, codes: pd.Series, what: str) -> None:
    """Raise when a code is not an ISCO-08 unit group (tier 4 of the shipped occupations)."""
    units = set(occupations().codes_at(4))
    unknown = ~codes.isin(units).to_numpy()
    if not unknown.any():
        return
    padded = codes[unknown].str.zfill(4).isin(units)
    hint = (
        " Some become unit groups with their leading zero restored ('110' -> '0110'): read "
        "the file with dtype={'isco_code': str}."
        if padded.any()
        else ""
    )
    raise fail(
        frame.assign(isco_code=codes), unknown, what, "isco_code",
        "are not ISCO-08 unit groups (4-digit codes of skillcast.taxonomy.occupations())",
        "Map national or coarser codes to ISCO-08 unit groups first, or drop the rows."
        + hint,
    )  # fmt: skip
