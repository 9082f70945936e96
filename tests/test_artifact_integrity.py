"""A registered model whose files were changed in the artifact store is refused, unrun.

A module fixture trains a ridge model (its estimators are skops files) in a scratch
project with an SQLite store and forecasts once. Each tampering test edits the stored
files of that version the way an attacker with write access to ``mlartifacts/`` would,
checks that ``skillcast-forecast`` and :func:`skillcast.tracking.load_model` refuse it
with the file named and that the edit's payload (which writes a marker file when run)
never ran, then puts the files back. The persistence-level defences these stand in front
of (allow-listed classes, trusted skops types) are tested in ``test_tampering.py``.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlparse

import mlflow
import numpy as np
import pandas as pd
import pytest
import skops.io as sio
import yaml
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient
from pandas.testing import assert_frame_equal
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from app_runs import named_data
from skillcast import tracking
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_MODIFIED, EXIT_OK, EXIT_REFUSED
from skillcast.datasets import load_sample_plan
from skillcast.persistence import ModelIntegrityError, load_forecaster, save_forecaster
from skillcast.persistence.integrity import (
    check_digests,
    decode_digests,
    encode_digests,
    file_digests,
)

MODEL = "skillcast-demand"
TRAIN = ["data.max_series=30", "model=ridge", "backtest=quick", "output.horizon=2",
         "reconcile=none"]  # fmt: skip
FORECAST = ["data.max_series=30", "output.horizon=2", "refit=never"]
BIN = Path(sys.executable).parent


def cfg(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *named_data(name, overrides)])


def client(root: Path) -> MlflowClient:
    uri = f"sqlite:///{root}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def stored(root: Path, version: str = "1") -> Path:
    """The folder of a version's files in the project's artifact store."""
    return Path(urlparse(client(root).get_model_version_download_uri(MODEL, version)).path)


def request(horizon: int) -> pd.DataFrame:
    """A serving request: the horizon and the planned drivers of the forecast periods."""
    plan = load_sample_plan()
    plan = plan.loc[plan["period"].isin(["2026-H1", "2026-H2"][:horizon])]
    return plan.assign(horizon=horizon).reset_index(drop=True)


def published(root: Path) -> dict[str, object]:
    """Everything under forecasts/: file bytes and link targets."""
    out: dict[str, object] = {}
    for path in sorted((root / "forecasts").rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = os.readlink(path)
        elif path.is_file():
            out[key] = path.read_bytes()
    return out


def last_forecast_run(root: Path):
    c = client(root)
    experiment = c.get_experiment_by_name("skillcast")
    found = c.search_runs(
        [experiment.experiment_id],
        filter_string="tags.skillcast_kind = 'forecast'",
        order_by=["start_time DESC"],
        max_results=1,
    )
    return found[0]


@pytest.fixture(scope="module")
def base(scratch: Path) -> Path:
    root = scratch / "base"
    assert train_app.run(cfg("train", root, *TRAIN)) == EXIT_OK
    assert forecast_app.run(cfg("forecast", root, *FORECAST)) == EXIT_OK
    return root


@pytest.fixture
def model_dir(base: Path) -> Iterator[Path]:
    """Version 1's stored files, put back as they were after the test."""
    folder = stored(base)
    backup = base.parent / "pristine-model"
    shutil.rmtree(backup, ignore_errors=True)
    shutil.copytree(folder, backup, symlinks=True)
    yield folder
    shutil.rmtree(folder)
    shutil.copytree(backup, folder, symlinks=True)


# ------------------------------------------------------------------ what is stored
def test_no_code_is_stored_with_the_model_and_every_file_has_a_recorded_digest(base: Path):
    folder = stored(base)
    names = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert not [n for n in names if n.endswith((".py", ".pyc", ".pkl", ".pickle"))]
    flavor = yaml.safe_load((folder / "MLmodel").read_text())["flavors"]["python_function"]
    assert flavor["loader_module"] == "skillcast.pyfunc"
    assert flavor["data"] == "data/forecaster" and not flavor.get("code")
    assert "python_model" not in flavor

    version = client(base).get_model_version(MODEL, "1")
    recorded = decode_digests(version.tags[tracking.TAG_DIGESTS], "v1")
    names.discard(tracking.MLFLOW_META_FILE)  # written by MLflow itself when it loads
    assert set(recorded) == names
    assert {"MLmodel", "requirements.txt", "data/forecaster/manifest.json",
            "data/forecaster/arrays.npz"} <= names  # fmt: skip
    assert any(n.endswith(".skops") for n in names)


