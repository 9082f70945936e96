"""How the groups of :class:`~skillcast.elasticities.DriverElasticities` share and
are exposed: pools of groups (priority cluster or VSIC section), the drivers' exposure,
and the DerSimonian-Laird shrinkage of each group's estimate toward its pool's mean
(step 3 and 4 of :mod:`skillcast.elasticities`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError

POOLS = ("cluster", "section")
ALL = "*"  # the pool of every group when groups have no sector
_EXAMPLES = 5


def pool_labels(groups: pd.DataFrame, by: Sequence[str], pool: str | None) -> np.ndarray:
    """Pool label of every group: its largest priority cluster (``"cluster"``, else its
    section letter), its section (``"section"``) or itself (None)."""
    n = len(groups)
    if pool is None:
        return groups.astype(str).agg("/".join, axis=1).to_numpy(dtype=object)
    if "sector" not in by:
        return np.full(n, ALL, dtype=object)
    sector = groups["sector"].astype(str)
    section = sector.str[:1].where(sector.str[:1].str.isalpha(), ALL).to_numpy(dtype=object)
    if pool == "section":
        return section
    from skillcast import taxonomy  # the classification tables load on first use only

    listed = taxonomy.clusters_of(sector).fillna("").str.split(";")
    sizes = pd.Series([c for names in listed for c in names if c]).value_counts()
    out = section.copy()
    for i, names in enumerate(listed):  # one per group: tens, not series
        names = [c for c in names if c]
        if names:  # the largest of its clusters; clusters.csv order breaks ties
            out[i] = max(names, key=lambda c: (sizes[c], -names.index(c)))
    return out


def exposed_groups(
    groups: pd.DataFrame,
    by: Sequence[str],
    drivers: Sequence[str],
    exposure: Mapping[str, Sequence[str]] | None,
) -> np.ndarray:
    """(groups x drivers) True where a driver may move a group: ``exposure`` maps a
    driver to priority cluster keys or sector codes (prefixes count); a driver it does
    not name moves every group."""
    drivers = list(drivers)
    out = np.ones((len(groups), len(drivers)), dtype=bool)
    if not exposure:
        return out
    if not isinstance(exposure, Mapping):
        raise SkillcastConfigError(
            "exposure must map driver -> list of cluster keys or sector codes, e.g. "
            f"{{'port_throughput_mt': ['logistics']}}; got {exposure!r}."
        )
    unknown = sorted(set(exposure) - set(drivers))
    if unknown:
        raise SkillcastConfigError(
            f"exposure names driver(s) {unknown}; the panel's known drivers are {drivers}."
        )
    if "sector" not in by:
        raise SkillcastConfigError(
            f"exposure names clusters and sectors: group by the sector (by={list(by)!r})."
        )
    from skillcast import taxonomy

    sector = groups["sector"].astype(str)
    table = taxonomy.clusters()
    listed = taxonomy.clusters_of(sector).fillna("").str.split(";")
    for driver, names in exposure.items():
        names = [names] if isinstance(names, str) else [str(x) for x in names]
        clusters = [x for x in names if x in set(table["cluster"])]
        prefixes = tuple(x for x in names if x not in clusters)
        matched = sector.str.startswith(prefixes) if prefixes else np.zeros(len(sector), bool)
        stray = [p for p in prefixes if not sector.str.startswith(p).any()]
        if stray:
            raise SkillcastConfigError(
                f"exposure[{driver!r}]: {stray} are neither priority clusters "
                f"{sorted(set(table['cluster']))} nor codes of the data's sectors "
                f"(e.g. {sorted(sector)[:_EXAMPLES]})."
            )
        in_cluster = np.array([bool(set(c) & set(clusters)) for c in listed], dtype=bool)
        out[:, drivers.index(driver)] = np.asarray(matched) | in_cluster
    return out


def shrunk_to_pools(
    beta: np.ndarray,
    var: np.ndarray,
    prior: np.ndarray,
    pools: np.ndarray,
    has: np.ndarray,
    short: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(groups x drivers) estimates shrunk toward their pool's random-effects mean.

    Args:
        beta, var, prior: estimates, sampling variances, own-trend variances.
        pools: (groups,) pool label of each group.
        has: where a group has an estimate of its own (estimated or trend reading).
        short: where a group is too short to estimate (it takes its pool's mean).

    Returns:
        Elasticities, sampling variances, own-trend variances and the weights ``B`` of
        the pool's mean (1 for a short group that took it).
    """
    labels, pool = np.unique(pools.astype(str), return_inverse=True)
    beta, var, prior = beta.copy(), var.copy(), prior.copy()
    shrink = np.zeros_like(beta)
    for c in range(beta.shape[1]):  # a few drivers
        own_estimate = has[:, c]
        if not own_estimate.any():
            continue
        mean, var_mean, tau2, count = random_effects(
            beta[own_estimate, c], var[own_estimate, c], pool[own_estimate], len(labels)
        )
        var_mean = np.where(count > 0, var_mean, 0.0)  # a pool without estimates lends none
        borrow = count[pool] >= 2  # one estimate cannot say how far groups differ
        tau = tau2[pool]
        lends = own_estimate & borrow
        B = np.where(lends, var[:, c] / np.maximum(var[:, c] + tau, 1e-300), 0.0)
        B = np.where(lends & (var[:, c] + tau <= 0), 1.0, B)
        beta[:, c] = np.where(own_estimate, beta[:, c] + B * (mean[pool] - beta[:, c]), beta[:, c])
        var[:, c] = np.where(own_estimate, var[:, c] * (1 - B) + B**2 * var_mean[pool], var[:, c])
        cold = short[:, c] & borrow
        # a group too short to estimate takes its pool's mean, and the pool's own-trend
        # allowance when the pool's estimates are trend readings
        own = np.bincount(pool[own_estimate], prior[own_estimate, c], len(labels))
        own = own / np.maximum(count, 1)
        beta[:, c] = np.where(cold, mean[pool], beta[:, c])
        var[:, c] = np.where(cold, tau + var_mean[pool], var[:, c])
        prior[:, c] = np.where(cold, own[pool], prior[:, c])
        shrink[:, c] = np.where(cold, 1.0, B)
    return beta, var, prior, shrink


