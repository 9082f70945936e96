"""Static attributes of each series, looked up in the occupation, sector and level tables.

The same values are repeated for every origin; no period is read.

=====================  =================================================================
name                   meaning
=====================  =================================================================
``occ_major``          occupation major group (tier 1, e.g. ``8``), integer-coded
``occ_submajor``       occupation sub-major group (tier 2, e.g. ``83``), integer-coded
``occ_skill_level``    ISCO skill level 1-4 of the occupation (the highest one where a
                       group spans several, e.g. managers 3-4 -> 4); codes missing from
                       the table take their nearest listed ancestor's; else NaN
``sector_section``     sector section (tier 1, e.g. ``H``), integer-coded
``cluster_<key>``      1.0 if the sector's division is in priority cluster ``<key>``
                       (``seaport_maritime``, ``logistics``, ``airport``, ...), else 0.0
``level_ordinal``      training level's ``ordinal`` (``L0`` no qualification = 0 ..
                       ``L4`` university and above = 4); NaN if unknown
=====================  =================================================================

Integer coding: the categories present in the panel given to ``fit`` are sorted and
numbered 0, 1, ...; a category not seen in ``fit`` (or a code the table does not know)
is -1 at ``transform``. A sector may belong to several priority clusters (``H52`` is
seaport_maritime, logistics and airport), so clusters are binary flags, one per cluster
of :func:`skillcast.taxonomy.clusters`, in that table's order.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from skillcast import taxonomy
from skillcast.errors import SkillcastConfigError
from skillcast.features.base import FeatureBuilder, PanelArrays
from skillcast.panel import Panel

MissingPolicy = Literal["error", "skip"]


def resolve_taxonomy(panel: Panel, column: str, role: str) -> taxonomy.Taxonomy:
    """The taxonomy for a key column: the one the panel's spec names, else the shipped one."""
    chosen = (panel.spec.taxonomies or {}).get(column)
    if isinstance(chosen, taxonomy.Taxonomy):
        return chosen
    if isinstance(chosen, str | PathLike) and Path(chosen).suffix.lower() == ".csv":
        return taxonomy.load_taxonomy(chosen)
    if isinstance(chosen, str):
        return taxonomy.builtin(chosen)
    return taxonomy.builtin(role)


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


class StaticFeatures(FeatureBuilder):
    """Occupation, sector and training-level attributes of each series.

    Args:
        occupation, sector, level: key columns holding VSCO occupation codes, VSIC sector
            codes and training-level codes; ``None`` leaves that family out. Each column
            is looked up in the taxonomy the panel's spec names for it, or the shipped one.
        missing: ``"error"`` (default) raises if a named column is not a key of the
            panel; ``"skip"`` leaves its features out.
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
        self.clusters_ = (
            list(dict.fromkeys(taxonomy.clusters()["cluster"])) if "sector" in self.columns_ else []
        )
        if "level" in self.columns_ and "ordinal" not in self.taxonomies_["level"].columns:
            raise SkillcastConfigError(
                "StaticFeatures: the training-level table has no 'ordinal' column; add one "
                "(0 = lowest level) or pass level=None."
            )
        labels = self._labels(panel.series)
        self.categories_ = {
            name: sorted(pd.unique(values.dropna())) for name, values in labels.items()
        }
        names: list[str] = []
        if "occupation" in self.columns_:
            names += ["occ_major", "occ_submajor", "occ_skill_level"]
        if "sector" in self.columns_:
            names += ["sector_section", *(f"cluster_{c}" for c in self.clusters_)]
        if "level" in self.columns_:
            names.append("level_ordinal")
        self.feature_names_out_ = names
        self.series_ = panel.series.copy()
        self.table_ = self.per_series(panel.series)

    def _labels(self, series: pd.DataFrame) -> dict[str, pd.Series]:
        """Category labels (text, NaN if unknown) of the integer-coded features."""
        out: dict[str, pd.Series] = {}
        if "occupation" in self.columns_:
            tax, codes = self.taxonomies_["occupation"], series[self.columns_["occupation"]]
            out["occ_major"] = _known_rollup(tax, codes, 1)
            out["occ_submajor"] = _known_rollup(tax, codes, 2)
        if "sector" in self.columns_:
            tax, codes = self.taxonomies_["sector"], series[self.columns_["sector"]]
            out["sector_section"] = _known_rollup(tax, codes, 1)
        return out

    def per_series(self, series: pd.DataFrame) -> np.ndarray:
        """The features of each series, (n_series x n_features), in output column order."""
        labels = self._labels(series)
        columns: list[np.ndarray] = []
        if "occupation" in self.columns_:
            codes = series[self.columns_["occupation"]]
            columns.append(encode(labels["occ_major"], self.categories_["occ_major"]))
            columns.append(encode(labels["occ_submajor"], self.categories_["occ_submajor"]))
            columns.append(_skill_level(self.taxonomies_["occupation"], codes))
        if "sector" in self.columns_:
            codes = series[self.columns_["sector"]]
            columns.append(encode(labels["sector_section"], self.categories_["sector_section"]))
            flags = taxonomy.cluster_indicators(codes).reindex(columns=self.clusters_)
            columns += list(flags.fillna(False).to_numpy(dtype=float).T)
        if "level" in self.columns_:
            codes = series[self.columns_["level"]]
            ordinal = self.taxonomies_["level"].attribute(codes, "ordinal")
            columns.append(pd.to_numeric(ordinal, errors="coerce").to_numpy(dtype=float))
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
