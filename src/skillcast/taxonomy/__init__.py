"""Classifications as versioned CSV tables, with Vietnamese and English names.

Shipped tables (see ``skillcast/taxonomy/data/README.md`` for sources and format):

* :func:`occupations` -- VSCO 2020 aligned with ISCO-08, tiers 1-4.
* :func:`levels` -- the five Labour Force Survey training levels ``L0``..``L4``.
* :func:`vqf` -- the eight levels of the Vietnamese Qualifications Framework.
* :func:`sectors` -- VSIC 2018 sections and the divisions used by the city's clusters.
* :func:`clusters` -- the city's priority clusters as (cluster, division) pairs.

:func:`load_taxonomy` reads a user's own table in the same CSV format.
"""

from skillcast.taxonomy.shipped import (
    BUILTIN_NAMES,
    builtin,
    cluster_indicators,
    clusters,
    clusters_of,
    levels,
    occupations,
    sectors,
    vqf,
)
from skillcast.taxonomy.tables import REQUIRED_COLUMNS, Taxonomy, as_codes, load_taxonomy

__all__ = [
    "BUILTIN_NAMES",
    "REQUIRED_COLUMNS",
    "Taxonomy",
    "as_codes",
    "builtin",
    "cluster_indicators",
    "clusters",
    "clusters_of",
    "levels",
    "load_taxonomy",
    "occupations",
    "sectors",
    "vqf",
]