def test_mlflow_pyfunc_serving_loads_the_installed_module_and_predicts(base: Path):
    client(base)
    served = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    checked = tracking.load_model(f"models:/{MODEL}@champion")
    got = served.predict(request(2))
    assert_frame_equal(checked.predict(request(2)), got)
    assert served.loader_module == "skillcast.pyfunc"
    assert type(served._model_impl).__module__ == "skillcast.pyfunc"
    forecaster = served.get_raw_model()
    assert forecaster is served.unwrap_python_model().forecaster
    assert len(got) == 30 * 2 and {"period", "mean"} <= set(got.columns)
    # the planner CSV of the forecast app holds the same numbers
    table = pd.read_csv(base / "forecasts" / "latest.csv", encoding="utf-8-sig", dtype=str)
    assert len(table) == len(got)


def test_the_readme_serving_block_runs_as_written_from_another_folder(base: Path, tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for b in re.findall(r"```python\n(.*?)```", readme, re.S) if "models:/" in b]
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking.sqlite_uri(base / "mlflow.db")}
    code = block + "\nprint(len(model.predict(load_sample_plan().assign(horizon=4))))\n"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.split()[-1]) == 30 * 4  # 30 series, 4 periods
    assert not list(tmp_path.iterdir())  # no stray ./mlflow.db or ./mlruns


# ------------------------------------------------------------------ tampering
def plant_popen(folder: Path, marker: Path) -> None:
    """The hardened allow-list's vector: a class reached by walking a module's attributes,
    built with a command (``Popen(["touch", marker])``) when the manifest is decoded."""
    path = folder / "data/forecaster/manifest.json"
    manifest = json.loads(path.read_text())
    manifest["root"]["params"]["estimator"] = {
        "$type": "estimator",
        "class": "skillcast.tracking.mlflow.utils.subprocess.Popen",
        "params": {"args": {"$type": "list", "items": ["touch", str(marker)]}},
        "state": {},
    }
    path.write_text(json.dumps(manifest))


def skops_payload(marker: Path):
    """A pipeline whose first step writes ``marker`` when it transforms (``numpy.savetxt``
    through ``functools.partial``), the second calls the built-in ``eval``."""
    return make_pipeline(
        FunctionTransformer(functools.partial(np.savetxt, str(marker))),
        FunctionTransformer(eval),
        Ridge(),
    )


def plant_skops(folder: Path, marker: Path) -> None:
    for path in folder.rglob("*.skops"):
        sio.dump(skops_payload(marker), path)


def change_array(folder: Path, marker: Path) -> None:
    path = folder / "data/forecaster/arrays.npz"
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    key = next(k for k, v in arrays.items() if v.dtype.kind == "f" and v.size)
    arrays[key] = arrays[key] * 10
    np.savez(path, allow_pickle=False, **arrays)


EVIL = "import pathlib\npathlib.Path({marker!r}).touch()\n\n\ndef _load_pyfunc(path):\n    pass\n"


def add_module(folder: Path, marker: Path) -> None:
    (folder / "code").mkdir()
    (folder / "code" / "skillcast_evil.py").write_text(EVIL.format(marker=str(marker)))


def add_module_and_name_it(folder: Path, marker: Path) -> None:
    """The models-from-code vector without a code file of ours: MLmodel pointed at an added
    module that MLflow would put on sys.path and import."""
    add_module(folder, marker)
    path = folder / "MLmodel"
    meta = yaml.safe_load(path.read_text())
    meta["flavors"]["python_function"].update(code="code", loader_module="skillcast_evil")
    path.write_text(yaml.safe_dump(meta))


def remove_frame(folder: Path, marker: Path) -> None:
    next((folder / "data/forecaster").rglob("*.parquet")).unlink()


VECTORS: dict[str, tuple[Callable[[Path, Path], None], list[str]]] = {
    "manifest-class-walk": (plant_popen, ["data/forecaster/manifest.json (changed)"]),
    "skops-functions": (plant_skops, [".skops (changed)"]),
    "array-file": (change_array, ["data/forecaster/arrays.npz (changed)"]),
    "added-file": (add_module, ["code/skillcast_evil.py (added)"]),
    "mlmodel-names-added-code": (
        add_module_and_name_it,
        ["MLmodel (changed)", "code/skillcast_evil.py (added)"],
    ),
    "removed-file": (remove_frame, [".parquet (removed)"]),
}


