"""Benchmark: local models on national panels, in one process and on a Dask LocalCluster.

Run: ``python experiments/bench_national.py [n_series ...] [--auto n_series ...]``
(default 10000 100000; add 1000000 for the full national scale; ``--auto`` also measures
the AutoForecaster, members one after another, at those sizes). Needs the ``dask`` extra.

For each size, :func:`skillcast.datasets.make_national` draws the panel (34 provinces,
10 half-years, mostly empty cells, heavy-tailed sizes) and each model is fitted and
forecast 4 half-years ahead (point forecasts) twice: in this process, and as a
:class:`~skillcast.distributed.DistributedForecaster` partitioned by region on a
LocalCluster of 2 worker processes x 1 thread (started, and skillcast imported on its
workers, before the fit is timed). Each measurement runs in a fresh Python
process, so peak memory (``ru_maxrss``) is its own: for the Dask path, of the client and
of each worker. The cluster's start is timed apart from the fit. The last column
checks that both paths give the same forecasts.

A second table projects the Dask path's fit + predict time on 1 to 34 workers (one
province each at 34) from the same run: each partition's fit as timed inside its task
(``partition_seconds_``), scheduled longest first on N workers
(:func:`skillcast.distributed.projection.lpt_makespan`), plus the run's overhead: its
measured time minus the span during which tasks ran (cutting the panel, sending rows,
gathering the models, predicting). Its "2 workers" column sits next to the measured time.
The AutoForecaster's members run one after another, each over the cluster, so it has no
row there; its "same forecasts" gives how far apart the two paths' forecasts are (its
pooled member trains differently on the cluster).
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from typing import Any

import numpy as np

N_WORKERS = 2
HORIZON = 4
MODELS = ("SeasonalNaive", "AutoETS")
PROJECTED_WORKERS = (1, 2, 4, 8, 16, 34)


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _model(name: str) -> Any:
    from skillcast import models

    if name == "AutoForecaster":  # its members one after another, as on the cluster
        return models.AutoForecaster(levels=(), n_jobs=1)
    return getattr(models, name)(levels=())


def _wrapper(name: str) -> Any:
    from skillcast.distributed import DistributedAutoForecaster, DistributedForecaster

    cls = DistributedAutoForecaster if name == "AutoForecaster" else DistributedForecaster
    return cls(_model(name), partition_by="region")


def _panel(n_series: int) -> tuple[Any, float]:
    from skillcast import load_panel
    from skillcast.datasets import make_national, national_spec

    start = time.perf_counter()
    panel = load_panel(make_national(n_series, seed=0), national_spec())
    return panel, time.perf_counter() - start


def measure(n_series: int, model: str, path: str) -> dict[str, Any]:
    """One measurement in this process: fit + predict seconds and peak memory (MB); for
    the Dask path also each partition's task seconds and the run's overhead."""
    if path == "local":
        panel, load_s = _panel(n_series)
        out: dict[str, Any] = {"load_s": load_s}
        start = time.perf_counter()
        mean = _model(model).fit(panel).predict_dense(HORIZON)
        out["fit_s"] = time.perf_counter() - start
        out["client_mb"] = _peak_mb()
    else:
        from skillcast.distributed import dask_client, run_overhead

        start = time.perf_counter()
        # the cluster starts before the panel is drawn: a worker process forked later
        # would start from the client's memory high-water mark and report it as its own
        with dask_client(n_workers=N_WORKERS, threads_per_worker=1) as client:
            # workers import skillcast once; counted with the start, not with the fit
            client.run(importlib.import_module, "skillcast.distributed")
            cluster_s = time.perf_counter() - start
            panel, load_s = _panel(n_series)
            out = {"load_s": load_s, "cluster_s": cluster_s}
            start = time.perf_counter()
            wrapper = _wrapper(model)
            mean = wrapper.fit(panel, client=client).predict_dense(HORIZON)
            out["fit_s"] = time.perf_counter() - start
            peaks = client.run(_peak_mb)
            out["worker_mb"] = [peaks[w] for w in sorted(peaks)]
        times = wrapper.partition_seconds_
        out["task_s"] = times["seconds"].tolist()
        out["task_cpu_s"] = float(times["cpu_seconds"].sum())
        out["overhead_s"] = run_overhead(out["fit_s"], times["started"], times["seconds"])
        out["client_mb"] = _peak_mb()
    out["checksum"] = float(np.nansum(mean))
    np.save(_means_path(n_series, model, path), mean)
    return out


def _means_path(n_series: int, model: str, path: str) -> str:
    return f"{tempfile.gettempdir()}/bench_national-{n_series}-{model}-{path}.npy"


def _agreement(n_series: int, model: str) -> str:
    """``yes`` when both paths' forecasts agree to 1e-6; else, for the AutoForecaster
    (its pooled member trains differently on the cluster), their mean relative gap."""
    local, dask = (np.load(_means_path(n_series, model, p)) for p in ("local", "dask"))
    gap = np.abs(dask - local) / np.maximum(np.abs(local), 1.0)
    if np.nanmax(gap, initial=0.0) <= 1e-6:
        return "yes"
    return f"{np.nanmean(gap):.1%} apart" if model == "AutoForecaster" else "NO"


def _run(n_series: int, model: str, path: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(n_series), model, path],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def print_projection(runs: list[tuple[int, str, dict[str, Any]]]) -> None:
    """The Dask runs' fit + predict seconds projected on each of PROJECTED_WORKERS."""
    from skillcast.distributed import projected_wall_time

    workers = " | ".join(f"{n} w" for n in PROJECTED_WORKERS)
    print(
        f"\n| series | model | tasks | task s (sum) | task CPU s (sum) | longest task s "
        f"| overhead s | {workers} | measured on {N_WORKERS} w |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|" + "---:|" * (len(PROJECTED_WORKERS) + 1))
    for n, model, r in runs:
        tasks = r["task_s"]
        projected = " | ".join(
            f"{projected_wall_time(tasks, w, r['overhead_s']):.1f}" for w in PROJECTED_WORKERS
        )
        print(
            f"| {n:,} | {model} | {len(tasks)} | {sum(tasks):.1f} | {r['task_cpu_s']:.1f} "
            f"| {max(tasks):.2f} | {r['overhead_s']:.1f} | {projected} | {r['fit_s']:.1f} |",
            flush=True,
        )


