"""MLflow glue: experiments, runs, logged models, the registry and its aliases.

The only module of skillcast that imports :mod:`mlflow`. Importing it turns MLflow's
telemetry off unless ``MLFLOW_DISABLE_TELEMETRY`` is already set.

Model versions carry the tags the retraining cycle decides with: ``data_fingerprint``
(hash of the panel trained on), ``config_hash`` (hash of the model-relevant config),
``backtest_key`` (fingerprint + backtest windows + metric), ``score_metric`` and
``score`` (the backtest score); and ``artifact_sha256``, the SHA-256 of every file of the
logged model, taken at registration.

Models are logged with the loader module :mod:`skillcast.pyfunc` of the installed
package and the saved forecaster as data: no code is stored with them. :func:`load_model`
(and :meth:`Tracker.load_pyfunc`, which the apps use) downloads a version, checks every
file against ``artifact_sha256`` before reading any, and has MLflow load it through the
installed loader module only.
"""

from __future__ import annotations

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # before mlflow reads it

import logging
import math
import re
import tempfile
import traceback
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import quote

import mlflow
import pandas as pd
import requests
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import Model, ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec
from sqlalchemy.engine import make_url

from skillcast.outputs.files import write_csv
from skillcast.panel import PanelSpec
from skillcast.persistence import PersistenceError, save_forecaster
from skillcast.persistence.integrity import (
    check_digests,
    decode_digests,
    encode_digests,
    file_digests,
)
from skillcast.workspace import FileLock, fsync_dir

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_FINGERPRINT = "data_fingerprint"
TAG_CONFIG = "config_hash"
TAG_BACKTEST = "backtest_key"
TAG_METRIC = "score_metric"
TAG_SCORE = "score"
TAG_KIND = "skillcast_kind"  # train, forecast or sweep
TAG_SWEEP = "sweep_key"
TAG_DIGESTS = "artifact_sha256"  # {"sha256": {path: hex}} of the model's files
MODEL_NAME = "model"  # name of the logged model inside a run
LOADER_MODULE = "skillcast.pyfunc"  # imported by MLflow from the environment
STATE_DIRS = ("data/forecaster", "artifacts/forecaster")  # loader-module, models-from-code
# MLflow writes this into a local artifact store's model folder when it loads the model
# through models:/ (name and version, as YAML); it is dropped unread before any check
MLFLOW_META_FILE = "registered_model_meta"
_REQUIREMENTS = ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "lightgbm", "skops")
_PARAM_LIMIT = 6000  # characters MLflow keeps of a parameter value
_MODELS_URI = re.compile(r"models:/(?P<name>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[^/]+))/?")
_RUNS_URI = re.compile(r"runs:/(?P<run_id>[0-9a-f]+)/(?P<path>.+?)/?")

log = logging.getLogger("skillcast.tracking")


def sqlite_uri(path: str | os.PathLike[str]) -> str:
    """``sqlite:////abs/path.db`` for a database file (made absolute, quoted: a ``?`` or
    ``#`` in a folder name stays part of the path)."""
    return "sqlite:///" + quote(Path(path).resolve().as_posix(), safe="/")


def pip_requirements() -> list[str]:
    """Pinned requirements of a logged skillcast model (no slow inference by MLflow)."""
    pins = [f"{name}=={metadata.version(name)}" for name in ("mlflow", *_REQUIREMENTS)]
    return [*pins, f"skillcast=={metadata.version('skillcast')}"]


def forecast_signature(spec: PanelSpec, levels: tuple[int, ...]) -> ModelSignature:
    """Input: ``horizon`` and, optionally, future rows of known exogenous drivers.

    Output: the forecast frame with periods as labels (``2026-H1``).
    """
    inputs: list[ColSpec | TensorSpec] = [
        ColSpec("long", "horizon"),
        ColSpec("string", spec.period, required=False),
    ]
    inputs += [ColSpec("string", k, required=False) for k in spec.keys]
    inputs += [ColSpec("double", c, required=False) for c in spec.known_exog]
    outputs: list[ColSpec | TensorSpec] = [ColSpec("string", k) for k in spec.keys]
    outputs += [ColSpec("string", "period"), ColSpec("long", "step"), ColSpec("double", "mean")]
    for level in levels:
        outputs += [ColSpec("double", f"lower_{level}"), ColSpec("double", f"upper_{level}")]
    return ModelSignature(inputs=Schema(inputs), outputs=Schema(outputs))


