"""A tampered model directory is refused before any code it names runs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from skillcast.datasets import load_sample
from skillcast.models import GlobalModel, Naive
from skillcast.panel import Panel
from skillcast.persistence import PersistenceError, load_forecaster, save_forecaster


@pytest.fixture(scope="module")
def panel() -> Panel:
    full = load_sample()
    return Panel(full.spec, full.frame.loc[full.series_id < 6].reset_index(drop=True))


def edit_manifest(directory: Path, edit) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "name",
    [
        # a class reached by walking the attributes of a module that imported it
        "skillcast.tracking.mlflow.utils.subprocess.Popen",
        "skillcast.persistence.allowlist.importlib.import_module",
        "sklearn.utils._testing.subprocess.Popen",
        # a module that runs a program when imported
        "skillcast.datasets.__main__.main",
        # names outside the allowed packages
        "subprocess.Popen",
        "builtins.eval",
    ],
)
def test_a_class_name_that_is_not_a_class_defined_there_is_refused(name, panel, tmp_path):
    directory = save_forecaster(Naive().fit(panel), tmp_path / "m")
    edit_manifest(directory, lambda m: m["root"].update({"class": name}))
    with pytest.raises(PersistenceError, match="Refusing to load"):
        load_forecaster(directory)


def test_a_class_value_walking_to_popen_runs_nothing(panel, tmp_path):
    # the vector: a FunctionTransformer whose func is a "class" node naming Popen through
    # a skillcast module, called with a command when the model predicts
    marker = tmp_path / "ran"
    model = GlobalModel(levels=()).fit(panel)
    directory = save_forecaster(model, tmp_path / "m")

    def plant(manifest: dict) -> None:
        manifest["root"]["params"]["estimator"] = {
            "$type": "class",
            "class": "skillcast.tracking.mlflow.utils.subprocess.Popen",
        }

    edit_manifest(directory, plant)
    with pytest.raises(PersistenceError):
        load_forecaster(directory).predict(1)
    assert not marker.exists()


@pytest.mark.parametrize("func", [eval, np.savetxt])
def test_skops_files_holding_functions_are_refused_on_save_and_on_load(func, tmp_path):
    estimator = make_pipeline(FunctionTransformer(func), Ridge())
    with pytest.raises(PersistenceError, match="no safe format"):
        save_forecaster(GlobalModel(estimator=estimator, levels=()), tmp_path / "refused")
    # a file written by other means and swapped in is refused on load
    directory = save_forecaster(GlobalModel(estimator=Ridge(), levels=()), tmp_path / "m")
    node = json.loads((directory / "manifest.json").read_text())["root"]["params"]["estimator"]
    sio.dump(estimator, directory / node["file"])
    with pytest.raises(PersistenceError, match="does not trust"):
        load_forecaster(directory)
