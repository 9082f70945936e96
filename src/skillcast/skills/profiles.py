"""Which skill profile each occupation code takes.

A bridge describes ISCO-08 unit groups. Occupation codes in a forecast are VSCO 2020
codes, which are ISCO-08 codes down to the 4-digit tier, so:

* ``esco``: a unit group with a profile in the bridge takes its own (a 5-digit national
  code takes its unit group's).
* ``minor_group``, ``sub_major_group``, ``major_group``: a unit group without a profile
  (ESCO has no occupation in ten of them, e.g. 3221 nursing associate professionals)
  borrows the mean profile of the profiled unit groups of its minor group (3 digits);
  when that group has none (2240 paramedical practitioners is alone in 224), of its
  sub-major group, then of its major group.
* ``coarser_group``: a code coarser than a unit group (a 2-digit group a panel uses)
  takes the mean profile of its profiled unit groups.
* ``none``: no ISCO-08 unit group stands behind the code (the VSCO-specific groups 10,
  15, 16, 17 and 36, codes the occupation table does not know, blanks): left out of skill
  figures, and counted.

Means are unweighted over unit groups: a bridge has no employment weights, and weighting
by the number of ESCO occupations would follow ESCO's editorial detail (90 occupations in
1324, one in many others) rather than the labour market. VSCO codes 11-14 carry their
ISCO-08 meaning, as in :func:`skillcast.taxonomy.occupations`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.taxonomy import as_codes, occupations
from skillcast.taxonomy.tables import Codes

__all__ = ["BORROWED", "PROFILES", "Profiles", "occupation_profiles", "resolve"]

#: Values of the ``profile`` column.
PROFILES: tuple[str, ...] = (
    "esco", "minor_group", "sub_major_group", "major_group", "coarser_group", "none",
)  # fmt: skip
#: Profiles that are not the code's own unit group's.
BORROWED: frozenset[str] = frozenset(PROFILES[1:5])
_CLIMB = {3: "minor_group", 2: "sub_major_group", 1: "major_group"}
UNIT_WIDTH = 4


@dataclass(frozen=True)
class Profiles:
    """The profile of each distinct code.

    Attributes:
        table: one row per code: ``occupation``, ``profile`` (one of :data:`PROFILES`),
            ``profile_from`` (the code whose profiled unit groups are averaged; empty for
            ``none``), ``n_unit_groups`` (how many), ``note`` (why a code has none).
        weights: (codes x profiled unit groups) float array; row ``i`` averages the unit
            groups code ``i`` takes its profile from (a row of zeros for ``none``).
    """

    table: pd.DataFrame
    weights: np.ndarray

    @property
    def has_profile(self) -> np.ndarray:
        """Boolean per code: some profile (own or borrowed)."""
        return (self.table["profile"] != "none").to_numpy(dtype=bool)

    @property
    def borrowed(self) -> np.ndarray:
        """Boolean per code: a profile other than its own unit group's."""
        return self.table["profile"].isin(BORROWED).to_numpy(dtype=bool)


def resolve(codes: Sequence[str], unit_groups: Sequence[str]) -> Profiles:
    """Profiles of ``codes`` (distinct text codes) against a bridge's profiled
    ``unit_groups`` (the weight columns follow their order)."""
    position = {u: i for i, u in enumerate(unit_groups)}
    members = _members(tuple(unit_groups))
    isco, tier, units = _occupation_table()
    weights = np.zeros((len(codes), len(unit_groups)))
    rows = []
    for i, code in enumerate(codes):
        profile, origin, note = "none", "", ""
        if not isinstance(code, str) or not code.strip():
            note = "blank code"
        elif len(code) >= UNIT_WIDTH and code[:UNIT_WIDTH] in units:
            unit = code[:UNIT_WIDTH]
            if unit in position:
                profile, origin = "esco", unit
            else:
                profile, origin = _climb(unit, members)
                note = "" if origin else "no profiled unit group in its major group"
        elif code in tier:
            if not isco.get(code, False):
                note = "VSCO-specific group with no ISCO-08 unit group"
            elif members.get(code):
                profile, origin = "coarser_group", code
            else:
                profile, origin = _climb(code, members)
                note = "" if origin else "no profiled unit group in its major group"
        else:
            note = _unknown_note(code, isco)
        chosen = members.get(origin, ()) if origin else ()
        if chosen:
            weights[i, [position[u] for u in chosen]] = 1.0 / len(chosen)
        else:
            profile, origin = "none", ""
        rows.append((code, profile, origin, len(chosen), note))
    columns = ["occupation", "profile", "profile_from", "n_unit_groups", "note"]
    table = pd.DataFrame(rows, columns=columns).astype({"occupation": object})
    return Profiles(table, weights)


def occupation_profiles(codes: Codes, unit_groups: Sequence[str]) -> pd.DataFrame:
    """The profile each distinct occupation code takes (see the module docstring).

    Args:
        codes: occupation codes (VSCO 2020 / ISCO-08), any tier.
        unit_groups: the unit groups a bridge profiles (``SkillBridge.unit_groups``).

    Returns:
        One row per distinct code, in first-seen order: ``occupation``, ``profile``,
        ``profile_from``, ``n_unit_groups``, ``note``.
    """
    distinct = list(dict.fromkeys(as_codes(codes).dropna()))
    return resolve(distinct, unit_groups).table


def _unknown_note(code: str, isco: dict[str, bool]) -> str:
    # a national 5-digit code under a VSCO-specific group is as unmapped as its group
    heads = [code[:w] for w in range(len(code) - 1, 0, -1) if code[:w] in isco]
    if heads and not isco[heads[0]]:
        return f"under {heads[0]}, a VSCO-specific group with no ISCO-08 unit group"
    return "not a code of the occupation table"


def _climb(code: str, members: dict[str, tuple[str, ...]]) -> tuple[str, str]:
    for width in (3, 2, 1):
        prefix = code[:width]
        if width < len(code) and members.get(prefix):
            return _CLIMB[width], prefix
    return "none", ""


@functools.cache
def _members(unit_groups: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every 1-, 2- and 3-digit prefix -> the profiled unit groups under it."""
    out: dict[str, list[str]] = {}
    for unit in unit_groups:
        for width in (1, 2, 3, UNIT_WIDTH):
            out.setdefault(unit[:width], []).append(unit)
    return {k: tuple(v) for k, v in out.items()}


@functools.cache
def _occupation_table() -> tuple[dict[str, bool], dict[str, int], frozenset[str]]:
    """Codes of the shipped occupation table: is each an ISCO-08 group, its tier, and the
    unit groups."""
    table = occupations().table
    isco = dict(zip(table["code"], table["isco08"].fillna(0).astype(int).eq(1), strict=True))
    tier = dict(zip(table["code"], table["tier"].astype(int), strict=True))
    units = frozenset(table.loc[table["tier"] == UNIT_WIDTH, "code"])
    return isco, tier, units
