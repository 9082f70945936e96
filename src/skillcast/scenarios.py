"""Driver scenarios: future paths of known-in-advance drivers and forecasts under each.

A scenario names an annual growth rate for every known-in-advance driver of the panel
(``PanelSpec.known_exog``). :func:`make_scenario_paths` turns the rates into the driver
values of the ``horizon`` periods after the panel's last one; :func:`forecast_scenarios`
feeds each scenario's path to a fitted forecaster (``predict(horizon, exog=path)``) and
stacks the forecasts side by side.

Config shape (what a ``scenarios:`` block of a Hydra config holds; a plain dict works the
same): scenario name -> driver -> annual growth rate, a fraction per year::

    scenarios:
      baseline: {port_throughput_mt: 0.07, tourist_arrivals_m: 0.06}
      high:     {port_throughput_mt: 0.10, tourist_arrivals_m: 0.08}
      low:      {port_throughput_mt: 0.03, tourist_arrivals_m: 0.02}

Every scenario must give a rate for every known driver (a forecast needs all of them);
a rate is a real number above -1. Observed-only drivers (``observed_exog``) cannot be
given: models read them only up to the forecast origin, so a path for them would change
nothing.

How a rate becomes a path (``m`` periods per year, ``k`` = 1..horizon periods ahead):

* smooth driver: ``last * (1 + g) ** (k / m)``, compounding from the last observed
  value (per period ``(1 + g) ** (1 / m) - 1``);
* seasonal driver: the value of the same season in the last observed year times
  ``(1 + g) ** ceil(k / m)``, i.e. last year's seasonal pattern carried forward, one
  year's growth per year ahead.

When the data has a plan for its drivers (``plan=``, the driver values the published
forecast reads) scenarios are defined relative to it, so the ``reference`` scenario's
path *is* the plan and its forecast is the published one by construction::

    path_s = plan * ((1 + g_s) / (1 + g_reference)) ** (k / m)     (smooth driver)
    path_s = plan * ((1 + g_s) / (1 + g_reference)) ** ceil(k / m)  (seasonal driver)

i.e. scenario ``s`` grows the plan ``g_s - g_reference`` (multiplicatively) faster a year.

A driver is seasonal (``seasonal="auto"``) when, over the last ``SEASON_YEARS`` full
years, a log-linear trend plus season effects gives a season effect above
``SEASON_THRESHOLD`` (2%, in log units) in absolute value; name the seasonal drivers
explicitly to override. Values are taken per series; a driver equal across all series in
every period (a city-wide driver) gives paths without key columns. A series whose driver
stops early is carried forward from its last value.

With :func:`forecast_scenarios` (the model reads each path) intervals under each
scenario are the forecaster's usual ones; scaled by employment elasticities
(:mod:`skillcast.elasticities`) they also carry the elasticities' uncertainty.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.features.exogenous import future_values
from skillcast.panel import Panel
from skillcast.periods import parse_periods

if TYPE_CHECKING:
    from skillcast.models.base import Forecaster

SEASON_YEARS = 3  # full years of history the seasonality check reads
SEASON_THRESHOLD = 0.02  # |season effect| in log units above which a driver is seasonal
SCENARIO = "scenario"

GrowthConfig = Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class ScenarioPaths:
    """Future values of the known drivers under each scenario.

    Attributes:
        frame: long frame: ``scenario``, the panel's key columns (only for drivers that
            vary by series), ``period`` (pandas Period), one column per known driver in
            the panel's units; ``horizon`` rows per scenario (and series).
        growth: scenario -> driver -> annual growth rate used.
        seasonal: the drivers treated as seasonal.
        reference: with a plan, the scenario whose path is the plan (else None: paths
            grow from the last observed values).
    """

    frame: pd.DataFrame
    growth: dict[str, dict[str, float]]
    seasonal: tuple[str, ...]
    reference: str | None = None

    @property
    def names(self) -> list[str]:
        """Scenario names, in the order given."""
        return list(self.growth)

    def exog(self, name: str) -> pd.DataFrame:
        """One scenario's path without the ``scenario`` column, for ``predict(exog=...)``."""
        if name not in self.growth:
            raise SkillcastConfigError(f"No scenario {name!r}; there are {self.names}.")
        rows = self.frame[SCENARIO] == name
        return self.frame.loc[rows].drop(columns=SCENARIO).reset_index(drop=True)


