"""A user's own classification, end to end.

The panel is real (Eurostat lfsa_egised: employment by country x ISCO-08 major group x
ISCED level, coded ``OC1``.. and ``ED0-2``..), and so are its tables: an occupation
table of the user's with only the required columns (the major groups under the ILO's
skill-level groupings, no skill level, no clusters) and an ISCED level table with an
ordinal. Static and hierarchy features read what the tables have and say so; the
pooled model, the reconciled default model and the apps' train -> forecast cycle run
on it.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir

from skillcast.apps import forecast as forecast_app
from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.console import EXIT_OK
from skillcast.datasets.eurostat import EUROSTAT_SPEC, read_eurostat_extract
from skillcast.errors import SkillcastDataError
from skillcast.features import HierarchyFeatures, StaticFeatures
from skillcast.features.notes import feature_notes
from skillcast.models import AutoForecaster, Naive
from skillcast.panel import Panel, PanelSpec, load_panel
from skillcast.reconcile import ReconciledForecaster, aggregated_spec
from skillcast.taxonomy import Taxonomy, load_taxonomy

DATA = Path(__file__).parent / "data"
OWN = DATA / "own_classification"
OCCUPATIONS = OWN / "eurostat_occupations.csv"
LEVELS = OWN / "isced_levels.csv"
EXTRACT = DATA / "eurostat_lfsa_egised_extract.csv"
COLUMNS = ["geo", "occupation", "level", "year", "value_ths"]
OCCUPATION_CODES = set(pd.read_csv(OCCUPATIONS, dtype=str)["code"])
# ILO skill level of each ISCO-08 major group (managers span 3 and 4)
SKILL = {"OC1": "3;4", "OC2": "4", "OC3": "3", "OC4": "2", "OC5": "2", "OC6": "2",
         "OC7": "2", "OC8": "2", "OC9": "1"}  # fmt: skip


def own_spec(occupations: object = OCCUPATIONS, levels: object = LEVELS) -> PanelSpec:
    return dataclasses.replace(
        EUROSTAT_SPEC, taxonomies={"occupation": occupations, "level": levels}
    )


def own_panel(occupations: object = OCCUPATIONS, levels: object = LEVELS) -> Panel:
    frame = read_eurostat_extract(EXTRACT)[COLUMNS]
    return load_panel(frame, own_spec(occupations, levels))


def table_with(tmp_path: Path, name: str, **columns: dict[str, str]) -> Path:
    """The user's occupation table with extra attribute columns (code -> cell)."""
    table = pd.read_csv(OCCUPATIONS, dtype=str, keep_default_na=False)
    for column, cells in columns.items():
        table[column] = table["code"].map(cells).fillna("")
    path = tmp_path / f"{name}.csv"
    table.to_csv(path, index=False)
    return path


def features(builder: StaticFeatures, panel: Panel) -> pd.DataFrame:
    out = builder.transform(panel, [panel.n_periods - 1], 1)
    frame = pd.DataFrame(out, columns=builder.get_feature_names_out())
    return pd.concat([panel.series[["occupation", "level"]], frame], axis=1)


# ------------------------------------------------------------------ the features
def test_a_table_without_skill_levels_gives_its_parent_chain_and_says_so() -> None:
    panel = own_panel()
    builder = StaticFeatures().set_params(sector=None).fit(panel)
    assert builder.get_feature_names_out() == ["occ_major", "occ_submajor", "level_ordinal"]
    got = features(builder, panel).drop_duplicates(["occupation", "level"])
    by_code = got.groupby("occupation")[["occ_major", "occ_submajor"]].first()
    # majors SL1, SL2, SL34 sorted -> 0, 1, 2; the table's tier 2 is the code itself
    assert by_code["occ_major"].to_dict() == {
        "OC1": 2, "OC2": 2, "OC3": 2, "OC4": 1, "OC5": 1, "OC6": 1, "OC7": 1, "OC8": 1,
        "OC9": 0,
    }  # fmt: skip
    assert by_code["occ_submajor"].tolist() == list(range(9))
    ordinal = got.groupby("level")["level_ordinal"].first().to_dict()
    assert ordinal == {"ED0-2": 0, "ED3_4": 1, "ED5-8": 2}
    said = builder.describe()
    assert said.startswith("static features: occupation (table 'eurostat_occupations', ")
    assert "parent chain (2 tiers: 1, 2); skill level: absent in the user's table, not used" in said
    assert "clusters: absent in the user's table, not used" in said
    assert "level (table 'isced_levels', ISCED2011): ordinal: column 'ordinal'" in said


