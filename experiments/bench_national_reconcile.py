"""Benchmark: MinT reconciliation of national panels, in one process and with the bottom
series cut by region into blocks reconciled on a Dask LocalCluster.

Run: ``python experiments/bench_national_reconcile.py [n_series ...]`` (default 10000
100000; 1000000 is possible). Needs the ``dask`` extra.

For each size, :func:`skillcast.datasets.make_national` draws the panel (34 provinces,
88 sector divisions, 436 occupation unit groups, 5 training levels) and
:func:`~skillcast.reconcile.build_structure` adds it up to the total, each key, the
occupation major groups, provinces x occupation major groups and sectors x levels
(~1,300 aggregates: a dense Cholesky factorisation of the aggregate system). Base
forecasts of every node, 4 steps, are its last value (0 when missing) times 1 + 10 %
noise plus unit noise, so some are negative and the non-negative ``fix_zeros`` rounds
run; residuals are T = 8 random draws scaled by the node's size. Deterministic seeds.

Each measurement runs in a fresh Python process, so peak memory (``ru_maxrss``, the
panel and structure included) is its own: ``local`` fits the reconciler and times
``transform``; ``dask`` fits it the same way (the block path needs a fitted reconciler)
and times :func:`~skillcast.distributed.reconciliation.reconcile_blocks` with one block
per province on 2 worker processes x 1 thread (started, and skillcast imported on the
workers, before the panel is drawn; their start is timed apart). Times are the best of
REPEATS calls (the machine may be shared). ``solves`` counts the aggregate systems solved
(1 + the ``fix_zeros`` re-solves). The last columns compare both paths' outputs. BLAS
runs one thread in every process.
"""

from __future__ import annotations

import importlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

N_WORKERS = 2
HORIZON = 4
N_RESIDUALS = 8
REPEATS = 3
METHODS = ("wls_struct", "mint_shrink")
CROSS = [("region", "occupation_major"), ("sector", "level")]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def problem(n_series: int) -> tuple[Any, np.ndarray, np.ndarray, list[np.ndarray]]:
    """The structure, base forecasts (n_total x HORIZON), residuals and region blocks."""
    from skillcast import load_panel
    from skillcast.datasets import make_national, national_spec
    from skillcast.distributed.reconciliation import bottom_blocks
    from skillcast.reconcile import build_structure

    panel = load_panel(make_national(n_series, seed=0), national_spec())
    structure = build_structure(panel, cross=CROSS)
    rng = np.random.default_rng(0)
    level = structure.aggregate(np.nan_to_num(panel.dense()[:, -1]))
    noise = rng.normal(size=(structure.n_total, HORIZON))
    base = level[:, None] * (1.0 + 0.1 * noise) + rng.normal(size=noise.shape)
    residuals = rng.normal(size=(structure.n_total, N_RESIDUALS)) * np.sqrt(level + 1)[:, None]
    return structure, base, residuals, bottom_blocks(structure, "region")


def measure(n_series: int, method: str, path: str, out_file: str) -> dict[str, Any]:
    """One measurement in this process; the reconciled values go to ``out_file``."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
    if path == "local":
        return _measure(n_series, method, None, out_file)
    from skillcast.distributed import dask_client

    # the workers start before the problem is built: a spawned process inherits its
    # parent's ru_maxrss, so theirs then counts their own memory, not the client's panel
    start = time.perf_counter()
    with dask_client(n_workers=N_WORKERS, threads_per_worker=1) as client:
        client.run(importlib.import_module, "skillcast.distributed.reconciliation")
        cluster_s = time.perf_counter() - start
        out = _measure(n_series, method, client, out_file)
        out["worker_mb"] = max(client.run(_peak_mb).values())
    return {**out, "cluster_s": cluster_s}


def _measure(n_series: int, method: str, client: Any, out_file: str) -> dict[str, Any]:
    from skillcast.distributed.reconciliation import reconcile_blocks
    from skillcast.reconcile import make_reconciler

    structure, base, residuals, blocks = problem(n_series)
    out: dict[str, Any] = {"n_bottom": structure.n_bottom, "n_aggregate": structure.n_aggregate}
    start = time.perf_counter()
    reconciler = make_reconciler(method).fit(structure, residuals)
    out["fit_s"] = time.perf_counter() - start
    seconds = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        if client is None:
            values = reconciler.transform(base)
        else:
            from distributed import get_task_stream

            with get_task_stream(client) as stream:
                values = reconcile_blocks(reconciler, base, blocks, client=client)
            sums = [t for t in stream.data if str(t["key"]).startswith("_block_sums")]
            out["solves"] = len(sums) // len(blocks)
        seconds.append(time.perf_counter() - start)
    out["seconds"] = min(seconds)
    out["client_mb"] = _peak_mb()
    np.save(out_file, values)
    return out


def _run(n_series: int, method: str, path: str, out_file: Path) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--one", str(n_series), method, path, str(out_file)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(sizes: list[int]) -> None:
    print(
        "| n bottom | n aggregate | method | solves | fit s | local transform s "
        "| local peak MB | dask blocks s | ratio | client peak MB (dask) | worker peak MB "
        "| cluster start s | max abs diff | max rel diff |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for method in METHODS:
                files = {p: Path(tmp) / f"{n}-{method}-{p}.npy" for p in ("local", "dask")}
                local = _run(n, method, "local", files["local"])
                dask = _run(n, method, "dask", files["dask"])
                a, b = np.load(files["local"]), np.load(files["dask"])
                diff = float(np.abs(a - b).max())
                rel = diff / max(1.0, float(np.abs(a).max()))
                print(
                    f"| {local['n_bottom']:,} | {local['n_aggregate']:,} | {method} "
                    f"| {dask['solves']} | {local['fit_s']:.2f} | {local['seconds']:.2f} "
                    f"| {local['client_mb']:.0f} | {dask['seconds']:.2f} "
                    f"| {dask['seconds'] / local['seconds']:.1f} | {dask['client_mb']:.0f} "
                    f"| {dask['worker_mb']:.0f} | {dask['cluster_s']:.1f} "
                    f"| {diff:.1e} | {rel:.1e} |",
                    flush=True,
                )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5])))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
