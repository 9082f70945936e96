"""Reconciled forecasts, openings and supply gaps in the apps, end to end and in parts.

A module fixture trains a reconciled model (seasonal naive on every node, MinT shrinkage,
30 series of the sample, one backtest window) and forecasts four half-years once; tests
that change the project work on a copy of it (see ``test_apps.py`` for the registry).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient
from sklearn.base import clone

from app_runs import named_data
from skillcast import tracking
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_CONFIG, EXIT_DATA, EXIT_FAILED, EXIT_OK, EXIT_REFUSED
from skillcast.apps.data import load_data
from skillcast.apps.demand_outputs import demand_outputs, expansion_mode
from skillcast.apps.forecast import latest_name
from skillcast.backtest import backtest
from skillcast.datasets import load_sample
from skillcast.demand import ReplacementRates, job_openings, make_supply_table, supply_gap
from skillcast.errors import SkillcastConfigError
from skillcast.metrics import evaluate
from skillcast.models import SeasonalNaive
from skillcast.outputs import (
    ALL_LEVELS_COLUMNS,
    OPENINGS_COLUMNS,
    SUPPLY_GAP_COLUMNS,
    files,
    openings_frame,
)
from skillcast.outputs.scenario_tables import SCENARIO_COLUMNS
from skillcast.panel import Panel, PanelSpec, load_panel
from skillcast.persistence import load_forecaster, save_forecaster
from skillcast.reconcile.evaluation import accuracy_by_level, level_backtest, node_windows
from skillcast.reconcile.forecaster import ReconciledForecaster, held_series, usable_aggregations

TRAIN = ["data.max_series=30", "model=seasonal_naive", "backtest=quick", "output.horizon=4"]
# the sample's supply covers the whole city: the 30 series get graduates of their own
FORECAST = ["data.max_series=30", "output.horizon=4", "demand.supply=${paths.root}/supply.csv"]
NAMES = ("forecast.csv", "forecast_all_levels.csv", "openings.csv", "supply_gap.csv")
LATEST = ("latest.csv", "latest_all_levels.csv", "latest_openings.csv", "latest_supply_gap.csv")


def cfg(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *named_data(name, overrides)])


def client(root: Path) -> MlflowClient:
    uri = f"sqlite:///{root}/mlflow.db"
    mlflow.set_tracking_uri(uri)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def runs(root: Path, kind: str) -> list:
    c = client(root)
    exp = c.get_experiment_by_name("skillcast")
    return c.search_runs(
        [exp.experiment_id],
        filter_string=f"tags.skillcast_kind = '{kind}'",
        order_by=["start_time ASC"],
    )


def read(path: Path) -> pd.DataFrame:
    codes = {"occupation": str, "sector": str, "level": str, "period": str}
    return pd.read_csv(path, encoding="utf-8-sig", dtype=codes, keep_default_na=False)


def numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(frame[column].replace("", np.nan)).to_numpy(dtype=float)


def snapshot(folder: Path) -> dict[Path, bytes | str]:
    """Every file (its bytes) and link (its target) under ``folder``, links not followed;
    the lock file's note of its last holder left out."""
    out: dict[Path, bytes | str] = {}
    for parent, folders, names in os.walk(folder):
        for name in [*folders, *names]:
            path = Path(parent) / name
            if path.is_symlink():
                out[path] = os.readlink(path)
            elif path.is_file() and name != ".lock":
                out[path] = path.read_bytes()
    return out


@pytest.fixture(scope="module")
def base(scratch: Path) -> Path:
    root = scratch / "base"
    root.mkdir()
    subset = load_data(cfg("train", root, *TRAIN).data)
    make_supply_table(subset, seed=0).to_csv(root / "supply.csv", index=False)
    assert train_app.run(cfg("train", root, *TRAIN)) == EXIT_OK
    assert forecast_app.run(cfg("forecast", root, *FORECAST)) == EXIT_OK
    return root


