"""The :class:`Forecast` frame every forecaster returns, and how one is built.

Part of the data contract: the demand, outputs and scenario layers read forecasts
through this module alone, so importing them does not load any model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
