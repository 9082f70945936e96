"""Totals of the groups a series belongs to, read at the forecast origin.

A series is one (sector, occupation, level) cell; its groups are all series sharing
its occupation group (the occupation code rolled up to ``occupation_tier``, major
group by default), all sharing its sector code, and all sharing its level code. Totals
are sums over the series of the panel given to ``transform``, at the origin only.

===================  ==============================================================  ========
name                 meaning                                                         reads
===================  ==============================================================  ========
``occ_group_total``  sum of the target over the series' occupation group             origin
``occ_group_share``  the series' target / ``occ_group_total``                        origin
``sector_total``     sum of the target over the series with the same sector code     origin
``level_total``      sum of the target over the series with the same level code      origin
===================  ==============================================================  ========

Missing values are left out of a sum; a group with no observed value at the origin has
a NaN total, and a share is NaN where the series' value is missing or the total is 0.
An occupation code the table cannot roll up (shorter than the tier, or unknown to a
table that is not prefix-coded) forms a group of its own.
"""

from __future__ import annotations

import copy
from typing import Self

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.features.base import FeatureBuilder, PanelArrays
from skillcast.features.static import MissingPolicy, resolve_roles, resolve_taxonomy
from skillcast.panel import Panel


def group_sums(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Totals of ``values`` (origins x series) per group: (origins x n_groups), NaN where
    no member is observed. ``group`` gives each series' group id in ``0 .. n_groups - 1``.
    """
    n_origins = values.shape[0]
    # one bincount over (origin, group) pairs covers every origin at once
    flat = (np.arange(n_origins)[:, None] * n_groups + group[None, :]).reshape(-1)
    observed = ~np.isnan(values).reshape(-1)
    size = n_origins * n_groups
    sums = np.bincount(flat, weights=np.where(observed, values.reshape(-1), 0.0), minlength=size)
    counts = np.bincount(flat, weights=observed, minlength=size)
    return np.where(counts > 0, sums, np.nan).reshape(n_origins, n_groups)


def group_totals(values: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """Per-series group totals of ``values`` (origins x series), NaN where no member is observed.

    ``group`` gives each series' group id in ``0 .. n_groups - 1``.
    """
    totals = group_sums(values, group, n_groups)
    return np.take_along_axis(totals, np.broadcast_to(group, values.shape), axis=1)


class HierarchyFeatures(FeatureBuilder):
    """Lagged totals of the series' occupation group, sector and level, and its share.

    Args:
        occupation, sector, level: key columns; ``None`` leaves that total out.
        occupation_tier: tier of the occupation table to group by (1 = major group).
        missing: ``"error"`` (default) raises if a named column is not a key of the
            panel; ``"skip"`` leaves its features out.

    The totals are in the target's units but measure a group, not the series: scaled by
    the series' own level they would turn into an inverse share, which
    ``occ_group_share`` already gives. So every column keeps the default scale
    ``"none"`` (:meth:`get_feature_scales_out`).
    """

    # set on the copies made by `restricted` only: (group ids of their series, the whole
    # panel's totals per role, periods between the whole panel's start and theirs)
    _whole: tuple[dict[str, np.ndarray], dict[str, np.ndarray], int] | None = None

    def __init__(
        self,
        occupation: str | None = "occupation",
        sector: str | None = "sector",
        level: str | None = "level",
        occupation_tier: int = 1,
        missing: MissingPolicy = "error",
    ) -> None:
        self.occupation = occupation
        self.sector = sector
        self.level = level
        self.occupation_tier = occupation_tier
        self.missing = missing

    def _fit(self, panel: Panel) -> None:
        roles = {"occupation": self.occupation, "sector": self.sector, "level": self.level}
        self.columns_ = resolve_roles("HierarchyFeatures", panel, roles, self.missing)
        self.occupation_taxonomy_ = (
            resolve_taxonomy(panel, self.columns_["occupation"], "occupation")
            if "occupation" in self.columns_
            else None
        )
        self.series_ = panel.series.copy()
        self.group_ids_ = self._group_ids(panel.series)  # raises on a tier the table lacks
        names: list[str] = []
        if "occupation" in self.columns_:
            names += ["occ_group_total", "occ_group_share"]
        if "sector" in self.columns_:
            names.append("sector_total")
        if "level" in self.columns_:
            names.append("level_total")
        self.feature_names_out_ = names

    def describe(self) -> str:
        """Which groups the totals sum over, e.g. ``"hierarchy totals: occupation group
        (tier 1 of the table 'occ', ESTAT-ISCO08: 3 groups); sector (2 codes); level (3
        codes)"``."""
        self._check_fitted()
        parts: list[str] = []
        for role in self.columns_:
            n_groups = self.group_ids_[role][1]
            tax = self.occupation_taxonomy_
            if role == "occupation" and tax is not None:
                parts.append(
                    f"occupation group (tier {int(self.occupation_tier)} of the table "
                    f"{tax.name!r}, {tax.version}: {n_groups} group(s))"
                )
            else:
                parts.append(f"{role} ({n_groups} code(s))")
        return "hierarchy totals: " + ("; ".join(parts) if parts else "none")

    def _group_ids(self, series: pd.DataFrame) -> dict[str, tuple[np.ndarray, int]]:
        """Role -> (group id of each series, number of groups)."""
        out: dict[str, tuple[np.ndarray, int]] = {}
        for role, column in self.columns_.items():
            codes = series[column].astype(object)
            if role == "occupation":
                up = self.occupation_taxonomy_.rollup(codes, int(self.occupation_tier))  # type: ignore[union-attr]
                codes = up.where(up.notna(), codes)
            ids, uniques = pd.factorize(codes, use_na_sentinel=False)
            out[role] = (ids.astype(np.int64), len(uniques))
        return out

    def whole_totals(self, panel: Panel) -> dict[str, np.ndarray]:
        """Per role, the target's totals of each group at every period of ``panel`` (the
        panel this builder was fitted on): (periods x groups), groups numbered as fitted.
        """
        self._check_fitted()
        if not panel.series.equals(self.series_):
            raise SkillcastConfigError(
                "HierarchyFeatures.whole_totals reads the panel the builder was fitted on."
            )
        values = PanelArrays(panel).values()
        return {role: group_sums(values, *ids) for role, ids in self.group_ids_.items()}

    def restricted(self, positions: np.ndarray, offset: int, totals: dict[str, np.ndarray]) -> Self:
        """A copy for a panel of some series of the fitted one: the series at ``positions``
        (ascending) of the fitted panel, starting ``offset`` periods after its first period.

        Its group totals come from ``totals`` (:meth:`whole_totals` of the fitted panel),
        not from the series given to ``transform``, so a panel cut into partitions of
        series gets, partition by partition, the features of the whole panel: this is how
        a pooled model builds its training rows on several machines. ``origins`` given
        to its ``transform`` are positions in the restricted panel.
        """
        self._check_fitted()
        part = copy.copy(self)
        ids = {role: group[np.asarray(positions)] for role, (group, _) in self.group_ids_.items()}
        part._whole = (ids, totals, int(offset))
        return part

    def _totals(
        self, arrays: PanelArrays, origins: np.ndarray, values: np.ndarray
    ) -> dict[str, np.ndarray]:
        """Per role, the total of each series' group at each origin (origins x series)."""
        if self._whole is not None:
            ids, totals, offset = self._whole
            return {role: totals[role][origins + offset][:, ids[role]] for role in ids}
        series = arrays.panel.series
        same = series.shape == self.series_.shape and series.equals(self.series_)
        groups = self.group_ids_ if same else self._group_ids(series)
        return {role: group_totals(values, *group) for role, group in groups.items()}

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        values = arrays.gather(None, origins).reshape(len(origins), arrays.n_series)
        totals = self._totals(arrays, origins, values)
        columns: list[np.ndarray] = []
        if "occupation" in totals:
            total = totals["occupation"]
            with np.errstate(invalid="ignore", divide="ignore"):
                share = np.where(total > 0, values / total, np.nan)
            columns += [total.reshape(-1), share.reshape(-1)]
        for role in ("sector", "level"):
            if role in totals:
                columns.append(totals[role].reshape(-1))
        return columns
