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
from skillcast.distributed.partitions import PartitionedPanel, partition_series, subpanel
from skillcast.errors import SkillcastConfigError, SkillcastError
from skillcast.forecast import Forecast
from skillcast.models.base import Forecaster, check_panel
from skillcast.models.baselines import Drift, Naive, SeasonalNaive, WindowAverage
from skillcast.models.ets import AutoETS, ExponentialSmoothing
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


class DistributedForecaster(Forecaster):
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
    """

    def __init__(
        self,
        forecaster: Forecaster,
        partition_by: str | None = None,
        partition_size: int | None = None,
    ) -> None:
        self.forecaster = forecaster
        self.partition_by = partition_by
        self.partition_size = partition_size

    @property
    def levels(self) -> tuple[int, ...]:  # type: ignore[override]
        """The interval levels of the wrapped forecaster."""
        return tuple(getattr(self.forecaster, "levels", ()) or ())

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
                client.submit(_fit_partition, member, part, pure=False) for part in panel.futures
            ]
            members = self._gather(client, futures)
            whole = Panel(panel.spec, pd.concat([m.panel_.frame for m in members]))
            index = pd.MultiIndex.from_frame(whole.series)
            positions = [
                index.get_indexer(pd.MultiIndex.from_frame(m.panel_.series)) for m in members
            ]
            return self._set(whole, members, positions)
        panel = check_panel(panel, type(self).__name__)
        if panel.n_series == 0 or panel.n_periods == 0:
            raise SkillcastConfigError("Cannot fit on an empty panel.")
        positions = partition_series(panel, self.partition_by, self.partition_size)
        parts = [subpanel(panel, pos) for pos in positions]
        if client is None:
            members = [_fit_partition(member, part) for part in parts]
        else:
            # panels go inside the tasks, not scattered: a task lost with its worker can
            # then run again elsewhere (scattered data would be lost with the worker)
            futures = [client.submit(_fit_partition, member, part, pure=False) for part in parts]
            members = self._gather(client, futures)
        return self._set(panel, members, positions)

    def _check_member(self) -> None:
        if not isinstance(self.forecaster, LOCAL_MODELS):
            names = ", ".join(cls.__name__ for cls in LOCAL_MODELS)
            raise SkillcastConfigError(
                f"DistributedForecaster fits local models ({names}) per partition of "
                f"series; {type(self.forecaster).__name__} learns across series, so its "
                "forecasts would depend on the partitions."
            )

    @staticmethod
    def _gather(client: Client, futures: list[Any]) -> list[Forecaster]:
        try:
            return list(client.gather(futures))
        except KilledWorker as exc:
            raise DistributedFitError(
                f"A partition's fit was lost with its worker more often than Dask retries "
                f"({exc}). Check the workers' memory (each holds one partition and its "
                "model) and logs, or use smaller partitions (partition_size, partition_by)."
            ) from exc
        finally:
            client.cancel(futures)  # release the fitted members held on the workers

    def _set(self, panel: Panel, members: list[Forecaster], positions: list[np.ndarray]) -> Self:
        self.panel_ = panel
        self.members_ = members
        self.positions_ = [np.asarray(pos, dtype=np.int64) for pos in positions]
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
