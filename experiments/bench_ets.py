"""Benchmark: AutoETS fit + predict on synthetic quarterly panels of growing size.

Run: ``python experiments/bench_ets.py [n_series ...]`` (default 1000 10000 100000).

Prints one row per panel size with the seconds to build the panel, to fit and predict
point forecasts, and to fit and predict with 80/95% conformal intervals. If the optional
``statsforecast`` package is importable (the ``peers`` extra, kept out of the project
environment because it caps pandas below 3), its AutoETS is timed on the 1,000-series
panel and both models' MASE on the held-out periods is printed with the speed ratio, then
the same for the fixed forms in ``FIXED_FORMS`` (one form for every series).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd

from skillcast.models import AutoETS, ExponentialSmoothing, SeasonalNaive
from skillcast.panel import Panel, PanelSpec, load_panel

N_PERIODS = 40
SEASON = 4
HOLDOUT = 8  # periods held out for the accuracy comparison
FIXED_FORMS = ("AAA", "MAM")  # fixed forms also compared with statsforecast
SPEC = PanelSpec(freq="quarterly", keys=("series",), taxonomies={})


def synthetic(n_series: int, seed: int = 0) -> np.ndarray:
    """(series x 40) positive quarterly series: level, damped or plain trend, additive or
    multiplicative seasonality of varied strength, noise of 2-8% of the level."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_PERIODS)[None, :]
    level = rng.uniform(20, 2000, (n_series, 1))
    slope = rng.normal(0, 0.01, (n_series, 1)) * level
    phi = np.where(rng.random((n_series, 1)) < 0.5, 1.0, 0.9)
    trend = slope * np.where(phi < 1, (1 - phi ** (t + 1)) / (1 - phi + 1e-12), t + 1)
    amplitude = rng.uniform(0.0, 0.3, (n_series, 1))
    pattern = np.sin(2 * np.pi * t / SEASON + rng.uniform(0, 2 * np.pi, (n_series, 1)))
    multiplicative = rng.random((n_series, 1)) < 0.5
    base = level + trend
    seasonal = np.where(
        multiplicative, base * (1 + amplitude * pattern), base + amplitude * level * pattern
    )
    noise = rng.normal(0, 1, (n_series, N_PERIODS)) * rng.uniform(0.02, 0.08, (n_series, 1))
    return np.clip(seasonal + noise * level, 1.0, None)


def to_panel(y: np.ndarray) -> Panel:
    n_series, n_periods = y.shape
    periods = pd.period_range("2010Q1", periods=n_periods, freq="Q").astype(str)
    frame = pd.DataFrame(
        {
            "series": np.repeat([f"s{i:06d}" for i in range(n_series)], n_periods),
            "period": np.tile(np.asarray(periods), n_series),
            "employment": y.ravel(),
        }
    )
    return load_panel(frame, SPEC)


def mase(actual: np.ndarray, forecast: np.ndarray, train: np.ndarray) -> float:
    """Mean over series of MAE / in-sample seasonal-naive MAE."""
    scale = np.mean(np.abs(train[:, SEASON:] - train[:, :-SEASON]), axis=1)
    return float(np.mean(np.mean(np.abs(actual - forecast), axis=1) / scale))


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def bench_sizes(sizes: list[int]) -> None:
    print(f"AutoETS fit + predict({HOLDOUT}), {N_PERIODS} quarterly periods, season {SEASON}")
    header = f"{'series':>8} {'panel s':>8} {'point s':>8} {'80/95 s':>8} {'point s/1k':>10}"
    print(header)
    print("-" * len(header))
    for n in sizes:
        panel, t_panel = timed(lambda n=n: to_panel(synthetic(n)))
        _, t_point = timed(lambda p=panel: AutoETS(levels=()).fit(p).predict(HOLDOUT))
        _, t_int = timed(lambda p=panel: AutoETS().fit(p).predict(HOLDOUT))
        print(f"{n:>8} {t_panel:>8.2f} {t_point:>8.2f} {t_int:>8.2f} {1000 * t_point / n:>10.3f}")


def compare_peers(n_series: int = 1000) -> None:
    y = synthetic(n_series, seed=1)
    train, test = y[:, :-HOLDOUT], y[:, -HOLDOUT:]
    panel = to_panel(train)
    ours, t_ours = timed(lambda: AutoETS(levels=()).fit(panel).predict(HOLDOUT).dense())
    snaive = SeasonalNaive(levels=()).fit(panel).predict(HOLDOUT).dense()
    print(
        f"\nAccuracy on {n_series} series, last {HOLDOUT} periods held out (MASE, lower is better)"
    )
    print(f"  skillcast AutoETS      MASE {mase(test, ours, train):.3f}   {t_ours:.2f} s")
    print(f"  SeasonalNaive          MASE {mase(test, snaive, train):.3f}")
    try:
        from statsforecast import StatsForecast
        from statsforecast.models import AutoETS as PeerAutoETS
    except ImportError:
        print("  statsforecast is not installed (the 'peers' extra): no peer comparison.")
        return
    long = pd.DataFrame(
        {
            "unique_id": np.repeat(np.arange(n_series), train.shape[1]),
            "ds": np.tile(np.arange(train.shape[1]), n_series),
            "y": train.ravel(),
        }
    )

    def peer_forecast(model: str = "ZZZ", damped: bool | None = None) -> np.ndarray:
        peer = PeerAutoETS(season_length=SEASON, model=model, damped=damped)
        out = StatsForecast(models=[peer], freq=1, n_jobs=1).forecast(df=long, h=HOLDOUT)
        return out.sort_values(["unique_id", "ds"])["AutoETS"].to_numpy().reshape(n_series, -1)

    warm = long[long["unique_id"] < 2]  # compile the numba kernels outside the timing
    StatsForecast(models=[PeerAutoETS(season_length=SEASON)], freq=1, n_jobs=1).forecast(
        df=warm, h=HOLDOUT
    )
    theirs, t_peer = timed(peer_forecast)
    print(f"  statsforecast AutoETS  MASE {mase(test, theirs, train):.3f}   {t_peer:.2f} s")
    print(f"  speed ratio (statsforecast / skillcast): {t_peer / t_ours:.1f}x")
    for form in FIXED_FORMS:
        fixed = ExponentialSmoothing(form=form, levels=())
        ours, t_ours = timed(lambda f=fixed: f.fit(panel).predict(HOLDOUT).dense())
        theirs, t_peer = timed(lambda f=form: peer_forecast(f, damped="d" in f))
        print(
            f"  {form}: skillcast MASE {mase(test, ours, train):.3f} ({t_ours:.2f} s), "
            f"statsforecast MASE {mase(test, theirs, train):.3f} ({t_peer:.2f} s)"
        )


if __name__ == "__main__":
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 10000, 100000]
    bench_sizes(sizes)
    compare_peers()