def test_a_skill_level_column_of_the_users_table_is_used(tmp_path: Path) -> None:
    path = table_with(tmp_path, "with_skill", skill_level=SKILL)
    panel = own_panel(occupations=path)
    builder = StaticFeatures(sector=None, level=None).fit(panel)
    assert builder.get_feature_names_out() == ["occ_major", "occ_submajor", "occ_skill_level"]
    got = features(builder, panel).groupby("occupation")["occ_skill_level"].first()
    # the highest level where a group spans two (managers 3;4 -> 4)
    assert got.to_dict() == {code: max(int(p) for p in v.split(";")) for code, v in SKILL.items()}
    assert "skill level: column 'skill_level'" in builder.describe()


def test_cluster_columns_of_the_users_table_are_flags_inherited_down_the_chain(
    tmp_path: Path,
) -> None:
    path = table_with(
        tmp_path,
        "with_clusters",
        # marked on a tier-1 group (all its children) and on two codes, two keys in a cell
        cluster={"SL34": "office", "OC4": "office;customer", "OC5": "customer"},
        cluster_digital={"OC2": "1", "OC3": "0"},
    )
    panel = own_panel(occupations=path)
    builder = StaticFeatures(sector=None, level=None).fit(panel)
    names = builder.get_feature_names_out()
    assert names[2:] == ["occ_cluster_office", "occ_cluster_customer", "occ_cluster_digital"]
    got = features(builder, panel).groupby("occupation")[names[2:]].first()
    assert got.index[got["occ_cluster_office"] == 1].tolist() == ["OC1", "OC2", "OC3", "OC4"]
    assert got.index[got["occ_cluster_customer"] == 1].tolist() == ["OC4", "OC5"]
    assert got.index[got["occ_cluster_digital"] == 1].tolist() == ["OC2"]
    assert "clusters: 3 from the user's table (office, customer, digital)" in builder.describe()


def test_unreadable_attribute_cells_are_refused_with_column_count_and_examples(
    tmp_path: Path,
) -> None:
    skill = table_with(tmp_path, "bad_skill", skill_level={**SKILL, "OC5": "high", "OC6": "7"})
    with pytest.raises(SkillcastDataError, match=r"'skill_level' has 2 value\(s\).*'high', '7'"):
        StaticFeatures(sector=None, level=None).fit(own_panel(occupations=skill))
    flags = table_with(tmp_path, "bad_flag", cluster_digital={"OC2": "yes"})
    with pytest.raises(SkillcastDataError, match=r"'cluster_digital' has 1 value.*'yes'"):
        StaticFeatures(sector=None, level=None).fit(own_panel(occupations=flags))


def test_a_level_table_without_an_ordinal_gives_no_level_feature(tmp_path: Path) -> None:
    table = pd.read_csv(LEVELS, dtype=str, keep_default_na=False).drop(columns="ordinal")
    table.to_csv(tmp_path / "levels.csv", index=False)
    builder = StaticFeatures(sector=None).fit(own_panel(levels=tmp_path / "levels.csv"))
    assert "level_ordinal" not in builder.get_feature_names_out()
    assert "level (table 'levels', ISCED2011): ordinal: absent in the user's table" in (
        builder.describe()
    )


def sections_panel(taxonomy: object) -> Panel:
    """Three UK SIC 2007 sections: letters VSIC also uses, with other meanings below."""
    frame = pd.DataFrame(
        {"sector": ["C", "H", "I"] * 2, "period": ["2020Q1"] * 3 + ["2020Q2"] * 3,
         "jobs": [2.0, 1.0, 3.0, 2.5, 1.5, 3.5]}
    )  # fmt: skip
    spec = PanelSpec(freq="quarterly", keys=("sector",), target="jobs",
                     taxonomies={"sector": taxonomy})  # fmt: skip
    return load_panel(frame, spec)


