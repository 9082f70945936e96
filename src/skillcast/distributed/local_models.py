"""Local models fitted per partition of series on a Dask cluster.

A local model (AutoETS, Theta, the baselines, Croston/TSB) learns each series from its own
history only, so fitting it on partitions of whole series gives, series by series, the
point forecasts of one fit on the whole panel. :class:`DistributedForecaster` fits a
clone per partition on the workers and gathers the fitted clones to the client: the
fitted wrapper is an ordinary skillcast forecaster that saves with
:mod:`skillcast.persistence` and forecasts without a cluster.

A worker lost mid-fit costs only its tasks: the panels travel inside the tasks (they
are not scattered to one worker's memory), so the scheduler runs a lost task again on
another worker. A task whose workers die more often than Dask's
``distributed.scheduler.allowed-failures`` (3 by default) fails the fit with a
:class:`DistributedFitError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self

import numpy as np
import pandas as pd
from sklearn.base import clone

from skillcast.distributed.partitions import (
    PartitionedForecaster,
    PartitionedPanel,
    cluster_client,
    partition_labels,
    partition_series,
    subpanel,
)
from skillcast.distributed.projection import partition_times, run_timed
from skillcast.errors import SkillcastConfigError, SkillcastError
from skillcast.forecast import Forecast
from skillcast.models.base import Forecaster, check_panel
from skillcast.models.baselines import Drift, Naive, SeasonalNaive, WindowAverage
from skillcast.models.ets import AutoETS, ExponentialSmoothing
from skillcast.models.global_model import GlobalModel
from skillcast.models.intermittent import TSB, Croston
from skillcast.models.theta import Theta
from skillcast.panel import Panel

if TYPE_CHECKING:  # a fitted wrapper loads and forecasts where Dask is not installed
    from distributed import Client

__all__ = ["LOCAL_MODELS", "DistributedFitError", "DistributedForecaster"]

LOCAL_MODELS: tuple[type[Forecaster], ...] = (
    AutoETS,
    ExponentialSmoothing,
    SeasonalNaive,
    Naive,
    Drift,
    WindowAverage,
    Croston,
    TSB,
    Theta,
)
"""The forecasters whose forecasts of a series depend on that series alone."""


class DistributedFitError(SkillcastError):
    """A distributed fit failed on the cluster (workers lost past Dask's retries)."""


Fitted = tuple[Forecaster, np.ndarray | None]
"""A partition's fitted clone, and its rolling forecasts when they were asked for."""


def _fit_partition(forecaster: Forecaster, panel: Panel) -> Fitted:
    return clone(forecaster).fit(panel), None


def _fit_rolling_partition(
    forecaster: Forecaster, panel: Panel, origins: pd.PeriodIndex, horizon: int
) -> Fitted:
    """A clone fitted on the partition and its rolling forecasts (series x origins x
    horizon) from the whole panel's origin periods.

    A partition's periods may start after an origin (its series did not exist yet: NaN,
    as the whole panel gives) or end before it (its series all stopped: the clone
    forecasts from its last period through the gap, as the whole panel's does).
    """
    steps = panel.freq.steps(origins, panel.periods[0])
    last = panel.n_periods - 1
    lag = np.maximum(steps - last, 0)
    seen = np.flatnonzero(steps >= 0)
    model = clone(forecaster)
    rolling = model.fit_rolling(
        panel, np.minimum(steps[seen], last).tolist(), horizon + int(lag.max(initial=0))
    )
    out = np.full((panel.n_series, len(origins), horizon), np.nan)
    for j, k in enumerate(seen):
        out[:, k] = rolling[:, j, lag[k] : lag[k] + horizon]
    return model, out


def _timed(
    task: Callable[..., Fitted], forecaster: Forecaster, panel: Panel, *args: Any
) -> tuple[Fitted, dict[str, Any]]:
    """What ``task`` returns and how long it ran where it ran, with the size of the rows
    (measured here, outside the timed fit, so the work the task was sent is known)."""
    fitted, stats = run_timed(task, forecaster, panel, *args)
    stats["bytes"] = int(panel.frame.memory_usage(deep=True).sum())
    return fitted, stats


def _unzip(
    pairs: list[tuple[Fitted, dict[str, Any]]],
) -> tuple[list[Fitted], list[dict[str, Any]]]:
    return [fitted for fitted, _ in pairs], [stats for _, stats in pairs]


class DistributedForecaster(PartitionedForecaster):
    """Fit a local forecaster per partition of whole series on a Dask cluster.

    Args:
        forecaster: the local model (one of :data:`LOCAL_MODELS`, unfitted: it is cloned
            per partition, its ``levels`` and ``intervals`` with it; conformal intervals
            are calibrated within each partition, point forecasts do not depend on the
            partitions).
        partition_by: a key column: one partition per value (``region``); ``None``:
            consecutive runs of ``partition_size`` series.
        partition_size: series per partition when ``partition_by`` is ``None``.

    Attributes:
        panel_: the panel fitted on. members_: one fitted clone per partition.
        positions_: for each member, the positions of its series in ``panel_``.
        partition_seconds_: one row per member: its partition's label, ``n_series``,
            ``bytes_sent`` (the rows' in-memory size when they travelled inside the
            task, else 0), ``seconds`` and ``cpu_seconds`` of its fit on the worker
            (measured inside the task: no scheduling or transfer), ``started`` (Unix
            time) and ``worker`` (the worker's address; ``local`` in this process); see
            :mod:`skillcast.distributed.projection`.
    """

    def fit(self, panel: Panel | PartitionedPanel, client: Client | None = None) -> Self:
        """Fit a clone of ``forecaster`` per partition on the cluster of ``client``
        (default: the current client; with none, partition by partition in this process,
        which gives the same model).

        ``panel`` may be a :class:`PartitionedPanel` (:func:`read_partitioned`): each
        partition is then fitted where it was validated, without moving its rows.
        """
        self._check_member()
        client = cluster_client(client)
        member = clone(self.forecaster)
        if isinstance(panel, PartitionedPanel):
            if client is None:
                raise SkillcastConfigError(
                    "A PartitionedPanel lives on a Dask cluster: fit it with its client."
                )
            futures = [
                client.submit(_timed, _fit_partition, member, part, pure=False)
                for part in panel.futures
            ]
            fitted, stats = self._gather(client, futures)
            members = [m for m, _ in fitted]
            whole = Panel(panel.spec, pd.concat([m.panel_.frame for m in members]))
            index = pd.MultiIndex.from_frame(whole.series)
            positions = [
                index.get_indexer(pd.MultiIndex.from_frame(m.panel_.series)) for m in members
            ]
            # the rows were read where they are fitted: none travelled
            times = self._times(panel.labels, members, stats, sent=False)
            return self._set(whole, members, positions, times)
        self._run(panel, client, _fit_partition)
        return self

    def fit_rolling(
        self, panel: Panel, origins: Sequence[int], horizon: int, client: Client | None = None
    ) -> np.ndarray:
        """:meth:`fit`, and the rolling forecasts from ``origins`` (positions in
        ``panel.periods``) computed in each partition's task with its fit (the member's
        own ``fit_rolling``: AutoETS warm-starts its refits); gathered in ``panel``'s
        series order, equal to the whole panel's (series x origins x horizon)."""
        self._check_member()
        origin_periods = panel.periods[np.asarray(origins, dtype=np.int64)]
        rolling = self._run(
            panel, cluster_client(client), _fit_rolling_partition, origin_periods, int(horizon)
        )
        out = np.full((panel.n_series, len(origin_periods), int(horizon)), np.nan)
        for pos, part in zip(self.positions_, rolling, strict=True):
            out[pos] = part
        return out

    def _run(
        self, panel: Panel, client: Client | None, task: Callable[..., Fitted], *args: Any
    ) -> list[np.ndarray | None]:
        """Run ``task`` (clone, fit, maybe forecast) on each partition of ``panel``, on the
        cluster or here; keep the fitted members, return what else each task gave."""
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        member = clone(self.forecaster)
        positions = partition_series(panel, self.partition_by, self.partition_size)
        parts = [subpanel(panel, pos) for pos in positions]
        if client is None:
            fitted, stats = _unzip([_timed(task, member, part, *args) for part in parts])
        else:
            # panels go inside the tasks, not scattered: a task lost with its worker can
            # then run again elsewhere (scattered data would be lost with the worker)
            futures = [
                client.submit(_timed, task, member, part, *args, pure=False) for part in parts
            ]
            fitted, stats = self._gather(client, futures)
        members = [m for m, _ in fitted]
        labels = partition_labels(panel, positions, self.partition_by)
        times = self._times(labels, members, stats, sent=client is not None)
        self._set(panel, members, positions, times)
        return [extra for _, extra in fitted]

    def _check_member(self) -> None:
        if not isinstance(self.forecaster, LOCAL_MODELS):
            names = ", ".join(cls.__name__ for cls in LOCAL_MODELS)
            pooled = (
                " (the pooled model trains on a cluster in a DistributedGlobalModel)"
                if isinstance(self.forecaster, GlobalModel)
                else ""
            )
            raise SkillcastConfigError(
                f"DistributedForecaster fits local models ({names}) per partition of "
                f"series; {type(self.forecaster).__name__} learns across series, so its "
                f"forecasts would depend on the partitions{pooled}."
            )

    @staticmethod
    def _gather(client: Client, futures: list[Any]) -> tuple[list[Fitted], list[dict[str, Any]]]:
        from distributed import KilledWorker

        try:
            return _unzip(client.gather(futures))
        except KilledWorker as exc:
            raise DistributedFitError(
                f"A partition's fit was lost with its worker more often than Dask retries "
                f"({exc}). Check the workers' memory (each holds one partition and its "
                "model) and logs, or use smaller partitions (partition_size, partition_by)."
            ) from exc
        finally:
            client.cancel(futures)  # release the fitted members held on the workers

    @staticmethod
    def _times(
        labels: list[str], members: list[Forecaster], stats: list[dict[str, Any]], sent: bool
    ) -> pd.DataFrame:
        n_series = [m.panel_.n_series for m in members]
        sizes = [s["bytes"] if sent else 0 for s in stats]
        return partition_times(labels, n_series, sizes, stats)

    def _set(
        self,
        panel: Panel,
        members: list[Forecaster],
        positions: list[np.ndarray],
        times: pd.DataFrame,
    ) -> Self:
        self.panel_ = panel
        self.members_ = members
        self.positions_ = [np.asarray(pos, dtype=np.int64) for pos in positions]
        self.partition_seconds_ = times
        self.calibration_ = None  # each member holds its own
        return self

    def _lags(self) -> list[int]:
        """Periods between each member's last period and the panel's: a partition whose
        series all end early forecasts through the gap, as the whole panel would."""
        last = self.panel_.periods[-1]
        return [
            int(self.panel_.freq.steps(pd.PeriodIndex([last]), m.panel_.periods[-1])[0])
            for m in self.members_
        ]

    def predict(self, horizon: int, exog: pd.DataFrame | None = None) -> Forecast:
        """The members' forecasts (with their intervals), series in ``panel_`` order."""
        self._check_fitted()
        horizon = int(horizon)
        if horizon < 1:
            raise SkillcastConfigError(f"horizon must be >= 1, got {horizon!r}")
        frames, levels = [], tuple(self.levels)
        for member, lag in zip(self.members_, self._lags(), strict=True):
            forecast = member.predict(horizon + lag, exog=exog)
            frame, levels = forecast.frame, tuple(forecast.levels)
            if lag:
                frame = frame.loc[frame["step"] > lag].copy()
                frame["step"] -= lag
            frames.append(frame)
        order = np.argsort(np.concatenate(self.positions_), kind="stable")
        rows = (order[:, None] * horizon + np.arange(horizon)).ravel()
        frame = pd.concat(frames, ignore_index=True).take(rows).reset_index(drop=True)
        return Forecast(frame=frame, spec=self.panel_.spec, levels=levels, model=self._name())

    def _name(self) -> str:
        return type(self.forecaster).__name__

    def _fit_dense(self, y: np.ndarray, panel: Panel) -> None:  # pragma: no cover
        raise TypeError(f"{type(self).__name__} fits whole panels: call fit(panel)")

    def _predict_dense(self, horizon: int, exog: pd.DataFrame | None) -> np.ndarray:
        out = np.empty((self.panel_.n_series, horizon))
        for member, pos, lag in zip(self.members_, self.positions_, self._lags(), strict=True):
            out[pos] = member.predict_dense(horizon + lag, exog)[:, lag:]
        return out
