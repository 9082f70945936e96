"""Emerging series on real data: forecasts of series with a few months of history.

Run: ``python experiments/emerging_backtest.py [--n-jobs 2] [--out PATH]`` (about 7-10
minutes on 2 cores); the tables go to ``experiments/results/emerging_backtest.md``.

Result (1,018 cases; run of the committed table): MASE combined 1.188, analogue 1.253,
naive on the stub 1.428, pooled model 1.415 (seasonal naive on the stub, k = 12 only:
1.313); coverage 80% / 95%: combined 0.842 / 0.970, analogue 0.822 / 0.962, naive
0.842 / 0.962, pooled model 0.704 / 0.902. The combination is best overall and in three
of the four protocol x k cells; at real starts with k = 6 the pooled model is far off
(2.688) and pulls it to 1.860, behind the analogues' 1.426.

Data: the US CES panel (``../shared/data/us-ces-employment-monthly``, 146 monthly series
of employees by industry, thousands, not seasonally adjusted, 1939-01..2019-09). The
models see every published series (aggregates included, key ``industry`` = the 8-digit
industry code, whose prefixes give the groups: 2 digits = CES supersector); only
**bottom-level** series are scored: codes that no other code extends once their trailing
zeros are dropped, less the three cross-cutting totals (05, 06, 08): 103 series.

Cases, each a bottom series young at an origin, scored over the 24 months after it:

* **real start** -- every bottom series starting after 1939-01 (starts in 1947, 1951,
  1955, 1964, 1972, 1985, 1990 and 2001), at the origins 6 and 12 months after its first
  month (k = 6, 12 observations): the panel as published up to the origin, nothing cut.
* **hidden history** -- at origins 1995-12, 2002-06, 2009-12 and 2014-06 the bottom
  series established there are split into two folds (seed 0); each fold in turn is cut
  to its last k = 6 or 12 months before the origin, every other series intact. The
  aggregates keep their history, which holds the cut series' past (a caveat: real
  aggregates would too, had the series been new).

Models, each fitted on the panel as given at the origin: ``AnalogueForecaster``
(defaults: analogues from the industry-code prefix ladder, path from
``ExponentialSmoothing("ANA")``, a 3-month level window, intervals on once-new
series); naive on the stub (``Naive``: the last value carried forward); seasonal
naive on the stub (``SeasonalNaive``, shown for k = 12 only, where the stub covers a
season); the pooled model (``GlobalModel(strategy="recursive")``, as ``AutoForecaster``
used it for cold start); **combined** (``AutoForecaster(cold_start="combined")`` on
young series: the equal-weight mean of the analogue and pooled forecasts of the case,
with the analogue's once-new half-widths around it; computed from those two fits, so its
seconds are theirs). Intervals are each model's own (80% / 95%).

MASE = mean absolute error over the 24 months / the series' seasonal-naive (lag 12) MAE
over its whole history up to the end of the scored window (the history the model did
not see is used for scaling only). Coverage = share of the 24 months x cases inside the
interval. Means are over cases; the result tables are written to ``--out``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast import Panel, PanelSpec, load_panel
from skillcast.models import Forecaster, GlobalModel, Naive, SeasonalNaive
from skillcast.models.analogues import AnalogueForecaster

DATA = (
    Path(__file__).resolve().parents[2]
    / "shared/data/us-ces-employment-monthly/us_ces_employment_monthly.csv.gz"
)
OUT = Path(__file__).resolve().parent / "results" / "emerging_backtest.md"
HORIZON, KS, SEED = 24, (6, 12), 0
HIDDEN_ORIGINS = ("1995-12", "2002-06", "2009-12", "2014-06")
TOTALS = ("05", "06", "08")  # total private, goods-producing, private service-providing
COMBINED = "combined"
COMBINED_MEMBERS = ("analogue", "pooled model")


@dataclass
class Case:
    kind: str  # "real start" or "hidden history"
    origin: pd.Period
    k: int
    hidden: np.ndarray  # series positions cut to their last k months before the origin
    scored: np.ndarray  # series positions scored


def load_ces(path: Path) -> Panel:
    frame = pd.read_csv(path, dtype={"industry_code": str})
    frame = frame.rename(columns={"industry_code": "industry", "month": "period"})
    spec = PanelSpec(
        period="period", freq="monthly", keys=("industry",), target="employed", taxonomies={}
    )
    return load_panel(frame[["industry", "period", "employed"]], spec)


def bottom_series(codes: pd.Series) -> np.ndarray:
    """Positions of the bottom-level codes (see the module docstring)."""
    values = codes.astype(str).tolist()
    bottom = []
    for i, code in enumerate(values):  # 146 codes: a one-off table, not a hot path
        head = code.rstrip("0")
        extended = any(other != code and other.startswith(head) for other in values)
        if not extended and code[:2] not in TOTALS:
            bottom.append(i)
    return np.asarray(bottom, dtype=np.int64)


def make_cases(panel: Panel, bottom: np.ndarray) -> list[Case]:
    first, _ = panel.first_last()
    periods = panel.periods
    cases = []
    late = bottom[first[bottom] > 0]
    for start in np.unique(first[late]):
        rows = late[first[late] == start]
        for k in KS:
            origin = periods[int(start) + k - 1]
            cases.append(Case("real start", origin, k, np.zeros(0, np.int64), rows))
    rng = np.random.default_rng(SEED)
    for label in HIDDEN_ORIGINS:
        pos = periods.get_loc(pd.Period(label, "M"))
        established = bottom[first[bottom] <= pos - 2 * 12]
        folds = np.array_split(rng.permutation(established), 2)
        for k in KS:
            for fold in folds:
                rows = np.sort(fold)
                cases.append(Case("hidden history", periods[pos], k, rows, rows))
    return cases


def panel_for(panel: Panel, case: Case) -> Panel:
    known = panel.until(case.origin)
    first_kept = case.origin - (case.k - 1)
    cut = np.isin(known.series_id, case.hidden) & (known.frame["period"] < first_kept).to_numpy()
    return Panel(known.spec, known.frame.loc[~cut].reset_index(drop=True))


def models(n_jobs: int) -> dict[str, Callable[[], Forecaster]]:
    return {
        "analogue": lambda: AnalogueForecaster(),
        "naive on stub": lambda: Naive(),
        "seasonal naive on stub": lambda: SeasonalNaive(),
        "pooled model": lambda: GlobalModel(strategy="recursive", n_jobs=n_jobs, random_state=SEED),
    }


def combined_frame(analogue: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """``AutoForecaster(cold_start="combined")`` on young series, from its two members'
    forecasts (same rows): the equal-weight mean, and the analogue's once-new half-widths
    around it (lower bounds clipped at 0, as every forecast frame)."""
    out = analogue.copy()
    mean = 0.5 * analogue["mean"].to_numpy(float) + 0.5 * pooled["mean"].to_numpy(float)
    out["mean"] = mean
    for level in (80, 95):
        half = analogue[f"upper_{level}"].to_numpy(float) - analogue["mean"].to_numpy(float)
        out[f"lower_{level}"] = np.clip(mean - half, 0.0, None)
        out[f"upper_{level}"] = mean + half
    return out


def score(panel: Panel, case: Case, given: Panel, fc_frame: pd.DataFrame) -> pd.DataFrame:
    y = panel.dense()
    pos = panel.periods.get_loc(case.origin)
    actual = y[case.scored, pos + 1 : pos + 1 + HORIZON]
    # forecasts in the given panel's series order: match by code
    index = pd.Index(given.series["industry"]).get_indexer(panel.series["industry"][case.scored])
    steps = HORIZON

    def col(name: str) -> np.ndarray:
        return fc_frame[name].to_numpy(dtype=float).reshape(-1, steps)[index]

    mean = col("mean")
    upto = y[case.scored, : pos + 1 + HORIZON]
    scale = np.nanmean(np.abs(upto[:, 12:] - upto[:, :-12]), axis=1)
    out = {
        "kind": case.kind,
        "origin": str(case.origin),
        "k": case.k,
        "industry": panel.series["industry"].to_numpy()[case.scored],
        "mase": np.mean(np.abs(mean - actual), axis=1) / scale,
    }
    for level in (80, 95):
        lo, hi = col(f"lower_{level}"), col(f"upper_{level}")
        out[f"coverage_{level}"] = np.mean((actual >= lo) & (actual <= hi), axis=1)
        out[f"width_{level}"] = np.mean(hi - lo, axis=1) / np.mean(np.abs(actual), axis=1)
    return pd.DataFrame(out)


def markdown(frame: pd.DataFrame) -> str:
    """A GitHub markdown table of ``frame`` (no extra dependency)."""
    rows = [[str(c) for c in frame.columns]]
    rows += [[f"{v:.3f}" if isinstance(v, float) else str(v) for v in r] for r in frame.to_numpy()]
    head = "| " + " | ".join(rows[0]) + " |"
    rule = "|" + "|".join("---" for _ in rows[0]) + "|"
    return "\n".join([head, rule, *("| " + " | ".join(r) + " |" for r in rows[1:])])


def summarise(results: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return (
        results.groupby(by, sort=False)
        .agg(
            cases=("mase", "size"),
            mase=("mase", "mean"),
            median_mase=("mase", "median"),
            coverage_80=("coverage_80", "mean"),
            coverage_95=("coverage_95", "mean"),
            rel_width_95=("width_95", "mean"),
        )
        .round(3)
        .reset_index()
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", help="subset of the model names")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--path", type=Path, default=DATA)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    panel = load_ces(args.path)
    bottom = bottom_series(panel.series["industry"])
    cases = make_cases(panel, bottom)
    factories = models(args.n_jobs)
    names = args.models or [*factories, COMBINED]
    if COMBINED in names:  # derived from its two members' forecasts of the same case
        names = [n for n in names if n != COMBINED]
        names += [m for m in COMBINED_MEMBERS if m not in names] + [COMBINED]
    frames, seconds = [], dict.fromkeys(names, 0.0)
    for case in cases:
        given = panel_for(panel, case)
        fitted: dict[str, pd.DataFrame] = {}
        for name in names:
            if name == "seasonal naive on stub" and case.k < 12:
                continue
            t = time.perf_counter()
            if name == COMBINED:
                frame = combined_frame(*(fitted[m] for m in COMBINED_MEMBERS))
            else:
                frame = factories[name]().fit(given).predict(HORIZON).frame
            seconds[name] += time.perf_counter() - t
            fitted[name] = frame
            frames.append(score(panel, case, given, frame).assign(model=name))
    if COMBINED in seconds:  # its members' fits
        seconds[COMBINED] += sum(seconds[m] for m in COMBINED_MEMBERS)
    results = pd.concat(frames, ignore_index=True)
    overall = summarise(results, ["model"])
    by_kind = summarise(results, ["kind", "k", "model"])
    by_start = summarise(results[results["kind"] == "real start"].assign(
        start=lambda f: f["origin"].str[:4]), ["start", "model"])  # fmt: skip
    overall["seconds"] = overall["model"].map(seconds).round(1)
    total = time.perf_counter() - t0
    lines = [
        f"# Emerging series on the US CES panel ({len(bottom)} bottom series, horizon "
        f"{HORIZON} months)",
        "",
        f"{len(cases)} fits per model; run time {total:.0f} s. Produced by "
        "`experiments/emerging_backtest.py` (protocol in its docstring).",
        "",
        "## All cases",
        "",
        markdown(overall),
        "",
        "## By protocol and stub length k",
        "",
        markdown(by_kind),
        "",
        "## Real starts by start year",
        "",
        markdown(by_start),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(args.out)  # atomic: a failed run leaves the previous table


if __name__ == "__main__":
    main()
