"""The MLflow pyfunc flavor of a skillcast forecaster: a loader module of the installed package.

A model version is logged with ``loader_module="skillcast.pyfunc"`` and the fitted
forecaster as its data: the directory written by
:func:`skillcast.persistence.save_forecaster` (JSON, npz, Parquet, LightGBM text). No
code file is stored with the model: ``mlflow.pyfunc.load_model`` imports this module
from the environment and calls :func:`_load_pyfunc` on the data directory, so loading
runs the installed skillcast, never code kept in the artifact store.

Request frame: a column ``horizon`` (periods to forecast, the same on every row) and,
for models using known-in-advance drivers, optional rows of future driver values
(``period`` label, any key columns, the driver columns). Response: the forecast frame
(key columns, ``period`` label such as ``2026-H1``, ``step``, ``mean``,
``lower_<l>``/``upper_<l>``).

Neither this module nor ``import skillcast`` imports MLflow.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.forecast import Forecast
from skillcast.periods import parse_periods
from skillcast.persistence import load_forecaster


class SkillcastForecastModel:
    """Serve a saved forecaster: ``predict(frame with horizon) -> forecast frame``."""

    def __init__(self, forecaster: Any) -> None:
        self.forecaster = forecaster

    @property
    def python_model(self) -> SkillcastForecastModel:
        # what PyFuncModel.unwrap_python_model() returns: callers written for the
        # models-from-code versions reach the forecaster as .unwrap_python_model().forecaster
        return self

    def get_raw_model(self) -> Any:
        """The forecaster (``PyFuncModel.get_raw_model()``)."""
        return self.forecaster

    def predict(self, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        request = pd.DataFrame(model_input)
        if "horizon" not in request.columns or request["horizon"].isna().all():
            raise SkillcastConfigError("The request needs a column 'horizon' (periods ahead).")
        horizons = pd.unique(request["horizon"].dropna())
        if len(horizons) != 1:
            raise SkillcastConfigError(f"One horizon per request, got {sorted(horizons)}.")
        forecast = self.forecaster.predict(int(horizons[0]), exog=future_exog(self, request))
        return labelled(forecast)


def _load_pyfunc(data_path: str | os.PathLike[str], model_config: Any = None) -> Any:
    """MLflow's loader-module entry point: the model served from a saved forecaster."""
    return SkillcastForecastModel(load_forecaster(data_path))


def future_exog(model: SkillcastForecastModel, request: pd.DataFrame) -> pd.DataFrame | None:
    """Rows of known future drivers in the request, periods parsed; None if there are none."""
    spec = model.forecaster.panel_.spec
    drivers = [c for c in spec.known_exog if c in request.columns]
    if not drivers or spec.period not in request.columns:
        return None
    rows = request.loc[request[spec.period].notna()]
    if rows.empty:
        return None
    keys = [k for k in spec.keys if k in rows.columns and rows[k].notna().any()]
    exog = rows.loc[:, [*keys, spec.period, *drivers]].reset_index(drop=True)
    parsed = parse_periods(exog[spec.period].astype(str), spec.frequency)
    if np.any(parsed.unparseable | parsed.off_grid):
        raise SkillcastConfigError(
            f"Request column {spec.period!r} holds labels that are not {spec.frequency.name} "
            "periods."
        )
    exog[spec.period] = parsed.periods
    return exog


def labelled(forecast: Forecast) -> pd.DataFrame:
    """The forecast frame with the period column as text labels."""
    frame = forecast.frame.copy()
    frame["period"] = forecast.spec.frequency.labels(pd.PeriodIndex(frame["period"]))
    for key in forecast.spec.keys:
        frame[key] = frame[key].astype(str)
    return frame