@dataclass
class Tracker:
    """One tracking store, one experiment and one registered model name."""

    uri: str
    experiment_id: str
    model_name: str

    @property
    def client(self) -> MlflowClient:
        return MlflowClient(tracking_uri=self.uri, registry_uri=self.uri)

    # ----------------------------------------------------------------- runs
    @contextmanager
    def run(
        self, run_name: str, parent_run_id: str | None = None, tags: Mapping[str, str] | None = None
    ) -> Iterator[mlflow.ActiveRun]:
        """An active run; an exception marks it FAILED with the error in tags and a file."""
        active = mlflow.start_run(
            experiment_id=self.experiment_id,
            run_name=run_name,
            parent_run_id=parent_run_id,
            tags=dict(tags or {}),
            # a child of the run in progress (a refit inside a forecast run)
            nested=mlflow.active_run() is not None,
        )
        try:
            yield active
        except BaseException as exc:
            self._record_failure(active.info.run_id, exc)
            raise
        mlflow.end_run("FINISHED")

    def _record_failure(self, run_id: str, exc: BaseException) -> None:
        """Mark the run FAILED with ``exc`` in tags and ``error.txt`` (while handling it).

        A tracking server that died during the run cannot take that: the run is ended here
        all the same, and a :class:`TrackingUnavailableError` naming the server is raised
        from ``exc`` in place of the error of the request that found it gone.
        """
        try:
            self.client.set_tag(run_id, "error_type", type(exc).__name__)
            self.client.set_tag(run_id, "error", str(exc)[:5000] or type(exc).__name__)
            self.client.log_text(run_id, traceback.format_exc(), "error.txt")
        except MlflowException as lost:
            with suppress(MlflowException):
                mlflow.end_run("FAILED")  # leaves MLflow's stack of active runs first
            if not isinstance(lost.__cause__ or lost.__context__, requests.RequestException):
                raise
            raise TrackingUnavailableError(
                f"The tracking server {self.uri} stopped answering during run {run_id}: the "
                "run stopped at the first request that failed; the server will show it RUNNING."
            ) from exc
        mlflow.end_run("FAILED")

    def sweep_parent(self, key: str, run_name: str) -> str:
        """The parent run of a multirun sweep keyed by ``key``, created on first use."""
        found = self.client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.{TAG_SWEEP} = '{_quote(key)}' and tags.{TAG_KIND} = 'sweep'",
            max_results=1,
        )
        if found:
            return found[0].info.run_id
        run = self.client.create_run(
            self.experiment_id, run_name=run_name, tags={TAG_SWEEP: key, TAG_KIND: "sweep"}
        )
        return run.info.run_id

    def close_sweep(self, key: str) -> str | None:
        """End a sweep's parent run: FAILED if any child failed, else FINISHED."""
        client = self.client
        parents = client.search_runs(
            [self.experiment_id],
            filter_string=f"tags.{TAG_SWEEP} = '{_quote(key)}' and tags.{TAG_KIND} = 'sweep'",
        )
        if not parents:
            return None
        parent_id = parents[0].info.run_id
        children = client.search_runs(
            [self.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent_id}'"
        )
        failed = any(c.info.status == "FAILED" for c in children)
        client.set_tag(parent_id, "n_jobs", str(len(children)))
        client.set_terminated(parent_id, "FAILED" if failed else "FINISHED")
        return parent_id

    # -------------------------------------------------------------- logging
    @staticmethod
    def log_params(params: Mapping[str, Any]) -> None:
        items = [(k, str(v)[:_PARAM_LIMIT]) for k, v in params.items()]
        for start in range(0, len(items), 100):  # MLflow takes at most 100 per batch
            mlflow.log_params(dict(items[start : start + 100]))

    @staticmethod
    def log_metrics(metrics: Mapping[str, float], step: int | None = None) -> None:
        finite = {k: float(v) for k, v in metrics.items() if pd.notna(v)}
        mlflow.log_metrics(finite, step=step)

    @staticmethod
    def log_text(text: str, artifact_file: str) -> None:
        mlflow.log_text(text, artifact_file)

    @staticmethod
    def log_file(path: str | os.PathLike[str], artifact_path: str | None = None) -> None:
        mlflow.log_artifact(str(path), artifact_path)

    @staticmethod
    def log_csv(frame: pd.DataFrame, artifact_file: str) -> None:
        """Log ``frame`` as a CSV written like a planner CSV (UTF-8 with a byte-order mark,
        formulas neutralised): a copy opened from the artifact store is as safe."""
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(artifact_file).name
            write_csv(frame, path)
            parent = Path(artifact_file).parent.as_posix()
            mlflow.log_artifact(str(path), None if parent == "." else parent)

    @staticmethod
    def log_figure(figure: Any, artifact_file: str) -> None:
        mlflow.log_figure(figure, artifact_file)

    @staticmethod
    def log_dataset(
        frame: pd.DataFrame,
        name: str,
        digest: str,
        context: str,
        target: str,
        tags: Mapping[str, Any] | None = None,
    ) -> None:
        """Record the panel as the run's dataset input (schema, digest, rows, ``tags``)."""
        dataset = from_pandas(frame, targets=target, name=name, digest=digest[:36])
        mlflow.log_input(
            dataset, context=context, tags={k: str(v) for k, v in (tags or {}).items()}
        )

    @staticmethod
    def log_model(forecaster: Any, spec: PanelSpec, levels: tuple[int, ...]) -> Any:
        """Log ``forecaster`` as a pyfunc model: its state as data files (``data/forecaster``),
        served by the installed :mod:`skillcast.pyfunc`; no code is stored with it."""
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            # the explicit signature stands in for an input example
            warnings.filterwarnings("ignore", message=".*input example was not provided")
            state = save_forecaster(forecaster, Path(tmp) / "forecaster")
            return mlflow.pyfunc.log_model(
                name=MODEL_NAME,
                loader_module=LOADER_MODULE,
                data_path=str(state),
                signature=forecast_signature(spec, levels),
                pip_requirements=pip_requirements(),
            )

    # ------------------------------------------------------------- registry
    def register(self, model_uri: str, tags: Mapping[str, str]) -> ModelVersion:
        """A new version of the logged model at ``model_uri``, tagged with ``tags`` and the
        SHA-256 of each of its files as stored (``artifact_sha256``)."""
        client = self.client
        with tempfile.TemporaryDirectory() as tmp:
            local = _download(client, _storage_uri(client, model_uri), tmp)
            digests = encode_digests(file_digests(local))
        return mlflow.register_model(
            model_uri, self.model_name, tags={**tags, TAG_DIGESTS: digests}
        )

    def find_version(self, fingerprint: str, config_hash: str) -> ModelVersion | None:
        """A version trained by a finished run on this data with this config, if any."""
        client = self.client
        try:
            versions = client.search_model_versions(
                f"name = '{_quote(self.model_name)}' and tags.{TAG_FINGERPRINT} = "
                f"'{fingerprint}' and tags.{TAG_CONFIG} = '{config_hash}'"
            )
        except MlflowException:
            return None
        for version in sorted(versions, key=lambda v: int(v.version), reverse=True):
            if version.run_id and client.get_run(version.run_id).info.status == "FINISHED":
                return version
        return None

    def alias_version(self, alias: str) -> ModelVersion | None:
        try:
            return self.client.get_model_version_by_alias(self.model_name, alias)
        except MlflowException:
            return None

    def version(self, number: str | int) -> ModelVersion:
        return self.client.get_model_version(self.model_name, str(number))

    def set_alias(self, alias: str, version: str | int) -> None:
        self.client.set_registered_model_alias(self.model_name, alias, str(version))

    def set_version_tag(self, version: str | int, key: str, value: str) -> None:
        self.client.set_model_version_tag(self.model_name, str(version), key, value)

    def model_uri(self, ref: str) -> tuple[str, ModelVersion | None]:
        """Resolve ``champion`` (any alias), ``7`` (a version) or a URI to load."""
        if "://" in ref or ref.startswith("models:/"):
            return ref, None
        version = self.version(ref) if ref.isdigit() else self.alias_version(ref)
        if version is None:
            raise LookupError(
                f"Registered model {self.model_name!r} has no alias {ref!r}: run skillcast-train "
                "first, or pass model_ref=<version number> / model_ref=runs:/<run_id>/model."
            )
        return f"models:/{self.model_name}/{version.version}", version

    def load_pyfunc(self, uri: str) -> Any:
        """The model at ``uri``, its files checked first (see :func:`load_model`)."""
        return load_model(uri, self.client)


