"""Forecast accuracy measures, on arrays and on backtest results.

Array functions take 1-D arrays of equal length; a cell whose actual (or forecast) is
NaN is left out. :func:`evaluate` scores a :class:`~skillcast.backtest.BacktestResult`
per series, horizon step, taxonomy group or overall (:func:`skillcast.backtest.compare`
backtests several forecasters on the same windows and tabulates them).

Submodules, by what they hold:

- :mod:`skillcast.metrics.point` -- point errors: ``mae``, ``rmse``, ``wape``, ``smape``,
  ``bias``, ``relative_bias``, and the scaled ``mase``, ``rmsse``;
- :mod:`skillcast.metrics.interval` -- interval bounds: ``pinball``, ``level_quantiles``,
  ``coverage``, ``interval_width``;
- :mod:`skillcast.metrics.structure` -- direction and mix: ``direction_hit_rate``,
  ``dissimilarity_index``;
- :mod:`skillcast.metrics.tables` -- backtest tables: ``evaluate``, ``metrics_by_step``,
  ``prefix``.

Every name is importable from ``skillcast.metrics`` itself.

Definitions (e = forecast - actual; units are those of the target unless stated):

- ``mae`` mean |e|; ``rmse`` sqrt(mean e^2); ``bias`` mean e (positive = over-forecast);
  ``rel_bias`` sum e / sum y; ``wape`` sum |e| / sum |y|. For these ratios 0/0 is 0 and
  x/0 is +-inf.
- ``smape`` mean of 200 |e| / (|f| + |y|), on a 0-200 scale; a cell with f = y = 0
  scores 0.
- ``mase`` / ``rmsse``: each cell's error is scaled by its window's in-sample
  seasonal-naive MAE (RMSE for rmsse) of its series, computed on the training part up
  to the origin (see :func:`skillcast.models.validation.training_scales`). Per series,
  mase = mean |e| / scale and rmsse = sqrt(mean e^2 / scale^2) over all its windows
  and steps; a group's value is the unweighted mean over its series, so every series
  counts once whatever its size.
  Cells whose scale is 0 (a series flat in training) or undefined are left out of both;
  ``mase_excluded`` counts the series with at least one such scored cell. WAPE still
  scores them.
- ``pinball_lower_<l>`` / ``pinball_upper_<l>``: pinball loss of the interval bounds as
  quantiles (1 - l/100)/2 and (1 + l/100)/2; ``coverage_<l>`` share of actuals inside
  [lower, upper] (bounds included); ``width_<l>`` mean upper - lower.
- ``hit_rate``: direction of change. Forecast and actual are compared with the value at
  the origin; each change is classed down / flat / up (flat when |change| <= tol,
  default 0) and a cell is a hit when both classes agree. So a flat forecast hits only
  a flat actual. Cells without a value at the origin are left out.
- ``di``: dissimilarity index between the forecast and actual distributions across the
  categories of one column (default ``occupation``). For each (origin, period) cell,
  forecasts and actuals are summed per category over the other keys (scored rows only),
  DI = 0.5 * sum_i |f_i / F - a_i / A| (0 = same mix, 1 = disjoint); a group's value is
  the mean over its cells. Cells with F or A = 0 or fewer than two categories are left
  out (DI is undefined there, e.g. when grouping by the category column itself).
"""

from skillcast.metrics.interval import coverage, interval_width, level_quantiles, pinball
from skillcast.metrics.point import bias, mae, mase, relative_bias, rmse, rmsse, smape, wape
from skillcast.metrics.structure import direction_hit_rate, dissimilarity_index
from skillcast.metrics.tables import GroupSpec, evaluate, level_order, metrics_by_step, prefix

__all__ = [
    "GroupSpec",
    "bias",
    "coverage",
    "direction_hit_rate",
    "dissimilarity_index",
    "evaluate",
    "interval_width",
    "level_order",
    "level_quantiles",
    "mae",
    "mase",
    "metrics_by_step",
    "pinball",
    "prefix",
    "relative_bias",
    "rmse",
    "rmsse",
    "smape",
    "wape",
]
