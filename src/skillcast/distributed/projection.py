"""How long each partition's task took on its worker, and the fit time those times
project on a cluster of another size.

A distributed fit records, per partition, the seconds its task ran on the worker (the
work itself: no scheduling, no transfer) in ``partition_seconds_``. Everything else a
run costs -- cutting the panel, sending rows, gathering the fitted models, the
client's own steps -- is the run's overhead: its wall time minus the span during which
tasks ran. On ``n`` workers the fit then takes about

    overhead + makespan of the partitions' seconds on ``n`` workers,

the makespan taken from longest-processing-time-first scheduling (each task, longest
first, goes to the worker that is free first), which is within 4/3 of the best schedule.
This assumes the overhead does not grow with the workers and a task takes as long on
any worker as it did in the measured run (the same kind of machine, the same load).

Nothing here needs Dask: the functions are plain arithmetic, and :func:`run_timed`
asks for the worker's address only when it runs on one.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "PARTITION_TIME_COLUMNS",
    "lpt_makespan",
    "partition_times",
    "projected_wall_time",
    "run_overhead",
    "run_timed",
]

PARTITION_TIME_COLUMNS = (
    "partition",
    "n_series",
    "bytes_sent",
    "seconds",
    "cpu_seconds",
    "started",
    "worker",
)
"""Columns of a fitted ``partition_seconds_``: the partition's label, its series, the
in-memory size of its rows when they travelled inside the task (0 when they did not),
the wall and CPU seconds of its task on the worker, when the task started (Unix time on
the worker's clock) and the worker's address (``local``: fitted in this process)."""


def _seconds(seconds: Iterable[float]) -> np.ndarray:
    out = np.asarray(list(seconds), dtype=float)
    if out.ndim != 1 or not np.isfinite(out).all() or (out < 0).any():
        raise ValueError(f"task seconds must be finite and >= 0, got {out!r}")
    return out


def lpt_makespan(seconds: Iterable[float], n_workers: int) -> float:
    """The time ``n_workers`` take to run tasks of ``seconds`` each, scheduled longest
    first, each on the worker that is free first (0 for no tasks)."""
    if int(n_workers) != n_workers or n_workers < 1:
        raise ValueError(f"n_workers must be a whole number >= 1, got {n_workers!r}")
    tasks = np.sort(_seconds(seconds))[::-1]
    loads = [0.0] * min(int(n_workers), len(tasks))
    for task in tasks:
        heapq.heapreplace(loads, loads[0] + float(task))
    return max(loads, default=0.0)


def projected_wall_time(seconds: Iterable[float], n_workers: int, overhead: float = 0.0) -> float:
    """The projected wall time of a run on ``n_workers``: its fixed ``overhead`` plus the
    :func:`lpt_makespan` of its tasks' ``seconds``."""
    if not np.isfinite(overhead) or overhead < 0:
        raise ValueError(f"overhead must be finite and >= 0, got {overhead!r}")
    return float(overhead) + lpt_makespan(seconds, n_workers)


def run_overhead(wall_seconds: float, started: Sequence[float], seconds: Sequence[float]) -> float:
    """The part of a run's ``wall_seconds`` spent outside its tasks: the wall time minus
    the span from the first task's start to the last task's end (never below 0).

    ``started`` are the tasks' start times on one clock (the workers' clocks, which a
    LocalCluster shares and a cluster keeps in step), ``seconds`` their durations.
    """
    durations = _seconds(seconds)
    starts = np.asarray(started, dtype=float)
    if starts.shape != durations.shape:
        raise ValueError(
            f"started and seconds must have one value per task, got {starts.size} and "
            f"{durations.size}"
        )
    if not durations.size:
        return max(float(wall_seconds), 0.0)
    span = float(np.max(starts + durations) - np.min(starts))
    return max(float(wall_seconds) - span, 0.0)


def run_timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, dict[str, Any]]:
    """``fn(*args)`` and how long it ran here: wall and CPU seconds (of this thread),
    its start (Unix time) and the Dask worker it ran on (``local`` outside a worker)."""
    try:
        from distributed import get_worker

        worker = str(get_worker().address)
    except (ImportError, ValueError):  # not inside a Dask task
        worker = "local"
    started = time.time()
    start, cpu = time.perf_counter(), time.thread_time()
    value = fn(*args)
    stats = {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.thread_time() - cpu,
        "started": started,
        "worker": worker,
    }
    return value, stats


def partition_times(
    labels: Sequence[str],
    n_series: Sequence[int],
    bytes_sent: Sequence[int],
    stats: Sequence[dict[str, Any]],
) -> pd.DataFrame:
    """The ``partition_seconds_`` frame: one row per partition, from its label, series
    count, bytes sent and the stats :func:`run_timed` returned for its task."""
    return pd.DataFrame(
        {
            "partition": pd.Series([str(label) for label in labels], dtype=object),
            "n_series": np.asarray(n_series, dtype=np.int64),
            "bytes_sent": np.asarray(bytes_sent, dtype=np.int64),
            "seconds": np.asarray([s["seconds"] for s in stats], dtype=float),
            "cpu_seconds": np.asarray([s["cpu_seconds"] for s in stats], dtype=float),
            "started": np.asarray([s["started"] for s in stats], dtype=float),
            "worker": pd.Series([str(s["worker"]) for s in stats], dtype=object),
        },
        columns=list(PARTITION_TIME_COLUMNS),
    )
