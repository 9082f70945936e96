"""A list of feature builders fitted and applied together, and the default sets.

:class:`FeaturePipeline` concatenates its builders' columns (and their declared scales,
:meth:`~skillcast.features.FeatureBuilder.get_feature_scales_out`) in order. The builders
share one dense view of the panel per ``transform`` call, so the target's dense array
and prefix sums are built once however many builders read them.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from skillcast.errors import SkillcastConfigError
from skillcast.features.age import SeriesAge
from skillcast.features.base import (
    FEATURE_SCALES,
    FeatureBuilder,
    FeatureScale,
    Origins,
    PanelArrays,
    check_frequency,
    check_origins,
    check_panel,
    check_step,
    stack_columns,
)
from skillcast.features.exogenous import ExogenousFeatures
from skillcast.features.hierarchy import HierarchyFeatures
from skillcast.features.lags import GrowthRates, Lags
from skillcast.features.season import SeasonTrend
from skillcast.features.static import MissingPolicy, StaticFeatures
from skillcast.features.windows import ExpandingMean, RollingWindows
from skillcast.panel import Panel

INDEX_COLUMNS = ("series", "origin", "step")
ROLES = ("occupation", "sector", "level")  # the key columns static and hierarchy features read


class FeaturePipeline(BaseEstimator):
    """Fit several builders on one panel and stack their features column-wise.

    Args:
        builders: feature builders; ``fit`` fits clones of them (in ``builders_``),
            so the objects passed in stay unfitted.
    """

    def __init__(self, builders: list[FeatureBuilder] | tuple[FeatureBuilder, ...] = ()) -> None:
        self.builders = builders

    def fit(self, panel: Panel) -> Self:
        """Fit every builder on ``panel``; feature names must not repeat."""
        panel = check_panel(panel, "FeaturePipeline")
        builders = list(self.builders)
        if not builders:
            raise SkillcastConfigError("FeaturePipeline needs at least one builder.")
        bad = [type(b).__name__ for b in builders if not isinstance(b, FeatureBuilder)]
        if bad:
            raise SkillcastConfigError(
                f"FeaturePipeline builders must be feature builders, got {bad}."
            )
        self.freq_ = panel.freq.name
        self.builders_ = [clone(b).fit(panel) for b in builders]
        names = [n for b in self.builders_ for n in b.get_feature_names_out()]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise SkillcastConfigError(
                f"FeaturePipeline: feature name(s) {repeated} come from more than one "
                "builder; drop the overlapping builder or change its parameters."
            )
        self.feature_names_out_ = names
        self.get_feature_scales_out()  # refuse a declaration that does not match the columns
        return self

    def transform(
        self,
        panel: Panel,
        origins: Origins,
        step: int,
        exog: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """Features, float64 ``(len(origins) * n_series, n_features)``, rows origin-major.

        The matrix is column-major in memory (LightGBM reads it without a copy).

        ``origins`` are positions in ``panel.periods`` (the last period each row may
        read); the target lies ``step`` periods later. ``exog`` supplies known drivers
        for target periods beyond the panel (see :class:`ExogenousFeatures`).
        """
        self._check_fitted()
        check_frequency(self, panel)
        origins = check_origins(origins, panel)
        step = check_step(step)
        arrays = PanelArrays(panel)
        columns: list[np.ndarray] = []
        for builder in self.builders_:
            columns += builder._columns(arrays, origins, step, exog)
        return stack_columns(columns, len(origins) * panel.n_series)

    def fit_transform(
        self,
        panel: Panel,
        origins: Origins,
        step: int,
        exog: pd.DataFrame | None = None,
    ) -> np.ndarray:
        return self.fit(panel).transform(panel, origins, step, exog)

    def transform_frame(
        self,
        panel: Panel,
        origins: Origins,
        step: int,
        exog: pd.DataFrame | None = None,
    ) -> pd.DataFrame:
        """:meth:`transform` as a DataFrame with ``series``, ``origin`` and ``step`` first.

        ``series`` is the series' position in ``panel.series`` and ``origin`` the
        origin's position in ``panel.periods`` (both int64).
        """
        values = self.transform(panel, origins, step, exog)
        origins = check_origins(origins, panel)
        n = panel.n_series
        frame = pd.DataFrame(
            {
                "series": np.tile(np.arange(n, dtype=np.int64), len(origins)),
                "origin": np.repeat(origins, n),
                "step": np.full(len(origins) * n, step, dtype=np.int64),
            }
        )
        features = pd.DataFrame(values, columns=self.feature_names_out_)
        return pd.concat([frame, features], axis=1)

    def get_feature_names_out(self, input_features: object = None) -> list[str]:
        self._check_fitted()
        return list(self.feature_names_out_)

    def get_feature_scales_out(self) -> list[FeatureScale]:
        """How each column scales with the series (``"level"``, ``"spread"`` or
        ``"none"``, as its builder declares), in the order of :meth:`get_feature_names_out`."""
        self._check_fitted()
        scales: list[FeatureScale] = []
        for builder in self.builders_:
            declared = list(builder.get_feature_scales_out())
            n_columns = len(builder.get_feature_names_out())
            if len(declared) != n_columns or not set(declared) <= set(FEATURE_SCALES):
                raise SkillcastConfigError(
                    f"{type(builder).__name__}.get_feature_scales_out() must give one of "
                    f"{FEATURE_SCALES} per output column ({n_columns}), got {declared!r}."
                )
            scales += declared
        return scales

    def _check_fitted(self) -> None:
        if not hasattr(self, "builders_"):
            raise SkillcastConfigError("FeaturePipeline is not fitted: call fit first.")


def _season_length(panel_or_season_length: Panel | int) -> int:
    if isinstance(panel_or_season_length, Panel):
        return panel_or_season_length.freq.season_length
    value = panel_or_season_length
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise SkillcastConfigError(
            f"Pass a Panel or a season length (periods per year: 1, 2, 4, 12), got {value!r}."
        )
    return int(value)


def default_lags(season_length: int) -> tuple[int, ...]:
    """Lags 1 .. 2 years back, at least 4 and at most 12 (monthly panels stop at a year)."""
    return tuple(range(1, min(max(2 * season_length, 4), 12) + 1))


def default_windows(season_length: int) -> tuple[int, ...]:
    """Half-year..two-year windows: (2, 4) annual/semi-annual, (4, 8) quarterly, (3, 12) monthly."""
    if season_length >= 12:
        return (3, 12)
    if season_length >= 4:
        return (4, 8)
    return (2, 4)


def make_default_features(panel_or_season_length: Panel | int) -> FeaturePipeline:
    """The default feature set for a global model.

    Lags (:func:`default_lags`), rolling mean/std/min/max (:func:`default_windows`),
    the expanding mean, period-over-period and year-over-year growth, season / trend /
    step of the target period, static taxonomy attributes, hierarchy totals, exogenous
    drivers and series age. Given a panel, static and hierarchy features use exactly its
    occupation / sector / level key columns; given a season length, they use those of
    the panel they are fitted on and skip the ones it lacks.
    """
    season_length = _season_length(panel_or_season_length)
    if isinstance(panel_or_season_length, Panel):
        keys = panel_or_season_length.spec.keys
        occupation, sector, level = (r if r in keys else None for r in ROLES)
        missing: MissingPolicy = "error"
    else:
        occupation, sector, level = ROLES
        missing = "skip"
    return FeaturePipeline(
        [
            Lags(default_lags(season_length)),
            RollingWindows(default_windows(season_length)),
            ExpandingMean(),
            GrowthRates(),
            SeasonTrend(),
            StaticFeatures(occupation, sector, level, missing=missing),
            HierarchyFeatures(occupation, sector, level, missing=missing),
            ExogenousFeatures(known_growth=True),
            SeriesAge(),
        ]
    )


def make_minimal_features(panel_or_season_length: Panel | int) -> FeaturePipeline:
    """Lags (:func:`default_lags`) and season / trend / step only."""
    season_length = _season_length(panel_or_season_length)
    return FeaturePipeline([Lags(default_lags(season_length)), SeasonTrend()])
