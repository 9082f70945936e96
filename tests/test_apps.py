"""End-to-end runs of skillcast-train and skillcast-forecast against SQLite MLflow stores.

A module fixture trains (seasonal naive, 30 series, one backtest window, no
reconciliation) and forecasts once; tests that change the store work on a copy of that
project directory. Reconciled models, openings and supply gaps: ``test_apps_demand.py``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
import yaml
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient
from pandas.testing import assert_frame_equal

from app_runs import named_data
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import (
    EXIT_BUSY,
    EXIT_CONFIG,
    EXIT_DATA,
    EXIT_ENVIRONMENT,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    combined_exit,
)
from skillcast.apps.data import load_data
from skillcast.backtest import backtest
from skillcast.lineage import fingerprint
from skillcast.metrics import evaluate
from skillcast.models import AutoETS, SeasonalNaive
from skillcast.outputs import PLANNER_COLUMNS, files
from skillcast.promotion import Decision, decide
from skillcast.pyfunc import labelled
from skillcast.workspace import FileLock

MODEL = "skillcast-demand"
SMALL = ["data.max_series=30", "model=seasonal_naive", "backtest=quick", "output.horizon=2",
         "reconcile=none"]  # fmt: skip
FORECAST = ["data.max_series=30", "output.horizon=2"]
BIN = Path(sys.executable).parent


def cfg(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *named_data(name, overrides)])


def client(root: Path) -> MlflowClient:
    uri = f"sqlite:///{root}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def runs(root: Path, kind: str, experiment: str = "skillcast") -> list:
    c = client(root)
    exp = c.get_experiment_by_name(experiment)
    return c.search_runs(
        [exp.experiment_id],
        filter_string=f"tags.skillcast_kind = '{kind}'",
        order_by=["start_time ASC"],
    )


def aliases(root: Path) -> dict[str, str]:
    c = client(root)
    return {a: str(v) for a, v in c.get_registered_model(MODEL).aliases.items()}


def versions(root: Path) -> list[str]:
    found = client(root).search_model_versions(f"name = '{MODEL}'")
    return sorted((str(v.version) for v in found), key=int)


def mase_of(forecaster, panel, horizon=1, n_windows=1) -> float:
    return float(evaluate(backtest(forecaster, panel, horizon, n_windows))["mase"].iloc[0])


@pytest.fixture(scope="module")
def base(scratch: Path) -> Path:
    root = scratch / "base"
    assert train_app.run(cfg("train", root, *SMALL)) == EXIT_OK
    assert forecast_app.run(cfg("forecast", root, *FORECAST)) == EXIT_OK
    return root


@pytest.fixture
def project(base: Path, scratch: Path, request: pytest.FixtureRequest) -> Path:
    """A copy of the trained project (store, forecasts); artifacts stay with the original."""
    root = scratch / request.node.name
    shutil.copytree(
        base, root, symlinks=True, ignore=shutil.ignore_patterns("mlartifacts", "outputs", "dl")
    )
    return root


def published(folder: Path) -> dict[str, bytes | str]:
    """Every file (its bytes) and link (its target) under ``folder``, links not followed;
    the lock file's note of its last holder left out."""
    out: dict[str, bytes | str] = {}
    for parent, folders, names in os.walk(folder):
        for name in [*folders, *names]:
            path = Path(parent) / name
            key = str(path.relative_to(folder))
            if path.is_symlink():
                out[key] = os.readlink(path)
            elif path.is_file() and name != ".lock":
                out[key] = path.read_bytes()
    return out


