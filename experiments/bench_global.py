"""Benchmark: GlobalModel (LightGBM) fit + predict on synthetic quarterly panels.

Run: ``python experiments/bench_global.py [n_series ...]`` (default 1000 10000 100000).

Same panels as ``bench_ets.py`` (40 quarterly periods), 8 lag/window features (lags
1-4, rolling mean and std over 4 and 8), one recursive one-step LightGBM model (300
trees, 2 threads), point forecasts 8 steps ahead. Prints seconds for the feature table
alone, the fit and the predict, and training rows per second, with SeasonalNaive in the
same run as the baseline.
"""

from __future__ import annotations

import sys
import time

from bench_ets import synthetic, to_panel

from skillcast.features import FeaturePipeline, Lags, RollingWindows
from skillcast.models import GlobalModel, SeasonalNaive


def features() -> FeaturePipeline:
    return FeaturePipeline(
        [Lags(lags=(1, 2, 3, 4)), RollingWindows(windows=(4, 8), stats=("mean", "std"))]
    )


def main(sizes: list[int]) -> None:
    header = (
        f"{'series':>8} {'train rows':>11} {'features s':>11} {'fit s':>8} "
        f"{'predict s':>10} {'naive fit+pred s':>17} {'ratio':>7}"
    )
    print(header)
    for n in sizes:
        panel = to_panel(synthetic(n))
        origins = list(range(8, panel.n_periods - 1))
        pipe = features().fit(panel)
        t0 = time.perf_counter()
        pipe.transform(panel, origins, 1)
        t_features = time.perf_counter() - t0
        model = GlobalModel(
            features=features(), strategy="recursive", levels=(), n_jobs=2, random_state=0
        )
        t0 = time.perf_counter()
        model.fit(panel)
        t_fit = time.perf_counter() - t0
        t0 = time.perf_counter()
        model.predict(8)
        t_pred = time.perf_counter() - t0
        t0 = time.perf_counter()
        SeasonalNaive(levels=()).fit(panel).predict(8)
        t_naive = time.perf_counter() - t0
        print(
            f"{n:>8,} {n * len(origins):>11,} {t_features:>11.2f} {t_fit:>8.2f} "
            f"{t_pred:>10.2f} {t_naive:>17.3f} {(t_fit + t_pred) / t_naive:>7.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1_000, 10_000, 100_000])