def connect(
    uri: str,
    experiment: str,
    model_name: str,
    artifact_location: str | None = None,
    *,
    timeout: float | None = None,
    retries: int | None = None,
    lock_timeout: float = 600.0,
) -> Tracker:
    """Point MLflow at ``uri`` and get (or create) ``experiment``.

    ``artifact_location`` (a folder or a URI) is used when the experiment is created. A
    local SQLite store is created whole or not at all, by one process at a time
    (:func:`prepare_sqlite_store`, waiting at most ``lock_timeout`` seconds). For a
    tracking server, ``timeout`` bounds each request (seconds) and ``retries`` is how
    often a later request is retried; the first request is not retried, so a server that
    does not answer raises :class:`TrackingUnavailableError` within ``timeout``.
    """
    if _is_http(uri):
        _http_limits(timeout, retries)
    else:
        prepare_sqlite_store(uri, lock_timeout)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    found = _first_contact(uri, timeout, lambda: client.get_experiment_by_name(experiment))
    if found is None:
        location = artifact_location
        if location and "://" not in location:
            location = Path(location).resolve().as_uri()
        try:
            experiment_id = client.create_experiment(experiment, artifact_location=location)
        except MlflowException:  # created meanwhile by a concurrent job
            created = client.get_experiment_by_name(experiment)
            if created is None:
                raise
            experiment_id = created.experiment_id
    else:
        experiment_id = found.experiment_id
        if found.lifecycle_stage == "deleted":
            client.restore_experiment(experiment_id)
    return Tracker(uri=uri, experiment_id=experiment_id, model_name=model_name)


