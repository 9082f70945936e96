"""``skillcast-forecast``: forecast the next periods with a registered model.

Loads ``models:/<name>@champion`` (or ``model_ref=<version>``, ``model_ref=<alias>``,
or ``model_ref=runs:/<run_id>/model``) with :func:`skillcast.tracking.load_model` (every
file checked against the SHA-256 digests recorded at registration, the forecaster rebuilt
by the installed skillcast), forecasts ``output.horizon`` periods after the last period
of the latest data, and writes into a new run folder
``<output.dir>/runs/<UTC stamp>_<first forecast period>_<forecast run id>/``:

* ``forecast.csv``: the planner CSV, one row per bottom series and period (reconciled
  when the model reconciles);
* ``forecast_all_levels.csv``: every aggregation level (models that reconcile only);
* ``openings.csv`` and ``supply_gap.csv``: job openings and the supply gap (the
  ``demand`` group; each only when its inputs exist);
* ``forecast_scenarios.csv``, ``scenario_drivers.csv`` and ``scenario_elasticities.csv``:
  forecasts under driver scenarios, their driver paths and the elasticities that link
  them (the ``scenarios`` group, when it names scenarios; see
  :mod:`skillcast.apps.scenario_outputs`).

Every row of every file carries the same ``forecast_run_id`` (the MLflow run of kind
``forecast`` the files are logged to) and ``created_at``. Once all are written and
logged, the folder is published as one set (:class:`skillcast.outputs.FileSet`): the
link ``<output.dir>/latest`` is swapped to it in one rename, and the fixed links
``<output.latest>`` (``latest.csv -> latest/forecast.csv``) and ``latest_<name>.csv``
for the others (``latest_all_levels.csv``, ``latest_openings.csv``,
``latest_supply_gap.csv``, ``latest_scenarios.csv``, ...) show the new set from that
instant; ``<output.dir>/<first forecast period>`` links to it too. A run that fails,
or is killed, before that swap leaves the published set as it was; a
``latest_<name>.csv`` the new set lacks is gone with the swap.

The data is never implied: ``data=project`` (the default) reads again the data source
recorded with the model version (its ``data_source`` tag), so rows added since count; a
``data`` override whose spec (keys, freq, target, measure) differs from the model's
stops with exit 2 unless ``refit=always``. The bundled sample is read only when asked
(``data=sample``).

When the latest data differs from the data the model was trained on (its
``data_fingerprint`` tag), ``refit=auto`` (the default) refits the model's configuration
-- the parameters of the saved forecaster -- on the latest data before forecasting;
``refit=never`` forecasts from the registered state as is; ``refit=always`` refits. A
refit is logged as a run of its own (kind ``refit``, the refitted model with it, nested
in the forecast run), and every row of every file says which version made it, the run
holding the fitted model (``run_id``: the refit run when refit), the last period of the
data it was fitted on (``data_through``) and whether it was refit (``refit``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from omegaconf import DictConfig
from sklearn.base import clone

from skillcast.apps.compute import cluster
from skillcast.apps.config import build, check_config, locked
from skillcast.apps.console import EXIT_OK, console_main, guarded, report
from skillcast.apps.data import (
    TAG_SOURCE,
    check_spec,
    load_future_exog,
    load_source,
    log_reports,
    recorded_data,
)
from skillcast.apps.demand_outputs import demand_outputs
from skillcast.apps.planner_outputs import (
    REPORT_FILE,
    WORKBOOK_FILE,
    emerging_metrics,
    emerging_series,
    planner_files,
    skill_tables,
    with_planner_views,
)
from skillcast.apps.scenario_outputs import (
    forecast_exog,
    scenario_metrics,
    scenario_outputs,
    scenario_paths,
)
from skillcast.errors import SkillcastConfigError
from skillcast.features.notes import feature_notes
from skillcast.lineage import fingerprint, flatten, labelled_frame
from skillcast.models.base import Forecaster
from skillcast.outputs import (
    FileSet,
    all_levels_frame,
    openings_frame,
    planner_frame,
    run_folder_name,
    supply_gap_frame,
)
from skillcast.outputs.scenario_tables import drivers_frame, elasticities_frame, scenario_frame
from skillcast.panel import Panel
from skillcast.reconcile.forecaster import ReconciledForecaster

log = logging.getLogger("skillcast.forecast")
REFIT_CHOICES = ("auto", "never", "always")
FORECAST_FILE = "forecast.csv"
#: The files beside forecast.csv, in writing order, and their latest copies' suffix.
EXTRA_FILES = {
    "forecast_all_levels.csv": "all_levels",
    "openings.csv": "openings",
    "supply_gap.csv": "supply_gap",
    "skills.csv": "skills",
    "skill_intensity.csv": "skill_intensity",
    "forecast_annual.csv": "annual",
    "openings_annual.csv": "openings_annual",
    "supply_gap_annual.csv": "supply_gap_annual",
    "forecast_scenarios.csv": "scenarios",
    "scenario_drivers.csv": "scenario_drivers",
    "scenario_elasticities.csv": "scenario_elasticities",
    REPORT_FILE: "report",
    WORKBOOK_FILE: "",
}
_CODES: list[int] = []


def run(cfg: DictConfig) -> int:
    """Run one forecast job on a composed config; return its exit code."""
    return guarded(
        lambda: locked(cfg, lambda: _forecast(cfg), "skillcast-forecast", ["output.dir"])
    )


def _forecast(cfg: DictConfig) -> int:
    resolved = check_config(cfg)
    if cfg.refit not in REFIT_CHOICES:
        raise SkillcastConfigError(f"refit={cfg.refit!r}; choose one of {REFIT_CHOICES}.")
    if int(cfg.output.horizon) < 1:
        raise SkillcastConfigError(f"output.horizon must be >= 1, got {cfg.output.horizon}.")
    current_name(str(cfg.output.latest))

    from skillcast import tracking

    tracker = build(cfg.tracking).connect()
    try:
        uri, version = tracker.model_uri(str(cfg.model_ref))
    except LookupError as exc:
        raise SkillcastConfigError(str(exc)) from exc
    model_run_id = version.run_id if version is not None else _run_of(uri)
    model_tags = dict(version.tags or {}) if version is not None else {}
    if model_run_id:
        run_tags = tracker.client.get_run(model_run_id).data.tags
        model_tags = {**run_tags, **model_tags}
    label = version.version if version is not None else uri
    what = f"model version {label}" if version is not None else f"model {uri}"
    cfg.data = recorded_data(cfg.data, model_tags.get(TAG_SOURCE), what)
    resolved = check_config(cfg)  # the demand group reads the data's supply table
    loaded = load_source(cfg.data)
    panel = loaded.panel
    fp = fingerprint(panel)
    trained_on = model_tags.get(tracking.TAG_FINGERPRINT)
    refit = cfg.refit == "always" or (cfg.refit == "auto" and trained_on != fp.digest)

    tags = {tracking.TAG_KIND: "forecast", tracking.TAG_FINGERPRINT: fp.digest}
    with tracker.run(f"forecast v{label} {fp.last}", tags=tags) as active:
        tracker.log_params(
            {"model_uri": uri, "model_version": label, "model_run_id": model_run_id or "",
             "horizon": cfg.output.horizon, "refit": refit}
        )  # fmt: skip
        tracker.log_params(flatten({"demand": resolved["demand"]}))
        tracker.log_dataset(
            labelled_frame(panel), str(cfg.data.name), fp.digest, "forecast", fp.target,
            fp.as_dict(),
        )  # fmt: skip
        if loaded.reports is not None:
            log_reports(tracker, loaded.reports)
        forecaster = tracker.load_pyfunc(uri).unwrap_python_model().forecaster
        fitted = getattr(forecaster, "panel_", None)
        if fitted is not None:
            check_spec(panel.spec, fitted.spec, what, str(cfg.refit))
        through = model_tags.get("data_through") or (fingerprint(fitted).last if fitted else "")
        fitted_run = model_run_id or ""
        if refit:
            why = "refit=always" if cfg.refit == "always" else "the data changed since"
            report(f"Refitting the configuration of {what} on the latest data ({why}).")
            with cluster(cfg.compute):  # a refit runs on the cluster, if any
                forecaster, fitted_run = refit_logged(
                    tracker, forecaster, panel, fp, label, active.info.run_id
                )
            through = fp.last
        for note in feature_notes(forecaster):  # the classification attributes it reads
            report(note)
        created_at = datetime.now(UTC).replace(microsecond=0)
        stamp = {
            "model_version": version.version if version is not None else "",
            "run_id": fitted_run,
            "data_through": through,
            "refit": refit,
            "created_at": created_at,
            "forecast_run_id": active.info.run_id,
        }
        future = load_future_exog(cfg.data, panel)
        # flagged on the data this forecast reads: a code new in it is new to planners
        flags = emerging_series(cfg.output.emerging, panel)
        tracker.log_metrics(emerging_metrics(flags))
        tracker.log_csv(flags, "data/emerging_series.csv")
        tables, first, notes = forecast_tables(
            forecaster, panel, cfg, future, stamp, emerging=flags
        )
        tables = with_planner_views(tables, panel)
        out_dir, latest = Path(cfg.output.dir), str(cfg.output.latest)
        writers = {}
        if cfg.output.report:
            writers = planner_files(
                tables, panel, out_dir, tracker, fitted_run, int(cfg.output.small_cell),
                skills=cfg.skills, emerging=flags,
            )
        if notes:
            tracker.log_text("\n\n".join(notes), "forecast/notes.txt")
        tracker.log_metrics(demand_metrics(tables, first))
        if "forecast_scenarios.csv" in tables:
            totals = scenario_metrics(tables["forecast_scenarios.csv"])
            tracker.log_metrics(totals)
            for name, total in totals.items():
                report(f"{name}: {total:,.0f}")
        folder = write_tables(
            tables, out_dir, first, latest, tracker,
            run_folder_name(created_at, first, active.info.run_id),
            keep=int(cfg.output.keep_runs), lock_timeout=float(cfg.lock_timeout),
            writers=writers,
        )  # fmt: skip
        tracker.client.set_tag(active.info.run_id, "forecast_csv", str(folder / FORECAST_FILE))
    report(f"Forecast of {len(tables[FORECAST_FILE])} rows from model {label}: {folder}")
    for name in [*tables, *writers]:
        report(f"Written: {folder / name}")
    if REPORT_FILE in writers:
        report(f"Planners' report: {out_dir / latest_name(REPORT_FILE, latest)}")
    report(f"Published as {out_dir / current_name(latest)}; latest forecast: {out_dir / latest}")
    return EXIT_OK


def refit_logged(
    tracker: Any, forecaster: Forecaster, panel: Panel, fp: Any, label: str, parent: str
) -> tuple[Forecaster, str]:
    """Refit ``forecaster``'s configuration on ``panel`` in a run of its own (kind
    ``refit``, nested in the forecast run ``parent``), the refitted model logged with it;
    return the refitted forecaster and that run's ID."""
    from skillcast import tracking

    tags = {
        tracking.TAG_KIND: "refit",
        tracking.TAG_FINGERPRINT: fp.digest,
        "model_version": str(label),
        "data_through": fp.last,
    }
    with tracker.run(f"refit v{label} {fp.last}", parent_run_id=parent, tags=tags) as run:
        refitted = clone(forecaster).fit(panel)
        levels = getattr(refitted, "levels", None) or ()
        tracker.log_model(refitted, panel.spec, tuple(levels))
        return refitted, run.info.run_id


