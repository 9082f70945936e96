"""Digital, green and transversal intensity of expected openings: :func:`skill_intensity`.

For a cell (period x level x cluster ...), each measure is the openings-weighted mean of
the occupations' shares::

    digital_skill_share[c] = sum over o of openings[c, o] x digital[o]
                             / sum over o with a profile of openings[c, o]

where ``digital[o]`` is the share of the unit group's essential ESCO skills that are in
the digital skills collection (:mod:`skillcast.skills.flags`). It reads "of the
essential skills the cell's openings call for, this share is digital". It is not the
share of openings that need at least one digital skill, which ESCO's aggregates do not
give: for a head count use :func:`skillcast.skills.skill_demand` with the level-1
bridge and its groups ``S5`` (working with computers) or ``06`` (ICT knowledge).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from skillcast.skills.cells import cell_matrices, no_rows
from skillcast.skills.demand import DEFAULT_BY
from skillcast.skills.flags import MEASURES, SkillFlags, load_flags
from skillcast.skills.profiles import resolve

__all__ = ["INTENSITY_COLUMNS", "skill_intensity"]

#: The measure columns of :func:`skill_intensity`, after the value and its profiled part.
INTENSITY_COLUMNS: tuple[str, ...] = (
    *(f"{m}_skill_share" for m in MEASURES), "essential_skills_mean", "borrowed_share",
)  # fmt: skip
NOTE = (
    "digital_skill_share: the {value}-weighted mean, over the cell's occupations with a "
    "profile, of the share of the unit group's essential ESCO skills that are in the digital "
    "skills collection; green likewise; transversal: skills in the skills pillar's "
    "transversal branch. Shares of skills, not of {value}."
)


def skill_intensity(
    frame: pd.DataFrame,
    flags: SkillFlags | None = None,
    *,
    value: str = "openings",
    by: Sequence[str] = DEFAULT_BY,
    occupation: str = "occupation",
) -> pd.DataFrame:
    """Digital / green / transversal shares of the skills behind ``value``, per cell.

    Args:
        frame: long frame with ``occupation``, the ``by`` columns and ``value``.
        flags: per-unit-group shares; None loads the shipped ESCO flags.
        value: the weighting column (``openings``; ``stock`` for the employed).
        by: the cell keys.
        occupation: the occupation-code column; codes take profiles as in
            :mod:`skillcast.skills.profiles` (borrowed ones flagged by ``borrowed_share``).

    Returns:
        One row per cell (sorted): the ``by`` columns, ``value`` (the cell's total),
        ``<value>_profiled`` (the part with a profile: the weights), ``digital_skill_share``,
        ``green_skill_share``, ``transversal_skill_share`` (fractions 0..1),
        ``essential_skills_mean`` (the weighted mean number of essential skills per ESCO
        occupation: how long the skill lists are, for reading the shares) and
        ``borrowed_share`` (share of the weights whose profile is borrowed). NaN where
        the cell has no weight. ``attrs["note"]`` states the rule.

    Raises:
        SkillcastConfigError: a named column is absent.
        SkillcastDataError: ``value`` holds text or infinities, or ``frame`` is empty.
    """
    flags = load_flags() if flags is None else flags
    no_rows(frame, "The frame")
    cells = cell_matrices(frame, by, occupation, [value], "The frame")
    profiles = resolve(cells.codes, flags.unit_groups)
    per_code = profiles.weights @ flags.matrix()
    weights = cells.zeros(value)
    missing = cells.missing(value)
    base = weights @ profiles.has_profile.astype(float)
    lent = weights @ profiles.borrowed.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(base[:, None] > 0, (weights @ per_code) / base[:, None], np.nan)
        borrowed = np.where(base > 0, lent / base, np.nan)
    out = cells.keys.copy()
    out[value] = np.where(missing, np.nan, weights.sum(axis=1))
    out[f"{value}_profiled"] = np.where(missing, np.nan, base)
    for i, column in enumerate(INTENSITY_COLUMNS[:-1]):
        out[column] = means[:, i]
    out["borrowed_share"] = borrowed
    out.attrs = {"note": NOTE.format(value=value), "value": value}
    return out
