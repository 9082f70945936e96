"""The backtest picture logged with every training run (matplotlib, no display needed)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from skillcast.backtest import BacktestResult


def largest_series(result: BacktestResult) -> int:
    """Position of the series with the largest mean target (ties: the first)."""
    dense = result.panel.dense()
    totals = np.nansum(dense, axis=1) / np.maximum(np.isfinite(dense).sum(axis=1), 1)
    return int(np.argmax(totals))


def backtest_figure(result: BacktestResult) -> Figure:
    """Actuals of the largest series and the backtest forecast of every window.

    Each window's mean forecast is a line from its origin; its 80% interval (when the
    forecaster gives one) is shaded. Built on a bare :class:`Figure`, so no GUI backend
    is touched (saving uses Agg).
    """
    panel = result.panel
    position = largest_series(result)
    keys = panel.series.iloc[position]
    label = " / ".join(f"{k}={v}" for k, v in keys.items())
    fig = Figure(figsize=(9, 4.5), dpi=100)
    ax = fig.add_subplot()
    times = panel.periods.to_timestamp()
    ax.plot(times, panel.dense()[position], color="black", marker="o", lw=1.5, label="actual")
    rows = result.frame
    mask = np.ones(len(rows), dtype=bool)
    for key, value in keys.items():
        mask &= (rows[key] == value).to_numpy()
    rows = rows.loc[mask]
    for origin, window in rows.groupby("origin", sort=True):
        when = pd.PeriodIndex(window["period"]).to_timestamp()
        line = ax.plot(when, window["mean"], marker=".", lw=1.2, label=f"from {origin}")
        if {"lower_80", "upper_80"} <= set(window.columns):
            ax.fill_between(
                when, window["lower_80"], window["upper_80"], alpha=0.15,
                color=line[0].get_color(), lw=0,
            )  # fmt: skip
    ax.set_title(f"Backtest, largest series: {label}", fontsize=10)
    ax.set_ylabel(panel.spec.target)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return fig