@pytest.fixture(scope="module")
def champion(base: Path) -> ReconciledForecaster:
    client(base)
    model = mlflow.pyfunc.load_model("models:/skillcast-demand@champion")
    return model.unwrap_python_model().forecaster


@pytest.fixture(scope="module")
def panel(base: Path) -> Panel:
    return load_data(cfg("forecast", base, "data=sample", *FORECAST).data)


@pytest.fixture
def project(base: Path, scratch: Path, request: pytest.FixtureRequest) -> Path:
    root = scratch / re.sub(r"\W", "_", request.node.name)  # Hydra overrides reject "["
    shutil.copytree(
        base, root, symlinks=True, ignore=shutil.ignore_patterns("mlartifacts", "outputs")
    )
    return root


# ------------------------------------------------------------------ end to end
def test_forecast_writes_all_tables_dated_and_latest(base: Path) -> None:
    folder = base / "forecasts"
    for name, latest in zip(NAMES, LATEST, strict=True):
        dated = folder / "2026-H1" / name
        assert dated.read_bytes() == (folder / latest).read_bytes()
        assert dated.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(read(folder / "latest_all_levels.csv").columns) == list(ALL_LEVELS_COLUMNS)
    assert list(read(folder / "latest_openings.csv").columns) == list(OPENINGS_COLUMNS)
    assert list(read(folder / "latest_supply_gap.csv").columns) == list(SUPPLY_GAP_COLUMNS)
    forecast = read(folder / "latest.csv")
    assert len(forecast) == 30 * 4
    assert sorted(set(forecast["period"])) == ["2026-H1", "2026-H2", "2027-H1", "2027-H2"]
    (run,) = runs(base, "forecast")
    names = {a.path for a in client(base).list_artifacts(run.info.run_id, "forecast")}
    assert {f"forecast/{n}" for n in NAMES} <= names
    assert run.data.params["demand.expansion"] == "auto"
    openings = read(folder / "latest_openings.csv")
    first = openings.loc[openings["period"] == "2026-H1"]
    assert run.data.metrics["openings_first_period"] == numbers(first, "openings").sum()
    gap = read(folder / "latest_supply_gap.csv")
    shortages = (gap["assessment"] == "possible shortage").sum()
    assert run.data.metrics.get("gap_cells_possible_shortage", 0) == shortages


def test_reconciled_forecast_csv_adds_up(base: Path, champion, panel: Panel) -> None:
    folder = base / "forecasts"
    every = read(folder / "latest_all_levels.csv")
    assert list(pd.unique(every["aggregation"])) == [
        "total", "sector", "occupation_major", "level", "bottom"
    ]  # fmt: skip
    bottom = every.loc[every["aggregation"] == "bottom"].reset_index(drop=True)
    planner = read(folder / "latest.csv")
    keys = ["period", "sector", "occupation", "level"]
    joined = planner.merge(bottom, on=keys, suffixes=("", "_all"), validate="one_to_one")
    assert len(joined) == len(planner)
    np.testing.assert_array_equal(numbers(joined, "forecast"), numbers(joined, "forecast_all"))
    # every aggregate row is the sum of the bottom rows it covers, exactly
    b = bottom.assign(major=bottom["occupation"].str[:1], value=numbers(bottom, "forecast"))
    rows = every.loc[every["aggregation"] != "bottom"]
    for row in rows.itertuples(index=False):
        covered = b["period"] == row.period
        for key, column in (("sector", "sector"), ("occupation", "major"), ("level", "level")):
            code = getattr(row, key)
            covered &= (b[column] == code) | (code == "*")
        assert float(row.forecast) == b.loc[covered, "value"].sum()
        assert float(row.lower_95) <= float(row.lower_80) <= float(row.forecast)
        assert float(row.forecast) <= float(row.upper_80) <= float(row.upper_95)
    total = rows.loc[rows["aggregation"] == "total"]
    assert set(total["sector_name_en"]) == {"All"} and set(total["level_name_vi"]) == {"Tất cả"}
    # the unrounded reconciled forecasts are coherent and the planner CSV rounds them
    nodes = champion.predict_all(4)
    structure = champion.structure()
    mean = nodes.frame["mean"].to_numpy().reshape(structure.n_total, 4)
    assert structure.coherence_error(mean) < 1e-6 * mean.max()
    want = np.floor(champion.predict(4).frame["mean"].to_numpy() + 0.5)
    order = planner.sort_values(["sector", "occupation", "level", "period"], kind="stable")
    np.testing.assert_array_equal(numbers(order, "forecast"), want)


