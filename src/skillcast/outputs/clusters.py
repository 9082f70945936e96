"""Priority clusters in the planner tables.

:func:`with_clusters` labels rows with their priority clusters (one ``;``-joined column,
rows never repeated, so sums over the file stay right); :func:`cluster_supply_gap`
shares the city-wide supply gap out to clusters. The report reads the same tables
through :func:`cluster_table` (the clusters, checked) and :func:`cluster_sectors` (each
cluster's rows of a table by sector).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.outputs.forecast_tables import half_up, whole_numbers
from skillcast.outputs.read_back import as_codes, floats, label_frequency
from skillcast.periods import parse_periods

__all__ = ["cluster_sectors", "cluster_supply_gap", "cluster_table", "with_clusters"]


def with_clusters(
    frame: pd.DataFrame,
    *,
    openings: pd.DataFrame | None = None,
    clusters: pd.DataFrame | None = None,
    column: str = "cluster",
) -> pd.DataFrame:
    """A copy of ``frame`` with a ``cluster`` column: the row's priority clusters as one
    ``;``-joined list of cluster keys (``"seaport_maritime;logistics;airport"`` for H52),
    empty for rows in none.

    One column, not one row per cluster: a sector sits in several clusters, and
    repeating its rows would count its workers several times in any sum over the file
    (planners filter with "contains" in Excel).

    Rows with a ``sector`` (``forecast.csv``, ``openings.csv``) take the clusters of its
    VSIC division. ``supply_gap.csv`` has no sector (graduates are not trained for one):
    give ``openings`` and each cell lists the clusters whose sectors have openings in it
    (see :func:`cluster_supply_gap` for each cluster's share).
    """
    table = cluster_table(clusters)
    out = frame.copy()
    if "sector" in out.columns:
        labels = _cluster_labels(out["sector"], table)
        after = "sector_name_en" if "sector_name_en" in out.columns else "sector"
    elif openings is not None:
        shares = cluster_supply_gap(out, openings, clusters=table)
        by = [c for c in ("occupation", "level", "period") if c in out.columns]
        order = list(dict.fromkeys(table["cluster"]))
        rank = {name: i for i, name in enumerate(order)}
        shares = shares.loc[floats(shares["cluster_openings"]) > 0]
        shares = shares.assign(_rank=shares["cluster"].map(rank)).sort_values("_rank")
        joined = shares.groupby(by, sort=False)["cluster"].agg(";".join)
        keys = pd.MultiIndex.from_frame(as_codes(out.loc[:, by]))
        labels = pd.Series(joined.reindex(keys).to_numpy(dtype=object), index=out.index)
        labels = labels.fillna("")
        after = "level_name_en" if "level_name_en" in out.columns else by[-1]
    else:
        raise SkillcastConfigError(
            "with_clusters needs a 'sector' column, or openings= for a table without one "
            "(the supply gap)."
        )
    out.insert(list(out.columns).index(after) + 1, column, labels.to_numpy(dtype=object))
    return out


def cluster_supply_gap(
    gap: pd.DataFrame,
    openings: pd.DataFrame,
    *,
    clusters: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The city-wide supply gap shared out to the priority clusters (an allocation).

    Graduates are counted per occupation x level for the whole city, not per sector,
    so a cluster has no supply of its own. Each cluster is given the share of the cell's
    openings that falls in its sectors (``openings.csv`` summed over the cluster's
    sectors, over all sectors for the city), and that share of the cell's graduates:

    ``supply_allocated = share x supply``, ``gap_allocated = cluster_openings -
    supply_allocated`` (= share x the city's gap, up to rounding). The ratio, and so
    the class and assessment, are the city's: they are carried, not recomputed.

    ``gap`` is a ``supply_gap.csv``-like table (half-years or years); ``openings`` an
    ``openings.csv``-like table at the same or a finer frequency (summed to the gap's
    periods; occupations rolled up to the gap's codes, which may be groups such as
    ``24``). Returns one row per cluster, cell and period with openings in the cluster:
    ``cluster``, ``cluster_name_vi``, ``cluster_name_en``, ``period``, the cell's codes
    and names, ``cluster_openings`` (with ``cluster_openings_lower``/``_upper``: the
    80% bounds of the cluster's sectors added up), ``openings_share`` (3 decimals),
    ``supply_allocated``, ``gap_allocated``, ``gap_allocated_lower``/``_upper``, the
    city's ``openings``, ``supply``, ``gap``, ``gap_class``, ``confidence``,
    ``assessment``, and ``allocation`` (the rule, in words). A cell appears once per
    cluster it has openings in: do not add rows up across clusters.
    """
    table = cluster_table(clusters)
    by = [c for c in ("occupation", "level") if c in gap.columns]
    needed = {"period", "sector", "openings", *by}
    if not needed <= set(openings.columns):
        raise SkillcastConfigError(
            f"The openings table lacks {sorted(needed - set(openings.columns))}."
        )
    cells = as_codes(gap)
    op = as_codes(openings)
    op["period"] = _to_periods_of(op["period"], cells["period"])
    if "occupation" in by:
        op["occupation"] = _align_codes(op["occupation"], cells["occupation"])
    op = op.loc[op["period"].notna() & op[by].notna().all(axis=1)]
    values = {"o": floats(op["openings"])}
    for side, short in (("lower", "lo"), ("upper", "hi")):
        name = f"openings_{side}_80"
        values[short] = floats(op[name]) if name in op.columns else np.full(len(op), np.nan)
    op = op.loc[:, [*by, "period", "sector"]].assign(**values)
    city = op.groupby([*by, "period"], sort=False)["o"].sum().rename("city_o")
    member = table.loc[:, ["cluster", "division"]].drop_duplicates()
    op["division"] = _divisions(op["sector"])
    long = op.merge(member, on="division", how="inner")
    per = long.groupby(["cluster", *by, "period"], sort=False)[["o", "lo", "hi"]].sum(min_count=1)
    per = per.reset_index().merge(city.reset_index(), on=[*by, "period"], how="left")
    carried = [
        c
        for c in (
            *[f"{k}{s}" for k in by for s in ("_name_vi", "_name_en")],
            "openings",
            "supply",
            "gap",
            "gap_class",
            "confidence",
            "assessment",
        )
        if c in cells.columns
    ]
    out = per.merge(cells.loc[:, [*by, "period", *carried]], on=[*by, "period"], how="inner")
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(out["city_o"] > 0, out["o"] / out["city_o"], 0.0)
    supply = half_up(share * floats(out["supply"]))
    names = table.drop_duplicates("cluster").set_index("cluster")
    result = pd.DataFrame(
        {
            "cluster": out["cluster"].to_numpy(dtype=object),
            "cluster_name_vi": out["cluster"].map(names["name_vi"]).to_numpy(dtype=object),
            "cluster_name_en": out["cluster"].map(names["name_en"]).to_numpy(dtype=object),
            "period": out["period"].to_numpy(dtype=object),
        }
    )
    for key in by:
        result[key] = out[key].to_numpy(dtype=object)
        for lang in ("vi", "en"):
            if f"{key}_name_{lang}" in out.columns:
                result[f"{key}_name_{lang}"] = out[f"{key}_name_{lang}"].to_numpy(dtype=object)
    point = half_up(out["o"].to_numpy(dtype=float))
    lo = np.fmin(half_up(out["lo"].to_numpy(dtype=float)), point)
    hi = np.fmax(half_up(out["hi"].to_numpy(dtype=float)), point)
    result["cluster_openings"] = whole_numbers(point)
    result["cluster_openings_lower"] = whole_numbers(lo)
    result["cluster_openings_upper"] = whole_numbers(hi)
    result["openings_share"] = np.round(share, 3)
    result["supply_allocated"] = whole_numbers(supply)
    result["gap_allocated"] = whole_numbers(point - supply)
    result["gap_allocated_lower"] = whole_numbers(lo - supply)
    result["gap_allocated_upper"] = whole_numbers(hi - supply)
    for column in ("openings", "supply", "gap", "gap_class", "confidence", "assessment"):
        if column in out.columns:
            result[column] = out[column].to_numpy()
    result["allocation"] = "share of the cell's openings in the cluster's sectors"
    rank = {name: i for i, name in enumerate(dict.fromkeys(table["cluster"]))}
    result = result.assign(_r=result["cluster"].map(rank), _g=-floats(result["gap_allocated"]))
    result = result.sort_values(["_r", "period", "_g", *by], kind="stable")
    return result.drop(columns=["_r", "_g"]).reset_index(drop=True)


def cluster_table(clusters: pd.DataFrame | None) -> pd.DataFrame:
    """The priority clusters, one row per (cluster, division), codes as text (default:
    :func:`skillcast.taxonomy.clusters`).

    Raises:
        SkillcastConfigError: a table without ``cluster``, ``name_vi``, ``name_en`` or
            ``division``.
    """
    if clusters is None:
        from skillcast import taxonomy

        clusters = taxonomy.clusters()
    missing = [c for c in ("cluster", "name_vi", "name_en", "division") if c not in clusters]
    if missing:
        raise SkillcastConfigError(f"The clusters table lacks column(s) {missing}.")
    return clusters.astype({"cluster": str, "division": str})


def _divisions(sectors: pd.Series) -> pd.Series:
    """Sector codes rolled up to their VSIC division; a code the shipped table does not
    know stays as it is (a user's cluster table may name it)."""
    from skillcast import taxonomy

    codes = sectors.astype(object)
    known = codes.notna() & taxonomy.sectors().is_known(codes.fillna(""))
    rolled = pd.Series(np.nan, index=codes.index, dtype=object)
    if known.any():
        rolled.loc[known] = taxonomy.sectors().rollup(codes.loc[known], 2).to_numpy()
    return rolled.fillna(codes)


def _cluster_labels(sectors: pd.Series, table: pd.DataFrame) -> pd.Series:
    joined = table.groupby("division", sort=False)["cluster"].agg(";".join)
    division = _divisions(sectors.astype("string").astype(object))
    return pd.Series(joined.reindex(division.to_numpy()).to_numpy(dtype=object)).fillna("")


def cluster_sectors(sectors: pd.Series, table: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each cluster's mask over ``sectors``."""
    division = _divisions(sectors).to_numpy(dtype=object)
    out = {}
    for name, part in table.groupby("cluster", sort=False):
        out[str(name)] = np.isin(division, part["division"].to_numpy(dtype=object))
    return out


def _align_codes(occupation: pd.Series, targets: pd.Series) -> pd.Series:
    """Occupation codes rolled up to the target code containing them (None if none):
    a supply code may be a group (``24``) feeding several unit groups."""
    from skillcast import taxonomy

    occ = taxonomy.occupations()
    wanted = pd.Series(pd.unique(targets.dropna().astype(str)), dtype=object)
    tiers = occ.tier_of(wanted)
    out = pd.Series(None, index=occupation.index, dtype=object)
    for tier in sorted(set(tiers.dropna().astype(int))):
        pool = set(wanted[(tiers == tier).to_numpy()])
        rolled = occ.rollup(occupation.astype(str), tier)
        hit = rolled.isin(pool) & out.isna()
        out.loc[hit] = rolled.loc[hit]
    return out


def _to_periods_of(labels: pd.Series, targets: pd.Series) -> pd.Series:
    """``labels`` mapped onto the (coarser or equal) frequency of ``targets``."""
    source, target = label_frequency(labels), label_frequency(targets)
    if source.name == target.name:
        return labels
    periods = parse_periods(labels, source).periods
    starts = pd.Series(pd.PeriodIndex(periods).start_time, index=labels.index)
    mapped = parse_periods(starts, target).periods
    text = pd.Series(target.labels(pd.PeriodIndex(mapped)), index=labels.index, dtype=object)
    return text.where(mapped.notna().to_numpy(), None)