def check_growth(panel: Panel, growth: GrowthConfig) -> dict[str, dict[str, float]]:
    """Validate a scenario config (see the module docstring) against the panel's drivers.

    Returns:
        The config as plain dicts of floats, scenarios in the given order.
    """
    spec = panel.spec
    if not isinstance(growth, Mapping) or not growth:
        raise SkillcastConfigError(
            "Scenarios are a non-empty mapping name -> driver -> annual growth rate, e.g. "
            "{'baseline': {'port_throughput_mt': 0.07}}; got " + repr(growth)
        )
    if not spec.known_exog:
        raise SkillcastConfigError(
            "The panel declares no known-in-advance drivers (PanelSpec.known_exog), so there "
            "is nothing for a scenario to set."
        )
    out: dict[str, dict[str, float]] = {}
    for name, rates in growth.items():  # a handful of scenarios
        if not isinstance(rates, Mapping):
            raise SkillcastConfigError(
                f"Scenario {name!r}: expected a mapping driver -> annual growth rate, "
                f"got {rates!r}."
            )
        observed = sorted(set(rates) & set(spec.observed_exog))
        if observed:
            raise SkillcastConfigError(
                f"Scenario {name!r} sets observed-only driver(s) {observed}: forecasts read "
                "them only up to the origin, so a future path would change nothing. Declare "
                "them in PanelSpec.known_exog if their future is planned."
            )
        unknown = sorted(set(rates) - set(spec.known_exog))
        if unknown:
            raise SkillcastConfigError(
                f"Scenario {name!r} names unknown driver(s) {unknown}; the panel's "
                f"known-in-advance drivers are {list(spec.known_exog)}."
            )
        missing = [c for c in spec.known_exog if c not in rates]
        if missing:
            raise SkillcastConfigError(
                f"Scenario {name!r} gives no growth rate for driver(s) {missing}: every "
                f"scenario needs one for each of {list(spec.known_exog)}."
            )
        clean: dict[str, float] = {}
        for column in spec.known_exog:
            rate = rates[column]
            ok = isinstance(rate, Real) and not isinstance(rate, bool)
            if not ok or not math.isfinite(float(rate)) or float(rate) <= -1.0:
                raise SkillcastConfigError(
                    f"Scenario {name!r}, driver {column!r}: the annual growth rate must be a "
                    f"finite number above -1 (0.07 = 7% a year), got {rate!r}."
                )
            clean[column] = float(rate)
        out[str(name)] = clean
    return out


