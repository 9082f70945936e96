"""The complete shipped classifications (ISCO-08 under VSCO 2020, VSIC 2018) in panels."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest

from skillcast import PanelSpec, load_panel
from skillcast.datasets import load_sample
from skillcast.errors import SkillcastDataError, SkillcastDataWarning
from skillcast.reconcile.structure import build_structure
from skillcast.taxonomy import Taxonomy, occupations, sectors

# ISCO-08's skill levels by major group; groups 1 and 0 go by sub-major group
SKILL_BY_MAJOR = {"2": 4, "3": 3, "4": 2, "5": 2, "6": 2, "7": 2, "8": 2, "9": 1}
SKILL_BY_SUB_MAJOR = {"11": 4, "12": 4, "13": 4, "14": 3, "01": 4, "02": 2, "03": 1}


def panel_frame(sector: list[str], occupation: str = "8343") -> pd.DataFrame:
    n = len(sector)
    return pd.DataFrame(
        {
            "sector": sector,
            "occupation": [occupation] * n,
            "level": ["L1"] * n,
            "period": [f"{2020 + i // 2}-H{i % 2 + 1}" for i in range(n)],
            "employment": np.arange(1.0, n + 1.0),
        }
    )


# ------------------------------------------------------------- occupations: ISCO-08
def test_every_isco08_code_is_known_at_every_level() -> None:
    table = occupations().table
    isco = table[table["isco08"] == 1]
    assert len(isco) == 619
    assert isco["tier"].value_counts().sort_index().tolist() == [10, 43, 130, 436]
    assert (isco["code"].str.len() == isco["tier"]).all()
    national = table.loc[table["isco08"] == 0, "code"].tolist()
    assert national == ["10", "15", "16", "17", "36"]
    assert occupations().is_known(["2221", "0110", "9629", "111", "26"]).all()


def test_vsco_rows_take_precedence_over_isco_titles() -> None:
    occ = occupations()
    # a curated row keeps its Vietnamese name and sentence-case English title
    assert occ.name_of(["8343"], "vi").iloc[0].startswith("Thợ vận hành cần trục")
    assert occ.name_of(["13"], "en").iloc[0] == "Production and specialised services managers"
    # a code only ISCO-08 has: the ILO's English title, no Vietnamese name, flagged
    assert occ.name_of(["2221"], "en").iloc[0] == "Nursing Professionals"
    assert pd.isna(occ.name_of(["2221"], "vi").iloc[0])
    flags = occ.attribute(["2221", "222", "8343", "10"], "name_vi_missing").tolist()
    assert flags == [1, 1, 0, 0]
    table = occ.table
    missing = table["name_vi_missing"] == 1
    assert table.loc[missing, "name_vi"].isna().all()
    assert table.loc[~missing, "name_vi"].notna().all()
    assert table.loc[missing, "name_en"].notna().all()


def test_isco_rows_follow_isco08_skill_levels() -> None:
    table = occupations().table
    units = table[(table["tier"] == 4) & (table["name_vi_missing"] == 1)]
    expected = [
        SKILL_BY_SUB_MAJOR.get(code[:2], SKILL_BY_MAJOR.get(code[0])) for code in units["code"]
    ]
    assert units["skill_level_max"].tolist() == expected
    assert units["skill_level_min"].tolist() == expected
    assert occupations().skill_level(["2221", "1411", "0310"]).tolist() == ["4", "3", "1"]


def test_a_real_isco_code_outside_the_sample_is_accepted() -> None:
    panel = load_panel(panel_frame(["H52", "H52"], occupation="2221"))
    assert panel.series["occupation"].tolist() == ["2221"]


# ---------------------------------------------------------------- sectors: VSIC 2018
def test_vsic2018_is_complete_and_written_with_its_section() -> None:
    sec = sectors()
    assert len(sec) == 1549
    assert sec.table["tier"].value_counts().sort_index().tolist() == [21, 88, 242, 464, 734]
    assert sec.codes_at(3)[:2] == ["A011", "A012"]
    assert sec.ancestors("H52101") == ["H", "H52", "H521", "H5210"]
    assert sec.name_of(["H52101"]).iloc[0] == "Kho bãi và lưu giữ hàng hóa trong kho ngoại quan"
    aliases = sec.table.set_index("code")["alias"]
    assert aliases["H52"] == "52" and aliases["A01110"] == "01110" and pd.isna(aliases["H"])


def test_vsic_own_codes_are_read_as_the_tables_codes() -> None:
    sec = sectors()
    assert sec.canonical(["52", "521", "5210", "52101", "H52", "01", "H"]).tolist() == [
        "H52", "H521", "H5210", "H52101", "H52", "A01", "H",
    ]  # fmt: skip
    assert sec.rollup(["52101", "4610"], 2).tolist() == ["H52", "G46"]
    # a rebuilt table (as persistence rebuilds it) keeps the aliases
    again = Taxonomy(sec.table, "sector")
    assert again.canonical(["5210"]).tolist() == ["H5210"]


def test_a_panel_with_vsic_own_codes_is_normalised_with_a_warning() -> None:
    frame = panel_frame(["52", "H52", "5210", "H5210", "52101"])
    frame["sector"] = ["52", "H52", "5210", "H5210", "52101"]
    frame["period"] = ["2020-H1", "2020-H2", "2020-H1", "2020-H2", "2020-H1"]
    with pytest.warns(SkillcastDataWarning) as caught:
        panel = load_panel(frame)
    assert panel.series["sector"].tolist() == ["H52", "H5210", "H52101"]
    assert panel.n_series == 3 and panel.n_periods == 2
    message = " ".join(str(w.message) for w in caught)
    assert "Key codes rewritten to one form: column 'sector': 3 row(s), 3 distinct code(s)" in (
        message
    )
    assert "'52' -> 'H52'" in message and "sector table (VSIC2018)" in message
    assert frame["sector"].tolist()[0] == "52"  # the caller's frame is untouched


def test_both_forms_of_one_code_in_one_period_are_duplicates() -> None:
    frame = panel_frame(["52", "H52"]).assign(period="2020-H1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkillcastDataWarning)
        with pytest.raises(SkillcastDataError, match="repeat a \\(keys, period\\) pair"):
            load_panel(frame)


def test_codes_in_the_tables_form_load_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel = load_panel(panel_frame(["H52", "H52"]))
    assert panel.series["sector"].tolist() == ["H52"]


def test_no_taxonomy_no_rewriting() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        panel = load_panel(panel_frame(["52", "52"]), PanelSpec(taxonomies={}))
    assert panel.series["sector"].tolist() == ["52"]


# ------------------------------------------------------------- unknown-code messages
def test_unknown_occupation_message_says_how_complete_the_table_is() -> None:
    with pytest.raises(SkillcastDataError) as err:
        load_panel(panel_frame(["H52", "H52"], occupation="9999"))
    text = str(err.value)
    assert "carry 1 code(s) ['9999'] unknown to the occupation taxonomy (VSCO2020)" in text
    assert (
        "The shipped occupation table is complete ISCO-08 (619 codes, tiers 1-4) plus "
        "VSCO 2020 national codes (10, 15, 16, 17, 36)" in text
    )
    assert "PanelSpec.taxonomies" in text and "PanelSpec.unknown_codes='warn'" in text
    # options are named only as PanelSpec.<field>: the apps rewrite those tokens
    assert not re.search(r"(?<!PanelSpec\.)\b(unknown_codes|taxonomies)\b", text)


def test_unknown_sector_message_and_warning() -> None:
    with pytest.raises(SkillcastDataError) as err:
        load_panel(panel_frame(["H99", "H99"]))
    text = str(err.value)
    assert "The shipped sector table is complete VSIC 2018" in text
    assert "1,549 codes: 21 sections, 88 divisions, 242 groups, 464 classes, 734 sub-classes" in (
        text
    )
    with pytest.warns(SkillcastDataWarning, match="complete VSIC 2018"):
        load_panel(panel_frame(["H99", "H99"]), PanelSpec(unknown_codes="warn"))


# ------------------------------------------------------------------ the bundled sample
def test_the_sample_is_in_the_tables_form_and_its_hierarchy_only_uses_its_codes() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", SkillcastDataWarning)
        panel = load_sample()
    assert isinstance(panel, type(load_panel(panel_frame(["H52"]))))
    structure = build_structure(panel, occupation_tiers=(1, 2))
    codes = set(panel.series["occupation"])
    allowed = codes | {c[:1] for c in codes} | {c[:2] for c in codes} | {"*"}
    assert set(structure.nodes["occupation"]) <= allowed
    assert set(structure.nodes["sector"]) <= set(panel.series["sector"]) | {"*"}
