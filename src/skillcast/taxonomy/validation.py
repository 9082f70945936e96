"""Validation of taxonomy tables and normalisation of code values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError

__all__ = ["ALIAS_COLUMN", "REQUIRED_COLUMNS", "Codes", "as_codes", "code_str", "validate_table"]

#: Columns every taxonomy CSV must have, in this order (extra columns may follow).
REQUIRED_COLUMNS: tuple[str, ...] = ("code", "parent", "tier", "name_vi", "name_en", "version")

#: Optional extra column: another way of writing the row's code (VSIC's own ``52`` for the
#: table's ``H52``), accepted wherever a code is and rewritten to the ``code``.
ALIAS_COLUMN = "alias"

_FORMAT_HINT = "see the CSV format in skillcast/taxonomy/data/README.md"

Codes: TypeAlias = pd.Series | Sequence[Any] | np.ndarray | pd.Index | str


def _examples(values: Iterable[Any], limit: int = 5) -> str:
    items = list(dict.fromkeys(str(v) for v in values))
    shown = ", ".join(repr(v) for v in items[:limit])
    return f"[{shown}{', ...' if len(items) > limit else ''}]"


def code_str(value: Any) -> Any:
    """One code as a stripped string; integral numbers lose a trailing ``.0``; blanks -> NaN."""
    if isinstance(value, str):
        return value.strip() or np.nan
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


def as_codes(values: Codes) -> pd.Series:
    """Normalise ``values`` to an object Series of code strings (NaN where missing).

    A Series keeps its index and name; anything else gets a RangeIndex. A single string is
    one code. Integers are converted with ``str`` (so leading zeros already lost in an
    integer column cannot come back: read code columns as text).
    """
    if isinstance(values, str):
        values = [values]
    s = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    inverse, uniq = pd.factorize(s, use_na_sentinel=True)
    converted = np.array([code_str(v) for v in uniq] + [np.nan], dtype=object)
    return pd.Series(converted[inverse], index=s.index, name=s.name, dtype=object)


def _fail(source: str, problem: str, remedy: str) -> SkillcastDataError:
    return SkillcastDataError(f"{source}: {problem}; {remedy} ({_FORMAT_HINT})")


def validate_table(table: pd.DataFrame, source: str) -> pd.DataFrame:
    """Check the taxonomy contract and return a normalised copy."""
    missing = [c for c in REQUIRED_COLUMNS if c not in table.columns]
    if missing:
        raise _fail(
            source,
            f"missing required column(s) {missing}; a taxonomy table needs the columns "
            f"{','.join(REQUIRED_COLUMNS)} (extra attribute columns are allowed)",
            "add the column(s), leaving `parent` empty for top-tier codes",
        )
    extra = [c for c in table.columns if c not in REQUIRED_COLUMNS]
    frame = table.loc[:, [*REQUIRED_COLUMNS, *extra]].reset_index(drop=True).copy()
    for col in ("code", "parent"):
        frame[col] = pd.Series(as_codes(frame[col]).to_numpy(), dtype=object)
    for col in ("name_vi", "name_en", "version"):
        frame[col] = _blank_to_nan(frame[col])
    if frame.empty:
        raise _fail(source, "the table has no rows", "add at least one code")
    blank = frame["code"].isna()
    if blank.any():
        raise _fail(
            source,
            f"column 'code' is empty on {int(blank.sum())} row(s), e.g. rows "
            f"{_examples(np.flatnonzero(blank) + 1)}",
            "give every row a code",
        )
    dup = frame["code"][frame["code"].duplicated(keep=False)]
    if not dup.empty:
        raise _fail(
            source,
            f"column 'code' has {dup.nunique()} duplicated code(s) on {len(dup)} rows, "
            f"e.g. {_examples(dup)}",
            "each code must appear on exactly one row: remove or merge the duplicates",
        )
    tier = pd.to_numeric(frame["tier"], errors="coerce")
    bad = tier.isna() | (tier < 1) | (tier % 1 != 0)
    if bad.any():
        raise _fail(
            source,
            f"column 'tier' has {int(bad.sum())} value(s) that are not whole numbers >= 1, "
            f"e.g. {_examples(frame['tier'][bad])}",
            "write 1 for the top tier, 2 for the next, and so on",
        )
    frame["tier"] = tier.astype(int)
    has_parent = frame["parent"].notna()
    dangling = frame.loc[has_parent & ~frame["parent"].isin(frame["code"]), "parent"]
    if not dangling.empty:
        raise _fail(
            source,
            f"column 'parent' names {dangling.nunique()} code(s) that are not in the table, "
            f"e.g. {_examples(dangling)}",
            "add rows for these parents, or leave `parent` empty for top-tier codes",
        )
    ptier = frame["parent"].map(frame.set_index("code")["tier"])
    upside = has_parent & (ptier >= frame["tier"])
    if upside.any():
        raise _fail(
            source,
            f"{int(upside.sum())} code(s) have a parent whose tier is not smaller than theirs, "
            f"e.g. {_examples(frame.loc[upside, 'code'])}",
            "give each parent a smaller tier number than its children (1 is the top)",
        )
    versions = frame["version"].dropna().unique()
    if len(versions) != 1 or frame["version"].isna().any():
        raise _fail(
            source,
            f"column 'version' must hold one value on every row, found {_examples(versions)}"
            + (" and empty cells" if frame["version"].isna().any() else ""),
            "fill `version` on every row with one value, one file per classification version",
        )
    for col in extra:
        frame[col] = _typed(frame[col]) if col != ALIAS_COLUMN else _aliases(frame, source)
    return frame


def _aliases(frame: pd.DataFrame, source: str) -> pd.Series:
    """The alias column as code text (``01`` must not become the number 1), checked."""
    alias = pd.Series(as_codes(frame[ALIAS_COLUMN]).to_numpy(), dtype=object)
    given = alias.notna()
    dup = alias[given & alias.duplicated(keep=False)]
    if not dup.empty:
        raise _fail(
            source,
            f"column {ALIAS_COLUMN!r} has {dup.nunique()} value(s) on more than one row, "
            f"e.g. {_examples(dup)}",
            "an alias names one code: give each alias to one row only",
        )
    clash = given & alias.isin(frame["code"]) & alias.ne(frame["code"])
    if clash.any():
        raise _fail(
            source,
            f"column {ALIAS_COLUMN!r} has {int(clash.sum())} value(s) that are the code of "
            f"another row, e.g. {_examples(alias[clash])}",
            "an alias must not be another row's code: remove these aliases",
        )
    # an alias equal to its own code adds nothing
    return alias.where(alias.ne(frame["code"]))


def _blank_to_nan(col: pd.Series) -> pd.Series:
    """Strip text cells; empty ones become NaN."""
    return col.map(lambda v: (v.strip() or np.nan) if isinstance(v, str) else v).astype(object)


def _typed(col: pd.Series) -> pd.Series:
    """All-integer columns become Int64; others stay text with blanks as NaN."""
    text = _blank_to_nan(col)
    numbers = pd.to_numeric(text, errors="coerce")
    filled = text.notna()
    if filled.any() and numbers[filled].notna().all() and (numbers[filled] % 1 == 0).all():
        return numbers.astype("Int64")
    return text