def season_effect(values: np.ndarray, season_length: int, years: int = SEASON_YEARS) -> float:
    """Largest absolute season effect (log units) of a positive series of one driver.

    Fits ``log(value) ~ trend + season`` by least squares over the last ``years`` full
    years (at least two) and returns the largest |season effect| (effects centred to
    mean 0); 0.0 for annual data, too short a history or non-positive values.

    Args:
        values: (periods,) driver values, oldest first, NaN allowed before the window.
    """
    m = int(season_length)
    n = min(int(years), len(values) // m) * m if m > 1 else 0
    window = np.asarray(values[-n:], dtype=float) if n else np.empty(0)
    if n < 2 * m or not np.isfinite(window).all() or (window <= 0).any():
        return 0.0
    t = np.arange(n, dtype=float)
    season = np.arange(n) % m
    X = np.column_stack([np.ones(n), t] + [(season == s).astype(float) for s in range(1, m)])
    coef = np.linalg.lstsq(X, np.log(window), rcond=None)[0]
    effects = np.concatenate([[0.0], coef[2:]])
    return float(np.abs(effects - effects.mean()).max())


def _carried(dense: np.ndarray) -> np.ndarray:
    """(series x periods) values with each NaN replaced by the series' last earlier value."""
    observed = np.isfinite(dense)
    idx = np.where(observed, np.arange(dense.shape[1])[None, :], 0)
    np.maximum.accumulate(idx, axis=1, out=idx)
    return np.take_along_axis(dense, idx, axis=1)


def _same_across_series(dense: np.ndarray) -> bool:
    """True when every period's observed values agree across series (a city-wide driver)."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        spread = np.nanmax(dense, axis=0) - np.nanmin(dense, axis=0)
    return bool(np.all(np.nan_to_num(spread) <= 1e-9 * np.nanmax(np.abs(dense), initial=1.0)))


def make_scenario_paths(
    panel: Panel,
    horizon: int,
    growth: GrowthConfig,
    seasonal: str | Collection[str] = "auto",
    plan: pd.DataFrame | None = None,
    reference: str | None = None,
) -> ScenarioPaths:
    """Future values of the panel's known drivers under each growth scenario.

    Args:
        panel: the panel the forecaster is fitted on; paths start after its last period.
        horizon: periods of path (>= 1), in the panel's frequency.
        growth: scenario -> driver -> annual growth rate (module docstring).
        seasonal: ``"auto"`` (detect, see :func:`season_effect`) or the names of the
            drivers to treat as seasonal (the others are smooth).
        plan: the drivers' planned values (``period``, every known driver, optional key
            columns), as for ``predict(exog=...)``: paths are the plan moved by each
            scenario's rate relative to ``reference``'s (module docstring).
        reference: the scenario the plan stands for (needed with ``plan``).

    Returns:
        :class:`ScenarioPaths`; its ``frame`` holds ``len(growth) * horizon`` rows for
        city-wide drivers (times the number of series when one varies by series).
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise SkillcastConfigError(f"horizon must be an integer >= 1, got {horizon!r}")
    rates = check_growth(panel, growth)
    spec, m, last = panel.spec, panel.freq.season_length, panel.n_periods - 1
    drivers = list(spec.known_exog)
    values = {c: _carried(panel.dense(c)) for c in drivers}
    for column, dense in values.items():
        lacking = ~np.isfinite(dense[:, last])
        if lacking.any():
            raise SkillcastDataError(
                f"Known driver {column!r} has no value for {int(lacking.sum())} series, e.g. "
                f"{panel.series.loc[lacking].head(3).to_dict('records')}: a path needs a "
                "last observed value to grow from."
            )
    if seasonal == "auto":
        chosen = tuple(
            c for c in drivers if season_effect(np.nanmean(values[c], axis=0), m) > SEASON_THRESHOLD
        )
    else:
        named = [seasonal] if isinstance(seasonal, str) else list(seasonal)
        unknown = sorted(set(named) - set(drivers))
        if unknown:
            raise SkillcastConfigError(
                f"seasonal names {unknown}, not known drivers of the panel {drivers}."
            )
        chosen = tuple(c for c in drivers if c in named)
    if chosen and panel.n_periods < m:
        raise SkillcastDataError(
            f"Seasonal driver(s) {list(chosen)} need a full year ({m} periods) of history; "
            f"the panel has {panel.n_periods}."
        )

    k = np.arange(1, int(horizon) + 1)
    years_ahead = np.ceil(k / m)
    source = last - m + 1 + (k - 1) % m  # same season of the last observed year
    exponent = np.stack([years_ahead if c in chosen else k / m for c in drivers])
    if plan is not None:
        base, citywide = _planned(panel, plan, int(horizon))
        if reference not in rates:
            raise SkillcastConfigError(
                f"reference={reference!r} is not one of the scenarios {list(rates)}: with a "
                "plan, scenarios are set relative to the scenario the plan stands for."
            )
        # growth relative to the reference's, so the reference's path is the plan itself
        start = np.array([rates[reference][c] for c in drivers])
    else:
        # (drivers x series x horizon) base values: last observed (season's) values
        base = np.stack(
            [values[c][:, source] if c in chosen else np.repeat(values[c][:, last:], len(k), 1)
             for c in drivers]
        )  # fmt: skip
        citywide = all(_same_across_series(values[c]) for c in drivers)
        start = np.zeros(len(drivers))
    if citywide:
        base = base[:, :1]
    n_rows = base.shape[1]
    periods = panel.freq.range(panel.periods[-1] + 1, panel.periods[-1] + int(horizon))
    frames = []
    for name, scenario in rates.items():  # a handful of scenarios
        g = (1.0 + np.array([scenario[c] for c in drivers])) / (1.0 + start)
        path = base * g[:, None, None] ** exponent[:, None, :]
        frame = (
            pd.DataFrame(index=range(n_rows * len(k)))
            if citywide
            else panel.series.loc[np.repeat(np.arange(n_rows), len(k))].reset_index(drop=True)
        )
        frame.insert(0, SCENARIO, name)
        frame[spec.period] = pd.Series(np.tile(periods.to_numpy(), n_rows), dtype=periods.dtype)
        for j, column in enumerate(drivers):
            frame[column] = path[j].reshape(-1)
        frames.append(frame)
    used = str(reference) if plan is not None else None
    return ScenarioPaths(pd.concat(frames, ignore_index=True), rates, chosen, used)