def test_openings_are_expansion_plus_replacement(base: Path, champion, panel: Panel) -> None:
    table = read(base / "forecasts" / "latest_openings.csv")
    assert len(table) == 30 * 4 and set(table["measure"]) == {"stock"}
    expansion, replacement = numbers(table, "expansion"), numbers(table, "replacement")
    change = numbers(table, "change")
    np.testing.assert_array_equal(numbers(table, "openings"), expansion + replacement)
    np.testing.assert_array_equal(expansion, np.maximum(change, 0))
    np.testing.assert_array_equal(numbers(table, "contraction"), np.maximum(-change, 0))
    np.testing.assert_array_equal(numbers(table, "realised_hiring"), expansion + replacement)
    assert (numbers(table, "openings_lower_80") <= numbers(table, "openings")).all()
    assert (numbers(table, "openings_upper_95") >= numbers(table, "openings_upper_80")).all()
    # the same numbers as job_openings on the reconciled forecast, change over a year
    want = job_openings(champion.predict(4), panel, ReplacementRates.default(), expansion="annual")
    labels = panel.freq.labels(pd.PeriodIndex(want["period"]))
    want = want.assign(period=labels).merge(table, on=["period", "sector", "occupation", "level"])
    assert len(want) == len(table)
    np.testing.assert_array_equal(
        numbers(want, "expansion_y"), np.maximum(np.floor(want["change_x"] + 0.5), 0)
    )
    np.testing.assert_array_equal(
        numbers(want, "replacement_y"), np.floor(want["replacement_x"] + 0.5)
    )
    np.testing.assert_allclose(
        numbers(want, "replacement_rate_y"), want["replacement_rate_x"], atol=5e-5
    )


def test_supply_gap_puts_shortages_first_and_gaps_add_up(base: Path, champion, panel) -> None:
    table = read(base / "forecasts" / "latest_supply_gap.csv")
    rank = table["gap_class"].map({"shortage": 0, "balance": 1, "surplus": 2})
    assert table["period"].is_monotonic_increasing
    for _, part in table.assign(rank=rank).groupby("period", sort=False):
        assert part["rank"].is_monotonic_increasing  # shortages, then balance, then surplus
    assert (table["gap_class"] == "shortage").any()
    gap, supply, point = numbers(table, "gap"), numbers(table, "supply"), numbers(table, "openings")
    np.testing.assert_array_equal(gap, point - supply)
    ratio = numbers(table, "ratio")
    assert (ratio[table["gap_class"] == "shortage"] > 1.1).all()
    assert (ratio[table["gap_class"] == "surplus"] < 0.9).all()
    likely = table["likely_shortage"].astype(str) == "True"
    assert (likely == (table["assessment"] == "likely shortage")).all()
    # the cells and numbers of supply_gap on the reconciled forecast's openings
    openings = job_openings(champion.predict(4), panel, expansion="annual")
    supply = pd.read_csv(base / "supply.csv", dtype={"occupation": str})
    want = supply_gap(openings, supply, column="realised_hiring")
    assert len(want) == len(table)
    want = want.assign(period=panel.freq.labels(pd.PeriodIndex(want["period"])))
    merged = want.merge(table, on=["period", "occupation", "level"], validate="one_to_one")
    np.testing.assert_array_equal(
        numbers(merged, "openings_y"), np.floor(merged["openings_x"] + 0.5)
    )
    assert (merged["gap_class_x"] == merged["gap_class_y"]).all()


