"""The retraining cycle against a real MLflow tracking server backed by PostgreSQL.

A module fixture starts a throwaway PostgreSQL cluster in a temporary folder (as the
``postgres`` user when run as root: initdb refuses root) and ``mlflow server`` on it,
with proxied artifacts in a scratch folder, each on a free port of 127.0.0.1; both are
stopped at the end. Every wait is bounded. The scenarios: train, promote, forecast, roll
the champion back, refuse a tampered artifact, and a server that dies mid-run.

PostgreSQL comes from Debian's ``postgresql`` package, installed by ``.ci/run``; without
it these tests fail (they are never skipped) with a message saying so.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from app_runs import named_data
from skillcast import tracking
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_ENVIRONMENT, EXIT_MODIFIED, EXIT_OK
from skillcast.persistence.integrity import decode_digests

pytestmark = pytest.mark.slow

MODEL = "skillcast-demand"
BIN = Path(sys.executable).parent
INSTALL = "apt-get update -q && apt-get install -y -q postgresql"
SMALL = ["data.max_series=30", "model=seasonal_naive", "backtest=quick", "output.horizon=2",
         "reconcile=none"]  # fmt: skip
BETTER = ["data.max_series=40", "model=ets", "backtest=quick", "output.horizon=2",
          "reconcile=none"]  # fmt: skip
FORECAST = ["data.max_series=40", "output.horizon=2"]
START_TIMEOUT = 180.0  # seconds for mlflow server to answer (its first start migrates the DB)
STEP_TIMEOUT = 120.0  # seconds for any PostgreSQL command


# ------------------------------------------------------------------ PostgreSQL
def postgres_bin(packaged: Path = Path("/usr/lib/postgresql")) -> Path:
    """The folder of initdb and pg_ctl; fails naming the install step when there is none."""
    on_path = shutil.which("pg_ctl")
    found = [Path(on_path)] if on_path else []
    found += sorted(
        packaged.glob("*/bin/pg_ctl"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
        reverse=True,
    )
    for pg_ctl in found:
        if (pg_ctl.parent / "initdb").is_file():
            return pg_ctl.parent
    pytest.fail(
        "PostgreSQL is not installed (no pg_ctl and initdb on PATH or in "
        "/usr/lib/postgresql/*/bin); the tracking-server tests need it. Run the install "
        f"step of .ci/run as root: {INSTALL}",
        pytrace=False,
    )


def require_driver() -> None:
    if importlib.util.find_spec("psycopg") is None:
        pytest.fail(
            "The PostgreSQL driver psycopg is not installed: pip install -e '.[dev]'.",
            pytrace=False,
        )


def as_postgres() -> list[str]:
    """The prefix that runs a command as the ``postgres`` user when we are root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        pytest.fail(f"No 'postgres' user to run PostgreSQL as: run {INSTALL}", pytrace=False)
    return ["runuser", "-u", "postgres", "--"]