def main(sizes: list[int], auto_sizes: list[int]) -> None:
    dask_runs: list[tuple[int, str, dict[str, Any]]] = []
    print(
        "| series | model | path | load s | cluster start s | fit + predict s "
        "| ratio | client peak MB | each worker's peak MB | same forecasts |"
    )
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---|")
    runs = [(n, m) for n in sizes for m in MODELS] + [(n, "AutoForecaster") for n in auto_sizes]
    for n, model in runs:
        local = _run(n, model, "local")
        dask = _run(n, model, "dask")
        if model != "AutoForecaster":  # its members run one after another: no one schedule
            dask_runs.append((n, model, dask))
        same = _agreement(n, model)
        for path, r in (("local", local), ("dask", dask)):
            print(
                f"| {n:,} | {model} | {path} | {r['load_s']:.1f} "
                f"| {r.get('cluster_s', 0):.1f} | {r['fit_s']:.1f} "
                f"| {r['fit_s'] / local['fit_s']:.2f} | {r['client_mb']:.0f} "
                f"| {' / '.join(f'{mb:.0f}' for mb in r.get('worker_mb', [])) or '-'} "
                f"| {same} |",
                flush=True,
            )
    print_projection(dask_runs)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3], sys.argv[4])))
    else:
        args = sys.argv[1:]
        cut = args.index("--auto") if "--auto" in args else len(args)
        sizes = [int(a) for a in args[:cut]] if args else [10_000, 100_000]
        main(sizes, [int(a) for a in args[cut + 1 :]])
