"""MLflow glue: experiments, runs, logged models, the registry and its aliases.

The only module of skillcast that imports :mod:`mlflow` at import time (the pyfunc model
file imports it too, but only MLflow loads that). Importing it turns MLflow's telemetry
off unless ``MLFLOW_DISABLE_TELEMETRY`` is already set.

Model versions carry the tags the retraining cycle decides with: ``data_fingerprint``
(hash of the panel trained on), ``config_hash`` (hash of the model-relevant config),
``backtest_key`` (fingerprint + backtest windows + metric), ``score_metric`` and
``score`` (the backtest score).
"""

from __future__ import annotations

import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # before mlflow reads it

import tempfile
import traceback
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.data.pandas_dataset import from_pandas
from mlflow.entities.model_registry import ModelVersion
from mlflow.exceptions import MlflowException
from mlflow.models import ModelSignature
from mlflow.types import ColSpec, Schema, TensorSpec

from skillcast.panel import PanelSpec
from skillcast.persistence import save_forecaster

CHAMPION = "champion"
CHALLENGER = "challenger"
TAG_FINGERPRINT = "data_fingerprint"
TAG_CONFIG = "config_hash"
TAG_BACKTEST = "backtest_key"
TAG_METRIC = "score_metric"
TAG_SCORE = "score"
TAG_KIND = "skillcast_kind"  # train, forecast or sweep
TAG_SWEEP = "sweep_key"
MODEL_NAME = "model"  # name of the logged model inside a run
PYFUNC_FILE = Path(__file__).with_name("pyfunc.py")
_REQUIREMENTS = ("numpy", "pandas", "pyarrow", "scipy", "scikit-learn", "lightgbm", "skops")
_PARAM_LIMIT = 6000  # characters MLflow keeps of a parameter value


def sqlite_uri(path: str | os.PathLike[str]) -> str:
    """``sqlite:////abs/path.db`` for a database file (made absolute)."""
    return "sqlite:///" + Path(path).resolve().as_posix()


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
        )
        try:
            yield active
        except BaseException as exc:
            run_id = active.info.run_id
            self.client.set_tag(run_id, "error_type", type(exc).__name__)
            self.client.set_tag(run_id, "error", str(exc)[:5000] or type(exc).__name__)
            self.client.log_text(run_id, traceback.format_exc(), "error.txt")
            mlflow.end_run("FAILED")
            raise
        mlflow.end_run("FINISHED")

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
    def log_csv(frame: pd.DataFrame, artifact_file: str, encoding: str = "utf-8") -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / Path(artifact_file).name
            frame.to_csv(path, index=False, encoding=encoding)
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
        """Log ``forecaster`` as a pyfunc model from code; its state as safe artifacts."""
        with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
            # the explicit signature stands in for an input example
            warnings.filterwarnings("ignore", message=".*input example was not provided")
            state = save_forecaster(forecaster, Path(tmp) / "forecaster")
            return mlflow.pyfunc.log_model(
                name=MODEL_NAME,
                python_model=str(PYFUNC_FILE),
                artifacts={"forecaster": str(state)},
                signature=forecast_signature(spec, levels),
                pip_requirements=pip_requirements(),
            )

    # ------------------------------------------------------------- registry
    def register(self, model_uri: str, tags: Mapping[str, str]) -> ModelVersion:
        return mlflow.register_model(model_uri, self.model_name, tags=dict(tags))

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

    @staticmethod
    def load_pyfunc(uri: str) -> Any:
        return mlflow.pyfunc.load_model(uri)


def connect(
    uri: str, experiment: str, model_name: str, artifact_location: str | None = None
) -> Tracker:
    """Point MLflow at ``uri`` and get (or create) ``experiment``.

    ``artifact_location`` (a folder or a URI) is used when the experiment is created.
    """
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    found = client.get_experiment_by_name(experiment)
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


def _quote(value: str) -> str:
    return value.replace("'", "\\'")
