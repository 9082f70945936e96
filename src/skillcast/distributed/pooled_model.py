"""The pooled LightGBM model trained on a Dask cluster with ``lightgbm.dask``.

:class:`DistributedGlobalModel` fits a :class:`~skillcast.models.GlobalModel` whose
training rows are built on the workers, one task per partition of whole series, and
whose regressors are trained by :class:`lightgbm.dask.DaskLGBMRegressor` on those rows
where they lie. The boosters are then taken to the client (``to_local()``): the fitted
state is an ordinary GlobalModel (``forecaster_``) that forecasts with no cluster and
saves with :mod:`skillcast.persistence`; loading it needs no Dask.

Where each step runs:

* **client**: the settings and the feature pipeline, fitted on the whole panel (it
  learns category codes, the first period, group memberships: no training rows), and
  the totals of the hierarchy groups (occupation group, sector, level) at every period,
  a (periods x groups) table per role: the one feature that sums across series, so a
  partition reads it from the whole panel instead of from its own series;
* **workers**: the training rows of each partition, with GlobalModel's own code, the
  same rows a fit in one process builds (the multi strategy's sample of origins is
  drawn once, on the client, from the whole panel's shape); then LightGBM's
  data-parallel training over the rows each worker holds;
* **client** again: conformal calibration. Its models are trained on the workers, on
  the rows whose target lies at or before each calibration cutoff (filtered where the
  rows lie), but the forecasts from the calibration origins and the residuals are
  computed here, as :meth:`GlobalModel.rolling_forecast` does: one feature row per series
  and origin, the cost of a few ``predict`` calls. The intervals are those of one
  process with models trained on the cluster: calibrated on the whole panel, not per
  partition. With ``quantile=True`` the quantile regressors are trained on the workers
  like the mean's, and no calibration runs.

Once fitted, the model is a GlobalModel in this process: ``predict`` (and, for the
direct strategy, the steps beyond ``max_horizon`` it trains per call), ``update`` and
``rolling_forecast`` run here, with no cluster. A worker lost while the rows are built
costs only its partitions' tasks, which Dask runs again elsewhere; a worker lost during
LightGBM's training (its workers train together, over sockets) fails the fit with a
:class:`~skillcast.distributed.DistributedFitError` as soon as the scheduler notices.

Distributed training bins features and grows trees from histograms summed over the
workers, each bagging its own rows, so its boosters differ from one process's. On the
bundled sample (4 half-years held out, 2 workers, one partition per sector) the
forecasts differ from one process's by 4-5% on average (mean |dask - local| /
max(local, 1)), less than two seeds of one process differ (9-10%); the held-out MASE by
-0.6% to +1.2%, the interval widths by about 1% (``tests/test_distributed_pooled.py``
allows 10%, 5% and 10%).
"""

from __future__ import annotations

import contextvars
import copy
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.distributed.partitions import (
    PartitionedForecaster,
    cluster_client,
    partition_labels,
    partition_series,
    subpanel,
)
from skillcast.distributed.projection import partition_times, run_timed
from skillcast.errors import SkillcastConfigError
from skillcast.features import (
    ExogenousFeatures,
    ExpandingMean,
    GrowthRates,
    HierarchyFeatures,
    Lags,
    RollingWindows,
    SeasonTrend,
    SeriesAge,
    StaticFeatures,
)
from skillcast.forecast import Forecast
from skillcast.models.base import check_panel
from skillcast.models.global_model import ALL_STEPS, GlobalModel, Table
from skillcast.models.target_scale import recent_level
from skillcast.models.validation import RollingForecasts, validation_origins
from skillcast.panel import Panel

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = [
    "PER_SERIES_BUILDERS",
    "DistributedGlobalModel",
    "Partition",
    "check_pooled",
    "cluster_tables",
    "partition_tables",
]

WATCH_SECONDS = 1.0
"""How often a ``lightgbm.dask`` training checks that none of its workers was lost."""

PER_SERIES_BUILDERS: tuple[type, ...] = (
    Lags,
    GrowthRates,
    RollingWindows,
    ExpandingMean,
    SeasonTrend,
    StaticFeatures,
    ExogenousFeatures,
    SeriesAge,
)
"""Feature builders whose columns for a series read that series only (once fitted on
the whole panel): a partition of whole series computes them as the whole panel does.
:class:`~skillcast.features.HierarchyFeatures` sums across series and is given the
whole panel's group totals instead."""