@pytest.mark.parametrize("vector", list(VECTORS))
def test_a_tampered_version_is_refused_naming_the_file_and_nothing_runs(
    vector: str, base: Path, model_dir: Path, tmp_path: Path, caplog
):
    tamper, named = VECTORS[vector]
    marker = tmp_path / "ran"
    before = published(base)
    tamper(model_dir, marker)

    with caplog.at_level(logging.ERROR):
        code = forecast_app.run(cfg("forecast", base, *FORECAST))
    assert code == EXIT_MODIFIED
    message = next(r.getMessage() for r in caplog.records if "modified" in r.getMessage())
    assert "model version 1 was modified after registration: " in message
    for part in named:
        assert part in message
    assert not marker.exists()
    assert published(base) == before  # nothing published
    run = last_forecast_run(base)
    assert run.info.status == "FAILED"
    assert run.data.tags["error_type"] == "ModelIntegrityError"

    client(base)
    with pytest.raises(ModelIntegrityError, match="modified after registration"):
        tracking.load_model(f"models:/{MODEL}@champion")
    with pytest.raises(ModelIntegrityError):  # the rollback form: a version number
        tracking.load_model(f"models:/{MODEL}/1")
    assert not marker.exists()


def test_the_payloads_do_run_when_nothing_checks_them(tmp_path: Path):
    # controls for the vectors above: each edit would have written its marker
    skops_marker = tmp_path / "skops"
    path = tmp_path / "p.skops"
    sio.dump(skops_payload(skops_marker), path)
    assert {"builtins.eval", "numpy.savetxt"} <= set(sio.get_untrusted_types(file=path))
    loaded = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    with pytest.raises(TypeError):  # eval(None), after savetxt wrote the marker
        loaded.fit(np.ones((2, 1)), np.ones(2))
    assert skops_marker.exists()

    code_marker = tmp_path / "code"
    (tmp_path / "skillcast_evil.py").write_text(EVIL.format(marker=str(code_marker)))
    subprocess.run(
        [sys.executable, "-c", "import skillcast_evil"], cwd=tmp_path, check=True, timeout=60
    )
    assert code_marker.exists()


def test_the_forecast_app_exits_6_naming_the_changed_file(
    base: Path, model_dir: Path, tmp_path: Path
):
    change_array(model_dir, tmp_path / "unused")
    before = published(base)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    done = subprocess.run(
        [str(BIN / "skillcast-forecast"), f"paths.root={base}", *FORECAST],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )  # fmt: skip
    output = done.stdout + done.stderr  # Hydra logs to stdout
    assert done.returncode == EXIT_MODIFIED == 6, output[-3000:]
    assert (
        "model version 1 was modified after registration: data/forecaster/arrays.npz (changed)"
        in output
    )
    assert published(base) == before


def test_training_keeps_a_tampered_champion_and_names_why(
    base: Path, model_dir: Path, tmp_path: Path, scratch: Path
):
    # the new version is scored against the champion re-scored on new data; a champion
    # that fails its check is not re-scored, and the gate keeps it rather than guess
    change_array(model_dir, tmp_path / "unused")
    other = ["data.max_series=25", *TRAIN[1:]]
    assert train_app.run(cfg("train", base, *other)) == EXIT_REFUSED
    c = client(base)
    assert str(c.get_model_version_by_alias(MODEL, "champion").version) == "1"
    challenger = c.get_model_version_by_alias(MODEL, "challenger")
    reason = challenger.tags["promotion_reason"]
    assert "could not be re-scored" in reason and "arrays.npz (changed)" in reason
    c.delete_registered_model_alias(MODEL, "challenger")


# ------------------------------------------------------------------ older versions
LEGACY_PYFUNC = '''
"""The models-from-code file skillcast logged before its loader module."""
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class SkillcastForecastModel(PythonModel):
    forecaster = None

    def load_context(self, context):
        from skillcast.persistence import load_forecaster

        self.forecaster = load_forecaster(context.artifacts["forecaster"])

    def predict(self, context, model_input, params=None):
        from skillcast.pyfunc import labelled

        return labelled(self.forecaster.predict(int(model_input["horizon"].iloc[0])))


mlflow.models.set_model(SkillcastForecastModel())
'''


