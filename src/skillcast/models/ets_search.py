"""Choosing exponential-smoothing parameters for every series at once.

Three stages, each batched over series (the loops run over grid points, compass passes
and series blocks, never over single series):

1. a coarse grid of smoothing parameters, every point evaluated for every series;
2. a compass search: from each series' best point, one step up and down along each
   parameter (logit scale), moving to the best neighbour or halving the step;
3. initial states by least squares: the one-step errors are affine in the initial
   states (exactly for additive forms, approximately for multiplicative ones), so a
   Gauss-Newton step from the heuristic states solves for the states that minimise the
   squared errors given the smoothing parameters; alternated with shorter compass
   searches four times (a block-coordinate descent on parameters and states).
"""

from __future__ import annotations

import itertools

import numpy as np

from skillcast.models.ets_kernels import EtsForm, simulate

States = tuple[np.ndarray, np.ndarray, np.ndarray]

# bounds of the smoothing parameters; beta and gamma are searched relative to alpha
# (beta = alpha * beta_rel, gamma = (1 - alpha) * gamma_rel) so beta <= alpha and
# gamma <= 1 - alpha, the usual admissible region
_BOUNDS = {
    "alpha": (1e-3, 0.999),
    "beta_rel": (1e-3, 0.999),
    "gamma_rel": (1e-3, 0.999),
    "phi": (0.8, 0.98),
}
_COARSE = {
    "alpha": (0.03, 0.12, 0.3, 0.55, 0.8, 0.97),
    "beta_rel": (0.02, 0.12, 0.5),
    "gamma_rel": (0.02, 0.12, 0.5),
    "phi": (0.86, 0.96),
}
_PASSES = 6  # compass passes after the grid, first step 1 logit unit
# (first step, passes) of the compass searches that follow each initial-state update
_ROUNDS = ((0.5, 4), (0.5, 4), (0.5, 4), (0.25, 3))
_BLOCK = 1 << 15  # grid points x series per block: each state array stays in cache


def params_from_scaled(form: EtsForm, u: np.ndarray) -> dict[str, np.ndarray]:
    """Smoothing parameters from search coordinates ``u`` (dims x ...), logit scale."""
    out: dict[str, np.ndarray] = {}
    for i, dim in enumerate(form.dims):
        lo, hi = _BOUNDS[dim]
        out[dim] = lo + (hi - lo) / (1.0 + np.exp(-u[i]))
    alpha = out["alpha"]
    return {
        "alpha": alpha,
        "beta": alpha * out["beta_rel"] if "beta_rel" in out else np.zeros_like(alpha),
        "gamma": (1 - alpha) * out["gamma_rel"] if "gamma_rel" in out else np.zeros_like(alpha),
        "phi": out.get("phi", np.ones_like(alpha)),
    }


def _scaled(dim: str, value: float) -> float:
    lo, hi = _BOUNDS[dim]
    p = (value - lo) / (hi - lo)
    return float(np.log(p / (1 - p)))


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
        params = params_from_scaled(form, u[:, :, cols])
        run = simulate(values[:, cols], mask[:, cols], form, m, params, _subset(init, cols))
        lik[:, cols] = run.lik
    return lik


def _grid(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, init: States
) -> tuple[np.ndarray, np.ndarray]:
    """Best coarse-grid coordinates (dims x series) and their likelihood term."""
    n_series = values.shape[1]
    axes = [[_scaled(d, v) for v in _COARSE[d]] for d in form.dims]
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


def _directions(form: EtsForm, m: int) -> list[tuple[str, int]]:
    """Free directions of the initial states: level, trend, and m - 1 seasonal contrasts
    (raise slot j, lower slot m - 1) that keep the seasonal sum fixed."""
    dirs = [("level", 0)]
    if form.trend != "N":
        dirs.append(("trend", 0))
    if form.season != "N":
        dirs += [("season", j) for j in range(m - 1)]
    return dirs


def _perturbed(init: States, dirs: list[tuple[str, int]], size: np.ndarray, m: int) -> States:
    """Initial states for the base point (grid row 0) and one step along each direction."""
    n_grid = len(dirs) + 1
    level = np.repeat(init[0][None, :], n_grid, axis=0)
    trend = np.repeat(init[1][None, :], n_grid, axis=0)
    season = np.repeat(init[2][:, None, :], n_grid, axis=1)
    for g, (kind, j) in enumerate(dirs, start=1):
        if kind == "level":
            level[g] += size[g - 1]
        elif kind == "trend":
            trend[g] += size[g - 1]
        else:
            season[j, g] += size[g - 1]
            season[m - 1, g] -= size[g - 1]
    return level, trend, season


