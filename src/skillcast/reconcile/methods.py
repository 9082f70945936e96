"""Reconcilers: map base forecasts of every node to coherent ones.

All methods but bottom-up are MinT projections ``y~ = S P y^`` with
``P = (S' W^-1 S)^-1 S' W^-1`` for an error covariance ``W`` (identity, structural or
residual variances, or the shrinkage covariance as diagonal plus low rank), solved in the
aggregates by :class:`~skillcast.reconcile.projection.AggregateSystem`: a dense Cholesky
factorisation up to ``DENSE_LIMIT`` aggregates, a sparse LU (SuperLU) beyond. No n x n
matrix is formed, so every method, MinT with shrinkage included, runs on the full
50,000-series panel. The reconciled values of all nodes are ``S b~``, coherent to rounding.

``fixed`` bottom series (e.g. intermittent cells, which reconciliation can badly distort)
keep their base forecasts: their contribution is subtracted from the aggregates and the
remaining series are reconciled in the reduced system (equivalently: the fixed series get
zero error variance, which is how it is computed).

``nonnegative=True`` clips negative base forecasts to zero, and, with
``nonnegative_method="fix_zeros"`` (default), sets bottom series that come out negative to
zero and holds them fixed there while the others are reconciled again, until none is
negative (at most ``max_iter`` rounds; leftovers are clipped). This is the first phase of
an active-set method for the non-negative MinT problem (it never releases a series from
zero, so it is not always the exact optimum) and stays coherent. ``"clip"`` just sets
negative bottom values to zero and adds up again: cheaper and coherent, but further from
the optimum.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Literal, Self

import numpy as np
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.reconcile.covariance import ErrorCovariance, residual_variance, shrunk_covariance
from skillcast.reconcile.projection import AggregateSystem, Solver
from skillcast.reconcile.structure import SummingStructure

__all__ = [
    "METHODS",
    "OLS",
    "WLS",
    "BottomUp",
    "MinTShrink",
    "Reconciler",
    "make_reconciler",
]


class Reconciler(BaseEstimator, ABC):
    """Base class: ``fit(structure, residuals=None, fixed=None)``, ``transform(base)``.

    Subclasses define the error covariance ``W`` in :meth:`_covariance`.
    """

    nonnegative: bool = True
    nonnegative_method: str = "fix_zeros"
    max_iter: int = 20
    solver: Solver = "auto"
    _uses_aggregates = True  # bottom-up reads only the bottom base forecasts

    def fit(
        self,
        structure: SummingStructure,
        residuals: np.ndarray | None = None,
        fixed: np.ndarray | None = None,
    ) -> Self:
        """Estimate ``W`` and factorise the aggregate system.

        Args:
            structure: the summing structure.
            residuals: (n_total, T) in-sample or backtest errors (actual - forecast) of the
                base forecasts, nodes in structure order; needed by ``WLS(weights="var")``
                and :class:`MinTShrink`.
            fixed: boolean (n_bottom,) mask of bottom series held at their base forecasts.
        """
        if not isinstance(structure, SummingStructure):
            raise SkillcastConfigError(
                f"fit needs a SummingStructure (see build_structure), got {type(structure)}"
            )
        if self.nonnegative_method not in ("fix_zeros", "clip"):
            raise SkillcastConfigError(
                f"nonnegative_method={self.nonnegative_method!r}; choose 'fix_zeros' or 'clip'"
            )
        if self.solver not in ("auto", "dense", "sparse"):
            raise SkillcastConfigError(f"solver={self.solver!r}; choose auto, dense or sparse")
        if residuals is not None:
            residuals = np.asarray(residuals, dtype=float)
            if residuals.ndim != 2 or residuals.shape[0] != structure.n_total:
                raise SkillcastDataError(
                    f"residuals have shape {residuals.shape}; expected ({structure.n_total}, "
                    "T): one row per node in structure order"
                )
        self.structure_ = structure
        self._At = None
        self.fixed_ = _fixed_mask(fixed, structure.n_bottom)
        self.covariance_ = self._covariance(structure, residuals)
        self.system_ = self._system(self.fixed_)
        return self

    def transform(self, base: np.ndarray) -> np.ndarray:
        """Coherent forecasts of every node.

        Args:
            base: (n_total, ...) base forecasts, nodes in structure order; any trailing
                shape (horizon steps, interval bounds, sample paths). Each column is
                reconciled by the same projection. With ``nonnegative_method="fix_zeros"``
                columns with negative results are re-solved one by one: use ``"clip"`` for
                thousands of sample paths.

        Returns:
            Array of the same shape; ``structure.coherence_error(result)`` is ~0.
        """
        st = self._check_fitted()
        values = np.asarray(base, dtype=float)
        if values.shape[:1] != (st.n_total,):
            raise SkillcastDataError(
                f"base forecasts have {values.shape[:1]} rows; the structure has {st.n_total}"
            )
        flat = values.reshape(st.n_total, -1)
        base_a, base_b = flat[: st.n_aggregate], flat[st.n_aggregate :]
        needed = flat if self._uses_aggregates else base_b
        bad = ~np.isfinite(needed).all(axis=1)
        if bad.any():
            raise SkillcastDataError(
                f"{int(bad.sum())} nodes have missing or infinite base forecasts; forecast "
                "every node (aggregate_panel) before reconciling"
            )
        if self.nonnegative:
            base_a, base_b = np.maximum(base_a, 0.0), np.maximum(base_b, 0.0)
        out = self._solve(base_a, base_b, self.system_)
        if self.nonnegative and self.nonnegative_method == "fix_zeros":
            out = self._fix_zeros(base_a, base_b, out)
        if self.nonnegative:
            out = np.maximum(out, 0.0)
        return np.asarray(st.S @ out).reshape(values.shape)

    def fit_transform(
        self,
        base: np.ndarray,
        structure: SummingStructure,
        residuals: np.ndarray | None = None,
        fixed: np.ndarray | None = None,
    ) -> np.ndarray:
        return self.fit(structure, residuals, fixed).transform(base)

    # ------------------------------------------------------------------ internals
    @abstractmethod
    def _covariance(
        self, structure: SummingStructure, residuals: np.ndarray | None
    ) -> ErrorCovariance:
        """The error covariance ``W`` of the base forecasts of all nodes."""

    def _system(self, fixed: np.ndarray) -> AggregateSystem:
        A = self.structure_.A
        if self._At is None:
            self._At = A.T.tocsr()  # reused by every re-solve of the non-negative rounds
        return AggregateSystem(A, self._At, self.covariance_, ~fixed, self.solver)

    def _solve(self, base_a: np.ndarray, base_b: np.ndarray, system: AggregateSystem) -> np.ndarray:
        return system.solve(base_a, base_b)

    def _fix_zeros(self, base_a: np.ndarray, base_b: np.ndarray, out: np.ndarray) -> np.ndarray:
        zero = np.zeros(out.shape, dtype=bool)
        # rounding-level negatives are clipped afterwards, not worth another round
        tol = 1e-9 * max(1.0, float(np.abs(base_b).max(initial=0.0)))
        for _ in range(int(self.max_iter)):  # a few rounds; each grows the sets held at zero
            neg = out < -tol
            cols = np.flatnonzero(neg.any(axis=0))
            if not cols.size:
                break
            zero[:, cols] |= neg[:, cols]
            # columns (horizon steps, bounds) sharing a zero set share one factorisation
            packed = np.packbits(zero[:, cols], axis=0)
            _, group = np.unique(packed, axis=1, return_inverse=True)
            for g in range(group.max() + 1):
                js = cols[group.ravel() == g]
                held = zero[:, js[0]]
                b = np.where(held[:, None], 0.0, base_b[:, js])
                system = self._system(self.fixed_ | held)
                out[:, js] = self._solve(base_a[:, js], b, system)
        return out

    def _check_fitted(self) -> SummingStructure:
        if not hasattr(self, "structure_"):
            raise SkillcastConfigError(f"{type(self).__name__} is not fitted: call fit first.")
        return self.structure_


def _fixed_mask(fixed: np.ndarray | None, n_bottom: int) -> np.ndarray:
    if fixed is None:
        return np.zeros(n_bottom, dtype=bool)
    mask = np.asarray(fixed)
    if mask.dtype != bool or mask.shape != (n_bottom,):
        raise SkillcastDataError(
            f"fixed must be a boolean mask of the {n_bottom} bottom series, got dtype "
            f"{mask.dtype} and shape {mask.shape}"
        )
    return mask.copy()


class BottomUp(Reconciler):
    """Bottom-up: bottom base forecasts added up; aggregate base forecasts are ignored."""

    _uses_aggregates = False

    def __init__(self, nonnegative: bool = True) -> None:
        self.nonnegative = nonnegative

    def _covariance(
        self, structure: SummingStructure, residuals: np.ndarray | None
    ) -> ErrorCovariance:
        return ErrorCovariance(diag=np.ones(structure.n_total))

    def _system(self, fixed: np.ndarray) -> AggregateSystem:
        return None  # type: ignore[return-value]  # bottom-up solves nothing in the aggregates

    def _solve(self, base_a: np.ndarray, base_b: np.ndarray, system: AggregateSystem) -> np.ndarray:
        return base_b.copy()


class OLS(Reconciler):
    """MinT with ``W = I``: the orthogonal projection onto the coherent subspace."""

    def __init__(
        self,
        nonnegative: bool = True,
        nonnegative_method: str = "fix_zeros",
        max_iter: int = 20,
        solver: Solver = "auto",
    ) -> None:
        self.nonnegative = nonnegative
        self.nonnegative_method = nonnegative_method
        self.max_iter = max_iter
        self.solver = solver

    def _covariance(
        self, structure: SummingStructure, residuals: np.ndarray | None
    ) -> ErrorCovariance:
        return ErrorCovariance(diag=np.ones(structure.n_total))


class WLS(Reconciler):
    """MinT with a diagonal ``W``.

    ``weights="struct"``: structural scaling, W_ii = number of bottom series under node i
    (needs no residuals). ``weights="var"``: each node's mean squared residual.
    """

    def __init__(
        self,
        weights: Literal["struct", "var"] = "struct",
        nonnegative: bool = True,
        nonnegative_method: str = "fix_zeros",
        max_iter: int = 20,
        solver: Solver = "auto",
    ) -> None:
        self.weights = weights
        self.nonnegative = nonnegative
        self.nonnegative_method = nonnegative_method
        self.max_iter = max_iter
        self.solver = solver

    def _covariance(
        self, structure: SummingStructure, residuals: np.ndarray | None
    ) -> ErrorCovariance:
        if self.weights == "struct":
            return ErrorCovariance(diag=np.asarray(structure.S.sum(axis=1)).ravel())
        if self.weights == "var":
            return residual_variance(_need(residuals, "WLS(weights='var')"))
        raise SkillcastConfigError(f"weights={self.weights!r}; choose 'struct' or 'var'")


class MinTShrink(Reconciler):
    """MinT with the shrinkage covariance of the base forecasts' residuals.

    ``shrinkage=None`` estimates the intensity (Schäfer-Strimmer); a number fixes it
    (0 = sample covariance, "mint_cov"; 1 = its diagonal, "wls_var"). The estimated
    intensity is stored in ``shrinkage_``. Memory grows with n_total x T, never n_total^2.
    """

    def __init__(
        self,
        shrinkage: float | None = None,
        ridge: float = 1e-8,
        nonnegative: bool = True,
        nonnegative_method: str = "fix_zeros",
        max_iter: int = 20,
        solver: Solver = "auto",
    ) -> None:
        self.shrinkage = shrinkage
        self.ridge = ridge
        self.nonnegative = nonnegative
        self.nonnegative_method = nonnegative_method
        self.max_iter = max_iter
        self.solver = solver

    def _covariance(
        self, structure: SummingStructure, residuals: np.ndarray | None
    ) -> ErrorCovariance:
        cov = shrunk_covariance(_need(residuals, "MinTShrink"), self.shrinkage, self.ridge)
        self.shrinkage_ = cov.shrinkage
        return cov


def _need(residuals: np.ndarray | None, who: str) -> np.ndarray:
    if residuals is None:
        raise SkillcastDataError(
            f"{who} needs the base forecasts' residuals (n_total x T): backtest the "
            "forecaster on aggregate_panel(...) and pass residual_matrix(...)"
        )
    return residuals


#: Method names accepted by :func:`make_reconciler` and ``reconcile_forecast``.
METHODS = ("bottom_up", "ols", "wls_struct", "wls_var", "mint_shrink")


def make_reconciler(method: str, **params: Any) -> Reconciler:
    """A reconciler by name: ``bottom_up``, ``ols``, ``wls_struct``, ``wls_var``,
    ``mint_shrink``; ``params`` go to its constructor."""
    choices: dict[str, tuple[type[Reconciler], dict[str, Any]]] = {
        "bottom_up": (BottomUp, {}),
        "ols": (OLS, {}),
        "wls_struct": (WLS, {"weights": "struct"}),
        "wls_var": (WLS, {"weights": "var"}),
        "mint_shrink": (MinTShrink, {}),
    }
    if method not in choices:
        raise SkillcastConfigError(f"unknown reconciliation method {method!r}; choose {METHODS}")
    cls, preset = choices[method]
    return cls(**preset, **params)
