"""The AutoForecaster on Dask (skillcast.distributed.auto), on a LocalCluster of 2 worker
processes with one thread each, started and closed for this module (tests/conftest.py).

Its local members (AutoETS, Croston, TSB) fit and forecast from the validation origins
per partition on the workers: the same forecasts as one process, to 1e-6. Its pooled
member trains with ``lightgbm.dask``, whose boosters differ from one process's
(tests/test_distributed_pooled.py), and the combination weights chosen on validation
move with it. Measured on the bundled sample (fit up to four half-years before its end,
forecast those four, 3 validation windows, one partition per sector): the combined
forecasts differ from one process's by a mean absolute relative difference of 3.0-3.6%,
and the held-out MASE was 1.152 on Dask against 1.165 in one process. The tests allow
the pooled model's own tolerances (10% and 5%).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from distributed import Client
from sklearn.linear_model import Ridge

from skillcast.apps import forecast as forecast_app
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_OK
from skillcast.datasets import load_sample, load_sample_plan
from skillcast.distributed import (
    DistributedAutoForecaster,
    DistributedForecaster,
    DistributedGlobalModel,
    check_auto,
    current_client,
)
from skillcast.errors import SkillcastConfigError
from skillcast.models import AutoETS, AutoForecaster, Croston, GlobalModel
from skillcast.models.auto import CROSTON, ETS, GLOBAL, TSB_
from skillcast.panel import Panel
from skillcast.persistence import load_forecaster, save_forecaster
from test_distributed import APP_RUN, _forecast_table, compose_cfg, load_forecaster_of
from test_distributed_pooled import (
    LOAD_WITHOUT_DASK,
    MASE_REL_DIFF,
    MEAN_ABS_REL_DIFF,
    held_out,
)

HELD_OUT = 4


@pytest.fixture(scope="module")
def client(dask_client) -> Client:
    return dask_client  # conftest: a LocalCluster of 2 worker processes for this module


@pytest.fixture(scope="module")
def sample() -> Panel:
    return load_sample()


@pytest.fixture(scope="module")
def train(sample) -> Panel:
    return sample.until(sample.periods[-HELD_OUT - 1])


def auto() -> AutoForecaster:
    # a single-thread pooled model: one process's reference is then deterministic
    return AutoForecaster(validation_windows=3, global_model=GlobalModel(n_jobs=1))


@pytest.fixture(scope="module")
def local(train) -> AutoForecaster:
    return auto().fit(train)


@pytest.fixture(scope="module")
def on_dask(client, train) -> DistributedAutoForecaster:
    return DistributedAutoForecaster(auto(), partition_by="sector").fit(train, client)


def test_local_members_give_one_process_forecasts(local, on_dask):
    fitted = on_dask.forecaster_
    exog = load_sample_plan()
    for j in (ETS, CROSTON, TSB_):
        member = fitted.members_[j]
        assert isinstance(member, DistributedForecaster)
        assert len(member.members_) == 25  # one partition per sector, fitted on the workers
        np.testing.assert_allclose(
            member.predict_dense(HELD_OUT, exog),
            local.members_[j].predict_dense(HELD_OUT, exog),
            rtol=1e-6,
            atol=1e-6,
        )
    assert type(fitted.members_[GLOBAL]) is GlobalModel  # brought back as a plain model


def test_the_combination_is_within_the_pooled_models_tolerance(sample, train, local, on_dask):
    ours, dask_mase = held_out(on_dask, train, sample)
    theirs, local_mase = held_out(local, train, sample)
    diff = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1.0)
    print(f"mean rel diff {diff.mean():.4f}, MASE dask {dask_mase:.4f} local {local_mase:.4f}")
    assert float(diff.mean()) <= MEAN_ABS_REL_DIFF
    assert abs(dask_mase / local_mase - 1) <= MASE_REL_DIFF
    # the routes depend on the members' validation errors, computed the same way
    assert (on_dask.forecaster_.routes_["route"] == local.routes_["route"]).mean() >= 0.95


def test_intervals_are_calibrated_on_the_combinations_validation_errors(on_dask, local):
    exog = load_sample_plan()
    frame = on_dask.predict(HELD_OUT, exog).frame
    assert (frame["lower_95"] <= frame["lower_80"]).all()
    assert (frame["lower_80"] <= frame["mean"]).all() and (frame["mean"] <= frame["upper_80"]).all()
    width = (frame["upper_80"] - frame["lower_80"]).median()
    theirs = local.predict(HELD_OUT, exog).frame
    assert width == pytest.approx((theirs["upper_80"] - theirs["lower_80"]).median(), rel=0.25)


def test_every_members_tasks_are_timed(on_dask):
    times = on_dask.partition_seconds_
    assert set(times["member"]) == {"AutoETS", "GlobalModel", "Croston", "TSB"}
    assert (times.groupby("member").size() == 25).all()
    assert (times["worker"] != "local").all()
    assert on_dask.train_seconds_ > 0


def test_without_a_client_it_is_the_autoforecaster_of_one_process(train, local):
    assert current_client() is None
    here = DistributedAutoForecaster(auto(), partition_by="sector").fit(train)
    exog = load_sample_plan()
    pd.testing.assert_frame_equal(
        here.predict(HELD_OUT, exog).frame, local.predict(HELD_OUT, exog).frame
    )


def test_a_saved_model_forecasts_with_neither_cluster_nor_dask(on_dask, tmp_path):
    path = save_forecaster(on_dask, tmp_path / "model")
    loaded = load_forecaster(path)
    exog = load_sample_plan()
    pd.testing.assert_frame_equal(loaded.predict(2, exog).frame, on_dask.predict(2, exog).frame)
    run = subprocess.run(
        [sys.executable, "-c", LOAD_WITHOUT_DASK, str(path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["dask"] == []
    np.testing.assert_allclose(out["mean"], on_dask.predict(2, exog).frame["mean"], atol=1e-9)


def test_fit_rolling_per_partition_equals_the_whole_panels(client, sample):
    # partitions that start after the first origins and end before the last ones: the
    # origins are periods of the whole panel, found in each partition's own periods
    frame = sample.frame
    period = frame["period"]
    late = frame["sector"].eq(sample.series["sector"].iloc[0]) & (period < sample.periods[12])
    early = frame["sector"].eq(sample.series["sector"].iloc[-1]) & (period > sample.periods[-4])
    panel = Panel(sample.spec, frame.loc[~(late | early)])
    origins = [8, 11, 14, 17, 19]
    whole = AutoETS(levels=()).fit_rolling(panel, origins, 3)
    for c in (client, None):
        parts = DistributedForecaster(AutoETS(levels=()), partition_by="sector")
        np.testing.assert_allclose(
            parts.fit_rolling(panel, origins, 3, client=c), whole, rtol=1e-6, atol=1e-6
        )
    croston = Croston(levels=()).fit_rolling(panel, origins, 3)
    parts = DistributedForecaster(Croston(levels=()), partition_by="sector")
    np.testing.assert_allclose(parts.fit_rolling(panel, origins, 3, client), croston, atol=1e-9)
    assert np.isnan(whole[:, 0]).any() and np.isfinite(whole[:, -1]).any()


def test_rolling_forecasts_on_the_cluster_never_read_past_their_origin(client, sample):
    origins = [10, 14, 18]
    cut = sample.periods[15]
    changed = sample.frame.copy()
    later = changed["period"] > cut
    changed.loc[later, "employment"] = changed.loc[later, "employment"] * 3.0
    parts = DistributedForecaster(AutoETS(levels=()), partition_by="sector")
    before = parts.fit_rolling(sample, origins, 2, client)
    after = parts.fit_rolling(Panel(sample.spec, changed), origins, 2, client)
    np.testing.assert_array_equal(after[:, :2], before[:, :2])  # origins 10 and 14
    assert not np.allclose(after[:, 2], before[:, 2], equal_nan=True)


def test_what_it_cannot_fit_is_refused_before_any_data():
    with pytest.raises(SkillcastConfigError, match="fits an AutoForecaster"):
        check_auto(AutoETS())
    ridge = GlobalModel(estimator=Ridge())
    with pytest.raises(SkillcastConfigError, match="LightGBM regressors only"):
        check_auto(AutoForecaster(global_model=ridge))


# ------------------------------------------------------------------ the apps
@pytest.mark.slow
@pytest.mark.parametrize(
    ("model", "wrapper"),
    [("auto", DistributedAutoForecaster), ("lightgbm", DistributedGlobalModel)],
)
def test_apps_train_the_pooled_models_on_dask(model, wrapper, scratch: Path):
    root = scratch / model
    settings = ["model.validation_windows=3"] if model == "auto" else []
    train = compose_cfg(
        "train",
        [f"paths.root={root}", *APP_RUN, f"model={model}", *settings,
         "compute=dask", "compute.partition_by=level"],
    )  # fmt: skip
    assert train_app.run(train) == EXIT_OK
    base = load_forecaster_of(root).base_.forecaster_
    assert type(base) is wrapper
    times = base.partition_seconds_
    assert len(times) and (times["worker"] != "local").all()  # fitted on the workers
    if model == "auto":
        ets = base.forecaster_.members_[ETS]
        assert isinstance(ets, DistributedForecaster)  # one partition per level of the nodes
        assert len(ets.members_) == base.panel_.series["level"].nunique() > 1
    # the registered model forecasts with no cluster: compute=local, no refit
    forecast = compose_cfg(
        "forecast", [f"paths.root={root}", "refit=never", "demand=off", "skills=off"]
    )
    assert forecast_app.run(forecast) == EXIT_OK
    table = _forecast_table(root)
    assert len(table) >= 60 * 2  # every series of data.max_series=60, output.horizon=2
    bounds = table[["lower_95", "lower_80", "forecast", "upper_80", "upper_95"]].astype(float)
    assert bounds.notna().all().all()
    assert (bounds.diff(axis=1).iloc[:, 1:] >= 0).all().all()  # ordered intervals