#: Origins of a table's rows: table key -> [(step, origins in the whole panel's periods)].
Origins = dict[int, list[tuple[int, np.ndarray]]]

#: What a row-building task holds on its worker: its tables and how long it took.
Built = tuple[dict[int, Table], dict[str, Any]]


@dataclass(frozen=True)
class Partition:
    """Whole series of a panel, as one task receives them.

    Attributes:
        panel: the partition's rows (its periods span its own rows only).
        positions: the series' positions in the whole panel (ascending).
        offset: periods from the whole panel's first period to the partition's.
    """

    panel: Panel
    positions: np.ndarray
    offset: int


def check_pooled(forecaster: object) -> GlobalModel:
    """``forecaster`` if :class:`DistributedGlobalModel` can train it on a cluster, else
    a :class:`~skillcast.errors.SkillcastConfigError` saying why (before any data is read)."""
    from lightgbm import LGBMRegressor

    if not isinstance(forecaster, GlobalModel):
        raise SkillcastConfigError(
            f"DistributedGlobalModel trains the pooled model (GlobalModel), got "
            f"{type(forecaster).__name__}; local models go in a DistributedForecaster."
        )
    estimator = forecaster.estimator
    if estimator is not None and not isinstance(estimator, LGBMRegressor):
        raise SkillcastConfigError(
            f"lightgbm.dask trains LightGBM regressors only; this GlobalModel's estimator "
            f"is a {type(estimator).__name__}. Use estimator=None (the default LightGBM) "
            "or an LGBMRegressor, or fit it in one process (compute=local)."
        )
    return forecaster


def _check_features(model: GlobalModel) -> None:
    allowed = (*PER_SERIES_BUILDERS, HierarchyFeatures)
    other = [type(b).__name__ for b in model.features_.builders_ if type(b) not in allowed]
    if other:
        raise SkillcastConfigError(
            f"DistributedGlobalModel builds features per partition of series; {other} may "
            "read across series, so its columns would depend on the partitions. Use the "
            "builders of skillcast.features, or fit in one process."
        )


def _restricted(model: GlobalModel, part: Partition, totals: dict[str, np.ndarray]) -> GlobalModel:
    """A shallow copy of the prepared ``model`` whose pipeline computes, on the
    partition's panel, the partition's rows of the whole panel's features."""
    local = copy.copy(model)
    pipeline = copy.copy(model.features_)
    pipeline.builders_ = [
        b.restricted(part.positions, part.offset, totals) if isinstance(b, HierarchyFeatures) else b
        for b in model.features_.builders_
    ]
    local.features_ = pipeline
    return local


def _local_origins(origins: np.ndarray, step: int, part: Partition) -> np.ndarray:
    """Whole-panel origins as positions in the partition, those whose target lies in it
    (before its first period no series of it has a level; after its last no target)."""
    local = np.asarray(origins, dtype=np.int64) - part.offset
    return local[(local >= 0) & (local + step < part.panel.n_periods)]


def partition_tables(
    model: GlobalModel, part: Partition, totals: dict[str, np.ndarray], origins: Origins
) -> dict[int, Table]:
    """The training rows of one partition, per table key: features, transformed targets
    and target positions (in the whole panel's periods), as ``model._tables`` builds them
    for the whole panel, restricted to the partition's series.

    ``model`` is prepared (``GlobalModel._prepare``) on the whole panel, ``totals`` its
    hierarchy builder's :meth:`~skillcast.features.HierarchyFeatures.whole_totals`.
    """
    local = _restricted(model, part, totals)
    y = part.panel.dense()
    level = recent_level(y, model.scale_window_)
    out: dict[int, Table] = {}
    for key, steps in origins.items():  # a handful of steps
        at = [_local_origins(o, step, part) for step, o in steps]
        if key == ALL_STEPS:
            X, z, target = local._stacked_rows(part.panel, y, level, at)
        else:
            X, z, target = local._training_rows(part.panel, y, level, steps[0][0], at[0])
        out[key] = (X, z, target + part.offset)
    return out


def _origins(model: GlobalModel, keys: list[int], n_periods: int) -> Origins:
    """Each table's origins in a panel of ``n_periods``: the multi strategy's sample is
    drawn here, once, from the whole panel's shape, as one process draws it."""
    out: Origins = {}
    for key in keys:
        if key == ALL_STEPS:
            out[key] = list(enumerate(model._stacked_origins(n_periods), start=1))
        else:
            out[key] = [(key, np.arange(max(n_periods - key, 0)))]
    return out


