"""Report: accuracy per hierarchy level before and after reconciliation, per method.

Run: ``python experiments/reconcile_report.py [--model ets|seasonal_naive|lightgbm]
[--windows 4] [--horizon 4] [--residual-windows 8] [--no-hold] [--max-series N]``.

On the bundled sample (512 bottom series: sector x occupation x training level), the
base forecaster is backtested once on every node -- the city total, the 25 sectors, the
8 occupation major groups, the 5 training levels and the bottom series -- from
``--windows`` rolling origins one half-year apart, forecasting ``--horizon`` half-years
and refitting at every origin. Each window is then reconciled with ``bottom_up``,
``ols``, ``wls_struct`` and ``mint_shrink`` exactly as the apps' ``ReconciledForecaster``
would have at that origin (MinT's residuals: one-step errors at the ``--residual-windows``
origins before it; intermittent and lumpy bottom series held at their base forecasts
unless ``--no-hold``). Printed per level and measure: the base forecasts' score and each
method's. Measures: MASE (mean over the level's series), WAPE, direction-of-change hit
rate and the dissimilarity index of the level's mix (occupations where it has them:
occupation major groups for that level, unit groups summed over sectors and levels for
the bottom; sectors for the sector level, levels for the level level; undefined for the
total). Lower is better except for the hit rate.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from skillcast.datasets import load_sample
from skillcast.models import AutoETS, Forecaster, GlobalModel, SeasonalNaive
from skillcast.panel import Panel
from skillcast.reconcile.evaluation import accuracy_by_level, node_windows
from skillcast.reconcile.forecaster import ReconciledForecaster

METHODS = ("bottom_up", "ols", "wls_struct", "mint_shrink")
MEASURES = ("mase", "wape", "hit_rate", "di")
SEED = 0


def base_model(name: str) -> Forecaster:
    """The base forecaster by name (point forecasts: intervals play no part here)."""
    if name == "ets":
        return AutoETS(levels=())
    if name == "seasonal_naive":
        return SeasonalNaive(levels=())
    if name == "lightgbm":
        return GlobalModel(n_jobs=2, random_state=SEED, levels=())
    raise SystemExit(f"unknown model {name!r}: choose ets, seasonal_naive or lightgbm")


def level_table(
    panel: Panel,
    forecaster: Forecaster,
    horizon: int = 4,
    windows: int = 4,
    residual_windows: int = 8,
    hold_intermittent: bool = True,
    methods: tuple[str, ...] = METHODS,
) -> tuple[pd.DataFrame, dict[str, tuple[str, ...]]]:
    """Scores per level (rows: aggregation x measure; columns: base, then each method)
    and the method each window actually used (a fallback would show there)."""
    model = ReconciledForecaster(forecaster, residual_windows=residual_windows)
    nodes = node_windows(model, panel, horizon, windows, residuals=True)
    columns, used = {}, {}
    for method in methods:
        result = nodes.reconcile(method, hold_intermittent=hold_intermittent)
        used[method] = result.methods_used
        table = accuracy_by_level(result).set_index(["aggregation", "forecast"])
        if "base" not in columns:
            columns["base"] = table.xs("base", level="forecast")
        columns[method] = table.xs("reconciled", level="forecast")
    long = {
        name: frame.loc[:, list(MEASURES)].stack(future_stack=True)
        for name, frame in columns.items()
    }
    out = pd.DataFrame(long)
    out.index.names = ["level", "measure"]
    return out, used


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ets")
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--residual-windows", type=int, default=8)
    parser.add_argument("--no-hold", action="store_true", help="reconcile intermittent cells too")
    parser.add_argument("--max-series", type=int, default=None, help="first N series only")
    args = parser.parse_args(argv)

    panel = load_sample()
    if args.max_series:
        keep = panel.series_id < args.max_series
        panel = Panel(panel.spec, panel.frame.loc[keep].reset_index(drop=True))
    started = time.perf_counter()
    table, used = level_table(
        panel,
        base_model(args.model),
        args.horizon,
        args.windows,
        args.residual_windows,
        hold_intermittent=not args.no_hold,
    )
    seconds = time.perf_counter() - started
    print(
        f"{panel}\nbase model {args.model}; {args.windows} windows x {args.horizon} half-years;"
        f" MinT residuals: {args.residual_windows} one-step origins before each window;"
        f" intermittent cells {'reconciled' if args.no_hold else 'held'}\n"
    )
    with pd.option_context("display.float_format", "{:.3f}".format, "display.width", 120):
        print(table.to_string())
    fallbacks = {m: u for m, u in used.items() if set(u) != {m}}
    print(f"\nmethod fallbacks: {fallbacks or 'none'}; {seconds:.1f} s")


if __name__ == "__main__":
    main()