def load_model(model_uri: str, client: MlflowClient | None = None) -> Any:
    """``mlflow.pyfunc.load_model(model_uri)`` for a skillcast model, its files checked first.

    The model is downloaded once. When ``model_uri`` names a registered version
    (``models:/<name>/<version>``, ``models:/<name>@<alias>``, or ``runs:/<run_id>/model``
    of a registered run), every downloaded file is compared with the version's
    ``artifact_sha256`` tag before any is read: a file changed, added or removed in the
    artifact store raises :class:`~skillcast.persistence.ModelIntegrityError` naming it. A
    version registered before skillcast recorded digests, or a URI of no registered
    version, loads with a warning that it is unverified.

    Whatever the stored ``MLmodel`` names, the forecaster is loaded through the installed
    :mod:`skillcast.pyfunc`: no code kept in the artifact store, and no module it names,
    is run. ``client`` defaults to MLflow's current tracking and registry URIs.
    """
    client = client or MlflowClient()
    version = registered_version(client, model_uri)
    with tempfile.TemporaryDirectory() as tmp:
        if version is None:
            log.warning(
                "%s is not a registered model version: there are no recorded file digests to "
                "check it against; loading it unverified.",
                model_uri,
            )
            local = _download(client, model_uri, tmp)
        else:
            what = f"model version {version.version}"
            uri = client.get_model_version_download_uri(version.name, version.version)
            local = _download(client, uri, tmp)
            recorded = (version.tags or {}).get(TAG_DIGESTS)
            if recorded is None:
                log.warning(
                    "%s of %r was registered without file digests (before skillcast recorded "
                    "them): loading it unverified. Retrain to register a verified version.",
                    what,
                    version.name,
                )
            else:
                check_digests(local, decode_digests(recorded, what), what)
        _installed_loader(local, model_uri)
        return mlflow.pyfunc.load_model(str(local))


def registered_version(client: MlflowClient, model_uri: str) -> ModelVersion | None:
    """The registered version ``model_uri`` names, if any (``models:/<name>/<version>``,
    ``models:/<name>@<alias>``, or ``runs:/<run_id>/model`` of a registered run)."""
    found = _MODELS_URI.fullmatch(model_uri)
    if found:
        if found["version"]:
            return client.get_model_version(found["name"], found["version"])
        return client.get_model_version_by_alias(found["name"], found["alias"])
    found = _RUNS_URI.fullmatch(model_uri)
    if found and found["path"] == MODEL_NAME:
        found_versions = client.search_model_versions(f"run_id = '{_quote(found['run_id'])}'")
        # a version with digests first: the run's model is the same files whichever vouches
        ranked = sorted(found_versions, key=lambda v: TAG_DIGESTS not in (v.tags or {}))
        return ranked[0] if ranked else None
    return None


def _storage_uri(client: MlflowClient, model_uri: str) -> str:
    """Where a logged model's files are (``models:/m-<id>`` resolved): downloading through
    a ``models:/`` URI adds a ``registered_model_meta`` file of MLflow's own."""
    found = re.fullmatch(r"models:/(m-[0-9a-f]+)/?", model_uri)
    return client.get_logged_model(found[1]).artifact_location if found else model_uri


def _download(client: MlflowClient, uri: str, tmp: str) -> Path:
    local = Path(
        mlflow.artifacts.download_artifacts(
            artifact_uri=uri, dst_path=tmp, tracking_uri=client.tracking_uri
        )
    )
    (local / MLFLOW_META_FILE).unlink(missing_ok=True)
    return local