def _hierarchy_totals(model: GlobalModel, panel: Panel) -> dict[str, np.ndarray]:
    for builder in model.features_.builders_:
        if isinstance(builder, HierarchyFeatures):
            return builder.whole_totals(panel)
    return {}


def _partitions(panel: Panel, by: str | None, size: int | None) -> list[Partition]:
    out = []
    for positions in partition_series(panel, by, size):
        part = subpanel(panel, positions)
        offset = int(panel.freq.steps(pd.PeriodIndex([part.periods[0]]), panel.periods[0])[0])
        out.append(Partition(part, positions, offset))
    return out


# ------------------------------------------------------------------ on the workers
def _build(
    model: GlobalModel, part: Partition, totals: dict[str, np.ndarray], origins: Origins
) -> Built:
    tables, stats = run_timed(partition_tables, model, part, totals, origins)
    stats["bytes"] = int(part.panel.frame.memory_usage(deep=True).sum())
    return tables, stats


def _stats(built: Built) -> dict[str, Any]:
    return built[1]


def _kept(table: Table, cutoff: int | None) -> np.ndarray | slice:
    return slice(None) if cutoff is None else table[2] <= cutoff


def _n_rows(built: Built, key: int, cutoff: int | None) -> int:
    table = built[0][key]
    return int(len(table[1][_kept(table, cutoff)]))


def _features_part(built: Built, key: int, cutoff: int | None, names: list[str]) -> pd.DataFrame:
    table = built[0][key]
    return pd.DataFrame(table[0][_kept(table, cutoff)], columns=names)


def _target_part(built: Built, key: int, cutoff: int | None) -> pd.Series:
    table = built[0][key]
    return pd.Series(table[1][_kept(table, cutoff)], name="target")


