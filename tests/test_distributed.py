"""skillcast.distributed on a LocalCluster of 2 worker processes started and closed here.

Worker processes (not threads): a worker is killed mid-fit by its process id, as a
machine of a real cluster dies. Each worker imports skillcast once, so the cluster costs
a few seconds for the whole module.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client
from hydra import compose, initialize_config_dir

from skillcast import load_panel
from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.compute import distribute
from skillcast.apps.console import EXIT_CONFIG, EXIT_OK
from skillcast.datasets import load_sample, make_national, national_spec
from skillcast.datasets.national import isco_unit_groups, isic_divisions
from skillcast.distributed import (
    DistributedForecaster,
    current_client,
    dask_client,
    partition_series,
    read_partitioned,
)
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.models import TSB, AutoETS, Croston, GlobalModel, SeasonalNaive
from skillcast.panel import Panel
from skillcast.persistence import load_forecaster, save_forecaster


@pytest.fixture(scope="module")
def client(dask_client) -> Client:
    return dask_client  # conftest: a LocalCluster of 2 worker processes for this module


@pytest.fixture(scope="module")
def sample() -> Panel:
    return load_sample()


def _keys(panel: Panel) -> list[str]:
    return [*panel.spec.keys, "period", "step"]


@pytest.mark.parametrize(
    ("model", "partitions"),
    [
        (AutoETS(), {"partition_size": 100}),
        (AutoETS(), {"partition_by": "sector"}),
        (SeasonalNaive(), {"partition_size": 64}),
        (Croston(), {"partition_by": "level"}),
        (TSB(), {"partition_size": 200}),
    ],
    ids=["ets-size", "ets-sector", "snaive-size", "croston-level", "tsb-size"],
)
def test_dask_path_gives_the_local_forecasts(client, sample, model, partitions):
    local = model.fit(sample).predict(4)
    fitted = DistributedForecaster(model, **partitions).fit(sample, client=client)
    assert len(fitted.members_) > 1  # the panel was really split
    out = fitted.predict(4)
    assert out.frame.columns.tolist() == local.frame.columns.tolist()
    pd.testing.assert_frame_equal(out.frame[_keys(sample)], local.frame[_keys(sample)])
    # AutoETS's whole-panel fit starts from a chain of warm-started refits, which carries
    # the last digits batched arithmetic leaves (seen up to 1e-6 relative)
    np.testing.assert_allclose(out.frame["mean"], local.frame["mean"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        fitted.predict_dense(4), model.predict_dense(4), rtol=1e-5, atol=1e-6
    )
    assert out.model == local.model


def test_without_a_client_partitions_fit_in_this_process(sample):
    assert current_client() is None
    local = SeasonalNaive(levels=()).fit(sample).predict_dense(3)
    fitted = DistributedForecaster(SeasonalNaive(levels=()), partition_size=50).fit(sample)
    assert len(fitted.members_) == -(-sample.n_series // 50)
    np.testing.assert_array_equal(fitted.predict_dense(3), local)


def test_partitions_hold_every_series_once(sample):
    for parts in (partition_series(sample, by="sector"), partition_series(sample, size=77)):
        together = np.sort(np.concatenate(parts))
        np.testing.assert_array_equal(together, np.arange(sample.n_series))
    assert len(partition_series(sample, by="sector")) == sample.series["sector"].nunique()


def test_a_series_ending_early_is_forecast_through_the_gap(client, sample):
    # one partition's series all stop two periods before the panel's last period
    frame = sample.frame
    stops = (frame["sector"] == sorted(frame["sector"].unique())[0]) & (
        frame["period"] > sample.periods[-3]
    )
    panel = load_panel(frame.loc[~stops], sample.spec)
    local = SeasonalNaive(levels=()).fit(panel).predict(3)
    fitted = DistributedForecaster(SeasonalNaive(levels=()), partition_by="sector")
    out = fitted.fit(panel, client=client).predict(3)
    pd.testing.assert_frame_equal(out.frame, local.frame)


def test_a_pooled_model_is_refused(sample):
    with pytest.raises(SkillcastConfigError, match="GlobalModel learns across series"):
        DistributedForecaster(GlobalModel()).fit(sample)


def test_partition_by_must_be_a_key(sample):
    with pytest.raises(SkillcastConfigError, match="partition_by='province' is not a key"):
        DistributedForecaster(SeasonalNaive(), partition_by="province").fit(sample)


def test_each_partition_fit_is_timed_on_its_worker(client, sample):
    fitted = DistributedForecaster(SeasonalNaive(levels=()), partition_by="level")
    times = fitted.fit(sample, client=client).partition_seconds_
    levels = sorted(sample.series["level"].unique())
    assert times["partition"].tolist() == [f"level={v}" for v in levels]
    assert times["n_series"].tolist() == [m.panel_.n_series for m in fitted.members_]
    assert (times["bytes_sent"] > 0).all() and (times["seconds"] >= 0).all()
    assert set(times["worker"]) <= set(client.scheduler_info()["workers"])


def test_fitted_model_saves_and_forecasts_without_a_cluster(client, sample, tmp_path):
    fitted = DistributedForecaster(AutoETS(), partition_by="level").fit(sample, client=client)
    expected = fitted.predict(4).frame
    save_forecaster(fitted, tmp_path / "model")
    loaded = load_forecaster(tmp_path / "model")
    assert current_client() is None  # no cluster in this context
    assert isinstance(loaded, DistributedForecaster)
    assert len(loaded.members_) == sample.series["level"].nunique()
    pd.testing.assert_frame_equal(loaded.predict(4).frame, expected)


def _write_partitioned(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, partition_cols=["sector"])
    return path


@pytest.fixture
def sample_rows(sample) -> pd.DataFrame:
    rows = sample.frame.copy()
    rows["period"] = sample.freq.labels(pd.PeriodIndex(rows["period"]))
    return rows


def test_a_good_partitioned_dataset_loads_as_the_whole(client, sample, sample_rows, tmp_path):
    path = _write_partitioned(sample_rows, tmp_path / "panel.parquet")
    parts = read_partitioned(path, sample.spec, client=client)
    assert len(parts.futures) == sample.series["sector"].nunique()
    assert sum(parts.n_rows) == len(sample)
    whole = load_panel(path, sample.spec)
    gathered = parts.gather(client)
    np.testing.assert_array_equal(gathered.dense(), whole.dense())
    fitted = DistributedForecaster(SeasonalNaive()).fit(parts, client=client)
    times = fitted.partition_seconds_
    assert times["partition"].tolist() == parts.labels
    assert (times["bytes_sent"] == 0).all()  # each partition was fitted where it was read
    local = SeasonalNaive().fit(whole).predict(2)
    pd.testing.assert_frame_equal(
        fitted.predict(2).frame[["mean"]], local.frame[["mean"]], check_exact=False, atol=1e-9
    )


def _message(call) -> str:
    with pytest.raises(SkillcastDataError) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("broken", ["negative", "period_and_negative", "duplicate"])
def test_bad_partitions_give_the_single_process_error(
    client, sample, sample_rows, tmp_path, broken
):
    rows = sample_rows
    sectors = sorted(rows["sector"].unique())
    first, last = rows["sector"] == sectors[1], rows["sector"] == sectors[-1]
    if broken in ("negative", "period_and_negative"):
        # offending rows in two partitions: the counts add up across them
        rows.loc[rows.index[first][:3], "employment"] = -1.0
        rows.loc[rows.index[last][:4], "employment"] = -5.0
    if broken == "period_and_negative":
        # a later partition breaks an earlier rule: that rule is the one reported
        rows.loc[rows.index[last][-2:], "period"] = "2024-H3"
    if broken == "duplicate":
        rows = pd.concat([rows, rows.loc[first].head(2)], ignore_index=True)
    path = _write_partitioned(rows, tmp_path / "bad.parquet")
    single = _message(lambda: load_panel(path, sample.spec))
    distributed = _message(lambda: read_partitioned(path, sample.spec, client=client))
    assert distributed == single
    expected = {"negative": "7 row(s) are negative", "duplicate": "4 row(s) repeat"}
    if broken in expected:
        assert expected[broken] in single
    else:
        assert "2 row(s) cannot be read as a period" in single


def test_a_worker_killed_mid_fit_is_recovered_by_dask(client, sample):
    # many small tasks, so that the killed worker is busy with one and holds results
    model = DistributedForecaster(AutoETS(), partition_size=16)
    result: dict[str, object] = {}
    fit = threading.Thread(target=lambda: result.update(model=model.fit(sample, client=client)))
    fit.start()
    victim = None
    for _ in range(600):  # wait until a worker holds a fit task
        busy = [w for w, tasks in client.processing().items() if tasks]
        if busy:
            victim = busy[0]
            break
        time.sleep(0.05)
    assert victim is not None, "no task reached a worker"
    pid = client.run(os.getpid, workers=[victim])[victim]
    os.kill(pid, signal.SIGKILL)
    fit.join(timeout=300)
    assert not fit.is_alive()
    assert "model" in result, "the fit failed instead of recovering"
    # the whole-panel fit starts from a chain of warm-started refits, which carries
    # last-digit differences of batched arithmetic (1e-6 relative)
    local = AutoETS(levels=()).fit(sample).predict_dense(4)
    np.testing.assert_allclose(model.predict_dense(4), local, rtol=1e-5, atol=1e-6)


def test_dask_client_starts_and_closes_a_local_cluster():
    with dask_client(n_workers=1, processes=False) as c:
        assert current_client() is c
        assert len(c.scheduler_info()["workers"]) == 1
    assert c.status == "closed"
    assert current_client() is None


def test_an_unreachable_scheduler_is_a_config_error():
    with (
        pytest.raises(SkillcastConfigError, match="Cannot reach the Dask scheduler"),
        dask_client(address="tcp://127.0.0.1:9"),
    ):
        pass


# ------------------------------------------------------------ the national generator
def test_national_generator_is_deterministic_and_sparse():
    frame = make_national(5_000, n_periods=6, seed=3)
    pd.testing.assert_frame_equal(frame, make_national(5_000, n_periods=6, seed=3))
    assert not frame.equals(make_national(5_000, n_periods=6, seed=4))
    panel = load_panel(frame, national_spec())  # shipped occupation and sector codes
    assert panel.n_series == 5_000 and panel.n_periods == 6
    assert frame["region"].nunique() == 34
    cells = 34 * len(isic_divisions()) * len(isco_unit_groups()) * 5
    assert panel.n_series / cells < 0.01  # most cells are empty
    assert (frame["employment"] >= 0).all()
    first, _ = panel.first_last()
    assert 0 < np.mean(first > 0) < 0.25  # some series start late


def test_national_sizes_are_heavy_tailed():
    frame = make_national(20_000, n_periods=4, seed=0)
    last = frame.loc[frame["period"] == frame["period"].max(), "employment"].to_numpy()
    top = np.sort(last)[::-1]
    # a few cells hold most workers: the largest 1% hold more than the smallest 50%
    assert top[: len(top) // 100].sum() > top[len(top) // 2 :].sum()
    assert np.median(last) < last.mean() / 5


def test_national_generator_refuses_a_dense_panel():
    with pytest.raises(SkillcastConfigError, match="most cells of a national panel are empty"):
        make_national(5_000_000)


# ------------------------------------------------------------------ configs and apps
def compose_cfg(name: str, overrides: list[str]):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=overrides)


def test_compute_group_composes_for_both_apps():
    for app in ("train", "forecast"):
        local = compose_cfg(app, [])
        assert local.compute.name == "local"
        dask = compose_cfg(app, ["compute=dask", "compute.address=tcp://10.0.0.5:8786"])
        assert (dask.compute.name, dask.compute.address) == ("dask", "tcp://10.0.0.5:8786")
        assert dask.compute.n_workers == 2 and dask.compute.threads_per_worker == 1


# the pooled LightGBM model and the AutoForecaster run on Dask (tests/test_distributed_pooled.py,
# tests/test_distributed_auto.py); the ensemble, and a pooled model LightGBM cannot train
# (ridge), do not
@pytest.mark.parametrize("model", ["ridge", "ensemble"])
def test_compute_dask_refuses_a_pooled_model_before_reading_data(model, tmp_path):
    cfg = compose_cfg(
        "train", [f"paths.root={tmp_path}", "data=sample", f"model={model}", "compute=dask"]
    )
    assert train_app.run(cfg) == EXIT_CONFIG
    assert not (tmp_path / "mlflow.db").exists()  # stopped before tracking anything


def test_compute_dask_wraps_a_local_model():
    cfg = compose_cfg("train", ["model=ets", "compute=dask", "compute.partition_by=sector"])
    wrapped = distribute(AutoETS(levels=(80,)), cfg.compute, ["sector", "occupation", "level"])
    assert isinstance(wrapped, DistributedForecaster)
    assert (wrapped.partition_by, wrapped.levels) == ("sector", (80,))
    with pytest.raises(SkillcastConfigError, match="compute.partition_by='sector' is not a key"):
        distribute(AutoETS(), cfg.compute, ["region", "occupation"])


# the default reconciliation: the reconciled forecaster fits the distributed one on every
# node of the hierarchy, through backtests, and saves it inside itself
APP_RUN = ["data=sample", "data.max_series=60", "model=ets", "backtest=quick",
           "output.horizon=2"]  # fmt: skip


def _forecast_table(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "forecasts" / "latest.csv", encoding="utf-8-sig", dtype=str)


@pytest.mark.slow
def test_apps_on_dask_write_the_local_forecast(scratch: Path):
    runs = {"local": [], "dask": ["compute=dask", "compute.partition_by=level"]}
    tables = {}
    for name, compute in runs.items():
        root = scratch / name
        train = compose_cfg("train", [f"paths.root={root}", *APP_RUN, *compute])
        assert train_app.run(train) == EXIT_OK
        # the registered model forecasts with no cluster: compute=local, no refit
        forecast = compose_cfg(
            "forecast", [f"paths.root={root}", "refit=never", "demand=off", "skills=off"]
        )
        assert forecast_app.run(forecast) == EXIT_OK
        tables[name] = _forecast_table(root)
    local, dask = tables["local"], tables["dask"]
    assert dask.columns.tolist() == local.columns.tolist()
    keys = ["period", "sector", "occupation", "level"]
    pd.testing.assert_frame_equal(dask[keys], local[keys])
    np.testing.assert_allclose(
        dask["forecast"].astype(float), local["forecast"].astype(float), rtol=0, atol=1e-6
    )
    base = load_forecaster_of(scratch / "dask").base_.forecaster_
    assert isinstance(base, DistributedForecaster)
    assert len(base.members_) == base.panel_.series["level"].nunique() > 1


def load_forecaster_of(root: Path):
    """The champion's fitted forecaster of a project, loaded as the forecast app does."""
    from skillcast.apps.config import TrackingSettings

    tracker = TrackingSettings(uri=f"sqlite:///{root}/mlflow.db").connect()
    uri = f"models:/{tracker.model_name}@champion"
    return tracker.load_pyfunc(uri).unwrap_python_model().forecaster
