"""Code changes between classification versions: crosswalk tables and code conversion.

VSIC 2025 (Decision 36/2025/QĐ-TTg) replaced VSIC 2018 on 15 November 2025, so a sector
series that runs across that date is coded in two versions. A crosswalk says which new
code(s) each old code becomes and which share of the old code's value goes to each: the
statistics office's 2018 -> 2025 conversion table with shares added where a code splits,
or any table of the same shape for another code change.

* :func:`load_crosswalk` reads and checks such a table (CSV or DataFrame; in
  :mod:`skillcast.taxonomy.crosswalk_table`, re-exported here).
* :func:`convert_codes` rewrites a long frame to the new codes: each old-code row is split
  by the shares into new-code rows, then rows are summed per (other columns, period). It
  returns the converted frame and a :class:`CodeConversion` record for logs.

Convert the raw frame, **before** :func:`skillcast.load_panel`: the panel's checks run on
the codes the series will carry, the new codes are usually unknown to the old version's
table (pass a table of the new version in ``PanelSpec.taxonomies``, or set
``PanelSpec.unknown_codes='warn'``), and a series recoded mid-way would otherwise be two
broken series. Write the frame's codes in the crosswalk's form: pass ``old_taxonomy``
(e.g. ``"sector"``) to :func:`load_crosswalk` to rewrite a table in VSIC's own form
(``52``) to the shipped table's form (``H52``).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.periods import frequency, parse_periods
from skillcast.taxonomy.crosswalk_table import Crosswalk, clean_code, examples, load_crosswalk

__all__ = ["CodeConversion", "Crosswalk", "convert_codes", "load_crosswalk"]

UnknownPolicy = Literal["error", "keep"]


@dataclass(frozen=True)
class CodeConversion:
    """What :func:`convert_codes` did to a frame.

    Attributes:
        column: the code column.
        rows_in, rows_out: rows before and after.
        rows_converted: input rows whose old code was replaced.
        old_codes: the old codes found and converted, sorted.
        new_codes: the new codes they became, sorted.
        kept_codes: codes in neither version, passed through (``unknown="keep"``).
        totals_before, totals_after: each value column's sum (missing values skipped).
    """

    column: str
    rows_in: int
    rows_out: int
    rows_converted: int
    old_codes: tuple[str, ...]
    new_codes: tuple[str, ...]
    kept_codes: tuple[str, ...] = ()
    totals_before: dict[str, float] = field(default_factory=dict)
    totals_after: dict[str, float] = field(default_factory=dict)

    @property
    def totals_equal(self) -> bool:
        """Whether every value column kept its total (to rounding)."""
        return all(
            math.isclose(before, self.totals_after[name], rel_tol=1e-9, abs_tol=1e-6)
            for name, before in self.totals_before.items()
        )

    def summary(self) -> str:
        """One line for a log."""
        totals = ", ".join(
            f"{name} {before:,.6g} -> {self.totals_after[name]:,.6g}"
            for name, before in self.totals_before.items()
        )
        kept = f"; {len(self.kept_codes)} code(s) in neither version kept" * bool(self.kept_codes)
        return (
            f"column {self.column!r}: {self.rows_converted} of {self.rows_in} row(s) converted "
            f"from {len(self.old_codes)} old code(s) to {len(self.new_codes)} new code(s), "
            f"{self.rows_out} row(s) out{kept}; totals {totals} "
            f"({'equal' if self.totals_equal else 'NOT equal'})"
        )


def convert_codes(
    frame: pd.DataFrame,
    crosswalk: Crosswalk | pd.DataFrame | str | os.PathLike[str],
    column: str,
    value_columns: str | Sequence[str],
    *,
    new_from: str | pd.Period | None = None,
    period: str = "period",
    freq: str = "semiannual",
    unknown: UnknownPolicy = "error",
) -> tuple[pd.DataFrame, CodeConversion]:
    """Rewrite the codes of ``column`` from the crosswalk's old version to its new one.

    Each row with an old code becomes one row per new code of that old code, its value
    columns multiplied by the share; rows are then summed per (every other column), so
    two old codes merging into one new code give one row per period. Rows whose code is
    already new pass through unchanged, so a frame coded in the old version up to 2025-H1
    and in the new one from 2025-H2 comes out as continuous new-code series. A missing
    value stays missing: a sum with a missing part is missing.

    Args:
        frame: long frame, one row per (keys, period); not modified. Apply this before
            :func:`skillcast.load_panel` (see the module notes).
        crosswalk: a :class:`Crosswalk`, or a DataFrame / CSV path read by
            :func:`load_crosswalk` with its default column names.
        column: the code column, e.g. ``"sector"``.
        value_columns: the additive columns to split and sum: the target and any other
            counts. Every other column (period, other keys, drivers) identifies a row.
        new_from: the first period coded in the new version, e.g. ``"2025-H2"``. Needed
            only when a code both versions use changes meaning: its rows before
            ``new_from`` are read as old codes, its rows from then on as new codes. A code
            of one version only is read as that version whatever its period.
        period, freq: the period column and its frequency, to place ``new_from``.
        unknown: what to do with codes in neither version: ``"error"`` (default: a typo
            or a version mix-up must not pass silently) or ``"keep"`` (pass them through
            unchanged; the record lists them).

    Returns:
        The converted frame (fresh RangeIndex, columns in the input's order, value
        columns float64 when any row was converted) and a :class:`CodeConversion`.

    Raises:
        SkillcastConfigError: a named column is missing or ``unknown`` is not a choice.
        SkillcastDataError: a code is missing or not text, a value column is not
            numeric, two rows share every non-value column, codes are in neither version
            (``unknown="error"``), or codes of both versions need ``new_from``.
    """
    values = [value_columns] if isinstance(value_columns, str) else list(value_columns)
    walk = crosswalk if isinstance(crosswalk, Crosswalk) else load_crosswalk(crosswalk)
    _check_arguments(frame, column, values, unknown, period if new_from is not None else None)
    codes = _frame_codes(frame[column], column)
    others = [c for c in frame.columns if c not in values]
    repeated = frame[others].assign(**{column: codes}).duplicated(keep=False)
    if repeated.any():
        raise SkillcastDataError(
            f"Column {column!r}: {int(repeated.sum())} row(s) repeat the same {others}, "
            f"e.g. codes {examples(codes[repeated.to_numpy()])}; sum or de-duplicate the "
            "rows before converting, so that only rows the conversion merges are added up"
        )
    convert = _rows_to_convert(frame, codes, walk, column, new_from, period, freq)
    inverse, uniques = pd.factorize(codes)
    in_old = np.isin(uniques, list(walk.old_codes))
    in_new = np.isin(uniques, list(walk.new_codes))
    neither = ~(in_old | in_new)
    if neither.any() and unknown == "error":
        rows = neither[inverse]
        raise SkillcastDataError(
            f"Column {column!r}: {int(rows.sum())} row(s) carry {int(neither.sum())} code(s) "
            f"in neither version of {walk.source}, e.g. {examples(uniques[neither])}. "
            "Correct them, add them to the crosswalk (an unchanged code maps to itself with "
            "share 1), or pass unknown='keep' to leave them as they are"
        )
    before = {name: _total(frame[name]) for name in values}
    old_found = sorted(set(codes[convert]))
    if not convert.any():
        out = frame.assign(**{column: codes}).reset_index(drop=True)
        return out, CodeConversion(
            column, len(frame), len(out), 0, (), (), tuple(sorted(uniques[neither])),
            before, dict(before),
        )  # fmt: skip
    out = _split_and_sum(frame, codes, convert, walk, column, values, others)
    after = {name: _total(out[name]) for name in values}
    new_found = walk.table.loc[walk.table["old"].isin(old_found), "new"]
    record = CodeConversion(
        column=column,
        rows_in=len(frame),
        rows_out=len(out),
        rows_converted=int(convert.sum()),
        old_codes=tuple(old_found),
        new_codes=tuple(sorted(set(new_found))),
        kept_codes=tuple(sorted(uniques[neither])),
        totals_before=before,
        totals_after=after,
    )
    return out, record


def _total(values: pd.Series) -> float:
    return float(np.nansum(values.astype(float).to_numpy()))


def _check_arguments(
    frame: pd.DataFrame, column: str, values: list[str], unknown: str, period: str | None
) -> None:
    if unknown not in ("error", "keep"):
        raise SkillcastConfigError(f"unknown must be 'error' or 'keep', got {unknown!r}")
    if not values:
        raise SkillcastConfigError("value_columns is empty: name the target column at least")
    if column in values:
        raise SkillcastConfigError(f"{column!r} is the code column; it cannot be a value column")
    needed = [column, *values, *([period] if period is not None else [])]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SkillcastConfigError(
            f"the frame has no column(s) {missing}; its columns are {list(frame.columns)}"
        )
    for name in values:
        col = frame[name]
        if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
            raise SkillcastDataError(
                f"Column {name!r} is {col.dtype}, not numbers: value columns are split by "
                "share and added up, so they must be numeric (convert them first)"
            )


def _frame_codes(values: pd.Series, column: str) -> np.ndarray:
    cells = values.to_numpy(dtype=object)
    text = np.array([isinstance(v, str) for v in cells], dtype=bool)
    if not text.all():
        bad = cells[~text]
        raise SkillcastDataError(
            f"Column {column!r}: {len(bad)} row(s) hold no code or a number, e.g. "
            f"{examples(bad)}; fill the codes and read them as text (dtype=str): a code "
            "read as a number loses its leading zeros"
        )
    inverse, uniques = pd.factorize(cells)
    return np.array([clean_code(u) for u in uniques], dtype=object)[inverse]


def _rows_to_convert(
    frame: pd.DataFrame,
    codes: np.ndarray,
    walk: Crosswalk,
    column: str,
    new_from: str | pd.Period | None,
    period: str,
    freq: str,
) -> np.ndarray:
    """Which rows carry an old code to replace (a code mapped to itself alone is kept)."""
    table = walk.table
    moved = table.loc[(table["old"] != table["new"]) | (table["share"] < 1.0), "old"]
    convert = np.isin(codes, moved.unique())
    ambiguous = convert & np.isin(codes, list(walk.new_codes))
    if not ambiguous.any():
        return convert
    if new_from is None:
        raise SkillcastDataError(
            f"Column {column!r}: {int(ambiguous.sum())} row(s) carry code(s) "
            f"{examples(sorted(set(codes[ambiguous])))} that both versions use with a "
            "different meaning, so the code alone does not say which version a row is in; "
            "pass new_from= the first period coded in the new version (e.g. '2025-H2')"
        )
    grid = frequency(freq)
    start = parse_periods(pd.Series([new_from]), grid)
    if not start.periods.notna().all():
        raise SkillcastConfigError(
            f"new_from={new_from!r} is not a {grid.name} period (e.g. '2025-H2' for "
            "semi-annual data); pass freq= the frame's frequency"
        )
    parsed = parse_periods(frame[period], grid)
    unread = ambiguous & parsed.periods.isna().to_numpy()
    if unread.any():
        raise SkillcastDataError(
            f"Column {period!r}: {int(unread.sum())} row(s) cannot be read as {grid.name} "
            f"periods, e.g. {examples(frame[period].to_numpy()[unread])}, so new_from cannot "
            "place them; write periods as 2025-H2 (or pass freq= the frame's frequency)"
        )
    is_new = (parsed.periods >= start.periods.iloc[0]).to_numpy(dtype=bool)
    return convert & ~(ambiguous & is_new)


def _split_and_sum(
    frame: pd.DataFrame,
    codes: np.ndarray,
    convert: np.ndarray,
    walk: Crosswalk,
    column: str,
    values: list[str],
    others: list[str],
) -> pd.DataFrame:
    rows = frame.assign(**{column: codes}).astype({name: float for name in values})
    rows = rows.reset_index(drop=True)
    order, new, share = "__row", "__new", "__share"  # names no frame column can clash with
    rows[order] = np.arange(len(rows))
    pairs = walk.table.rename(columns={"old": column, "new": new, "share": share})
    moved = rows.loc[convert].merge(pairs, on=column, how="inner", sort=False)
    moved[column] = moved.pop(new)
    for name in values:
        moved[name] = moved[name].to_numpy() * moved[share].to_numpy()
    moved = moved.drop(columns=share)
    # input order, each old row's new rows in the crosswalk's order
    both = pd.concat([rows.loc[~convert], moved], ignore_index=True)
    both = both.sort_values(order, kind="stable").drop(columns=order)
    flags = [f"__missing_{i}" for i in range(len(values))]
    both[flags] = both[values].isna().to_numpy()
    groups = both.groupby(others, sort=False, dropna=False, observed=True)
    sums = groups[values].sum().mask(groups[flags].any().to_numpy(dtype=bool))
    return sums.reset_index()[list(frame.columns)]