# ------------------------------------------------------------------ on the client
class _DaskTrainer:
    """Trains the regressors of one prepared model on the tables held by the workers."""

    def __init__(self, client: Client, model: GlobalModel, tables: list[Future]) -> None:
        self.client = client
        self.model = model
        self.tables = tables
        self.seconds = 0.0  # wall time of the lightgbm.dask trainings so far

    def train(self, key: int, quantile: float | None, cutoff: int | None = None) -> Any:
        """A local LightGBM regressor trained with ``lightgbm.dask`` on the rows of table
        ``key`` (those whose target lies at or before ``cutoff``); ``None`` without rows.

        The workers train together, over sockets: when one is lost, the others stay
        blocked in LightGBM's network code until its socket ``time_out`` (and LightGBM then
        ends their process), and ``lightgbm.dask`` waits for a task pinned to the lost
        worker. Such a training cannot be started again on the same workers, so it is
        watched: once the scheduler has lost one of the workers, its training tasks are
        cancelled and the fit fails with a
        :class:`~skillcast.distributed.DistributedFitError`.
        """
        from concurrent.futures import ThreadPoolExecutor
        from concurrent.futures import TimeoutError as Pending

        start = time.perf_counter()
        workers = self._workers()
        pool = ThreadPoolExecutor(max_workers=1)
        # in this context: lightgbm.dask finds its client there (``client.as_current()``)
        job = pool.submit(contextvars.copy_context().run, self._train, key, quantile, cutoff)
        try:
            while True:
                try:
                    return job.result(timeout=WATCH_SECONDS)
                except Pending:
                    lost = workers - self._workers()
                    if lost:
                        raise self._lost_error(lost, None) from None
                except Exception as exc:  # lightgbm's, Dask's or a socket's, as it happens
                    lost = self._lost(workers)
                    if not lost:
                        raise  # not a lost worker: the error as it is
                    raise self._lost_error(lost, exc) from exc
        finally:
            if not job.done():
                self._cancel_training()  # lightgbm.dask's wait for them then ends
            pool.shutdown(wait=False)
            self.seconds += time.perf_counter() - start

    def _workers(self) -> set[str]:
        """Every worker the scheduler knows now (the client's own copy of that list lags
        and shows only a few)."""

        def addresses(dask_scheduler: Any) -> list[str]:
            return list(dask_scheduler.workers)

        return set(self.client.run_on_scheduler(addresses))

    def _lost(self, workers: set[str], wait: float = 5.0) -> set[str]:
        """Which of ``workers`` the scheduler lost; a worker that died may take the
        scheduler a moment to notice (its peers' sockets fail first), so ask again for up
        to ``wait`` seconds before concluding that none was."""
        deadline = time.perf_counter() + wait
        while True:
            lost = workers - self._workers()
            if lost or time.perf_counter() > deadline:
                return lost
            time.sleep(0.25)

    def _cancel_training(self) -> None:
        """Cancel the ``lightgbm.dask`` training tasks the scheduler holds."""
        from distributed import Future

        def training(dask_scheduler: Any) -> list[Any]:
            return [ts.key for ts in dask_scheduler.tasks.values() if "_train_part" in str(ts.key)]

        keys = self.client.run_on_scheduler(training)
        self.client.cancel([Future(k, self.client) for k in keys], force=True)

    @staticmethod
    def _lost_error(lost: set[str], exc: Exception | None) -> Exception:
        from skillcast.distributed.local_models import DistributedFitError

        return DistributedFitError(
            f"A worker was lost during LightGBM's training on the cluster ({sorted(lost)}"
            f"{f', {exc!r}' if exc is not None else ''}): its workers train together, so the "
            "training cannot go on without it. Check the workers' memory and logs, then "
            "run again; nothing was written."
        )

    def _train(self, key: int, quantile: float | None, cutoff: int | None) -> Any:
        import dask
        import dask.dataframe as dd
        from lightgbm import LGBMRegressor
        from lightgbm.dask import DaskLGBMRegressor

        client = self.client
        counts = client.gather(
            [client.submit(_n_rows, t, key, cutoff, pure=False) for t in self.tables]
        )
        # a worker given no rows would stall LightGBM's network setup: only parts with rows
        held = [t for t, n in zip(self.tables, counts, strict=True) if n]
        if not held:
            return None
        names = list(self.model.feature_names_)
        meta = pd.DataFrame({name: pd.Series(dtype=float) for name in names})
        X = dd.from_delayed(
            [dask.delayed(_features_part)(t, key, cutoff, names) for t in held], meta=meta
        )
        y = dd.from_delayed(
            [dask.delayed(_target_part)(t, key, cutoff) for t in held],
            meta=pd.Series(dtype=float, name="target"),
        )
        params = self.model._make_estimator(quantile).get_params()
        params.pop("client", None)
        with warnings.catch_warnings():
            # each worker trains on its own thread count: n_jobs is set aside, and said so
            warnings.filterwarnings("ignore", "Parameter n_jobs will be ignored")
            dask_model = DaskLGBMRegressor(client=client, **params).fit(X, y)
        fitted = dask_model.to_local()
        # the regressor one process would hold: its own parameters (no cluster's ports,
        # machines or thread counts), the booster and what LightGBM's fit sets with it
        out = LGBMRegressor(**params)
        for name, value in vars(fitted).items():
            if name == "fitted_" or (name.startswith("_") and name != "_other_params"):
                setattr(out, name, value)
        return out

    def train_steps(
        self, keys: list[int], quantiles: tuple[float, ...]
    ) -> tuple[dict[int, Any], dict[int, list[Any]]]:
        """``GlobalModel._train_steps`` on the cluster: the mean's regressor and one per
        quantile for each table key with rows."""
        models: dict[int, Any] = {}
        quantile_models: dict[int, list[Any]] = {}
        for key in keys:  # a handful of steps
            mean = self.train(key, None)
            if mean is None:
                continue
            models[key] = mean
            if quantiles:
                quantile_models[key] = [self.train(key, q) for q in quantiles]
        return models, quantile_models

    def rolling_forecast(self, panel: Panel, origins: list[int], horizon: int) -> np.ndarray:
        """``GlobalModel.rolling_forecast`` with its models trained on the cluster."""
        trained: dict[int, dict[int, Any]] = {}
        for cutoff in self.model._cutoffs(origins):  # a handful of cutoffs
            for key in self.model._table_keys(horizon):  # a handful of steps
                fitted = self.train(key, None, cutoff)
                if fitted is not None:
                    trained.setdefault(cutoff, {})[key] = fitted
        return self.model._forecast_from(panel, origins, horizon, trained)


