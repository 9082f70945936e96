"""The apps' ``data`` group: report batches, crosswalks, and the data a project remembers."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf
from pandas.testing import assert_frame_equal

from skillcast.apps import schema
from skillcast.apps.data import (
    check_spec,
    load_data,
    load_source,
    recorded_data,
    source_record,
)
from skillcast.datasets import aggregate_reports, read_report_batches, sample_reports_folder
from skillcast.errors import SkillcastConfigError
from skillcast.panel import PanelSpec, load_panel


def cfg(name: str, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=list(overrides))


def test_reports_give_the_panel_aggregate_reports_gives(tmp_path: Path) -> None:
    folder = sample_reports_folder()
    loaded = load_source(cfg("train", "data=reports", f"data.path={folder}").data)
    spec = PanelSpec()
    rows = read_report_batches(folder, spec)
    summed = aggregate_reports(rows, spec, count="employed")
    by_hand = load_panel(summed.frame[[*spec.keys, spec.period, spec.target]], spec)
    assert_frame_equal(loaded.panel.frame, by_hand.frame)
    counts = loaded.reports.accounting()
    assert counts["reports"] > 0 and counts["late_reports"] > 0
    assert counts["carried_reports"] > 0 and counts["dropped_duplicates"] > 0
    assert set(loaded.reports.by_period["period"]) == set(
        loaded.panel.freq.labels(loaded.panel.periods)
    )


def test_a_crosswalk_converts_the_source_before_validation(tmp_path: Path) -> None:
    # a sector recoded mid-series: C10 until 2024-H2, then split into two new codes
    periods = ["2024-H1", "2024-H2", "2025-H1", "2025-H2"]
    rows = []
    for i, period in enumerate(periods):
        if i < 2:
            rows.append(("C10", period, 100.0 + i))
        else:
            rows += [("C11", period, 60.0 + i), ("C12", period, 40.0)]
    frame = pd.DataFrame(rows, columns=["sector", "period", "employment"])
    frame["occupation"], frame["level"] = "4311", "L2"
    frame.to_csv(tmp_path / "panel.csv", index=False)
    pd.DataFrame({"old": ["C10", "C10"], "new": ["C11", "C12"], "share": [0.6, 0.4]}).to_csv(
        tmp_path / "walk.csv", index=False
    )
    data = cfg(
        "train", "data=csv", f"data.path={tmp_path / 'panel.csv'}",
        f"+data.crosswalk.path={tmp_path / 'walk.csv'}", "+data.crosswalk.column=sector",
        "data.spec.unknown_codes=keep",
    ).data  # fmt: skip
    panel = load_data(data)
    got = panel.frame.pivot(index="period", columns="sector", values="employment")
    assert list(got.columns) == ["C11", "C12"]
    assert got["C11"].tolist() == pytest.approx([60.0, 60.6, 62.0, 63.0])
    assert got["C12"].tolist() == pytest.approx([40.0, 40.4, 40.0, 40.0])


def test_project_data_is_the_recorded_node_with_the_command_line_on_top(tmp_path) -> None:
    path = tmp_path / "panel.csv"
    trained = cfg("train", "data=csv", f"data.path={path}", "data.spec.gaps=zero").data
    record = source_record(trained)
    assert json.loads(record)["path"] == str(path.resolve())
    node = recorded_data(cfg("forecast").data, record, "model version 1")
    assert (node.name, node.path, node.spec.gaps) == ("csv", str(path.resolve()), "zero")
    assert node.future_exog is None  # as recorded: the csv option has no plan
    given = cfg("forecast", "data.future_exog=plan.csv", "data.until=2024-H2",
                "data.spec.unknown_codes=warn").data  # fmt: skip
    node = recorded_data(given, record, "model version 1")
    assert (node.path, node.future_exog, node.until) == (str(path.resolve()), "plan.csv",
                                                         "2024-H2")  # fmt: skip
    assert (node.spec.gaps, node.spec.unknown_codes) == ("zero", "warn")


def test_project_data_refuses_what_it_cannot_trust_or_does_not_have() -> None:
    project = cfg("forecast").data
    with pytest.raises(SkillcastConfigError, match="no model yet"):
        recorded_data(project, None, None)
    with pytest.raises(SkillcastConfigError, match="does not record the data"):
        recorded_data(project, None, "model version 3")
    node = OmegaConf.to_container(cfg("train", "data=sample").data, resolve=True)
    node["loader"] = {"_target_": "os.system", "command": "touch /tmp/owned"}
    with pytest.raises(SkillcastConfigError, match=r"\['os.system'\].*not part of skillcast"):
        recorded_data(project, json.dumps(node), "model version 3")


def test_a_spec_other_than_the_models_is_refused_unless_refit_always() -> None:
    model, other = PanelSpec(), PanelSpec(keys=("sector", "occupation"), freq="annual")
    check_spec(model, PanelSpec(), "model version 1", "auto")
    with pytest.raises(SkillcastConfigError) as refused:
        check_spec(other, model, "model version 1", "auto")
    said = str(refused.value)
    assert "keys: model ('sector', 'occupation', 'level')" in said and "freq" in said
    check_spec(other, model, "model version 1", "always")
