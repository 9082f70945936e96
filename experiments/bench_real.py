"""Benchmark: skillcast and the peers side by side on the two real development panels.

Run::

    python experiments/bench_real.py            # full run, writes results/bench_real.md
    python experiments/bench_real.py --quick    # a subset of series and origins, prints only

The peers (statsforecast, hierarchicalforecast) cap pandas below 3, so they run in a
subprocess of ``.venv-peers`` (``PEERS_PYTHON`` overrides the interpreter), which this
script makes with ``experiments/peers/setup.sh`` when it is missing.

Data (bottom series only are scored; every method sees the same panel and origins):

* US CES employment by industry, monthly (``CES_DATA``): the 102 most detailed published
  industries (codes no other code refines; residential and nonresidential specialty
  trade, published only from 2001, counted in their parent 20238000; department
  stores, discontinued in 2017, counted in their parent general merchandise stores
  42452000), 1990-01 to 2019-09, so every series is observed over the whole span and
  the sums of the hierarchy never jump when a series starts. Hierarchy: total, 2-digit
  CES supersector, industry. Horizon 12 months, season 12, 4 origins 6 months apart,
  the last 12 months before the end of the data.
* ONS JOBS05 workforce jobs, quarterly (``JOBS05_DATA``): the 240 bottom series (12
  regions or countries x 20 SIC sections), 1996Q1 to 2021Q2. Grouped hierarchy: total,
  region, section. Horizon 8 quarters, season 4, 3 origins 2 quarters apart, the last
  8 quarters before the end (so every target lies in the last three years, which hold
  the COVID-19 quarters 2020Q2-2021Q1; the data are seasonally adjusted).

Methods, each refitted at every origin: skillcast ``AutoForecaster(n_jobs=2)`` (the
default), ``AutoETS(n_jobs=2)`` (its forms in 2 worker processes), ``SeasonalNaive()``,
``Theta()``, ``ReconciledForecaster(AutoForecaster(n_jobs=2), "mint_shrink",
aggregations=the hierarchy, residual_windows=4)``; statsforecast
``AutoETS(season_length)`` (``n_jobs=2``), the same AutoETS on every node of the
hierarchy reconciled by hierarchicalforecast ``MinTrace(method="mint_shrink")``, and
statsforecast ``Theta(season_length)`` (``n_jobs=2``). On the monthly panel also the
fixed forms: ``ExponentialSmoothing("AAA")`` and ``("MAM")`` (``n_jobs=2``) against
statsforecast ``AutoETS(model="AAA", damped=False)`` and ``"MAM"``.
All forecast 80/95% intervals.

Synthetic scale (``--skip-scale`` leaves it out; ``--sizes`` sets the sizes): skillcast
``GlobalModel()`` against mlforecast's recursive LightGBM on 500 monthly series x 200
months, fit + predict 12 months with 80/95% intervals (``bench_global_monthly.py``:
interleaved runs, CPU seconds, and MASE at month 12 on US CES against the former
direct defaults and mlforecast), and ``AutoForecaster()``'s milliseconds per series at
1,000, 10,000 and 100,000 synthetic quarterly series, each in a fresh process
(``bench_auto_scale.py``). Every target of the benchmark is in one table at the end.

Metrics over bottom series x origins x steps: MASE (absolute error over the series'
in-sample seasonal-naive MAE up to the origin), WAPE (sum of absolute errors over sum
of actuals), 80/95% interval coverage, direction hit rate (at the last step, the sign
of forecast minus the value at the origin equals the sign of actual minus it), and the
wall seconds of fit + predict summed over origins (for the peers, as timed inside their
own process, after a warm-up fit compiles their kernels). Ratios are to statsforecast
AutoETS in the same run. Each method runs once: timings carry the machine's load,
which the table header records.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import bench_auto_scale
import bench_global_monthly
import numpy as np
import pandas as pd

from skillcast.backtest import backtest
from skillcast.models import AutoETS, AutoForecaster, ExponentialSmoothing, SeasonalNaive, Theta
from skillcast.models.base import Forecaster
from skillcast.panel import Panel, PanelSpec, load_panel
from skillcast.reconcile import ReconciledForecaster

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared/data"
CES = Path(
    os.environ.get(
        "CES_DATA", SHARED / "us-ces-employment-monthly/us_ces_employment_monthly.csv.gz"
    )
)
JOBS05 = Path(
    os.environ.get(
        "JOBS05_DATA", SHARED / "ons-jobs05-region-industry/jobs05_region_industry_long.csv.gz"
    )
)
PEER_SCRIPT = ROOT / "experiments/peers/statsforecast_hier.py"
PEER_SETUP = ROOT / "experiments/peers/setup.sh"
PEER_PYTHON = Path(os.environ.get("PEERS_PYTHON", ROOT / ".venv-peers/bin/python"))
RESULTS = ROOT / "experiments/results/bench_real.md"
LEVELS = (80, 95)
N_JOBS = 2
# fixed forms compared with statsforecast's AutoETS restricted to the same form
FIXED_FORMS = ("AAA", "MAM")
REFERENCE = "statsforecast AutoETS"
# MinT's residual origins in the reconciled row: 4, not the default 8, so the run stays
# under about 25 minutes on 2 cores (each origin is one more AutoForecaster fit per node)
RESIDUAL_WINDOWS = 4
#: Synthetic scale: AutoForecaster sizes (each in a fresh process), GlobalModel speed runs.
SCALE_SIZES = (1_000, 10_000, 100_000)
SPEED_REPEATS = 3
#: "Flat cost per series": ms per series at the largest size at most this times the
#: smallest size's.
FLAT = 1.2
#: The global model's budget: fit + predict at most this times mlforecast's.
GLOBAL_BUDGET = 3.0


@dataclass
class Dataset:
    """A bottom panel, its hierarchy and the backtest windows scored on it."""

    name: str
    frame: pd.DataFrame  # keys..., period, employment
    spec: PanelSpec
    aggregations: list[tuple[str, ...]]  # besides the bottom series
    horizon: int
    windows: int
    step: int
    peer_freq: str  # pandas offset alias of period starts
    notes: str
    panel: Panel = field(init=False)

    def __post_init__(self) -> None:
        self.panel = load_panel(self.frame, self.spec)

    @property
    def keys(self) -> list[str]:
        return list(self.spec.keys)

    @property
    def season(self) -> int:
        return int(self.panel.freq.season_length)


def ces(n_series: int | None = None) -> Dataset:
    """The US CES bottom industries from 1990-01 (see the module doc)."""
    raw = pd.read_csv(CES, dtype={"industry_code": str, "supersector": str, "month": str})
    raw = raw.loc[raw["month"] >= "1990-01"]
    codes = set(raw["industry_code"])
    # published only from 2001 (their parent 20238000 stands in) / discontinued in 2017
    drop = {"20238001", "20238002", "42452100"}
    codes -= drop
    # supersectors 05, 06, 08 are totals over the others, so never bottom series
    codes -= {c for c in codes if c[:2] in {"05", "06", "08"}}

    def refined(code: str) -> bool:
        stem = code.rstrip("0")
        return any(o != code and o.startswith(stem) for o in codes)

    bottom = sorted(c for c in codes if not refined(c))[:n_series]
    frame = raw.loc[raw["industry_code"].isin(bottom)]
    frame = frame.rename(
        columns={"industry_code": "series", "month": "period", "employed": "employment"}
    )[["supersector", "series", "period", "employment"]]
    return Dataset(
        name="US CES monthly",
        frame=frame.reset_index(drop=True),
        spec=PanelSpec(freq="monthly", keys=("supersector", "series"), taxonomies={}),
        aggregations=[(), ("supersector",)],
        horizon=12,
        windows=4,
        step=6,
        peer_freq="MS",
        notes=(
            f"{len(bottom)} bottom industries, 1990-01 to 2019-09; hierarchy total + "
            f"{frame['supersector'].nunique()} supersectors + industries"
        ),
    )


def jobs05(n_series: int | None = None) -> Dataset:
    """The ONS JOBS05 bottom series (area x SIC section), quarterly."""
    raw = pd.read_csv(JOBS05, dtype=str, keep_default_na=False)
    raw = raw.loc[raw["is_aggregate"] == "false"]
    frame = pd.DataFrame(
        {
            "region": raw["geo_code"],
            "sector": raw["sic2007_section"],
            "period": raw["period"],
            "employment": raw["value"].astype(float),
        }
    )
    if n_series is not None:
        ids = frame[["region", "sector"]].drop_duplicates().head(n_series)
        frame = frame.merge(ids, on=["region", "sector"])
    return Dataset(
        name="ONS JOBS05 quarterly",
        frame=frame.reset_index(drop=True),
        spec=PanelSpec(freq="quarterly", keys=("region", "sector"), taxonomies={}),
        aggregations=[(), ("region",), ("sector",)],
        horizon=8,
        windows=3,
        step=2,
        peer_freq="QS",
        notes=(
            f"{len(frame.groupby(['region', 'sector']))} bottom series (area x section), "
            "1996Q1 to 2021Q2; grouped hierarchy total + 12 areas + 20 sections"
        ),
    )


# ----------------------------------------------------------------------------- runs
def fixed_forms(data: Dataset) -> tuple[str, ...]:
    """The fixed forms compared on a panel: on the monthly one (the issue's parity target;
    statsforecast refuses MAM on JOBS05, whose series hold zeros)."""
    return FIXED_FORMS if data.season == 12 else ()


def skillcast_methods(data: Dataset) -> dict[str, Callable[[], Forecaster]]:
    return {
        "skillcast AutoForecaster()": lambda: AutoForecaster(n_jobs=N_JOBS),
        "skillcast AutoETS()": lambda: AutoETS(n_jobs=N_JOBS),
        "skillcast SeasonalNaive()": SeasonalNaive,
        "skillcast Theta()": Theta,
        **{
            f"skillcast ExponentialSmoothing('{form}')": partial(
                ExponentialSmoothing, form, n_jobs=N_JOBS
            )
            for form in fixed_forms(data)
        },
        "skillcast AutoForecaster + MinT-shrink": lambda: ReconciledForecaster(
            AutoForecaster(n_jobs=N_JOBS),
            "mint_shrink",
            aggregations=data.aggregations,
            residual_windows=RESIDUAL_WINDOWS,
        ),
    }


def series_id(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """One text id per bottom series: its key codes joined (``region:sector``)."""
    return frame[keys].astype(str).agg(":".join, axis=1)


def run_skillcast(data: Dataset, make: Callable[[], Forecaster]) -> tuple[pd.DataFrame, float]:
    """Backtest frame (one row per series, origin, step) and the seconds it took."""
    start = time.perf_counter()
    result = backtest(make(), data.panel, data.horizon, data.windows, data.step)
    seconds = time.perf_counter() - start
    frame = result.frame.assign(series_id=series_id(result.frame, data.keys))
    return frame, seconds


def ensure_peers() -> None:
    if not PEER_PYTHON.exists():
        print(f"making the peer environment {PEER_PYTHON.parent.parent} ...", flush=True)
        subprocess.run(["bash", str(PEER_SETUP), str(PEER_PYTHON.parent.parent)], check=True)


def run_peer(task: str, data: Dataset, reference: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """The peer's forecasts joined to ``reference`` (a skillcast backtest frame of the
    same windows: actuals, origin values and MASE scales) and its seconds."""
    origins = pd.PeriodIndex(reference["origin"].unique()).sort_values()
    rows = data.frame.assign(
        series=series_id(data.frame, data.keys),
        ds=pd.PeriodIndex(data.frame["period"], freq=data.panel.periods.freq).start_time,
        y=data.frame["employment"],
    )
    groups = sorted({col for agg in data.aggregations for col in agg})
    with tempfile.TemporaryDirectory() as tmp:
        path, out = Path(tmp) / "panel.csv", Path(tmp) / "forecasts.csv"
        rows[["series", "ds", "y", *groups]].to_csv(path, index=False, date_format="%Y-%m-%d")
        task, _, form = task.partition(":")  # "ets:AAA": one fixed form
        args = [str(PEER_PYTHON), str(PEER_SCRIPT), task, str(path), "--form", form]
        args += ["--h", str(data.horizon), "--season", str(data.season)]
        args += ["--freq", data.peer_freq, "--n-jobs", str(N_JOBS), "--out", str(out)]
        args += ["--cutoffs", ",".join(origins.start_time.strftime("%Y-%m-%d"))]
        args += ["--groups", ",".join(groups)]
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"peer run failed:\n{done.stderr[-3000:]}")
        seconds = float(sum(json.loads(done.stdout.strip().splitlines()[-1])["seconds"]))
        fc = pd.read_csv(out, dtype={"series": str}, parse_dates=["cutoff", "ds"])
    freq = data.panel.periods.freq
    fc = fc.assign(
        origin=fc["cutoff"].dt.to_period(freq),
        period=fc["ds"].dt.to_period(freq),
    ).rename(
        columns={
            f"{s}-{lv}": f"{name}_{lv}"
            for s, name in (("lo", "lower"), ("hi", "upper"))
            for lv in LEVELS
        }
    )
    truth = reference[
        ["series_id", "origin", "period", "step", "actual", "origin_value", "scale_mae"]
    ]
    joined = truth.merge(
        fc.rename(columns={"series": "series_id"}).drop(columns=["cutoff", "ds"]),
        on=["series_id", "origin", "period"],
        how="left",
    )
    if joined["mean"].isna().any():
        raise RuntimeError(f"the peer left {int(joined['mean'].isna().sum())} cells unforecast")
    return joined, seconds


# -------------------------------------------------------------------------- metrics
def scores(frame: pd.DataFrame, horizon: int) -> dict[str, float]:
    """MASE, WAPE, 80/95% coverage and direction hit rate of a long backtest frame."""
    seen = frame.loc[np.isfinite(frame["actual"])]
    err = np.abs(seen["actual"] - seen["mean"])
    scale = seen["scale_mae"].where(seen["scale_mae"] > 0)
    out = {
        "mase": float((err / scale).mean()),
        "wape": float(err.sum() / np.abs(seen["actual"]).sum()),
    }
    for lv in LEVELS:
        inside = (seen["actual"] >= seen[f"lower_{lv}"]) & (seen["actual"] <= seen[f"upper_{lv}"])
        out[f"coverage_{lv}"] = float(inside.mean())
    last = seen.loc[seen["step"] == horizon]
    moved = np.sign(last["mean"] - last["origin_value"])
    out["hit_rate"] = float((moved == np.sign(last["actual"] - last["origin_value"])).mean())
    return out


# -------------------------------------------------------------------------- running
def bench(data: Dataset, skip_reconciled: bool) -> pd.DataFrame:
    """One row of scores and seconds per method."""
    rows = []
    reference: pd.DataFrame | None = None
    print(f"{data.name}: {data.notes}", flush=True)
    for name, make in skillcast_methods(data).items():
        if skip_reconciled and "MinT" in name:
            continue
        frame, seconds = run_skillcast(data, make)
        reference = frame if reference is None else reference
        rows.append({"method": name, **scores(frame, data.horizon), "seconds": seconds})
        print(f"  {name}: {rows[-1]}", flush=True)
    assert reference is not None
    peers = [("ets", REFERENCE), ("hier", "statsforecast AutoETS + MinT-shrink"),
             ("theta", "statsforecast Theta")]  # fmt: skip
    peers += [(f"ets:{form}", f"statsforecast AutoETS('{form}')") for form in fixed_forms(data)]
    for task, name in peers:
        frame, seconds = run_peer(task, data, reference)
        rows.append({"method": name, **scores(frame, data.horizon), "seconds": seconds})
        print(f"  {name}: {rows[-1]}", flush=True)
    table = pd.DataFrame(rows)
    ref = table.loc[table["method"] == REFERENCE].iloc[0]
    table["mase_ratio"] = table["mase"] / ref["mase"]
    table["seconds_ratio"] = table["seconds"] / ref["seconds"]
    return table


@dataclass
class Scale:
    """The synthetic scale runs: the GlobalModel against mlforecast (CPU and wall
    seconds per run; MASE at month 12 and over months 1-12 on US CES) and the
    AutoForecaster's cost per series size."""

    times: dict[str, list[tuple[float, float]]]
    scores: dict[str, list[tuple[float, float]]]
    sizes: list[dict[str, float]]


