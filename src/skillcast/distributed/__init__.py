"""Run skillcast on a Dask cluster: local models fitted per partition of series, and
partitioned Parquet datasets validated one partition per task.

Importing this package loads Dask (the ``dask`` extra: ``pip install 'skillcast[dask]'``);
``import skillcast`` does not. A notebook passes its client, or works inside
``with client.as_current():``::

    from distributed import Client
    from skillcast.distributed import DistributedForecaster

    with Client("tcp://scheduler:8786") as client:
        model = DistributedForecaster(AutoETS(), partition_by="region").fit(panel, client)
    model.predict(4)  # no cluster needed once fitted
"""

from skillcast.distributed.client import current_client, dask_client
from skillcast.distributed.local_models import (
    LOCAL_MODELS,
    DistributedFitError,
    DistributedForecaster,
)
from skillcast.distributed.partitions import (
    DEFAULT_PARTITION_SIZE,
    PartitionedPanel,
    partition_series,
    read_partitioned,
    subpanel,
)

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "LOCAL_MODELS",
    "DistributedFitError",
    "DistributedForecaster",
    "PartitionedPanel",
    "current_client",
    "dask_client",
    "partition_series",
    "read_partitioned",
    "subpanel",
]
