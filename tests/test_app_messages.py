"""What the apps say to a command-line user: their own --help, config keys (not Python
parameters) in the remedies of data errors, and a "did you mean" for a misspelled key."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_CONFIG, EXIT_DATA, app_terms

BIN = Path(sys.executable).parent


def run_script(name: str, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYDRA_")}
    return subprocess.run(
        [str(BIN / name), *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env
    )


def cfg(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *overrides])


@pytest.mark.parametrize("app", ["skillcast-train", "skillcast-forecast"])
def test_help_describes_the_app_and_only_its_groups(app: str, tmp_path: Path) -> None:
    done = run_script(app, "--help", cwd=tmp_path)
    assert done.returncode == 0
    text = done.stdout
    assert text.startswith(f"{app}: ")
    assert "Examples" in text and "Exit codes" in text and "8 busy" in text
    assert "powered by Hydra" not in text and "schema/" not in text
    assert "data:      csv, parquet, project" in text
    listed = "\n  model:" in text
    assert listed == (app == "skillcast-train")  # the forecast app has no model group
    assert not list(tmp_path.iterdir())  # --help writes nothing


def test_a_misspelled_key_gets_a_did_you_mean(tmp_path: Path) -> None:
    done = run_script(
        "skillcast-train", "data=sample", "model=ets", "model.season_lenght=2",
        "backtest.horizn=3", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == EXIT_CONFIG
    assert "did you mean model.season_length?" in done.stderr
    assert "did you mean backtest.horizon?" in done.stderr


def test_python_option_names_become_config_keys() -> None:
    said = (
        "Choose PanelSpec.gaps='zero' if ..., PanelSpec.gaps='missing' if ...; or set "
        "PanelSpec.unknown_codes='warn'. Declare ReadOptions.thousands='.' and "
        "ReadOptions(sep=';'); check PanelSpec.encoding; or say which with "
        "supply_gap(freq='annual')."
    )
    assert app_terms(said) == (
        "Choose data.spec.gaps=zero if ..., data.spec.gaps=missing if ...; or set "
        "data.spec.unknown_codes=warn. Declare \"data.read.thousands='.'\" and "
        "\"data.read.sep=';'\"; check data.spec.encoding; or say which with "
        "demand.supply_freq=annual."
    )


def test_a_data_error_in_the_app_names_the_config_key(tmp_path: Path, caplog) -> None:
    frame = pd.DataFrame(
        {"period": ["2023-H1", "2024-H1", "2024-H2"], "sector": ["C10"] * 3,
         "occupation": ["4311"] * 3, "level": ["L1"] * 3, "employment": [5.0, 6.0, 7.0]}
    )  # fmt: skip
    path = tmp_path / "holes.csv"
    frame.to_csv(path, index=False)
    overrides = ["data=csv", f"data.path={path}", "model=seasonal_naive"]
    with caplog.at_level(logging.ERROR):
        assert train_app.run(cfg("train", tmp_path, *overrides)) == EXIT_DATA
    assert "data.spec.gaps=missing" in caplog.text
    assert "PanelSpec" not in caplog.text


def test_a_semicolon_csv_in_the_app_names_the_delimiter_key(tmp_path: Path, caplog) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text(
        "period;sector;occupation;level;employment\n2024-H1;C10;4311;L1;5\n", encoding="utf-8"
    )
    overrides = ["data=csv", f"data.path={path}", "model=seasonal_naive"]
    with caplog.at_level(logging.ERROR):
        assert train_app.run(cfg("train", tmp_path, *overrides)) == EXIT_DATA
    assert "data.read.sep" in caplog.text and ";" in caplog.text
