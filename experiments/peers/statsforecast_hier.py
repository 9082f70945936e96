"""statsforecast AutoETS, alone and reconciled by hierarchicalforecast, for
experiments/bench_real.py.

Runs in the peer environment (.venv-peers: the Nixtla libraries cap pandas below 3).
Reads ``series, ds (YYYY-MM-DD), y`` rows of the bottom series, plus one column per
grouping key named by ``--groups``, and forecasts ``H`` periods from each cutoff in
``--cutoffs`` (refit on the rows up to and including the cutoff):

* ``ets``: ``AutoETS(season_length=S)`` on the bottom series, 80/95% intervals (with
  ``--form``, e.g. ``AAA``, that one form, undamped unless it reads ``AAdA``);
* ``theta``: ``Theta(season_length=S)`` (the standard Theta method) likewise;
* ``hier``: the same AutoETS on every node of the hierarchy (the total, each group
  key alone, the bottom series; sums of the bottom series, ``aggregate``) with
  in-sample fitted values, reconciled by ``MinTrace(method="mint_shrink")`` with
  normal intervals; the bottom series are written.

Writes ``series, cutoff, ds, mean, lo-80, hi-80, lo-95, hi-95`` rows to ``--out`` and
prints one JSON line: wall seconds of fit + predict (+ aggregation and
reconciliation) per cutoff. A fit on two series before the timed runs compiles
statsforecast's numba kernels, so compilation is not counted.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
import pandas as pd
from hierarchicalforecast.core import HierarchicalReconciliation
from hierarchicalforecast.methods import MinTrace
from hierarchicalforecast.utils import aggregate
from statsforecast import StatsForecast
from statsforecast.models import AutoETS, Theta

LEVELS = [80, 95]
MODEL = "AutoETS"


def engine(
    season: int, freq: str, n_jobs: int, model: type = AutoETS, form: str = ""
) -> StatsForecast:
    if form:  # one exponential-smoothing form: statsforecast spells AAdA as AAA, damped
        fixed = AutoETS(season_length=season, model=form.replace("d", ""), damped="d" in form)
        return StatsForecast(models=[fixed], freq=freq, n_jobs=n_jobs)
    return StatsForecast(models=[model(season_length=season)], freq=freq, n_jobs=n_jobs)


def bottom_ets(train: pd.DataFrame, args: argparse.Namespace) -> pd.DataFrame:
    """AutoETS (or Theta) forecasts of the bottom series: series, ds, mean and bounds,
    the model's columns named as AutoETS's."""
    df = train.rename(columns={"series": "unique_id"})[["unique_id", "ds", "y"]]
    model = Theta if args.task == "theta" else AutoETS
    sf = engine(args.season, args.freq, args.n_jobs, model, args.form)
    fc = sf.forecast(df=df, h=args.h, level=LEVELS)
    fc.columns = [c.replace(model.__name__, MODEL, 1) for c in fc.columns]
    return fc.rename(columns={"unique_id": "series"})


def mint(train: pd.DataFrame, args: argparse.Namespace, groups: list[str]) -> pd.DataFrame:
    """AutoETS on every node, MinT-shrink reconciled; the bottom series' rows."""
    frame = train.assign(total="total")
    spec = [["total"], *(["total", g] for g in groups), ["total", *groups, "series"]]
    nodes, s_df, tags = aggregate(frame[["total", *groups, "series", "ds", "y"]], spec)
    sf = engine(args.season, args.freq, args.n_jobs)
    base = sf.forecast(df=nodes, h=args.h, level=LEVELS, fitted=True)
    fitted = sf.forecast_fitted_values()
    rec = HierarchicalReconciliation([MinTrace(method="mint_shrink")])
    out = rec.reconcile(Y_hat_df=base, Y_df=fitted, S_df=s_df, tags=tags, level=LEVELS)
    bottom = out.loc[out["unique_id"].isin(tags["total/" + "/".join([*groups, "series"])])]
    # the bottom node's name is its path (total/group.../series): keep the series
    names = bottom["unique_id"].str.rsplit("/", n=1).str[-1]
    prefix = f"{MODEL}/MinTrace_method-mint_shrink"
    keep = {prefix: MODEL} | {
        f"{prefix}-{s}-{lv}": f"{MODEL}-{s}-{lv}" for s in ("lo", "hi") for lv in LEVELS
    }
    reconciled = bottom[["ds", *keep]].rename(columns=keep)  # drop the base forecasts
    return reconciled.assign(series=names.to_numpy())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["ets", "hier", "theta"])
    parser.add_argument("data")
    parser.add_argument("--h", type=int, required=True)
    parser.add_argument("--season", type=int, required=True)
    parser.add_argument("--freq", required=True, help="pandas offset alias, e.g. MS or QS")
    parser.add_argument("--cutoffs", required=True, help="comma-separated YYYY-MM-DD")
    parser.add_argument("--groups", default="", help="comma-separated grouping columns")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--form", default="", help="one ETS form for the ets task, e.g. AAA")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    data = pd.read_csv(args.data, dtype={"series": str}, parse_dates=["ds"])
    groups = [g for g in args.groups.split(",") if g]
    data[groups] = data[groups].astype(str)  # codes such as "05" stay text

    warm = data.loc[data["series"].isin(data["series"].unique()[:2])]
    bottom_ets(warm, args)

    seconds, parts = [], []
    for cutoff in pd.to_datetime(args.cutoffs.split(",")):
        train = data.loc[data["ds"] <= cutoff]
        start = time.perf_counter()
        fc = mint(train, args, groups) if args.task == "hier" else bottom_ets(train, args)
        seconds.append(time.perf_counter() - start)
        parts.append(fc.assign(cutoff=cutoff))
    out = pd.concat(parts, ignore_index=True)
    cols = {MODEL: "mean"} | {
        f"{MODEL}-{s}-{lv}": f"{s}-{lv}" for s in ("lo", "hi") for lv in LEVELS
    }
    out = out.rename(columns=cols)[["series", "cutoff", "ds", *cols.values()]]
    out[list(cols.values())] = out[list(cols.values())].astype(float)
    if not np.isfinite(out["mean"].to_numpy()).all():
        raise SystemExit("statsforecast returned non-finite forecasts")
    out.to_csv(args.out, index=False, date_format="%Y-%m-%d")
    print(json.dumps({"seconds": seconds}))


if __name__ == "__main__":
    main()
