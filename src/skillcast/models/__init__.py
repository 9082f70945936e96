"""Forecasters sharing one protocol: ``fit(panel) -> self``, ``predict(horizon) -> Forecast``."""

from skillcast.models.base import DEFAULT_LEVELS, Forecast, Forecaster, forecast_frame
from skillcast.models.baselines import Drift, Naive, SeasonalNaive, WindowAverage
from skillcast.models.calibration import ConformalIntervals, conformal_bounds
from skillcast.models.ets import AutoETS, ExponentialSmoothing
from skillcast.models.intermittent import TSB, Croston, classify_demand
from skillcast.models.theta import Theta

__all__ = [
    "DEFAULT_LEVELS",
    "TSB",
    "AutoETS",
    "ConformalIntervals",
    "Croston",
    "Drift",
    "ExponentialSmoothing",
    "Forecast",
    "Forecaster",
    "Naive",
    "SeasonalNaive",
    "Theta",
    "WindowAverage",
    "classify_demand",
    "conformal_bounds",
    "forecast_frame",
]

# pooled, combined, analogue and routed forecasters
from skillcast.models.analogues import AnalogueForecaster
from skillcast.models.auto import AutoForecaster
from skillcast.models.ensemble import Ensemble
from skillcast.models.global_model import GlobalModel

__all__ += ["AnalogueForecaster", "AutoForecaster", "Ensemble", "GlobalModel"]
