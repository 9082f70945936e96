"""Projecting a distributed fit's time on N workers from its per-partition task times.

No cluster: the projection is arithmetic, checked against schedules worked out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from skillcast.datasets import load_sample
from skillcast.distributed import DistributedForecaster, DistributedGlobalModel
from skillcast.distributed.projection import (
    PARTITION_TIME_COLUMNS,
    lpt_makespan,
    partition_times,
    projected_wall_time,
    run_overhead,
    run_timed,
)
from skillcast.models import GlobalModel, SeasonalNaive


@pytest.mark.parametrize(
    ("seconds", "n_workers", "makespan"),
    [
        # one worker runs everything in turn
        ([3, 1, 2], 1, 6),
        # 7 | 6 | 5 then 4 -> 5+4, 3 -> 6+3 (the first free of 6 and 7), 2 -> 7+2
        ([2, 7, 4, 3, 6, 5], 3, 9),
        # LPT's textbook worst case for 2 workers: 3+2+2 = 7 against the best 6 (3+3|2+2+2)
        ([3, 3, 2, 2, 2], 2, 7),
        # 5 | 4 then 3 -> 4+3, 2 -> 5+2, 1 -> 7+1 or 7+1: ties broken either way give 8
        ([1, 2, 3, 4, 5], 2, 8),
        # more workers than tasks: the longest task
        ([1.5, 0.5], 34, 1.5),
        # nothing to run
        ([], 4, 0),
    ],
)
def test_lpt_makespan_by_hand(seconds, n_workers, makespan):
    assert lpt_makespan(seconds, n_workers) == pytest.approx(makespan)


def test_the_makespan_never_grows_with_workers_and_stays_above_its_bounds():
    seconds = np.random.default_rng(0).gamma(0.8, 2.0, size=34)
    spans = [lpt_makespan(seconds, n) for n in (1, 2, 4, 8, 16, 34, 100)]
    assert spans == sorted(spans, reverse=True)
    assert spans[0] == pytest.approx(seconds.sum())
    assert spans[-2] == spans[-1] == pytest.approx(seconds.max())
    for n, span in zip((1, 2, 4, 8, 16, 34), spans, strict=False):
        assert span >= max(seconds.sum() / n, seconds.max()) - 1e-12


def test_projected_wall_time_adds_the_fixed_overhead():
    assert projected_wall_time([2, 7, 4, 3, 6, 5], 3, overhead=1.25) == pytest.approx(10.25)
    assert projected_wall_time([4, 4], 1) == pytest.approx(8)


@pytest.mark.parametrize(
    ("seconds", "n_workers", "overhead"),
    [([1, -1], 2, 0), ([1, np.nan], 2, 0), ([1], 0, 0), ([1], 1.5, 0), ([1], 2, -0.1)],
)
def test_bad_inputs_are_refused(seconds, n_workers, overhead):
    with pytest.raises(ValueError):
        projected_wall_time(seconds, n_workers, overhead)


def test_run_overhead_is_the_wall_time_outside_the_tasks_span():
    # tasks on two workers: [100, 103] and [100.5, 102] then [102, 104.5]; span 100 -> 104.5
    started = [100.0, 100.5, 102.0]
    seconds = [3.0, 1.5, 2.5]
    assert run_overhead(6.0, started, seconds) == pytest.approx(1.5)
    assert run_overhead(4.0, started, seconds) == 0.0  # a clock step cannot go negative
    assert run_overhead(2.0, [], []) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="one value per task"):
        run_overhead(6.0, started, seconds[:2])


def test_a_measured_run_projects_back_to_its_wall_time_when_scheduled_as_lpt():
    # the same run seen from both ends: 2 workers ran LPT's schedule, plus 0.8 s around it
    seconds = [2, 7, 4, 3, 6, 5]
    # LPT on 2 workers: 7 -> A, 6 -> B, 5 -> B (11), 4 -> A (11), 3 -> A (14), 2 -> B (13)
    starts = [11.0, 0.0, 7.0, 11.0, 0.0, 6.0]
    wall = 0.8 + 14.0
    overhead = run_overhead(wall, starts, seconds)
    assert overhead == pytest.approx(0.8)
    assert projected_wall_time(seconds, 2, overhead) == pytest.approx(wall)


def test_run_timed_outside_a_worker_says_local():
    value, stats = run_timed(sum, [1, 2, 3])
    assert value == 6
    assert stats["worker"] == "local"
    assert stats["seconds"] >= 0 and stats["cpu_seconds"] >= 0 and stats["started"] > 0


def test_partition_times_frame_has_the_documented_columns():
    stats = [{"seconds": 1.0, "cpu_seconds": 0.9, "started": 5.0, "worker": "tcp://a:1"}]
    frame = partition_times(["region=P01"], [12], [3456], stats)
    assert tuple(frame.columns) == PARTITION_TIME_COLUMNS
    assert frame.iloc[0].to_dict() == {
        "partition": "region=P01",
        "n_series": 12,
        "bytes_sent": 3456,
        "seconds": 1.0,
        "cpu_seconds": 0.9,
        "started": 5.0,
        "worker": "tcp://a:1",
    }
    empty = partition_times([], [], [], [])
    assert tuple(empty.columns) == PARTITION_TIME_COLUMNS and empty.empty


def test_without_a_cluster_partitions_are_timed_in_this_process():
    sample = load_sample()
    fitted = DistributedForecaster(SeasonalNaive(levels=()), partition_by="level").fit(sample)
    times = fitted.partition_seconds_
    assert isinstance(times, pd.DataFrame)
    assert times["partition"].tolist() == [
        f"level={v}" for v in sorted(sample.series["level"].unique())
    ]
    assert times["n_series"].sum() == sample.n_series
    assert (times["worker"] == "local").all() and (times["bytes_sent"] == 0).all()
    assert (times["seconds"] >= 0).all()


def test_the_pooled_model_fitted_in_this_process_has_no_partition_times():
    fitted = DistributedGlobalModel(GlobalModel(levels=()), partition_size=50).fit(load_sample())
    assert fitted.partition_seconds_.empty and fitted.train_seconds_ is None
