"""Static attributes of each series, looked up in the occupation, sector and level tables.

The same values are repeated for every origin; no period is read. Each family uses the
attributes its table has, the shipped tables or a user's own (``PanelSpec.taxonomies``):

=====================  =================================================================
name                   meaning
=====================  =================================================================
``occ_major``          occupation's ancestor at the table's top tier (e.g. ``8``),
                       integer-coded
``occ_submajor``       its ancestor at the table's second tier (e.g. ``83``),
                       integer-coded; left out when the table has one tier
``occ_skill_level``    ISCO skill level 1-4 of the occupation (the highest one where a
                       group spans several, e.g. managers 3-4 -> 4); codes missing from
                       the table take their nearest listed ancestor's; else NaN. Only
                       when the table has a ``skill_level`` (or ``skill_level_max``)
                       column
``occ_cluster_<key>``  1.0 if the occupation (or an ancestor) is in cluster ``<key>`` of
                       the occupation table's own cluster columns (see below), else 0.0
``sector_section``     sector's ancestor at the table's top tier (e.g. ``H``),
                       integer-coded
``cluster_<key>``      1.0 if the sector is in priority cluster ``<key>``, else 0.0: the
                       sector table's own cluster columns when it has them, else the
                       shipped clusters (``seaport_maritime``, ``logistics``, ...) for a
                       VSIC 2018 table; no cluster flags for another classification
``level_ordinal``      training level's ``ordinal`` (``L0`` no qualification = 0 ..
                       ``L4`` university and above = 4); NaN if unknown. Only when the
                       level table has an ``ordinal`` column
=====================  =================================================================

Cluster columns of a user's table: ``cluster`` (one key, or several joined by ``;``),
and/or ``cluster_<key>`` columns holding 1 (member) or 0 / blank. A code is in every
cluster marked on its own row or on any ancestor's.

Integer coding: the categories present in the panel given to ``fit`` are sorted and
numbered 0, 1, ...; a category not seen in ``fit`` (or a code the table does not know)
is -1 at ``transform``. A sector may belong to several priority clusters (``H52`` is
seaport_maritime, logistics and airport), so clusters are binary flags, one per cluster
in the order of the clusters table (:func:`skillcast.taxonomy.clusters`, or the user's
table).

What was used is said by :meth:`StaticFeatures.describe` (logged at INFO by ``fit`` and
by the apps' training run), e.g. ``static features: occupation (table 'occupations_user',
EUROSTAT-ISCO08): parent chain (2 tiers: 1, 2); skill level: absent in the table, not
used; clusters: absent ...``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from skillcast import taxonomy
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.features.base import FeatureBuilder, PanelArrays
from skillcast.panel import Panel

log = logging.getLogger(__name__)

MissingPolicy = Literal["error", "skip"]


def resolve_taxonomy(panel: Panel, column: str, role: str) -> taxonomy.Taxonomy:
    """The taxonomy for a key column: the one the panel's spec names, else the shipped one."""
    return taxonomy.for_column(panel.spec.taxonomies, column, role)


def resolve_roles(
    builder: str, panel: Panel, roles: dict[str, str | None], missing: str
) -> dict[str, str]:
    """Role (occupation, sector, level) -> key column, for the named columns the panel has.

    Raises :class:`SkillcastConfigError` for a named column the panel lacks unless
    ``missing == "skip"``.
    """
    if missing not in ("error", "skip"):
        raise SkillcastConfigError(f"{builder}.missing must be 'error' or 'skip', got {missing!r}.")
    keys = list(panel.spec.keys)
    found: dict[str, str] = {}
    for role, column in roles.items():
        if column is None:
            continue
        if column in keys:
            found[role] = column
        elif missing == "error":
            raise SkillcastConfigError(
                f"{builder}: the panel has no key column {column!r} for the {role} "
                f"(its keys are {keys}). Name the right column with {role}=..., pass "
                f"{role}=None to leave the {role} out, or missing='skip'."
            )
    return found


def encode(labels: pd.Series, categories: list[str]) -> np.ndarray:
    """Integer code of each label in ``categories`` (float64; -1 for unseen or missing)."""
    codes = pd.Index(categories, dtype=object).get_indexer(labels.to_numpy(dtype=object))
    return codes.astype(float)


def _known_rollup(tax: taxonomy.Taxonomy, codes: pd.Series, tier: int) -> pd.Series:
    """Ancestor at ``tier`` if the table lists it, else NaN (made-up codes do not count)."""
    if tier not in tax.tiers:
        return pd.Series(np.nan, index=codes.index, dtype=object)
    up = tax.rollup(codes, tier)
    return up.where(tax.is_known(up))


