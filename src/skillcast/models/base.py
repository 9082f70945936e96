"""The forecaster protocol every model follows.

Every forecaster follows scikit-learn's estimator contract (``__init__`` stores its
arguments, ``fit`` validates and learns, learned state ends in ``_``, ``predict`` never
changes it) and works on the dense (series x periods) view of a
:class:`~skillcast.panel.Panel`, so no model loops over series in Python. It returns a
:class:`~skillcast.forecast.Forecast`.

The hooks a subclass may offer are declared here, each with a default:

* :meth:`Forecaster._fit_dense` and :meth:`Forecaster._predict_dense` (required): learn
  from and forecast the dense arrays; :meth:`Forecaster.predict_dense` is the public
  face of the second, for combiners and the rolling-origin engine;
* :meth:`Forecaster.rolling_forecast`: point forecasts from earlier origins of the
  fitted panel (default: refit a clone at each, :mod:`skillcast.models.validation`);
  a model that can do better (the pooled model retrains on slices of its feature
  table) overrides it;
* :meth:`Forecaster.update` with ``updatable = True``: condition on newer data without
  re-estimating (backtests with ``refit=False`` use it);
* :meth:`Forecaster._calibration` and :meth:`Forecaster._bounds`: conformal intervals
  by default (:mod:`skillcast.models.calibration`); quantile models override both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastConfigError
from skillcast.forecast import DEFAULT_LEVELS, Forecast, forecast_frame
from skillcast.models.calibration import (
    ConformalCalibration,
    ConformalIntervals,
    calibrate,
    conformal_bounds,
)
from skillcast.models.validation import (
    RollingForecasts,
    refit_forecasts,
    series_groups,
    validation_origins,
)
from skillcast.panel import Panel

__all__ = ["DEFAULT_LEVELS", "Forecast", "Forecaster", "check_panel", "forecast_frame"]


def check_panel(panel: object, who: str) -> Panel:
    """``panel`` if it is a :class:`Panel`; a clear error for a DataFrame or anything else."""
    if isinstance(panel, Panel):
        return panel
    hint = (
        " Build one with skillcast.load_panel(frame, spec): it validates the rows and "
        "gives the dense (series x periods) view every model reads."
        if isinstance(panel, pd.DataFrame)
        else ""
    )
    raise SkillcastConfigError(
        f"{who}.fit needs a skillcast Panel, got a {type(panel).__name__}.{hint}"
    )


class Forecaster(BaseEstimator, ABC):
    """Base class: ``fit(panel) -> self``, ``predict(horizon, exog=None) -> Forecast``.

    ``levels`` are the central interval coverages (percent) to produce (``()``: point
    forecasts only); ``intervals`` (:class:`ConformalIntervals`, ``None`` for the
    defaults) says how they are calibrated. Both are init parameters of every subclass.
    """

    levels: tuple[int, ...] = DEFAULT_LEVELS
    intervals: ConformalIntervals | None = None
    #: True when :meth:`update` conditions on newer data without re-estimating.
    updatable: ClassVar[bool] = False

    def fit(self, panel: Panel) -> Self:
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        self.panel_ = panel
        validation = self._fit_dense(panel.dense(), panel)
        self.calibration_ = self._calibration(panel, validation) if self.levels else None
        return self

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        mean = self.predict_dense(horizon, exog)
        bounds = self._bounds(mean, int(horizon), exog) if self.levels else None
        return forecast_frame(self.panel_, mean, bounds, model=type(self).__name__)

    def predict_dense(self, horizon: int, exog: pd.DataFrame | None = None) -> np.ndarray:
        """Point forecasts (series x horizon, panel order, not clipped) of the fitted model."""
        self._check_fitted()
        if int(horizon) < 1:
            raise SkillcastConfigError(f"horizon must be >= 1, got {horizon!r}")
        return self._predict_dense(int(horizon), exog)

    def rolling_forecast(self, panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
        """Point forecasts from each origin (positions in ``panel.periods``), each seeing
        the data up to it only: (series x origins x horizon), clipped at 0, NaN for series
        absent at an origin. ``panel`` is the panel this model was fitted on."""
        return refit_forecasts(self, panel, origins, horizon)

    def fit_rolling(self, panel: Panel, origins: Sequence[int], horizon: int) -> np.ndarray:
        """Fit on ``panel`` and return :meth:`rolling_forecast` from ``origins``: what a
        caller validating this model needs, in one call, so that a model may share work
        between the two (AutoETS warm-starts its refits; the distributed wrappers run
        both where the partitions lie). This default fits, then forecasts."""
        return self.fit(panel).rolling_forecast(panel, origins, horizon)

    def update(self, panel: Panel) -> Self:
        """Condition on ``panel`` (the same series, more periods) without re-estimating;
        offered where ``updatable`` is True."""
        raise NotImplementedError(f"{type(self).__name__} cannot update: refit it instead.")

    @abstractmethod
    def _fit_dense(self, y: np.ndarray, panel: Panel) -> RollingForecasts | None:
        """Learn from ``y`` (series x periods, NaN outside each series' span).

        A forecaster that already forecast from validation origins while fitting (to
        weight or route members) returns those forecasts: intervals are calibrated on
        them instead of on fresh rolling forecasts.
        """

    @abstractmethod
    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        """Point forecasts, (series x horizon), series in panel order."""

    def check_levels(self) -> None:
        """Raise unless every interval level is a percentage in (0, 100)."""
        for level in self.levels:
            if not 0 < float(level) < 100:
                raise SkillcastConfigError(
                    f"interval levels are percentages in (0, 100), got {level!r}"
                )

    def interval_settings(self) -> ConformalIntervals:
        """The ``intervals`` parameter, or the defaults when it is ``None``."""
        return self.intervals if self.intervals is not None else ConformalIntervals()

    def _calibration(
        self, panel: Panel, validation: RollingForecasts | None
    ) -> ConformalCalibration | None:
        """What :meth:`_bounds` needs: rolling-origin residuals (conformal intervals)."""
        self.check_levels()
        settings = self.interval_settings()
        if validation is None:
            origins, horizon = validation_origins(panel, settings.windows, settings.horizon)
            validation = RollingForecasts(origins, self.rolling_forecast(panel, origins, horizon))
        groups = validation.groups
        if groups is None:
            groups, _ = series_groups(panel, settings.groups)
        return calibrate(
            panel, validation.origins, validation.forecasts, groups, settings.min_residuals
        )

    def _bounds(
        self, mean: np.ndarray, horizon: int, exog: pd.DataFrame | None
    ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Interval bounds per level; the default uses conformal calibration."""
        return conformal_bounds(self.calibration_, self.levels, mean, horizon, type(self).__name__)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            raise SkillcastConfigError(f"{type(self).__name__} is not fitted: call fit first.")