def test_train_logs_params_metrics_artifacts_and_registers_champion(base: Path) -> None:
    c = client(base)
    exp = c.get_experiment_by_name("skillcast")
    assert exp.artifact_location == (base / "mlartifacts").as_uri()
    (run,) = runs(base, "train")
    assert run.info.status == "FINISHED"
    params = run.data.params
    assert params["model._target_"] == "skillcast.models.SeasonalNaive"
    assert params["backtest.horizon"] == "1" and params["data.max_series"] == "30"
    assert params["data.fingerprint.series"] == "30"

    panel = load_data(cfg("train", base, *SMALL).data)
    expected = mase_of(SeasonalNaive(), panel)
    assert run.data.metrics["backtest_mase"] == pytest.approx(expected, rel=1e-12)
    assert run.data.metrics["step1_mase"] == pytest.approx(expected, rel=1e-12)
    history = c.get_metric_history(run.info.run_id, "backtest_mase_by_step")
    assert [m.step for m in history] == [1]

    def listing(path: str = "") -> set[str]:
        out = set()
        for item in c.list_artifacts(run.info.run_id, path):
            out |= listing(item.path) if item.is_dir else {item.path}
        return out

    assert listing() == {
        "config/resolved.yaml", "backtest/backtest.csv", "backtest/metrics_overall.csv",
        "backtest/metrics_by_step.csv", "plots/backtest_largest_series.png",
        "forecast/forecast.csv", "data/emerging_series.csv",
    }  # fmt: skip
    local = Path(
        mlflow.artifacts.download_artifacts(run_id=run.info.run_id, dst_path=str(base / "dl"))
    )
    assert (local / "plots/backtest_largest_series.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    resolved = yaml.safe_load((local / "config/resolved.yaml").read_text())
    assert resolved["paths"]["root"] == str(base) and resolved["backtest"]["n_windows"] == 1

    fp = fingerprint(panel)
    (dataset_input,) = run.inputs.dataset_inputs
    assert dataset_input.dataset.digest == fp.digest[:36]
    tags = {t.key: t.value for t in dataset_input.tags}
    assert tags["series"] == "30" and tags["first"] == "2015-H1" and tags["last"] == "2025-H2"

    champion = c.get_model_version_by_alias(MODEL, "champion")
    assert str(champion.version) == "1" and champion.run_id == run.info.run_id
    assert champion.tags["data_fingerprint"] == fp.digest == run.data.tags["data_fingerprint"]
    assert float(champion.tags["score"]) == pytest.approx(expected, rel=1e-12)
    assert champion.tags["score_metric"] == "mase"


def test_registered_model_loads_with_pyfunc_and_predicts(base: Path) -> None:
    client(base)
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    assert [c.name for c in model.metadata.signature.inputs.inputs][0] == "horizon"
    got = model.predict(pd.DataFrame({"horizon": [3]}))
    panel = load_data(cfg("train", base, *SMALL).data)
    want = labelled(SeasonalNaive().fit(panel).predict(3))
    assert_frame_equal(got.reset_index(drop=True), want)
    # future driver rows may ride along with the horizon (this model does not use them)
    request = pd.DataFrame(
        {"horizon": [3, 3], "period": ["2026-H1", "2026-H2"], "port_throughput_mt": [80.0, 82.0]}
    )
    assert_frame_equal(model.predict(request).reset_index(drop=True), want)
    with pytest.raises(Exception, match="not semiannual periods"):
        model.predict(request.assign(period=["2026Q1", "2026Q2"]))
    files = {p.suffix for p in (base / "mlartifacts" / "models").rglob("*") if p.is_file()}
    assert not files & {".pkl", ".pickle", ".cloudpickle", ".joblib"}  # nothing to unpickle
    requirements = next((base / "mlartifacts" / "models").rglob("requirements.txt")).read_text()
    assert "lightgbm==" in requirements and "skillcast==" in requirements


def test_forecast_writes_dated_and_latest_csv(base: Path) -> None:
    latest = base / "forecasts" / "latest.csv"
    dated = base / "forecasts" / "2026-H1" / "forecast.csv"
    assert latest.read_bytes() == dated.read_bytes()
    assert os.readlink(latest) == "latest/forecast.csv"
    (folder,) = [p for p in (base / "forecasts" / "runs").iterdir() if p.is_dir()]
    assert os.readlink(base / "forecasts" / "latest") == f"runs/{folder.name}"
    assert os.readlink(base / "forecasts" / "2026-H1") == f"runs/{folder.name}"
    assert latest.read_bytes().startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(latest, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(table.columns) == list(PLANNER_COLUMNS)
    assert len(table) == 30 * 2 and set(table["period"]) == {"2026-H1", "2026-H2"}
    (train_run,) = runs(base, "train")
    assert set(table["model_version"]) == {"1"}
    assert set(table["run_id"]) == {train_run.info.run_id}
    (run,) = runs(base, "forecast")
    assert run.info.status == "FINISHED"
    assert run.data.params["model_version"] == "1" and run.data.params["refit"] == "False"
    assert folder.name.endswith(f"_2026-H1_{run.info.run_id[:8]}")
    # every file of the run says which run wrote it, and when: the same in all of them
    stamps = set()
    for csv in folder.glob("*.csv"):
        rows = pd.read_csv(csv, encoding="utf-8-sig", dtype=str, keep_default_na=False)
        stamps |= set(zip(rows["forecast_run_id"], rows["created_at"], strict=True))
    assert len(stamps) == 1 and next(iter(stamps))[0] == run.info.run_id
    names = [a.path for a in client(base).list_artifacts(run.info.run_id, "forecast")]
    # the tables, their calendar years (2026-H1 + 2026-H2), the report and the workbook
    assert sorted(names) == [
        f"forecast/{n}" for n in ("forecast.csv", "forecast.xlsx", "forecast_annual.csv",
                                  "notes.txt", "openings.csv", "openings_annual.csv",
                                  "report.html", "skill_intensity.csv", "skills.csv",
                                  "supply_gap.csv", "supply_gap_annual.csv")
    ]  # fmt: skip


def test_unchanged_rerun_is_skipped_and_a_tie_keeps_the_champion(project: Path) -> None:
    assert train_app.run(cfg("train", project, *SMALL)) == EXIT_OK
    assert versions(project) == ["1"] and len(runs(project, "train")) == 1
    assert train_app.run(cfg("train", project, *SMALL, "force=true")) == EXIT_REFUSED
    assert versions(project) == ["1", "2"]
    assert aliases(project) == {"champion": "1", "challenger": "2"}
    last = runs(project, "train")[-1]
    assert last.data.tags["promoted"] == "false"
    assert "does not beat" in last.data.tags["promotion_reason"]


def test_better_model_on_new_data_is_promoted_after_rescoring_the_champion(
    project: Path,
) -> None:
    overrides = ["data.max_series=40", "model=ets", "backtest=quick", "output.horizon=2",
                 "reconcile=none"]  # fmt: skip
    assert train_app.run(cfg("train", project, *overrides)) == EXIT_OK
    assert aliases(project) == {"champion": "2"}
    run = runs(project, "train")[-1]
    panel = load_data(cfg("train", project, *overrides).data)
    champion_on_new_data = mase_of(SeasonalNaive(), panel)
    assert run.data.metrics["champion_score"] == pytest.approx(champion_on_new_data, rel=1e-12)
    assert run.data.metrics["backtest_mase"] == pytest.approx(mase_of(AutoETS(), panel), rel=1e-9)
    assert run.data.metrics["backtest_mase"] < champion_on_new_data
    assert "re-scored on this data" in run.data.tags["promotion_reason"]


def test_multirun_nests_one_run_per_job_under_a_parent(project: Path, monkeypatch) -> None:
    argv = ["skillcast-train", "-m", "model=seasonal_naive,croston", f"paths.root={project}",
            "data=sample", "data.max_series=20", "backtest=quick", "output.horizon=2",
            "reconcile=none"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exited:
        train_app.main()
    assert exited.value.code == EXIT_OK  # refusals inside a sweep are not failures
    (parent,) = runs(project, "sweep")
    assert parent.info.status == "FINISHED"
    assert Path(parent.data.tags["sweep_key"]).parent.parent == project / "multirun"
    children = [r for r in runs(project, "train") if r.data.tags.get("mlflow.parentRunId")]
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {parent.info.run_id}
    assert sorted(r.data.tags["model_class"] for r in children) == ["Croston", "SeasonalNaive"]
    assert all(r.info.status == "FINISHED" for r in children)


def test_crash_after_registration_moves_no_alias_and_keeps_latest(
    project: Path, monkeypatch
) -> None:
    latest = project / "forecasts" / "latest.csv"
    before = latest.read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("injected failure")

    monkeypatch.setattr(train_app, "log_forecast", crash)  # runs after register, before aliases
    better = ["data.max_series=40", "model=ets", "backtest=quick", "output.horizon=2",
              "reconcile=none"]  # fmt: skip
    assert train_app.run(cfg("train", project, *better)) == EXIT_FAILED
    assert versions(project) == ["1", "2"]  # registered before the crash...
    assert aliases(project) == {"champion": "1"}  # ...but no alias moved
    failed = runs(project, "train")[-1]
    assert failed.info.status == "FAILED"
    assert failed.data.tags["error_type"] == "RuntimeError"
    assert failed.data.tags["error"] == "injected failure"
    assert latest.read_bytes() == before
    monkeypatch.undo()  # the failed run's version does not count as done: a rerun trains
    assert train_app.run(cfg("train", project, *better)) == EXIT_OK
    assert aliases(project) == {"champion": "3"}


def test_failed_forecast_write_keeps_latest_byte_identical(project: Path, monkeypatch) -> None:
    folder = project / "forecasts"
    before = published(folder)
    assert before["latest.csv"] == "latest/forecast.csv"
    real = files.write_csv

    def flaky(table: pd.DataFrame, path: Path) -> None:
        if Path(path).name == "openings.csv":  # forecast.csv is written, then the disk fills
            Path(path).write_bytes(b"\xef\xbb\xbfperiod,reg")
            raise OSError("disk full")
        real(table, path)

    monkeypatch.setattr(files, "write_csv", flaky)
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_FAILED
    assert published(folder) == before  # no file, link or leftover changed
    failed = runs(project, "forecast")[-1]
    assert failed.info.status == "FAILED" and failed.data.tags["error"] == "disk full"
    failed = runs(project, "forecast")[-1]
    assert failed.info.status == "FAILED" and failed.data.tags["error"] == "disk full"


def test_forecast_refits_when_the_data_changed(project: Path) -> None:
    overrides = ["data.max_series=25", "output.horizon=2"]
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    table = pd.read_csv(project / "forecasts" / "latest.csv", encoding="utf-8-sig", dtype=str)
    assert len(table) == 25 * 2
    run = runs(project, "forecast")[-1]
    assert run.data.params["refit"] == "True"
    panel = load_data(cfg("forecast", project, "data=sample", *overrides).data)
    want = SeasonalNaive().fit(panel).predict(2).frame["mean"].to_numpy()
    np.testing.assert_array_equal(table["forecast"].astype(int), np.floor(want + 0.5))


def test_unknown_model_alias_is_a_config_error(project: Path) -> None:
    code = forecast_app.run(cfg("forecast", project, *FORECAST, "model_ref=staging"))
    assert code == EXIT_CONFIG


def test_bad_data_exits_4_before_any_tracking(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {"period": ["2024-H1", "2024-H1", "2024-H2"], "sector": ["C10"] * 3,
         "occupation": ["4311"] * 3, "level": ["L1"] * 3, "employment": [5.0, 6.0, 7.0]}
    )  # fmt: skip
    frame.to_csv(tmp_path / "dup.csv", index=False)
    overrides = ["data=csv", f"data.path={tmp_path / 'dup.csv'}", "model=seasonal_naive"]
    assert train_app.run(cfg("train", tmp_path, *overrides)) == EXIT_DATA
    assert not (tmp_path / "mlflow.db").exists()


def test_gate_rules() -> None:
    class Version:
        def __init__(self, tags: dict[str, str]) -> None:
            self.version, self.tags = "4", tags

    def no_rescore(v):
        raise AssertionError("should not re-score")

    same = Version({"backtest_key": "k", "score": "1.0"})
    assert decide(0.9, None, "k", False, no_rescore).promote
    assert decide(0.9, same, "k", False, no_rescore) == Decision(
        True, "0.9 beats champion v4's 1 (scored on the same data and windows)", "4", 1.0
    )
    assert not decide(1.0, same, "k", False, no_rescore).promote  # a tie keeps the champion
    assert decide(1.1, same, "k", True, no_rescore).promote  # greater is better
    assert not decide(float("nan"), same, "k", False, no_rescore).promote
    other = Version({"backtest_key": "old", "score": "0.1"})
    assert decide(0.5, other, "k", False, lambda v: 0.7).champion_score == 0.7
    assert decide(0.5, other, "k", False, lambda v: float("nan")).promote

    def broken(v):
        raise KeyError("gone")

    kept = decide(0.5, other, "k", False, broken)
    assert not kept.promote and "could not be re-scored" in kept.reason


def test_combined_exit_codes() -> None:
    assert combined_exit([]) == EXIT_OK
    assert combined_exit([EXIT_REFUSED]) == EXIT_REFUSED
    assert combined_exit([EXIT_OK, EXIT_REFUSED]) == EXIT_OK
    assert combined_exit([EXIT_REFUSED, EXIT_DATA, EXIT_FAILED]) == EXIT_FAILED


def run_script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    return subprocess.run(
        [str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def test_mistyped_key_exits_2_naming_it(tmp_path: Path) -> None:
    done = run_script("skillcast-train", "backtest.horizn=3", cwd=tmp_path)
    assert done.returncode == EXIT_CONFIG
    assert "horizn" in done.stderr
    assert not (tmp_path / "mlflow.db").exists()  # stopped before any data or tracking


def test_wrong_type_exits_2_naming_the_key(tmp_path: Path) -> None:
    done = run_script("skillcast-forecast", "output.horizon=soon", cwd=tmp_path)
    assert done.returncode == EXIT_CONFIG
    assert "horizon" in done.stderr and "soon" in done.stderr


def test_import_skillcast_stays_light() -> None:
    code = (
        "import sys, skillcast, skillcast.models, skillcast.outputs, skillcast.persistence\n"
        "heavy = sorted(m for m in ('mlflow', 'hydra', 'omegaconf', 'dask') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


# ------------------------------------------------------------- the environment
def test_a_folder_in_the_way_exits_7_and_keeps_the_published_set(project: Path) -> None:
    folder = project / "forecasts"
    (folder / "latest_openings.csv").unlink()
    (folder / "latest_openings.csv").mkdir()  # left there by hand
    before = published(folder)
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_ENVIRONMENT
    assert published(folder) == before
    assert runs(project, "forecast")[-1].info.status == "FAILED"
    (folder / "latest_openings.csv").rmdir()
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_OK
    assert (folder / "latest_openings.csv").read_bytes() == (
        folder / "latest" / "openings.csv"
    ).read_bytes()


def test_a_held_project_lock_exits_8_after_lock_timeout(project: Path, caplog) -> None:
    before = published(project / "forecasts")
    with FileLock(project / "skillcast.lock", purpose="skillcast-train"):
        started = time.monotonic()
        code = forecast_app.run(cfg("forecast", project, *FORECAST, "lock_timeout=0.5"))
        waited = time.monotonic() - started
    assert code == EXIT_BUSY and waited < 10
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line.startswith("busy: ") and "skillcast-train" in line and "\n" not in line
    assert published(project / "forecasts") == before


@pytest.mark.parametrize("where", ["output.dir", "paths.root"])
def test_an_unwritable_folder_exits_7_with_one_line(tmp_path: Path, where: str) -> None:
    (tmp_path / "file").write_text("not a folder")
    args = [f"paths.root={tmp_path}", f"{where}={tmp_path / 'file' / 'inside'}"]
    done = run_script("skillcast-forecast", *args, cwd=tmp_path)
    assert done.returncode == EXIT_ENVIRONMENT, done.stderr
    errors = [line for line in done.stderr.splitlines() if "environment:" in line]
    assert len(errors) == 1 and "a file is in the way" in errors[0]
    assert "Traceback" not in done.stderr


def test_store_paths_with_question_marks_and_hashes_stay_in_the_project(scratch: Path) -> None:
    root = scratch / "odd?name#1"
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        quoted = f"paths.root='{root}'"
        composed = compose("train", overrides=[quoted, "data=sample", *SMALL])
    assert composed.tracking.uri.endswith("/odd%3Fname%231/mlflow.db")
    assert train_app.run(composed) == EXIT_OK
    assert (root / "mlflow.db").is_file()
    assert sorted(p.name for p in scratch.iterdir() if p.name.startswith("odd")) == [root.name]


def test_a_silent_tracking_server_fails_within_the_timeout(tmp_path: Path, monkeypatch, caplog):
    for name in ("MLFLOW_HTTP_REQUEST_TIMEOUT", "MLFLOW_HTTP_REQUEST_MAX_RETRIES"):
        monkeypatch.delenv(name, raising=False)  # restored after the test
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)  # accepts connections, never answers
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    uri = f"http://127.0.0.1:{server.getsockname()[1]}"
    overrides = [*FORECAST, "tracking=server", f"tracking.uri={uri}", "tracking.timeout=2"]
    started = time.monotonic()
    code = forecast_app.run(cfg("forecast", tmp_path, *overrides))
    took = time.monotonic() - started
    server.close()
    assert code == EXIT_ENVIRONMENT and took < 20
    (line,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert "is unavailable (no answer within 2 s)" in line and "tracking.timeout" in line


def test_csv_tables_logged_to_mlflow_follow_the_planner_rules(base: Path) -> None:
    logged = list((base / "mlartifacts").rglob("backtest/*.csv"))
    assert {p.name for p in logged} >= {"backtest.csv", "metrics_overall.csv"}
    for path in logged:
        assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_mlflow_telemetry_is_off_wherever_skillcast_imports_mlflow() -> None:
    ci = ("PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK")
    env = {k: v for k, v in os.environ.items() if k not in ci}
    code = (
        "import os, skillcast.tracking\n"
        "from mlflow.telemetry import get_telemetry_client\n"
        "print(os.environ['MLFLOW_DISABLE_TELEMETRY'], get_telemetry_client())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["true", "None"]
