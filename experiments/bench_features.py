"""Benchmark: building a global model's training features over a dense panel.

For 1,000 / 10,000 / 100,000 series x 40 semi-annual periods, builds 8 features (lags
1-4, rolling mean and std over 4 and 8 periods) for every training origin with at least
8 periods of history (step 1: origins 7..38, so 32 origins per series) and prints a
table. ``load_panel`` (validation of the long frame of ``long rows`` = series x periods
input rows) is timed separately; ``feature rows`` counts the rows of the feature matrix.
If the ``peers`` extra (mlforecast) is installed, mlforecast's ``preprocess`` of the same
features is timed too and the ratio printed.

Run: ``.venv/bin/python experiments/bench_features.py [n_series ...]``
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from skillcast import PanelSpec, frequency, load_panel
from skillcast.features import FeaturePipeline, Lags, RollingWindows

N_PERIODS = 40
MIN_HISTORY = 8
SIZES = (1_000, 10_000, 100_000)
LAGS = (1, 2, 3, 4)
WINDOWS = (4, 8)


def long_frame(n_series: int, n_periods: int = N_PERIODS, seed: int = 0) -> pd.DataFrame:
    """A synthetic long panel: Poisson counts around a per-series level, some zeros."""
    rng = np.random.default_rng(seed)
    level = rng.gamma(2.0, 20.0, size=n_series)
    values = rng.poisson(level[:, None] * (1 + 0.01 * np.arange(n_periods)))
    # labels as a CSV would carry them ("2005-H1"); load_panel parses them per distinct label
    periods = frequency("semiannual").labels(
        pd.period_range("2005-01", periods=n_periods, freq="6M")
    )
    return pd.DataFrame(
        {
            "item": np.repeat(np.char.add("s", np.arange(n_series).astype(str)), n_periods),
            "period": np.tile(periods, n_series),
            "employment": values.reshape(-1).astype(float),
        }
    )


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, object]:
    """Fastest wall-clock time of ``repeats`` runs, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def skillcast_features(panel) -> np.ndarray:
    pipe = FeaturePipeline([Lags(LAGS), RollingWindows(WINDOWS, ("mean", "std"))])
    origins = np.arange(MIN_HISTORY - 1, panel.n_periods - 1)
    return pipe.fit(panel).transform(panel, origins, step=1)


def mlforecast_runner(frame: pd.DataFrame) -> Callable[[], object] | None:
    """mlforecast's preprocess of the same lags and windows, or None if not installed."""
    try:
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean, RollingStd
        from sklearn.linear_model import LinearRegression
    except ImportError:
        return None
    data = pd.DataFrame(
        {
            "unique_id": frame["item"].to_numpy(),
            "ds": np.tile(np.arange(N_PERIODS), len(frame) // N_PERIODS),
            "y": frame["employment"].to_numpy(),
        }
    )
    # mlforecast's lag k is k periods before the target: our lag_k at origin = target - 1
    transforms = [f(window_size=w) for w in WINDOWS for f in (RollingMean, RollingStd)]
    model = MLForecast(
        models=[LinearRegression()],
        freq=1,
        lags=list(LAGS),
        lag_transforms={1: transforms},
        num_threads=1,
    )
    return lambda: model.preprocess(data, id_col="unique_id", time_col="ds", target_col="y")


def main(sizes: tuple[int, ...] = SIZES) -> None:
    spec = PanelSpec(keys=("item",), taxonomies={})
    header = (
        f"{'series':>8} {'periods':>7} {'long rows':>10} {'load_panel s':>12} "
        f"{'feature rows':>12} {'features':>8} "
        f"{'features s':>10} {'mlforecast s':>12} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    peers_missing = False
    for n_series in sizes:
        frame = long_frame(n_series)
        load_s, panel = best_of(1, lambda frame=frame: load_panel(frame, spec))
        repeats = 3
        feat_s, features = best_of(repeats, lambda panel=panel: skillcast_features(panel))
        runner = mlforecast_runner(frame)
        if runner is None:
            peers_missing = True
            peer = ratio = "-"
        else:
            peer_s, _ = best_of(repeats, runner)
            peer, ratio = f"{peer_s:12.3f}", f"{peer_s / feat_s:6.1f}"
        rows, n_features = features.shape
        print(
            f"{n_series:>8} {N_PERIODS:>7} {len(frame):>10} {load_s:>12.2f} "
            f"{rows:>12} {n_features:>8} "
            f"{feat_s:>10.3f} {peer:>12} {ratio:>6}"
        )
        del panel, features
    if peers_missing:
        print(
            "\nmlforecast is not importable: the 'peers' extra is not installed "
            "(it needs pandas < 3), so no comparison was timed."
        )
    else:
        print("\nratio = mlforecast seconds / skillcast seconds (> 1: skillcast is faster)")


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