def test_training_logs_accuracy_per_hierarchy_level(base: Path, panel: Panel) -> None:
    (run,) = runs(base, "train")
    tags, metrics = run.data.tags, run.data.metrics
    assert tags["model_class"] == "ReconciledForecaster" and tags["reconcile"] == "mint_shrink"
    assert tags["base_model_class"] == "SeasonalNaive"
    # the gate scores the reconciled bottom series, as published
    assert metrics["recon_bottom_mase"] == pytest.approx(metrics["backtest_mase"], rel=1e-12)
    for level in ("total", "sector", "occupation_major", "level", "bottom"):
        for kind in ("base", "recon"):
            assert f"{kind}_{level}_wape" in metrics and f"{kind}_{level}_hit_rate" in metrics
    model = ReconciledForecaster(SeasonalNaive())
    want = accuracy_by_level(level_backtest(model, panel, horizon=1, n_windows=1))
    assert metrics["base_sector_mase"] == pytest.approx(
        want.query("aggregation == 'sector' and forecast == 'base'")["mase"].iloc[0], rel=1e-12
    )
    local = mlflow.artifacts.download_artifacts(
        run_id=run.info.run_id, artifact_path="backtest/accuracy_by_level.csv",
        dst_path=str(base / "dl"),
    )  # fmt: skip
    table = pd.read_csv(local)
    assert len(table) == 10 and set(table["forecast"]) == {"base", "reconciled"}


def test_crash_while_writing_openings_keeps_every_latest_file(project: Path, monkeypatch) -> None:
    folder = project / "forecasts"
    before = snapshot(folder)
    assert all(folder / name in before for name in LATEST)
    real = files.write_csv

    def flaky(table: pd.DataFrame, path: Path) -> None:
        if Path(path).name == "openings.csv":
            Path(path).write_bytes(b"\xef\xbb\xbfperiod,reg")  # half a file, then the disk fills
            raise OSError("disk full")
        real(table, path)

    monkeypatch.setattr(files, "write_csv", flaky)
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_FAILED
    assert snapshot(folder) == before  # nothing renamed, no temporary file left
    failed = runs(project, "forecast")[-1]
    assert failed.info.status == "FAILED" and failed.data.tags["error"] == "disk full"


def test_failure_after_every_file_is_written_keeps_latest_files(project: Path, monkeypatch) -> None:
    folder = project / "forecasts"
    before = {name: (folder / name).read_bytes() for name in LATEST}

    def broken(*args, **kwargs):
        raise RuntimeError("tracking server gone")

    monkeypatch.setattr(tracking.Tracker, "log_file", staticmethod(broken))
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_FAILED
    assert {name: (folder / name).read_bytes() for name in LATEST} == before
    assert not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]
    assert len([p for p in (folder / "runs").iterdir() if p.is_dir()]) == 1  # none added


def test_forecast_without_supply_drops_the_gap_and_its_latest_copy(project: Path) -> None:
    folder = project / "forecasts"
    overrides = [*FORECAST, "demand.supply=null"]
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    written = sorted(p.name for p in (folder / "2026-H1").iterdir())
    assert written == sorted([*NAMES[:3], "forecast_annual.csv", "openings_annual.csv",
                              "report.html", "forecast.xlsx", "skills.csv",
                              "skill_intensity.csv"])  # fmt: skip
    assert not (folder / "latest_supply_gap.csv").exists()  # no stale gap from a past run
    assert (folder / "latest_openings.csv").exists()
    assert forecast_app.run(cfg("forecast", project, *FORECAST, "demand=off")) == EXIT_OK
    assert not (folder / "latest_openings.csv").exists()
    assert (folder / "latest_all_levels.csv").exists()


