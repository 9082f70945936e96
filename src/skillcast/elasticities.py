"""Driver elasticities: how far each sector's employment moves with each known driver.

A scenario changes the future path of a known-in-advance driver (port throughput,
tourist arrivals). :class:`DriverElasticities` turns a change of path into a change of
forecast for *any* forecaster, including the ones that read no drivers (AutoETS,
baselines): the published forecast is the reference scenario, and scenario ``s`` scales
it, series by series and period by period, by ``exp(L)`` with::

    L = sum over drivers c of  elasticity[group, c] * D[c]
    D[c] = log path_s[c] - log reference[c]

so a 10% higher port throughput in a period lifts a group with elasticity 0.85 by
about 8.5% in that period. The reference scenario has ``D = 0``: it *is* the forecast.

**Intervals** carry the elasticity's uncertainty. With ``se[group, c]`` the std error of
an elasticity, drivers taken as independent (their estimates nearly are when their
growth is; a supplied table gives no covariance either)::

    sd(L) = sqrt( sum over c of  (D[c] * se[group, c]) ** 2 )

and each bound of the forecast's ``p``% interval moves away from the scaled mean, in log
space, by the root sum of squares of its own distance and ``z * sd(L)`` (``z`` the
normal quantile of the interval, 1.28 for 80%), forecast error and elasticity error
being independent::

    upper_s = mean * exp(L) * exp( sqrt( log(upper / mean) ** 2 + (z * sd(L)) ** 2 ) )
    lower_s = mean * exp(L) * exp(-sqrt( log(mean / lower) ** 2 + (z * sd(L)) ** 2 ) )

A bound of 0 stays 0; where the mean or a bound is not positive, the bound is scaled by
``exp(L)`` and stretched by ``exp(z * sd(L))``. Where ``sd(L) = 0`` (the reference
scenario, a driver not exposed) the bounds are scaled by ``exp(L)`` only.

**Estimation** (``fit``), per group of series (``by``, default the sector):

1. Within a group, every series counts: year-on-year log growth of the group's total
   employment (over the series observed in both periods, so entry and exit of series is
   not growth) is regressed on the year-on-year log growth of each driver (the group's
   mean value when a driver varies by series), with an intercept (the group's own trend)
   by default. Year-on-year growth removes seasonality. A small ridge penalty
   (``ridge``, on standardised drivers) keeps near-collinear drivers stable; std errors
   are the regression's. Status ``estimated``.
2. A driver whose yearly growth hardly varies over the history (a plan growing 7% every
   year: standard deviation below ``min_driver_sd``, log points) cannot be told apart
   from the group's own trend. It is read the way labour planners read an employment
   elasticity: the group's growth left after the other drivers, divided by the driver's
   mean growth (``trend / driver growth``; several such drivers share it in proportion
   to their growth). This assumes no own trend, so its std error adds what an own trend
   of ``trend_sd`` log points a year (either sign) would change: ``trend_sd / driver
   growth``. Status ``trend reading``. A driver that neither varies nor grows gives 0,
   status ``driver too smooth``.
3. Partial pooling: the groups of a ``pool`` (by default the priority cluster of the
   sector -- of its clusters, the one holding most of the panel's groups -- else its
   VSIC section letter) share information. Per driver and pool, a random-effects mean
   and between-group variance ``tau2`` are estimated from the groups' estimates and
   sampling variances (DerSimonian-Laird,
   :func:`~skillcast.elasticity_groups.random_effects`); each group's estimate
   is shrunk toward the pool mean by ``B = v / (v + tau2)`` (``v`` its sampling
   variance), with posterior variance ``v (1 - B) + B**2 var(mean)``, plus, for a trend
   reading, its own-trend term (not shrunk: it is common to the pool, not noise). The
   table's ``shrinkage`` is ``B``. A group with fewer than ``min_obs`` usable
   year-on-year pairs takes its pool's mean, with variance ``tau2 + var(mean)`` (status
   ``too few periods``; 0 when its pool has no estimate).
4. ``exposure`` (driver -> priority clusters or sector codes) says which groups a driver
   can move at all: a group outside them gets 0 with no uncertainty (status ``not
   exposed``). Without it every group may respond, and a smooth driver's trend reading
   is given to every growing group -- exactly where naming the exposed sectors matters.

``intercept=False`` reads every driver the trend way (no own trend; std errors from the
regression only). **Supplied elasticities** (``table=``): a frame or CSV path with the
``by`` columns, ``driver``, ``elasticity`` and optionally ``std_error`` (e.g. from an
input-output study) replace the estimate; pairs it does not list get 0, rows naming
groups the panel lacks are set aside (``unmatched_``); ``exposure`` is not applied.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.stats import norm
from sklearn.base import BaseEstimator

from skillcast.elasticity_groups import POOLS, exposed_groups, pool_labels, shrunk_to_pools
from skillcast.elasticity_tables import read_supplied
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.features.exogenous import future_values
from skillcast.forecast import Forecast
from skillcast.panel import Panel

SCENARIO = "scenario"
STATUSES = (
    "estimated", "driver too smooth", "too few periods", "supplied", "not supplied",
    "trend reading", "not exposed",
)  # fmt: skip
ESTIMATED, FLAT, SHORT, SUPPLIED, NOT_SUPPLIED, TREND, NOT_EXPOSED = range(len(STATUSES))
_EXAMPLES = 5


class DriverElasticities(BaseEstimator):
    """Elasticity of employment to each known driver, per group of series, with its
    std error (module docstring).

    Args:
        by: key column(s) grouping the series (default ``("sector",)``).
        intercept: keep each group's own trend apart from the drivers.
        ridge: penalty on standardised drivers, relative to the number of periods.
        min_driver_sd: least standard deviation of a driver's year-on-year log growth
            (within a group's usable periods) for its slope to be estimated; below it
            the driver is given a trend reading (or 0 when it does not grow either).
        min_obs: least usable year-on-year pairs for a group to be estimated.
        trend_sd: own-trend growth (log points a year) a trend reading's std error
            allows for, either sign.
        pool: ``"cluster"`` (default), ``"section"`` or None (no pooling): which groups
            share information (module docstring); needs ``sector`` in ``by``, else every
            group is in one pool.
        exposure: driver -> priority cluster keys (``"logistics"``) or sector codes
            (``"H52"``, a prefix such as ``"H5"`` counts) the driver can move; a driver not
            named moves every group. None: every driver may move every group.
        table: supplied elasticities (frame or CSV path) instead of the estimate.

    Attributes:
        table_: one row per group and driver: the ``by`` columns, ``driver``,
            ``elasticity``, ``std_error``, ``n_obs``, ``driver_sd`` (root mean square of
            the driver's yearly log growth about the group's mean, or about 0 with
            ``intercept=False``), ``status``, ``pool``, ``shrinkage`` (weight of the
            pool's mean in the elasticity, 0..1).
        beta_, se_: (groups x drivers) elasticities and std errors (0 where none).
        drivers_: the known drivers, in the panel's order.
        unmatched_: rows of a supplied ``table`` naming groups the panel lacks (ignored).
    """

    def __init__(
        self,
        by: str | Sequence[str] = ("sector",),
        intercept: bool = True,
        ridge: float = 0.01,
        min_driver_sd: float = 0.005,
        min_obs: int = 6,
        trend_sd: float = 0.02,
        pool: str | None = "cluster",
        exposure: Mapping[str, Sequence[str]] | None = None,
        table: pd.DataFrame | str | Path | None = None,
    ) -> None:
        self.by = by
        self.intercept = intercept
        self.ridge = ridge
        self.min_driver_sd = min_driver_sd
        self.min_obs = min_obs
        self.trend_sd = trend_sd
        self.pool = pool
        self.exposure = exposure
        self.table = table

    # ------------------------------------------------------------------ fitting
    def fit(self, panel: Panel) -> DriverElasticities:
        """Estimate (or read) the elasticities of ``panel``'s known drivers."""
        by = [self.by] if isinstance(self.by, str) else list(self.by)
        if not panel.spec.known_exog:
            raise SkillcastConfigError(
                "The panel declares no known-in-advance drivers (PanelSpec.known_exog): "
                "there is nothing for a scenario to change."
            )
        absent = [c for c in by if c not in panel.spec.keys]
        if not by or absent:
            raise SkillcastConfigError(
                f"by={self.by!r}: group by one or more of the panel's keys {list(panel.spec.keys)}."
            )
        if self.ridge < 0 or self.min_driver_sd < 0 or self.min_obs < 2 or self.trend_sd < 0:
            raise SkillcastConfigError(
                "ridge, min_driver_sd and trend_sd must be >= 0 and min_obs >= 2; got "
                f"{self.ridge}, {self.min_driver_sd}, {self.trend_sd}, {self.min_obs}."
            )
        if self.pool is not None and self.pool not in POOLS:
            raise SkillcastConfigError(f"pool={self.pool!r}; choose one of {POOLS} or None.")
        self.by_ = by
        self.drivers_ = list(panel.spec.known_exog)
        self.unmatched_ = pd.DataFrame(columns=[*by, "driver", "elasticity"])
        codes = panel.series.groupby(by, sort=True, observed=True).ngroup().to_numpy()
        groups = panel.series[by].drop_duplicates().sort_values(by).reset_index(drop=True)
        self.groups_ = groups.astype(str)
        self.pools_ = pool_labels(self.groups_, by, self.pool)
        shape = (len(groups), len(self.drivers_))
        if self.table is not None:
            beta, se, listed, self.unmatched_ = read_supplied(
                self.table, by, self.drivers_, self.groups_
            )
            status = np.where(listed, SUPPLIED, NOT_SUPPLIED)
            stats: dict[str, np.ndarray] = {
                "n_obs": np.zeros(shape), "driver_sd": np.full(shape, np.nan),
                "shrinkage": np.zeros(shape),
            }  # fmt: skip
        else:
            beta, se, stats, status = self._estimate(
                panel, codes, exposed_groups(self.groups_, by, self.drivers_, self.exposure)
            )
        self.beta_, self.se_ = beta, np.nan_to_num(se)
        self.table_ = self._table(beta, se, status, stats)
        return self

    def _estimate(
        self, panel: Panel, codes: np.ndarray, exposed: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(groups x drivers) elasticities, std errors, their statistics and status codes."""
        m = panel.freq.season_length
        if panel.n_periods <= m:
            raise SkillcastDataError(
                f"Elasticities need year-on-year growth: the panel has {panel.n_periods} "
                f"period(s), at least {m + 1} are needed."
            )
        n_groups, k = exposed.shape
        member = sparse.csr_matrix(
            (np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(n_groups, len(codes))
        )
        y = panel.dense()
        both = np.isfinite(y[:, m:]) & np.isfinite(y[:, :-m])
        now = member @ np.where(both, y[:, m:], 0.0)
        before = member @ np.where(both, y[:, :-m], 0.0)
        valid = (now > 0) & (before > 0)
        d = np.log(np.where(valid, now, 1.0) / np.where(valid, before, 1.0))
        X = np.stack([self._driver_growth(panel, c, member, m) for c in self.drivers_], axis=2)
        valid &= np.isfinite(X).all(axis=2)
        w = valid.astype(float)
        X = np.where(valid[:, :, None], X, 0.0)
        d = np.where(valid, d, 0.0)
        n = w.sum(axis=1)
        safe = np.maximum(n, 1.0)
        mean_d = (w * d).sum(axis=1) / safe
        mean_x = np.einsum("gt,gtc->gc", w, X) / safe[:, None]
        if self.intercept:
            d = np.where(valid, d - mean_d[:, None], 0.0)
            X = np.where(valid[:, :, None], X - mean_x[:, None, :], 0.0)
        xtx = np.einsum("gt,gtc,gtd->gcd", w, X, X)
        xtd = np.einsum("gt,gtc,gt->gc", w, X, d)
        diag = np.arange(k)
        sd = np.sqrt(xtx[:, diag, diag] / safe[:, None])
        short = n < self.min_obs
        smooth = sd < self.min_driver_sd
        ident = ~short[:, None] & ~smooth & exposed
        pair = ident[:, :, None] & ident[:, None, :]
        xtx_id = np.where(pair, xtx, 0.0)
        # the ridge acts on standardised drivers; a column left out gets a unit diagonal
        # so the system stays solvable and its coefficient is exactly 0
        penalty = np.where(ident, self.ridge * n[:, None] * sd**2, 1.0)
        A = xtx_id.copy()
        A[:, diag, diag] += penalty
        # pseudo-inverse: with ridge=0, exactly collinear drivers share their effect
        # (the minimum-norm solution) instead of failing
        A_inv = np.linalg.pinv(A)
        beta = (A_inv @ np.where(ident, xtd, 0.0)[..., None])[..., 0]
        resid = d - np.einsum("gtc,gc->gt", X, beta)
        dof = np.maximum(n - ident.sum(axis=1) - int(bool(self.intercept)), 1.0)
        # consecutive year-on-year pairs share m - 1 periods: count n / m independent ones
        sigma2 = m * (w * resid**2).sum(axis=1) / dof
        cov = sigma2[:, None, None] * (A_inv @ xtx_id @ A_inv)
        var = np.where(ident, np.maximum(cov[:, diag, diag], 0.0), 0.0)
        prior = np.zeros_like(var)
        trend = np.zeros_like(ident)
        if self.intercept:
            # a steady driver's effect is the group's own growth left after the others
            # (module docstring, step 2); one that does not grow has none to read
            trend = ~short[:, None] & smooth & exposed & (np.abs(mean_x) >= self.min_driver_sd)
            x_id = np.where(ident, mean_x, 0.0)
            left = mean_d - (x_id * beta).sum(axis=1)
            var_left = sigma2 / safe + np.einsum("gc,gcd,gd->g", x_id, cov, x_id)
            x_tr = np.where(trend, mean_x, 0.0)
            norm2 = (x_tr**2).sum(axis=1, keepdims=True)
            share = np.divide(x_tr, norm2, out=np.zeros_like(x_tr), where=norm2 > 0)
            beta = np.where(trend, left[:, None] * share, beta)
            var = np.where(trend, var_left[:, None] * share**2, var)
            prior = np.where(trend, (self.trend_sd * share) ** 2, 0.0)
        status = np.select(
            [~exposed, short[:, None], ident, trend], [NOT_EXPOSED, SHORT, ESTIMATED, TREND], FLAT
        )
        beta, var, prior, shrink = shrunk_to_pools(
            beta, var, prior, self.pools_, np.isin(status, (ESTIMATED, TREND)), status == SHORT
        )
        none = (status == FLAT) | ((status == SHORT) & (shrink == 0))
        se = np.where(none, np.nan, np.sqrt(var + prior))
        se = np.where(status == NOT_EXPOSED, 0.0, se)
        stats = {"n_obs": np.repeat(n[:, None], k, axis=1), "driver_sd": sd, "shrinkage": shrink}
        return beta, se, stats, status

    @staticmethod
    def _driver_growth(panel: Panel, column: str, member: sparse.csr_matrix, m: int) -> np.ndarray:
        """(groups x periods - m) year-on-year log growth of a group's mean driver value;
        NaN where it is missing or not positive."""
        x = panel.dense(column)
        seen = np.isfinite(x)
        total = member @ np.where(seen, x, 0.0)
        count = member @ seen.astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
            mean = np.where(mean > 0, mean, np.nan)
            return np.log(mean[:, m:] / mean[:, :-m])

    def _table(
        self, beta: np.ndarray, se: np.ndarray, status: np.ndarray, stats: Mapping[str, np.ndarray]
    ) -> pd.DataFrame:
        n_groups, k = beta.shape
        table = self.groups_.loc[np.repeat(np.arange(n_groups), k)].reset_index(drop=True)
        table["driver"] = np.tile(self.drivers_, n_groups)
        table["elasticity"] = beta.ravel()
        table["std_error"] = se.ravel()
        table["n_obs"] = stats["n_obs"].ravel().astype(int)
        table["driver_sd"] = stats["driver_sd"].ravel()
        table["status"] = np.asarray(STATUSES)[status.ravel()]
        table["pool"] = np.repeat(self.pools_, k)
        table["shrinkage"] = stats["shrinkage"].ravel()
        return table

    # ------------------------------------------------------------------ scenarios
    def _series_rows(self, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
        """Group position of each of ``panel``'s series, and whether it was seen in fitting."""
        slot = (
            panel.series[self.by_]
            .astype(str)
            .merge(self.groups_.reset_index(names="_g"), on=self.by_, how="left")["_g"]
        )
        seen = slot.notna().to_numpy()
        return np.where(seen, slot.fillna(0).to_numpy(dtype=float), 0).astype(int), seen

    def series_elasticities(self, panel: Panel) -> np.ndarray:
        """(series x drivers) elasticities of ``panel``'s series (0 for a group not seen
        in fitting)."""
        rows, seen = self._series_rows(panel)
        return np.where(seen[:, None], self.beta_[rows], 0.0)

    def log_factors(
        self, panel: Panel, reference: pd.DataFrame, path: pd.DataFrame, horizon: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(series x horizon) ``L`` and ``sd(L)`` of the module docstring: the log multiplier
        taking the reference forecast to ``path``, and its std error from the
        elasticities' std errors.

        Args:
            panel: the panel forecast (its series order; paths start after its end).
            reference, path: driver frames as for ``predict(exog=...)``: ``period``,
                every known driver, optional key columns.
        """
        positions = panel.n_periods + np.arange(int(horizon))
        rows, seen = self._series_rows(panel)
        beta = np.where(seen[:, None], self.beta_[rows], 0.0)
        se = np.where(seen[:, None], self.se_[rows], 0.0)
        log_ratio = np.zeros((panel.n_series, int(horizon)))
        variance = np.zeros_like(log_ratio)
        for j, column in enumerate(self.drivers_):  # a few drivers
            old = future_values(panel, reference, column, positions).T
            new = future_values(panel, path, column, positions).T
            bad = ~((old > 0) & (new > 0))  # NaN (missing, not a number) fails too
            if bad.any():
                periods = panel.freq.labels(panel.freq.range(
                    panel.periods[-1] + 1, panel.periods[-1] + int(horizon)
                ))  # fmt: skip
                named = sorted({periods[k] for k in np.nonzero(bad)[1]})
                raise SkillcastDataError(
                    f"Driver {column!r}: the scenario or reference path is missing, not a "
                    f"number or <= 0 in period(s) {named[:_EXAMPLES]} for {int(bad.any(1).sum())} "
                    "series; growth paths need positive values in every forecast period."
                )
            delta = np.log(new) - np.log(old)
            log_ratio += beta[:, j : j + 1] * delta
            variance += (se[:, j : j + 1] * delta) ** 2
        return log_ratio, np.sqrt(variance)

    def factors(
        self, panel: Panel, reference: pd.DataFrame, path: pd.DataFrame, horizon: int
    ) -> np.ndarray:
        """(series x horizon) multipliers ``exp(L)`` taking the reference forecast to
        ``path`` (arguments as :meth:`log_factors`)."""
        return np.exp(self.log_factors(panel, reference, path, horizon)[0])

    def scenario_forecasts(
        self,
        forecast: Forecast,
        panel: Panel,
        paths: Mapping[str, pd.DataFrame],
        reference: pd.DataFrame,
    ) -> pd.DataFrame:
        """``forecast`` under each scenario path, stacked with a ``scenario`` column first;
        means scaled by ``exp(L)``, bounds widened by the elasticities' uncertainty
        (module docstring).

        Args:
            forecast: the reference forecast (bottom series of ``panel``).
            paths: scenario name -> driver frame.
            reference: the driver frame ``forecast`` stands for.
        """
        horizon = int(forecast.frame["step"].max())
        first = panel.periods[-1] + 1
        if forecast.frame["period"].min() != first:
            raise SkillcastDataError(
                f"The forecast starts at {panel.freq.label(forecast.frame['period'].min())}, "
                f"not after the panel's last period ({panel.freq.label(panel.periods[-1])}): "
                "pass the panel the forecaster was fitted on (forecaster.panel_)."
            )
        keys = list(panel.spec.keys)
        lookup = panel.series[keys].loc[np.repeat(np.arange(panel.n_series), horizon)]
        lookup = lookup.reset_index(drop=True)
        lookup["step"] = np.tile(np.arange(1, horizon + 1), panel.n_series)
        bounds = [c for c in forecast.frame.columns if c[:6] in {"lower_", "upper_"}]
        frames = []
        for name, path in paths.items():  # a handful of scenarios
            log_factor, log_sd = self.log_factors(panel, reference, path, horizon)
            scaled = lookup.assign(_L=log_factor.ravel(), _sd=log_sd.ravel())
            frame = forecast.frame.merge(scaled, on=[*keys, "step"], how="left", validate="1:1")
            L, sd = frame.pop("_L").to_numpy(), frame.pop("_sd").to_numpy()
            mean = frame["mean"].to_numpy(dtype=float)
            for column in bounds:
                frame[column] = widened(frame[column].to_numpy(dtype=float), mean, L, sd, column)
            frame["mean"] = mean * np.exp(L)
            frame.insert(0, SCENARIO, str(name))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def widened(
    bound: np.ndarray, mean: np.ndarray, log_factor: np.ndarray, log_sd: np.ndarray, column: str
) -> np.ndarray:
    """A forecast bound (``lower_80``, ``upper_95``, ...) under a scenario: the formula of
    the module docstring, elementwise over (rows,) arrays."""
    upper = column.startswith("upper_")
    try:
        level = float(column.split("_", 1)[1])
    except ValueError as exc:
        raise SkillcastDataError(
            f"Interval column {column!r}: expected lower_<p> or upper_<p>, p in (0, 100)."
        ) from exc
    spread = float(norm.ppf(0.5 + level / 200.0)) * log_sd
    sign = 1.0 if upper else -1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        own = np.log(bound / mean) if upper else np.log(mean / bound)
        quadrature = mean * np.exp(log_factor + sign * np.sqrt(own**2 + spread**2))
    usable = (mean > 0) & (bound > 0) & np.isfinite(own) & (own >= 0)
    # elsewhere the bound is stretched away from 0 by the elasticity's spread alone
    # (a bound of 0 stays 0)
    stretched = bound * np.exp(log_factor + sign * np.sign(bound) * spread)
    out = np.where(usable, quadrature, stretched)
    return np.where(spread > 0, out, bound * np.exp(log_factor))
