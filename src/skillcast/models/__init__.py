"""Forecasters sharing one protocol: ``fit(panel) -> self``, ``predict(horizon) -> Forecast``."""

from skillcast.models.base import DEFAULT_LEVELS, Forecast, Forecaster, forecast_frame

__all__ = ["DEFAULT_LEVELS", "Forecast", "Forecaster", "forecast_frame"]
