"""The summing structure of a grouped hierarchy: :class:`SummingStructure`.

Series keyed by occupation x training level x sector x region are *cross-classified*:
every subset of the keys defines a way to add them up (by sector, by sector x level, ...),
and the occupation codes add a tree of their own (``"8343"`` rolls up to the major group
``"8"``). :func:`build_structure` turns the bottom series (one row per series, the key
columns) into the summing matrix ``S`` (n_total x n_bottom, sparse) and a description of
every node.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from skillcast.errors import SkillcastConfigError, SkillcastDataError

if TYPE_CHECKING:
    from skillcast.panel import Panel
    from skillcast.taxonomy import Taxonomy

__all__ = ["AGGREGATED", "SummingStructure", "build_structure", "tier_column"]

#: Key value of a node for a key that is added up over (the node covers all its values).
AGGREGATED = "*"

#: ISCO names of the occupation tiers; a tier's derived column is ``<occupation>_<name>``.
TIER_NAMES = {1: "major", 2: "submajor", 3: "minor", 4: "unit"}

_RESERVED = ("node", "aggregation")


def tier_column(occupation: str, tier: int) -> str:
    """Name of the derived column holding occupation codes rolled up to ``tier``."""
    return f"{occupation}_{TIER_NAMES.get(tier, f'tier{tier}')}"


@dataclass(frozen=True, eq=False)
class SummingStructure:
    """The summing matrix of a grouped hierarchy and a description of its nodes.

    Nodes are ordered aggregates first (``total``, then each aggregation in the order
    requested) and the ``n_bottom`` bottom series last, in the order of the frame the
    structure was built from, so ``S = [A; I]``.

    Attributes:
        S: CSR matrix (n_total x n_bottom) of 0/1: ``S[i, j] = 1`` when bottom series
            ``j`` adds into node ``i``.
        nodes: one row per node: ``node`` (a readable unique id, e.g.
            ``"sector=C|occupation_major=8"``), ``aggregation`` (``"total"``, ``"sector"``,
            ``"occupation_major"``, ``"sector x occupation_major"``, ..., ``"bottom"``) and
            the key columns, holding the node's code (an occupation rolled up to a tier
            holds the tier's code, e.g. ``"8"``) or :data:`AGGREGATED` (``"*"``).
        keys: the key columns of the bottom series.
    """

    S: sp.csr_matrix
    nodes: pd.DataFrame
    keys: tuple[str, ...]

    @property
    def n_total(self) -> int:
        return self.S.shape[0]

    @property
    def n_bottom(self) -> int:
        return self.S.shape[1]

    @property
    def n_aggregate(self) -> int:
        return self.n_total - self.n_bottom

    @cached_property
    def A(self) -> sp.csr_matrix:
        """The aggregate rows of ``S`` (n_aggregate x n_bottom)."""
        return self.S[: self.n_aggregate]

    @property
    def bottom(self) -> pd.DataFrame:
        """The bottom series' key columns, in bottom order."""
        return self.nodes.iloc[self.n_aggregate :][list(self.keys)].reset_index(drop=True)

    @property
    def aggregations(self) -> tuple[str, ...]:
        """Names of the aggregation levels, in node order (``"bottom"`` last)."""
        return tuple(pd.unique(self.nodes["aggregation"]))

    def tags(self) -> dict[str, np.ndarray]:
        """Aggregation level -> positions of its nodes."""
        codes, names = pd.factorize(self.nodes["aggregation"])
        return {str(n): np.flatnonzero(codes == i) for i, n in enumerate(names)}

    def aggregate(self, bottom: np.ndarray) -> np.ndarray:
        """Add bottom values up to every node: ``S @ bottom``.

        Args:
            bottom: (n_bottom, ...) values in bottom order (any trailing shape).

        Returns:
            (n_total, ...) array.
        """
        values = np.asarray(bottom, dtype=float)
        if values.shape[:1] != (self.n_bottom,):
            raise SkillcastConfigError(
                f"bottom values have {values.shape[:1]} rows; the structure has "
                f"{self.n_bottom} bottom series"
            )
        flat = values.reshape(self.n_bottom, -1)
        return np.asarray(self.S @ flat).reshape((self.n_total, *values.shape[1:]))

    def coherence_error(self, values: np.ndarray) -> float:
        """Largest absolute gap between node values and the sums of their bottom values.

        Args:
            values: (n_total, ...) values of every node.
        """
        values = np.asarray(values, dtype=float).reshape(self.n_total, -1)
        if values.size == 0:
            return 0.0
        return float(np.max(np.abs(values - self.S @ values[self.n_aggregate :])))

    def locate(self, frame: pd.DataFrame) -> np.ndarray:
        """Node position of every row of ``frame`` (-1 where no node matches).

        Rows are matched on ``node`` when the frame has that column, else on
        ``aggregation`` and the key columns, else (a frame of bottom series) on the keys.
        """
        if "node" in frame.columns:
            return pd.Index(self.nodes["node"]).get_indexer(frame["node"].astype(str))
        missing = [k for k in self.keys if k not in frame.columns]
        if missing:
            raise SkillcastDataError(
                f"the frame lacks key column(s) {missing}; it has {list(frame.columns)}"
            )
        if "aggregation" in frame.columns:
            cols = ["aggregation", *self.keys]
            return _index(self.nodes, cols).get_indexer(_index(frame, cols))
        pos = _index(self.bottom, list(self.keys)).get_indexer(_index(frame, list(self.keys)))
        return np.where(pos >= 0, pos + self.n_aggregate, -1)

    def bottom_positions(self, frame: pd.DataFrame) -> np.ndarray:
        """Position among the bottom series (0..n_bottom-1) of each row of a key frame."""
        pos = self.locate(frame.loc[:, list(self.keys)])
        missing = pos < 0
        if missing.any():
            examples = frame.loc[missing, list(self.keys)].head(5).to_dict("records")
            raise SkillcastDataError(
                f"{int(missing.sum())} series are not bottom series of the structure, e.g. "
                f"{examples}; build the structure from the same panel"
            )
        return pos - self.n_aggregate