def _highest_level(value: object) -> float:
    """``4`` from ``"3;4"`` or ``4``; NaN for a blank or unreadable cell."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    try:
        return float(max(int(part) for part in str(value).split(";")))
    except ValueError:
        return np.nan


def _skill_level(tax: taxonomy.Taxonomy, codes: pd.Series) -> np.ndarray:
    """Highest ISCO skill level of each code or, if unlisted, of its nearest listed ancestor."""
    column = "skill_level_max" if "skill_level_max" in tax.columns else "skill_level"
    out = np.full(len(codes), np.nan)
    # deepest tier first, so a listed code wins over its ancestors
    for tier in (None, *sorted(tax.tiers, reverse=True)):
        todo = np.isnan(out)
        if not todo.any():
            break
        looked_up = codes if tier is None else _known_rollup(tax, codes, tier)
        cells = tax.attribute(looked_up, column).to_numpy(dtype=object)
        inverse, uniques = pd.factorize(cells, use_na_sentinel=False)
        values = np.array([_highest_level(u) for u in uniques] + [np.nan])[inverse]
        out[todo] = values[todo]
    return out


#: Names of the parent-chain features, top tier first (the sector's top tier only).
_TIER_NAMES: dict[str, tuple[str, ...]] = {
    "occupation": ("occ_major", "occ_submajor"),
    "sector": ("sector_section",),
}
#: Prefix of the cluster flags of each family.
_CLUSTER_PREFIX: dict[str, str] = {"occupation": "occ_cluster_", "sector": "cluster_"}
_CLUSTER_COLUMN = "cluster"


@dataclass(frozen=True)
class _Plan:
    """What one family reads from its table (a function of the table alone, so a model
    saved before these choices existed transforms as it did)."""

    tiers: tuple[int, ...] = ()  # parent-chain tiers, top first
    skill: str | None = None  # column holding the ISCO skill level
    clusters: tuple[str, ...] = ()  # cluster keys, in the table's order
    cluster_source: Literal["table", "shipped", ""] = ""
    ordinal: bool = False


def _is_shipped(role: str, tax: taxonomy.Taxonomy) -> bool:
    """Whether ``tax`` is the shipped table of ``role`` (by name and version: a loaded
    model holds a copy, not the cached object)."""
    return tax.name == role and tax.version == taxonomy.builtin(role).version


def _table_cluster_keys(tax: taxonomy.Taxonomy) -> tuple[str, ...]:
    """Cluster keys of a table's own cluster columns, in order of first appearance."""
    keys: list[str] = []
    if _CLUSTER_COLUMN in tax.columns:
        for cell in tax.table[_CLUSTER_COLUMN].dropna():
            keys += [part.strip() for part in str(cell).split(";") if part.strip()]
    prefix = f"{_CLUSTER_COLUMN}_"
    keys += [c[len(prefix) :] for c in tax.columns if c.startswith(prefix) and c != prefix]
    return tuple(dict.fromkeys(keys))


def _plan(role: str, tax: taxonomy.Taxonomy) -> _Plan:
    """The attributes of ``tax`` the features of ``role`` use."""
    if role == "level":
        return _Plan(ordinal="ordinal" in tax.columns)
    tiers = tax.tiers[: len(_TIER_NAMES[role])]
    own = _table_cluster_keys(tax)
    source: Literal["table", "shipped", ""] = "table" if own else ""
    if role == "sector" and not own and tax.version == taxonomy.sectors().version:
        # the shipped priority clusters are lists of VSIC 2018 divisions: they mean
        # nothing for the codes of another classification
        own, source = tuple(dict.fromkeys(taxonomy.clusters()["cluster"])), "shipped"
    if role == "sector":
        return _Plan(tiers=tiers, clusters=own, cluster_source=source)
    skill = next((c for c in ("skill_level_max", "skill_level") if c in tax.columns), None)
    return _Plan(tiers=tiers, skill=skill, clusters=own, cluster_source=source)


def _examples(values: pd.Series, limit: int = 5) -> str:
    shown = list(dict.fromkeys(str(v) for v in values))
    return ", ".join(repr(v) for v in shown[:limit]) + (", ..." if len(shown) > limit else "")


