"""The occupation -> skill bridge: for each ISCO-08 unit group, the share of its
occupations that need something from each skill group.

:func:`load_bridge` reads the shipped ESCO bridge (``data/``; credit and method in
``data/README.md``) or a user's own in the same shape (a national skills framework, an
O*NET crosswalk), and :class:`SkillBridge` holds it validated.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.skills import checks
from skillcast.skills.checks import Table

__all__ = ["BRIDGE_COLUMNS", "SHIPPED_BRIDGES", "SkillBridge", "Strength", "load_bridge"]

Strength = Literal["essential", "optional"]
STRENGTHS: tuple[str, ...] = ("essential", "optional")

#: Columns of :attr:`SkillBridge.table`, in this order.
BRIDGE_COLUMNS: tuple[str, ...] = (
    "isco_code", "skill_group", "skill_group_name", "group_level", "share_essential",
    "share_optional", "n_occupations",
)  # fmt: skip
_REQUIRED = ("isco_code", "skill_group", "share_essential")
#: The shipped files' own column names, accepted as they are.
_ALIASES = {"skill_group_code": "skill_group", "skill_group_label_en": "skill_group_name"}
#: ESCO skills-pillar level -> shipped file in ``skillcast/skills/data``.
SHIPPED_BRIDGES: dict[int, str] = {
    1: "isco_skill_groups_level1.csv.gz",
    2: "isco_skill_groups.csv.gz",
}
_HINT = (
    "A skill bridge has one row per (ISCO-08 unit group, skill group): isco_code (4-digit "
    "text, '0110' not '110'), skill_group, share_essential (0..1: the share of the unit "
    "group's occupations with an essential skill in the group) and optionally "
    "skill_group_name, share_optional, n_occupations, group_level; rename yours with "
    "load_bridge(path, columns={'your_name': 'isco_code', ...})."
)


class SkillBridge:
    """A validated occupation -> skill-group table.

    Attributes:
        source: where the table came from (for messages).
        group_level: the level of the skill groups in their hierarchy (ESCO: 1 or 2), or
            None when a user's bridge does not say.
        table: a copy of the table, columns :data:`BRIDGE_COLUMNS`: ``isco_code`` (4-digit
            ISCO-08 unit group, text), ``skill_group`` (code, text), ``skill_group_name``,
            ``group_level`` (Int64), ``share_essential`` and ``share_optional`` (float in
            [0, 1]; ``share_optional`` NaN when the bridge has no optional measure),
            ``n_occupations`` (Int64, NA when not given).

    A (unit group, skill group) pair absent from the table has share 0; a unit group with
    no row at all has no profile (see :mod:`skillcast.skills.profiles` for how one is
    borrowed). Shares of one unit group do not add up to 1 across skill groups: each is
    the presence of the group in the unit group's occupations, and an occupation needs
    many groups.
    """

    __slots__ = ("_groups", "_matrices", "_table", "_units", "group_level", "source")

    def __init__(
        self, table: pd.DataFrame, *, source: str = "skill bridge", group_level: int | None = None
    ) -> None:
        self.source = source
        self._table = _validate(table, source, group_level)
        levels = self._table["group_level"].dropna().unique()
        self.group_level: int | None = int(levels[0]) if len(levels) else None
        self._units = tuple(sorted(self._table["isco_code"].unique()))
        groups = self._table.drop_duplicates("skill_group")
        self._groups = groups.loc[:, ["skill_group", "skill_group_name"]].reset_index(drop=True)
        self._matrices: dict[str, np.ndarray] = {}

    @property
    def table(self) -> pd.DataFrame:
        """A copy of the validated table (see the class docstring)."""
        return self._table.copy()

    @property
    def unit_groups(self) -> tuple[str, ...]:
        """The ISCO-08 unit groups with a profile, sorted."""
        return self._units

    @property
    def skill_groups(self) -> pd.DataFrame:
        """``skill_group`` and ``skill_group_name``, one row per group in table order."""
        return self._groups.copy()

    @property
    def has_optional(self) -> bool:
        """Whether the bridge carries the optional-skill measure."""
        return bool(self._table["share_optional"].notna().all())

    def matrix(self, strength: Strength = "essential") -> np.ndarray:
        """Shares as a dense (unit groups x skill groups) float array, rows in
        :attr:`unit_groups` order, columns in :attr:`skill_groups` order; absent pairs 0.

        Raises:
            SkillcastConfigError: an unknown ``strength``, or ``"optional"`` for a bridge
                without ``share_optional``.
        """
        if strength not in STRENGTHS:
            raise SkillcastConfigError(f"strength={strength!r}; choose one of {STRENGTHS}.")
        if strength == "optional" and not self.has_optional:
            raise SkillcastConfigError(
                f"{self.source} has no share_optional column; use strength='essential'."
            )
        if strength not in self._matrices:
            rows = pd.Index(self._units).get_indexer(self._table["isco_code"])
            cols = pd.Index(self._groups["skill_group"]).get_indexer(self._table["skill_group"])
            out = np.zeros((len(self._units), len(self._groups)))
            out[rows, cols] = self._table[f"share_{strength}"].to_numpy(dtype=float)
            out.setflags(write=False)
            self._matrices[strength] = out
        return self._matrices[strength]

    def __repr__(self) -> str:
        return (
            f"SkillBridge(source={self.source!r}, group_level={self.group_level}, "
            f"unit_groups={len(self._units)}, skill_groups={len(self._groups)})"
        )


def load_bridge(
    source: Table | None = None,
    *,
    level: int | None = None,
    columns: Mapping[str, str] | None = None,
) -> SkillBridge:
    """The shipped ESCO bridge, or a user's bridge validated like every other table.

    Args:
        source: None for the shipped ESCO v1.1.1 bridge; else a DataFrame or a CSV path
            (``.csv`` or ``.csv.gz``) in the shape of :data:`BRIDGE_COLUMNS` (only
            ``isco_code``, ``skill_group`` and ``share_essential`` are required).
        level: the shipped bridge's skills-pillar level: 2 (default, 157 groups such as
            ``S5.1`` "programming computer systems") or 1 (28 groups such as ``S5``
            "working with computers"). For a user's bridge: the level its groups sit at,
            recorded (and checked against a ``group_level`` column).
        columns: renames a user's columns, ``{"their_name": "isco_code", ...}``.

    Raises:
        SkillcastDataError: a missing column, blank or unknown codes (every ``isco_code``
            must be an ISCO-08 unit group of :func:`skillcast.taxonomy.occupations`),
            shares that are not numbers in [0, 1], a repeated (isco_code, skill_group)
            pair, a skill group with two names, or mixed group levels.
        SkillcastConfigError: a shipped level other than 1 or 2.
    """
    if source is None:
        chosen = 2 if level is None else level
        if chosen not in SHIPPED_BRIDGES:
            raise SkillcastConfigError(
                f"level={level!r}: the shipped ESCO bridge has levels {sorted(SHIPPED_BRIDGES)}"
            )
        return _shipped(chosen)
    label = "skill bridge" if isinstance(source, pd.DataFrame) else f"skill bridge {source}"
    frame = checks.read_table(source, label, ("isco_code", "skill_group"), columns)
    return SkillBridge(frame, source=label, group_level=level)


@functools.cache
def _shipped(level: int) -> SkillBridge:
    name = SHIPPED_BRIDGES[level]
    path = resources.files("skillcast.skills").joinpath("data", name)
    with path.open("rb") as fh:
        frame = pd.read_csv(
            fh,
            compression="gzip",
            dtype={"isco_code": str, "skill_group_code": str},
            keep_default_na=False,
        )
    return SkillBridge(frame, source=f"shipped ESCO bridge {name}", group_level=level)


def _validate(table: pd.DataFrame, what: str, group_level: int | None) -> pd.DataFrame:
    frame = table.rename(columns=_ALIASES).reset_index(drop=True)
    checks.require_columns(frame, what, _REQUIRED, _HINT)
    out = pd.DataFrame(index=frame.index)
    out["isco_code"] = checks.code_column(frame, what, "isco_code")
    out["skill_group"] = checks.code_column(frame, what, "skill_group")
    checks.unit_groups(frame, out["isco_code"], what)
    if "skill_group_name" in frame.columns:
        names = frame["skill_group_name"].astype(object)
        blank = names.isna() | (names.astype(str).str.strip() == "")
        out["skill_group_name"] = names.where(~blank, out["skill_group"]).astype(str).str.strip()
    else:
        out["skill_group_name"] = out["skill_group"]
    out["skill_group_name"] = out["skill_group_name"].astype(object)
    out["group_level"] = _group_level(frame, what, group_level)
    remedy = "Shares are fractions of the unit group's occupations: numbers from 0 to 1."
    out["share_essential"] = checks.share_column(frame, what, "share_essential", remedy)
    if "share_optional" in frame.columns:
        out["share_optional"] = checks.share_column(frame, what, "share_optional", remedy)
    else:
        out["share_optional"] = np.nan
    out["n_occupations"] = _counts(frame, what)
    dup = out.duplicated(["isco_code", "skill_group"], keep=False).to_numpy()
    if dup.any():
        raise checks.fail(
            frame.assign(isco_code=out["isco_code"]), dup, what, "skill_group",
            "repeat an (isco_code, skill_group) pair",
            "Keep one row per pair (aggregate first: e.g. the largest share, or recount).",
        )  # fmt: skip
    named = out.drop_duplicates(["skill_group", "skill_group_name"])
    clash = named.duplicated("skill_group", keep=False).to_numpy()
    if clash.any():
        raise checks.fail(
            named, clash, what, "skill_group_name", "give one skill group two names",
            "Use one name per skill_group code.",
        )  # fmt: skip
    return out.loc[:, list(BRIDGE_COLUMNS)]


def _group_level(frame: pd.DataFrame, what: str, declared: int | None) -> pd.Series:
    n = len(frame)
    if "group_level" not in frame.columns:
        value = pd.NA if declared is None else int(declared)
        return pd.Series([value] * n, dtype="Int64")
    raw = pd.to_numeric(frame["group_level"], errors="coerce")
    bad = (raw.isna() | (raw % 1 != 0)).to_numpy()
    if bad.any():
        raise checks.fail(
            frame, bad, what, "group_level", "are not whole numbers",
            "Give the level of the skill groups in their hierarchy (ESCO: 1 or 2).",
        )  # fmt: skip
    levels = sorted({int(v) for v in raw})
    if len(levels) > 1 or (declared is not None and levels != [int(declared)]):
        raise SkillcastDataError(
            f"{what}, column 'group_level': the bridge mixes levels {levels}"
            + ("" if declared is None else f" (level={declared} was given)")
            + "; one bridge holds one level of skill groups: split it and load each part."
        )
    return raw.astype("Int64")


def _counts(frame: pd.DataFrame, what: str) -> pd.Series:
    if "n_occupations" not in frame.columns:
        return pd.Series([pd.NA] * len(frame), dtype="Int64")
    raw = pd.to_numeric(frame["n_occupations"], errors="coerce")
    bad = (raw.notna() & ((raw < 0) | (raw % 1 != 0))).to_numpy()
    if bad.any():
        raise checks.fail(
            frame, bad, what, "n_occupations", "are not whole numbers >= 0",
            "Give the number of occupations behind each unit group, or leave it blank.",
        )  # fmt: skip
    return raw.astype("Int64")