def scale(sizes: list[int], repeats: int, old: bool) -> Scale:
    """The synthetic scale series (``bench_global_monthly.py``, ``bench_auto_scale.py``)."""
    print(
        "GlobalModel() on 500 monthly series x 200 months against mlforecast "
        f"({repeats} interleaved runs), then MASE on US CES",
        flush=True,
    )
    times = bench_global_monthly.speed(repeats, old=False)
    names = ["new", "old", "mlforecast"] if old else ["new", "mlforecast"]
    scores = bench_global_monthly.accuracy([0], names)
    print("AutoForecaster() cost per series, each size in a fresh process", flush=True)
    return Scale(times, scores, bench_auto_scale.sizes_in_fresh_processes(sizes))


def scale_markdown(result: Scale) -> list[str]:
    counts = ", ".join(f"{int(r['n_series']):,}" for r in result.sizes)
    return [
        "",
        "## Synthetic scale",
        "",
        "### GlobalModel() against mlforecast's recursive LightGBM",
        "",
        "Speed: 500 monthly series x 200 months (the US CES series observed over the last "
        "200 months plus scaled noisy copies), fit + predict 12 months with 80/95% "
        "intervals, LightGBM with 300 trees and one thread on both sides, "
        f"interleaved runs: {len(result.times['new'])}, ratios of medians. Accuracy: US CES "
        "(145 series), 4 origins 6 months apart in the last 3 years, refitted at each, "
        "point forecasts, MASE at month 12 and over months 1-12, seed 0. The former "
        '`GlobalModel(strategy="direct", calibration_refits=None)` defaults are scored '
        "for accuracy only (their fit with intervals took minutes: "
        "`results/bench_global_monthly.md`). Script: `bench_global_monthly.py`.",
        "",
        bench_global_monthly.table(result.times, result.scores),
        "",
        "### AutoForecaster() cost per series",
        "",
        "The synthetic quarterly panel of `bench_ets.py` (40 periods), `AutoForecaster()` "
        "defaults with 80/95% intervals and one LightGBM thread (`n_jobs=1`), forecast 8 "
        f"quarters; {counts} series, each in "
        "a fresh process. Script: `bench_auto_scale.py`.",
        "",
        *bench_auto_scale.markdown(result.sizes),
    ]


