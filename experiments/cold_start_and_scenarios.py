"""Cold-start evidence and driver scenarios on the bundled sample.

1. Cold start: established series cut to their last ``STUB`` periods before an origin
   inside the sample; :class:`AutoForecaster` is fitted on the cut panel and forecasts
   ``HORIZON`` half-years whose actuals are known. Compared with the last stub value
   carried forward (naive on the stub) and with the same model fitted on full history:
   MAE, MASE (scaled by each series' full-history seasonal-naive MAE up to the origin)
   and the relative width of the 80% interval (width / forecast mean).
2. Scenarios: the city total under low / baseline / high growth of the known drivers,
   from models that read the drivers (GlobalModel, AutoForecaster) and from AutoETS
   scaled by the employment elasticities (:class:`DriverElasticities`, what the apps do:
   paths relative to the sample's plan, pooled elasticities, with and without exposure).
3. Ex-post check of the elasticities: AutoETS forecasts from origin ``EXPOST_ORIGIN``,
   scaled from the baseline driver path to the path that actually came; errors of the
   tourism sectors (and all series) with and without the scaling.

Run: ``python experiments/cold_start_and_scenarios.py [--sectors H52 H50 ...] [--cut 15]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from skillcast.datasets import load_sample, load_sample_plan
from skillcast.elasticities import DriverElasticities
from skillcast.models import AutoETS
from skillcast.models.auto import AutoForecaster
from skillcast.models.global_model import GlobalModel
from skillcast.panel import Panel
from skillcast.scenarios import forecast_scenarios, make_scenario_paths, scenario_totals

ORIGIN, HORIZON, STUB = "2023-H2", 4, 2
EXPOST_ORIGIN = "2022-H2"  # tourism recovers after COVID-19 in the four half-years after
TOURISM = ("I55", "I56", "N79")
SHOWN = ("H52", "H53", "C26", "I55")
EXPOSURE = {
    "port_throughput_mt": ["seaport_maritime", "logistics"],
    "tourist_arrivals_m": ["tourism"],
}
GROWTH = {
    "low": {"port_throughput_mt": 0.03, "tourist_arrivals_m": 0.02},
    "baseline": {"port_throughput_mt": 0.07, "tourist_arrivals_m": 0.06},
    "high": {"port_throughput_mt": 0.10, "tourist_arrivals_m": 0.09},
}


def pick_established(panel: Panel, n: int, seed: int = 0) -> np.ndarray:
    """Positions of ``n`` series observed at every period with mean >= 20 workers."""
    y = panel.dense()
    full = np.isfinite(y).all(axis=1) & (np.nanmean(y, axis=1) >= 20)
    return np.sort(np.random.default_rng(seed).choice(np.flatnonzero(full), n, replace=False))


def cut_history(panel: Panel, rows: np.ndarray, keep: int) -> Panel:
    """``panel`` with the series at ``rows`` reduced to their last ``keep`` periods."""
    first_kept = panel.periods[-keep]
    cut = np.isin(panel.series_id, rows) & (panel.frame[panel.spec.period] < first_kept)
    return Panel(panel.spec, panel.frame.loc[~cut.to_numpy()].reset_index(drop=True))


def mase_scale(y: np.ndarray, m: int) -> np.ndarray:
    """In-sample seasonal-naive MAE per series (series x periods up to the origin)."""
    return np.nanmean(np.abs(y[:, m:] - y[:, :-m]), axis=1)


def cold_start_table(panel: Panel, n_cut: int, model_factory) -> tuple[pd.DataFrame, dict]:
    known = panel.until(ORIGIN)
    rows = pick_established(known, n_cut)
    truncated = cut_history(known, rows, STUB)
    stop = known.n_periods + HORIZON
    actual = panel.dense()[rows, known.n_periods : stop]
    scale = mase_scale(known.dense()[rows], known.freq.season_length)
    exog = panel.frame[panel.frame[panel.spec.period] > known.periods[-1]]
    t0 = time.perf_counter()
    cold = model_factory().fit(truncated)
    t_cold = time.perf_counter() - t0
    full = model_factory().fit(known)
    fc_cold, fc_full = cold.predict(HORIZON, exog=exog), full.predict(HORIZON, exog=exog)
    naive = np.repeat(known.dense()[rows, -1:], HORIZON, axis=1)
    out = {}
    for name, fc in (("cold start", fc_cold), ("full history", fc_full)):
        mean = fc.dense("mean")[rows]
        width = (fc.dense("upper_80") - fc.dense("lower_80"))[rows]
        out[name] = (mean, width / np.maximum(mean, 1e-9))
    out["naive on stub"] = (naive, np.full_like(naive, np.nan))
    table = pd.DataFrame(
        {
            name: {
                "MAE": np.mean(np.abs(mean - actual)),
                "MASE": np.mean(np.abs(mean - actual).mean(axis=1) / scale),
                "rel. width 80%": np.nanmean(width) if np.isfinite(width).any() else np.nan,
            }
            for name, (mean, width) in out.items()
        }
    ).T
    flags = getattr(cold, "routes_", None)
    info = {
        "n_cut": len(rows),
        "cold_flagged": int(flags["cold_start"].to_numpy()[rows].sum())
        if flags is not None
        else -1,
        "fit_seconds": t_cold,
        "per_series_mase_cold": np.abs(out["cold start"][0] - actual).mean(axis=1) / scale,
        "per_series_mase_naive": np.abs(naive - actual).mean(axis=1) / scale,
    }
    return table, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut", type=int, default=15, help="series cut to a stub")
    parser.add_argument("--sectors", nargs="*", default=None, help="subset (default: all)")
    args = parser.parse_args()
    panel = load_sample()
    if args.sectors:
        keep = panel.frame["sector"].isin(args.sectors)
        panel = Panel(panel.spec, panel.frame.loc[keep].reset_index(drop=True))
    print(f"{panel}; origin {ORIGIN}, horizon {HORIZON}, stub {STUB} periods")

    def auto() -> AutoForecaster:
        return AutoForecaster(n_jobs=2)

    table, info = cold_start_table(panel, args.cut, auto)
    print(
        f"\nCold start (AutoForecaster): {info['cold_flagged']}/{info['n_cut']} cut series "
        f"flagged cold_start; fit {info['fit_seconds']:.1f} s"
    )
    print(table.round(3).to_string())
    wins = (info["per_series_mase_cold"] < info["per_series_mase_naive"]).sum()
    print(f"cold-start model beats naive-on-stub on {wins}/{info['n_cut']} series (MASE)")

    print("\nScenarios: city total (employment), GlobalModel direct / recursive")
    for strategy in ("direct", "recursive"):
        model = GlobalModel(strategy=strategy, n_jobs=2, levels=()).fit(panel)
        totals = scenario_totals(forecast_scenarios(model, HORIZON, GROWTH))
        totals.index = panel.freq.labels(totals.index)
        print(f"\n{strategy}:\n{totals.round(0).to_string()}")
    auto_model = AutoForecaster(n_jobs=2).fit(panel)
    totals = scenario_totals(forecast_scenarios(auto_model, HORIZON, GROWTH))
    totals.index = panel.freq.labels(totals.index)
    print(f"\nAutoForecaster:\n{totals.round(0).to_string()}")
    elasticity_scenarios(panel)
    expost_check(panel)


def elasticity_scenarios(panel: Panel) -> None:
    """The apps' method: AutoETS scaled by elasticities, paths relative to the sample's
    plan (so baseline = the forecast), with and without the sample's exposure; the
    generator's elasticities are 0.85 (logistics, port) and 0.8 (tourism, arrivals)."""
    forecast = AutoETS().fit(panel).predict(HORIZON)
    plan = load_sample_plan()
    paths = make_scenario_paths(panel, HORIZON, GROWTH, plan=plan, reference="baseline")
    named = {name: paths.exog(name) for name in paths.names}
    for label, exposure in (("exposure as configs/scenarios/sample.yaml", EXPOSURE),
                            ("no exposure", None)):  # fmt: skip
        fitted = DriverElasticities(exposure=exposure).fit(panel)
        table = fitted.table_
        shown = table.loc[table["sector"].isin(SHOWN)].drop(columns=["n_obs", "driver_sd"])
        print(f"\nElasticities, {label} (sectors {SHOWN}):\n{shown.round(3).to_string()}")
        out = fitted.scenario_forecasts(forecast, panel, named, named["baseline"])
        totals = scenario_totals(out)
        totals.index = panel.freq.labels(totals.index)
        print(f"\nAutoETS x elasticities, city total:\n{totals.round(0).to_string()}")
        last = out.loc[out["step"] == HORIZON]
        by_division = last.groupby(["scenario", last["sector"].str[:2]])["mean"].sum()
        move = 100 * (by_division["high"] / by_division["baseline"] - 1)
        print(
            "\nhigh vs baseline at the last step, % by division group:\n"
            + move.round(2).to_string()
        )


