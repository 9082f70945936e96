"""The periodic cycle on a department's own CSV, as a scheduler runs it.

Two cycles in a temporary project: train on the user's CSV, forecast; append a period,
train (a refresh: exit 0, the new version is champion, tagged ``promotion=refresh``),
forecast (the origin moves; the rows name the new version and ``data_through``). The
bare ``skillcast-forecast`` of the README's rollback recipe re-reads the user's data,
never the bundled sample; data whose spec differs from the model's exits 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_CONFIG, EXIT_OK
from skillcast.datasets.sample import load_sample
from skillcast.outputs import files

pytestmark = pytest.mark.slow
MODEL = "skillcast-demand"
TRAIN = ["model=ets", "backtest=quick", "reconcile=none", "output.horizon=2"]
FORECAST = ["output.horizon=2"]
BIN = Path(sys.executable).parent


def cfg(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *overrides])


def client(root: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{root}/mlflow.db")


def user_frame() -> pd.DataFrame:
    """A department's own panel: three sectors of the sample, periods as text."""
    frame = load_sample(as_frame=True)
    frame = frame.loc[frame["sector"].isin(["C10", "H52", "I55"])].copy()
    frame["period"] = frame["period"].astype(str)
    return frame.drop(columns=["vacancies"]).reset_index(drop=True)