def scale_targets(result: Scale) -> list[tuple[str, str, float, float]]:
    """(target, data, measured, bound) of the synthetic scale series."""

    def cpu(key: str) -> float:
        return float(np.median([t[1] for t in result.times[key]]))

    out = [
        (
            f"GlobalModel() fit + predict, CPU s <= {GLOBAL_BUDGET:g}x mlforecast with its "
            "80/95% intervals",
            "500 monthly series x 200",
            cpu("new") / cpu("mlforecast 80/95"),
            GLOBAL_BUDGET,
        ),
        (
            f"GlobalModel() fit + predict (80/95%), CPU s <= {GLOBAL_BUDGET:g}x mlforecast "
            "point only",
            "500 monthly series x 200",
            cpu("new") / cpu("mlforecast point"),
            GLOBAL_BUDGET,
        ),
    ]
    if "old" in result.scores:
        out.append(
            (
                "GlobalModel() MASE month 12 <= former defaults (direct)",
                "US CES monthly, 145 series",
                result.scores["new"][0][0] / result.scores["old"][0][0],
                1.0,
            )
        )
    first, last = result.sizes[0], result.sizes[-1]
    out.append(
        (
            f"AutoForecaster ms / series flat: {int(last['n_series']):,} series <= "
            f"{FLAT:g}x {int(first['n_series']):,}",
            "synthetic quarterly",
            last["ms_per_series"] / first["ms_per_series"],
            FLAT,
        )
    )
    return out