def random_effects(
    estimates: np.ndarray, variances: np.ndarray, pool: np.ndarray, n_pools: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DerSimonian-Laird random-effects mean per pool.

    Args:
        estimates, variances: (n,) estimates and their sampling variances (> 0; 0 is
            taken as 1e-12).
        pool: (n,) pool index of each estimate, 0..n_pools - 1.

    Returns:
        Per pool (n_pools,): the random-effects mean, its variance, the between-estimate
        variance ``tau2`` (0 with fewer than two estimates) and the count of estimates.
    """
    v = np.maximum(np.asarray(variances, dtype=float), 1e-12)
    b = np.asarray(estimates, dtype=float)
    count = np.bincount(pool, minlength=n_pools)
    w = 1.0 / v
    sw = np.bincount(pool, w, n_pools)
    with np.errstate(invalid="ignore", divide="ignore"):
        fixed = np.bincount(pool, w * b, n_pools) / sw
        q = np.bincount(pool, w * (b - fixed[pool]) ** 2, n_pools)
        c = sw - np.bincount(pool, w**2, n_pools) / sw
        tau2 = np.where((count >= 2) & (c > 0), np.maximum((q - (count - 1)) / c, 0.0), 0.0)
        ws = 1.0 / (v + tau2[pool])
        total = np.bincount(pool, ws, n_pools)
        mean = np.bincount(pool, ws * b, n_pools) / total
        var_mean = 1.0 / total
    return mean, var_mean, np.nan_to_num(tau2), count
