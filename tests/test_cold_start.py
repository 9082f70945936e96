"""Cold start on the sample: established series cut to a two-period stub.

AutoForecaster is fitted on a few sectors of the sample as known at 2023-H2, with 12
established series cut to their last 2 periods; its forecasts of 2024-H1..2025-H2 are
scored against the sample's actuals. The default cold-start route (the pooled model and
the analogues combined) is compared with each of its members alone.
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
    alone = {
        route: AutoForecaster(n_jobs=2, cold_start=route).fit(truncated).predict(HORIZON, exog=exog)
        for route in ("global", "analogue")
    }
    full = AutoForecaster(n_jobs=2).fit(known)
    actual = panel.dense()[rows, known.n_periods : known.n_periods + HORIZON]
    m = known.freq.season_length
    scale = np.mean(np.abs(y[rows, m:] - y[rows, :-m]), axis=1)  # full-history seasonal naive
    return {
        "rows": rows,
        "truncated": truncated,
        "cold": cold,
        "cold_fc": cold.predict(HORIZON, exog=exog),
        "alone_fc": alone,
        "full_fc": full.predict(HORIZON, exog=exog),
        "actual": actual,
        "scale": scale,
        "stub_last": y[rows, -1],
    }


def test_cut_series_are_routed_as_cold_start(setup):
    routes = setup["cold"].routes_
    assert setup["truncated"].observed()[setup["rows"]].sum(axis=1).tolist() == [STUB] * N_CUT
    assert routes["cold_start"].to_numpy()[setup["rows"]].all()
    assert (routes["route"].to_numpy()[setup["rows"]] == "combined").all()
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


def mase(fc, setup) -> float:
    rows, actual, scale = setup["rows"], setup["actual"], setup["scale"]
    return float(np.mean(np.abs(fc.dense("mean")[rows] - actual).mean(axis=1) / scale))


def test_combined_cold_start_is_no_worse_than_either_member_alone(setup):
    combined = mase(setup["cold_fc"], setup)
    assert combined <= min(mase(fc, setup) for fc in setup["alone_fc"].values())


def test_combined_cold_start_intervals_are_the_analogue_widths_around_the_mix(setup):
    rows, fc = setup["rows"], setup["cold_fc"]
    analogue = setup["alone_fc"]["analogue"]
    pooled = setup["alone_fc"]["global"]
    mean = fc.dense("mean")[rows]
    np.testing.assert_allclose(
        mean, 0.5 * analogue.dense("mean")[rows] + 0.5 * pooled.dense("mean")[rows]
    )
    for level in (80, 95):
        half = (analogue.dense(f"upper_{level}") - analogue.dense("mean"))[rows]
        np.testing.assert_allclose(fc.dense(f"upper_{level}")[rows], mean + half)
    inside = (setup["actual"] >= fc.dense("lower_95")[rows]) & (
        setup["actual"] <= fc.dense("upper_95")[rows]
    )
    assert inside.mean() >= 0.8  # 48 points: a loose check that they are not too narrow


def test_cold_start_intervals_are_wider_than_with_full_history(setup):
    rows = setup["rows"]

    def relative_width(fc):
        mean = fc.dense("mean")[rows]
        return np.mean((fc.dense("upper_80") - fc.dense("lower_80"))[rows] / mean)

    assert relative_width(setup["cold_fc"]) > 1.1 * relative_width(setup["full_fc"])
