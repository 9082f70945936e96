"""Benchmark: the pooled LightGBM model on national panels, in one process and on a Dask
LocalCluster (``lightgbm.dask``).

Run: ``python experiments/bench_national_pooled.py [n_series ...]`` (default 10000).
Needs the ``dask`` extra.

For each size, :func:`skillcast.datasets.make_national` draws the panel (34 provinces,
10 half-years) and the default :class:`~skillcast.models.GlobalModel` (multi strategy,
80/95% conformal intervals) is fitted and forecast 4 half-years ahead twice: in this
process, and as a :class:`~skillcast.distributed.DistributedGlobalModel` partitioned by
region on a LocalCluster of 2 worker processes x 1 thread (started, and skillcast
imported on its workers, before the fit is timed; the start is timed apart). Each
measurement runs in a fresh Python process. On one machine the Dask path measures the
cluster's overhead (tasks, moving rows, LightGBM's network), not a speed-up: the gain is
memory and more machines. The last column compares the forecasts (mean |dask - local| /
max(local, 1)).
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_WORKERS = 2
HORIZON = 4


def measure(n_series: int, path: str, out_file: str) -> dict[str, float]:
    """One measurement in this process: load, cluster start and fit + predict seconds."""
    from skillcast import load_panel
    from skillcast.datasets import make_national, national_spec
    from skillcast.models import GlobalModel

    start = time.perf_counter()
    panel = load_panel(make_national(n_series, seed=0), national_spec())
    out = {"load_s": time.perf_counter() - start}
    if path == "local":
        start = time.perf_counter()
        mean = GlobalModel().fit(panel).predict_dense(HORIZON)
        out["fit_s"] = time.perf_counter() - start
    else:
        from skillcast.distributed import DistributedGlobalModel, dask_client

        start = time.perf_counter()
        with dask_client(n_workers=N_WORKERS, threads_per_worker=1) as client:
            client.run(importlib.import_module, "skillcast.distributed.pooled_model")
            out["cluster_s"] = time.perf_counter() - start
            start = time.perf_counter()
            model = DistributedGlobalModel(GlobalModel(), partition_by="region")
            mean = model.fit(panel, client=client).predict_dense(HORIZON)
            out["fit_s"] = time.perf_counter() - start
    np.save(out_file, mean)
    return out


def _run(n_series: int, path: str, out_file: str) -> dict[str, float]:
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(n_series), path, out_file],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    print(
        "| series | path | load s | cluster start s | fit + predict s | ratio "
        "| forecasts vs one process |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            files = {p: str(Path(tmp) / f"{p}-{n}.npy") for p in ("local", "dask")}
            runs = {p: _run(n, p, f) for p, f in files.items()}
            local = np.load(files["local"])
            for path, r in runs.items():
                mean = np.load(files[path])
                diff = np.mean(np.abs(mean - local) / np.maximum(np.abs(local), 1.0))
                print(
                    f"| {n:,} | {path} | {r['load_s']:.1f} | {r.get('cluster_s', 0):.1f} "
                    f"| {r['fit_s']:.1f} | {r['fit_s'] / runs['local']['fit_s']:.2f} "
                    f"| {diff:.1%} |",
                    flush=True,
                )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3], sys.argv[4])))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000])
