"""Base-forecast error covariances for reconciliation, kept as diagonal plus low rank.

The MinT shrinkage estimator (Schäfer and Strimmer 2005, as used by Wickramasuriya,
Athanasopoulos and Hyndman 2019 and R's fable) is
``W = lambda * diag(Sigma) + (1 - lambda) * Sigma`` with ``Sigma = E E' / T`` the
(uncentred) sample covariance of the n x T residual matrix ``E``. Because ``Sigma`` has
rank at most T, ``W = diag(lambda * sigma^2) + U U'`` with ``U = sqrt((1 - lambda) / T) E``:
an n x n matrix never has to be formed, and the shrinkage intensity only needs T x T
products, so MinT works for tens of thousands of nodes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from skillcast.errors import SkillcastDataError

__all__ = ["ErrorCovariance", "residual_variance", "shrunk_covariance"]


@dataclass(frozen=True)
class ErrorCovariance:
    """``W = diag(diag) + low_rank @ low_rank.T`` over all nodes.

    Attributes:
        diag: (n_total,) positive diagonal part.
        low_rank: (n_total, r) factor, or ``None`` for a diagonal ``W``.
        shrinkage: the shrinkage intensity lambda when estimated (else NaN).
    """

    diag: np.ndarray
    low_rank: np.ndarray | None = None
    shrinkage: float = float("nan")

    def dense(self) -> np.ndarray:
        """The full (n_total x n_total) matrix (for small problems and checks)."""
        out = np.diag(self.diag)
        if self.low_rank is not None:
            out += self.low_rank @ self.low_rank.T
        return out


def _scaled_residuals(residuals: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals with NaN set to 0 and each row scaled by sqrt(T / n_observed).

    The scaling makes ``E E' / T`` carry each node's own mean squared residual on the
    diagonal although nodes have different numbers of residuals; the result stays
    positive semi-definite, which a pairwise-complete estimate would not.
    """
    e = np.asarray(residuals, dtype=float)
    if e.ndim != 2:
        raise SkillcastDataError(f"residuals must be (nodes x times), got shape {e.shape}")
    seen = np.isfinite(e)
    e = e[:, seen.any(axis=0)]
    seen = np.isfinite(e)
    count = seen.sum(axis=1)
    if e.shape[1] < 2 or (count == 0).any():
        empty = np.flatnonzero(count == 0)
        raise SkillcastDataError(
            f"residuals cover {e.shape[1]} time point(s) and {len(empty)} node(s) have none "
            f"(e.g. rows {empty[:5].tolist()}); estimating error variances needs at least "
            "two residuals per node: backtest more windows, or use wls_struct"
        )
    e = np.where(seen, e, 0.0)
    return e * np.sqrt(e.shape[1] / count)[:, None], count


def _floor(var: np.ndarray, ridge: float) -> np.ndarray:
    # a node forecast without in-sample error gets a tiny variance: it barely moves
    scale = float(var[var > 0].mean()) if (var > 0).any() else 1.0
    return np.maximum(var, ridge * scale)


def residual_variance(residuals: np.ndarray, ridge: float = 1e-8) -> ErrorCovariance:
    """Diagonal ``W`` of each node's mean squared residual (MinT "wls_var").

    Args:
        residuals: (n_total, T) base-forecast errors (actual - forecast), NaN where absent.
        ridge: floor of a variance, relative to the mean variance.
    """
    e, _ = _scaled_residuals(residuals)
    return ErrorCovariance(diag=_floor((e**2).mean(axis=1), ridge))


def shrunk_covariance(
    residuals: np.ndarray, shrinkage: float | None = None, ridge: float = 1e-8
) -> ErrorCovariance:
    """MinT shrinkage covariance towards its diagonal, as diagonal plus low rank.

    Args:
        residuals: (n_total, T) base-forecast errors (actual - forecast), NaN where
            absent (a missing residual counts as zero in the cross-products).
        shrinkage: lambda in [0, 1]; ``None`` estimates it (Schäfer-Strimmer).
        ridge: added to the diagonal, relative to the mean variance, so ``W`` stays
            positive definite when lambda is 0 or a node has no in-sample error.

    Returns:
        :class:`ErrorCovariance` with the estimated intensity in ``shrinkage``.
    """
    e, _ = _scaled_residuals(residuals)
    n_times = e.shape[1]
    var = (e**2).mean(axis=1)
    if shrinkage is None:
        shrinkage = _intensity(e, var)
    elif not 0.0 <= float(shrinkage) <= 1.0:
        raise SkillcastDataError(f"shrinkage must lie in [0, 1], got {shrinkage!r}")
    lam = float(shrinkage)
    scale = float(var[var > 0].mean()) if (var > 0).any() else 1.0
    diag = lam * var + ridge * scale
    low_rank = None if lam >= 1.0 else np.sqrt((1.0 - lam) / n_times) * e
    return ErrorCovariance(diag=diag, low_rank=low_rank, shrinkage=lam)


def _intensity(e: np.ndarray, var: np.ndarray) -> float:
    """Schäfer-Strimmer lambda = sum Var(r_ij) / sum r_ij^2 over i != j, in O(n T^2).

    With standardised residuals x (n x T) and ``G = x x'`` (n x n, never formed):
    ``sum_{i!=j} (x_i^2 . x_j^2) = sum_t ((sum_i x_ti^2)^2 - sum_i x_ti^4)`` and
    ``sum_{i!=j} G_ij^2 = ||x' x||_F^2 - sum_i G_ii^2`` (x' x is T x T).
    """
    n_times = e.shape[1]
    sd = np.sqrt(var)
    x = np.divide(e, sd[:, None], out=np.zeros_like(e), where=sd[:, None] > 0)
    x2 = x**2
    col = x2.sum(axis=0)
    cross_sq = float((col**2).sum() - (x2**2).sum())
    gram = x.T @ x
    g_diag = x2.sum(axis=1)
    off_sq = float((gram**2).sum() - (g_diag**2).sum())
    v = (cross_sq - off_sq / n_times) / (n_times * (n_times - 1))
    d = off_sq / n_times**2
    if d <= 0:
        return 1.0
    return float(np.clip(v / d, 0.0, 1.0))
