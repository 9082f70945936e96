"""The rolling-origin engine: forecasts from earlier origins of a panel, and what is
learned from them.

Backtests (:func:`skillcast.backtest.backtest`), the validation that weights and routes
the members of :class:`~skillcast.models.ensemble.Ensemble` and
:class:`~skillcast.models.auto.AutoForecaster`, and conformal calibration
(:mod:`skillcast.models.calibration`) all lay out origins with :func:`origin_positions`,
refit at an origin with :func:`fit_until`, hand known drivers over with
:func:`future_exog` and scale errors with :func:`training_scales`. At an origin a model
sees only the rows up to and including it (``panel.until(origin)``).

Errors per series are MASE terms (|error| over the series' in-sample seasonal-naive MAE
up to the origin, as :mod:`skillcast.metrics` scores backtests) or WAPE terms; a
group's error is the mean of its series' MASE, or its WAPE.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.errors import SkillcastConfigError
from skillcast.models.calibration import actuals
from skillcast.panel import Panel

METRICS = ("mase", "wape")


@dataclass
class RollingForecasts:
    """Point forecasts from rolling origins inside a panel.

    Attributes:
        origins: positions in ``panel.periods`` forecast from, oldest first.
        forecasts: (series x origins x horizon), NaN for series absent at an origin.
        groups: (series,) residual pool of each series, or None for the forecaster's
            ``intervals.groups``.
    """

    origins: list[int]
    forecasts: np.ndarray
    groups: np.ndarray | None = None


def origin_positions(n_periods: int, horizon: int, windows: int, step: int = 1) -> np.ndarray:
    """Positions of ``windows`` origins, oldest first: the last is ``n_periods - 1 -
    horizon`` (its forecasts end at the last period), earlier ones ``step`` apart."""
    last = n_periods - 1 - horizon
    return last - step * np.arange(windows - 1, -1, -1, dtype=np.int64)


def validation_origins(
    panel: Panel, windows: int, horizon: int | None = None
) -> tuple[list[int], int]:
    """Validation origins (positions, oldest first) and the horizon they forecast.

    ``horizon`` ``None`` is twice the season length, at least 4 periods. A panel too
    short for the horizon gets a shorter one; origins that would leave fewer than two
    periods of training data are dropped.
    """
    wanted = max(4, 2 * panel.freq.season_length) if horizon is None else int(horizon)
    if wanted < 1:
        raise SkillcastConfigError(f"validation horizon must be >= 1, got {horizon!r}")
    last = panel.n_periods - 1
    if last < 2 or int(windows) < 1:
        raise SkillcastConfigError(
            f"Rolling-origin validation needs at least 3 periods and 1 window (panel has "
            f"{panel.n_periods} periods, windows={windows}); pass levels=() for point "
            "forecasts only."
        )
    wanted = min(wanted, last - 1)
    positions = origin_positions(panel.n_periods, wanted, int(windows))
    return [int(o) for o in positions if o >= 1], wanted


def future_exog(panel: Panel, origin: int, horizon: int) -> pd.DataFrame | None:
    """Known-in-advance drivers of the ``horizon`` periods after position ``origin``.

    One row per series and period (NaN where the panel has no value), so a forecast
    from an origin finds a value for every series, even one that stopped reporting.
    Observed-only drivers are never passed.
    """
    spec = panel.spec
    stop = min(int(origin) + 1 + horizon, panel.n_periods)
    if not spec.known_exog or stop <= origin + 1:
        return None
    periods = panel.periods[int(origin) + 1 : stop]
    n = panel.n_series
    frame = panel.series.loc[np.repeat(np.arange(n), len(periods))].reset_index(drop=True)
    frame[spec.period] = np.tile(np.asarray(periods), n)
    for column in spec.known_exog:
        frame[column] = panel.dense(column)[:, int(origin) + 1 : stop].reshape(-1)
    return frame


def fit_until(forecaster: Any, panel: Panel, origin: int, levels: bool = True) -> tuple[Panel, Any]:
    """The data up to position ``origin`` and an unfitted clone of ``forecaster`` fitted on
    it (without intervals when ``levels`` is False)."""
    known = panel.until(panel.periods[int(origin)])
    model = clone(forecaster)
    if not levels:
        model.set_params(levels=())
    return known, model.fit(known)


def refit_forecasts(
    forecaster: Any, panel: Panel, origins: Sequence[int], horizon: int
) -> np.ndarray:
    """Point forecasts from each origin by a clone refitted on the data up to it.

    The default :meth:`~skillcast.models.base.Forecaster.rolling_forecast`.

    Returns:
        (series x origins x horizon), clipped at 0, NaN for series absent at an origin.
    """
    out = np.full((panel.n_series, len(origins), horizon), np.nan)
    index = pd.MultiIndex.from_frame(panel.series)
    for k, pos in enumerate(origins):  # a handful of windows
        known, model = fit_until(forecaster, panel, int(pos), levels=False)
        mean = model.predict_dense(horizon, future_exog(panel, int(pos), horizon))
        rows = index.get_indexer(pd.MultiIndex.from_frame(known.series))
        out[rows, k, :] = np.clip(mean, 0.0, None)
    return out


def training_scales(
    y: np.ndarray, origins: object = None, season_length: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """In-sample seasonal-naive MAE and RMSE of each series up to each origin.

    ``y`` is (series x periods), NaN where unobserved; ``origins`` are period positions
    (default: the last). Differences y[t] - y[t - season_length] with t <= origin are
    used; a series with no such pair falls back to lag-1 differences, and one with
    neither gets NaN. Returns two (series x origins) arrays.
    """
    y = np.asarray(y, dtype=float)
    origins = np.atleast_1d(np.asarray(y.shape[1] - 1 if origins is None else origins))
    stats = [_cumulative_diffs(y, lag, origins) for lag in dict.fromkeys((season_length, 1))]
    n, s_abs, s_sq = stats[0]
    if len(stats) > 1:  # lag-1 where the seasonal lag has no pair yet
        short = n == 0
        n, s_abs, s_sq = (np.where(short, b, a) for a, b in zip(stats[0], stats[1], strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, s_abs / n, np.nan), np.where(n > 0, np.sqrt(s_sq / n), np.nan)


def _cumulative_diffs(
    y: np.ndarray, lag: int, origins: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Count, sum |d| and sum d^2 of lag-``lag`` differences up to each origin."""
    d = y[:, lag:] - y[:, :-lag] if y.shape[1] > lag else np.zeros((y.shape[0], 0))
    ok = np.isfinite(d)
    # column j of the cumulative sums holds the differences ending at or before j + lag
    cums = [
        np.cumsum(x, axis=1) for x in (ok, np.where(ok, np.abs(d), 0.0), np.where(ok, d * d, 0.0))
    ]
    idx = origins - lag
    take = (idx >= 0) & (idx < d.shape[1])
    out = []
    for c in cums:
        vals = np.zeros((y.shape[0], origins.size))
        vals[:, take] = c[:, idx[take]]
        out.append(vals)
    return out[0], out[1], out[2]


