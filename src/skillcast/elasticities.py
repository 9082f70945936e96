"""Driver elasticities: how far each sector's employment moves with each known driver.

A scenario changes the future path of a known-in-advance driver (port throughput,
tourist arrivals). :class:`DriverElasticities` turns a change of path into a change of
forecast for *any* forecaster, including the ones that read no drivers (AutoETS,
baselines): the published forecast is the reference scenario, and scenario ``s`` scales
it, series by series and period by period, by::

    exp( sum over drivers c of  elasticity[group, c] * (log path_s[c] - log reference[c]) )

so a 10% higher port throughput in a period lifts a group with elasticity 0.85 by
about 8.5% in that period. Intervals are scaled by the same factor (they do not add the
uncertainty of the scenario or of the elasticity).

**Estimation** (``fit``), per group of series (``by``, default the sector): year-on-year
log growth of the group's employment (over the series observed in both periods, so entry
and exit of series is not growth) regressed on the year-on-year log growth of each driver
(the group's mean value when a driver varies by series), with an intercept (the group's
own trend) by default. Year-on-year growth removes seasonality. With the intercept, a
driver whose yearly growth hardly varies over the history (a plan growing 7% every year)
cannot be told apart from the trend: where its growth varies by less than
``min_driver_sd`` (log points, standard deviation) the elasticity is 0 and its status
says so. ``intercept=False`` gives the employment-elasticity reading used in labour
planning (employment growth / driver growth): all of a group's growth is put on the
drivers, so it is identified from trend growth alone, and over-attributes when other
causes drive the trend. A small ridge penalty (``ridge``, on standardised drivers) keeps
near-collinear drivers stable. A group with fewer than ``min_obs`` usable year-on-year
pairs gets 0.

**Supplied elasticities** (``table=``): a frame or CSV path with the ``by`` columns,
``driver`` and ``elasticity`` (e.g. from an input-output study) replaces the estimate;
pairs it does not list get 0, rows naming groups the panel lacks are set aside
(``unmatched_``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.features.exogenous import future_values
from skillcast.forecast import Forecast
from skillcast.panel import Panel

SCENARIO = "scenario"
STATUSES = ("estimated", "driver too smooth", "too few periods", "supplied", "not supplied")
_EXAMPLES = 5


class DriverElasticities(BaseEstimator):
    """Elasticity of employment to each known driver, per group of series.

    Args:
        by: key column(s) grouping the series (default ``("sector",)``).
        intercept: keep each group's own trend apart from the drivers (module docstring).
        ridge: penalty on standardised drivers, relative to the number of periods.
        min_driver_sd: least standard deviation of a driver's year-on-year log growth
            (within a group's usable periods) for its elasticity to be estimated.
        min_obs: least usable year-on-year pairs for a group to be estimated.
        table: supplied elasticities (frame or CSV path) instead of the estimate.

    Attributes:
        table_: one row per group and driver: the ``by`` columns, ``driver``,
            ``elasticity``, ``std_error``, ``n_obs``, ``driver_sd`` (root mean square of
            the driver's yearly log growth about the group's mean, or about 0 with
            ``intercept=False``), ``status``.
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
        table: pd.DataFrame | str | Path | None = None,
    ) -> None:
        self.by = by
        self.intercept = intercept
        self.ridge = ridge
        self.min_driver_sd = min_driver_sd
        self.min_obs = min_obs
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
        if self.ridge < 0 or self.min_driver_sd < 0 or self.min_obs < 2:
            raise SkillcastConfigError(
                "ridge and min_driver_sd must be >= 0 and min_obs >= 2; got "
                f"{self.ridge}, {self.min_driver_sd}, {self.min_obs}."
            )
        self.by_ = by
        self.drivers_ = list(panel.spec.known_exog)
        self.unmatched_ = pd.DataFrame(columns=[*by, "driver", "elasticity"])
        codes = panel.series.groupby(by, sort=True, observed=True).ngroup().to_numpy()
        groups = panel.series[by].drop_duplicates().sort_values(by).reset_index(drop=True)
        self.groups_ = groups.astype(str)
        if self.table is not None:
            beta, status = self._supplied(panel)
            stats: Mapping[str, np.ndarray | float] = {
                "std_error": np.nan, "n_obs": 0, "driver_sd": np.nan
            }  # fmt: skip
        else:
            beta, stats, status = self._estimate(panel, codes, len(groups))
        self.beta_ = beta
        self.table_ = self._table(beta, status, stats)
        return self

    def _estimate(
        self, panel: Panel, codes: np.ndarray, n_groups: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
        """(groups x drivers) elasticities, their statistics and status codes."""
        m = panel.freq.season_length
        if panel.n_periods <= m:
            raise SkillcastDataError(
                f"Elasticities need year-on-year growth: the panel has {panel.n_periods} "
                f"period(s), at least {m + 1} are needed."
            )
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
        if self.intercept:
            safe = np.maximum(n, 1.0)
            d = np.where(valid, d - (w * d).sum(1, keepdims=True) / safe[:, None], 0.0)
            centre = np.einsum("gt,gtc->gc", w, X) / safe[:, None]
            X = np.where(valid[:, :, None], X - centre[:, None, :], 0.0)
        xtx = np.einsum("gt,gtc,gtd->gcd", w, X, X)
        xtd = np.einsum("gt,gtc,gt->gc", w, X, d)
        k = len(self.drivers_)
        diag = np.arange(k)
        sd = np.sqrt(xtx[:, diag, diag] / np.maximum(n, 1.0)[:, None])
        short = n < self.min_obs
        smooth = sd < self.min_driver_sd
        ident = ~short[:, None] & ~smooth
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
        sigma2 = (w * resid**2).sum(axis=1) / dof
        cov = sigma2[:, None, None] * (A_inv @ xtx_id @ A_inv)
        se = np.where(ident, np.sqrt(np.maximum(cov[:, diag, diag], 0.0)), np.nan)
        status = np.where(short[:, None], 2, np.where(smooth, 1, 0))
        stats = {"std_error": se, "n_obs": np.repeat(n[:, None], k, axis=1), "driver_sd": sd}
        return beta, stats, status

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

    def _supplied(self, panel: Panel) -> tuple[np.ndarray, np.ndarray]:
        """(groups x drivers) elasticities and status codes from ``table``."""
        source = self.table
        if isinstance(source, str | Path):
            path = Path(source)
            if not path.is_file():
                raise SkillcastDataError(f"Elasticity table: no such file {path}.")
            source = pd.read_csv(path, dtype={c: str for c in (*self.by_, "driver")})
        if not isinstance(source, pd.DataFrame):
            raise SkillcastConfigError(
                f"table must be a DataFrame or a CSV path, got {type(source).__name__}."
            )
        need = [*self.by_, "driver", "elasticity"]
        missing = [c for c in need if c not in source.columns]
        if missing:
            raise SkillcastDataError(
                f"Elasticity table lacks column(s) {missing}; it has {list(source.columns)}. "
                f"It needs {need}: one row per group and driver."
            )
        frame = source[need].copy()
        for c in (*self.by_, "driver"):
            frame[c] = frame[c].astype(str).str.strip()
        value = pd.to_numeric(frame["elasticity"], errors="coerce")
        bad = ~np.isfinite(value.to_numpy(dtype=float))
        _raise_rows(frame, bad, "column 'elasticity' is missing or not a finite number")
        frame["elasticity"] = value
        unknown = ~frame["driver"].isin(self.drivers_).to_numpy()
        _raise_rows(
            frame, unknown, f"column 'driver' names no known driver of the panel {self.drivers_}"
        )
        dup = frame.duplicated([*self.by_, "driver"], keep=False).to_numpy()
        _raise_rows(frame, dup, "repeat a (group, driver) pair: give one elasticity each")
        slot = self.groups_.reset_index(names="_g").merge(frame, on=self.by_, how="right")
        stray = slot["_g"].isna().to_numpy()
        # a national table lists sectors a city does not have: kept aside, not an error
        self.unmatched_ = frame.loc[stray].reset_index(drop=True)
        slot = slot.loc[~stray]
        beta = np.zeros((len(self.groups_), len(self.drivers_)))
        status = np.full(beta.shape, 4)
        rows = slot["_g"].to_numpy(dtype=int)
        cols = np.array([self.drivers_.index(c) for c in slot["driver"]], dtype=int)
        beta[rows, cols] = slot["elasticity"].to_numpy(dtype=float)
        status[rows, cols] = 3
        return beta, status

    def _table(
        self, beta: np.ndarray, status: np.ndarray, stats: Mapping[str, np.ndarray | float]
    ) -> pd.DataFrame:
        n_groups, k = beta.shape
        table = self.groups_.loc[np.repeat(np.arange(n_groups), k)].reset_index(drop=True)
        table["driver"] = np.tile(self.drivers_, n_groups)
        table["elasticity"] = beta.ravel()
        for name, values in stats.items():
            table[name] = np.broadcast_to(values, beta.shape).ravel()
        table["n_obs"] = table["n_obs"].astype(int)
        table["status"] = np.asarray(STATUSES)[status.ravel()]
        return table

    # ------------------------------------------------------------------ scenarios
    def series_elasticities(self, panel: Panel) -> np.ndarray:
        """(series x drivers) elasticities of ``panel``'s series (0 for a group not seen
        in fitting)."""
        slot = (
            panel.series[self.by_]
            .astype(str)
            .merge(self.groups_.reset_index(names="_g"), on=self.by_, how="left")["_g"]
        )
        beta = np.zeros((panel.n_series, len(self.drivers_)))
        seen = slot.notna().to_numpy()
        beta[seen] = self.beta_[slot[seen].to_numpy(dtype=int)]
        return beta

    def factors(
        self, panel: Panel, reference: pd.DataFrame, path: pd.DataFrame, horizon: int
    ) -> np.ndarray:
        """(series x horizon) multipliers taking the reference forecast to ``path``.

        Args:
            panel: the panel forecast (its series order; paths start after its end).
            reference, path: driver frames as for ``predict(exog=...)``: ``period``,
                every known driver, optional key columns.
        """
        positions = panel.n_periods + np.arange(int(horizon))
        beta = self.series_elasticities(panel)
        log_ratio = np.zeros((panel.n_series, int(horizon)))
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
            log_ratio += beta[:, j : j + 1] * (np.log(new) - np.log(old))
        return np.exp(log_ratio)

    def scenario_forecasts(
        self,
        forecast: Forecast,
        panel: Panel,
        paths: Mapping[str, pd.DataFrame],
        reference: pd.DataFrame,
    ) -> pd.DataFrame:
        """``forecast`` under each scenario path, stacked with a ``scenario`` column first.

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
        value_columns = [
            c for c in forecast.frame.columns if c == "mean" or c[:6] in {"lower_", "upper_"}
        ]
        frames = []
        for name, path in paths.items():  # a handful of scenarios
            factor = self.factors(panel, reference, path, horizon)
            scaled = lookup.assign(_factor=factor.ravel())
            frame = forecast.frame.merge(scaled, on=[*keys, "step"], how="left", validate="1:1")
            frame[value_columns] = frame[value_columns].mul(frame.pop("_factor"), axis=0)
            frame.insert(0, SCENARIO, str(name))
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def _raise_rows(frame: pd.DataFrame, bad: np.ndarray, what: str) -> None:
    if bad.any():
        raise SkillcastDataError(
            f"Elasticity table: {int(bad.sum())} row(s) {what}, e.g. "
            f"{frame.loc[bad].head(_EXAMPLES).to_dict('records')}."
        )
