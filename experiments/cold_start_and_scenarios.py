"""Cold-start evidence and driver scenarios on the bundled sample.

1. Cold start: established series cut to their last ``STUB`` periods before an origin
   inside the sample; :class:`AutoForecaster` is fitted on the cut panel and forecasts
   ``HORIZON`` half-years whose actuals are known. Compared with the last stub value
   carried forward (naive on the stub) and with the same model fitted on full history:
   MAE, MASE (scaled by each series' full-history seasonal-naive MAE up to the origin)
   and the relative width of the 80% interval (width / forecast mean).
2. Scenarios: the city total under low / baseline / high growth of the known drivers.

Run: ``python experiments/cold_start_and_scenarios.py [--sectors H52 H50 ...] [--cut 15]``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from skillcast.datasets import load_sample
from skillcast.models.auto import AutoForecaster
from skillcast.models.global_model import GlobalModel
from skillcast.panel import Panel
from skillcast.scenarios import forecast_scenarios, scenario_totals

ORIGIN, HORIZON, STUB = "2023-H2", 4, 2
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


if __name__ == "__main__":
    main()
