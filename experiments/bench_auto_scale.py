"""Benchmark: how the default forecaster's cost grows with the number of series.

Run: ``python experiments/bench_auto_scale.py [n_series ...]`` (default 1000 10000
100000; the largest takes about half an hour on 2 cores).

Each size draws the synthetic quarterly panel of ``bench_ets.py`` (40 periods, trend and
additive or multiplicative seasonality, 2-8% noise) and fits ``AutoForecaster()`` with
its defaults (80/95% conformal intervals, one LightGBM thread) and forecasts 8 quarters,
in a fresh Python process so its peak memory (``VmHWM``) is its own. It prints the
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
from pathlib import Path

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
    return {"panel_s": panel_s, "fit_s": fit_s, "peak_mb": peak_mb()}


def peak_mb() -> float:
    """This process's peak resident memory: ``VmHWM``, which starts afresh at exec,
    where Linux carries ``ru_maxrss`` over from the parent a subprocess was forked from."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def sizes_in_fresh_processes(sizes: list[int]) -> list[dict[str, float]]:
    """:func:`measure` for each size in its own Python process, with ``n_series`` and
    ``ms_per_series`` added; printed as they come."""
    here = Path(__file__).resolve().parent
    rows = []
    for n in sizes:
        code = (
            f"import json, sys; sys.path.insert(0, {str(here)!r}); "
            f"import bench_auto_scale as b; print(json.dumps(b.measure({n})))"
        )
        run = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=here
        )
        row = json.loads(run.stdout.strip().splitlines()[-1])
        rows.append({"n_series": n, **row, "ms_per_series": 1000 * row["fit_s"] / n})
        print(f"  {n:,} series: {rows[-1]}", flush=True)
    return rows


def markdown(rows: list[dict[str, float]]) -> list[str]:
    """The table: seconds, ms per series and its ratio to the first size, peak memory."""
    base = rows[0]["ms_per_series"]
    lines = [
        f"| series | panel s | fit + predict s | ms / series | ratio to {rows[0]['n_series']:,} "
        "| peak MB | KB / series |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {int(r['n_series']):,} | {r['panel_s']:.1f} | {r['fit_s']:.1f} | "
            f"{r['ms_per_series']:.1f} | {r['ms_per_series'] / base:.2f} | {r['peak_mb']:.0f} | "
            f"{1024 * r['peak_mb'] / r['n_series']:.1f} |"
        )
    return lines


def main(sizes: list[int]) -> None:
    print(f"AutoForecaster() fit + predict({HORIZON}) with 80/95% intervals, 40 quarterly periods")
    print("\n".join(markdown(sizes_in_fresh_processes(sizes))))


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000, 100000])
