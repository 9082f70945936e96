"""Accuracy bar of the default forecaster on the bundled sample.

Four rolling origins, two years (4 half-years) ahead, refitting at every origin, fixed
seed. ``experiments/sample_comparison.py`` prints the full table these numbers come from.
"""

import pytest

from skillcast.backtest import backtest
from skillcast.datasets import load_sample
from skillcast.metrics import evaluate
from skillcast.models import AutoETS, AutoForecaster, GlobalModel, SeasonalNaive

pytestmark = pytest.mark.slow

HORIZON, WINDOWS, SEED = 4, 4, 0


@pytest.fixture(scope="module")
def scores() -> dict[str, dict[str, float]]:
    panel = load_sample()
    models = {
        "auto": AutoForecaster(n_jobs=2, random_state=SEED),
        "seasonal_naive": SeasonalNaive(levels=()),
        "ets": AutoETS(levels=()),
        # the pooled member of the default forecaster, alone
        "pooled": GlobalModel(
            strategy="recursive", calibration_refits=None, n_jobs=2, random_state=SEED, levels=()
        ),
    }
    out = {}
    for name, model in models.items():
        table = evaluate(backtest(model, panel, HORIZON, WINDOWS))
        out[name] = table.iloc[0].to_dict()
    return out


def test_auto_beats_seasonal_naive_on_mase_and_wape(scores):
    auto, base = scores["auto"], scores["seasonal_naive"]
    assert auto["mase"] < 0.9 * base["mase"]  # measured: 0.76
    assert auto["wape"] < 0.9 * base["wape"]  # measured: 0.72


def test_auto_is_no_worse_than_its_members(scores):
    auto = scores["auto"]
    assert auto["mase"] < scores["ets"]["mase"]
    assert auto["mase"] <= 1.02 * scores["pooled"]["mase"]
    assert auto["wape"] <= 1.02 * min(scores["ets"]["wape"], scores["pooled"]["wape"])


def test_auto_intervals_cover_close_to_nominal(scores):
    auto = scores["auto"]
    assert abs(auto["coverage_80"] - 0.80) <= 0.05
    assert abs(auto["coverage_95"] - 0.95) <= 0.05
    assert auto["width_80"] < auto["width_95"]