def forecast_tables(
    forecaster: Forecaster,
    panel: Panel,
    cfg: DictConfig,
    future: Any,
    stamp: dict[str, Any],
    emerging: pd.DataFrame | None = None,
) -> tuple[dict[str, pd.DataFrame], str, list[str]]:
    """The tables to write, by file name (``forecast.csv`` first), the label of the first
    forecast period (the dated folder) and the notes of the demand and scenario steps.
    ``emerging`` (:func:`skillcast.emerging.detect_emerging`) fills every table's
    ``emerging`` columns."""
    horizon = int(cfg.output.horizon)
    # paths start where the forecast does: after the panel the model was fitted on (an
    # earlier one than the data's with refit=never)
    fitted = getattr(forecaster, "panel_", panel)
    paths = scenario_paths(cfg.scenarios, fitted, horizon, plan=future)
    reads_plan = future is not None
    future, notes = forecast_exog(cfg.scenarios, paths, future)
    for note in notes:
        report(note)
    nodes = None
    if isinstance(forecaster, ReconciledForecaster):
        nodes = forecaster.predict_all(horizon, exog=future)
        forecast = forecaster.bottom(nodes)
    else:
        forecast = forecaster.predict(horizon, exog=future)
    freq = forecast.spec.frequency
    flagged = {**stamp, "emerging": emerging}
    tables = {FORECAST_FILE: planner_frame(forecast, **flagged)}
    if nodes is not None:
        structure = forecaster.structure()
        tables["forecast_all_levels.csv"] = all_levels_frame(nodes, structure, **flagged)
    demand = demand_outputs(cfg.demand, forecast, panel)
    notes += demand.notes
    for note in demand.notes:
        report(note)
    if demand.openings is not None:
        tables["openings.csv"] = openings_frame(demand.openings, freq, **flagged)
    if demand.gap is not None and demand.gap_freq is not None:
        tables["supply_gap.csv"] = supply_gap_frame(
            demand.gap, demand.gap_freq, openings=tables.get("openings.csv"), **flagged
        )
        counts = demand.gap["assessment"].value_counts().to_dict()
        report(f"Supply gap: {len(demand.gap)} cells; {counts}")
    if demand.openings is not None:
        tables.update(skill_tables(cfg.skills, demand.openings, freq, stamp, emerging))
    if paths is not None:
        scenarios = scenario_outputs(
            cfg.scenarios, paths, forecaster, forecast, fitted, future, reads_plan, data=panel
        )
        table = scenario_frame(scenarios.forecasts, forecast, **flagged)
        tables["forecast_scenarios.csv"] = table
        tables["scenario_drivers.csv"] = drivers_frame(scenarios.paths, freq, **stamp)
        if scenarios.elasticities is not None:
            elasticities = elasticities_frame(scenarios.elasticities, **stamp)
            tables["scenario_elasticities.csv"] = elasticities
        notes += scenarios.notes
        for note in scenarios.notes:
            report(note)
    return tables, freq.label(forecast.frame["period"].min()), notes


