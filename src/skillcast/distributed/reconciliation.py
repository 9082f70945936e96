"""MinT reconciliation with the bottom series split into blocks, one Dask task per block.

The bottom series are partitioned into blocks ``p`` of whole series (one per region, say).
With ``A_p`` the columns of ``A`` of block ``p``, ``d_p`` and ``U_p`` its rows of the
bottom part of ``W = diag + low rank`` (zero for fixed series and for series held at zero)
and ``b_p`` its base bottom forecasts, the aggregate system that
:class:`~skillcast.reconcile.projection.AggregateSystem` solves is a sum over blocks:

    K = W_a + sum_p A_p diag(d_p) A_p'   (+ V V',  V = U_a - sum_p A_p U_p)
    r = a^ - sum_p A_p b_p
    x = K^-1 r                                   (on the client: n_aggregate unknowns)
    b~_p = b_p + d_p * (A_p' x) - U_p (V' x)     (per block)

Each sum and each block's update is exact, so the result is ``Reconciler.transform``'s
to rounding. The per-block products run as tasks; the aggregates (the total, sectors,
occupation groups spanning regions) and the aggregate-sized solve stay on the client.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from skillcast.distributed.partitions import cluster_client
from skillcast.errors import SkillcastConfigError
from skillcast.reconcile.covariance import ErrorCovariance
from skillcast.reconcile.methods import BottomUp, Reconciler
from skillcast.reconcile.projection import Solver, factorise
from skillcast.reconcile.structure import SummingStructure

if TYPE_CHECKING:  # reconciling in this process needs no Dask
    from distributed import Client

__all__ = ["bottom_blocks", "reconcile_blocks"]


def bottom_blocks(structure: SummingStructure, by: str) -> list[np.ndarray]:
    """Bottom positions (int64, ascending) of each value of the key ``by``, in sorted
    order: the blocks of :func:`reconcile_blocks`, one per region for ``by="region"``."""
    if by not in structure.keys:
        raise SkillcastConfigError(
            f"by={by!r} is not a key of the structure {list(structure.keys)}: blocks hold "
            "whole bottom series, so they are cut along a key."
        )
    codes, _ = pd.factorize(structure.bottom[by], sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return [part.astype(np.int64) for part in np.split(order, bounds)]


def reconcile_blocks(
    reconciler: Reconciler,
    base: np.ndarray,
    blocks: Sequence[np.ndarray],
    client: Client | None = None,
) -> np.ndarray:
    """``reconciler.transform(base)`` with the per-block products run as Dask tasks.

    Args:
        reconciler: a fitted reconciler (its ``fixed`` series, ``nonnegative`` rounds and
            solver apply as in ``transform``).
        base: (n_total, ...) base forecasts, nodes in structure order.
        blocks: bottom positions (0..n_bottom-1) of each block; every bottom series in
            exactly one block (:func:`bottom_blocks`).
        client: the Dask client (default: the current one; with none, the blocks are
            processed one after another in this process, with the same result).

    Returns:
        What ``reconciler.transform(base)`` returns, to rounding.

    Raises:
        SkillcastConfigError: unfitted reconciler, or blocks that do not cover every
            bottom series exactly once.
        SkillcastDataError: as ``transform`` (base of the wrong shape, missing values).
        DistributedFitError: a block's task was lost with its worker past Dask's retries.
    """
    structure = reconciler._check_fitted()
    positions = _check_blocks(blocks, structure.n_bottom)
    if isinstance(reconciler, BottomUp):
        return reconciler.transform(base)  # bottom-up adds up: nothing to solve
    run = _runner(cluster_client(client))
    n_a, cov, solver = structure.n_aggregate, reconciler.covariance_, reconciler.solver
    parts = _blocks(structure, cov, positions)

    def system(fixed: np.ndarray) -> _BlockSystem:
        return _BlockSystem(parts, n_a, cov, ~fixed, solver, run)

    # a shallow copy whose aggregate systems come from the blocks: transform's checks,
    # clipping and fix_zeros rounds (each a new free mask, so a new system) are its own
    proxy = copy.copy(reconciler)
    proxy._system = system  # type: ignore[method-assign, assignment]
    proxy.system_ = system(reconciler.fixed_)  # type: ignore[assignment]
    return proxy.transform(base)


def _check_blocks(blocks: Sequence[np.ndarray], n_bottom: int) -> list[np.ndarray]:
    parts = [np.asarray(block) for block in blocks]
    bad = [i for i, part in enumerate(parts) if part.ndim != 1 or part.dtype.kind not in "iu"]
    if bad:
        raise SkillcastConfigError(
            f"blocks must be 1-d arrays of integer bottom positions; block(s) {bad[:5]} are not."
        )
    parts = [part.astype(np.int64) for part in parts]  # int64 and uint64 would mix to float
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    outside = np.unique(flat[(flat < 0) | (flat >= n_bottom)])
    counts = np.bincount(flat[(flat >= 0) & (flat < n_bottom)], minlength=n_bottom)
    missing, repeated = np.flatnonzero(counts == 0), np.flatnonzero(counts > 1)
    if outside.size or missing.size or repeated.size:
        raise SkillcastConfigError(
            f"blocks must hold each of the {n_bottom} bottom series exactly once: "
            f"{missing.size} are in no block (e.g. {missing[:5].tolist()}), "
            f"{repeated.size} in more than one (e.g. {repeated[:5].tolist()}), "
            f"{outside.size} positions are outside 0..{n_bottom - 1} "
            f"(e.g. {outside[:5].tolist()}); cut them with bottom_blocks(structure, key)."
        )
    return [part for part in parts if part.size]


@dataclass(frozen=True)
class _Block:
    """One block's bottom positions, its rows of ``A'`` (n_p x n_aggregate: rows slice
    cheaply, columns of ``A`` do not) and its rows of ``W``'s bottom part."""

    positions: np.ndarray
    At: sp.csr_matrix
    diag: np.ndarray
    low_rank: np.ndarray | None


