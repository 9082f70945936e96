"""Choosing exponential-smoothing parameters and initial states for every series at once.

The likelihood of a short series often has several local optima in the smoothing
parameters, so each series is optimised from two starts, side by side in one batch:

1. the best point of a coarse grid of smoothing parameters (every point evaluated for
   every series with the heuristic initial states), improved by a compass search: one
   step up and down along each parameter (logit scale), moving to the best neighbour or
   halving the step;
2. light smoothing (alpha 0.05, beta and gamma small, phi near 1), the start of Hyndman
   et al.'s ``ets``.

From each start, Levenberg-Marquardt refines the smoothing parameters and initial
states jointly (:mod:`skillcast.models.ets_refine`). The grid's optimum is kept unless
the light-smoothing one has a clearly higher likelihood: the grid finds the adaptive
fits that suit series with level shifts, while the light start reaches the smooth fits
that a grid with heuristic states misses. Loops run over grid points, compass passes
and series blocks, never over single series.
"""

from __future__ import annotations

import itertools

import numpy as np

from skillcast.models.ets_kernels import EtsForm, params_from_scaled, scaled_value, simulate
from skillcast.models.ets_refine import States, refine_jointly

_COARSE = {
    "alpha": (0.03, 0.12, 0.3, 0.55, 0.8, 0.97),
    "beta_rel": (0.02, 0.12, 0.5),
    "gamma_rel": (0.02, 0.12, 0.5),
    "phi": (0.86, 0.96),
}
_LIGHT = {"alpha": 0.05, "beta_rel": 0.1, "gamma_rel": 0.05, "phi": 0.978}
_PASSES = 6  # compass passes after the grid, first step 1 logit unit
# the light-smoothing optimum replaces the grid's when its -2 log-likelihood is lower
# by more than this
_PREFER_GRID = 0.5
_BLOCK = 1 << 15  # grid points x series per block: each state array stays in cache
_WARM_ITERATIONS = 6  # joint refinement from a warm start (see refine_from)


def _subset(init: States, cols: slice) -> States:
    return init[0][cols], init[1][cols], init[2][:, cols]


def _evaluate(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, u: np.ndarray, init: States
) -> np.ndarray:
    """Likelihood term (grid x series) for coordinates ``u`` of shape (dims, grid, series)."""
    n_series, n_grid = values.shape[1], u.shape[1]
    per_block = max(1, _BLOCK // max(n_grid, 1))
    lik = np.empty((n_grid, n_series))
    for lo in range(0, n_series, per_block):  # blocks of series, for memory
        cols = slice(lo, lo + per_block)
        params = params_from_scaled(form, u[:, :, cols], m)
        run = simulate(values[:, cols], mask[:, cols], form, m, params, _subset(init, cols))
        lik[:, cols] = run.lik
    return lik


def _grid(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, init: States
) -> tuple[np.ndarray, np.ndarray]:
    """Best coarse-grid coordinates (dims x series) and their likelihood term."""
    n_series = values.shape[1]
    axes = [[scaled_value(d, v) for v in _COARSE[d]] for d in form.dims]
    grid = np.array(list(itertools.product(*axes))).T  # (dims, grid points)
    coarse = np.broadcast_to(grid[:, :, None], (*grid.shape, n_series))
    lik = _evaluate(values, mask, form, m, coarse, init)
    best = np.argmin(lik, axis=0)
    return grid[:, best], lik[best, np.arange(n_series)]


def _compass(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    init: States,
    u: np.ndarray,
    lik: np.ndarray,
    step: float,
    passes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched compass search from ``u``; each series keeps its own step size."""
    n_series, n_dims = values.shape[1], u.shape[0]
    steps = np.full(n_series, step)
    offsets = np.concatenate([np.eye(n_dims), -np.eye(n_dims)], axis=1)  # (dims, 2 dims)
    cols = np.arange(n_series)
    for _ in range(passes):
        trial = u[:, None, :] + offsets[:, :, None] * steps[None, None, :]
        lik_trial = _evaluate(values, mask, form, m, trial, init)
        pick = np.argmin(lik_trial, axis=0)
        lik_pick = lik_trial[pick, cols]
        with np.errstate(invalid="ignore"):  # inf - inf where a series fits no point
            better = lik_pick < lik - 1e-9 * np.abs(lik)
        u = np.where(better, trial[:, pick, cols], u)
        lik = np.where(better, lik_pick, lik)
        steps = np.where(better, steps, steps / 2)
    return u, lik


def search_form(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, init: States
) -> tuple[np.ndarray, np.ndarray, States]:
    """Smoothing parameters and initial states per series for one form.

    Args:
        values, mask: (periods x series) left-aligned data and observed mask.
        init: heuristic initial states from :func:`~skillcast.models.ets_kernels.initial_states`.

    Returns:
        ``(u, lik, init)``: search coordinates (dims x series, see
        :func:`~skillcast.models.ets_kernels.params_from_scaled`), the -2 log-likelihood
        term, and the initial states.
    """
    n_series = values.shape[1]
    u_grid, lik_grid = _grid(values, mask, form, m, init)
    u_grid, _ = _compass(values, mask, form, m, init, u_grid, lik_grid, step=1.0, passes=_PASSES)
    u_light = np.repeat([[scaled_value(d, _LIGHT[d])] for d in form.dims], n_series, axis=1)
    # both starts side by side: columns [grid starts | light starts]
    twice = np.concatenate([values, values], axis=1), np.concatenate([mask, mask], axis=1)
    u = np.concatenate([u_grid, u_light.reshape(-1, n_series)], axis=1)
    start = (np.tile(init[0], 2), np.tile(init[1], 2), np.tile(init[2], 2))
    lik = simulate(*twice, form, m, params_from_scaled(form, u[:, None, :], m), start).lik[0]
    # states first, given the starting parameters, so the joint search starts in the
    # basin of those parameters; then parameters and states together
    _, lik, start = refine_jointly(*twice, form, m, u, start, lik, iterations=3, states_only=True)
    u, lik, fitted = refine_jointly(*twice, form, m, u, start, lik)
    with np.errstate(invalid="ignore"):  # inf - inf where neither start fits
        light = lik[n_series:] < lik[:n_series] - _PREFER_GRID
    pick = np.arange(n_series) + n_series * light
    return u[:, pick], lik[pick], (fitted[0][pick], fitted[1][pick], fitted[2][:, pick])


def refine_from(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    u: np.ndarray,
    init: States,
    iterations: int = _WARM_ITERATIONS,
) -> tuple[np.ndarray, np.ndarray, States]:
    """Like :func:`search_form`, from one known good start per series: the optimum of the
    same series on fewer periods (a rolling origin before this one). One start and a few
    Levenberg-Marquardt iterations instead of the grid, the compass search and two
    starts, since the optimum moves little when a few periods are added."""
    params = params_from_scaled(form, u[:, None, :], m)
    lik = simulate(values, mask, form, m, params, init).lik[0]
    return refine_jointly(values, mask, form, m, u, init, lik, iterations=iterations)
