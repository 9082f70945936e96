"""The AutoForecaster on a Dask cluster: its members fitted where the partitions lie.

:class:`DistributedAutoForecaster` fits an :class:`~skillcast.models.AutoForecaster`
whose members do their work on the cluster, each with its forecasts from the
AutoForecaster's validation origins:

* **workers, per partition of whole series**: AutoETS, Croston-SBA and TSB, each in a
  :class:`~skillcast.distributed.DistributedForecaster`. A partition's task fits its
  clone and forecasts from every validation origin (AutoETS warm-starts those refits as
  in one process): series by series, the forecasts of one process;
* **workers, together**: the pooled model in a
  :class:`~skillcast.distributed.DistributedGlobalModel` (training rows built per
  partition, boosters trained with ``lightgbm.dask``, for the final fit and for each
  validation cutoff);
* **client**: the analogue forecaster of the cold-start series (it reads the paths of
  established series of other groups, so it cannot be cut by partition; it learns from
  group means and is cheap), and everything the AutoForecaster decides from the members'
  validation forecasts: routes, combination weights, and the conformal calibration of
  the routed combination (arrays of series x origins x steps, no refit).

One member runs at a time, each spread over the whole cluster (the workers' threads are
the parallelism; a member's tasks interleaved with ``lightgbm.dask``'s collective training
would hold workers idle while it waits for the others).

The fitted state (``forecaster_``) is an ordinary AutoForecaster: its pooled member a
plain GlobalModel, its local members the fitted per-partition wrappers. It forecasts
without a cluster and saves with :mod:`skillcast.persistence`; loading it needs no Dask.
The local members' forecasts equal one process's; the pooled member's differ as
distributed LightGBM training does (see :mod:`skillcast.distributed.pooled_model`), and
the combination weights with them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Self, cast

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.distributed.local_models import DistributedForecaster
from skillcast.distributed.partitions import PartitionedForecaster, cluster_client
from skillcast.distributed.pooled_model import DistributedGlobalModel, check_pooled
from skillcast.distributed.projection import partition_times
from skillcast.errors import SkillcastConfigError
from skillcast.forecast import Forecast
from skillcast.models.auto import ANALOGUE, GLOBAL, AutoForecaster
from skillcast.models.base import Forecaster, check_panel
from skillcast.panel import Panel

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["DistributedAutoForecaster"]


class _MembersOnCluster(AutoForecaster):
    """An AutoForecaster whose members are the distributed wrappers, one at a time."""

    member_threads: ClassVar[int | None] = 1
    # set on the instance by DistributedAutoForecaster: not parameters of this estimator
    partition_by: str | None = None
    partition_size: int | None = None

    def _candidates(self) -> list[Forecaster]:
        members = super()._candidates()
        by, size = self.partition_by, self.partition_size
        for j, member in enumerate(members):
            if j == GLOBAL:
                members[j] = DistributedGlobalModel(check_pooled(member), by, size)
            elif j != ANALOGUE:
                members[j] = DistributedForecaster(member, by, size)
        return members


def check_auto(forecaster: object) -> AutoForecaster:
    """``forecaster`` if :class:`DistributedAutoForecaster` can fit it, else a
    :class:`~skillcast.errors.SkillcastConfigError` saying why (before any data is read)."""
    if not isinstance(forecaster, AutoForecaster):
        raise SkillcastConfigError(
            f"DistributedAutoForecaster fits an AutoForecaster, got "
            f"{type(forecaster).__name__}: local models go in a DistributedForecaster, the "
            "pooled model in a DistributedGlobalModel."
        )
    if forecaster.global_model is not None:
        check_pooled(forecaster.global_model)  # lightgbm.dask trains LightGBM only
    return forecaster


class DistributedAutoForecaster(PartitionedForecaster):
    """The :class:`~skillcast.models.AutoForecaster` with its members fitted on a Dask
    cluster (see the module documentation for what runs where). Without a Dask client
    (none given, none current, or Dask not installed) it fits in this process.

    Args:
        forecaster: the unfitted AutoForecaster (its members, routes, validation and
            intervals); cloned.
        partition_by: a key column, one partition per value (``region``); ``None``:
            consecutive runs of ``partition_size`` series.
        partition_size: series per partition when ``partition_by`` is ``None``.

    Attributes:
        panel_: the panel fitted on.
        forecaster_: the fitted AutoForecaster; forecasts and saves with no cluster.
        partition_seconds_: one row per partition task of every distributed member
            (the columns of :data:`~skillcast.distributed.projection.PARTITION_TIME_COLUMNS`
            and ``member``, the wrapped model); no rows when fitted in this process.
        train_seconds_: wall seconds of the pooled member's ``lightgbm.dask`` trainings
            (``None`` in this process).
    """

    def fit(self, panel: Panel, client: Client | None = None) -> Self:
        """Fit a clone of ``forecaster`` on ``panel``, its members on the cluster of
        ``client`` (default: the current client)."""
        panel = check_panel(panel, type(self).__name__)
        auto = clone(check_auto(self.forecaster))
        client = cluster_client(client)
        times: list[pd.DataFrame] = []
        train_seconds: float | None = None
        if client is None:
            auto.fit(panel)
        else:
            runner = _MembersOnCluster(**auto.get_params(deep=False))
            runner.partition_by, runner.partition_size = self.partition_by, self.partition_size
            with client.as_current():  # the members find the cluster in this context
                runner.fit(panel)
            for member in runner.members_:
                if isinstance(member, PartitionedForecaster):
                    name = type(member.forecaster).__name__
                    times.append(member.partition_seconds_.assign(member=name))
            train_seconds = cast(DistributedGlobalModel, runner.members_[GLOBAL]).train_seconds_
            auto = _as_plain(auto, runner)
        self.panel_ = panel
        self.forecaster_ = auto
        self.partition_seconds_ = (
            pd.concat(times, ignore_index=True) if times else partition_times([], [], [], [])
        )
        self.train_seconds_ = train_seconds
        self.calibration_ = None  # the AutoForecaster holds its own
        return self

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """The fitted AutoForecaster's forecast, with its intervals."""
        self._check_fitted()
        return self.forecaster_.predict(horizon, exog)

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} fits whole panels: call fit(panel)")

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return self.forecaster_.predict_dense(horizon, exog)


def _as_plain(auto: AutoForecaster, runner: _MembersOnCluster) -> AutoForecaster:
    """``auto`` (unfitted) given the fitted state of ``runner``: a plain AutoForecaster,
    its pooled member a plain GlobalModel, that loads without this module's classes."""
    for name, value in vars(runner).items():
        if name.endswith("_") and not name.startswith("__"):
            setattr(auto, name, value)
    members = list(runner.members_)
    members[GLOBAL] = cast(DistributedGlobalModel, members[GLOBAL]).to_local()
    auto.members_ = members
    return auto
