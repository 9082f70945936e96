"""Feature builders: turn a panel, forecast origins and a horizon step into a feature matrix.

Every builder follows scikit-learn's estimator contract and the same interface:
``fit(panel) -> self``; ``transform(panel, origins, step, exog=None)`` -> float64
``(len(origins) * n_series, n_features)``, rows origin-major (all series in panel order
for ``origins[0]``, then ``origins[1]``...); ``get_feature_names_out()``.

``origins`` are positions in ``panel.periods``: the last period a row may read. The
target lies at ``origin + step``. Target-history and observed-only features read only
periods ``<= origin``; calendar features and known-in-advance drivers describe the
target period. Values before a series' first observation are NaN (LightGBM routes
missing values itself). ``get_feature_scales_out()`` declares, per column, whether it is
a level of the target, a spread, or neither. See ``README.md`` in this package for every
feature name.
"""

from skillcast.features.age import SeriesAge
from skillcast.features.base import FEATURE_SCALES, FeatureBuilder, FeatureScale
from skillcast.features.exogenous import ExogenousFeatures
from skillcast.features.hierarchy import HierarchyFeatures
from skillcast.features.lags import GrowthRates, Lags
from skillcast.features.pipeline import (
    FeaturePipeline,
    default_lags,
    default_windows,
    make_default_features,
    make_minimal_features,
)
from skillcast.features.season import SeasonTrend
from skillcast.features.static import StaticFeatures
from skillcast.features.windows import ExpandingMean, RollingWindows

__all__ = [
    "FEATURE_SCALES",
    "ExogenousFeatures",
    "ExpandingMean",
    "FeatureBuilder",
    "FeaturePipeline",
    "FeatureScale",
    "GrowthRates",
    "HierarchyFeatures",
    "Lags",
    "RollingWindows",
    "SeasonTrend",
    "SeriesAge",
    "StaticFeatures",
    "default_lags",
    "default_windows",
    "make_default_features",
    "make_minimal_features",
]
