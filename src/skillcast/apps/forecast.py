"""``skillcast-forecast``: forecast the next periods with a registered model.

Loads ``models:/<name>@champion`` (or ``model_ref=<version>``, ``model_ref=<alias>``,
or ``model_ref=runs:/<run_id>/model``) through ``mlflow.pyfunc.load_model``, forecasts
``output.horizon`` periods after the last period of the latest data, and writes the
planner CSV to ``<output.dir>/<first forecast period>/forecast.csv`` and
``<output.dir>/<output.latest>``, each atomically (temporary file, then rename), the
dated file first. The CSV is logged to an MLflow run of kind ``forecast``.

When the latest data differs from the data the model was trained on (its
``data_fingerprint`` tag), ``refit=auto`` (the default) refits the model's configuration
-- the parameters of the saved forecaster -- on the latest data before forecasting;
``refit=never`` forecasts from the registered state as is; ``refit=always`` refits.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import hydra
from omegaconf import DictConfig
from sklearn.base import clone

from skillcast.apps import schema
from skillcast.apps.runtime import (
    EXIT_OK,
    check_config,
    combined_exit,
    fingerprint,
    guarded,
    labelled_frame,
    load_data,
    load_future_exog,
    report,
)
from skillcast.errors import SkillcastConfigError
from skillcast.outputs import planner_frame, write_planner_csv

log = logging.getLogger("skillcast.forecast")
REFIT_CHOICES = ("auto", "never", "always")
_CODES: list[int] = []


def run(cfg: DictConfig) -> int:
    """Run one forecast job on a composed config; return its exit code."""
    return guarded(lambda: _forecast(cfg))


def _forecast(cfg: DictConfig) -> int:
    check_config(cfg)
    if cfg.refit not in REFIT_CHOICES:
        raise SkillcastConfigError(f"refit={cfg.refit!r}; choose one of {REFIT_CHOICES}.")
    if int(cfg.output.horizon) < 1:
        raise SkillcastConfigError(f"output.horizon must be >= 1, got {cfg.output.horizon}.")
    panel = load_data(cfg.data)
    fp = fingerprint(panel)

    from skillcast import tracking

    tracker = tracking.connect(
        cfg.tracking.uri,
        cfg.tracking.experiment,
        cfg.tracking.registered_model,
        cfg.tracking.artifact_location,
    )
    try:
        uri, version = tracker.model_uri(str(cfg.model_ref))
    except LookupError as exc:
        raise SkillcastConfigError(str(exc)) from exc
    model_run_id = version.run_id if version is not None else _run_of(uri)
    trained_on = (version.tags or {}).get(tracking.TAG_FINGERPRINT) if version else None
    if trained_on is None and model_run_id:
        trained_on = tracker.client.get_run(model_run_id).data.tags.get(tracking.TAG_FINGERPRINT)
    refit = cfg.refit == "always" or (cfg.refit == "auto" and trained_on != fp.digest)
    label = version.version if version is not None else uri

    tags = {tracking.TAG_KIND: "forecast", tracking.TAG_FINGERPRINT: fp.digest}
    with tracker.run(f"forecast v{label} {fp.last}", tags=tags) as active:
        tracker.log_params(
            {"model_uri": uri, "model_version": label, "model_run_id": model_run_id or "",
             "horizon": cfg.output.horizon, "refit": refit}
        )  # fmt: skip
        tracker.log_dataset(
            labelled_frame(panel), str(cfg.data.name), fp.digest, "forecast", fp.target,
            fp.as_dict(),
        )  # fmt: skip
        forecaster = tracker.load_pyfunc(uri).unwrap_python_model().forecaster
        if refit:
            report(f"The data changed since model {label} was trained: refitting its config.")
            forecaster = clone(forecaster).fit(panel)
        future = load_future_exog(cfg.data, panel)
        forecast = forecaster.predict(int(cfg.output.horizon), exog=future)
        table = planner_frame(
            forecast,
            model_version=version.version if version is not None else "",
            run_id=model_run_id or "",
        )
        first = forecast.spec.frequency.label(forecast.frame["period"].min())
        out_dir = Path(cfg.output.dir)
        dated = write_planner_csv(table, out_dir / first / "forecast.csv")
        tracker.log_file(dated, "forecast")
        latest = write_planner_csv(table, out_dir / cfg.output.latest)
        tracker.client.set_tag(active.info.run_id, "forecast_csv", str(dated))
    report(f"Forecast of {len(table)} rows from model {label}: {dated}")
    report(f"Latest forecast: {latest}")
    return EXIT_OK


def _run_of(uri: str) -> str | None:
    """The run ID in a ``runs:/<id>/...`` URI."""
    if uri.startswith("runs:/"):
        return uri[len("runs:/") :].split("/")[0]
    return None


@hydra.main(version_base="1.3", config_path="pkg://skillcast.configs", config_name="forecast")
def _hydra_main(cfg: DictConfig) -> None:
    _CODES.append(run(cfg))


def main() -> None:
    """Console script ``skillcast-forecast``: exit 0 ok, 2 bad config, 4 bad data, 5 failed."""
    schema.register()
    _CODES.clear()
    try:
        _hydra_main()
    except SystemExit as exc:  # Hydra exits 1 on a config it cannot compose
        raise SystemExit(2 if exc.code == 1 else exc.code) from None
    sys.exit(combined_exit(_CODES))


if __name__ == "__main__":
    main()