def demand_metrics(tables: dict[str, pd.DataFrame], first: str) -> dict[str, float]:
    """Headline numbers of the demand tables for tracking across cycles: openings and
    their parts in the first forecast period, and supply-gap cells per class."""
    out: dict[str, float] = {}
    openings = tables.get("openings.csv")
    if openings is not None:
        rows = openings.loc[openings["period"] == first]
        for column in ("openings", "expansion", "replacement", "realised_hiring"):
            out[f"{column}_first_period"] = float(rows[column].sum())
    gap = tables.get("supply_gap.csv")
    if gap is not None:
        for kind, count in gap["assessment"].value_counts().items():
            out[f"gap_cells_{str(kind).replace(' ', '_')}"] = float(count)
    return out


def latest_name(file: str, latest: str) -> str:
    """The latest copy of ``file``: ``latest.csv`` for the forecast, ``latest_openings.csv``
    (the stem of ``output.latest`` + ``_`` + the table's suffix, the file's own
    extension) for the others: ``latest_report.html``, ``latest.xlsx``."""
    if file == FORECAST_FILE:
        return latest
    stem, dot, ext = latest.rpartition(".")
    if not dot:
        stem, ext = latest, ""
    own = file.rpartition(".")[2]
    if own != "csv":
        ext = own
    suffix = EXTRA_FILES[file]
    name = f"{stem}_{suffix}" if suffix else stem
    return f"{name}.{ext}" if ext else name


