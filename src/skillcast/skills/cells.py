"""A long frame as dense (cells x occupation codes) arrays, the shape the skill rules
multiply: one matrix product per value column instead of a merge per skill group."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError
from skillcast.skills import checks
from skillcast.taxonomy import as_codes


@dataclass(frozen=True)
class Cells:
    """Attributes:
    keys: one row per cell: the ``by`` columns (sorted), RangeIndex.
    codes: the distinct occupation codes (text; ``""`` for blanks), the columns.
    values: column -> (cells x codes) float array, the column summed within each cell
        and code; NaN where the cell has no row of the code or only missing values.
    present: (cells x codes) bool array: the cell has a row of the code.
    """

    keys: pd.DataFrame
    codes: list[str]
    values: dict[str, np.ndarray]
    present: np.ndarray

    def zeros(self, column: str) -> np.ndarray:
        """The values of ``column`` with NaN as 0 (missing adds nothing to a sum)."""
        return np.nan_to_num(self.values[column], nan=0.0)

    def missing(self, column: str) -> np.ndarray:
        """Boolean per cell: no value of ``column`` at all (the sum is missing, not 0)."""
        return np.isnan(self.values[column]).all(axis=1)


def cell_matrices(
    frame: pd.DataFrame, by: Sequence[str], occupation: str, columns: Sequence[str], what: str
) -> Cells:
    """Sum ``columns`` of ``frame`` per (cell of ``by``, occupation code).

    Raises:
        SkillcastConfigError: a ``by``, occupation or value column is absent.
        SkillcastDataError: a value column holds text or infinities.
    """
    by = list(by)
    checks.require_keys(frame, [*by, occupation], what, "by= or occupation=")
    checks.require_keys(frame, list(columns), what, "value_columns=")
    codes = as_codes(frame[occupation].reset_index(drop=True)).fillna("")
    code_id, distinct = pd.factorize(codes, sort=True)
    if by:
        grouped = frame.reset_index(drop=True).groupby(by, sort=True, dropna=False)
        cell_id = grouped.ngroup().to_numpy()
        keys = grouped.size().index.to_frame(index=False)
    else:
        cell_id = np.zeros(len(frame), dtype=np.int64)
        keys = pd.DataFrame(index=pd.RangeIndex(1 if len(frame) else 0))
    shape = (len(keys), len(distinct))
    present = np.zeros(shape, dtype=bool)
    present[cell_id, code_id] = True
    values = {}
    for column in columns:
        raw = frame[column]
        numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        bad = (raw.notna().to_numpy() & np.isnan(numbers)) | np.isinf(numbers)
        if bad.any():
            raise checks.fail(
                frame.reset_index(drop=True), bad, what, column, "are not finite numbers",
                "Fix the cells or read the column as numbers; blanks are fine (missing).",
            )  # fmt: skip
        given = ~np.isnan(numbers)
        total, count = np.zeros(shape), np.zeros(shape)
        np.add.at(total, (cell_id[given], code_id[given]), numbers[given])
        np.add.at(count, (cell_id[given], code_id[given]), 1.0)
        values[column] = np.where(count > 0, total, np.nan)
    return Cells(keys, [str(c) for c in distinct], values, present)


def long_frame(keys: pd.DataFrame, n_groups: int) -> pd.DataFrame:
    """``keys`` with each row repeated ``n_groups`` times (cell-major), RangeIndex."""
    return keys.loc[keys.index.repeat(n_groups)].reset_index(drop=True)


def no_rows(frame: pd.DataFrame, what: str) -> None:
    """Raise when there is nothing to compute from."""
    if frame.empty:
        raise SkillcastDataError(f"{what} has no rows: nothing to compute skill figures from.")