def _shifted(init: States, dirs: list[tuple[str, int]], delta: np.ndarray, m: int) -> States:
    """``init`` moved by ``delta`` (directions x series)."""
    level, trend, season = init[0].copy(), init[1].copy(), init[2].copy()
    for i, (kind, j) in enumerate(dirs):
        if kind == "level":
            level += delta[i]
        elif kind == "trend":
            trend += delta[i]
        else:
            season[j] += delta[i]
            season[m - 1] -= delta[i]
    return level, trend, season


def _gauss_newton_step(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, u: np.ndarray, init: States
) -> States:
    """Initial states after one Gauss-Newton step on the squared one-step errors."""
    dirs = _directions(form, m)
    n_dirs = len(dirs)
    scale = np.maximum(np.abs(values).sum(axis=0) / np.maximum(mask.sum(axis=0), 1), 1e-6)
    # finite-difference steps; exact for additive forms whatever their size
    unit = {"level": 1e-2, "trend": 1e-3, "season": 1e-2}
    relative = np.ones_like(scale)  # a multiplicative season's slots are ratios
    size = np.stack(
        [unit[k] * (relative if k == "season" and form.season == "M" else scale) for k, _ in dirs]
    )
    params = params_from_scaled(form, u[:, None, :])
    run = simulate(values, mask, form, m, params, _perturbed(init, dirs, size, m), keep_errors=True)
    errors = run.errors  # (periods, 1 + dirs, series)
    assert errors is not None
    base = errors[:, 0]
    jac = (errors[:, 1:] - base[:, None]) / size[None]  # (periods, dirs, series)
    normal = np.einsum("tpn,tqn->npq", jac, jac)
    rhs = -np.einsum("tpn,tn->np", jac, base)
    bad = ~(np.isfinite(normal).all(axis=(1, 2)) & np.isfinite(rhs).all(axis=1))
    normal[bad], rhs[bad] = np.eye(n_dirs), 0.0
    ridge = 1e-9 * np.trace(normal, axis1=1, axis2=2) / n_dirs + 1e-12
    delta = np.linalg.solve(normal + ridge[:, None, None] * np.eye(n_dirs), rhs[..., None])
    return _shifted(init, dirs, delta[..., 0].T, m)


def fit_initial_states(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    u: np.ndarray,
    init: States,
    lik: np.ndarray,
) -> tuple[States, np.ndarray]:
    """Least-squares initial states given the smoothing parameters ``u``.

    Series with fewer than three observations per free initial state keep their
    heuristic states (too few to estimate them), as does any series whose likelihood
    the step does not improve.

    Returns:
        ``(init, lik)`` after the update.
    """
    n_series = values.shape[1]
    n_dirs = len(_directions(form, m))
    enough = mask.sum(axis=0) >= 3 * n_dirs
    iterations = 1 if not form.multiplicative else 3  # additive: one step is exact
    per_block = max(1, _BLOCK // (n_dirs + 1))
    level, trend, season = init[0].copy(), init[1].copy(), init[2].copy()
    lik = lik.copy()
    for lo in range(0, n_series, per_block):  # blocks of series, for memory
        cols = slice(lo, lo + per_block)
        v, w, ub = values[:, cols], mask[:, cols], u[:, cols]
        current = (level[cols], trend[cols], season[:, cols])
        for _ in range(iterations):
            with np.errstate(all="ignore"):
                trial = _gauss_newton_step(v, w, form, m, ub, current)
            trial_lik = simulate(
                v, w, form, m, params_from_scaled(form, ub[:, None, :]), trial
            ).lik[0]
            accept = enough[cols] & (trial_lik < lik[cols])
            current = tuple(
                np.where(accept, new, old) for new, old in zip(trial, current, strict=True)
            )
            lik[cols] = np.where(accept, trial_lik, lik[cols])
        level[cols], trend[cols], season[:, cols] = current
    return (level, trend, season), lik


def search_form(
    values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int, init: States
) -> tuple[np.ndarray, np.ndarray, States]:
    """Smoothing parameters and initial states per series for one form.

    Args:
        values, mask: (periods x series) left-aligned data and observed mask.
        init: heuristic initial states from :func:`~skillcast.models.ets_kernels.initial_states`.

    Returns:
        ``(u, lik, init)``: search coordinates (dims x series, see
        :func:`params_from_scaled`), the -2 log-likelihood term, and the initial states.
    """
    u, lik = _grid(values, mask, form, m, init)
    u, lik = _compass(values, mask, form, m, init, u, lik, step=1.0, passes=_PASSES)
    # alternate: states given the parameters, then parameters given the states (the
    # best parameters with heuristic states are often far from the joint optimum)
    for step, passes in _ROUNDS:
        init, lik = fit_initial_states(values, mask, form, m, u, init, lik)
        u, lik = _compass(values, mask, form, m, init, u, lik, step=step, passes=passes)
    return u, lik, init