def series_errors(
    panel: Panel, origins: Sequence[int], forecasts: np.ndarray, metric: str = "mase"
) -> tuple[np.ndarray, np.ndarray]:
    """Per-series error terms of stacked forecasts.

    Args:
        forecasts: (members x series x origins x horizon).

    Returns:
        ``(numerator, denominator)``, each (members x series): the summed scaled
        absolute errors and the number of scored cells (``"mase"``), or the summed
        absolute errors and absolute actuals (``"wape"``). A cell counts only where
        every member has a forecast, so members are compared on the same cells.
    """
    if metric not in METRICS:
        raise SkillcastConfigError(f"metric must be one of {METRICS}, got {metric!r}")
    y = actuals(panel, origins, forecasts.shape[-1])
    scored = np.isfinite(y) & np.isfinite(forecasts).all(axis=0)
    err = np.where(scored, np.abs(forecasts - y), 0.0)
    if metric == "mase":
        scale, _ = training_scales(panel.dense(), np.asarray(origins), panel.freq.season_length)
        ok = scored & (scale > 0)[:, :, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            q = np.where(ok, err / scale[:, :, None], 0.0)
        return q.sum(axis=(2, 3)), np.broadcast_to(ok.sum(axis=(1, 2)), q.shape[:2])
    actual = np.where(scored, np.abs(y), 0.0).sum(axis=(1, 2))  # (series,): same cells
    return err.sum(axis=(2, 3)), np.broadcast_to(actual, err.shape[:2])


def group_errors(
    numerator: np.ndarray, denominator: np.ndarray, groups: np.ndarray, metric: str = "mase"
) -> np.ndarray:
    """Error of each member in each group, (members x groups); NaN for an unscored group.

    MASE: mean over the group's scored series of their own MASE; WAPE: the group's
    summed absolute errors over its summed actuals.
    """
    n_groups = int(groups.max()) + 1 if groups.size else 0
    out = np.full((numerator.shape[0], n_groups), np.nan)
    for j in range(numerator.shape[0]):  # a handful of members
        if metric == "mase":
            scored = denominator[j] > 0
            per_series = np.where(scored, numerator[j] / np.maximum(denominator[j], 1), 0.0)
            total = np.bincount(groups, weights=per_series, minlength=n_groups)
            count = np.bincount(groups, weights=scored, minlength=n_groups)
        else:
            total = np.bincount(groups, weights=numerator[j], minlength=n_groups)
            count = np.bincount(groups, weights=denominator[j], minlength=n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[j] = np.where(count > 0, total / count, np.nan)
    return out


def inverse_error_weights(errors: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Weights proportional to ``1 / error**power`` per column (group), summing to 1.

    A member with zero error in a group takes all of it (shared among ties); a group
    without any finite error gets equal weights.
    """
    errors = np.asarray(errors, dtype=float)
    finite = np.isfinite(errors)
    perfect = finite & (errors <= 0)
    with np.errstate(divide="ignore"):
        inv = np.where(finite & ~perfect, 1.0 / np.where(perfect, 1.0, errors) ** power, 0.0)
    inv = np.where(perfect.any(axis=0), perfect.astype(float), inv)
    total = inv.sum(axis=0)
    equal = np.full_like(inv, 1.0 / max(inv.shape[0], 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, inv / total, equal)


def convex_weights(
    panel: Panel,
    origins: Sequence[int],
    pair: np.ndarray,
    groups: np.ndarray,
    metric: str = "mase",
    grid: int = 21,
    tolerance: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """The weight w of the second of two forecasts in ``(1 - w) a + w b`` with the least
    validation error, per group, searched on ``grid`` evenly spaced values in [0, 1]:
    the mean of the grid values whose error is within ``tolerance`` (relative) of the
    least.

    Unlike inverse-error weights this accounts for how the two members' errors
    correlate, and gives 0 or 1 when one member adds nothing. Why the mean of the near
    best: the validation error is flat around its minimum, and which grid value wins on
    a few correlated windows is noise. The centre of the near-best set moves less
    between neighbouring origins than the argmin. The AutoForecaster's held-out MASE,
    ``tolerance`` 0.01 against 0: ONS JOBS05 quarterly 1.1298 against 1.1310 (3
    origins), US CES monthly 0.3878 against 0.3879, the bundled sample 1.1693 against
    1.1718 (4 origins each), with gains on all three for tolerances from 0.0075 to
    0.02; the annual Eurostat extract 2.477 against 2.471 (few periods: noisy either
    way).

    Args:
        pair: (2 x series x origins x horizon) validation forecasts.
        groups: (series,) group ids.

    Returns:
        ``(weights, errors)``: (2 x groups) weights of the two members (a group with no
        scored series gets 0.5 each) and the (grid x groups) error of every candidate.
    """
    if not tolerance >= 0:
        raise SkillcastConfigError(f"tolerance must be >= 0, got {tolerance!r}")
    w = np.linspace(0.0, 1.0, int(grid))
    combos = (1 - w)[:, None, None, None] * pair[0] + w[:, None, None, None] * pair[1]
    num, den = series_errors(panel, origins, combos, metric)
    errors = group_errors(num, den, groups, metric)
    scored = np.isfinite(errors).any(axis=0)
    finite = np.where(np.isfinite(errors), errors, np.inf)
    near = finite <= finite.min(axis=0) * (1 + tolerance)  # (grid x groups)
    with np.errstate(invalid="ignore"):
        best = (w[:, None] * near).sum(axis=0) / near.sum(axis=0)
    best = np.where(scored, best, 0.5)
    return np.stack([1 - best, best]), errors


def parse_by(by: str | Sequence[str] | None) -> list[tuple[str, int | None]]:
    """``by`` as (key column, prefix length) pairs; ``"occupation:1"`` = first character."""
    if by is None:
        return []
    items = [by] if isinstance(by, str) else list(by)
    out: list[tuple[str, int | None]] = []
    for item in items:
        column, _, n = str(item).partition(":")
        if n and not n.isdigit():
            raise SkillcastConfigError(
                f"by={item!r}: write a key column, or 'column:n' for the first n characters "
                "of its codes (e.g. 'occupation:1' for the occupation major group)."
            )
        out.append((column, int(n) if n else None))
    return out


def series_groups(panel: Panel, by: str | Sequence[str] | None) -> tuple[np.ndarray, pd.DataFrame]:
    """Group id of each series (panel order) and the table of groups (one row per id)."""
    parts = parse_by(by)
    if not parts:
        return np.zeros(panel.n_series, dtype=np.int64), pd.DataFrame({"group": ["all"]})
    missing = [c for c, _ in parts if c not in panel.series.columns]
    if missing:
        raise SkillcastConfigError(
            f"by names {missing}, not key columns of the panel {list(panel.series.columns)}."
        )
    labels = pd.DataFrame(
        {
            (c if n is None else f"{c}:{n}"): panel.series[c].astype(str).str[:n]
            if n
            else panel.series[c].astype(str)
            for c, n in parts
        }
    )
    ids = labels.groupby(list(labels.columns), sort=True).ngroup().to_numpy(dtype=np.int64)
    table = labels.assign(_id=ids).drop_duplicates("_id").sort_values("_id")
    return ids, table.drop(columns="_id").reset_index(drop=True)


def member_names(forecasters: Sequence[object] | Mapping[str, object]) -> list[str]:
    """Names of ensemble members: dict keys, else class names (numbered when repeated)."""
    if isinstance(forecasters, Mapping):
        return [str(k) for k in forecasters]
    names = [type(f).__name__ for f in forecasters]
    return [
        f"{n}_{names[:i].count(n) + 1}" if names.count(n) > 1 else n for i, n in enumerate(names)
    ]