def test_a_foreign_sector_table_gets_no_vsic_clusters_unless_it_has_its_own() -> None:
    rows = [("B-E", "", 1, "Production"), ("G-T", "", 1, "Services"),
            ("C", "B-E", 2, "Manufacturing"), ("H", "G-T", 2, "Transport and storage"),
            ("I", "G-T", 2, "Accommodation and food service activities")]  # fmt: skip
    table = pd.DataFrame(rows, columns=["code", "parent", "tier", "name_en"])
    table = table.assign(name_vi="", version="SIC2007")
    plain = Taxonomy(table, "uk_sic")
    builder = StaticFeatures(occupation=None, level=None).fit(sections_panel(plain))
    # the top tier of the user's table (B-E, G-T), and no shipped VSIC cluster flags
    assert builder.get_feature_names_out() == ["sector_section"]
    assert features_of(builder, sections_panel(plain)) == [[0], [1], [1]]
    assert "sector (table 'uk_sic', SIC2007): parent chain (1 tier: 1); clusters: absent" in (
        builder.describe()
    )
    own = Taxonomy(table.assign(cluster=["", "", "", "logistics", ""]), "uk_sic")
    builder = StaticFeatures(occupation=None, level=None).fit(sections_panel(own))
    assert builder.get_feature_names_out() == ["sector_section", "cluster_logistics"]
    assert features_of(builder, sections_panel(own)) == [[0, 0], [1, 1], [1, 0]]


def features_of(builder: StaticFeatures, panel: Panel) -> list[list[float]]:
    return builder.transform(panel, [0], 1).tolist()


def test_the_shipped_tables_are_described_as_before() -> None:
    frame = pd.DataFrame(
        {"sector": ["H52", "C10"], "occupation": ["8343", "3151"], "level": ["L2", "L4"],
         "period": "2024-H1", "employment": [5.0, 7.0]}
    )  # fmt: skip
    builder = StaticFeatures().fit(load_panel(frame, PanelSpec()))
    said = builder.describe()
    assert (
        "occupation (shipped table VSCO2020): parent chain (2 tiers: 1, 2); skill level: "
        "column 'skill_level_max'" in said
    )
    assert "sector (shipped table VSIC2018): parent chain (1 tier: 1); clusters: the 8 shipped" in (
        said
    )
    assert builder.get_feature_names_out()[:4] == [
        "occ_major", "occ_submajor", "occ_skill_level", "sector_section",
    ]  # fmt: skip


def test_hierarchy_totals_group_by_the_users_parent_chain() -> None:
    panel = own_panel()
    builder = HierarchyFeatures(sector=None).fit(panel)
    last = panel.n_periods - 1
    out = pd.DataFrame(builder.transform(panel, [last], 1), columns=builder.feature_names_out_)
    group = load_taxonomy(OCCUPATIONS).parent_of(panel.series["occupation"]).to_numpy()
    values = pd.Series(panel.dense()[:, last])
    # every series of the same skill-level group, all countries: SL34 = OC1-3, ...
    expected = values.groupby(group).transform(lambda v: v.sum(min_count=1))
    assert set(group) == {"SL1", "SL2", "SL34"}
    assert np.allclose(out["occ_group_total"], expected, equal_nan=True)
    assert "occupation group (tier 1 of the table 'eurostat_occupations'" in builder.describe()


# ------------------------------------------------------------ the models, in Python
def test_the_default_model_fits_and_forecasts_on_the_users_classification() -> None:
    panel = own_panel()
    model = AutoForecaster(n_jobs=1).fit(panel)
    notes = feature_notes(model)
    assert any("occupation (table 'eurostat_occupations'" in n for n in notes), notes
    assert any(n.startswith("hierarchy totals: occupation group (tier 1") for n in notes)
    forecast = model.predict(2)
    assert len(forecast.frame) == 2 * panel.n_series
    assert np.isfinite(forecast.frame["mean"]).all()
    assert (forecast.frame["mean"] >= 0).all()


