"""Local models fitted per partition of series on a Dask cluster.

A local model (AutoETS, the baselines, Croston/TSB) learns each series from its own
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

from typing import Any, Self

import numpy as np
import pandas as pd
from distributed import Client, KilledWorker
from sklearn.base import clone

from skillcast.distributed.client import current_client
from skillcast.distributed.partitions import (
    PartitionedForecaster,
    PartitionedPanel,
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
from skillcast.panel import Panel

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
)
"""The forecasters whose forecasts of a series depend on that series alone."""


class DistributedFitError(SkillcastError):
    """A distributed fit failed on the cluster (workers lost past Dask's retries)."""


def _fit_partition(forecaster: Forecaster, panel: Panel) -> Forecaster:
    return clone(forecaster).fit(panel)


def _timed_fit(forecaster: Forecaster, panel: Panel) -> tuple[Forecaster, dict[str, Any]]:
    """The fitted clone and how long its fit ran where it ran, with the size of the rows
    (measured here, outside the timed fit, so the work the task was sent is known)."""
    fitted, stats = run_timed(_fit_partition, forecaster, panel)
    stats["bytes"] = int(panel.frame.memory_usage(deep=True).sum())
    return fitted, stats


def _unzip(
    pairs: list[tuple[Forecaster, dict[str, Any]]],
) -> tuple[list[Forecaster], list[dict[str, Any]]]:
    return [member for member, _ in pairs], [stats for _, stats in pairs]


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
        client = current_client(client)
        member = clone(self.forecaster)
        if isinstance(panel, PartitionedPanel):
            if client is None:
                raise SkillcastConfigError(
                    "A PartitionedPanel lives on a Dask cluster: fit it with its client."
                )
            futures = [
                client.submit(_timed_fit, member, part, pure=False) for part in panel.futures
            ]
            members, stats = self._gather(client, futures)
            whole = Panel(panel.spec, pd.concat([m.panel_.frame for m in members]))
            index = pd.MultiIndex.from_frame(whole.series)
            positions = [
                index.get_indexer(pd.MultiIndex.from_frame(m.panel_.series)) for m in members
            ]
            # the rows were read where they are fitted: none travelled
            times = self._times(panel.labels, members, stats, sent=False)
            return self._set(whole, members, positions, times)
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        positions = partition_series(panel, self.partition_by, self.partition_size)
        parts = [subpanel(panel, pos) for pos in positions]
        if client is None:
            members, stats = _unzip([_timed_fit(member, part) for part in parts])
        else:
            # panels go inside the tasks, not scattered: a task lost with its worker can
            # then run again elsewhere (scattered data would be lost with the worker)
            futures = [client.submit(_timed_fit, member, part, pure=False) for part in parts]
            members, stats = self._gather(client, futures)
        labels = partition_labels(panel, positions, self.partition_by)
        times = self._times(labels, members, stats, sent=client is not None)
        return self._set(panel, members, positions, times)

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
    def _gather(
        client: Client, futures: list[Any]
    ) -> tuple[list[Forecaster], list[dict[str, Any]]]:
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
