"""Classifications as versioned CSV tables, with Vietnamese and English names.

Shipped tables (see ``skillcast/taxonomy/data/README.md`` for sources and format):

* :func:`occupations` -- complete ISCO-08 (tiers 1-4) under the VSCO 2020 table.
* :func:`levels` -- the five Labour Force Survey training levels ``L0``..``L4``.
* :func:`vqf` -- the eight levels of the Vietnamese Qualifications Framework.
* :func:`sectors` -- complete VSIC 2018, sections to sub-classes (``H``, ``H52`` .. ``H52101``).
* :func:`clusters` -- the city's priority clusters as (cluster, division) pairs.

:func:`load_taxonomy` reads a user's own table in the same CSV format; :func:`for_column`
gives the table a panel's spec names for a key column.
:func:`load_crosswalk` and :func:`convert_codes` carry data across a change of version
(VSIC 2018 -> VSIC 2025).
"""

from skillcast.taxonomy.crosswalk import CodeConversion, Crosswalk, convert_codes, load_crosswalk
from skillcast.taxonomy.shipped import (
    BUILTIN_NAMES,
    builtin,
    cluster_indicators,
    clusters,
    clusters_of,
    for_column,
    levels,
    occupations,
    sectors,
    vqf,
)
from skillcast.taxonomy.tables import REQUIRED_COLUMNS, Taxonomy, as_codes, load_taxonomy

__all__ = [
    "BUILTIN_NAMES",
    "REQUIRED_COLUMNS",
    "CodeConversion",
    "Crosswalk",
    "Taxonomy",
    "as_codes",
    "builtin",
    "cluster_indicators",
    "clusters",
    "clusters_of",
    "convert_codes",
    "for_column",
    "levels",
    "load_crosswalk",
    "load_taxonomy",
    "occupations",
    "sectors",
    "vqf",
]
