"""Openings that need a skill group: :func:`skill_demand`.

The rule, for a planner: an occupation's openings times the share of its ESCO
occupations that list an essential skill in the group is the number of openings that
need the group. A cell's figure is the sum over its occupations.

For occupation ``o``, skill group ``g`` and a cell ``c`` (period x level x sector ...)::

    need[c, g] = sum over o in c of value[c, o] x share[o, g]

``share`` is the bridge's ``share_essential`` (``strength="essential"``) or
``share_optional`` (``"optional"``: occupations that list the group as optional, a
weaker, separate measure, never added to the essential one). Any additive column works
the same way (stock, expansion, replacement, openings), and each bound is multiplied by
the same share: shares are fixed numbers in [0, 1], so ``lower <= point <= upper`` before
means the same order after, and ``need[c, g] <= value[c]`` for every group.

Skill groups overlap: one opening counts in every group its occupation needs, so the
figures of different groups must never be added up (the sum over groups runs to many
times the openings).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.skills.bridge import SkillBridge, Strength, load_bridge
from skillcast.skills.cells import Cells, cell_matrices, no_rows
from skillcast.skills.profiles import Profiles, resolve

__all__ = ["bound_columns", "skill_demand"]

DEFAULT_BY = ("period", "level", "sector")
NOTE = (
    "Openings needing a skill group = openings x the share of the unit group's ESCO "
    "occupations with an {strength} skill in the group, summed over occupations; bounds "
    "are multiplied by the same shares. Groups overlap: do not add skill groups up."
)


def skill_demand(
    frame: pd.DataFrame,
    bridge: SkillBridge | None = None,
    *,
    value_columns: Sequence[str] = ("openings",),
    bounds: bool | Mapping[str, Sequence[str]] = True,
    by: Sequence[str] = DEFAULT_BY,
    occupation: str = "occupation",
    strength: Strength = "essential",
    drop_zero: bool = True,
) -> pd.DataFrame:
    """Openings (or stock, expansion, replacement) needing each skill group, per cell.

    Args:
        frame: long frame with ``occupation``, the ``by`` columns and the value columns,
            e.g. the frame of :func:`skillcast.demand.job_openings` or an ``openings.csv``.
        bridge: the occupation -> skill bridge; None loads the shipped ESCO level-2 one.
        value_columns: additive columns to turn into skill figures.
        bounds: True: carry each value's bound columns found in ``frame``
            (``openings_lower_80`` ... for ``openings``; ``lower_80`` ... for ``mean``);
            False: none; or a mapping ``{value: [bound columns]}``.
        by: the cell keys (any columns of ``frame``; include ``occupation`` for one row
            per occupation and skill group, with its profile).
        occupation: the occupation-code column (VSCO 2020 / ISCO-08 codes, any tier; see
            :mod:`skillcast.skills.profiles` for how each takes a profile).
        strength: ``"essential"`` or ``"optional"`` skills.
        drop_zero: leave out rows where no value needs the group (0), keeping missing ones.
            Cells whose occupations all lack a profile are left out either way.

    Returns:
        One row per cell and skill group (cells sorted, groups in bridge order): the
        ``by`` columns, ``skill_group``, ``skill_group_name``, for each value ``v``: ``v``
        (the part needing the group), its bound columns, ``v_base`` (``v`` over the
        cell's occupations with a profile: what the figure comes from, an upper limit
        for it); then ``borrowed_share`` (share of the first value's base whose profile
        is borrowed) and, when ``occupation`` is in ``by``, ``profile`` and
        ``profile_from``. A cell whose values are all missing gives NaN, not 0.
        ``attrs``: ``note`` (the rule), ``strength``, ``group_level``, ``left_out``
        (code -> the first value's total, for codes without a profile) and ``borrowed``
        (code -> ``"profile:from"``).

    Raises:
        SkillcastConfigError: a column named in ``by``, ``occupation``, ``value_columns``
            or ``bounds`` is absent, or an unknown ``strength``.
        SkillcastDataError: a value column holds text or infinities, or ``frame`` is empty.
    """
    bridge = load_bridge() if bridge is None else bridge
    no_rows(frame, "The frame")
    values = list(value_columns)
    if not values:
        raise SkillcastConfigError("value_columns is empty; name at least one column.")
    bound_map = _bounds(frame, values, bounds)
    columns = [c for v in values for c in (v, *bound_map[v])]
    shares = bridge.matrix(strength)
    cells = cell_matrices(frame, by, occupation, columns, "The frame")
    profiles = resolve(cells.codes, bridge.unit_groups)
    per_code = profiles.weights @ shares
    need: dict[str, np.ndarray] = {}  # column -> (cells x skill groups)
    base: dict[str, np.ndarray] = {}  # value -> per cell
    for v in values:
        for column in (v, *bound_map[v]):
            need[column] = cells.zeros(column) @ per_code
            need[column][cells.missing(column)] = np.nan
        base[v] = cells.zeros(v) @ profiles.has_profile.astype(float)
        base[v][cells.missing(v)] = np.nan
    # cells with no profiled occupation are left out (their values sit in attrs["left_out"])
    keep = np.repeat((cells.present & profiles.has_profile).any(axis=1)[:, None],
                     per_code.shape[1], axis=1)  # fmt: skip
    if drop_zero:
        keep &= ~np.all([need[v] == 0 for v in values], axis=0)
    row, col = np.nonzero(keep)
    groups = bridge.skill_groups
    out = cells.keys.iloc[row].reset_index(drop=True)
    out["skill_group"] = groups["skill_group"].to_numpy(dtype=object)[col]
    out["skill_group_name"] = groups["skill_group_name"].to_numpy(dtype=object)[col]
    for v in values:
        for column in (v, *bound_map[v]):
            out[column] = need[column][row, col]
        out[f"{v}_base"] = base[v][row]
    out["borrowed_share"] = _borrowed_share(cells, values[0], profiles)[row]
    if occupation in by:
        table = profiles.table.set_index("occupation")
        codes = out[occupation].map(lambda c: "" if pd.isna(c) else str(c))
        out["profile"] = table["profile"].reindex(codes).to_numpy(dtype=object)
        out["profile_from"] = table["profile_from"].reindex(codes).to_numpy(dtype=object)
    out.attrs = _attrs(cells, values[0], profiles, bridge, strength)
    return out


def bound_columns(frame: pd.DataFrame, value: str) -> list[str]:
    """The bound columns of ``value`` in ``frame``: ``<value>_lower_<L>`` and
    ``<value>_upper_<L>`` (for ``mean``, the Forecast frame's ``lower_<L>``/``upper_<L>``),
    levels ascending, each level's lower then upper."""
    prefix = "" if value == "mean" else f"{value}_"
    pattern = re.compile(rf"^{re.escape(prefix)}(lower|upper)_(\d+)$")
    levels = sorted({int(m.group(2)) for c in frame.columns if (m := pattern.match(str(c)))})
    return [
        f"{prefix}{side}_{lv}"
        for lv in levels
        for side in ("lower", "upper")
        if f"{prefix}{side}_{lv}" in frame.columns
    ]


def _bounds(
    frame: pd.DataFrame, values: list[str], bounds: bool | Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    if bounds is True:
        return {v: bound_columns(frame, v) for v in values}
    if bounds is False:
        return {v: [] for v in values}
    unknown = [k for k in bounds if k not in values]
    if unknown:
        raise SkillcastConfigError(
            f"bounds names {unknown}, which are not in value_columns={values}."
        )
    return {v: list(bounds.get(v, ())) for v in values}


def _borrowed_share(cells: Cells, value: str, profiles: Profiles) -> np.ndarray:
    zeros = cells.zeros(value)
    base = zeros @ profiles.has_profile.astype(float)
    lent = zeros @ profiles.borrowed.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(base > 0, lent / base, np.nan)


def _attrs(
    cells: Cells, value: str, profiles: Profiles, bridge: SkillBridge, strength: str
) -> dict[str, object]:
    totals = np.nansum(cells.zeros(value), axis=0)
    table = profiles.table.assign(total=totals)
    none = table.loc[table["profile"] == "none"]
    lent = table.loc[profiles.borrowed]
    left_out = dict(zip(none["occupation"].astype(str), none["total"].astype(float), strict=True))
    sources = lent["profile"] + ":" + lent["profile_from"]
    borrowed = dict(zip(lent["occupation"].astype(str), sources, strict=True))
    return {
        "note": NOTE.format(strength=strength),
        "strength": strength,
        "group_level": bridge.group_level,
        "left_out": left_out,
        "borrowed": borrowed,
    }