def _index(frame: pd.DataFrame, cols: list[str]) -> pd.MultiIndex:
    # object dtype on both sides: pandas' str and object levels then compare by value
    return pd.MultiIndex.from_frame(frame.loc[:, cols].astype(object))


def build_structure(
    series: pd.DataFrame | Panel,
    keys: Sequence[str] | None = None,
    *,
    occupation: str | None = "occupation",
    occupation_tiers: Sequence[int] = (1,),
    cross: Sequence[Sequence[str]] = (),
    aggregations: Sequence[Sequence[str]] | None = None,
    taxonomy: Taxonomy | None = None,
) -> SummingStructure:
    """Build the summing structure of the bottom series.

    An aggregation is a tuple of grouping columns: key columns, or an occupation tier's
    derived column (``tier_column("occupation", 1) == "occupation_major"``); ``()`` is the
    grand total. The bottom level is always included, last.

    Args:
        series: one row per bottom series with the key columns (a panel's ``series``), or a
            :class:`~skillcast.panel.Panel`. Row order is the bottom order.
        keys: key columns (default: the panel's keys, or every column of ``series``).
        occupation: the key column holding occupation codes (``None``: no occupation tree;
            ignored when it is not a key).
        occupation_tiers: tiers of the occupation tree to add as aggregations of their own
            in the default list (1 = major groups, 2 = sub-major groups, ...).
        cross: extra aggregations appended to the default list, e.g.
            ``[("sector", "occupation_major"), ("sector", "level")]``.
        aggregations: the full list of aggregations, replacing the default (total, each
            key alone, each occupation tier alone) and ``cross``.
        taxonomy: the occupation tree (default: the shipped VSCO table); its
            :meth:`~skillcast.taxonomy.Taxonomy.rollup` maps codes to tiers.

    Returns:
        A :class:`SummingStructure`.

    Raises:
        SkillcastConfigError: unknown grouping column or reserved key name.
        SkillcastDataError: missing or duplicated keys, or codes that do not roll up.
    """
    if not isinstance(series, pd.DataFrame):
        keys = keys or series.spec.keys
        series = series.series
    keys = _names(keys or series.columns)
    frame = _check_series(series, keys)
    occ = occupation if occupation in keys else None
    tiers = tuple(int(t) for t in occupation_tiers) if occ else ()
    if aggregations is None:
        specs: list[tuple[str, ...]] = [(), *((k,) for k in keys)]
        specs += [(tier_column(occ, t),) for t in tiers] if occ else []
        specs += [_names(c) for c in cross]
    else:
        specs = [_names(c) for c in aggregations]
    derived = _derived_columns(frame, keys, occ, specs, taxonomy)
    frame = pd.concat([frame, derived], axis=1)
    tier_of = derived.attrs.get("tiers", {})

    n_bottom = len(frame)
    rows, descs, seen, offset = [], [], set(), 0
    for spec in specs:  # a handful of aggregation levels, each grouped vectorised
        cols = _normalise(spec, keys, occ, tier_of)
        if cols is None or cols in seen:
            continue
        seen.add(cols)
        gid, first = _groups(frame, cols)
        rows.append(offset + gid)
        descs.append(_describe(frame.iloc[first], cols, keys, occ, derived.columns))
        offset += len(first)
    rows.append(offset + np.arange(n_bottom))
    descs.append(_describe(frame, tuple(keys), keys, occ, derived.columns))
    row = np.concatenate(rows)
    col = np.tile(np.arange(n_bottom), len(rows))
    data = np.ones(len(row))
    S = sp.csr_matrix((data, (row, col)), shape=(offset + n_bottom, n_bottom))
    nodes = pd.concat(descs, ignore_index=True)
    return SummingStructure(S=S, nodes=nodes, keys=keys)


def _names(columns: str | Sequence[str]) -> tuple[str, ...]:
    return (columns,) if isinstance(columns, str) else tuple(columns)


