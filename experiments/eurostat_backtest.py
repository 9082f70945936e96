"""Benchmark on real data: the Eurostat occupation x education extract, annual.

Run: ``python experiments/eurostat_backtest.py [--horizon 3] [--windows 4] [--n-jobs 1]``.

Loads ``tests/data/eurostat_lfsa_egised_extract.csv`` (thousands employed aged 20-64 by
country x ISCO-08 major group x ISCED level, 2011-2023; see
``tests/data/eurostat_README.md``), backtests each forecaster on the same rolling
origins one year apart, refitting at every origin, and prints MASE, WAPE, RMSSE, bias
(thousands), interval coverage and width, direction hit rate, DI of the occupation mix
and seconds, then the AutoForecaster's routes on the full extract. Suppressed cells
(missing targets) are not scored. Source: Eurostat (lfsa_egised).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from skillcast.backtest import backtest
from skillcast.datasets import load_eurostat_extract
from skillcast.metrics import evaluate
from skillcast.models import AutoETS, AutoForecaster, Drift, Forecaster, GlobalModel, Naive

EXTRACT = (
    Path(__file__).resolve().parents[1] / "tests" / "data" / "eurostat_lfsa_egised_extract.csv"
)
SEED = 0
COLUMNS = ["mase", "wape", "rmsse", "bias", "coverage_80", "coverage_95", "width_80",
           "width_95", "hit_rate", "di"]  # fmt: skip


def forecasters(n_jobs: int) -> dict[str, Forecaster]:
    return {
        "Naive": Naive(),
        "Drift": Drift(),
        "AutoETS": AutoETS(),
        "GlobalModel": GlobalModel(n_jobs=n_jobs, random_state=SEED),
        "AutoForecaster": AutoForecaster(n_jobs=n_jobs, random_state=SEED),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="subset of the model names")
    parser.add_argument("--horizon", type=int, default=3)
    parser.add_argument("--windows", type=int, default=4)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--path", type=Path, default=EXTRACT)
    args = parser.parse_args(argv)

    panel = load_eurostat_extract(args.path)
    suppressed = int(panel.frame["suppressed"].sum())
    print(f"{panel}\n{suppressed} suppressed cells; {args.windows} windows, horizon "
          f"{args.horizon} years, seed {SEED}\n")  # fmt: skip
    candidates = forecasters(args.n_jobs)
    rows = []
    for name in args.models or list(candidates):
        start = time.perf_counter()
        result = backtest(candidates[name], panel, args.horizon, args.windows)
        seconds = time.perf_counter() - start
        scores = evaluate(result)[COLUMNS].iloc[0]
        rows.append({"model": name, **scores.to_dict(), "seconds": seconds})
        print(f"  {name}: {seconds:.1f} s", flush=True)
    table = pd.DataFrame(rows).set_index("model")
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print()
        print(table.to_string())
        if "AutoForecaster" in table.index:
            for base in ("Naive", "Drift"):
                if base in table.index:
                    ratio = (
                        table.loc["AutoForecaster", ["mase", "wape"]]
                        / table.loc[base, ["mase", "wape"]]
                    )
                    print(f"AutoForecaster / {base}: MASE {ratio['mase']:.3f}, "
                          f"WAPE {ratio['wape']:.3f}")  # fmt: skip
            fitted = AutoForecaster(n_jobs=args.n_jobs, random_state=SEED).fit(panel)
            print("\nRoutes on the full extract:")
            print(
                fitted.routes_.groupby(["demand_class", "route"])
                .size()
                .rename("series")
                .to_string()
            )
            print("\nRegular-series weights:")
            print(fitted.weights_.to_string(index=False))
            print("\nValidation errors (MASE) per segment:")
            print(fitted.validation_errors_.to_string(index=False))


if __name__ == "__main__":
    main()