def register_legacy(root: Path, forecaster, tmp_path: Path) -> str:
    """A version logged as the earlier skillcast did: a stored pyfunc.py, no digests."""
    c = client(root)
    code = tmp_path / "pyfunc.py"
    code.write_text(LEGACY_PYFUNC)
    state = save_forecaster(forecaster, tmp_path / "forecaster")
    experiment = c.get_experiment_by_name("skillcast")
    with mlflow.start_run(experiment_id=experiment.experiment_id, run_name="legacy"):
        mlflow.set_tags({"skillcast_kind": "train", "data_fingerprint": "legacy"})
        info = mlflow.pyfunc.log_model(
            name="model",
            python_model=str(code),
            artifacts={"forecaster": str(state)},
            pip_requirements=[],
        )
    version = mlflow.register_model(info.model_uri, MODEL)
    assert tracking.TAG_DIGESTS not in (version.tags or {})
    return str(version.version)


def test_a_version_registered_before_digests_loads_unverified_and_its_code_never_runs(
    scratch: Path, tmp_path: Path, caplog
):
    root = scratch / "legacy"
    small = ["data.max_series=20", "model=seasonal_naive", "backtest=quick",
             "output.horizon=2", "reconcile=none"]  # fmt: skip
    assert train_app.run(cfg("train", root, *small)) == EXIT_OK
    forecaster = load_forecaster(stored(root, "1") / "data/forecaster")
    legacy = register_legacy(root, forecaster, tmp_path)
    folder = stored(root, legacy)
    marker = tmp_path / "ran"
    with (folder / "pyfunc.py").open("a") as handle:  # the probe's one added line
        handle.write(f"\nimport pathlib; pathlib.Path({str(marker)!r}).touch()\n")

    # a version from before the data source was recorded names no data: say which
    forecast = ["data=sample", "data.max_series=20", "output.horizon=2", "refit=never"]
    with caplog.at_level(logging.WARNING):
        code = forecast_app.run(cfg("forecast", root, *forecast, f"model_ref={legacy}"))
    assert code == EXIT_OK
    assert not marker.exists()
    warning = [r.getMessage() for r in caplog.records if "unverified" in r.getMessage()]
    assert warning and f"model version {legacy}" in warning[0]
    table = pd.read_csv(root / "forecasts" / "latest.csv", encoding="utf-8-sig", dtype=str)
    assert set(table["model_version"]) == {legacy}

    # the rollback recipe: the champion alias moved back to the older version
    client(root).set_registered_model_alias(MODEL, "champion", legacy)
    assert forecast_app.run(cfg("forecast", root, *forecast)) == EXIT_OK
    served = tracking.load_model(f"models:/{MODEL}@champion")
    got = served.predict(pd.DataFrame({"horizon": [2]}))
    assert len(got) == 20 * 2
    assert not marker.exists()

    # control: MLflow's own loader runs the stored file, edit included
    mlflow.pyfunc.load_model(f"models:/{MODEL}/{legacy}")
    assert marker.exists()


def test_a_run_model_is_checked_when_registered_and_other_uris_load_with_a_warning(
    base: Path, tmp_path: Path, caplog
):
    c = client(base)
    run_id = c.get_model_version(MODEL, "1").run_id
    with caplog.at_level(logging.WARNING):
        model = tracking.load_model(f"runs:/{run_id}/model")  # registered: checked
    assert not [r for r in caplog.records if "unverified" in r.getMessage()]
    assert len(model.predict(request(1))) == 30
    local = Path(mlflow.artifacts.download_artifacts(f"runs:/{run_id}/model", dst_path=tmp_path))
    with caplog.at_level(logging.WARNING):
        tracking.load_model(local.as_uri())
    assert any("not a registered model version" in r.getMessage() for r in caplog.records)


# ------------------------------------------------------------------ the digests
def test_digests_name_each_changed_added_and_removed_file(tmp_path: Path):
    (tmp_path / "a").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_text("b")
    recorded = decode_digests(encode_digests(file_digests(tmp_path)), "m")
    check_digests(tmp_path, recorded, "m")
    (tmp_path / "a").write_text("A")
    (tmp_path / "sub" / "b").unlink()
    (tmp_path / "c").write_text("c")
    with pytest.raises(ModelIntegrityError) as refused:
        check_digests(tmp_path, recorded, "model version 3")
    assert str(refused.value).startswith(
        "model version 3 was modified after registration: a (changed), c (added), sub/b (removed)."
    )


@pytest.mark.parametrize("text", ["", "{}", '{"sha256": [1]}', '{"sha256": {"a": 1}}'])
def test_unreadable_recorded_digests_are_refused(text: str):
    with pytest.raises(ModelIntegrityError, match="unreadable"):
        decode_digests(text, "model version 2")
