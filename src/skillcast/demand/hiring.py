"""Declared recruitment needs -> realised hiring: :class:`HiringAdjustment`.

Employers declare more positions than they fill. In 2025 Hai Phong's job exchanges
advertised over 400,000 positions and placed about 40,000, a placement ratio of about 0.1
for job-exchange advertisements; industrial-zone recruitment reports come closer to what
is hired. The ratio depends on the channel, the sector and the ownership of the employer,
and no local estimate is shipped: the default factor is 1.0 (no adjustment), and the
factors are the user's, for example::

    HiringAdjustment({"job_exchange": 0.1}, by="channel")          # a channel column
    HiringAdjustment({"H": 0.5, "H52": 0.7, "C": 0.8}, by="sector")  # longest prefix wins
    HiringAdjustment(pd.read_csv("factors.csv", dtype=str), by="ownership")
"""

from __future__ import annotations

from collections.abc import Mapping
from os import PathLike

import numpy as np
import pandas as pd

from skillcast.demand import checks
from skillcast.errors import SkillcastConfigError, SkillcastDataError

_WHAT = "hiring-adjustment table"


class HiringAdjustment:
    """Factors turning declared openings into expected realised hiring.

    Args:
        table: ``{code: factor}``, or a DataFrame / CSV path with the columns ``by`` and
            ``factor``; ``None`` for no factors (every row gets ``default``).
        by: the column of the openings frame the factors are keyed on. For ``"sector"``
            the codes match by longest prefix (a section letter ``"H"`` covers ``"H52"``
            unless ``"H52"`` has its own factor); for any other column (``"ownership"``,
            a channel) they must match exactly.
        default: the factor of rows no code matches (1.0: no adjustment).

    A factor is realised hires per declared position: >= 0, usually <= 1.

    Raises:
        SkillcastDataError: missing columns, blank codes, factors that are not finite
            numbers >= 0, or a code given twice.
    """

    def __init__(
        self,
        table: Mapping[str, float] | pd.DataFrame | str | PathLike[str] | None = None,
        by: str = "sector",
        default: float = 1.0,
    ) -> None:
        if not (np.isfinite(default) and default >= 0):
            raise SkillcastConfigError(f"default factor must be a number >= 0, got {default!r}")
        self.by = by
        self.default = float(default)
        if table is None or (isinstance(table, Mapping) and not table):
            self.table = pd.DataFrame({by: pd.Series([], dtype=object), "factor": []})
            return
        if isinstance(table, Mapping):
            table = pd.DataFrame({by: list(table), "factor": list(table.values())})
        frame = checks.read_table(table, _WHAT, (by,))
        hint = f"Give the columns {by!r} and 'factor' (realised hires per declared position)."
        checks.require_columns(frame, _WHAT, (by, "factor"), hint)
        out = pd.DataFrame(
            {
                by: checks.code_column(frame, _WHAT, by),
                "factor": checks.number_column(frame, _WHAT, "factor"),
            }
        )
        checks.no_duplicates(out, _WHAT, [by], "Give each code one factor.")
        self.table = out.reset_index(drop=True)

    def factors(self, frame: pd.DataFrame) -> np.ndarray:
        """The factor of each row of ``frame`` (float64 array, ``default`` where no match).

        Raises:
            SkillcastDataError: the table has factors but ``frame`` lacks the ``by`` column.
        """
        out = np.full(len(frame), self.default)
        if self.table.empty:
            return out
        if self.by not in frame.columns:
            raise SkillcastDataError(
                f"The hiring factors are keyed on {self.by!r}, which the openings frame lacks "
                f"(columns {list(frame.columns)}). Key the factors on a column it has."
            )
        codes = frame[self.by].astype(str).str.strip().reset_index(drop=True)
        table = self.table
        if self.by != "sector":
            lookup = table.set_index(self.by)["factor"]
            hit = codes.map(lookup)
            return np.where(hit.notna(), hit.to_numpy(dtype=float, na_value=np.nan), out)
        lengths = table[self.by].str.len()
        # longest prefix last, so it overwrites shorter matches
        for width in sorted(lengths.unique()):
            lookup = table.loc[lengths == width].set_index(self.by)["factor"]
            hit = codes.str.slice(0, int(width)).map(lookup)
            hit = hit.where(codes.str.len() >= width)
            out = np.where(hit.notna(), hit.to_numpy(dtype=float, na_value=np.nan), out)
        return out

    def __repr__(self) -> str:
        return f"HiringAdjustment({len(self.table)} factors by {self.by!r}, default={self.default})"


def as_adjustment(
    value: HiringAdjustment | Mapping[str, float] | float | None,
) -> HiringAdjustment | None:
    """Accept an adjustment, a ``{sector prefix: factor}`` mapping or one factor for all."""
    if value is None or isinstance(value, HiringAdjustment):
        return value
    if isinstance(value, Mapping):
        return HiringAdjustment(value, by="sector")
    if isinstance(value, int | float | np.floating | np.integer):
        return HiringAdjustment(None, default=float(value))
    raise SkillcastConfigError(
        "hiring_adjustment must be a HiringAdjustment, a {sector prefix: factor} mapping, "
        f"a number or None; got {type(value).__name__}."
    )
