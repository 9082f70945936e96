"""``skillcast-train``: backtest, fit, log, register and (maybe) promote a forecaster.

One run of the retraining cycle:

1. compose and validate the config (Hydra; exit 2 on a bad key or type), build the model;
2. load and validate the data (exit 4 on bad data), fingerprint it;
3. if a finished run already registered a version for this data fingerprint and config
   hash, stop with exit 0 (``force=true`` retrains anyway);
4. in an MLflow run (nested under the sweep's parent run in a multirun): log the resolved
   config, parameters and dataset, backtest, log the scores (overall and per horizon
   step), the backtest table and plot, and -- when the forecasts are reconciled
   (``reconcile.method`` other than ``none``) -- the accuracy per hierarchy level before
   and after reconciliation; fit the final model on all data, log it with its
   signature, register a version, log the forecast CSV;
5. promote the version to ``champion`` if it beats the champion -- or, for a periodic
   refresh (the champion's config on its series with later periods), if it scores within
   ``promotion.tolerance`` of it (see :mod:`skillcast.promotion`) -- otherwise alias it
   ``challenger`` and exit 3.

The data is never implied: ``data=project`` (the default) reads the data source the
champion was trained on again (its ``data_source`` tag); a project with no champion must
name its data (``data=sample``, ``data=csv data.path=...``, ``data=reports ...``).

A failure after the run started marks the run FAILED with the error recorded and moves
no alias (exit 5, or 4/2 for data/config errors found late). Steps 2-5 hold the project's
lock (``paths.lock``): a train or forecast of the same project started meanwhile waits
(at most ``lock_timeout`` seconds, then exit 8).
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hydra
import pandas as pd
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf
from sklearn.base import clone

from skillcast.apps.compute import cluster, distribute
from skillcast.apps.config import build, check_config, locked
from skillcast.apps.console import EXIT_OK, EXIT_REFUSED, console_main, guarded, report
from skillcast.apps.data import (
    PROJECT,
    TAG_SOURCE,
    load_future_exog,
    load_source,
    log_reports,
    recorded_data,
    source_record,
)
from skillcast.apps.planner_outputs import emerging_metrics, emerging_series
from skillcast.backtest import BacktestResult, backtest
from skillcast.errors import SkillcastConfigError
from skillcast.features.notes import feature_notes
from skillcast.lineage import config_hash, fingerprint, flatten, labelled_frame
from skillcast.metrics import evaluate
from skillcast.models.base import Forecaster
from skillcast.outputs import planner_frame, write_planner_csv
from skillcast.panel import Panel
from skillcast.promotion import Decision, check_metric, decide
from skillcast.reconcile.evaluation import (
    LevelBacktest,
    accuracy_by_level,
    level_backtest,
    level_metrics,
)
from skillcast.reconcile.forecaster import ReconciledForecaster

log = logging.getLogger("skillcast.train")

#: version tags: the series the data holds (digest of their keys) and its last period
TAG_SERIES = "data_series"
TAG_THROUGH = "data_through"
# the config sections that define a model version (with the data fingerprint)
MODEL_SECTIONS = ("model", "reconcile", "backtest", "promotion", "seed", "data_spec")
_CODES: list[int] = []  # exit codes of the jobs run by this process (several in a multirun)


def run(cfg: DictConfig, sweep_key: str | None = None) -> int:
    """Run one training job on a composed config; return its exit code.

    ``sweep_key`` (the multirun's sweep directory) nests the MLflow run under the sweep's
    parent run.
    """
    return guarded(lambda: locked(cfg, lambda: _train(cfg, sweep_key), "skillcast-train"))


def _train(cfg: DictConfig, sweep_key: str | None) -> int:
    resolved = check_config(cfg)
    check_metric(cfg.promotion.metric)
    model = build(cfg.model)
    if not isinstance(model, Forecaster):
        raise SkillcastConfigError(
            f"model builds a {type(model).__name__}, not a skillcast Forecaster."
        )
    # compute=dask: checked here, before any data is read (a pooled model is refused)
    known_keys = None if cfg.data.name == PROJECT else list(cfg.data.spec["keys"])
    model = with_reconciliation(distribute(model, cfg.compute, known_keys), cfg.reconcile)
    settings = build(cfg.tracking)
    tracker = None
    if cfg.data.name == PROJECT:  # the champion's tags say what the data is
        tracker = settings.connect()
        resolved = project_data(cfg, tracker)
    # nothing is read before the config is known to be good, and nothing is tracked
    # before the data is
    loaded = load_source(cfg.data)
    panel = loaded.panel
    future = load_future_exog(cfg.data, panel)
    fp = fingerprint(panel)
    chash = model_config_hash(resolved)

    from skillcast import tracking  # mlflow is imported only once a run is certain

    tracker = tracker or settings.connect()
    if cfg.register and not cfg.force:
        existing = tracker.find_version(fp.digest, chash)
        if existing is not None:
            aliases = ", ".join(tracker.version(existing.version).aliases) or "no alias"
            report(
                f"Version {existing.version} of {tracker.model_name!r} ({aliases}) was trained "
                f"on this data (fingerprint {fp.digest[:12]}) with this config (hash "
                f"{chash[:12]}): nothing to do. Pass force=true to retrain."
            )
            return EXIT_OK
    parent = tracker.sweep_parent(sweep_key, f"sweep {Path(sweep_key).name}") if sweep_key else None
    tags = {
        tracking.TAG_KIND: "train",
        tracking.TAG_FINGERPRINT: fp.digest,
        tracking.TAG_CONFIG: chash,
        "model_class": type(model).__name__,
        "data": str(cfg.data.name),
        "reconcile": str(cfg.reconcile.method),
    }
    if isinstance(model, ReconciledForecaster):
        tags["base_model_class"] = type(model.forecaster).__name__
    tags[TAG_SOURCE] = source_record(cfg.data)
    run_name = f"train {type(model).__name__} {fp.last}"
    with tracker.run(run_name, parent_run_id=parent, tags=tags) as active:
        run_id = active.info.run_id
        if loaded.reports is not None:
            counts = log_reports(tracker, loaded.reports)
            report(f"Enterprise reports: {', '.join(f'{k} {v:,.0f}' for k, v in counts.items())}")
        with cluster(cfg.compute):  # backtest and final fit on the cluster, if any
            return _logged_run(cfg, resolved, model, panel, future, fp, chash, tracker, run_id)


def _logged_run(
    cfg: DictConfig,
    resolved: dict[str, Any],
    model: Forecaster,
    panel: Panel,
    future: pd.DataFrame | None,
    fp: Any,
    chash: str,
    tracker: Any,
    run_id: str,
) -> int:
    from skillcast import tracking

    tracker.log_text(OmegaConf.to_yaml(resolved), "config/resolved.yaml")
    tracker.log_params(flatten(resolved))
    tracker.log_params({f"data.fingerprint.{k}": v for k, v in fp.as_dict().items()})
    source = str(cfg.data.path or (cfg.data.loader or {}).get("_target_", cfg.data.name))
    tracker.log_dataset(
        labelled_frame(panel), str(cfg.data.name), fp.digest, "training", fp.target,
        {**fp.as_dict(), "source": source},
    )  # fmt: skip
    # new codes and cells are named at each run, before their few periods are modelled
    emerging = emerging_series(cfg.output.emerging, panel)
    tracker.log_metrics(emerging_metrics(emerging))
    tracker.log_csv(emerging, "data/emerging_series.csv")

    bt = cfg.backtest
    result, levels = run_backtest(model, panel, cfg)
    metric = cfg.promotion.metric
    score = log_backtest(tracker, result, metric)
    report(f"Backtest {metric} = {score:.6g} ({bt.n_windows} window(s), horizon {bt.horizon})")
    if levels is not None:
        log_levels(tracker, levels)

    final = clone(model).fit(panel)
    for note in feature_notes(final):  # which attributes of the classification tables it read
        report(note)
    forecast = final.predict(cfg.output.horizon, exog=future)
    info = tracker.log_model(final, panel.spec, forecast.levels)
    if not cfg.register:
        log_forecast(tracker, planner_frame(forecast, run_id=run_id))
        report(f"Run {run_id}: model logged, not registered (register=false).")
        return EXIT_OK

    backtest_key = config_hash(
        {"data": fp.digest, "horizon": bt.horizon, "n_windows": bt.n_windows, "step": bt.step,
         "refit": bt.refit, "metric": metric},
        ("data", "horizon", "n_windows", "step", "refit", "metric"),
    )  # fmt: skip
    version = tracker.register(
        info.model_uri,
        {
            tracking.TAG_FINGERPRINT: fp.digest,
            tracking.TAG_CONFIG: chash,
            tracking.TAG_BACKTEST: backtest_key,
            tracking.TAG_METRIC: metric,
            tracking.TAG_SCORE: repr(float(score)),
            "run_id": run_id,
            TAG_SOURCE: source_record(cfg.data),
            TAG_SERIES: fp.series_digest,
            TAG_THROUGH: fp.last,
        },
    )
    log_forecast(
        tracker,
        planner_frame(forecast, model_version=version.version, run_id=run_id, data_through=fp.last),
    )

    champion = tracker.alias_version(tracking.CHAMPION)
    rescore = rescorer(tracker, panel, cfg, metric)
    if champion is not None and (champion.tags or {}).get(tracking.TAG_CONFIG) == chash:
        # the champion's own configuration: backtesting it again on this data and these
        # windows would repeat this run's backtest, number for number
        rescore = same_config(tracker, score)
    decision = decide(
        score,
        champion,
        backtest_key,
        bool(cfg.promotion.greater_is_better),
        rescore,
        refresh=is_refresh(champion, chash, fp),
        tolerance=float(cfg.promotion.tolerance),
    )
    return move_alias(tracker, version, decision, run_id)


def is_refresh(champion: Any, chash: str, fp: Any) -> bool:
    """Whether a version of config ``chash`` on data ``fp`` is a periodic refresh of the
    champion: the same config, the champion's series, a later last period."""
    if champion is None:
        return False
    tags = champion.tags or {}
    from skillcast import tracking

    return tags.get(tracking.TAG_CONFIG) == chash and bool(
        fp.extends(tags.get(TAG_THROUGH, ""), tags.get(TAG_SERIES, ""))
    )


def project_data(cfg: DictConfig, tracker: Any) -> dict[str, Any]:
    """Point ``cfg.data`` at the data source the champion was trained on (``data=project``);
    return the config resolved again."""
    from skillcast import tracking

    champion = tracker.alias_version(tracking.CHAMPION)
    label = f"champion v{champion.version}" if champion else None
    tags = (champion.tags or {}) if champion else {}
    cfg.data = recorded_data(cfg.data, tags.get(TAG_SOURCE), label)
    report(f"data=project: reading the data {label} was trained on (data={cfg.data.name}).")
    return check_config(cfg)


def model_config_hash(resolved: dict[str, Any]) -> str:
    """The hash of the config sections that define a model version."""
    return config_hash({**resolved, "data_spec": resolved["data"]["spec"]}, MODEL_SECTIONS)


def with_reconciliation(model: Forecaster, reconcile: DictConfig) -> Forecaster:
    """``model`` completed into the wrapper the ``reconcile`` node builds (a partial
    :class:`ReconciledForecaster`), unless ``reconcile.method`` is ``none``."""
    if reconcile.get("method") == "none":
        return model
    wrapped = build(reconcile)(forecaster=model)
    if not isinstance(wrapped, Forecaster):
        raise SkillcastConfigError(
            f"reconcile builds a {type(wrapped).__name__}, not a skillcast Forecaster."
        )
    return wrapped


def run_backtest(
    model: Forecaster, panel: Panel, cfg: DictConfig
) -> tuple[BacktestResult, LevelBacktest | None]:
    """The backtest the gate scores: of the bottom series as published (reconciled when
    ``model`` reconciles, with every level's base and reconciled forecasts alongside)."""
    bt = cfg.backtest
    if isinstance(model, ReconciledForecaster):
        levels = level_backtest(model, panel, bt.horizon, bt.n_windows, bt.step, bt.refit)
        if set(levels.methods_used) != {model.method}:
            report(
                f"Reconciliation fell back to wls_struct in some windows (too few residuals):"
                f" {levels.methods_used}",
                logging.WARNING,
            )
        return levels.bottom, levels
    return backtest(model, panel, bt.horizon, bt.n_windows, step=bt.step, refit=bt.refit), None


def log_levels(tracker: Any, levels: LevelBacktest) -> pd.DataFrame:
    """Log accuracy per hierarchy level, base and reconciled: a table and metrics."""
    table = accuracy_by_level(levels)
    tracker.log_csv(table, "backtest/accuracy_by_level.csv")
    tracker.log_metrics(level_metrics(table))
    bottom = table.loc[table["aggregation"] == "bottom"].set_index("forecast")
    report(
        f"Reconciliation ({levels.method}): bottom MASE {bottom.loc['base', 'mase']:.4g} (base)"
        f" -> {bottom.loc['reconciled', 'mase']:.4g} (reconciled)"
    )
    return table


def log_backtest(tracker: Any, result: BacktestResult, metric: str) -> float:
    """Log scores (overall and per step), tables and the plot; return the gate's score."""
    from skillcast.outputs.plots import backtest_figure

    overall = evaluate(result)
    by_step = evaluate(result, by="step")
    numeric = [c for c in overall.columns if pd.api.types.is_numeric_dtype(overall[c])]
    tracker.log_metrics({f"backtest_{c}": overall[c].iloc[0] for c in numeric})
    for _, row in by_step.iterrows():
        step = int(row["step"])
        tracker.log_metrics({f"backtest_{c}_by_step": row[c] for c in numeric}, step=step)
        tracker.log_metrics({f"step{step}_{c}": row[c] for c in ("mae", "wape", "mase")})
    table = result.frame.copy()
    freq = result.panel.freq
    for column in ("origin", "period"):
        table[column] = freq.labels(pd.PeriodIndex(table[column]))
    tracker.log_csv(table, "backtest/backtest.csv")
    tracker.log_csv(overall, "backtest/metrics_overall.csv")
    tracker.log_csv(by_step, "backtest/metrics_by_step.csv")
    tracker.log_figure(backtest_figure(result), "plots/backtest_largest_series.png")
    if metric not in overall.columns:
        raise SkillcastConfigError(f"The backtest has no score {metric!r} (no such level?).")
    return float(overall[metric].iloc[0])


def log_forecast(tracker: Any, table: pd.DataFrame) -> None:
    """Log the planner CSV (same bytes as the file skillcast-forecast writes)."""
    with tempfile.TemporaryDirectory() as tmp:
        tracker.log_file(write_planner_csv(table, Path(tmp) / "forecast.csv"), "forecast")


def rescorer(tracker: Any, panel: Panel, cfg: DictConfig, metric: str) -> Callable[[Any], float]:
    """Backtest a registered version's configuration on ``panel`` with ``cfg.backtest``."""

    def rescore(version: Any) -> float:
        uri = f"models:/{tracker.model_name}/{version.version}"
        forecaster = tracker.load_pyfunc(uri).unwrap_python_model().forecaster
        result, _ = run_backtest(clone(forecaster), panel, cfg)
        return float(evaluate(result)[metric].iloc[0])

    return rescore


def same_config(tracker: Any, score: float) -> Callable[[Any], float]:
    """The re-score of a champion with this run's config hash: this run's own score, once
    the champion's files pass their check (a champion changed in the store is kept and
    named, as when it is backtested again)."""

    def rescore(version: Any) -> float:
        tracker.load_pyfunc(f"models:/{tracker.model_name}/{version.version}")
        return score

    return rescore


def move_alias(tracker: Any, version: Any, decision: Decision, run_id: str) -> int:
    """Alias the version ``champion`` or ``challenger``; tag both the run and the version."""
    from skillcast import tracking

    alias = tracking.CHAMPION if decision.promote else tracking.CHALLENGER
    tracker.set_version_tag(version.version, "promotion", decision.kind)
    tracker.set_version_tag(version.version, "promotion_reason", decision.reason)
    tracker.client.set_tag(run_id, "promoted", str(decision.promote).lower())
    tracker.client.set_tag(run_id, "promotion", decision.kind)
    tracker.client.set_tag(run_id, "promotion_reason", decision.reason)
    if decision.champion_score is not None:
        tracker.log_metrics({"champion_score": decision.champion_score})
    tracker.set_alias(alias, version.version)
    name = tracker.model_name
    if decision.promote:
        report(f"Promoted {name!r} version {version.version} to champion: {decision.reason}.")
        return EXIT_OK
    report(
        f"Promotion refused: {name!r} version {version.version} is the challenger; "
        f"{decision.reason}. The champion is unchanged."
    )
    return EXIT_REFUSED


@hydra.main(version_base="1.3", config_path="pkg://skillcast.configs", config_name="train")
def _hydra_main(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    sweep_key = str(Path(hc.sweep.dir).resolve()) if hc.mode == RunMode.MULTIRUN else None
    _CODES.append(run(cfg, sweep_key=sweep_key))


def main() -> None:
    """Console script ``skillcast-train``: exit codes as documented in runtime."""
    console_main(_hydra_main, _CODES, "train")


if __name__ == "__main__":
    main()
