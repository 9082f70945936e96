"""Model versions saved before classes moved still load, and forecast the same."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from skillcast.datasets import load_sample_plan
from skillcast.persistence import PersistenceError, load_forecaster
from skillcast.persistence.allowlist import MOVED_CLASSES, _import_class
from skillcast.reconcile import LevelCalibrated, ReconciledForecaster

SAVED = Path(__file__).parent / "data" / "saved_before_move"


def test_a_version_saved_before_the_move_loads_with_todays_classes():
    model = load_forecaster(SAVED / "model")
    assert type(model) is ReconciledForecaster
    assert type(model.base_) is LevelCalibrated
    assert type(model.base_.forecaster_.calibration_).__module__ == "skillcast.models.calibration"


def test_a_version_saved_before_the_move_forecasts_as_it_did():
    model = load_forecaster(SAVED / "model")
    forecast = model.predict(2, exog=load_sample_plan())
    got = forecast.frame.assign(period=forecast.frame["period"].astype(str))
    text = {c: str for c in ("sector", "occupation", "level", "period")}
    expected = pd.read_csv(SAVED / "forecast.csv", dtype=text)
    assert_frame_equal(got, expected, check_dtype=False, rtol=1e-9)


@pytest.mark.parametrize("old", sorted(MOVED_CLASSES))
def test_every_moved_name_resolves_to_a_class_that_exists(old):
    assert _import_class(old, object).__module__ == MOVED_CLASSES[old].rsplit(".", 1)[0]


def test_an_alias_does_not_open_the_allow_list():
    with pytest.raises(PersistenceError, match="only classes defined in"):
        _import_class("subprocess.Popen", object)
