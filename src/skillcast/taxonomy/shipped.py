"""The classifications shipped with skillcast, read from the CSVs in ``data/``.

Each loader is cached: repeated calls return the same :class:`Taxonomy`, whose ``table``
property hands out copies, so callers cannot corrupt the cache.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.taxonomy import reference
from skillcast.taxonomy.tables import Codes, Taxonomy, as_codes, load_taxonomy

__all__ = [
    "BUILTIN_NAMES",
    "builtin",
    "cluster_indicators",
    "clusters",
    "clusters_of",
    "for_column",
    "levels",
    "occupations",
    "sectors",
    "vqf",
]

#: Shipped classification -> CSV file in ``skillcast/taxonomy/data``.
_FILES: dict[str, str] = {
    "occupation": "occupations.csv",
    "level": "levels.csv",
    "sector": "sectors.csv",
    "vqf": "vqf.csv",
}
_ALIASES: dict[str, str] = {"occupations": "occupation", "levels": "level", "sectors": "sector"}
#: Reference list completing a curated table (see :mod:`skillcast.taxonomy.reference`).
_REFERENCE: dict[str, str] = {"occupation": "isco08.csv", "sector": "vsic2018.csv"}

#: Names accepted by :func:`builtin` (aliases included).
BUILTIN_NAMES: tuple[str, ...] = (*_FILES, *_ALIASES)

_CLUSTER_COLUMNS = ("cluster", "name_vi", "name_en", "division")


def _data_file(filename: str) -> Traversable:
    return resources.files("skillcast.taxonomy").joinpath("data", filename)


def _read(filename: str) -> pd.DataFrame:
    with _data_file(filename).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, na_filter=False)


@functools.cache
def _load(name: str) -> Taxonomy:
    if name not in _REFERENCE:
        with _data_file(_FILES[name]).open("r", encoding="utf-8") as fh:
            return load_taxonomy(fh, name=name)
    curated, listed = _read(_FILES[name]), _read(_REFERENCE[name])
    if name == "occupation":
        table = reference.complete_occupations(curated, listed)
        description = reference.occupation_coverage(table)
    else:
        table = reference.complete_sectors(curated, listed)
        description = reference.sector_coverage(table)
    source = f"{_FILES[name]} + {_REFERENCE[name]}"
    return Taxonomy(table, name, source=source, description=description)


def builtin(name: str) -> Taxonomy:
    """A shipped classification by name.

    Args:
        name: ``"occupation"``, ``"level"``, ``"sector"`` or ``"vqf"`` (the plurals
            ``"occupations"``, ``"levels"``, ``"sectors"`` work too).

    Raises:
        SkillcastConfigError: unknown name.
    """
    key = _ALIASES.get(name, name)
    if key not in _FILES:
        raise SkillcastConfigError(
            f"no shipped taxonomy called {name!r}; choose one of {', '.join(BUILTIN_NAMES)}, "
            "or read your own CSV with load_taxonomy(path)"
        )
    return _load(key)


def for_column(taxonomies: Mapping[str, object] | None, column: str, default: str) -> Taxonomy:
    """The table a ``PanelSpec.taxonomies`` mapping names for ``column``: a
    :class:`Taxonomy`, a CSV path (read with :func:`load_taxonomy`) or a shipped name;
    the shipped table ``default`` when the mapping names none (``None`` or ``{}``)."""
    chosen = (taxonomies or {}).get(column)
    if isinstance(chosen, Taxonomy):
        return chosen
    if isinstance(chosen, str | PathLike) and Path(chosen).suffix.lower() == ".csv":
        return load_taxonomy(chosen)
    if isinstance(chosen, str):
        return builtin(chosen)
    return builtin(default)


def occupations() -> Taxonomy:
    """Occupations: every ISCO-08 group under the VSCO 2020 table (tiers 1-4 = digits).

    All 619 ISCO-08 codes (10 major, 43 sub-major, 130 minor, 436 unit groups) plus the
    VSCO 2020 tier-2 codes ISCO-08 lacks (10, 15, 16, 17, 36). Rows of the curated VSCO
    2020 table keep their Vietnamese names and attributes; the other ISCO-08 groups carry
    the ILO's English title and no Vietnamese name.

    Extra columns: ``skill_level`` (ISCO skill levels as text, e.g. ``"3;4"``),
    ``skill_level_min``/``skill_level_max``, ``vsco_specific`` (1 where VSCO 2020 gives the
    tier-2 code a Vietnam-specific meaning, so data coded in VSCO needs a crosswalk),
    ``isco08`` (1 where the row is the ISCO-08 group of that code),
    ``vsco2020_name_vi`` (VSCO 2020's own title where it differs from the ISCO-08 meaning
    the row carries) and ``name_vi_missing`` (1 where the row comes from ISCO-08 alone and
    has no Vietnamese name yet).
    """
    return _load("occupation")


def levels() -> Taxonomy:
    """The five Labour Force Survey training levels ``L0``..``L4`` (column ``ordinal``)."""
    return _load("level")


def vqf() -> Taxonomy:
    """The eight VQF levels ``VQF1``..``VQF8``; column ``lfs_level`` maps them to ``L1``..``L4``."""
    return _load("vqf")


def sectors() -> Taxonomy:
    """VSIC 2018, complete: sections to sub-classes (tiers 1-5), 1,549 codes.

    Codes carry their section letter: ``H``, ``H52``, ``H521``, ``H5210``, ``H52101``.
    VSIC's own form (``52``, ``5210``) is the ``alias`` column and is accepted wherever a
    code is (:meth:`~skillcast.taxonomy.Taxonomy.canonical` rewrites it). Vietnamese names
    throughout; English names for the sections and the clusters' divisions only (column
    ``name_en_missing`` is 1 elsewhere).
    """
    return _load("sector")


@functools.cache
def _clusters() -> pd.DataFrame:
    with _data_file("clusters.csv").open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    missing = [c for c in _CLUSTER_COLUMNS if c not in frame.columns]
    if missing:
        raise SkillcastDataError(f"clusters.csv lacks columns {missing}; reinstall skillcast")
    unknown = frame.loc[~sectors().is_known(frame["division"]), "division"]
    if not unknown.empty:
        raise SkillcastDataError(
            f"clusters.csv names divisions missing from sectors.csv: {sorted(set(unknown))[:5]}; "
            "add them to sectors.csv"
        )
    return frame.loc[:, list(_CLUSTER_COLUMNS)]


def clusters() -> pd.DataFrame:
    """The city's priority clusters, one row per (cluster, VSIC 2018 division).

    Columns ``cluster`` (key such as ``"logistics"``), ``name_vi``, ``name_en``,
    ``division`` (e.g. ``"H52"``). A division can belong to several clusters (``H52`` is in
    seaport_maritime, logistics and airport). Returns a copy.
    """
    return _clusters().copy()


def _division_of(codes: Codes) -> pd.Series:
    """Sector codes (``H5210`` or ``5210``) rolled up to their division (``H52``)."""
    return sectors().rollup(as_codes(codes), 2)


def clusters_of(codes: Codes) -> pd.Series:
    """The priority clusters of each sector code, as one ``";"``-joined label per row.

    Codes are rolled up to their division first, so ``"H5210"`` (or ``"5210"``) counts as
    ``"H52"``.
    Clusters appear in ``clusters.csv`` order, e.g. ``"H52"`` ->
    ``"seaport_maritime;logistics;airport"``; codes in no cluster (or sections) give NaN.
    Use it to label tables; for model features use :func:`cluster_indicators`.
    """
    s = as_codes(codes)
    table = _clusters()
    joined = table.groupby("division", sort=False)["cluster"].agg(";".join)
    out = joined.reindex(_division_of(s).to_numpy())
    return pd.Series(out.to_numpy(dtype=object), index=s.index, name="cluster")


def cluster_indicators(codes: Codes) -> pd.DataFrame:
    """One boolean column per priority cluster: is each sector code in that cluster?

    Rows align with the input (a Series keeps its index); columns are the cluster keys in
    ``clusters.csv`` order. Codes are rolled up to their division first; unknown codes and
    sections are False everywhere. This is the form a feature builder wants when a sector
    belongs to several clusters.
    """
    s = as_codes(codes)
    table = _clusters()
    names = list(dict.fromkeys(table["cluster"]))
    member = pd.crosstab(table["division"], table["cluster"]).gt(0).reindex(columns=names)
    out = member.reindex(_division_of(s).to_numpy(), fill_value=False)
    return pd.DataFrame(
        out.to_numpy(dtype=bool) if len(out) else np.zeros((0, len(names)), dtype=bool),
        index=s.index,
        columns=names,
    )
