"""Coherent forecasts for the grouped occupation x level x sector x region hierarchy.

* :func:`build_structure` -> :class:`SummingStructure`: the sparse summing matrix ``S``
  (total, each key, occupation major groups, chosen cross-classifications, bottom) and a
  description of every node.
* :func:`aggregate_panel`: the history of every node, so any forecaster can produce base
  forecasts at every level; :func:`aggregate_forecast`: bottom forecasts added up.
* Reconcilers (:class:`BottomUp`, :class:`OLS`, :class:`WLS`, :class:`MinTShrink`,
  :func:`make_reconciler`) on (n_total x ...) arrays, and :func:`reconcile_forecast` on
  :class:`~skillcast.forecast.Forecast` frames, with non-negativity, series held fixed
  and reconciled interval bounds.
* :class:`ReconciledForecaster` (:mod:`~skillcast.reconcile.forecaster`): any forecaster
  made coherent, the one the apps train; :func:`level_backtest` and
  :func:`accuracy_by_level` (:mod:`~skillcast.reconcile.evaluation`): its accuracy per
  hierarchy level, before and after reconciliation.

Why not Nixtla's ``hierarchicalforecast`` (1.5.3, which installs next to pandas 3): its
MinT with shrinkage (``MinTrace``) builds a dense ``S`` and a dense n x n covariance
(50,000 bottom series: ~30 GB for ``S`` alone); its sparse ``MinTraceSparse`` offers only
OLS/WLS, solved per column by BiCGSTAB to ``atol=1e-5``; neither holds chosen bottom series
fixed, and it would add matplotlib, qpsolvers, clarabel and utilsforecast to the core.
Here the projection is solved exactly in the (few) aggregates with scipy.sparse, and the
shrinkage covariance is kept as diagonal plus low rank, so MinT scales to the full panel.
"""

from skillcast.reconcile.covariance import ErrorCovariance, residual_variance, shrunk_covariance
from skillcast.reconcile.evaluation import (
    LevelBacktest,
    accuracy_by_level,
    level_backtest,
)

# the forecaster and its evaluation build on the pieces above
from skillcast.reconcile.forecaster import LevelCalibrated, ReconciledForecaster
from skillcast.reconcile.frames import (
    aggregate_forecast,
    aggregate_panel,
    aggregated_spec,
    reconcile_forecast,
    residual_matrix,
)
from skillcast.reconcile.methods import (
    METHODS,
    OLS,
    WLS,
    BottomUp,
    MinTShrink,
    Reconciler,
    make_reconciler,
)
from skillcast.reconcile.structure import (
    AGGREGATED,
    SummingStructure,
    build_structure,
    tier_column,
)

__all__ = [
    "AGGREGATED",
    "METHODS",
    "OLS",
    "WLS",
    "BottomUp",
    "ErrorCovariance",
    "LevelBacktest",
    "LevelCalibrated",
    "MinTShrink",
    "ReconciledForecaster",
    "Reconciler",
    "SummingStructure",
    "accuracy_by_level",
    "aggregate_forecast",
    "aggregate_panel",
    "aggregated_spec",
    "build_structure",
    "level_backtest",
    "make_reconciler",
    "reconcile_forecast",
    "residual_matrix",
    "residual_variance",
    "shrunk_covariance",
    "tier_column",
]