def _check_series(series: pd.DataFrame, keys: tuple[str, ...]) -> pd.DataFrame:
    reserved = [k for k in keys if k in _RESERVED]
    if reserved:
        raise SkillcastConfigError(
            f"key column(s) {reserved} clash with the node description columns {_RESERVED}; "
            "rename them"
        )
    missing = [k for k in keys if k not in series.columns]
    if missing:
        raise SkillcastDataError(
            f"the series frame lacks key column(s) {missing}; it has {list(series.columns)}"
        )
    if series.empty:
        raise SkillcastDataError("the series frame has no rows: there is nothing to add up")
    frame = series.loc[:, list(keys)].reset_index(drop=True)
    blank = frame.isna().any(axis=1)
    if blank.any():
        raise SkillcastDataError(
            f"{int(blank.sum())} series have a missing key, e.g. "
            f"{frame[blank].head(5).to_dict('records')}; fill or drop them first"
        )
    frame = frame.astype(str).astype(object)
    starred = (frame == AGGREGATED).any(axis=1)
    if starred.any():
        raise SkillcastDataError(
            f"{int(starred.sum())} series use the code {AGGREGATED!r}, which marks added-up "
            f"keys, e.g. {frame[starred].head(5).to_dict('records')}; recode them"
        )
    dup = frame.duplicated()
    if dup.any():
        raise SkillcastDataError(
            f"{int(dup.sum())} series appear more than once, e.g. "
            f"{frame[dup].head(5).to_dict('records')}; give each series one row"
        )
    return frame


def _derived_columns(
    frame: pd.DataFrame,
    keys: tuple[str, ...],
    occ: str | None,
    specs: list[tuple[str, ...]],
    taxonomy: Taxonomy | None,
) -> pd.DataFrame:
    """The rolled-up occupation columns the aggregations refer to."""
    wanted = {c for spec in specs for c in spec if c not in keys}
    out = pd.DataFrame(index=frame.index)
    if not wanted:
        return out
    if occ is None:
        raise SkillcastConfigError(
            f"aggregation column(s) {sorted(wanted)} are not keys {list(keys)}, and no "
            "occupation key is set to derive them from"
        )
    if taxonomy is None:
        from skillcast import taxonomy as taxonomies

        taxonomy = taxonomies.occupations()
    by_name = {tier_column(occ, t): t for t in taxonomy.tiers}
    unknown = sorted(wanted - set(by_name))
    if unknown:
        raise SkillcastConfigError(
            f"aggregation column(s) {unknown} are neither keys {list(keys)} nor occupation "
            f"tiers {sorted(by_name)}"
        )
    for name in sorted(wanted):
        rolled = taxonomy.rollup(frame[occ], by_name[name])
        bad = rolled.isna().to_numpy()
        if bad.any():
            raise SkillcastDataError(
                f"{int(bad.sum())} occupation codes do not roll up to tier {by_name[name]}, "
                f"e.g. {frame.loc[bad, occ].unique()[:5].tolist()}; drop that tier or recode"
            )
        out[name] = rolled.astype(str).astype(object).to_numpy()
    out.attrs["tiers"] = {name: by_name[name] for name in wanted}
    return out


def _normalise(
    spec: tuple[str, ...], keys: tuple[str, ...], occ: str | None, tier_of: dict[str, int]
) -> tuple[str, ...] | None:
    """Grouping columns in a canonical order; ``None`` when they identify the bottom."""
    cols = [k for k in keys if k in spec]
    tiers = [c for c in spec if c in tier_of]
    if tiers and occ not in cols:
        # the finest tier implies the coarser ones; it takes the occupation's place
        finest = max(tiers, key=tier_of.__getitem__)
        cols.insert(sum(1 for k in keys[: keys.index(occ)] if k in cols), finest)
    if set(keys) <= set(cols):
        return None
    return tuple(cols)


def _groups(frame: pd.DataFrame, cols: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Group id of every bottom series and the first member of every group."""
    if not cols:
        return np.zeros(len(frame), dtype=np.int64), np.zeros(1, dtype=np.int64)
    gid = frame.groupby(list(cols), sort=True).ngroup().to_numpy(dtype=np.int64)
    first = np.empty(gid.max() + 1, dtype=np.int64)
    first[gid[::-1]] = np.arange(len(gid))[::-1]  # the last write wins: the first member
    return gid, first


def _describe(
    members: pd.DataFrame,
    cols: tuple[str, ...],
    keys: tuple[str, ...],
    occ: str | None,
    derived: pd.Index,
) -> pd.DataFrame:
    """Node rows (node, aggregation, keys) for groups represented by ``members``."""
    n = len(members)
    out = pd.DataFrame(index=range(n))
    name = " x ".join(cols) if cols else "total"
    bottom = cols == tuple(keys)
    if not cols:
        node = pd.Series(["total"] * n, dtype=object)
    else:
        parts = [f"{c}=" + members[c].reset_index(drop=True) for c in cols]
        node = parts[0]
        for part in parts[1:]:
            node = node + "|" + part
    out["node"] = node.to_numpy(dtype=object)
    out["aggregation"] = "bottom" if bottom else name
    for k in keys:
        source = k if k in cols else next((c for c in cols if c in derived and k == occ), None)
        out[k] = members[source].to_numpy(dtype=object) if source else AGGREGATED
    return out.astype(str)
