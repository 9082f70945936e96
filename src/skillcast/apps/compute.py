"""The ``compute`` group: where the apps fit models, this process or a Dask cluster.

``compute=dask`` wraps a local model (AutoETS, the baselines, Croston/TSB) in a
:class:`~skillcast.distributed.DistributedForecaster`, the pooled LightGBM model in a
:class:`~skillcast.distributed.DistributedGlobalModel` and the AutoForecaster in a
:class:`~skillcast.distributed.DistributedAutoForecaster`, and runs the fitting steps of the
app inside a client of that cluster. Dask is imported only then.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from omegaconf import DictConfig

from skillcast.apps.console import report
from skillcast.errors import SkillcastConfigError
from skillcast.models.auto import AutoForecaster
from skillcast.models.base import Forecaster
from skillcast.models.global_model import GlobalModel

CHOICES = ("local", "dask")


def _name(compute: DictConfig) -> str:
    name = str(compute.name)
    if name not in CHOICES:
        raise SkillcastConfigError(f"compute.name={name!r}; choose one of {CHOICES}.")
    return name


def _distributed() -> ModuleType:
    try:
        import skillcast.distributed as distributed
        import skillcast.distributed.client  # noqa: F401 -- the package alone loads no Dask
    except ImportError as exc:
        raise SkillcastConfigError(
            f"compute=dask needs Dask ({exc}): pip install 'skillcast[dask]', on this "
            "machine and on every worker."
        ) from exc
    return distributed


def distribute(model: Forecaster, compute: DictConfig, keys: list[str] | None) -> Forecaster:
    """``model`` as ``compute`` fits it: unchanged for ``local``; for ``dask`` a local
    model wrapped to fit per partition of series, the pooled LightGBM model wrapped to
    train with ``lightgbm.dask``, the AutoForecaster wrapped to fit its members both ways,
    and any other model refused. ``keys``: the data's key columns, when known before the
    data is read, to check ``compute.partition_by`` early."""
    if _name(compute) == "local":
        return model
    distributed = _distributed()
    local_models = distributed.LOCAL_MODELS
    if isinstance(model, AutoForecaster):
        distributed.check_auto(model)  # its pooled member: LightGBM only
        cls = distributed.DistributedAutoForecaster
    elif isinstance(model, GlobalModel):
        distributed.check_pooled(model)  # model=ridge: not a LightGBM model
        cls = distributed.DistributedGlobalModel
    elif isinstance(model, local_models):
        cls = distributed.DistributedForecaster
    else:
        names = ", ".join(cls.__name__ for cls in local_models)
        raise SkillcastConfigError(
            f"compute=dask distributes local models ({names}), the pooled LightGBM model "
            f"and the AutoForecaster: pass model=auto, model=ets, model=seasonal_naive, "
            f"model=croston or model=lightgbm. {type(model).__name__} (the ensemble of "
            "model=ensemble) combines models the cluster does not fit yet: run it with "
            "compute=local."
        )
    partition_by = compute.partition_by
    if partition_by is not None and keys is not None and partition_by not in keys:
        raise SkillcastConfigError(
            f"compute.partition_by={partition_by!r} is not a key of the data {keys}: "
            "partitions hold whole series (set compute.partition_by=null to cut by size)."
        )
    wrapper: Forecaster = cls(
        model, partition_by=partition_by, partition_size=compute.partition_size
    )
    return wrapper


@contextmanager
def cluster(compute: DictConfig) -> Iterator[None]:
    """Inside the block, the cluster ``compute`` names is the current Dask client (a
    LocalCluster started here is closed at the end); nothing for ``local``."""
    if _name(compute) == "local":
        yield
        return
    distributed = _distributed()
    with distributed.dask_client(
        address=compute.address,
        n_workers=int(compute.n_workers),
        threads_per_worker=int(compute.threads_per_worker),
        processes=bool(compute.processes),
    ) as client:
        workers = len(client.scheduler_info()["workers"])
        where = compute.address or "a local cluster started for this run"
        report(f"Dask: {workers} worker(s) at {where}")
        yield
