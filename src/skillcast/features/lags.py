"""Lags and growth rates of the target, read at and before the forecast origin.

Lags are counted back from the origin: ``lag_k`` is the target at position
``origin - k + 1``, so ``lag_1`` is the value at the origin itself (the latest value
known when forecasting). Positions before the panel's first period, before a series'
first row, and missing values give NaN (gradient-boosted trees route NaN on their own).

=============  ==========================================================  ==================
name           meaning                                                     periods read
=============  ==========================================================  ==================
``lag_k``      target at ``origin - k + 1``                                ``origin - k + 1``
``growth_k``   ``log1p(y[origin]) - log1p(y[origin - k])``                  origin, origin - k
``growth_yoy`` the same with ``k`` = periods per year (omitted if that is   origin,
               already one of ``periods``, e.g. annual panels)             origin - k
=============  ==========================================================  ==================

``log1p`` keeps growth finite where the target is zero: 0 -> 3 workers is
``log(4) = 1.386``, 0 -> 0 is 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.features.base import (
    FeatureBuilder,
    FeatureScale,
    PanelArrays,
    check_positive_ints,
)
from skillcast.panel import Panel


class Lags(FeatureBuilder):
    """Past values of the target: ``lag_k`` = value at ``origin - k + 1``.

    Args:
        lags: distinct integers >= 1; output columns follow this order.
    """

    def __init__(self, lags: tuple[int, ...] = (1, 2, 3, 4)) -> None:
        self.lags = lags

    def _fit(self, panel: Panel) -> None:
        self.lags_ = check_positive_ints("Lags.lags", self.lags)
        self.feature_names_out_ = [f"lag_{k}" for k in self.lags_]

    def get_feature_scales_out(self) -> list[FeatureScale]:
        return ["level"] * len(self.get_feature_names_out())

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        return [arrays.gather(None, origins - k + 1) for k in self.lags_]


class GrowthRates(FeatureBuilder):
    """Log growth of the target up to the origin, safe at zero.

    ``growth_k = log1p(y[origin]) - log1p(y[origin - k])`` for each ``k`` in
    ``periods`` (period-over-period for ``k = 1``), plus ``growth_yoy`` with ``k`` the
    panel's periods per year when ``year_over_year`` is true and that ``k`` is not
    already in ``periods``.

    Args:
        periods: distinct integers >= 1.
        year_over_year: add the year-over-year growth ``growth_yoy``.
    """

    def __init__(self, periods: tuple[int, ...] = (1,), year_over_year: bool = True) -> None:
        self.periods = periods
        self.year_over_year = year_over_year

    def _fit(self, panel: Panel) -> None:
        self.periods_ = check_positive_ints("GrowthRates.periods", self.periods)
        season_length = panel.freq.season_length
        self.yoy_period_ = (
            season_length if self.year_over_year and season_length not in self.periods_ else None
        )
        names = [f"growth_{k}" for k in self.periods_]
        if self.yoy_period_ is not None:
            names.append("growth_yoy")
        self.feature_names_out_ = names

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        now = np.log1p(arrays.gather(None, origins))
        ks = list(self.periods_)
        if self.yoy_period_ is not None:
            ks.append(self.yoy_period_)
        return [now - np.log1p(arrays.gather(None, origins - k)) for k in ks]