def test_a_reconciled_model_rolls_occupations_up_and_fits_nodes_with_the_users_table() -> None:
    spec = own_spec()
    # the base model fitted on the nodes reads the user's tables, without code checks
    assert aggregated_spec(spec).taxonomies == spec.taxonomies
    assert aggregated_spec(spec).unknown_codes == "keep"
    model = ReconciledForecaster(Naive(), method="bottom_up").fit(own_panel())
    occupations = set(model.predict_all(1).frame["occupation"])
    # the occupation tier added to the hierarchy is the user's, not a cut of the code
    assert {"SL1", "SL2", "SL34"} <= occupations
    assert occupations <= {*OCCUPATION_CODES, "*"}


# ------------------------------------------------------------------ the apps
@pytest.mark.slow
def test_train_and_forecast_apps_on_a_panel_in_a_foreign_classification(
    scratch: Path, caplog: pytest.LogCaptureFixture
) -> None:
    frame = read_eurostat_extract(EXTRACT)[COLUMNS]
    frame = frame.loc[frame["geo"].isin(["DE", "ES"])]  # the two complete countries
    frame.to_csv(scratch / "panel.csv", index=False)
    data = [
        "data=csv", f"data.path={scratch / 'panel.csv'}", "data.spec.freq=annual",
        "data.spec.keys=[geo,occupation,level]", "data.spec.period=year",
        "data.spec.target=value_ths",
        f"data.spec.taxonomies={{occupation:{OCCUPATIONS},level:{LEVELS}}}",
        # the shipped rates are for VSCO codes: the department brings its own
        f"data.replacement_rates={OWN / 'replacement_rates.csv'}",
    ]  # fmt: skip
    with caplog.at_level(logging.INFO, logger="skillcast"):
        trained = train_app.run(compose_app("train", scratch, *data, "output.horizon=2"))
        train_log = caplog.text
        caplog.clear()
        # no sector: the skills tables have the city-wide rows only
        forecast = forecast_app.run(compose_app("forecast", scratch, "output.horizon=2"))
        forecast_log = caplog.text
    assert (trained, forecast) == (EXIT_OK, EXIT_OK), train_log + forecast_log
    for log in (train_log, forecast_log):  # fitted, and the champion as loaded
        assert "static features: occupation (table 'eurostat_occupations', ESTAT-ISCO08): " in log
        assert "skill level: absent in the user's table, not used" in log
        assert "level (table 'isced_levels', ISCED2011): ordinal: column 'ordinal'" in log
    out = scratch / "forecasts"
    table = pd.read_csv(out / "latest.csv", dtype=str, encoding="utf-8-sig")
    keys = ["geo", "occupation", "level"]
    series = set(frame[keys].itertuples(index=False, name=None))
    # a key outside the contract's four is a column of its own, after the level names
    assert list(table.columns[10:12]) == ["level_name_en", "geo"]
    assert set(table[keys].itertuples(index=False, name=None)) == series
    # names come from the user's own tables
    managers = table.loc[table["occupation"] == "OC1", "occupation_name_en"]
    assert set(managers) == {"Managers"}
    assert len(table) == 2 * len(series)
    assert sorted(table["period"].unique()) == ["2024", "2025"]
    table["forecast"] = table["forecast"].astype(float)
    assert np.isfinite(table["forecast"]).all() and (table["forecast"] >= 0).all()
    nodes = pd.read_csv(out / "latest" / "forecast_all_levels.csv", dtype=str)
    # the occupation tier the reconciliation adds is the user's (SL34, ...), not a prefix
    assert {"SL1", "SL2", "SL34"} <= set(nodes["occupation"])
    assert set(nodes["occupation"]) <= {*OCCUPATION_CODES, "*"}
    page = (out / "latest_report.html").read_text(encoding="utf-8")
    assert "OC9" in page and "ED5-8" in page


def compose_app(name: str, root: Path, *overrides: str):
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *overrides])
