"""experiments/reconcile_report.py: the per-level table it prints holds what it says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from skillcast.datasets import load_sample
from skillcast.models import SeasonalNaive
from skillcast.panel import Panel
from skillcast.reconcile.evaluation import accuracy_by_level, node_windows
from skillcast.reconcile.forecaster import ReconciledForecaster

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "reconcile_report.py"


@pytest.fixture(scope="module")
def report():
    spec = importlib.util.spec_from_file_location("reconcile_report", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def panel() -> Panel:
    full = load_sample()
    keep = full.series_id < 60
    return Panel(full.spec, full.frame.loc[keep].reset_index(drop=True))


def test_level_table_has_every_level_measure_and_method(report, panel: Panel) -> None:
    table, used = report.level_table(panel, SeasonalNaive(levels=()), horizon=2, windows=2)
    assert list(table.columns) == ["base", "bottom_up", "ols", "wls_struct", "mint_shrink"]
    levels = ["total", "sector", "occupation_major", "level", "bottom"]
    assert list(table.index.get_level_values("level").unique()) == levels
    assert list(table.loc["total"].index) == ["mase", "wape", "hit_rate", "di"]
    assert np.isnan(table.loc[("total", "di")]).all()  # one category: no mix to compare
    # bottom-up leaves the bottom series as they were
    assert table.loc["bottom", "bottom_up"].equals(table.loc["bottom", "base"])
    assert used == {m: (m, m) for m in report.METHODS}
    # the same numbers as scoring one method's windows directly
    model = ReconciledForecaster(SeasonalNaive(levels=()))
    direct = accuracy_by_level(node_windows(model, panel, 2, 2).reconcile("wls_struct"))
    row = direct.query("aggregation == 'sector' and forecast == 'reconciled'").iloc[0]
    assert table.loc[("sector", "wape"), "wls_struct"] == pytest.approx(row["wape"])
    assert table.loc[("sector", "hit_rate"), "wls_struct"] == pytest.approx(row["hit_rate"])


def test_main_prints_the_table(report, capsys) -> None:
    report.main(["--model", "seasonal_naive", "--windows", "1", "--horizon", "1",
                 "--max-series", "40", "--residual-windows", "3"])  # fmt: skip
    out = capsys.readouterr().out
    assert "mint_shrink" in out and "occupation_major" in out and "hit_rate" in out
    assert "method fallbacks: none" in out