def _check_table(role: str, tax: taxonomy.Taxonomy, plan: _Plan) -> None:
    """Refuse attribute columns whose cells the features cannot read (a silent NaN would
    hide a typo in the user's table)."""
    table = tax.table
    if plan.skill is not None:
        cells = table[plan.skill].dropna()
        levels = cells.map(_highest_level)
        bad = cells[levels.isna() | ~levels.between(1, 4)]
        if not bad.empty:
            raise SkillcastDataError(
                f"{role} table {tax.name!r} ({tax.version}): column {plan.skill!r} has "
                f"{len(bad)} value(s) that are not ISCO skill levels 1-4, e.g. "
                f"[{_examples(bad)}]; write one level (2) or several joined by ';' (3;4), "
                "or leave the cell empty."
            )
    if plan.cluster_source != "table":
        return
    for key in plan.clusters:
        column = f"{_CLUSTER_COLUMN}_{key}"
        if column not in table.columns:
            continue
        cells = table[column].dropna()
        bad = cells[~cells.astype(str).isin(["0", "1"])]
        if not bad.empty:
            raise SkillcastDataError(
                f"{role} table {tax.name!r} ({tax.version}): column {column!r} has "
                f"{len(bad)} value(s) other than 1 (member) and 0, e.g. [{_examples(bad)}]; "
                "write 1 for the codes in the cluster and 0 or nothing for the others."
            )


def _table_cluster_flags(
    tax: taxonomy.Taxonomy, codes: pd.Series, keys: tuple[str, ...]
) -> np.ndarray:
    """(n_codes x n_keys) 0/1: is the code, or one of its ancestors, marked in cluster k?"""
    position = {key: j for j, key in enumerate(keys)}
    out = np.zeros((len(codes), len(keys)), dtype=bool)
    looked_up = [taxonomy.as_codes(codes), *(_known_rollup(tax, codes, t) for t in tax.tiers)]
    for at_tier in looked_up:
        ids, uniques = pd.factorize(at_tier, use_na_sentinel=True)
        member = np.zeros((len(uniques) + 1, len(keys)), dtype=bool)  # last row: no code
        if _CLUSTER_COLUMN in tax.columns:
            for i, cell in enumerate(tax.attribute(uniques, _CLUSTER_COLUMN)):
                if pd.notna(cell):
                    for part in str(cell).split(";"):
                        if (j := position.get(part.strip())) is not None:
                            member[i, j] = True
        for key, j in position.items():
            if f"{_CLUSTER_COLUMN}_{key}" in tax.columns:
                flags = tax.attribute(uniques, f"{_CLUSTER_COLUMN}_{key}").astype(str).eq("1")
                member[:-1, j] |= flags.to_numpy(dtype=bool)
        out |= member[ids]
    return out.astype(float)


def _describe_role(role: str, tax: taxonomy.Taxonomy, plan: _Plan) -> str:
    """One family's part of :meth:`StaticFeatures.describe`."""
    shipped = _is_shipped(role, tax)
    whose = "the table" if shipped else "the user's table"
    parts: list[str] = []
    if role != "level":
        n = len(plan.tiers)
        parts.append(
            f"parent chain ({n} tier{'s' if n != 1 else ''}: {', '.join(map(str, plan.tiers))})"
        )
    if role == "occupation":
        parts.append(
            f"skill level: column {plan.skill!r}"
            if plan.skill
            else f"skill level: absent in {whose}, not used"
        )
    if role != "level":
        if plan.cluster_source == "table":
            keys = ", ".join(plan.clusters)
            parts.append(f"clusters: {len(plan.clusters)} from {whose} ({keys})")
        elif plan.cluster_source == "shipped":
            parts.append(f"clusters: the {len(plan.clusters)} shipped priority clusters")
        else:
            parts.append(f"clusters: absent in {whose}, not used")
    if role == "level":
        parts.append(
            "ordinal: column 'ordinal'" if plan.ordinal else f"ordinal: absent in {whose}, not used"
        )
    table = f"shipped table {tax.version}" if shipped else f"table {tax.name!r}, {tax.version}"
    return f"{role} ({table}): {'; '.join(parts)}"


