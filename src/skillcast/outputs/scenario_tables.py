"""The scenario tables: ``forecast_scenarios.csv``, ``scenario_drivers.csv`` and
``scenario_elasticities.csv``.

Same conventions as the forecast tables (:mod:`skillcast.outputs.forecast_tables`).

* ``forecast_scenarios.csv`` (:data:`SCENARIO_COLUMNS`): ``scenario`` then the columns of
  ``forecast.csv``; one row per scenario, bottom series and period.
* ``scenario_drivers.csv``: ``scenario``, ``period``, the key columns a driver varies by
  (none for city-wide drivers), one column per driver, in the data's units (rounded to 4
  significant digits), then the stamp columns.
* ``scenario_elasticities.csv``: the grouping codes with their names, ``driver``,
  ``elasticity`` and ``std_error`` (3 decimals), ``n_obs``, ``driver_sd`` (4 decimals),
  ``status``, ``pool`` (the cluster or section whose estimates it was pooled with) and
  ``shrinkage`` (weight of the pool's mean, 3 decimals), then the stamp columns.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from skillcast.forecast import Forecast
from skillcast.outputs.forecast_tables import (
    NAMED_KEYS,
    PLANNER_COLUMNS,
    extra_keys,
    planner_columns,
    planner_frame,
    stamp,
)
from skillcast.periods import Frequency

__all__ = ["SCENARIO_COLUMNS", "drivers_frame", "elasticities_frame", "scenario_frame"]

SCENARIO = "scenario"
#: ``forecast_scenarios.csv``: ``scenario`` then the planner columns.
SCENARIO_COLUMNS: tuple[str, ...] = (SCENARIO, *PLANNER_COLUMNS)


def scenario_frame(
    forecasts: pd.DataFrame,
    template: Forecast,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
    emerging: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Planner rows of stacked scenario forecasts (a ``scenario`` column and the columns
    of ``template.frame``), scenarios in their order of appearance; ``emerging`` flags
    the series as in :func:`~skillcast.outputs.planner_frame`."""
    parts = []
    for name, part in forecasts.groupby(SCENARIO, sort=False):  # a handful of scenarios
        one = Forecast(
            frame=part.drop(columns=SCENARIO).reset_index(drop=True),
            spec=template.spec,
            levels=template.levels,
            model=template.model,
        )
        table = planner_frame(
            one,
            model_version=model_version,
            run_id=run_id,
            created_at=created_at,
            forecast_run_id=forecast_run_id,
            data_through=data_through,
            refit=refit,
            emerging=emerging,
        )
        table.insert(0, SCENARIO, str(name))
        parts.append(table)
    columns = (SCENARIO, *planner_columns(extra_keys(template.spec.keys)))
    return pd.concat(parts, ignore_index=True).loc[:, list(columns)]


def drivers_frame(
    paths: pd.DataFrame,
    freq: Frequency,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
) -> pd.DataFrame:
    """The driver path of every scenario: ``paths`` (``scenario``, optional keys,
    ``period``, drivers) with period labels and values to 4 significant digits."""
    out = paths.copy()
    out["period"] = freq.labels(pd.PeriodIndex(out["period"]))
    for column in out.columns:
        if column not in {SCENARIO, "period"} and pd.api.types.is_float_dtype(out[column]):
            values = out[column].to_numpy(dtype=float)
            digits = 3 - np.floor(np.log10(np.abs(np.where(values == 0, 1.0, values))))
            out[column] = [round(v, int(d)) for v, d in zip(values, digits, strict=True)]
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return out


def elasticities_frame(
    table: pd.DataFrame,
    *,
    model_version: str | int = "",
    run_id: str = "",
    created_at: datetime | None = None,
    forecast_run_id: str = "",
    data_through: str = "",
    refit: bool = False,
) -> pd.DataFrame:
    """``DriverElasticities.table_`` with VI/EN names beside each classified code."""
    from skillcast import taxonomy  # the tables load on first use only

    out = pd.DataFrame(index=table.index)
    for column in table.columns[: list(table.columns).index("driver")]:
        out[column] = table[column].astype(str)
        if column in NAMED_KEYS:
            names = taxonomy.builtin(column)
            for lang in ("vi", "en"):
                out[f"{column}_name_{lang}"] = names.name_of(
                    out[column].to_numpy(dtype=str), lang=lang
                ).to_numpy(dtype=object)
    out["driver"] = table["driver"]
    out["elasticity"] = table["elasticity"].round(3)
    out["std_error"] = table["std_error"].round(3)
    out["n_obs"] = table["n_obs"].astype(int)
    out["driver_sd"] = table["driver_sd"].round(4)
    out["status"] = table["status"]
    if "pool" in table.columns:
        out["pool"] = table["pool"].astype(str)
        out["shrinkage"] = table["shrinkage"].round(3)
    stamp(out, model_version, run_id, created_at, forecast_run_id, data_through, refit)
    return out.reset_index(drop=True)