def expost_check(panel: Panel) -> None:
    """Scale forecasts from the baseline path to the driver path that came."""
    train = panel.until(EXPOST_ORIGIN)
    origin = train.periods[-1]
    fitted = DriverElasticities().fit(train)
    forecast = AutoETS(levels=()).fit(train).predict(HORIZON)
    paths = make_scenario_paths(train, HORIZON, {"baseline": GROWTH["baseline"]})
    came = panel.frame.loc[
        (panel.frame["period"] > origin) & (panel.frame["period"] <= origin + HORIZON),
        ["period", *panel.spec.known_exog],
    ].drop_duplicates("period")
    named = {"came": came}
    scaled = fitted.scenario_forecasts(forecast, train, named, paths.exog("baseline"))
    keys = list(panel.spec.keys)
    actual = panel.frame[[*keys, "period", panel.spec.target]]
    y = train.dense()
    m = panel.freq.season_length
    scale = np.nanmean(np.abs(y[:, m:] - y[:, :-m]), axis=1)
    scale_frame = train.series.assign(_scale=scale)
    rows = []
    for name, frame in (("AutoETS", forecast.frame), ("AutoETS x elasticities", scaled)):
        joined = frame.merge(actual, on=[*keys, "period"]).merge(scale_frame, on=keys)
        err = (joined["mean"] - joined[panel.spec.target]).abs()
        for subset, mask in (("tourism", joined["sector"].isin(TOURISM)), ("all", None)):
            part = joined if mask is None else joined.loc[mask]
            e = err if mask is None else err.loc[mask]
            ok = part["_scale"] > 0
            rows.append(
                {
                    "model": name,
                    "series": subset,
                    "MASE": float((e[ok] / part.loc[ok, "_scale"]).mean()),
                    "WAPE": float(e.sum() / part[panel.spec.target].sum()),
                    "bias %": float(100 * (part["mean"].sum() / part[panel.spec.target].sum() - 1)),
                }
            )
    print(
        f"\nEx post from {EXPOST_ORIGIN}: baseline path (+6% a year) vs the tourist arrivals "
        "that came"
    )
    print(pd.DataFrame(rows).round(3).to_string(index=False))


if __name__ == "__main__":
    main()