def run_step(command: list[str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=STEP_TIMEOUT)
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    """A PostgreSQL cluster with a database ``mlflow``; yields its SQLAlchemy URI."""
    binaries = postgres_bin()
    require_driver()
    import psycopg

    prefix = as_postgres()

    def interrupt(signum, frame):
        raise KeyboardInterrupt  # pytest still tears down, so a stopped run stops both servers

    previous = signal.signal(signal.SIGTERM, interrupt)
    folder = Path(tempfile.mkdtemp(prefix="skillcast-postgres-"))
    data, port = folder / "data", free_port()
    pg_ctl = [*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-w", "-t", "60"]
    try:
        if prefix:
            shutil.chown(folder, "postgres")
        run_step(
            [*prefix, str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U",
             "postgres", "-E", "UTF8", "--no-sync"],
            "initdb",
        )  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run_step([*pg_ctl, "-l", str(folder / "postgres.log"), "-o", options, "start"], "start")
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres",
            connect_timeout=10, autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute("CREATE DATABASE mlflow")
        yield f"postgresql://postgres@127.0.0.1:{port}/mlflow"
    finally:
        if (data / "postmaster.pid").exists():
            run_step([*pg_ctl, "-m", "immediate", "stop"], "pg_ctl stop")
        shutil.rmtree(folder, ignore_errors=True)
        signal.signal(signal.SIGTERM, previous)


def test_without_postgresql_the_tests_fail_naming_the_install_step(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(pytest.fail.Exception, match=r"Run the install step of \.ci/run"):
        postgres_bin(tmp_path)


# ------------------------------------------------------------------ mlflow server
@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Signal the server's process group (uvicorn runs in a child) and wait for it."""
        group = self.process.pid
        for signal_now in (sig, signal.SIGKILL):
            try:
                os.killpg(group, signal_now)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                self.process.poll()
                try:
                    os.killpg(group, 0)
                except ProcessLookupError:
                    return
                time.sleep(0.2)
        self.process.wait(timeout=30)


def start_server(backend: str, artifacts: Path, log: Path) -> Server:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "HYDRA_"))},
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",  # no background job workers
    }
    command = [str(BIN / "mlflow"), "server", "--backend-store-uri", backend,
               "--artifacts-destination", str(artifacts), "--host", "127.0.0.1",
               "--port", str(port), "--workers", "1"]  # fmt: skip
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=artifacts.parent,
            start_new_session=True,
        )  # fmt: skip
    server = Server(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"mlflow server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    server.stop()
    pytest.fail(f"mlflow server did not answer in {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def server(postgres: str, scratch: Path) -> Iterator[Server]:
    artifacts = scratch / "artifacts"
    artifacts.mkdir()
    running = start_server(postgres, artifacts, scratch / "mlflow-server.log")
    yield running
    running.stop()


# ------------------------------------------------------------------ the cycle
def cfg(name: str, root: Path, url: str, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(
            name, overrides=[f"paths.root={root}", "tracking=server", f"tracking.uri={url}",
                             *named_data(name, overrides)],
        )  # fmt: skip


def client(url: str) -> MlflowClient:
    mlflow.set_tracking_uri(url)
    mlflow.set_registry_uri(url)
    return MlflowClient(tracking_uri=url, registry_uri=url)


def champion(url: str) -> str:
    return str(client(url).get_model_version_by_alias(MODEL, "champion").version)


def versions(url: str) -> list[str]:
    found = client(url).search_model_versions(f"name = '{MODEL}'")
    return sorted((str(v.version) for v in found), key=int)


def latest_versions(root: Path) -> set[str]:
    table = pd.read_csv(root / "forecasts" / "latest.csv", encoding="utf-8-sig", dtype=str)
    return set(table["model_version"])


def published(root: Path) -> dict[str, object]:
    """Everything under forecasts/: file bytes and link targets."""
    out: dict[str, object] = {}
    for path in sorted((root / "forecasts").rglob("*")):
        if path.is_symlink():
            out[str(path)] = os.readlink(path)
        elif path.is_file():
            out[str(path)] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def project(server: Server, scratch: Path) -> Path:
    """A project trained twice against the server: v1, then a better v2 (champion)."""
    root = scratch / "project"
    assert train_app.run(cfg("train", root, server.url, *SMALL)) == EXIT_OK
    assert champion(server.url) == "1"
    assert train_app.run(cfg("train", root, server.url, *BETTER)) == EXIT_OK
    return root


def stored(server: Server, scratch: Path, version: str) -> Path:
    """A version's files in the server's artifact folder."""
    uri = client(server.url).get_model_version_download_uri(MODEL, version)
    relative = uri.split("mlflow-artifacts:/", 1)[1].lstrip("/")
    return scratch / "artifacts" / relative


def test_train_registers_verified_versions_in_postgres(
    project: Path, server: Server, postgres: str, scratch: Path
):
    import psycopg

    assert versions(server.url) == ["1", "2"]
    assert champion(server.url) == "2"  # promoted after re-scoring v1 on the new data
    c = client(server.url)
    for number in ("1", "2"):
        version = c.get_model_version(MODEL, number)
        assert c.get_run(version.run_id).info.status == "FINISHED"
        folder = stored(server, scratch, number)
        recorded = decode_digests(version.tags[tracking.TAG_DIGESTS], number)
        assert (folder / "MLmodel").is_file() and "data/forecaster/manifest.json" in recorded
    assert not (project / "mlartifacts").exists() and not (project / "mlflow.db").exists()
    with psycopg.connect(postgres, connect_timeout=10) as connection:
        rows = connection.execute(
            "SELECT version FROM model_versions WHERE name = %s ORDER BY version", (MODEL,)
        ).fetchall()
    assert [r[0] for r in rows] == [1, 2]


def test_forecast_rollback_and_a_version_by_number(project: Path, server: Server):
    assert forecast_app.run(cfg("forecast", project, server.url, *FORECAST)) == EXIT_OK
    assert latest_versions(project) == {"2"}

    # the README's rollback: point the alias at an earlier version, forecast again
    c = client(server.url)
    c.set_registered_model_alias(MODEL, "champion", "1")
    try:
        assert forecast_app.run(cfg("forecast", project, server.url, *FORECAST)) == EXIT_OK
        assert latest_versions(project) == {"1"}
        # and model_ref=<version> through the console script, alias untouched
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HYDRA_", "MLFLOW_"))}
        done = subprocess.run(
            [str(BIN / "skillcast-forecast"), f"paths.root={project}", "tracking=server",
             f"tracking.uri={server.url}", "model_ref=2", *FORECAST],
            capture_output=True, text=True, timeout=300, env=env, cwd=project,
        )  # fmt: skip
        assert done.returncode == EXIT_OK, (done.stdout + done.stderr)[-3000:]
        assert latest_versions(project) == {"2"}
        assert champion(server.url) == "1"
    finally:
        c.set_registered_model_alias(MODEL, "champion", "2")


def test_a_tampered_artifact_on_the_server_is_refused(
    project: Path, server: Server, scratch: Path, caplog
):
    path = stored(server, scratch, "1") / "data/forecaster/arrays.npz"
    original = path.read_bytes()
    with np.load(path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    key = next(k for k, v in arrays.items() if v.dtype.kind == "f" and v.size)
    np.savez(path, allow_pickle=False, **{**arrays, key: arrays[key] + 1})
    before = published(project)
    try:
        with caplog.at_level(logging.ERROR):
            run = cfg("forecast", project, server.url, *FORECAST, "model_ref=1")
            assert forecast_app.run(run) == EXIT_MODIFIED
    finally:
        path.write_bytes(original)
    assert "model version 1 was modified after registration: data/forecaster/arrays.npz" in (
        caplog.text
    )
    assert published(project) == before


# ------------------------------------------------------------------ a server that dies
@pytest.fixture
def doomed(postgres: str, scratch: Path, server: Server) -> Iterator[Server]:
    """A second server on the same database and artifacts, for a test to kill."""
    running = start_server(postgres, scratch / "artifacts", scratch / "doomed-server.log")
    yield running
    running.stop(signal.SIGKILL)
    while mlflow.active_run() is not None:  # the run the dead server could not end
        try:
            mlflow.end_run()
        except Exception:
            pass


LIMITS = ["tracking.timeout=15", "tracking.retries=0"]


def assert_one_clear_line(caplog, dead: Server) -> None:
    """The operator reads one error line naming the server, not a traceback."""
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is None, caplog.text[-3000:]
    message = errors[0].getMessage()
    assert f"The tracking server {dead.url} stopped answering during run" in message
    assert mlflow.active_run() is None  # the dead server's run is ended here all the same


def test_a_server_dying_mid_forecast_fails_the_run_and_publishes_nothing(
    project: Path, server: Server, doomed: Server, monkeypatch, caplog
):
    real = forecast_app.forecast_tables

    def kill_then_forecast(*args, **kwargs):
        doomed.stop(signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(forecast_app, "forecast_tables", kill_then_forecast)
    before = published(project)
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        code = forecast_app.run(cfg("forecast", project, doomed.url, *FORECAST, *LIMITS))
    assert time.monotonic() - started < 120
    assert code == EXIT_ENVIRONMENT
    assert_one_clear_line(caplog, doomed)
    assert published(project) == before
    assert champion(server.url) == "2"


def test_a_server_dying_mid_training_registers_and_promotes_nothing(
    project: Path, server: Server, doomed: Server, monkeypatch, caplog
):
    real = train_app.run_backtest

    def kill_then_backtest(*args, **kwargs):
        doomed.stop(signal.SIGKILL)
        return real(*args, **kwargs)

    monkeypatch.setattr(train_app, "run_backtest", kill_then_backtest)
    other = ["data.max_series=35", *BETTER[1:]]
    with caplog.at_level(logging.INFO):
        code = train_app.run(cfg("train", project, doomed.url, *other, *LIMITS))
    assert code == EXIT_ENVIRONMENT
    assert_one_clear_line(caplog, doomed)
    assert versions(server.url) == ["1", "2"]
    assert champion(server.url) == "2"