def test_changed_data_refits_the_reconciled_model(project: Path) -> None:
    overrides = ["data.max_series=25", "output.horizon=2", "demand=off"]
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    assert runs(project, "forecast")[-1].data.params["refit"] == "True"
    folder = project / "forecasts"
    assert len(read(folder / "latest.csv")) == 25 * 2
    every = read(folder / "latest_all_levels.csv")
    bottom = every["aggregation"] == "bottom"
    total = every.loc[every["aggregation"] == "total"].set_index("period")["forecast"]
    sums = every.loc[bottom].groupby("period")["forecast"].apply(lambda f: f.astype(int).sum())
    assert total.astype(int).to_dict() == sums.to_dict()
    panel = load_data(cfg("forecast", project, "data=sample", *overrides).data)
    want = ReconciledForecaster(SeasonalNaive()).fit(panel).predict(2).frame["mean"]
    got = read(folder / "latest.csv").sort_values(["sector", "occupation", "level", "period"])
    np.testing.assert_array_equal(numbers(got, "forecast"), np.floor(want.to_numpy() + 0.5))


# ---------------------------------------------------------------------- parts
@pytest.fixture(scope="module")
def small() -> Panel:
    full = load_sample()
    keep = full.series_id < 40
    return Panel(full.spec, full.frame.loc[keep].reset_index(drop=True))


def test_reconciled_forecaster_is_coherent_holds_intermittent_and_keeps_widths(small) -> None:
    model = ReconciledForecaster(SeasonalNaive()).fit(small)
    # calibrated in-sample errors: one per period of history
    assert model.residuals_.shape == (model.structure().n_total, small.n_periods)
    backtested = ReconciledForecaster(SeasonalNaive(), residual_source="backtest").fit(small)
    assert backtested.residuals_.shape == (model.structure().n_total, 8)
    nodes, base = model.predict_all(3), model.predict_base(3)
    structure = model.structure()
    mean = nodes.frame["mean"].to_numpy().reshape(structure.n_total, 3)
    assert structure.coherence_error(mean) < 1e-9 * mean.max()
    bottom = model.predict(3)
    assert list(bottom.frame.columns[:3]) == list(small.spec.keys) and bottom.spec == small.spec
    np.testing.assert_array_equal(bottom.frame["mean"], mean[structure.n_aggregate :].ravel())
    held = held_series(small)
    assert held.any()
    base_mean = np.empty_like(mean)  # the base frame is in node-panel order: place it
    base_mean[structure.locate(base.frame), base.frame["step"] - 1] = base.frame["mean"]
    np.testing.assert_allclose(
        mean[structure.n_aggregate :][held], base_mean[structure.n_aggregate :][held]
    )
    # intervals keep their base widths around the reconciled forecast (unless clipped at 0)
    joined = nodes.frame.merge(base.frame, on=["aggregation", *small.spec.keys, "step"])
    assert len(joined) == len(nodes.frame)
    np.testing.assert_allclose(
        joined["upper_80_x"] - joined["mean_x"], joined["upper_80_y"] - joined["mean_y"]
    )


def test_reconciled_forecaster_saves_and_loads_without_pickle(small, tmp_path: Path) -> None:
    model = ReconciledForecaster(SeasonalNaive(), method="wls_struct").fit(small)
    loaded = load_forecaster(save_forecaster(model, tmp_path / "model"))
    pd.testing.assert_frame_equal(loaded.predict(2).frame, model.predict(2).frame)
    assert loaded.residuals_ is None  # wls_struct needs none


def test_too_few_residuals_fall_back_to_structural_weights(small) -> None:
    short = small.until("2017-H1")  # 5 half-years: two one-step origins at most
    model = ReconciledForecaster(SeasonalNaive(), residual_windows=1).fit(short)
    assert model.residuals_ is None
    assert "fallback from mint_shrink" in model.predict_all(2).model
    want = ReconciledForecaster(SeasonalNaive(), method="wls_struct").fit(short)
    np.testing.assert_allclose(model.predict(2).frame["mean"], want.predict(2).frame["mean"])


