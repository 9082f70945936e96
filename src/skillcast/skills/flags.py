"""Digital, green and transversal content of each ISCO-08 unit group's skills.

:func:`load_flags` reads the shipped ESCO flags (``data/isco_skill_flags.csv``) or a
user's table in the same shape; :class:`SkillFlags` holds it validated.

What a share means (from the data's README): of all the essential (occupation, skill)
relations of the unit group's ESCO occupations, the fraction whose skill is in ESCO's
digital (green) skills collection. It is pooled over relations, so it is the share of
the essential skills that are digital, not the share of occupations that need at least
one digital skill (ESCO's tables give no such share). The transversal measure is the
``share_essential_transversal_branch`` column (a skill in the transversal branch of the
skills pillar), because the plain ``share_essential_transversal`` column counts only the
96 top-level concepts, which occupations are almost never linked to.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources

import numpy as np
import pandas as pd

from skillcast.skills import checks
from skillcast.skills.checks import Table

__all__ = ["FLAG_COLUMNS", "MEASURES", "SkillFlags", "load_flags"]

#: Measure name -> column of the flags table it is read from.
MEASURES: dict[str, str] = {
    "digital": "share_essential_digital",
    "green": "share_essential_green",
    "transversal": "share_essential_transversal_branch",
}
#: Columns of :attr:`SkillFlags.table`, in this order.
FLAG_COLUMNS: tuple[str, ...] = ("isco_code", "n_occupations", "mean_n_essential",
                                 *MEASURES.values())  # fmt: skip
SHIPPED_FLAGS = "isco_skill_flags.csv"
_HINT = (
    "A skill-flags table has one row per ISCO-08 unit group: isco_code (4-digit text), "
    f"{', '.join(MEASURES.values())} (shares of the essential skills, 0..1) and "
    "mean_n_essential (essential skills per occupation); blank measures mark a unit group "
    "without a profile. Rename yours with load_flags(path, columns={'your_name': ...})."
)


class SkillFlags:
    """Validated digital / green / transversal shares per ISCO-08 unit group.

    Attributes:
        source: where the table came from (for messages).
        table: a copy of the table, columns :data:`FLAG_COLUMNS` (float shares in [0, 1],
            ``mean_n_essential`` >= 0, ``n_occupations`` Int64), only the unit groups with
            a profile (rows with blank measures, such as the ten unit groups without an
            ESCO occupation, are left out and borrow a profile when used).
    """

    __slots__ = ("_table", "source")

    def __init__(self, table: pd.DataFrame, *, source: str = "skill flags") -> None:
        self.source = source
        self._table = _validate(table, source)

    @property
    def table(self) -> pd.DataFrame:
        """A copy of the validated table."""
        return self._table.copy()

    @property
    def unit_groups(self) -> tuple[str, ...]:
        """The ISCO-08 unit groups with a profile, sorted."""
        return tuple(self._table["isco_code"])

    def matrix(self) -> np.ndarray:
        """(unit groups x 4) float array: the :data:`MEASURES` shares, then
        ``mean_n_essential``; rows in :attr:`unit_groups` order."""
        return self._table.loc[:, [*MEASURES.values(), "mean_n_essential"]].to_numpy(float)

    def __repr__(self) -> str:
        return f"SkillFlags(source={self.source!r}, unit_groups={len(self._table)})"


def load_flags(
    source: Table | None = None, *, columns: Mapping[str, str] | None = None
) -> SkillFlags:
    """The shipped ESCO flags (None), or a user's table (DataFrame or CSV path).

    Raises:
        SkillcastDataError: a missing column, blank or unknown unit-group codes, a repeated
            code, shares that are not numbers in [0, 1], or a negative ``mean_n_essential``.
    """
    if source is None:
        return _shipped()
    label = "skill flags" if isinstance(source, pd.DataFrame) else f"skill flags {source}"
    return SkillFlags(checks.read_table(source, label, ("isco_code",), columns), source=label)


@functools.cache
def _shipped() -> SkillFlags:
    path = resources.files("skillcast.skills").joinpath("data", SHIPPED_FLAGS)
    with path.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={"isco_code": str})
    return SkillFlags(frame, source=f"shipped ESCO flags {SHIPPED_FLAGS}")


def _validate(table: pd.DataFrame, what: str) -> pd.DataFrame:
    frame = table.reset_index(drop=True)
    required = ("isco_code", "mean_n_essential", *MEASURES.values())
    checks.require_columns(frame, what, required, _HINT)
    codes = checks.code_column(frame, what, "isco_code")
    checks.unit_groups(frame, codes, what)
    dup = codes.duplicated(keep=False).to_numpy()
    if dup.any():
        raise checks.fail(
            frame.assign(isco_code=codes), dup, what, "isco_code", "repeat a unit group",
            "Keep one row per unit group.",
        )  # fmt: skip
    measured = frame.loc[:, list(required[1:])].notna().any(axis=1).to_numpy()
    kept = frame.loc[measured].reset_index(drop=True)
    out = pd.DataFrame({"isco_code": codes[measured].to_numpy(dtype=object)})
    if "n_occupations" in kept.columns:
        out["n_occupations"] = pd.to_numeric(kept["n_occupations"], errors="coerce")
        out["n_occupations"] = out["n_occupations"].round().astype("Int64")
    else:
        out["n_occupations"] = pd.Series([pd.NA] * len(kept), dtype="Int64")
    mean = pd.to_numeric(kept["mean_n_essential"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(mean) | (mean < 0)
    if bad.any():
        raise checks.fail(
            kept, bad, what, "mean_n_essential", "are not numbers >= 0",
            "Give the mean number of essential skills per occupation.",
        )  # fmt: skip
    out["mean_n_essential"] = mean
    remedy = "Shares are fractions of the unit group's essential skills: numbers from 0 to 1."
    for column in MEASURES.values():
        out[column] = checks.share_column(kept, what, column, remedy)
    return out.sort_values("isco_code", kind="stable").reset_index(drop=True)