def _submit(
    client: Client, model: GlobalModel, panel: Panel, keys: list[int], by: str | None,
    size: int | None,
) -> tuple[list[Partition], list[Future], Future]:  # fmt: skip
    """Each partition, the future of its training tables (table key -> table), and the
    prepared model they read on the workers (held until the tables are released: a table
    lost with its worker is built again from it)."""
    totals = _hierarchy_totals(model, panel)
    origins = _origins(model, keys, panel.n_periods)
    # the prepared model (its fitted pipeline holds every series' codes) goes to each
    # worker once; its copies on every worker survive the loss of some of them
    shared = client.scatter(model, broadcast=True, hash=False)
    parts = _partitions(panel, by, size)
    # partitions travel inside their tasks: a task lost with its worker runs again elsewhere
    futures = [client.submit(_build, shared, part, totals, origins, pure=False) for part in parts]
    return parts, futures, shared


@contextmanager
def _tables_on(
    client: Client, model: GlobalModel, panel: Panel, keys: list[int], by: str | None,
    size: int | None,
) -> Iterator[tuple[list[Partition], list[Future]]]:  # fmt: skip
    """Each partition and the future of its training tables, released at the end of the
    block."""
    from distributed import KilledWorker

    from skillcast.distributed.local_models import DistributedFitError

    parts, tables, shared = _submit(client, model, panel, keys, by, size)
    try:
        yield parts, tables
    except KilledWorker as exc:
        raise DistributedFitError(
            f"Building a partition's training rows was lost with its worker more often "
            f"than Dask retries ({exc}). Check the workers' memory and logs, or use "
            "smaller partitions (partition_size, partition_by)."
        ) from exc
    finally:
        _release([*tables, shared])


def _release(futures: list[Future]) -> None:
    """Let the scheduler free ``futures`` once nothing else needs them (cancelling them
    would also cancel the tasks LightGBM built on them)."""
    for future in futures:
        future.release()


def cluster_tables(
    forecaster: GlobalModel,
    panel: Panel,
    partition_by: str | None = None,
    partition_size: int | None = None,
    client: Client | None = None,
) -> list[tuple[np.ndarray, dict[int, Table]]]:
    """The training rows a fit of ``forecaster`` on the cluster builds, per partition:
    (series positions in ``panel``, table key -> (features, transformed targets, target
    positions in ``panel.periods``)), gathered here. A fit keeps them on the workers;
    this is for inspecting them (the leakage tests, a notebook)."""
    client = cluster_client(client)
    if client is None:
        raise SkillcastConfigError("cluster_tables needs a Dask client.")
    model = clone(check_pooled(forecaster))
    model._prepare(panel)
    _check_features(model)
    keys = model._table_keys(model.max_horizon_)
    parts, futures, shared = _submit(client, model, panel, keys, partition_by, partition_size)
    try:
        with client.as_current():
            built = client.gather(futures)
    finally:
        _release([*futures, shared])
    return [(part.positions, tables) for part, (tables, _) in zip(parts, built, strict=True)]


def _fit_on_cluster(
    model: GlobalModel,
    panel: Panel,
    client: Client,
    by: str | None,
    size: int | None,
    rolling: tuple[list[int], int] | None = None,
) -> tuple[pd.DataFrame, _DaskTrainer, np.ndarray | None]:
    """Fit the unfitted ``model`` on ``panel`` as ``GlobalModel.fit`` does, its training
    rows built and its regressors trained on the cluster of ``client``; return how long
    each partition's rows took to build, the trainer (its seconds), and the
    rolling forecasts from ``rolling``'s (origins, horizon) when asked (their models
    trained on the same rows, on the cluster)."""
    model._prepare(panel)
    _check_features(model)
    calibrate = bool(model.levels) and not model.quantile
    keys = model._table_keys(model.max_horizon_)
    if calibrate:
        model.check_levels()
        settings = model.interval_settings()
        origins, horizon = validation_origins(panel, settings.windows, settings.horizon)
        keys = sorted({*keys, *model._table_keys(horizon)})
    if rolling is not None:
        keys = sorted({*keys, *model._table_keys(rolling[1])})
    # lightgbm.dask reads the client of the context
    with (
        client.as_current(),
        _tables_on(client, model, panel, keys, by, size) as (parts, tables),
    ):
        model.panel_ = panel  # after the model went to the workers: they need no panel
        # waits for every partition's rows, so the trainings are timed without them
        stats = client.gather([client.submit(_stats, t, pure=False) for t in tables])
        times = partition_times(
            partition_labels(panel, [p.positions for p in parts], by),
            [p.panel.n_series for p in parts],
            [s["bytes"] for s in stats],
            stats,
        )
        trainer = _DaskTrainer(client, model, tables)
        model._set_models(
            *trainer.train_steps(model._table_keys(model.max_horizon_), model.quantiles_)
        )
        validation = (
            RollingForecasts(origins, trainer.rolling_forecast(panel, origins, horizon))
            if calibrate
            else None
        )
        asked = trainer.rolling_forecast(panel, *rolling) if rolling is not None else None
    model.calibration_ = model._calibration(panel, validation) if model.levels else None
    return times, trainer, asked