def test_level_backtest_scores_what_the_fitted_forecaster_would_have(small) -> None:
    model = ReconciledForecaster(SeasonalNaive())
    levels = level_backtest(model, small, horizon=2, n_windows=2)
    plain = backtest(model, small, horizon=2, n_windows=2)
    pd.testing.assert_frame_equal(
        levels.bottom.frame.reset_index(drop=True), plain.frame.reset_index(drop=True),
        check_exact=False, rtol=1e-9,
    )  # fmt: skip
    assert levels.methods_used == ("mint_shrink", "mint_shrink")
    # no residual of a period after an origin reconciles that origin's window
    windows = node_windows(model, small, horizon=2, n_windows=2)
    for origin in windows.base.origins:
        used = windows._errors_before(origin)["origin"].unique()
        assert len(used) == 8 and (used + 1 <= origin).all()
    # base bottom forecasts are the model's own on the bottom panel (series-wise model)
    base_bottom = levels.base.loc[levels.base["aggregation"] == "bottom"]
    plain_base = backtest(SeasonalNaive(), small, horizon=2, n_windows=2).frame
    np.testing.assert_allclose(np.sort(base_bottom["mean"]), np.sort(plain_base["mean"]))
    table = accuracy_by_level(levels)
    bottom_up = accuracy_by_level(windows.reconcile("bottom_up"))
    row = bottom_up.query("aggregation == 'bottom'").set_index("forecast")
    assert row.loc["base", "mase"] == row.loc["reconciled", "mase"]  # bottom-up keeps them
    assert table["aggregation"].tolist()[::2] == [
        "total", "sector", "occupation_major", "level", "bottom"
    ]  # fmt: skip
    assert evaluate(levels.bottom)["mase"].iloc[0] == pytest.approx(
        table.query("aggregation == 'bottom' and forecast == 'reconciled'")["mase"].iloc[0]
    )


def test_aggregations_naming_absent_keys_are_skipped() -> None:
    keys = ("occupation", "level")
    got = usable_aggregations(keys, [[], ["sector"], ["occupation_major"], ["level"]])
    assert got == [[], ["occupation_major"], ["level"]]
    assert usable_aggregations(("sector", "level"), [["occupation_major"]]) == []


def test_expansion_is_annual_for_sub_annual_panels(small) -> None:
    assert expansion_mode("auto", small) == "annual"
    years = pd.DataFrame(
        {"period": ["2020", "2021", "2022"], "sector": "C10", "occupation": "8343",
         "level": "L1", "employment": [5.0, 6.0, 7.0]}
    )  # fmt: skip
    annual = load_panel(years, PanelSpec(freq="annual"))
    assert expansion_mode("auto", annual) == "period"
    assert expansion_mode("period", small) == "period"
    with pytest.raises(SkillcastConfigError, match="expansion"):
        expansion_mode("yearly", small)


def test_declared_openings_pass_through_with_hiring_factor() -> None:
    full = load_sample(target="vacancies")
    keep = full.series_id < 12
    panel = Panel(full.spec, full.frame.loc[keep].reset_index(drop=True))
    forecast = SeasonalNaive().fit(panel).predict(2)
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        overrides = ["data=sample", "demand.hiring_adjustment=0.5"]
        demand = compose("forecast", overrides=overrides).demand
    out = demand_outputs(demand, forecast, panel)
    assert "declared openings" in out.openings.attrs["note"]
    table = openings_frame(out.openings, panel.freq)
    assert set(table["decomposition"]) == {"none: target is declared openings"}
    assert table["expansion"].isna().all() and table["replacement"].isna().all()
    want = np.floor(forecast.frame["mean"].to_numpy() + 0.5)
    np.testing.assert_array_equal(table["openings"].to_numpy(dtype=float), want)
    np.testing.assert_array_equal(
        table["realised_hiring"].to_numpy(dtype=float),
        np.floor(forecast.frame["mean"].to_numpy() * 0.5 + 0.5),
    )
    assert out.gap is not None  # graduates against expected hires


def test_latest_names() -> None:
    assert latest_name("forecast.csv", "latest.csv") == "latest.csv"
    assert latest_name("openings.csv", "latest.csv") == "latest_openings.csv"
    assert latest_name("supply_gap.csv", "current.csv") == "current_supply_gap.csv"
    assert latest_name("forecast_all_levels.csv", "latest") == "latest_all_levels"


