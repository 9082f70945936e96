"""Calendar features of the TARGET period.

The target period lies ``step`` periods after the origin; calendar features describe
it (never the origin), and may describe a period beyond the panel's last one.

================  ==========================================================  =================
name              meaning                                                     periods read
================  ==========================================================  =================
``season``        position of the target period within its year, 1-based:     none (calendar)
                  half-year 1-2, quarter 1-4, month 1-12; always 1 if annual
``trend``         periods from the first period of the panel seen in ``fit``  none (calendar)
                  to the target period (0 for that first period)
``horizon_step``  ``step``: how far ahead of the origin the target lies        none
================  ==========================================================  =================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.features.base import FeatureBuilder, PanelArrays, repeat_per_origin
from skillcast.panel import Panel


def target_periods(panel: Panel, origins: np.ndarray, step: int) -> pd.PeriodIndex:
    """The target period ``origin + step`` of each origin (may lie beyond the panel)."""
    first = panel.periods[0]
    last_pos = int(origins.max()) + step if len(origins) else 0
    grid = panel.freq.range(first, first + last_pos)
    return grid[origins + step]


class SeasonTrend(FeatureBuilder):
    """``season`` and ``trend`` of the target period, and ``horizon_step``.

    ``trend`` counts periods from the first period of the panel given to ``fit``, so it
    means the same whether ``transform`` sees the training panel or a longer one.
    """

    def _fit(self, panel: Panel) -> None:
        if panel.n_periods == 0:
            raise SkillcastConfigError("SeasonTrend cannot be fitted on an empty panel.")
        self.start_ = panel.periods[0]
        self.feature_names_out_ = ["season", "trend", "horizon_step"]

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        panel = arrays.panel
        targets = target_periods(panel, origins, step)
        season = panel.freq.season(targets)
        trend = panel.freq.steps(targets, self.start_)
        n = panel.n_series
        return [
            repeat_per_origin(season, n),
            repeat_per_origin(trend, n),
            np.full(len(origins) * n, float(step)),
        ]
