"""Run skillcast on a Dask cluster: local models fitted per partition of series, the
pooled LightGBM model trained with ``lightgbm.dask`` on rows built per partition, the
AutoForecaster with its members fitted both ways, MinT reconciliation with the bottom
series' blocks on the workers, and partitioned Parquet datasets validated one partition
per task.

Fitting needs the ``dask`` extra (``pip install 'skillcast[dask]'``); ``import
skillcast`` never loads Dask. A notebook passes its client, or works inside
``with client.as_current():``::

    from distributed import Client
    from skillcast.distributed import DistributedForecaster, DistributedGlobalModel

    with Client("tcp://scheduler:8786") as client:
        model = DistributedForecaster(AutoETS(), partition_by="region").fit(panel, client)
        pooled = DistributedGlobalModel(GlobalModel(), partition_by="region").fit(panel)
    model.predict(4)  # no cluster needed once fitted

A fitted model records how long each partition's task ran on its worker
(``partition_seconds_``); :mod:`skillcast.distributed.projection` projects from those
times the fit's wall time on a cluster of another size.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from skillcast.distributed.auto import DistributedAutoForecaster, check_auto
    from skillcast.distributed.client import current_client, dask_client
    from skillcast.distributed.local_models import (
        LOCAL_MODELS,
        DistributedFitError,
        DistributedForecaster,
    )
    from skillcast.distributed.partitions import (
        DEFAULT_PARTITION_SIZE,
        PartitionedPanel,
        partition_labels,
        partition_series,
        read_partitioned,
        subpanel,
    )
    from skillcast.distributed.pooled_model import DistributedGlobalModel, check_pooled
    from skillcast.distributed.projection import (
        lpt_makespan,
        projected_wall_time,
        run_overhead,
    )
    from skillcast.distributed.reconciliation import bottom_blocks, reconcile_blocks

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "LOCAL_MODELS",
    "DistributedAutoForecaster",
    "DistributedFitError",
    "DistributedForecaster",
    "DistributedGlobalModel",
    "PartitionedPanel",
    "bottom_blocks",
    "check_auto",
    "check_pooled",
    "current_client",
    "dask_client",
    "lpt_makespan",
    "partition_labels",
    "partition_series",
    "projected_wall_time",
    "read_partitioned",
    "reconcile_blocks",
    "run_overhead",
    "subpanel",
]

# each name is imported from its module on first use: loading a saved pooled model (a
# model registry serving forecasts) imports pooled_model only, and so needs no Dask
_HOMES = {
    "DEFAULT_PARTITION_SIZE": "partitions",
    "LOCAL_MODELS": "local_models",
    "DistributedAutoForecaster": "auto",
    "DistributedFitError": "local_models",
    "DistributedForecaster": "local_models",
    "DistributedGlobalModel": "pooled_model",
    "PartitionedPanel": "partitions",
    "bottom_blocks": "reconciliation",
    "check_auto": "auto",
    "check_pooled": "pooled_model",
    "current_client": "client",
    "dask_client": "client",
    "lpt_makespan": "projection",
    "partition_labels": "partitions",
    "partition_series": "partitions",
    "projected_wall_time": "projection",
    "read_partitioned": "partitions",
    "reconcile_blocks": "reconciliation",
    "run_overhead": "projection",
    "subpanel": "partitions",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value
