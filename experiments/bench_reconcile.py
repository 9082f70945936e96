"""Benchmark: reconcile 50,000 bottom series and their aggregates, H = 4.

10 sectors x 500 occupations x 5 training levels x 2 regions = 50,000 bottom series.
Two structures: ``default`` (total, each key, occupation major groups: ~530 aggregates,
dense Cholesky of the aggregate system) and ``rich`` (plus six cross-classifications:
~4,900 aggregates, sparse LU). Each case runs in a fresh process, so its peak resident
memory is its own: ``rss_mb`` is the rise of ``ru_maxrss`` over the process's level after
setup, ``traced_mb`` the tracemalloc peak (numpy allocations included) of the first call.
``seconds`` (wall, time.perf_counter) and ``cpu_s`` (process time) are the best of three
further calls without tracemalloc.

BLAS runs single-threaded by default (``--threads``): on a shared 2-core machine OpenBLAS's
spinning threads made a 527 x 527 Cholesky factorisation 10-40 times slower.

Run: ``python experiments/bench_reconcile.py [--threads N]`` (a few minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

H = 4
N_RESIDUALS = 20
CROSS = {
    "default": [],
    "rich": [
        ("sector", "occupation_major"),
        ("sector", "level"),
        ("region", "sector"),
        ("region", "occupation"),
        ("occupation", "level"),
        ("region", "sector", "occupation_major"),
    ],
}
CASES = [
    ("build_structure", None, False),
    ("bottom_up", None, True),
    ("ols", None, False),
    ("ols", None, True),
    ("wls_struct", None, False),
    ("wls_struct", None, True),
    ("wls_var", None, False),
    ("mint_shrink", None, False),
    ("mint_shrink", None, True),
    ("reconcile_forecast", "mint_shrink", True),
]


def bottom_series() -> pd.DataFrame:
    # 500 four-digit codes spread over major groups 1-9
    occupations = [f"{1 + i % 9}{i // 9:03d}" for i in range(500)]
    grid = pd.MultiIndex.from_product(
        [["HP-urban", "HP-rural"], [f"S{i:02d}" for i in range(10)], occupations,
         [f"L{i}" for i in range(5)]],
        names=["region", "sector", "occupation", "level"],
    )  # fmt: skip
    return grid.to_frame(index=False)


def problem(structure_name: str):
    from skillcast.reconcile import build_structure

    series = bottom_series()
    structure = build_structure(series, tuple(series.columns), cross=CROSS[structure_name])
    rng = np.random.default_rng(0)
    truth = rng.lognormal(2.0, 1.0, size=(structure.n_bottom, H))
    level = structure.aggregate(truth)
    noise = rng.normal(size=(structure.n_total, H)) * np.sqrt(level)
    base = level + noise  # incoherent base forecasts, some bottom ones negative
    # errors shared down the hierarchy (bottom errors add up) plus each node's own
    shared = structure.aggregate(rng.normal(size=(structure.n_bottom, N_RESIDUALS)))
    own = rng.normal(size=(structure.n_total, N_RESIDUALS)) * np.sqrt(level[:, :1])
    resid = shared * np.sqrt(np.sqrt(level[:, :1])) + own
    return series, structure, base, resid


def run_case(args: tuple[str, str | None, bool, str, int]) -> dict[str, object]:
    with threadpool_limits(limits=args[-1]):
        return _run_case(*args[:-1])


def _run_case(case: str, inner: str | None, nonnegative: bool, structure_name: str):
    from skillcast.forecast import Forecast
    from skillcast.panel import PanelSpec
    from skillcast.reconcile import build_structure, make_reconciler, reconcile_forecast

    series, structure, base, resid = problem(structure_name)
    if case == "reconcile_forecast":
        forecast = _forecast(structure, base, Forecast, PanelSpec)

    def call():
        if case == "build_structure":
            return build_structure(series, tuple(series.columns), cross=CROSS[structure_name])
        if case == "reconcile_forecast":
            return reconcile_forecast(forecast, structure, inner, residuals=resid).dense("mean")
        rec = make_reconciler(case, nonnegative=nonnegative)
        return rec.fit(structure, resid).transform(base)

    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    out = call()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    wall, cpu = [], []
    for _ in range(3):
        t0, c0 = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    if case == "build_structure":
        error, low = 0.0, 0.0
    else:
        error, low = structure.coherence_error(out), float(out.min())
    name = case if inner is None else f"{case} ({inner}, 80/95 bounds)"
    return {
        "structure": structure_name,
        "n_total": structure.n_total,
        "n_aggregate": structure.n_aggregate,
        "case": name,
        "nonneg": "yes" if nonnegative else "no",
        "seconds": round(min(wall), 3),
        "cpu_s": round(min(cpu), 3),
        "traced_mb": round(peak / 2**20, 1),
        "rss_mb": round((rss1 - rss0) / 1024, 1),
        "coherence_err": f"{error:.0e}",
        "min_value": round(low, 2),
    }


def _forecast(structure, base, forecast_cls, spec_cls):
    n = structure.n_total
    frame = structure.nodes.loc[np.repeat(np.arange(n), H)].reset_index(drop=True)
    frame["period"] = pd.Series(pd.period_range("2026", periods=H, freq="Y").take(
        np.tile(np.arange(H), n)))  # fmt: skip
    frame["step"] = np.tile(np.arange(1, H + 1), n)
    mean = np.maximum(base, 0).ravel()
    frame["mean"] = mean
    spread = np.sqrt(mean + 1)
    for level, z in ((80, 1.28), (95, 1.96)):
        frame[f"lower_{level}"] = np.maximum(mean - z * spread, 0)
        frame[f"upper_{level}"] = mean + z * spread
    return forecast_cls(frame=frame, spec=spec_cls(freq="annual"), levels=(80, 95), model="B")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    threads = parser.parse_args().threads
    ctx = mp.get_context("spawn")
    rows = []
    for structure_name in CROSS:
        for case, inner, nonneg in CASES:
            with ctx.Pool(1) as pool:  # a fresh process per case: clean peak memory
                rows.append(pool.apply(run_case, ((case, inner, nonneg, structure_name, threads),)))
            print(rows[-1], flush=True)
    table = pd.DataFrame(rows)
    print(f"\nBLAS threads: {threads}; H = {H}; residuals: {N_RESIDUALS} per node")
    print(table.to_string(index=False))


if __name__ == "__main__":
    main()
