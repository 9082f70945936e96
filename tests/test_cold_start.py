"""Cold start on the sample: established series cut to a two-period stub.

AutoForecaster is fitted on a few sectors of the sample as known at 2023-H2, with 12
established series cut to their last 2 periods; its forecasts of 2024-H1..2025-H2 are
scored against the sample's actuals.
"""

from __future__ import annotations

import numpy as np
import pytest

from skillcast.datasets import load_sample
from skillcast.models.auto import AutoForecaster
from skillcast.panel import Panel

pytestmark = pytest.mark.slow

SECTORS = ("H52", "C26", "I55")
ORIGIN, HORIZON, STUB, N_CUT = "2023-H2", 4, 2, 12


@pytest.fixture(scope="module")
def setup():
    sample = load_sample()
    panel = Panel(sample.spec, sample.frame[sample.frame["sector"].isin(SECTORS)])
    known = panel.until(ORIGIN)
    y = known.dense()
    established = np.isfinite(y).all(axis=1) & (np.nanmean(y, axis=1) >= 20)
    rows = np.sort(np.random.default_rng(0).choice(np.flatnonzero(established), N_CUT, False))
    # drop every row of the chosen series before their last STUB periods
    early = np.isin(known.series_id, rows) & (known.frame["period"] < known.periods[-STUB])
    truncated = Panel(known.spec, known.frame.loc[~early.to_numpy()])
    exog = panel.frame[panel.frame["period"] > known.periods[-1]]
    cold = AutoForecaster(n_jobs=2).fit(truncated)
    full = AutoForecaster(n_jobs=2).fit(known)
    actual = panel.dense()[rows, known.n_periods : known.n_periods + HORIZON]
    m = known.freq.season_length
    scale = np.mean(np.abs(y[rows, m:] - y[rows, :-m]), axis=1)  # full-history seasonal naive
    return {
        "rows": rows,
        "truncated": truncated,
        "cold": cold,
        "cold_fc": cold.predict(HORIZON, exog=exog),
        "full_fc": full.predict(HORIZON, exog=exog),
        "actual": actual,
        "scale": scale,
        "stub_last": y[rows, -1],
    }


def test_cut_series_are_routed_as_cold_start(setup):
    routes = setup["cold"].routes_
    assert setup["truncated"].observed()[setup["rows"]].sum(axis=1).tolist() == [STUB] * N_CUT
    assert routes["cold_start"].to_numpy()[setup["rows"]].all()
    assert (routes["route"].to_numpy()[setup["rows"]] == "global").all()
    assert routes["cold_start"].sum() == N_CUT  # the rest of these sectors is established


def test_cold_start_forecast_beats_naive_on_the_stub(setup):
    rows, actual, scale = setup["rows"], setup["actual"], setup["scale"]
    cold = setup["cold_fc"].dense("mean")[rows]
    naive = np.repeat(setup["stub_last"][:, None], HORIZON, axis=1)
    mase_cold = np.mean(np.abs(cold - actual).mean(axis=1) / scale)
    mase_naive = np.mean(np.abs(naive - actual).mean(axis=1) / scale)
    # MASE, so the few large series do not decide alone (on raw MAE the largest cut
    # series, where the pooled model misses the level, outweighs the others here)
    assert mase_cold < mase_naive


def test_cold_start_intervals_are_wider_than_with_full_history(setup):
    rows = setup["rows"]

    def relative_width(fc):
        mean = fc.dense("mean")[rows]
        return np.mean((fc.dense("upper_80") - fc.dense("lower_80"))[rows] / mean)

    assert relative_width(setup["cold_fc"]) > 1.1 * relative_width(setup["full_fc"])