def _blocks(
    structure: SummingStructure, cov: ErrorCovariance, positions: list[np.ndarray]
) -> list[_Block]:
    n_a = structure.n_aggregate
    At = structure.A.T.tocsr()
    low = None if cov.low_rank is None else cov.low_rank[n_a:]
    return [
        _Block(pos, At[pos], cov.diag[n_a:][pos], None if low is None else low[pos])
        for pos in positions
    ]


def _block_sums(
    At: sp.csr_matrix, d: np.ndarray, U: np.ndarray | None, b: np.ndarray
) -> tuple[sp.coo_matrix, np.ndarray | None, np.ndarray]:
    """A task: ``A_p diag(d_p) A_p'`` (sparse), ``A_p U_p`` and ``A_p b_p`` of one block."""
    M = (At.T @ sp.diags(d) @ At).tocoo()
    return M, None if U is None else At.T @ U, At.T @ b


def _block_bottoms(
    At: sp.csr_matrix,
    d: np.ndarray,
    U: np.ndarray | None,
    b: np.ndarray,
    x: np.ndarray,
    w: np.ndarray | None,
) -> np.ndarray:
    """A task: the block's reconciled bottoms ``b_p + d_p * (A_p' x) - U_p w``, ``w = V' x``."""
    out = b + d[:, None] * (At @ x)
    if U is not None:
        out -= U @ w
    return out


Runner = Callable[[Callable[..., Any], list[tuple[Any, ...]]], list[Any]]


class _BlockSystem:
    """The aggregate system of one free mask, assembled from the blocks when solved;
    offers ``AggregateSystem.solve`` to the reconciler."""

    def __init__(
        self,
        blocks: list[_Block],
        n_aggregate: int,
        cov: ErrorCovariance,
        free: np.ndarray,
        solver: Solver,
        run: Runner,
    ) -> None:
        self.blocks, self.n_a, self.cov = blocks, n_aggregate, cov
        self.free, self.solver, self.run = free, solver, run

    def solve(self, base_a: np.ndarray, base_b: np.ndarray) -> np.ndarray:
        """Reconciled bottom values (n_bottom x k) from base aggregates and bottoms."""
        if self.n_a == 0:
            return base_b.copy()
        args = []
        for block in self.blocks:
            free = self.free[block.positions]
            U = None if block.low_rank is None else block.low_rank * free[:, None]
            args.append((block.At, block.diag * free, U, base_b[block.positions]))
        sums = self.run(_block_sums, args)
        # one COO matrix of every block's entries and W_a: duplicates add up in tocsc
        diag_a = np.arange(self.n_a)
        M = sp.coo_matrix(
            (
                np.concatenate([self.cov.diag[: self.n_a], *(m.data for m, _, _ in sums)]),
                (
                    np.concatenate([diag_a, *(m.row for m, _, _ in sums)]),
                    np.concatenate([diag_a, *(m.col for m, _, _ in sums)]),
                ),
            ),
            shape=(self.n_a, self.n_a),
        ).tocsc()
        V = None
        if self.cov.low_rank is not None:
            V = self.cov.low_rank[: self.n_a] - sum(au for _, au, _ in sums)
        x = factorise(M, V, self.solver)(base_a - sum(ab for _, _, ab in sums))
        w = None if V is None else V.T @ x
        outs = self.run(_block_bottoms, [(*a, x, w) for a in args])
        out = np.empty_like(base_b)
        for block, values in zip(self.blocks, outs, strict=True):
            out[block.positions] = values
        return out


def _runner(client: Client | None) -> Runner:
    """Runs a function on each argument tuple: as tasks of ``client``, else here."""

    def run(fn: Callable[..., Any], args: list[tuple[Any, ...]]) -> list[Any]:
        if client is None:
            return [fn(*a) for a in args]
        from distributed import KilledWorker

        from skillcast.distributed.local_models import DistributedFitError

        # the block's data goes inside its task, not scattered: a task lost with its
        # worker runs again elsewhere (scattered data would be lost with the worker)
        futures = [client.submit(fn, *a, pure=False) for a in args]
        try:
            return client.gather(futures)
        except KilledWorker as exc:
            raise DistributedFitError(
                f"A block's reconciliation task was lost with its worker more often than "
                f"Dask retries ({exc}). Check the workers' memory and logs, or use smaller "
                "blocks."
            ) from exc
        finally:
            client.cancel(futures)

    return run