class StaticFeatures(FeatureBuilder):
    """Occupation, sector and training-level attributes of each series.

    Args:
        occupation, sector, level: key columns holding occupation, sector and
            training-level codes; ``None`` leaves that family out. Each column is looked
            up in the taxonomy the panel's spec names for it (a user's own table works:
            its parent chain is always used, skill levels, clusters and the level
            ordinal when its columns are there), or the shipped one.
        missing: ``"error"`` (default) raises if a named column is not a key of the
            panel; ``"skip"`` leaves its features out.

    :meth:`describe` says which attributes were used.
    """

    def __init__(
        self,
        occupation: str | None = "occupation",
        sector: str | None = "sector",
        level: str | None = "level",
        missing: MissingPolicy = "error",
    ) -> None:
        self.occupation = occupation
        self.sector = sector
        self.level = level
        self.missing = missing

    def _fit(self, panel: Panel) -> None:
        roles = {"occupation": self.occupation, "sector": self.sector, "level": self.level}
        self.columns_ = resolve_roles("StaticFeatures", panel, roles, self.missing)
        self.taxonomies_ = {
            role: resolve_taxonomy(panel, column, role) for role, column in self.columns_.items()
        }
        plans = self._plans()
        for role, plan in plans.items():
            _check_table(role, self.taxonomies_[role], plan)
        self.clusters_ = list(plans["sector"].clusters) if "sector" in plans else []
        labels = self._labels(panel.series, plans)
        self.categories_ = {
            name: sorted(pd.unique(values.dropna())) for name, values in labels.items()
        }
        names: list[str] = []
        for role, plan in plans.items():
            if role == "level":
                names += ["level_ordinal"] if plan.ordinal else []
                continue
            names += list(_TIER_NAMES[role][: len(plan.tiers)])
            names += ["occ_skill_level"] if plan.skill else []
            names += [f"{_CLUSTER_PREFIX[role]}{key}" for key in plan.clusters]
        self.feature_names_out_ = names
        self.series_ = panel.series.copy()
        self.table_ = self.per_series(panel.series)
        log.debug(self.describe())

    def _plans(self) -> dict[str, _Plan]:
        """Role -> what its features read, in output order (occupation, sector, level)."""
        return {
            role: _plan(role, self.taxonomies_[role])
            for role in ("occupation", "sector", "level")
            if role in self.columns_
        }

    def describe(self) -> str:
        """Which table each family read and which of its attributes became features, e.g.
        ``"static features: occupation (table 'occ', ESTAT-ISCO08): parent chain (2 tiers:
        1, 2); skill level: absent in the user's table, not used; clusters: absent in the
        user's table, not used"`` (families separated by `` | ``)."""
        self._check_fitted()
        plans = self._plans()
        if not plans:
            return "static features: none (the panel has no occupation, sector or level key)"
        parts = [_describe_role(role, self.taxonomies_[role], p) for role, p in plans.items()]
        return "static features: " + " | ".join(parts)

    def _labels(self, series: pd.DataFrame, plans: dict[str, _Plan]) -> dict[str, pd.Series]:
        """Category labels (text, NaN if unknown) of the integer-coded features."""
        out: dict[str, pd.Series] = {}
        for role, plan in plans.items():
            if role == "level":
                continue
            tax, codes = self.taxonomies_[role], series[self.columns_[role]]
            for name, tier in zip(_TIER_NAMES[role], plan.tiers, strict=False):
                out[name] = _known_rollup(tax, codes, tier)
        return out

    def per_series(self, series: pd.DataFrame) -> np.ndarray:
        """The features of each series, (n_series x n_features), in output column order."""
        plans = self._plans()
        labels = self._labels(series, plans)
        columns: list[np.ndarray] = []
        for role, plan in plans.items():
            tax, codes = self.taxonomies_[role], series[self.columns_[role]]
            if role == "level":
                if plan.ordinal:
                    ordinal = tax.attribute(codes, "ordinal")
                    columns.append(pd.to_numeric(ordinal, errors="coerce").to_numpy(dtype=float))
                continue
            for name in _TIER_NAMES[role][: len(plan.tiers)]:
                columns.append(encode(labels[name], self.categories_[name]))
            if plan.skill:
                columns.append(_skill_level(tax, codes))
            if plan.cluster_source == "shipped":
                flags = taxonomy.cluster_indicators(codes).reindex(columns=list(plan.clusters))
                columns += list(flags.fillna(False).to_numpy(dtype=float).T)
            elif plan.cluster_source == "table":
                columns += list(_table_cluster_flags(tax, codes, plan.clusters).T)
        if not columns:
            return np.empty((len(series), 0))
        return np.column_stack(columns)

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        series = arrays.panel.series
        same = series.shape == self.series_.shape and series.equals(self.series_)
        table = self.table_ if same else self.per_series(series)
        return [np.tile(table[:, j], len(origins)) for j in range(table.shape[1])]
