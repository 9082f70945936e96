"""Joint refinement of smoothing parameters and initial states, every series at once.

The -2 log-likelihood term of an exponential-smoothing fit is ``n log(sum(r_t^2) / n)``
for residuals ``r_t = e_t * g``: the one-step errors ``e_t`` (relative errors for a
multiplicative-error form) times, for a multiplicative error, the geometric mean ``g``
of the one-step forecasts (``g = 1`` for an additive error). Minimising it is therefore a
nonlinear least-squares problem in the smoothing parameters (logit scale, see
:func:`~skillcast.models.ets_kernels.params_from_scaled`) and the free initial states
(level, trend and ``m - 1`` seasonal contrasts, so the seasonal sum stays fixed), and
Levenberg-Marquardt solves it for all series in one batch: a forward-difference
Jacobian is one :func:`~skillcast.models.ets_kernels.simulate` call over a small grid
(the base point and one step along each coordinate), the damped Gauss-Newton systems
are solved together, and a few damping values are tried at once, each series keeping
the best that lowers its likelihood.
"""

from __future__ import annotations

import numpy as np

from skillcast.models.ets_kernels import EtsForm, Simulation, params_from_scaled, simulate

States = tuple[np.ndarray, np.ndarray, np.ndarray]

_STEP = 1e-5  # forward-difference step, in scaled coordinates
_DAMPING = (0.1, 1.0, 10.0)  # damping multipliers tried in each iteration
_LOGIT_LIMIT = 12.0  # a parameter this far out is at its bound; no further
_BLOCK = 1 << 13  # series per block, so the Jacobian array stays small


def state_directions(form: EtsForm, m: int) -> list[tuple[str, int]]:
    """Free directions of the initial states: level, trend, and m - 1 seasonal contrasts
    (raise slot j, lower slot m - 1) that keep the seasonal sum fixed."""
    dirs = [("level", 0)]
    if form.trend != "N":
        dirs.append(("trend", 0))
    if form.season != "N":
        dirs += [("season", j) for j in range(m - 1)]
    return dirs


def shift_states(init: States, dirs: list[tuple[str, int]], delta: np.ndarray, m: int) -> States:
    """``init`` (level, trend: (series,) or (grid, series); season (m, ...)) moved by
    ``delta`` (directions x ...) along ``dirs``."""
    shape = np.broadcast_shapes(np.shape(init[0]), delta.shape[1:])
    level = np.broadcast_to(init[0], shape).copy()
    trend = np.broadcast_to(init[1], shape).copy()
    season0 = init[2] if init[2].ndim == len(shape) + 1 else init[2][:, None]
    season = np.broadcast_to(season0, (m, *shape)).copy()
    for i, (kind, j) in enumerate(dirs):
        if kind == "level":
            level += delta[i]
        elif kind == "trend":
            trend += delta[i]
        else:
            season[j] += delta[i]
            season[m - 1] -= delta[i]
    return level, trend, season


def state_scale(values: np.ndarray, mask: np.ndarray, form: EtsForm, m: int) -> np.ndarray:
    """Units of each state direction per series (directions x series): the mean absolute
    observation for level, trend and an additive season, 1 for a multiplicative season
    (its slots are ratios)."""
    scale = np.maximum(np.abs(values).sum(axis=0) / np.maximum(mask.sum(axis=0), 1), 1e-6)
    rows = [
        np.ones_like(scale) if kind == "season" and form.season == "M" else scale
        for kind, _ in state_directions(form, m)
    ]
    return np.stack(rows)