class DistributedGlobalModel(PartitionedForecaster):
    """The pooled model (:class:`~skillcast.models.GlobalModel`) trained on a Dask cluster.

    Training rows are built on the workers per partition of whole series and the
    regressors trained by ``lightgbm.dask``; see the module documentation for what runs
    on the client. Without a Dask client (none given, none current, or Dask not
    installed) it fits the GlobalModel in this process.

    Args:
        forecaster: the unfitted GlobalModel (its LightGBM estimator, features, strategy,
            ``levels`` and ``intervals``); cloned.
        partition_by: a key column, one partition per value (``region``); ``None``:
            consecutive runs of ``partition_size`` series.
        partition_size: series per partition when ``partition_by`` is ``None``.

    Attributes:
        panel_: the panel fitted on.
        forecaster_: the fitted GlobalModel, its regressors local LightGBM models: it
            forecasts, updates and saves with no cluster.
        partition_seconds_: one row per partition: how long its training rows took to
            build on its worker (the columns of
            :data:`~skillcast.distributed.projection.PARTITION_TIME_COLUMNS`); no rows
            when fitted in this process.
        train_seconds_: wall seconds of the ``lightgbm.dask`` trainings (the workers
            train together, so this step is not per partition; calibration's
            forecasts on the client are not in it); ``None`` when fitted in this process.
    """

    updatable: ClassVar[bool] = True

    def fit(self, panel: Panel, client: Client | None = None) -> Self:
        """Fit a clone of ``forecaster`` on ``panel``, on the cluster of ``client``
        (default: the current client)."""
        self._fit(panel, client, None)
        return self

    def fit_rolling(
        self, panel: Panel, origins: Sequence[int], horizon: int, client: Client | None = None
    ) -> np.ndarray:
        """:meth:`fit`, and ``GlobalModel.rolling_forecast`` from ``origins`` with the
        models of each origin trained on the cluster too, on the rows the fit built."""
        rolling = (list(map(int, origins)), int(horizon))
        out = self._fit(panel, client, rolling)
        if out is None:  # fitted in this process
            return self.forecaster_.rolling_forecast(panel, *rolling)
        return out

    def _fit(
        self, panel: Panel, client: Client | None, rolling: tuple[list[int], int] | None
    ) -> np.ndarray | None:
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        model = clone(check_pooled(self.forecaster))
        if self.partition_by is not None:
            partition_series(panel, self.partition_by)  # refuse a key the panel lacks
        client = cluster_client(client)
        times: pd.DataFrame = partition_times([], [], [], [])
        trainer = out = None
        if client is None:
            model.fit(panel)
        else:
            times, trainer, out = _fit_on_cluster(
                model, panel, client, self.partition_by, self.partition_size, rolling
            )
        self.panel_ = panel
        self.forecaster_ = model
        self.partition_seconds_ = times
        self.train_seconds_ = None if trainer is None else trainer.seconds
        self.calibration_ = None  # the GlobalModel holds its own
        return out

    def to_local(self) -> GlobalModel:
        """The fitted GlobalModel itself: no Dask needed to forecast, save or load it."""
        self._check_fitted()
        return self.forecaster_

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """The fitted GlobalModel's forecast, with its intervals."""
        self._check_fitted()
        return self.forecaster_.predict(horizon, exog)

    def rolling_forecast(self, panel: Panel, origins: Any, horizon: int) -> np.ndarray:
        """The fitted GlobalModel's rolling forecasts (its models retrained in this process)."""
        self._check_fitted()
        return self.forecaster_.rolling_forecast(panel, origins, horizon)

    def update(self, panel: Panel) -> Self:
        """Condition the fitted GlobalModel on ``panel`` (more periods) without retraining."""
        self._check_fitted()
        self.forecaster_.update(panel)
        self.panel_ = panel
        return self

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} fits whole panels: call fit(panel)")

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        return self.forecaster_.predict_dense(horizon, exog)