def test_clone_keeps_the_reconciliation_settings() -> None:
    model = ReconciledForecaster(SeasonalNaive(), method="ols", residual_windows=6)
    copy = clone(model)
    assert copy.get_params()["method"] == "ols" and copy.residual_windows == 6


# ------------------------------------------------------------------ scenarios
SCENARIO_FILES = ("forecast_scenarios.csv", "scenario_drivers.csv", "scenario_elasticities.csv")


def test_scenarios_side_by_side_follow_the_elasticities(project: Path) -> None:
    assert forecast_app.run(cfg("forecast", project, *FORECAST, "scenarios=sample")) == EXIT_OK
    folder = project / "forecasts"
    for name in SCENARIO_FILES:
        assert (folder / "2026-H1" / name).read_bytes() == (
            folder / latest_name(name, "latest.csv")
        ).read_bytes()
    table = read(folder / "latest_scenarios.csv")
    assert list(table.columns) == list(SCENARIO_COLUMNS)
    assert list(pd.unique(table["scenario"])) == ["baseline", "high", "low"]
    # forecast.csv read the data's plan (listed as scenario "forecast.csv"); each scenario
    # = forecast.csv x exp(elasticity x log(scenario path / plan)), to rounding
    planner = read(folder / "latest.csv")
    drivers = read(folder / "latest_scenario_drivers.csv")
    assert list(pd.unique(drivers["scenario"])) == ["forecast.csv", "baseline", "high", "low"]
    drivers = drivers.set_index(["scenario", "period"])
    elastic = read(folder / "latest_scenario_elasticities.csv")
    assert set(elastic["status"]) <= {"estimated", "trend reading", "not exposed"}
    # the baseline scenario is forecast.csv itself: its path is the plan forecast.csv read
    baseline = table.loc[table["scenario"] == "baseline"].drop(columns="scenario")
    pd.testing.assert_frame_equal(baseline.reset_index(drop=True), planner)
    beta = elastic.pivot(index="sector", columns="driver", values="elasticity").astype(float)
    for name in ("baseline", "high", "low"):
        part = table.loc[table["scenario"] == name].reset_index(drop=True)
        assert (part[["period", "sector", "occupation", "level"]] == planner[
            ["period", "sector", "occupation", "level"]]).all().all()  # fmt: skip
        log_ratio = np.zeros(len(part))
        for driver in beta.columns:
            new = drivers.loc[[(name, p) for p in part["period"]], driver].to_numpy(dtype=float)
            plan = drivers.loc[[("forecast.csv", p) for p in part["period"]], driver]
            log_ratio += part["sector"].map(beta[driver]).to_numpy() * np.log(
                new / plan.to_numpy(dtype=float)
            )
        want = numbers(planner, "forecast") * np.exp(log_ratio)
        np.testing.assert_allclose(numbers(part, "forecast"), want, rtol=2e-3, atol=1.0)
    (run,) = runs(project, "forecast")[-1:]
    last = table.loc[table["period"] == "2027-H2"]
    for name in ("baseline", "high", "low"):
        total = numbers(last.loc[last["scenario"] == name], "forecast").sum()
        assert run.data.metrics[f"scenario_{name}_last_period"] == total
    names = {a.path for a in client(project).list_artifacts(run.info.run_id, "forecast")}
    assert {f"forecast/{n}" for n in SCENARIO_FILES} <= names
    # a later run without scenarios leaves no stale scenario files among the latest
    assert forecast_app.run(cfg("forecast", project, *FORECAST)) == EXIT_OK
    for name in SCENARIO_FILES:
        assert not (folder / latest_name(name, "latest.csv")).exists()


def test_without_a_plan_forecast_csv_is_the_reference_scenario(project: Path) -> None:
    overrides = (*FORECAST, "scenarios=sample", "data.future_exog=null")
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    folder = project / "forecasts"
    table = read(folder / "latest_scenarios.csv")
    base = table.loc[table["scenario"] == "baseline"].drop(columns="scenario")
    pd.testing.assert_frame_equal(
        base.drop(columns="created_at").reset_index(drop=True),
        read(folder / "latest.csv").drop(columns="created_at"),
    )
    drivers = read(folder / "latest_scenario_drivers.csv")
    assert list(pd.unique(drivers["scenario"])) == ["baseline", "high", "low"]