def markdown(table: pd.DataFrame) -> list[str]:
    lines = [
        "| method | MASE | WAPE | coverage 80 | coverage 95 | direction hit rate | seconds "
        "| MASE / sf AutoETS | seconds / sf AutoETS |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table.itertuples():
        lines.append(
            f"| {r.method} | {r.mase:.4f} | {r.wape:.4f} | {r.coverage_80:.3f} | "
            f"{r.coverage_95:.3f} | {r.hit_rate:.3f} | {r.seconds:.1f} | "
            f"{r.mase_ratio:.3f}x | {r.seconds_ratio:.2f}x |"
        )
    return lines


AUTO, HIER = "skillcast AutoForecaster()", "statsforecast AutoETS + MinT-shrink"
READING = [
    "Reading the table: seasonal naive repeats the value a season back, which at the last "
    "step of a whole-season horizon is the value at the origin, so its direction is "
    "'flat' and almost never hits. JOBS05 is seasonally adjusted (little for a seasonal "
    "scale to capture, hence MASE above 1) and its targets hold the COVID-19 quarters.",
]


def targets(
    tables: dict[str, tuple[Dataset, pd.DataFrame]], scaled: Scale | None = None
) -> list[str]:
    """The targets against the measured ratios."""
    lines = ["## Targets", "", "| target | data | measured | met |", "|---|---|---|---|"]

    def row(table: pd.DataFrame, method: str) -> pd.Series:
        return table.loc[table["method"] == method].iloc[0]

    for name, (data, table) in tables.items():
        auto = row(table, AUTO)
        hier = row(table, HIER)
        checks = [
            ("AutoForecaster MASE <= 0.95x statsforecast AutoETS", auto["mase_ratio"], 0.95),
            ("AutoForecaster MASE <= AutoETS + MinT-shrink", auto["mase"] / hier["mase"], 1.0),
            ("AutoForecaster seconds <= 0.5x statsforecast AutoETS", auto["seconds_ratio"], 0.5),
        ]
        if data.panel.freq.season_length == 12:
            ets = row(table, "skillcast AutoETS()")
            checks += [
                ("skillcast AutoETS MASE <= statsforecast AutoETS", ets["mase_ratio"], 1.0),
                ("skillcast AutoETS >= 5x faster (seconds <= 0.2x)", ets["seconds_ratio"], 0.2),
            ]
            for form in FIXED_FORMS:  # the same form on both sides
                ours = row(table, f"skillcast ExponentialSmoothing('{form}')")
                theirs = row(table, f"statsforecast AutoETS('{form}')")
                checks.append(
                    (
                        f"skillcast {form} MASE <= statsforecast {form}",
                        ours["mase"] / theirs["mase"],
                        1.0,
                    )
                )
        for label, value, bound in checks:
            lines.append(
                f"| {label} | {name} | {value:.3f}x | {'yes' if value <= bound else 'no'} |"
            )
    for label, where, value, bound in scale_targets(scaled) if scaled is not None else []:
        lines.append(f"| {label} | {where} | {value:.3f}x | {'yes' if value <= bound else 'no'} |")
    return lines


def peer_versions() -> str:
    code = (
        "import importlib.metadata as m; print(', '.join(f'{p} {m.version(p)}' for p in "
        "('pandas', 'statsforecast', 'hierarchicalforecast')))"
    )
    done = subprocess.run([str(PEER_PYTHON), "-c", code], capture_output=True, text=True)
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 series per panel, 2 origins")
    parser.add_argument("--skip-reconciled", action="store_true")
    parser.add_argument(
        "--skip-scale", action="store_true", help="without the synthetic scale series"
    )
    parser.add_argument(
        "--sizes",
        default=",".join(str(n) for n in SCALE_SIZES),
        help="AutoForecaster sizes of the scale series, comma-separated",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    ensure_peers()
    load_start, start = os.getloadavg(), time.perf_counter()
    sets = [ces(30), jobs05(30)] if args.quick else [ces(), jobs05()]
    if args.quick:
        for data in sets:
            data.windows = 2
    tables = {data.name: (data, bench(data, args.skip_reconciled)) for data in sets}
    scaled = None
    if not args.skip_scale:
        sizes = [int(n) for n in args.sizes.split(",")]
        quick = args.quick
        scaled = scale(sizes[:2] if quick else sizes, 1 if quick else SPEED_REPEATS, not quick)
    total, load_end = time.perf_counter() - start, os.getloadavg()
    lines = [
        "# skillcast vs statsforecast / hierarchicalforecast / mlforecast on the development "
        "panels and at scale (`experiments/bench_real.py`)",
        "",
        f"2 cores shared with other work (load average {load_start[0]:.1f} at the start, "
        f"{load_end[0]:.1f} at the end; the whole run {total / 60:.1f} min). skillcast on "
        f"pandas {pd.__version__}; peers in `.venv-peers`: {peer_versions()}. One run per "
        "method, so seconds are noisy; ratios are to statsforecast AutoETS in the same run.",
        "",
        "Every method is refitted at each origin and scored on the bottom series only: MASE "
        "scaled by the in-sample seasonal-naive MAE up to the origin (mean over series, "
        "origins and steps), WAPE, 80/95% interval coverage, direction hit rate at the last "
        "step (sign of forecast minus the value at the origin against the actual's), wall "
        f"seconds of fit + predict summed over origins. `n_jobs={N_JOBS}` where the API has "
        "it (AutoForecaster: its members side by side in threads, and its pooled model; "
        "AutoETS: its candidate forms in worker processes; "
        "statsforecast: processes). Reconciled rows forecast every "
        "node of the same hierarchy (sums of the bottom series) and reconcile with MinT "
        "shrinkage (skillcast: in-sample one-step errors of AutoETS on every node, each "
        f"level scaled to the model's one-step errors at {RESIDUAL_WINDOWS} rolling origins, "
        "the default `residual_source='calibrated'`; hierarchicalforecast: "
        "in-sample residuals), intervals re-centred (skillcast) or normal (hierarchicalforecast).",
    ]
    for name, (data, table) in tables.items():
        origins = data.panel.periods[
            data.panel.n_periods - 1 - data.horizon - data.step * np.arange(data.windows)[::-1]
        ]
        lines += [
            "",
            f"## {name}",
            "",
            f"{data.notes}. Horizon {data.horizon}, season {data.season}, origins "
            f"{', '.join(str(o) for o in origins)}.",
            "",
            *markdown(table),
        ]
    if scaled is not None:
        lines += scale_markdown(scaled)
    lines += ["", *targets(tables, scaled), "", *READING]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.quick:
        tmp = args.out.with_suffix(".md.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(args.out)  # a failed run leaves the previous table intact
        print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
