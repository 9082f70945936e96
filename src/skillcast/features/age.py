"""How much history each series has at the forecast origin.

================  ==========================================================  ==========
name              meaning                                                     periods read
================  ==========================================================  ==========
``age``           observed (non-missing) target values at or before origin   0..origin
``cold_start``    1.0 if ``age < min_history`` else 0.0                       0..origin
================  ==========================================================  ==========

A series that starts after the origin has age 0 (and every lag NaN).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.features.base import FeatureBuilder, PanelArrays
from skillcast.features.windows import prefix_sums
from skillcast.panel import Panel


class SeriesAge(FeatureBuilder):
    """``age`` (observed target values up to the origin) and ``cold_start`` flag.

    Args:
        min_history: a series with fewer observed values than this is a cold start.
    """

    def __init__(self, min_history: int = 4) -> None:
        self.min_history = min_history

    def _fit(self, panel: Panel) -> None:
        if isinstance(self.min_history, bool) or not isinstance(self.min_history, int | np.integer):
            raise SkillcastConfigError(
                f"SeriesAge.min_history must be an integer, got {self.min_history!r}."
            )
        self.feature_names_out_ = ["age", "cold_start"]

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        count, _, _ = prefix_sums(arrays).window(origins, None)
        age = count.reshape(-1)
        return [age, (age < self.min_history).astype(float)]
