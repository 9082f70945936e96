"""The ``scenarios`` config group: forecasts under driver scenarios beside forecast.csv.

A scenario is an annual growth rate for each known-in-advance driver of the data
(:mod:`skillcast.scenarios`); ``scenarios.growth`` names them (``null``: no scenarios).
The ``reference`` scenario's path is the path ``forecast.csv`` reads, so its forecast is
``forecast.csv`` by construction: with the data's planned driver values
(``data.future_exog``) the reference path is the plan and every other scenario is the
plan grown at its rate minus the reference's; without a plan paths grow from the last
observed values. Each scenario's forecast is ``forecast.csv`` moved from the path it
read to the scenario's path, by ``method``:

* ``elasticity`` (the default; any model): the reference forecast scaled by the
  employment elasticities of :class:`~skillcast.elasticities.DriverElasticities`
  (``scenarios.elasticities``), estimated on the data (pooled within clusters, a
  smooth driver read from the trend with a wide std error) or supplied as a table;
  intervals widen with the elasticities' std errors. Written beside:
  ``scenario_elasticities.csv``.
* ``model``: the model forecasts again with each path (it must read the drivers; when
  every scenario comes out the same, a note says the model ignores them).

Written beside forecast.csv: ``forecast_scenarios.csv`` and ``scenario_drivers.csv``
(the driver paths, with the data's plan as scenario ``forecast.csv`` when the forecast
read one). Reconciled models give scenario forecasts of the bottom series; the
elasticity method keeps them coherent when added up, since every total is a sum of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from skillcast.apps.config import build
from skillcast.elasticities import DriverElasticities
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.forecast import Forecast
from skillcast.models.base import Forecaster
from skillcast.panel import Panel
from skillcast.periods import parse_periods
from skillcast.scenarios import SCENARIO, ScenarioPaths, forecast_scenarios, make_scenario_paths

METHODS = ("elasticity", "model")
PLAN = "forecast.csv"  # scenario name of the data's plan in scenario_drivers.csv


@dataclass
class ScenarioOutputs:
    """What the scenario step produced, and what a planner should know about it."""

    forecasts: pd.DataFrame | None = None
    paths: pd.DataFrame | None = None
    elasticities: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


def scenario_paths(
    cfg: DictConfig, panel: Panel, horizon: int, plan: pd.DataFrame | None = None
) -> ScenarioPaths | None:
    """The configured scenarios' driver paths (None when ``growth`` is null); relative to
    ``plan`` (the data's planned driver values) when there is one."""
    if cfg.growth is None:
        return None
    if str(cfg.method) not in METHODS:
        raise SkillcastConfigError(f"scenarios.method={cfg.method!r}; choose one of {METHODS}.")
    growth = OmegaConf.to_container(cfg.growth, resolve=True)
    seasonal = cfg.seasonal
    if seasonal is None:
        seasonal = []  # no driver repeats a seasonal pattern
    elif not isinstance(seasonal, str):
        seasonal = list(seasonal)
    if not isinstance(growth, dict) or str(cfg.reference) not in growth:
        names = list(growth) if isinstance(growth, dict) else growth
        raise SkillcastConfigError(
            f"scenarios.reference={cfg.reference!r} is not one of the scenarios {names}: "
            "the published forecast stands for the reference scenario."
        )
    if plan is not None:
        absent = [c for c in ("period", *panel.spec.known_exog) if c not in plan.columns]
        if absent and not (absent[0] == "period" and panel.spec.period in plan.columns):
            raise SkillcastDataError(
                f"data.future_exog lacks column(s) {absent} (it has {list(plan.columns)}): "
                "scenario paths scale the plan and need 'period' and every known driver."
            )
    return make_scenario_paths(
        panel, horizon, growth, seasonal=seasonal,  # type: ignore[arg-type]
        plan=plan, reference=str(cfg.reference),
    )  # fmt: skip


def forecast_exog(
    cfg: DictConfig, paths: ScenarioPaths | None, future: pd.DataFrame | None
) -> tuple[pd.DataFrame | None, list[str]]:
    """The driver values the main forecast reads: the data's own future values, else the
    reference scenario's path."""
    if future is not None or paths is None:
        return future, []
    note = (
        f"No data.future_exog: the forecast reads the driver path of scenario {cfg.reference!r} "
        "(forecast.csv is that scenario)."
    )
    return paths.exog(str(cfg.reference)), [note]


def scenario_outputs(
    cfg: DictConfig,
    paths: ScenarioPaths,
    forecaster: Forecaster,
    forecast: Forecast,
    panel: Panel,
    reference: pd.DataFrame,
    reads_plan: bool = False,
    data: Panel | None = None,
) -> ScenarioOutputs:
    """Scenario forecasts of ``forecast`` (bottom series of ``panel``) per ``cfg``.

    Args:
        panel: the panel the forecaster was fitted on (``forecast`` starts after it).
        reference: the driver values ``forecast`` read.
        data: the latest data, which elasticities are estimated on (default ``panel``).
        reads_plan: ``reference`` is the data's plan, not a scenario's path (it is then
            listed with the paths as scenario ``forecast.csv``).
    """
    table = paths.frame
    if reads_plan:
        table = pd.concat([plan_rows(reference, panel, paths), table], ignore_index=True)
    out = ScenarioOutputs(paths=table.rename(columns={panel.spec.period: "period"}))
    named = {name: paths.exog(name) for name in paths.names}
    horizon = int(forecast.frame["step"].max())
    if str(cfg.method) == "elasticity":
        node: Any = cfg.elasticities
        model = build(node) if node is not None else DriverElasticities()
        if not isinstance(model, DriverElasticities):
            raise SkillcastConfigError(
                f"scenarios.elasticities built a {type(model).__name__}, not DriverElasticities."
            )
        model.fit(panel if data is None else data)
        out.elasticities = model.table_
        out.forecasts = model.scenario_forecasts(forecast, panel, named, reference)
        out.notes += status_notes(model.table_)
        if len(model.unmatched_):
            out.notes.append(
                f"{len(model.unmatched_)} row(s) of the elasticity table name groups the data "
                f"does not have, e.g. {model.unmatched_.head(3).to_dict('records')}: ignored."
            )
    else:
        out.forecasts = forecast_scenarios(forecaster, horizon, named)
    totals = out.forecasts.groupby(SCENARIO, sort=False)["mean"].sum()
    if len(totals) > 1 and np.allclose(totals.to_numpy(), totals.iloc[0], rtol=1e-9, atol=1e-9):
        out.notes.append(
            "Every scenario gives the same forecast: "
            + (
                "the model reads no known driver (use scenarios.method=elasticity)."
                if str(cfg.method) == "model"
                else "no driver has a non-zero elasticity."
            )
        )
    return out


def status_notes(table: pd.DataFrame) -> list[str]:
    """What a planner should know about the elasticities' statuses, one note each."""
    notes = []
    trend = table.loc[table["status"] == "trend reading"]
    if len(trend):
        notes.append(
            f"Trend reading for {len(trend)} group x driver pair(s) (drivers "
            f"{sorted(trend['driver'].unique())}): the driver grows too steadily to tell from "
            "each sector's own trend, so its elasticity is trend growth / driver growth with "
            f"a wide std error (median {trend['std_error'].median():.2f}); the scenario "
            "intervals carry it."
            + (
                ""
                if (table["status"] == "not exposed").any()
                else " Name the sectors it can move (scenarios.elasticities.exposure) so it "
                "is not read into every growing sector."
            )
        )
    zero = {"driver too smooth", "too few periods", "not supplied", "not exposed"}
    left_out = table.loc[table["status"].isin(zero) & (table["elasticity"] == 0)]
    for status, rows in left_out.groupby("status"):
        drivers = sorted(rows["driver"].unique())
        notes.append(
            f"Elasticity 0 for {len(rows)} group x driver pair(s) ({status}; drivers "
            f"{drivers}): those scenarios change nothing there."
        )
    return notes


def plan_rows(reference: pd.DataFrame, panel: Panel, paths: ScenarioPaths) -> pd.DataFrame:
    """The data's plan for the scenarios' periods, shaped like ``paths.frame`` with the
    scenario name ``forecast.csv``."""
    spec = panel.spec
    period_col = spec.period if spec.period in reference.columns else "period"
    absent = [c for c in (period_col, *spec.known_exog) if c not in reference.columns]
    if absent:
        raise SkillcastDataError(
            f"data.future_exog lacks column(s) {absent} (it has {list(reference.columns)}): "
            "the plan needs 'period' and every known driver."
        )
    periods = parse_periods(reference[period_col].reset_index(drop=True), panel.freq).periods
    wanted = pd.PeriodIndex(paths.frame[spec.period].unique())
    keep = periods.isin(wanted).to_numpy()
    keys = [c for c in paths.frame.columns if c in spec.keys and c in reference.columns]
    rows = reference.loc[keep, [*keys, *spec.known_exog]].reset_index(drop=True)
    rows.insert(len(keys), spec.period, periods[keep].reset_index(drop=True))
    rows.insert(0, SCENARIO, PLAN)
    return rows.drop_duplicates([*keys, spec.period], ignore_index=True)


def scenario_metrics(table: pd.DataFrame) -> dict[str, float]:
    """Total forecast of the last period per scenario (from ``forecast_scenarios.csv``),
    for tracking across cycles."""
    last = table.loc[table["period"] == table["period"].iloc[-1]]
    sums = last.groupby(SCENARIO, sort=False)["forecast"].sum()
    return {
        "scenario_" + re.sub(r"[^0-9A-Za-z_]+", "_", str(name)) + "_last_period": float(value)
        for name, value in sums.items()
    }
