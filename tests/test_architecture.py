"""The layers hold: import contracts over the whole import graph, and what loads at run time."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from sklearn.base import BaseEstimator

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    # the contracts of pyproject.toml: layers, a light core, demand without models, and no
    # cycle between the modules of any package (function-level imports count too). In a
    # subprocess: import-linter configures logging and would silence this process's loggers
    command = [str(Path(sys.executable).parent / "lint-imports"), "--no-cache", "--no-logo"]
    out = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    ("module", "absent"),
    [
        ("skillcast", ("mlflow", "hydra", "dask", "skillcast.models", "matplotlib")),
        ("skillcast.demand", ("mlflow", "hydra", "skillcast.models")),
        ("skillcast.skills", ("mlflow", "hydra", "skillcast.models")),
        ("skillcast.models", ("mlflow", "hydra", "dask")),
    ],
)
def test_importing_loads_only_what_it_needs(module, absent):
    code = f"import sys, {module}; print(sorted(m for m in {absent!r} if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", f"import {module} loaded {out.stdout.strip()}"


def test_no_module_under_apps_defines_an_estimator():
    # forecasters, feature builders and reconcilers live below the apps, where a notebook
    # imports them without Hydra
    import skillcast.apps as apps

    defined = []
    for info in pkgutil.iter_modules(apps.__path__):
        module = importlib.import_module(f"skillcast.apps.{info.name}")
        defined += [
            f"{info.name}.{name}"
            for name, obj in inspect.getmembers(module, inspect.isclass)
            if obj.__module__ == module.__name__ and issubclass(obj, BaseEstimator)
        ]
    assert defined == []