def _residual_factor(run_lik: np.ndarray, errors: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Factor g turning the one-step errors into least-squares residuals (grid x series):
    ``n log(sum((g e)^2) / n)`` equals the likelihood term."""
    sse = np.einsum("tgn,tgn->gn", errors, errors)
    with np.errstate(all="ignore"):
        factor = np.sqrt(np.exp(run_lik / n) * n / sse)
    return np.where(np.isfinite(factor), factor, 0.0)


def _split(x: np.ndarray, n_params: int) -> tuple[np.ndarray, np.ndarray]:
    """Logit parameters and state offsets of coordinates ``x`` (coordinates x ...)."""
    return np.clip(x[:n_params], -_LOGIT_LIMIT, _LOGIT_LIMIT), x[n_params:]


def _simulate_at(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    points: np.ndarray,
    init: States,
    scale: np.ndarray,
    keep_errors: bool = False,
) -> Simulation:
    """Run the recursions at coordinate ``points`` (coordinates x grid x series)."""
    u, offsets = _split(points, len(form.dims))
    dirs = state_directions(form, m)
    states = shift_states(init, dirs, offsets * scale[:, None, :], m)
    return simulate(
        values, mask, form, m, params_from_scaled(form, u, m), states, keep_errors=keep_errors
    )


def _iterate(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    x: np.ndarray,
    init: States,
    scale: np.ndarray,
    lik: np.ndarray,
    damping: np.ndarray,
    free: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Levenberg-Marquardt iteration for a block of series.

    Args:
        x: (coordinates x series): logit parameters, then state offsets in ``scale`` units.
        init: the states that the offsets are measured from.
        damping: per-series damping factor.
        free: indices of the coordinates to move.

    Returns:
        ``(x, lik, damping)`` after the iteration.
    """
    n_coords = len(free)
    n = np.maximum(mask.sum(axis=0), 1)
    # base point and one forward step along each free coordinate, as one grid
    grid = np.repeat(x[:, None, :], n_coords + 1, axis=1)
    grid[free, np.arange(1, n_coords + 1)] += _STEP
    run = _simulate_at(values, mask, form, m, grid, init, scale, keep_errors=True)
    errors = run.errors
    if errors is None:
        raise RuntimeError("simulate(keep_errors=True) returned no errors")
    # in place, to spare (periods x grid x series) temporaries: residuals, then the
    # differences from the base point (the Jacobian times the step)
    errors *= _residual_factor(run.lik, errors, n)[None]
    errors[:, 1:] -= errors[:, :1]
    diff, base = errors[:, 1:], errors[:, 0]
    # batched matrix products (BLAS) rather than einsum, which does not use BLAS for
    # this contraction and took a third of a monthly fit
    by_series = diff.transpose(2, 1, 0)  # (series, coords, periods), a view
    normal = by_series @ by_series.transpose(0, 2, 1)
    gradient = (by_series @ base.T[:, :, None])[..., 0]
    bad = ~(np.isfinite(normal).all(axis=(1, 2)) & np.isfinite(gradient).all(axis=1))
    normal[bad], gradient[bad] = np.eye(n_coords), 0.0
    diag = np.einsum("npp->np", normal)
    floor = 1e-10 * diag.max(axis=1, keepdims=True) + 1e-300
    factors = np.asarray(_DAMPING)
    # (damping tries, series, coords, coords) systems, solved together; the steps come
    # out in units of the difference step
    systems = np.repeat(normal[None], len(factors), axis=0)
    diagonal = systems.reshape(*systems.shape[:2], -1)[..., :: n_coords + 1]
    diagonal += np.maximum(diag, floor)[None] * (factors[:, None] * damping[None, :])[..., None]
    rhs = np.broadcast_to(gradient, systems.shape[:3])[..., None]
    delta = np.linalg.solve(systems, rhs)[..., 0] * -_STEP
    trial = np.repeat(x[:, None, :], len(factors), axis=1)  # (coords, tries, series)
    trial[free] += np.moveaxis(delta, 2, 0)
    trial_lik = _simulate_at(values, mask, form, m, trial, init, scale).lik
    pick = np.argmin(trial_lik, axis=0)
    cols = np.arange(x.shape[1])
    best = trial_lik[pick, cols]
    better = best < lik
    x = np.where(better, trial[:, pick, cols], x)
    lik = np.where(better, best, lik)
    # shrink the damping after a success, raise it sharply after a failure
    damping = np.where(better, factors[pick] * damping / 3, damping * 100)
    return x, lik, damping


def refine_jointly(
    values: np.ndarray,
    mask: np.ndarray,
    form: EtsForm,
    m: int,
    u: np.ndarray,
    init: States,
    lik: np.ndarray,
    iterations: int = 15,
    tol: float = 1e-5,
    states_only: bool = False,
) -> tuple[np.ndarray, np.ndarray, States]:
    """Levenberg-Marquardt on smoothing parameters and initial states together (or on the
    initial states alone, given the parameters, with ``states_only``).

    Args:
        values, mask: (periods x series) left-aligned data and observed mask.
        u: starting logit parameters (dims x series); ``init`` starting states and ``lik``
            their likelihood term.
        iterations: at most this many iterations; a series stops once an iteration
            lowers its likelihood term by less than ``tol`` (relative) or its damping
            grows past any useful step.

    Returns:
        ``(u, lik, init)`` at the refined point. Series with fewer observations than
        two per coordinate are left as they were (the problem is underdetermined).
    """
    n_params = len(form.dims)
    n_series = values.shape[1]
    n_coords = n_params + len(state_directions(form, m))
    scale = state_scale(values, mask, form, m)
    x = np.concatenate([u, np.zeros((n_coords - n_params, n_series))])
    free = np.arange(n_params if states_only else 0, n_coords)
    lik = lik.copy()
    damping = np.full(n_series, 1e-3)
    active = np.isfinite(lik) & (mask.sum(axis=0) >= 2 * n_coords)
    for _ in range(iterations):
        cols = np.flatnonzero(active)
        if not cols.size:
            break
        for lo in range(0, cols.size, _BLOCK):  # blocks of series, for memory
            sub = cols[lo : lo + _BLOCK]
            before = lik[sub]
            with np.errstate(all="ignore"):
                x[:, sub], lik[sub], damping[sub] = _iterate(
                    values[:, sub],
                    mask[:, sub],
                    form,
                    m,
                    x[:, sub],
                    (init[0][sub], init[1][sub], init[2][:, sub]),
                    scale[:, sub],
                    before,
                    damping[sub],
                    free,
                )
            gain = before - lik[sub]
            converged = (gain > 0) & (gain < tol * np.maximum(np.abs(before), 1.0))
            active[sub] = ~converged & (damping[sub] < 1e8)
    u_out, offsets = _split(x, n_params)
    states = shift_states(init, state_directions(form, m), offsets * scale, m)
    return u_out, lik, states
