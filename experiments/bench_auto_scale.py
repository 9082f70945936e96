"""Benchmark: how the default forecaster's cost grows with the number of series.

Run: ``python experiments/bench_auto_scale.py [n_series ...]`` (default 1000 10000
100000; the largest takes about half an hour on 2 cores).

Each size draws the synthetic quarterly panel of ``bench_ets.py`` (40 periods, trend and
additive or multiplicative seasonality, 2-8% noise) and fits ``AutoForecaster()`` with
its defaults (80/95% conformal intervals, one LightGBM thread) and forecasts 8 quarters,
in a fresh Python process so its peak memory (``ru_maxrss``) is its own. It prints the
seconds, the milliseconds per series and their ratio to the smallest size's (flat cost
per series: a ratio near 1), and the peak memory per series. The panel's construction is
timed apart.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

HORIZON = 8


def measure(n_series: int) -> dict[str, float]:
    """One size in this process: panel and fit + predict seconds, peak memory (MB)."""
    from bench_ets import synthetic, to_panel

    from skillcast.models import AutoForecaster

    start = time.perf_counter()
    panel = to_panel(synthetic(n_series))
    panel_s = time.perf_counter() - start
    start = time.perf_counter()
    forecast = AutoForecaster(n_jobs=1).fit(panel).predict(HORIZON)
    fit_s = time.perf_counter() - start
    assert len(forecast.frame) == n_series * HORIZON
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"panel_s": panel_s, "fit_s": fit_s, "peak_mb": peak}


def main(sizes: list[int]) -> None:
    print(f"AutoForecaster() fit + predict({HORIZON}) with 80/95% intervals, 40 quarterly periods")
    header = (
        f"| series | panel s | fit + predict s | ms / series | ratio to {sizes[0]:,} "
        "| peak MB | KB / series |"
    )
    print(header)
    print("|---:|---:|---:|---:|---:|---:|---:|")
    base = None
    for n in sizes:
        code = (
            "import json, sys; sys.path.insert(0, '.'); import bench_auto_scale as b; "
            f"print(json.dumps(b.measure({n})))"
        )
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        row = json.loads(run.stdout.strip().splitlines()[-1])
        per = 1000 * row["fit_s"] / n
        base = per if base is None else base
        print(
            f"| {n:,} | {row['panel_s']:.1f} | {row['fit_s']:.1f} | {per:.1f} | "
            f"{per / base:.2f} | {row['peak_mb']:.0f} | {1024 * row['peak_mb'] / n:.1f} |",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])