def _planned(panel: Panel, plan: pd.DataFrame, horizon: int) -> tuple[np.ndarray, bool]:
    """(drivers x series x horizon) planned driver values for the ``horizon`` periods
    after the panel (one series when the plan is city-wide), and whether it is."""
    positions = panel.n_periods + np.arange(horizon)
    drivers = list(panel.spec.known_exog)
    base = np.stack([future_values(panel, plan, c, positions).T for c in drivers])
    bad = ~(base > 0)  # NaN fails too
    if bad.any():
        j, _, step = (int(i[0]) for i in np.nonzero(bad))
        period = panel.freq.label(panel.periods[-1] + 1 + step)
        raise SkillcastDataError(
            f"The plan's driver {drivers[j]!r} is missing, not a number or <= 0 for "
            f"{int(bad[j].any(axis=1).sum())} series (e.g. period {period}): scenario paths "
            "scale the plan and need positive values in every forecast period."
        )
    citywide = bool(np.all(np.abs(base - base[:, :1]) <= 1e-12 * np.abs(base[:, :1])))
    return (base[:, :1] if citywide else base), citywide


def _split(
    forecaster: Forecaster,
    horizon: int,
    scenarios: ScenarioPaths | pd.DataFrame | Mapping[str, pd.DataFrame | Mapping[str, float]],
) -> dict[str, pd.DataFrame]:
    """Scenario name -> exog frame, from any of the accepted shapes."""
    panel = forecaster.panel_
    if isinstance(scenarios, ScenarioPaths):
        return {name: scenarios.exog(name) for name in scenarios.names}
    if isinstance(scenarios, pd.DataFrame):
        if SCENARIO not in scenarios.columns:
            raise SkillcastDataError(
                f"A scenario frame needs a {SCENARIO!r} column; it has {list(scenarios.columns)}."
            )
        return {
            str(name): group.drop(columns=SCENARIO).reset_index(drop=True)
            for name, group in scenarios.groupby(SCENARIO, sort=False)
        }
    if not isinstance(scenarios, Mapping) or not scenarios:
        raise SkillcastConfigError(
            "scenarios must be ScenarioPaths, a frame with a 'scenario' column, or a non-empty "
            f"mapping name -> exog frame or name -> driver -> growth rate; got {scenarios!r}"
        )
    rates = {k: v for k, v in scenarios.items() if isinstance(v, Mapping)}
    paths = make_scenario_paths(panel, horizon, rates) if rates else None
    out: dict[str, pd.DataFrame] = {}
    for name, value in scenarios.items():  # a handful of scenarios
        if isinstance(value, pd.DataFrame):
            out[str(name)] = value
        elif paths is not None and isinstance(value, Mapping):
            out[str(name)] = paths.exog(str(name))
        else:
            raise SkillcastConfigError(
                f"Scenario {name!r}: expected an exog frame or a mapping driver -> growth "
                f"rate, got {type(value).__name__}."
            )
    return out


