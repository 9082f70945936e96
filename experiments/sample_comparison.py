"""Benchmark: every forecaster on the bundled Hai Phong-like sample, rolling origins.

Run: ``python experiments/sample_comparison.py [--windows 4] [--horizon 4] [--n-jobs 1]
[MODEL ...]`` (default: all models below).

Backtests each forecaster on the same ``--windows`` rolling origins (one half-year
apart) forecasting ``--horizon`` half-years, refitting at every origin on the data up to
it, and prints one row per model: MASE, WAPE, RMSSE, bias (workers per cell and
period, forecast - actual), coverage and mean width of the 80% and 95% intervals,
direction hit rate, dissimilarity index of the occupation mix (DI) and the seconds the
backtest took. Then the AutoForecaster's ratios to SeasonalNaive and to the best of its
members, its routes on the full sample, and MASE per demand class and route.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from skillcast.backtest import backtest
from skillcast.datasets import load_sample
from skillcast.metrics import evaluate
from skillcast.models import (
    AutoETS,
    AutoForecaster,
    Croston,
    Drift,
    Ensemble,
    Forecaster,
    GlobalModel,
    Naive,
    SeasonalNaive,
)

SEED = 0
COLUMNS = [
    "mase",
    "wape",
    "rmsse",
    "bias",
    "coverage_80",
    "coverage_95",
    "width_80",
    "width_95",
    "hit_rate",
    "di",
]


def forecasters(n_jobs: int) -> dict[str, Forecaster]:
    pooled = GlobalModel(n_jobs=n_jobs, random_state=SEED)
    return {
        "Naive": Naive(),
        "SeasonalNaive": SeasonalNaive(),
        "Drift": Drift(),
        "AutoETS": AutoETS(),
        "Croston": Croston(),
        "GlobalModel": pooled,
        "GlobalModel(recursive)": GlobalModel(
            strategy="recursive", n_jobs=n_jobs, random_state=SEED
        ),
        "Ensemble": Ensemble([AutoETS(), pooled], weights="backtest"),
        "AutoForecaster": AutoForecaster(n_jobs=n_jobs, random_state=SEED),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="subset of the model names")
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--horizon", type=int, default=4)
    parser.add_argument("--n-jobs", type=int, default=1)
    args = parser.parse_args(argv)

    panel = load_sample()
    candidates = forecasters(args.n_jobs)
    names = args.models or list(candidates)
    print(f"{panel}\n{args.windows} windows, horizon {args.horizon}, seed {SEED}\n")
    rows, results = [], {}
    for name in names:
        start = time.perf_counter()
        result = backtest(candidates[name], panel, args.horizon, args.windows)
        seconds = time.perf_counter() - start
        results[name] = result
        scores = evaluate(result)[COLUMNS].iloc[0]
        rows.append({"model": name, **scores.to_dict(), "seconds": seconds})
        print(f"  {name}: {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string())
        if "AutoForecaster" in table.index:
            report_auto(panel, table, results["AutoForecaster"], args.n_jobs)


def report_auto(panel, table: pd.DataFrame, result, n_jobs: int) -> None:
    auto = table.loc["AutoForecaster"]
    print()
    if "SeasonalNaive" in table.index:
        base = table.loc["SeasonalNaive"]
        print(
            f"AutoForecaster / SeasonalNaive: MASE {auto['mase'] / base['mase']:.3f}, "
            f"WAPE {auto['wape'] / base['wape']:.3f}"
        )
    members = [
        m
        for m in ("AutoETS", "GlobalModel", "GlobalModel(recursive)", "Croston")
        if m in table.index
    ]
    if members:
        best = table.loc[members, "mase"].idxmin()
        print(
            f"AutoForecaster / best member ({best}): MASE "
            f"{auto['mase'] / table.loc[best, 'mase']:.3f}, WAPE "
            f"{auto['wape'] / table.loc[members, 'wape'].min():.3f} (vs the lowest WAPE)"
        )
    fitted = AutoForecaster(n_jobs=n_jobs, random_state=SEED).fit(panel)
    routes = fitted.routes_
    print("\nRoutes on the full sample:")
    print(routes.groupby(["demand_class", "route"]).size().rename("series").to_string())
    print("\nRegular-series weights:")
    print(fitted.weights_.to_string(index=False))
    print("\nValidation errors (MASE) per segment:")
    print(fitted.validation_errors_.to_string(index=False))
    keys = list(panel.spec.keys)
    frame = result.frame.merge(routes[[*keys, "demand_class", "route"]], on=keys)
    print("\nBacktest MASE / WAPE by route:")
    by_route = evaluate(frame, by="route", keys=keys)[["route", "n_series", "mase", "wape"]]
    print(by_route.to_string(index=False))


if __name__ == "__main__":
    main()
