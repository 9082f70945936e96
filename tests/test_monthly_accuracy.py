"""Accuracy of the default forecaster on real monthly employment: a regression guard.

The slice is the committed US CES extract (retail and education/health, 28 series,
1990-01 to 1999-12, ``tests/data/us_ces_README.md``). Fixed rolling origins like the
development benchmark's (``experiments/bench_real.py``): 4 origins 6 months apart, the
last 12 months before the end, refit at each, horizon 12. MASE is the absolute error
over each series' in-sample seasonal-naive (lag 12) MAE up to the origin, averaged over
series, origins and steps. Point forecasts only (``levels=()``): intervals do not move
the point forecasts and would triple the fitting time.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillcast import PanelSpec, load_panel
from skillcast.backtest import backtest
from skillcast.models import AutoETS, AutoForecaster, SeasonalNaive
from skillcast.models.base import Forecaster

CES = Path(__file__).parent / "data" / "us_ces_retail_health_1990s.csv"
SPEC = PanelSpec(freq="monthly", keys=("industry",), target="employed", taxonomies={})
HORIZON, WINDOWS, STEP = 12, 4, 6


def mean_mase(forecaster: Forecaster) -> float:
    frame = pd.read_csv(CES, dtype={"industry_code": str, "month": str})
    frame = frame.rename(columns={"industry_code": "industry", "month": "period"})
    result = backtest(forecaster, load_panel(frame, SPEC), HORIZON, WINDOWS, STEP)
    scored = result.frame.loc[np.isfinite(result.frame["actual"])]
    terms = np.abs(scored["actual"] - scored["mean"]) / scored["scale_mae"]
    return float(terms.mean())


@pytest.fixture(scope="module")
def mase() -> dict[str, float]:
    """Mean MASE of each forecaster on the same origins (fitted once for both tests)."""
    return {
        "auto": mean_mase(AutoForecaster(levels=())),
        "ets": mean_mase(AutoETS(levels=())),
        "seasonal_naive": mean_mase(SeasonalNaive(levels=())),
    }


@pytest.mark.slow
def test_default_beats_seasonal_naive_on_us_ces_slice(mase: dict[str, float]) -> None:
    assert mase["auto"] < mase["seasonal_naive"], mase


@pytest.mark.slow
def test_default_is_no_worse_than_autoets_on_us_ces_slice(mase: dict[str, float]) -> None:
    assert mase["auto"] <= mase["ets"], mase