def check_path(panel: Panel, name: str, frame: pd.DataFrame, horizon: int) -> None:
    """Raise :class:`SkillcastDataError` unless ``frame`` gives every known driver for
    every one of the ``horizon`` periods after the panel, and nothing else."""
    spec = panel.spec
    allowed = {*spec.keys, spec.period, "period", *spec.known_exog}
    extra = sorted(set(frame.columns) - allowed)
    if extra:
        raise SkillcastDataError(
            f"Scenario {name!r} has column(s) {extra} that are not known-in-advance drivers "
            f"({list(spec.known_exog)}) nor key columns ({list(spec.keys)}) nor 'period'."
        )
    absent = [c for c in spec.known_exog if c not in frame.columns]
    period_col = spec.period if spec.period in frame.columns else "period"
    if period_col not in frame.columns:
        absent = [period_col, *absent]
    if absent:
        raise SkillcastDataError(f"Scenario {name!r} lacks column(s) {absent}.")
    parsed = parse_periods(frame[period_col].reset_index(drop=True), panel.freq)
    wanted = panel.freq.range(panel.periods[-1] + 1, panel.periods[-1] + int(horizon))
    have = pd.PeriodIndex(parsed.periods.dropna())
    lacking = wanted[~wanted.isin(have)]
    if len(lacking):
        raise SkillcastDataError(
            f"Scenario {name!r} has no row for {len(lacking)} forecast period(s), e.g. "
            f"{list(panel.freq.labels(lacking[:5]))}: a path needs every period from "
            f"{panel.freq.label(wanted[0])} to {panel.freq.label(wanted[-1])}."
        )
    values = frame[list(spec.known_exog)].apply(pd.to_numeric, errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float)).all(axis=1) & parsed.periods.isin(wanted)
    if bad.any():
        raise SkillcastDataError(
            f"Scenario {name!r}: {int(bad.sum())} row(s) inside the horizon have a missing or "
            "non-numeric driver value, e.g. "
            f"{frame.loc[bad.to_numpy()].head(3).to_dict('records')}."
        )


def forecast_scenarios(
    forecaster: Forecaster,
    horizon: int,
    scenarios: ScenarioPaths | pd.DataFrame | Mapping[str, pd.DataFrame | Mapping[str, float]],
) -> pd.DataFrame:
    """Forecasts of a fitted forecaster under each driver scenario, stacked.

    Args:
        forecaster: a fitted forecaster (its panel's known drivers are the ones set).
        horizon: periods ahead (>= 1).
        scenarios: :class:`ScenarioPaths`; a long frame with a ``scenario`` column; or a
            mapping name -> exog frame (``period``, drivers, optional key columns) or
            name -> driver -> annual growth rate (the config shape, built with
            :func:`make_scenario_paths`).

    Returns:
        Long frame: ``scenario`` first, then the columns of ``Forecast.frame`` (keys,
        ``period``, ``step``, ``mean``, bounds); scenarios in the order given.
    """
    if not hasattr(forecaster, "panel_"):
        raise SkillcastConfigError("forecast_scenarios needs a fitted forecaster: call fit first.")
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise SkillcastConfigError(f"horizon must be an integer >= 1, got {horizon!r}")
    paths = _split(forecaster, int(horizon), scenarios)
    frames = []
    for name, exog in paths.items():  # a handful of scenarios
        check_path(forecaster.panel_, name, exog, int(horizon))
        frame = forecaster.predict(int(horizon), exog=exog).frame
        frame.insert(0, SCENARIO, name)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def scenario_totals(frame: pd.DataFrame, column: str = "mean") -> pd.DataFrame:
    """Sum of ``column`` over all series: one row per period, one column per scenario.

    Args:
        frame: the output of :func:`forecast_scenarios`.
    """
    table = frame.pivot_table(index="period", columns=SCENARIO, values=column, aggfunc="sum")
    return table[list(dict.fromkeys(frame[SCENARIO]))]
