"""The forecaster protocol and the :class:`Forecast` it returns.

Every forecaster follows scikit-learn's estimator contract (``__init__`` stores its
arguments, ``fit`` validates and learns, learned state ends in ``_``) and works on the
dense (series x periods) view of a :class:`~skillcast.panel.Panel`, so no model loops
over series in Python.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel, PanelSpec

DEFAULT_LEVELS: tuple[int, ...] = (80, 95)


def interval_columns(level: int) -> tuple[str, str]:
    """Names of the lower and upper bound columns of a central interval (``lower_80``)."""
    return f"lower_{level}", f"upper_{level}"


@dataclass
class Forecast:
    """Forecasts in long format.

    ``frame`` has the panel's key columns, ``period`` (pandas Period), ``step`` (1 for
    the first period after the origin), ``mean`` and, for each level in ``levels``,
    ``lower_<level>`` and ``upper_<level>``. All values are >= 0.
    """

    frame: pd.DataFrame
    spec: PanelSpec
    levels: tuple[int, ...] = DEFAULT_LEVELS
    model: str = ""

    @property
    def origin(self) -> pd.Period:
        return self.frame["period"].min() - 1

    def dense(self, column: str = "mean") -> np.ndarray:
        """(series x steps) array of a column, series in the frame's order."""
        steps = int(self.frame["step"].max())
        return self.frame[column].to_numpy(dtype=float).reshape(-1, steps)

    def __len__(self) -> int:
        return len(self.frame)


def forecast_frame(
    panel: Panel,
    mean: np.ndarray,
    bounds: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
    origin: pd.Period | None = None,
    model: str = "",
) -> Forecast:
    """Build a :class:`Forecast` from (series x steps) arrays, series in panel order.

    Negative values are clipped to zero: a count of workers cannot be negative.
    """
    n_series, horizon = mean.shape
    if n_series != panel.n_series:
        raise ValueError(f"mean has {n_series} rows, the panel {panel.n_series} series")
    origin = panel.periods[-1] if origin is None else origin
    steps = np.tile(np.arange(1, horizon + 1), n_series)
    periods = panel.freq.range(origin + 1, origin + horizon)
    frame = panel.series.loc[np.repeat(np.arange(n_series), horizon)].reset_index(drop=True)
    frame["period"] = np.tile(periods.to_numpy(), n_series)
    frame["period"] = frame["period"].astype(periods.dtype)
    frame["step"] = steps
    frame["mean"] = np.clip(mean, 0.0, None).ravel()
    levels = tuple(sorted(bounds)) if bounds else ()
    for level in levels:
        lo, hi = bounds[level]  # type: ignore[index]
        lo_col, hi_col = interval_columns(level)
        frame[lo_col] = np.clip(np.minimum(lo, mean), 0.0, None).ravel()
        frame[hi_col] = np.clip(np.maximum(hi, mean), 0.0, None).ravel()
    return Forecast(frame=frame, spec=panel.spec, levels=levels, model=model)


class Forecaster(BaseEstimator, ABC):
    """Base class: ``fit(panel) -> self``, ``predict(horizon, exog=None) -> Forecast``.

    Subclasses implement :meth:`_fit_dense` and :meth:`_predict_dense`; interval
    calibration and the long output frame are shared. ``levels`` are the central
    interval coverages (percent) to produce; ``()`` gives point forecasts only.
    """

    levels: tuple[int, ...] = DEFAULT_LEVELS
    # conformal calibration settings (skillcast.models.intervals); override per class or
    # instance. None horizon: twice the season length, at least 4 periods.
    calibration_windows: int = 4
    calibration_horizon: int | None = None
    min_residuals: int = 20
    interval_groups: tuple[str, ...] | None = None

    def fit(self, panel: Panel) -> Self:
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        self.panel_ = panel
        self._fit_dense(panel.dense(), panel)
        if self.levels:
            self._calibrate(panel)
        return self

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        self._check_fitted()
        if int(horizon) < 1:
            raise SkillcastConfigError(f"horizon must be >= 1, got {horizon!r}")
        mean = self._predict_dense(int(horizon), exog)
        bounds = self._bounds(mean, int(horizon)) if self.levels else None
        return forecast_frame(self.panel_, mean, bounds, model=type(self).__name__)

    @abstractmethod
    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:
        """Learn from ``y`` (series x periods, NaN outside each series' span)."""

    @abstractmethod
    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        """Point forecasts, (series x horizon), series in panel order."""

    def _calibrate(self, panel: Panel) -> None:
        """Learn what :meth:`_bounds` needs; the default stores rolling-origin residuals
        of refits on earlier origins (``calibration_``). A subclass with its own
        :meth:`_bounds` (e.g. quantile models) overrides this too."""
        from skillcast.models.intervals import calibrate

        self.calibration_ = calibrate(self, panel)

    def _bounds(self, mean: np.ndarray, horizon: int) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Interval bounds per level; the default uses conformal calibration."""
        from skillcast.models.intervals import conformal_bounds

        return conformal_bounds(self, mean, horizon)

    def _check_fitted(self) -> None:
        if not hasattr(self, "panel_"):
            raise SkillcastConfigError(f"{type(self).__name__} is not fitted: call fit first.")