def current_name(latest: str) -> str:
    """The link to the current set: the stem of ``output.latest`` (``latest.csv`` ->
    ``latest``)."""
    stem, dot, _ = latest.rpartition(".")
    if not (dot and stem) or "/" in latest or latest.startswith("."):
        raise SkillcastConfigError(
            f"output.latest={latest!r}: give a file name with an extension, e.g. latest.csv."
        )
    return stem


def write_tables(
    tables: dict[str, pd.DataFrame],
    out_dir: Path,
    first: str,
    latest: str,
    tracker: Any,
    run_name: str,
    *,
    keep: int = 10,
    lock_timeout: float = 600.0,
    writers: dict[str, Any] | None = None,
) -> Path:
    """Write every table into the run folder ``<out_dir>/runs/<run_name>/``, log each to
    the tracker, then publish the folder as the current set; return the folder.

    Published: ``<out_dir>/<current_name(latest)>`` links to the folder (the one step a
    reader sees), ``latest.csv`` and ``latest_<name>.csv`` link into it (those of tables
    not produced are removed), ``<out_dir>/<first>`` too. A failure before the end changes
    none of them. ``keep`` run folders no link points at are kept.
    """
    links = {latest_name(name, latest): name for name in (FORECAST_FILE, *EXTRA_FILES)}
    current = current_name(latest)
    with FileSet(out_dir, run_name, current=current, keep=keep, lock_timeout=lock_timeout) as run:
        for name, table in tables.items():
            run.add(name, table)
        for name, write in (writers or {}).items():
            run.add_file(name, write)
        for path in run.files.values():
            tracker.log_file(path, "forecast")
        return run.publish(links, label=first)


def _run_of(uri: str) -> str | None:
    """The run ID in a ``runs:/<id>/...`` URI."""
    if uri.startswith("runs:/"):
        return uri[len("runs:/") :].split("/")[0]
    return None


@hydra.main(version_base="1.3", config_path="pkg://skillcast.configs", config_name="forecast")
def _hydra_main(cfg: DictConfig) -> None:
    _CODES.append(run(cfg))


def main() -> None:
    """Console script ``skillcast-forecast``: exit 0 ok, 2 bad config, 4 bad data, 5 failed,
    6 model modified after registration."""
    console_main(_hydra_main, _CODES, "forecast")


if __name__ == "__main__":
    main()