def _installed_loader(local: Path, label: str) -> None:
    """Rewrite the downloaded ``MLmodel`` so that MLflow loads the saved forecaster through
    the installed loader module, with no code path: a version logged as a model from code
    names its stored ``pyfunc.py``, which is never run."""
    state = next((d for d in STATE_DIRS if (local / d / "manifest.json").is_file()), None)
    if state is None:
        raise PersistenceError(f"{label} holds no saved skillcast forecaster.")
    meta = Model.load(str(local / "MLmodel"))
    flavor = meta.flavors.get("python_function", {})
    kept = {k: flavor[k] for k in ("env", "python_version") if k in flavor}
    meta.flavors = {"python_function": {**kept, "loader_module": LOADER_MODULE, "data": state}}
    meta.save(str(local / "MLmodel"))


def _quote(value: str) -> str:
    return value.replace("'", "\\'")


# ------------------------------------------------------------ stores and servers
_TIMEOUT_ENV = "MLFLOW_HTTP_REQUEST_TIMEOUT"
_RETRIES_ENV = "MLFLOW_HTTP_REQUEST_MAX_RETRIES"


class TrackingUnavailableError(ConnectionError):
    """The tracking server could not be reached or did not answer in time."""


def prepare_sqlite_store(uri: str, lock_timeout: float = 600.0) -> None:
    """Create the SQLite store of ``uri`` if it is missing, and open it once, holding the
    lock file ``<store>.lock`` beside it; other URIs are left alone.

    MLflow builds a new store in many steps (tables, then one migration after another):
    two processes doing it at once fail (``duplicate column name``), and one killed midway
    leaves a database MLflow cannot open. Here a new store is built in a temporary file,
    then renamed into place, and the first opening of an existing one (which may migrate
    it) happens under the lock.
    """
    path = _sqlite_path(uri)
    if path is None:
        return
    with FileLock(path.with_name(path.name + ".lock"), lock_timeout, "opening the MLflow store"):
        for stale in path.parent.glob(f".{path.name}.*.creating*"):  # of killed runs
            stale.unlink(missing_ok=True)
        if not path.exists():
            tmp = path.with_name(f".{path.name}.{os.getpid()}.creating")
            _open_store(sqlite_uri(tmp))
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.rename(tmp, path)
            fsync_dir(path.parent)
        _open_store(uri)


def _open_store(uri: str) -> None:
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_experiments(max_results=1)
    client.search_registered_models(max_results=1)
    # MLflow creates the database's folder from the URI text, still quoted ("a%3Fb" for
    # "a?b"); the store itself is where SQLAlchemy unquotes it to. Drop what it made.
    real = _sqlite_path(uri)
    literal = Path(uri.removeprefix("sqlite:///")).absolute().parent
    if real is None or literal == real.parent:
        return
    for folder in [literal, *literal.parents]:
        if folder == real.parent or folder in real.parents:
            break
        try:
            folder.rmdir()  # only ever an empty one
        except OSError:
            break


def _sqlite_path(uri: str) -> Path | None:
    """The database file of an ``sqlite:`` URI (None for other URIs and memory)."""
    if not uri.startswith("sqlite:"):
        return None
    database = make_url(uri).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database).absolute()


def _is_http(uri: str) -> bool:
    return uri.startswith(("http://", "https://"))


def _http_limits(timeout: float | None, retries: int | None) -> None:
    """MLflow reads its request timeout and retries from the environment at each request."""
    if timeout is not None:
        os.environ[_TIMEOUT_ENV] = str(max(1, math.ceil(timeout)))
    if retries is not None:
        os.environ[_RETRIES_ENV] = str(max(0, int(retries)))


def _first_contact(uri: str, timeout: float | None, call: Any) -> Any:
    """``call()``, the first request to the store: to a server, with no retry, and a
    failure to reach it as :class:`TrackingUnavailableError` (one line, no traceback)."""
    if not _is_http(uri):
        return call()
    saved = os.environ.get(_RETRIES_ENV)
    os.environ[_RETRIES_ENV] = "0"
    try:
        return call()
    except MlflowException as exc:
        cause = exc.__cause__ or exc.__context__
        if not isinstance(cause, requests.RequestException):
            raise
        limit = os.environ.get(_TIMEOUT_ENV, "120")
        # requests reports a read timeout with no retry left as a ConnectionError
        silent = isinstance(cause, requests.Timeout) or "timed out" in str(cause).lower()
        what = f"no answer within {limit} s" if silent else "cannot connect"
        raise TrackingUnavailableError(
            f"The tracking server {uri} is unavailable ({what}): check that it runs and can "
            "be reached from here, or raise tracking.timeout."
        ) from None
    finally:
        if saved is None:
            os.environ.pop(_RETRIES_ENV, None)
        else:
            os.environ[_RETRIES_ENV] = saved
