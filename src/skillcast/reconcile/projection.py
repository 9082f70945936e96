"""The MinT projection solved in the aggregates: :class:`AggregateSystem`.

With ``S = [A; I]`` (aggregates first) and error covariance ``W``, the reconciled bottom
values ``P y^`` with ``P = (S' W^-1 S)^-1 S' W^-1`` are, by the Woodbury identity,

    b~ = b^ + (W C')_b (C W C')^-1 (a^ - A b^),      C = [I, -A],

a solve in the n_aggregate aggregates rather than the n_bottom bottom series. For diagonal
``W``, ``C W C' = W_a + A W_b A'`` is sparse, whereas ``S' W^-1 S`` is dense through the
total row. ``W`` = diagonal + low rank adds ``V V'`` with ``V = U_a - A U_b`` (T columns).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from skillcast.errors import SkillcastDataError
from skillcast.reconcile.covariance import ErrorCovariance

__all__ = ["DENSE_LIMIT", "AggregateSystem", "Solver", "factorise"]

#: Aggregate-system sizes up to which the solve is a dense Cholesky factorisation.
DENSE_LIMIT = 2500

Solver = Literal["auto", "dense", "sparse"]


class AggregateSystem:
    """The factorised ``K = C W C' = W_a + A W_b A'`` of a structure; solves for bottoms.

    Bottom series outside ``free`` get zero error (co)variance, which holds them at their
    base values and reconciles the rest to the aggregates less their contributions: the
    reduced system, without slicing ``A``.
    """

    def __init__(
        self,
        A: sp.csr_matrix,
        At: sp.csr_matrix,
        cov: ErrorCovariance,
        free: np.ndarray,
        solver: Solver,
    ) -> None:
        n_a = A.shape[0]
        self.A = A
        self.d_b = cov.diag[n_a:] * free
        scaled = A.copy()
        scaled.data *= self.d_b[scaled.indices]  # A diag(d_b) without a third product
        M = (scaled @ At + sp.diags(cov.diag[:n_a])).tocsc()
        self.u_b = self.V = None
        if cov.low_rank is not None:
            self.u_b = cov.low_rank[n_a:] * free[:, None]
            self.V = cov.low_rank[:n_a] - A @ self.u_b
        self._solve = factorise(M, self.V, solver)

    def solve(self, base_a: np.ndarray, base_b: np.ndarray) -> np.ndarray:
        """Reconciled bottom values (n_bottom x k) from base aggregates and bottoms."""
        if self.A.shape[0] == 0:
            return base_b.copy()
        x = self._solve(base_a - self.A @ base_b)
        out = base_b + self.d_b[:, None] * (self.A.T @ x)
        if self.V is not None:
            out -= self.u_b @ (self.V.T @ x)
        return out


def factorise(
    M: sp.csc_matrix, V: np.ndarray | None, solver: Solver
) -> Callable[[np.ndarray], np.ndarray]:
    """A function solving ``K x = r``, ``K = M + V V'``, for (n_aggregate x k) right-hand
    sides: ``M = W_a + A W_b A'`` (sparse, n_aggregate square), ``V`` the low-rank part
    (n_aggregate x T) or ``None``.

    Raises:
        SkillcastDataError: ``K`` is singular.
    """
    try:
        return _factorise(M, V, solver)
    except (np.linalg.LinAlgError, RuntimeError) as exc:
        raise SkillcastDataError(
            f"the error covariance W is singular ({exc}); give MinTShrink a ridge > 0 "
            "or a shrinkage > 0, or use wls_struct"
        ) from exc


def _factorise(
    M: sp.csc_matrix, V: np.ndarray | None, solver: Solver
) -> Callable[[np.ndarray], np.ndarray]:
    if solver == "dense" or (solver == "auto" and M.shape[0] <= DENSE_LIMIT):
        K = M.toarray()
        if V is not None:
            K += V @ V.T
        chol = sla.cho_factor(K, lower=True, check_finite=False)
        return lambda r: sla.cho_solve(chol, r, check_finite=False)
    lu = spla.splu(M, permc_spec="MMD_AT_PLUS_A")
    if V is None:
        return lu.solve
    mv = lu.solve(V)
    small = sla.cho_factor(np.eye(V.shape[1]) + V.T @ mv, lower=True)
    return lambda r: _woodbury(lu.solve(r), mv, small, V)


def _woodbury(x0: np.ndarray, mv: np.ndarray, small: tuple, V: np.ndarray) -> np.ndarray:
    # (M + V V')^-1 r = M^-1 r - M^-1 V (I + V' M^-1 V)^-1 V' M^-1 r
    return x0 - mv @ sla.cho_solve(small, V.T @ x0)
