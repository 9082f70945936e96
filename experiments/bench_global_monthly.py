"""Benchmark: the pooled GlobalModel on monthly panels against mlforecast's LightGBM.

Run::

    bash experiments/peers/setup.sh            # once: the peer environment, .venv-peers
    python experiments/bench_global_monthly.py [--repeats 3] [--old] [--skip-accuracy]

Speed: 500 monthly series x 200 months, made from the US CES panel (the last 200
months of its series observed over all of them, plus copies of randomly drawn ones,
each scaled by a log-normal factor with 1% multiplicative noise).
Fit + predict 12 months with 80/95% intervals:

* skillcast ``GlobalModel()`` with every default (one thread);
* with ``--old``: the former defaults, ``GlobalModel(strategy="direct",
  calibration_refits=None)`` (one booster per step, all retrained at every calibration
  window), run once: it takes minutes;
* mlforecast recursive LightGBM, the same booster settings (300 trees, learning rate
  0.05, 31 leaves, row/column subsampling 0.8, one thread), lags 1-12, rolling
  mean/std/min/max over 3 and 12 months, the expanding mean, the month, targets as
  differences of log1p; point only and with ``PredictionIntervals(n_windows=2, h=12)``
  (its defaults but the horizon).

mlforecast caps pandas below 3, so it runs in ``.venv-peers`` (``PEERS_PYTHON``
overrides the interpreter) through ``experiments/peers/mlforecast_global.py``, which
reads the same panel from a temporary CSV and times only its own fit and predict. Runs
are interleaved (skillcast, peer, skillcast, ...) and min/median seconds are printed
with ratios of medians from the same run.

Accuracy: MASE at horizon 12 (and over steps 1-12) on the US CES panel (145 series),
4 rolling origins 6 months apart in the last 3 years (the last 12 months before the end
of the data, then back), refit at each origin, scaled by each series' in-sample
seasonal-naive (lag 12) MAE up to the origin: old and new GlobalModel and mlforecast.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.backtest import backtest
from skillcast.models import GlobalModel
from skillcast.models.validation import origin_positions, training_scales
from skillcast.panel import Panel, PanelSpec, load_panel

ROOT = Path(__file__).resolve().parents[1]
CES = ROOT.parent / "shared/data/us-ces-employment-monthly/us_ces_employment_monthly.csv.gz"
CES = Path(os.environ.get("CES_DATA", CES))
PEER_SCRIPT = ROOT / "experiments/peers/mlforecast_global.py"
PEER_PYTHON = Path(os.environ.get("PEERS_PYTHON", ROOT / ".venv-peers/bin/python"))
SPEC = PanelSpec(freq="monthly", keys=("series",), taxonomies={}, gaps="missing")
HORIZON, LEVELS = 12, (80, 95)
WINDOWS, WINDOW_STEP = 4, 6  # accuracy origins: 4, 6 months apart, in the last 3 years

#: name -> the GlobalModel compared (the old one is the former defaults).
MODELS: dict[str, Callable[[], GlobalModel]] = {
    "new": GlobalModel,
    "old": lambda: GlobalModel(strategy="direct", calibration_refits=None),
}


def ces_frame() -> pd.DataFrame:
    """The US CES panel as (series, period, employment) rows, thousands of persons: the
    145 series that run to the end of the data (one stops 21 months early)."""
    frame = pd.read_csv(CES, dtype={"series_id": str, "month": str})
    frame = frame.loc[frame.groupby("series_id")["month"].transform("max") == frame["month"].max()]
    return frame.rename(
        columns={"series_id": "series", "month": "period", "employed": "employment"}
    )[["series", "period", "employment"]]


def speed_panel(n_series: int = 500, n_periods: int = 200, seed: int = 0) -> pd.DataFrame:
    """The speed panel's rows: CES's last ``n_periods`` months, plus scaled noisy copies."""
    wide = ces_frame().pivot(index="series", columns="period", values="employment")
    wide = wide.iloc[:, -n_periods:].dropna()  # series observed over the whole span
    rng = np.random.default_rng(seed)
    base = wide.to_numpy()
    extra = rng.integers(0, len(base), n_series - len(base))
    copies = base[extra] * rng.lognormal(0.0, 1.0, (len(extra), 1))
    copies *= np.exp(rng.normal(0.0, 0.01, copies.shape))
    y = np.vstack([base, copies])
    names = [*wide.index, *(f"copy{i:04d}" for i in range(len(extra)))]
    frame = pd.DataFrame(
        {
            "series": np.repeat(names, n_periods),
            "period": np.tile(np.asarray(wide.columns), len(names)),
            "employment": y.ravel(),
        }
    )
    return frame.dropna(ignore_index=True)


def run_peer(task: str, data: Path, out: Path | None = None) -> dict[str, float]:
    """One mlforecast run in the peer environment; its timings as a dict."""
    args = [str(PEER_PYTHON), str(PEER_SCRIPT), task, str(data), str(HORIZON)]
    if out is not None:
        args += ["--out", str(out), "--windows", str(WINDOWS), "--step", str(WINDOW_STEP)]
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"peer run failed:\n{done.stderr[-3000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def time_skillcast(name: str, panel: Panel) -> tuple[float, float]:
    """Wall and CPU seconds of fit + predict with intervals."""
    start, cpu = time.perf_counter(), time.process_time()
    MODELS[name]().fit(panel).predict(HORIZON)
    return time.perf_counter() - start, time.process_time() - cpu


def speed(repeats: int, old: bool) -> dict[str, list[tuple[float, float]]]:
    """(wall, CPU) seconds per run of each contender."""
    frame = speed_panel()
    panel = load_panel(frame, SPEC)
    times: dict[str, list[tuple[float, float]]] = {
        "new": [],
        "mlforecast point": [],
        "mlforecast 80/95": [],
    }
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "panel.csv"
        frame.to_csv(data, index=False)
        for _ in range(repeats):  # interleaved: the machine's load hits every one alike
            times["new"].append(time_skillcast("new", panel))
            peer = run_peer("time", data)
            times["mlforecast point"].append((peer["point"], peer["point_cpu"]))
            times["mlforecast 80/95"].append((peer["intervals"], peer["intervals_cpu"]))
            print("  run (wall s, CPU s):", {k: v[-1] for k, v in times.items() if v}, flush=True)
        if old:
            times["old"] = [time_skillcast("old", panel)]
            print(f"  old (1 run, wall s, CPU s): {times['old'][0]}", flush=True)
    return times


def mase_terms(panel: Panel, forecasts: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """|error| / seasonal-naive scale per (series, origin, step) of long forecasts with
    columns series, origin (position), step, mean."""
    y = panel.dense()
    scale, _ = training_scales(y, positions, panel.freq.season_length)
    sid = pd.Index(panel.series["series"]).get_indexer(forecasts["series"])
    window = pd.Index(positions).get_indexer(forecasts["origin"])
    pos = forecasts["origin"].to_numpy() + forecasts["step"].to_numpy()
    actual = y[sid, pos]
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.abs(actual - forecasts["mean"].to_numpy()) / scale[sid, window]
    return forecasts.assign(term=terms).loc[np.isfinite(terms)]


def summarise(terms: pd.DataFrame) -> tuple[float, float]:
    """MASE at the last step and over all steps (mean over series and origins)."""
    return float(terms.loc[terms["step"] == HORIZON, "term"].mean()), float(terms["term"].mean())


def accuracy(seeds: list[int], names: list[str]) -> dict[str, list[tuple[float, float]]]:
    """(MASE h12, MASE h1-12) per seed of the models named (mlforecast: seed 0 only)."""
    frame = ces_frame()
    panel = load_panel(frame, SPEC)
    positions = origin_positions(panel.n_periods, HORIZON, WINDOWS, WINDOW_STEP)
    out: dict[str, list[tuple[float, float]]] = {}
    for seed in seeds:
        for name, make in MODELS.items():
            if name not in names:
                continue
            start = time.perf_counter()
            model = make().set_params(levels=(), random_state=seed)
            result = backtest(model, panel, HORIZON, WINDOWS, WINDOW_STEP)
            window = pd.Index(result.origins).get_indexer(result.frame["origin"])
            long = result.frame.assign(origin=positions[window])
            terms = mase_terms(panel, long, positions)
            out.setdefault(name, []).append(summarise(terms))
            by_step = terms.groupby("step")["term"].mean().round(3).tolist()
            print(
                f"  {name} seed {seed}: MASE h12 {out[name][-1][0]:.4f}, h1-12 "
                f"{out[name][-1][1]:.4f} ({time.perf_counter() - start:.0f} s); by step {by_step}",
                flush=True,
            )
    if "mlforecast" not in names:
        return out
    with tempfile.TemporaryDirectory() as tmp:
        data, result_path = Path(tmp) / "ces.csv", Path(tmp) / "cv.csv"
        frame.to_csv(data, index=False)
        run_peer("cv", data, result_path)
        cv = pd.read_csv(result_path, dtype={"series": str, "period": str})
        period_pos = {str(p): i for i, p in enumerate(panel.periods)}
        cv["origin"] = cv["cutoff"].map(period_pos)
        cv["step"] = cv["period"].map(period_pos) - cv["origin"]
        cv = cv.loc[cv["origin"].isin(positions)]
        out["mlforecast"] = [summarise(mase_terms(panel, cv, positions))]
        print(f"  mlforecast: MASE h12 {out['mlforecast'][0][0]:.4f}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old", action="store_true", help="also time the old defaults once")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--seeds", type=int, default=1, help="accuracy: seeds 0..n-1")
    parser.add_argument(
        "--models", default="new,old,mlforecast", help="accuracy: which, comma-separated"
    )
    args = parser.parse_args()
    if not PEER_PYTHON.exists():
        sys.exit(f"No peer environment at {PEER_PYTHON}: run experiments/peers/setup.sh first.")
    print(f"speed: 500 monthly series x 200 months, fit + predict({HORIZON}), levels {LEVELS}")
    times = {} if args.skip_speed else speed(args.repeats, args.old)
    scores = {} if args.skip_accuracy else accuracy(list(range(args.seeds)), args.models.split(","))
    print()
    print(table(times, scores))


def table(
    times: dict[str, list[tuple[float, float]]], scores: dict[str, list[tuple[float, float]]]
) -> str:
    """The markdown table: wall and CPU seconds, ratios of medians, MASE (mean over
    seeds, with the range when there are several)."""

    def med(key: str, which: int) -> float:
        return statistics.median(t[which] for t in times[key])

    lines = [
        "| model | intervals | runs | wall s min / median | CPU s median "
        "| CPU / mlforecast 80/95 | CPU / mlforecast point | wall / mlforecast 80/95 "
        "| MASE h12 (CES) | MASE h1-12 (CES) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    rows = [
        ("skillcast GlobalModel() new defaults", "80/95 conformal", "new", "new"),
        ("skillcast old defaults", "80/95 conformal", "old", "old"),
        ("mlforecast recursive LightGBM", "none", "mlforecast point", "mlforecast"),
        ("mlforecast recursive LightGBM", "80/95 conformal", "mlforecast 80/95", "mlforecast"),
    ]
    for label, intervals, key, score_key in rows:
        mase_text = mase_cells(scores.get(score_key, []))
        if not times.get(key):
            if scores.get(score_key):
                lines.append(
                    f"| {label} | {intervals} | 0 | -- | -- | -- | -- | -- | {mase_text} |"
                )
            continue
        walls = [t[0] for t in times[key]]
        cpu = med(key, 1)
        lines.append(
            f"| {label} | {intervals} | {len(walls)} | {min(walls):.1f} / {med(key, 0):.1f} "
            f"| {cpu:.1f} | {cpu / med('mlforecast 80/95', 1):.2f}x "
            f"| {cpu / med('mlforecast point', 1):.2f}x "
            f"| {med(key, 0) / med('mlforecast 80/95', 0):.2f}x | {mase_text} |"
        )
    return "\n".join(lines)


def mase_cells(values: list[tuple[float, float]]) -> str:
    if not values:
        return "-- | --"
    cells = []
    for which in (0, 1):
        v = [x[which] for x in values]
        span = f" ({min(v):.4f}-{max(v):.4f})" if len(v) > 1 else ""
        cells.append(f"{statistics.mean(v):.4f}{span}")
    return " | ".join(cells)


if __name__ == "__main__":
    main()
