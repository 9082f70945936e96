"""Crosswalk tables: old code -> new code(s), with the share of the old code's value each gets.

:func:`load_crosswalk` reads such a table (CSV or DataFrame) and checks it; the frames are
converted by :func:`skillcast.taxonomy.crosswalk.convert_codes`.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.taxonomy.shipped import builtin
from skillcast.taxonomy.tables import Taxonomy, load_taxonomy

__all__ = ["SHARE_TOLERANCE", "Crosswalk", "clean_code", "examples", "load_crosswalk"]

#: Largest gap between 1 and the sum of an old code's shares that still counts as 1.
SHARE_TOLERANCE = 1e-6

_MAX_EXAMPLES = 5


def examples(values: Iterable[Any], limit: int = _MAX_EXAMPLES) -> str:
    """Up to ``limit`` distinct values, as a list for a message."""
    items = list(dict.fromkeys(values))
    shown = ", ".join(repr(v) for v in items[:limit])
    return f"[{shown}{', ...' if len(items) > limit else ''}]"


@dataclass(frozen=True)
class Crosswalk:
    """A checked old -> new code table.

    Attributes:
        table: one row per (old, new) pair: ``old`` and ``new`` (text), ``share``
            (float64 in (0, 1]; the shares of each old code add up to 1), in the order
            given.
        source: where the table came from, for messages.
    """

    table: pd.DataFrame
    source: str = "crosswalk"

    @property
    def old_codes(self) -> frozenset[str]:
        """Codes of the old version."""
        return frozenset(self.table["old"])

    @property
    def new_codes(self) -> frozenset[str]:
        """Codes of the new version."""
        return frozenset(self.table["new"])

    def __len__(self) -> int:
        return len(self.table)


def load_crosswalk(
    source: pd.DataFrame | str | os.PathLike[str],
    old: str = "old",
    new: str = "new",
    share: str | None = "share",
    *,
    old_taxonomy: Taxonomy | str | None = None,
    new_taxonomy: Taxonomy | str | None = None,
) -> Crosswalk:
    """Read and check a crosswalk table.

    Args:
        source: a DataFrame, or a CSV file (UTF-8, optional BOM; every cell read as text,
            so leading zeros survive).
        old, new, share: the columns holding the old code, the new code and the share of
            the old code's value that goes to the new code. ``share=None`` for a table
            without shares, where every old code has one new code (share 1).
        old_taxonomy, new_taxonomy: a taxonomy (a :class:`Taxonomy`, a shipped name such
            as ``"sector"``, or a taxonomy CSV path) whose form that side's codes are
            rewritten to, e.g. ``"sector"`` turns VSIC's own ``52`` into ``H52``.

    Shares may be written with a decimal comma (``"0,25"``).

    Raises:
        SkillcastDataError: a column is missing, the table is empty, a code is blank or a
            number, an (old, new) pair repeats, a share is not a number in (0, 1], or an
            old code's shares do not add up to 1 (within 1e-6). Each names the old codes,
            their count, examples and the remedy.
    """
    is_frame = isinstance(source, pd.DataFrame)
    label = "crosswalk DataFrame" if is_frame else f"crosswalk {os.fspath(source)}"
    if isinstance(source, pd.DataFrame):
        frame = source
    else:
        frame = pd.read_csv(
            source, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig"
        )
        frame.columns = [str(c).strip() for c in frame.columns]
    wanted = [c for c in (old, new, share) if c is not None]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        hint = " (a table without shares: share=None)" if share in missing else ""
        raise SkillcastDataError(
            f"{label}: no column(s) {missing} among {list(frame.columns)}; name the old "
            f"code, new code and share columns with old=, new= and share={hint}"
        )
    if frame.empty:
        raise SkillcastDataError(f"{label}: the table has no rows; give one row per old code")
    table = pd.DataFrame(
        {
            "old": _code_column(frame[old], old, label),
            "new": _code_column(frame[new], new, label),
        }
    )
    for side, tax in (("old", old_taxonomy), ("new", new_taxonomy)):
        if tax is not None:
            table[side] = _resolve(tax, side).canonical(table[side]).to_numpy(dtype=object)
    table["share"] = 1.0 if share is None else _shares(frame[share], share, table, label)
    _check_pairs(table, label, share)
    return Crosswalk(table, label)


def _resolve(tax: Taxonomy | str, side: str) -> Taxonomy:
    if isinstance(tax, Taxonomy):
        return tax
    if isinstance(tax, str) and tax.lower().endswith(".csv"):
        return load_taxonomy(tax)
    if isinstance(tax, str):
        return builtin(tax)
    raise SkillcastConfigError(
        f"{side}_taxonomy must be a Taxonomy, a shipped table name or a CSV path, got {tax!r}"
    )


def clean_code(value: str) -> str:
    """A code as text compared across tables: Unicode NFC, no surrounding spaces."""
    return unicodedata.normalize("NFC", value).strip()


def _code_column(values: pd.Series, name: str, label: str) -> np.ndarray:
    cells = values.to_numpy(dtype=object)
    text = np.array([isinstance(v, str) for v in cells], dtype=bool)
    if not text.all():
        bad = cells[~text]
        raise SkillcastDataError(
            f"{label}: column {name!r} has {len(bad)} value(s) that are not text, e.g. "
            f"{examples(bad)}; read codes as text (pd.read_csv(..., dtype=str)): a code "
            "read as a number loses its leading zeros (01110 becomes 1110)"
        )
    out = np.array([clean_code(v) for v in cells], dtype=object)
    blank = out == ""
    if blank.any():
        raise SkillcastDataError(
            f"{label}: column {name!r} is blank on {int(blank.sum())} row(s), e.g. rows "
            f"{examples((np.flatnonzero(blank) + 1).tolist())}; give every row a code"
        )
    return out


def _shares(values: pd.Series, name: str, table: pd.DataFrame, label: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        numbers = pd.Series(np.nan, index=values.index)
    elif pd.api.types.is_numeric_dtype(values):
        numbers = values.astype(float)
    else:
        numbers = pd.to_numeric(values.map(_share_text), errors="coerce").astype(float)
    share = numbers.to_numpy(dtype=float)
    bad = ~np.isfinite(share) | (share <= 0) | (share > 1)
    if bad.any():
        olds = table["old"].to_numpy()[bad]
        shown = [f"{o!r}: {v!r}" for o, v in zip(olds, values.to_numpy()[bad], strict=True)]
        raise SkillcastDataError(
            f"{label}: column {name!r} holds {int(bad.sum())} value(s) that are not shares in "
            f"(0, 1], for {len(set(olds))} old code(s), e.g. {{{', '.join(shown[:5])}}}; "
            "write each share as a number above 0 and at most 1 (0.25 for a quarter), and "
            "leave out pairs that get nothing"
        )
    return share


def _share_text(value: object) -> object:
    if isinstance(value, bool | np.bool_):
        return np.nan  # True is not a share, though it would pass as 1
    if isinstance(value, str):
        text = value.strip()
        # a share is at most 1, so "0,25" can only be a decimal comma
        return text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    return value


def _check_pairs(table: pd.DataFrame, label: str, share: str | None) -> None:
    pairs = table.duplicated(["old", "new"], keep=False)
    if pairs.any():
        dup = table.loc[pairs, ["old", "new"]].drop_duplicates()
        raise SkillcastDataError(
            f"{label}: {len(dup)} (old, new) pair(s) appear on more than one row, e.g. "
            f"{examples(zip(dup['old'], dup['new'], strict=True))}; give each pair one "
            "row (add up their shares)"
        )
    by_old = table.groupby("old", sort=True)["share"]
    if share is None:
        counts = by_old.size()
        split = counts[counts > 1]
        if not split.empty:
            raise SkillcastDataError(
                f"{label}: {len(split)} old code(s) map to more than one new code but the "
                f"table has no shares, e.g. {examples(split.index)}; add a share column "
                "(the part of the old code's value each new code gets) and name it with "
                "share="
            )
        return
    sums = by_old.sum()
    off = sums[(sums - 1.0).abs() > SHARE_TOLERANCE]
    if not off.empty:
        shown = ", ".join(f"{code!r}: {total:.6g}" for code, total in off.iloc[:5].items())
        raise SkillcastDataError(
            f"{label}: the shares of {len(off)} old code(s) do not add up to 1, e.g. "
            f"{{{shown}{', ...' if len(off) > 5 else ''}}}; correct the shares so that each "
            "old code's shares sum to 1 (a code that moves whole has one row with share 1, "
            "an unchanged code maps to itself with share 1)"
        )