def test_scenarios_start_where_a_stale_model_forecast_starts(project: Path) -> None:
    """A model fitted on data up to 2024-H2, forecast with refit=never on newer data:
    the forecast starts after the model's own panel, and so do the scenario paths
    (seasonal: null also works)."""
    # registered as version 2, not promoted (exit 3): the champion's score is better
    assert train_app.run(cfg("train", project, *TRAIN, "data.until=2024-H2")) == EXIT_REFUSED
    overrides = (*FORECAST, "scenarios=sample", "refit=never", "model_ref=2",
                 "scenarios.seasonal=null")  # fmt: skip
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    folder = project / "forecasts"
    planner = read(folder / "latest.csv")
    table = read(folder / "latest_scenarios.csv")
    assert set(table["period"]) == set(planner["period"]) == {
        "2025-H1", "2025-H2", "2026-H1", "2026-H2"
    }  # fmt: skip
    drivers = read(folder / "latest_scenario_drivers.csv")
    assert set(drivers["period"]) == set(planner["period"])


def test_a_plan_without_a_driver_fails_cleanly(project: Path, tmp_path: Path) -> None:
    from skillcast.datasets import load_sample_plan

    plan = tmp_path / "plan.csv"
    load_sample_plan().drop(columns="tourist_arrivals_m").to_csv(plan, index=False)
    folder = project / "forecasts"
    before = snapshot(folder)
    overrides = (*FORECAST, "scenarios=sample", f"data.future_exog={plan}")
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_DATA
    assert snapshot(folder) == before


@pytest.mark.parametrize(
    ("content", "says"),
    [(b"", "empty"), ("period,plan\n2026-H1,1.250\n".encode("utf-16-le"), "encoding")],
)
def test_an_unreadable_plan_file_is_bad_data(project: Path, tmp_path: Path, content, says, caplog):
    plan = tmp_path / "plan.csv"
    plan.write_bytes(content)
    folder = project / "forecasts"
    before = snapshot(folder)
    overrides = (*FORECAST, "scenarios=sample", f"data.future_exog={plan}")
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_DATA
    assert snapshot(folder) == before
    assert "data.future_exog" in caplog.text and says in caplog.text


def test_model_method_says_when_the_model_ignores_drivers(project: Path) -> None:
    overrides = (*FORECAST, "scenarios=sample", "scenarios.method=model")
    assert forecast_app.run(cfg("forecast", project, *overrides)) == EXIT_OK
    folder = project / "forecasts"
    assert not (folder / "latest_scenario_elasticities.csv").exists()
    table = read(folder / "latest_scenarios.csv")
    sums = table.groupby("scenario")["forecast"].apply(lambda s: pd.to_numeric(s).sum())
    assert sums.nunique() == 1  # seasonal naive on every node reads no driver
    (run,) = runs(project, "forecast")[-1:]
    path = client(project).download_artifacts(run.info.run_id, "forecast/notes.txt", str(project))
    assert "reads no known driver" in Path(path).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "override",
    [
        "+scenarios.growth.high.gdp=0.05",  # not a driver of the data
        "scenarios.reference=central",  # not one of the scenarios
        "scenarios.method=guess",
        "scenarios.growth.low.port_throughput_mt=-1.5",  # a fall of more than 100%
        "scenarios.elasticities._target_=skillcast.models.Naive",
    ],
)
def test_bad_scenario_config_fails_cleanly(project: Path, override: str) -> None:
    folder = project / "forecasts"
    before = snapshot(folder)
    code = forecast_app.run(cfg("forecast", project, *FORECAST, "scenarios=sample", override))
    assert code == EXIT_CONFIG
    assert snapshot(folder) == before