def latest(root: Path) -> pd.DataFrame:
    return pd.read_csv(root / "forecasts" / "latest.csv", dtype=str, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def cycles(tmp_path_factory) -> dict:
    """Two cycles on the user's CSV; what each step returned and wrote."""
    root = tmp_path_factory.mktemp("department")
    full = user_frame()
    path = root / "panel.csv"
    full.loc[full["period"] < "2025-H2"].to_csv(path, index=False)
    out: dict = {"root": root, "full": full}
    out["train1"] = train_app.run(cfg("train", root, "data=csv", f"data.path={path}", *TRAIN))
    out["forecast1"] = forecast_app.run(cfg("forecast", root, *FORECAST))
    out["latest1"] = latest(root)
    full.to_csv(path, index=False)  # the next six-monthly reports arrive
    out["train2"] = train_app.run(cfg("train", root, *TRAIN))  # data=project: the CSV again
    out["forecast2"] = forecast_app.run(cfg("forecast", root, *FORECAST))
    out["latest2"] = latest(root)
    out["report2"] = (root / "forecasts" / "latest_report.html").read_text(encoding="utf-8")
    return out


def test_two_cycles_on_a_user_csv_refresh_the_champion(cycles: dict) -> None:
    assert (cycles["train1"], cycles["forecast1"]) == (EXIT_OK, EXIT_OK)
    assert (cycles["train2"], cycles["forecast2"]) == (EXIT_OK, EXIT_OK)
    mlflow = client(cycles["root"])
    champion = mlflow.get_model_version_by_alias(MODEL, "champion")
    assert str(champion.version) == "2"
    assert champion.tags["promotion"] == "refresh"
    assert champion.tags["data_through"] == "2025-H2"
    run = mlflow.get_run(champion.run_id)
    assert run.data.tags["promotion"] == "refresh" and run.data.tags["promoted"] == "true"
    # the champion's own configuration: this run's backtest is its re-score, not repeated
    assert run.data.metrics["champion_score"] == run.data.metrics["backtest_mase"]
    assert not mlflow.get_model_version(MODEL, "1").aliases  # no challenger piles up


def test_the_forecast_origin_moves_and_rows_name_version_and_data(cycles: dict) -> None:
    first, second = cycles["latest1"], cycles["latest2"]
    assert sorted(first["period"].unique()) == ["2025-H2", "2026-H1"]
    assert sorted(second["period"].unique()) == ["2026-H1", "2026-H2"]
    assert set(first["model_version"]) == {"1"} and set(second["model_version"]) == {"2"}
    assert set(first["data_through"]) == {"2025-H1"}
    assert set(second["data_through"]) == {"2025-H2"}
    assert set(second["refit"]) == {"false"}
    mlflow = client(cycles["root"])
    assert set(second["run_id"]) == {mlflow.get_model_version(MODEL, "2").run_id}


def test_the_published_set_holds_the_report_workbook_and_annual_views(cycles: dict) -> None:
    folder = cycles["root"] / "forecasts"
    for name in ("latest_report.html", "latest.xlsx", "latest_annual.csv",
                 "latest_openings_annual.csv"):  # fmt: skip
        assert (folder / name).resolve().parent == (folder / "latest").resolve(), name
    page = cycles["report2"]
    revisions = page[page.index('id="revisions"') : page.index('id="track-record"')]
    # the second forecast against the first: new data and a new model version, said so
    assert "New data: observed through 2025-H2 (previously through 2025-H1)" in revisions
    assert "New model: version 2 (previously 1)" in revisions
    assert "http://" not in page and "https://" not in page
    annual = pd.read_csv(folder / "latest_annual.csv", dtype=str, encoding="utf-8-sig")
    assert set(annual["year"]) == {"2026"}  # 2026-H1 + 2026-H2: one complete year
    openings = pd.read_csv(folder / "latest_openings.csv", dtype=str, encoding="utf-8-sig")
    h52 = openings.loc[openings["sector"] == "H52", "cluster"].fillna("")
    assert h52.str.contains("logistics").all()


def test_the_forecast_covers_the_users_series_only(cycles: dict) -> None:
    full, table = cycles["full"], cycles["latest2"]
    user = set(full[["sector", "occupation", "level"]].itertuples(index=False, name=None))
    written = set(table[["sector", "occupation", "level"]].itertuples(index=False, name=None))
    assert written == user
    assert len(table) == 2 * len(user)


def test_bare_forecast_of_the_rollback_recipe_reads_the_users_data(cycles: dict) -> None:
    root = cycles["root"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    done = subprocess.run(
        [str(BIN / "skillcast-forecast"), "model_ref=1"], cwd=root, capture_output=True,
        text=True, timeout=600, env=env,
    )  # fmt: skip
    assert done.returncode == EXIT_OK, done.stderr[-2000:]
    table = latest(root)
    assert set(table["sector"]) == {"C10", "H52", "I55"}  # not the sample's 512 series
    assert set(table["model_version"]) == {"1"}
    # version 1 saw data through 2025-H1; the CSV now holds 2025-H2: refit, and said so
    assert set(table["refit"]) == {"true"} and set(table["data_through"]) == {"2025-H2"}
    assert sorted(table["period"].unique()) == ["2026-H1", "2026-H2", "2027-H1", "2027-H2"]
    refit_run = client(root).get_run(table["run_id"].iloc[0])
    assert refit_run.data.tags["skillcast_kind"] == "refit"
    assert refit_run.data.tags["model_version"] == "1"
    assert refit_run.data.tags.get("mlflow.parentRunId") == table["forecast_run_id"].iloc[0]
    forecast_app.run(cfg("forecast", root, *FORECAST))  # the champion again, for the rest


def test_data_whose_spec_differs_from_the_models_exits_2(cycles: dict, caplog) -> None:
    root = cycles["root"]
    before = os.readlink(root / "forecasts" / "latest")
    other = root / "other.csv"
    cycles["full"].rename(columns={"employment": "workers"}).to_csv(other, index=False)
    code = forecast_app.run(
        cfg("forecast", root, "data=csv", f"data.path={other}", "data.spec.target=workers",
            *FORECAST)
    )  # fmt: skip
    assert code == EXIT_CONFIG
    assert "target: model 'employment', data 'workers'" in caplog.text
    assert "refit=always" in caplog.text
    assert os.readlink(root / "forecasts" / "latest") == before


def test_files_are_readable_as_the_umask_says(cycles: dict, tmp_path: Path) -> None:
    folder = (cycles["root"] / "forecasts" / "latest").resolve()
    mode = 0o666 & ~files.current_umask()  # 0644 under the usual umask 022
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == mode, path
    old = os.umask(0o027)
    try:
        written = files.write_planner_csv(cycles["latest2"], tmp_path / "x.csv")
        assert written.stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)
    written = files.write_planner_csv(cycles["latest2"], tmp_path / "y.csv")
    assert written.stat().st_mode & 0o777 == 0o666 & ~old
