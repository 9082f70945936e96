"""The ``emerging`` and ``emerging_reason`` columns of the planner tables.

Every published table with series keys carries them, just before the stamp columns: the
flags of :func:`skillcast.emerging.detect_emerging` on the data the forecast read.

* A row of one series (``forecast.csv``, ``openings.csv``, the scenario file, the bottom
  rows of ``forecast_all_levels.csv``) takes its series' flag and reason.
* A row that adds series up (an aggregate of ``forecast_all_levels.csv`` with ``*`` or a
  major group's one-digit code, a supply-gap cell of occupation x level summed over
  sectors, or of a sub-major group fed by several occupations; a skills cell of a
  cluster x level) is flagged only when **every** series it covers is: then the row's own
  history is as short as theirs. Its reason lists theirs, ``;``-joined, strongest first.
  One new cell among old ones leaves the total unflagged -- the new cell is flagged in
  the tables of single series.
* The calendar-year files carry the flags of the rows they add up (a series' flag is the
  same in every period).

Without detection (``flags=None``) both cells are empty: not assessed, which is not the
same as not emerging.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from skillcast.emerging import EMERGING_COLUMNS, REASONS

__all__ = [
    "FLAG_COLUMNS",
    "covering_flags",
    "flag_table",
    "grouped_flags",
    "join_reasons",
    "series_flags",
]

FLAG_COLUMNS = ("emerging", "emerging_reason")
_ROLLUP_KEYS = ("sector", "occupation")  # codes that roll up by prefix (VSIC, VSCO)
_ANY = ("*", "", "<NA>", "nan")  # an added-up or absent key covers every code


def flag_table(table: pd.DataFrame, flags: pd.DataFrame | None) -> pd.DataFrame:
    """A copy of ``table`` with ``emerging`` (nullable bool) and ``emerging_reason``
    set from ``flags`` (the frame of :func:`~skillcast.emerging.detect_emerging`) by the
    rules of the module doc; empty cells when ``flags`` is None."""
    out = table.copy()
    emerging, reason = covering_flags(table, flags)
    out["emerging"] = emerging
    out["emerging_reason"] = reason
    return out


def covering_flags(table: pd.DataFrame, flags: pd.DataFrame | None) -> tuple[pd.Series, np.ndarray]:
    """Per row of ``table``: whether it is emerging (nullable bool) and why (text)."""
    n = len(table)
    if flags is None:
        return pd.Series(pd.NA, index=range(n), dtype="boolean"), np.full(n, pd.NA, dtype=object)
    keys = [k for k in _flag_keys(flags) if k in table.columns]
    emerging = np.zeros(n, dtype=bool)
    reason = np.full(n, "", dtype=object)
    if not keys or not n:
        return pd.Series(emerging, dtype="boolean"), reason
    codes = table.loc[:, keys].astype("string").fillna("").reset_index(drop=True)
    series = flags.loc[:, keys].astype(str)
    hit, why = series_flags(codes, flags, keys)
    exact = ~pd.isna(hit)
    emerging[exact] = hit[exact].astype(bool)
    reason[exact] = why[exact]
    rest = codes.loc[~exact]
    if len(rest):
        on = flags["emerging"].to_numpy(dtype=bool)
        reasons = flags["emerging_reason"].astype(str).to_numpy()
        groups = rest.groupby(keys, sort=False, dropna=False).indices
        for cell, positions in groups.items():  # one pass per aggregate, vectorised over series
            values = cell if isinstance(cell, tuple) else (cell,)
            mask = np.ones(len(flags), dtype=bool)
            for key, value in zip(keys, map(str, values), strict=True):
                if value in _ANY:
                    continue
                column = series[key]
                match = column.str.startswith(value) if key in _ROLLUP_KEYS else column == value
                mask &= match.to_numpy(dtype=bool)
            if not mask.any() or not on[mask].all():
                continue
            idx = rest.index[positions].to_numpy()
            emerging[idx] = True
            reason[idx] = join_reasons(reasons[mask])
    return pd.Series(emerging, dtype="boolean"), reason


def series_flags(
    codes: pd.DataFrame, flags: pd.DataFrame, keys: Sequence[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The flag and reason of the series each row of ``codes`` names exactly (all of
    ``flags``' keys present); NaN / empty where no series matches."""
    if list(keys) != _flag_keys(flags):
        return np.full(len(codes), np.nan, dtype=object), np.full(len(codes), "", dtype=object)
    right = flags.loc[:, [*keys, "emerging", "emerging_reason"]].astype({k: str for k in keys})
    left = codes.loc[:, list(keys)].astype(str)
    joined = left.merge(right, on=list(keys), how="left", validate="many_to_one")
    hit = joined["emerging"].to_numpy(dtype=object)
    why = joined["emerging_reason"].fillna("").to_numpy(dtype=object)
    return hit, why


def grouped_flags(
    rows: pd.DataFrame, flags: pd.DataFrame | None, by: Sequence[str]
) -> pd.DataFrame | None:
    """Per group of ``rows`` by ``by``: flagged when every series of the group's rows is
    (rows name series by the flag keys), with the reasons joined; None without
    ``flags``. Returns ``by``, ``emerging``, ``emerging_reason``."""
    if flags is None:
        return None
    keys = [k for k in _flag_keys(flags) if k in rows.columns]
    codes = rows.loc[:, keys].astype("string").fillna("").reset_index(drop=True)
    hit, why = series_flags(codes, flags, keys)
    work = rows.loc[:, list(by)].reset_index(drop=True)
    work["_on"] = pd.Series(hit).fillna(False).astype(bool).to_numpy()
    work["_why"] = why
    grouped = work.groupby(list(by), sort=False, dropna=False)
    out = grouped["_on"].all().rename("emerging").reset_index()
    joined = grouped["_why"].agg(lambda r: join_reasons(np.asarray(r)))
    out["emerging_reason"] = np.where(out["emerging"], joined.to_numpy(), "")
    return out


def join_reasons(reasons: np.ndarray) -> str:
    """The distinct reasons among ``reasons``, strongest first, ``;``-joined."""
    present = set(np.asarray(reasons, dtype=str))
    return ";".join(r for r in REASONS if r in present)


def _flag_keys(flags: pd.DataFrame) -> list[str]:
    """The key columns of a detection frame: those before its own columns."""
    return list(flags.columns)[: list(flags.columns).index(EMERGING_COLUMNS[0])]
