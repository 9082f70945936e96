"""Tests of skillcast.taxonomy: the shipped tables, the look-ups and the CSV reader."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.taxonomy import (
    REQUIRED_COLUMNS,
    Taxonomy,
    builtin,
    cluster_indicators,
    clusters,
    clusters_of,
    levels,
    load_taxonomy,
    occupations,
    sectors,
    vqf,
)

ISCO_SUB_MAJORS = {
    "01", "02", "03", "11", "12", "13", "14", "21", "22", "23", "24", "25", "26",
    "31", "32", "33", "34", "35", "41", "42", "43", "44", "51", "52", "53", "54",
    "61", "62", "63", "71", "72", "73", "74", "75", "81", "82", "83",
    "91", "92", "93", "94", "95", "96",
}  # fmt: skip
# the unit groups of the bundled sample: all carry VSCO 2020 Vietnamese names
UNIT_GROUPS = (
    "1324 2141 2144 2411 2512 2514 2529 3113 3115 3151 3152 3154 3311 3331 4221 4224 "
    "4311 4321 4323 5113 5120 5131 5223 5414 7112 7212 7233 7412 7533 8153 8212 8332 "
    "8343 8344 8350 9313 9329 9333 9412"
).split()
MANUFACTURING = [f"C{i}" for i in range(10, 34)]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ occupations
def test_occupation_majors_and_skill_levels() -> None:
    occ = occupations()
    assert occ.name == "occupation" and occ.version == "VSCO2020"
    assert occ.codes_at(1) == [str(i) for i in range(10)]
    assert occ.skill_level(["0", "1", "2", "3", "4", "9"]).tolist() == [
        "1;2;4", "3;4", "4", "3", "2", "1",
    ]  # fmt: skip
    table = occ.table.set_index("code")
    assert table.loc["0", "skill_level_min"] == 1 and table.loc["0", "skill_level_max"] == 4
    assert occ.name_of(["4"], "vi").iloc[0] == "Nhân viên trợ lý văn phòng"


def test_exactly_43_isco_sub_majors() -> None:
    table = occupations().table
    tier2 = table[table["tier"] == 2]
    isco = set(tier2.loc[tier2["isco08"] == 1, "code"])
    assert isco == ISCO_SUB_MAJORS
    assert len(isco) == 43


def test_vsco_specific_tier2_codes_flagged() -> None:
    table = occupations().table
    flagged = set(table.loc[table["vsco_specific"] == 1, "code"])
    assert flagged == {"10", "11", "12", "13", "14", "15", "16", "17", "36"}
    only_vsco = set(table.loc[table["isco08"] == 0, "code"])
    assert only_vsco == {"10", "15", "16", "17", "36"}
    assert occupations().parent_of(["10", "17", "36"]).tolist() == ["1", "1", "3"]
    # Codes 11-14 carry the ISCO-08 meaning and keep the VSCO title aside.
    row13 = table.set_index("code").loc["13"]
    assert row13["name_en"] == "Production and specialised services managers"
    assert row13["vsco2020_name_vi"].startswith("Lãnh đạo, quản lý của Tòa án nhân dân")


def test_every_unit_group_present_with_its_parent_chain() -> None:
    occ = occupations()
    assert occ.is_known(UNIT_GROUPS).all()
    assert occ.tier_of(UNIT_GROUPS).eq(4).all()
    for code in UNIT_GROUPS:
        chain = occ.ancestors(code)
        assert chain == [code[:1], code[:2], code[:3]]
        assert occ.is_known(chain).all()
    assert set(UNIT_GROUPS) < set(occ.codes_at(4))
    assert occ.name_of(["8343"], "en").iloc[0] == "Crane, hoist and related plant operators"
    assert occ.name_of(["7212"], "vi").iloc[0] == "Thợ hàn và thợ cắt kim loại"
    assert occ.attribute(UNIT_GROUPS, "name_vi_missing").eq(0).all()


def test_every_minor_group_has_a_unit_group() -> None:
    occ = occupations()
    minors = occ.codes_at(3)
    assert len(minors) == 130
    assert {u[:3] for u in UNIT_GROUPS} < set(minors)
    assert all(occ.children(m) for m in minors)


def test_rollup_by_prefix() -> None:
    occ = occupations()
    assert occ.rollup(["8343"], 1).tolist() == ["8"]
    assert occ.rollup(["8343"], 2).tolist() == ["83"]
    assert occ.rollup(["8343"], 3).tolist() == ["834"]
    assert occ.rollup(["8343"], 4).tolist() == ["8343"]
    # A 5-digit national code and a unit group missing from the table still roll up.
    out = occ.rollup(pd.Series(["83431", "8341", "8", None], index=[7, 8, 9, 10]), 3)
    assert out.index.tolist() == [7, 8, 9, 10]
    assert out.iloc[:2].tolist() == ["834", "834"]
    assert out.iloc[2:].isna().all()
    with pytest.raises(SkillcastConfigError, match="tier 5"):
        occ.rollup(["8343"], 5)


def test_children_and_ancestors() -> None:
    occ = occupations()
    assert occ.children("83") == ["831", "832", "833", "834", "835"]
    assert occ.children("834") == ["8341", "8342", "8343", "8344"]
    assert occ.children("8343") == []
    assert occ.ancestors("8") == []
    assert occ.ancestors("83431") == ["8", "83", "834", "8343"]
    with pytest.raises(SkillcastDataError, match="not in the occupation table"):
        occ.children("8399")
    assert occ.ancestors("8399") == ["8", "83"]  # unknown, yet placed by its prefix


def test_is_known_on_mixed_input() -> None:
    occ = occupations()
    mask = occ.is_known(["8343", "9999", None, "", " 2512 ", 5120, np.nan, "H52"])
    assert isinstance(mask, np.ndarray) and mask.dtype == bool
    assert mask.tolist() == [True, False, False, False, True, True, False, False]
    assert occ.is_known(pd.Series([8343.0, np.nan])).tolist() == [True, False]


def test_name_of_is_vectorised_and_keeps_the_index() -> None:
    occ = occupations()
    codes = pd.Series(["5120", "0000", "5131"], index=["a", "b", "c"])
    names = occ.name_of(codes, lang="en")
    assert names.index.tolist() == ["a", "b", "c"]
    assert names["a"] == "Cooks" and pd.isna(names["b"]) and names["c"] == "Waiters"
    with pytest.raises(SkillcastConfigError, match="lang"):
        occ.name_of(codes, lang="fr")


# ----------------------------------------------------------------------- levels
def test_levels_are_ordered_and_keep_diacritics() -> None:
    lev = levels()
    assert lev.version == "LFS-CMKT"
    assert lev.codes_at(1) == ["L0", "L1", "L2", "L3", "L4"]
    assert lev.ordinal(["L0", "L1", "L2", "L3", "L4"]).tolist() == [0, 1, 2, 3, 4]
    assert lev.name_of(["L2"]).iloc[0] == "Trung cấp"
    assert lev.name_of(["L0", "L4"]).tolist() == [
        "Không có chuyên môn kỹ thuật",
        "Đại học trở lên",
    ]
    assert lev.ordinal(["L9"]).isna().all()
    for name in lev.table["name_vi"]:
        assert unicodedata.is_normalized("NFC", name)


def test_vqf_maps_onto_lfs_levels() -> None:
    table = vqf().table.set_index("code")
    assert vqf().version == "VQF2016"
    assert table["name_vi"].tolist() == [
        "Sơ cấp I", "Sơ cấp II", "Sơ cấp III", "Trung cấp",
        "Cao đẳng", "Đại học", "Thạc sĩ", "Tiến sĩ",
    ]  # fmt: skip
    assert table["lfs_level"].tolist() == ["L1", "L1", "L1", "L2", "L3", "L4", "L4", "L4"]
    assert levels().is_known(table["lfs_level"]).all()
    assert vqf().ordinal(table.index).tolist() == list(range(1, 9))


# ---------------------------------------------------------------------- sectors
def test_sections_and_divisions() -> None:
    sec = sectors()
    assert sec.version == "VSIC2018"
    assert sec.codes_at(1) == [chr(c) for c in range(ord("A"), ord("U") + 1)]
    assert len(sec.codes_at(1)) == 21
    divisions = set(sec.codes_at(2))
    assert set(MANUFACTURING) <= divisions
    assert {"H49", "H50", "H51", "H52", "H53", "G46", "I55", "I56", "N79"} <= divisions
    assert sec.parent_of(["H52", "C33", "K66"]).tolist() == ["H", "C", "K"]
    assert sec.rollup(["H52", "H5210", "A"], 1).tolist() == ["H", "H", "A"]
    assert sec.name_of(["C"]).iloc[0] == "Công nghiệp chế biến, chế tạo"
    # curated names win over the official list's capitals; English where curated only
    assert sec.name_of(["H"]).iloc[0] == "Vận tải kho bãi"
    assert sec.name_of(["I55", "I56"]).tolist() == ["Dịch vụ lưu trú", "Dịch vụ ăn uống"]
    assert sec.name_of(["H52"], "en").iloc[0].startswith("Warehousing")
    assert sec.name_of(["H5210"], "en").isna().all()
    assert sec.attribute(["H52", "H5210"], "name_en_missing").tolist() == [0, 1]


def test_cluster_membership() -> None:
    table = clusters()
    assert list(table.columns) == ["cluster", "name_vi", "name_en", "division"]
    members = table.groupby("cluster")["division"].agg(set)
    assert {"G46", "H52"} <= members["logistics"]
    assert members["logistics"] == {"H49", "H50", "H51", "H52", "H53", "G46"}
    assert members["seaport_maritime"] == {"H50", "H52"}
    assert members["manufacturing"] == set(MANUFACTURING)
    assert len(members["manufacturing"]) == 24
    assert sectors().is_known(table["division"]).all()


def test_clusters_of_and_indicators() -> None:
    labels = clusters_of(["H52", "G46", "C10", "A", None, "H5210"])
    assert labels.iloc[0] == "seaport_maritime;logistics;airport"
    assert labels.iloc[1] == "logistics;import_export"
    assert labels.iloc[2] == "manufacturing"
    assert labels.iloc[3:5].isna().all()
    assert labels.iloc[5] == labels.iloc[0]
    # VSIC's own form, at any depth, lands in the same clusters
    assert clusters_of(["52", "5210", "52101", "46"]).tolist() == [
        *[labels.iloc[0]] * 3, labels.iloc[1],
    ]  # fmt: skip
    assert cluster_indicators(["5510"]).loc[0, "tourism"]
    flags = cluster_indicators(pd.Series(["H52", "I55", "zz"], index=[3, 4, 5]))
    assert flags.index.tolist() == [3, 4, 5]
    assert flags.columns[0] == "seaport_maritime" and flags.dtypes.eq(bool).all()
    assert flags.loc[3, ["seaport_maritime", "logistics", "airport"]].all()
    assert not flags.loc[3, "tourism"] and flags.loc[4, "tourism"]
    assert not flags.loc[5].any()


# ---------------------------------------------------------------- builtin, cache
def test_builtin_names_and_aliases() -> None:
    assert builtin("occupation") is occupations()
    assert builtin("occupations") is occupations()
    assert builtin("levels") is levels() and builtin("sectors") is sectors()
    assert builtin("vqf") is vqf()
    with pytest.raises(SkillcastConfigError, match="no shipped taxonomy"):
        builtin("regions")


def test_cached_table_cannot_be_corrupted() -> None:
    table = occupations().table
    table.loc[0, "name_vi"] = "changed"
    table["tier"] += 1
    assert occupations().tier_of(["0"]).tolist() == [1]
    assert len(occupations().table) == 624
    assert occupations().name_of(["0"]).iloc[0] == "Lực lượng vũ trang"


# ---------------------------------------------------------------- load_taxonomy
GOOD_CSV = """code,parent,tier,name_vi,name_en,version,note
H,,1,Vận tải kho bãi,Transportation and storage,VSIC2025,7
H52,H,2,Kho bãi,Warehousing,VSIC2025,
H521,H52,3,Kho bãi và lưu giữ hàng hóa,Warehousing and storage,VSIC2025,3
"""


def test_load_taxonomy_round_trip(tmp_path: Path) -> None:
    path = _write(tmp_path / "vsic2025.csv", GOOD_CSV)
    tax = load_taxonomy(path)
    assert isinstance(tax, Taxonomy)
    assert tax.name == "vsic2025" and tax.version == "VSIC2025"
    assert tax.codes == frozenset({"H", "H52", "H521"})
    assert tax.name_of(["H521"]).iloc[0] == "Kho bãi và lưu giữ hàng hóa"
    assert tax.rollup(["H5210", "H521"], 2).tolist() == ["H52", "H52"]
    assert tax.attribute(["H", "H52"], "note").tolist()[0] == 7
    assert str(tax.attribute(["H"], "note").dtype) == "Int64"
    # write the table back and read it again: same content
    again = tmp_path / "again.csv"
    tax.table.to_csv(again, index=False)
    assert load_taxonomy(again, name="copy").table.equals(tax.table)


def test_load_taxonomy_keeps_leading_zeros_and_bom(tmp_path: Path) -> None:
    path = tmp_path / "armed.csv"
    path.write_bytes(
        "code,parent,tier,name_vi,name_en,version\n0,,1,Lực lượng vũ trang,Armed,X\n"
        "01,0,2,Sĩ quan,Officers,X\n".encode("utf-8-sig")
    )
    tax = load_taxonomy(path, name="armed")
    assert tax.codes == frozenset({"0", "01"})
    assert tax.name_of(["0"]).iloc[0] == "Lực lượng vũ trang"


def test_non_prefix_table_rolls_up_through_parents(tmp_path: Path) -> None:
    text = (
        "code,parent,tier,name_vi,name_en,version\n"
        "TOP,,1,,Top,CW\nMID,TOP,2,,Mid,CW\nLEAF,MID,3,,Leaf,CW\n"
    )
    tax = load_taxonomy(_write(tmp_path / "cw.csv", text))
    out = tax.rollup(["LEAF", "MID", "TOP", "NOPE"], 2)
    assert out.iloc[:2].tolist() == ["MID", "MID"]
    assert out.iloc[2:].isna().all()
    assert tax.ancestors("LEAF") == ["TOP", "MID"]
    with pytest.raises(SkillcastDataError, match="not in the cw table"):
        tax.ancestors("NOPE")


def test_load_taxonomy_missing_column(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.csv", "code,tier,name_vi,name_en,version\nA,1,a,a,V\n")
    with pytest.raises(SkillcastDataError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert "missing required column(s) ['parent']" in message
    assert "bad.csv" in message and "README" in message
    assert ",".join(REQUIRED_COLUMNS) in message


def test_load_taxonomy_duplicate_codes(tmp_path: Path) -> None:
    rows = "".join(f"C{i},,1,a,a,V\nC{i},,1,b,b,V\n" for i in range(7))
    path = _write(tmp_path / "dup.csv", "code,parent,tier,name_vi,name_en,version\n" + rows)
    with pytest.raises(SkillcastDataError) as err:
        load_taxonomy(path)
    message = str(err.value)
    assert "7 duplicated code(s) on 14 rows" in message
    assert "['C0', 'C1', 'C2', 'C3', 'C4', ...]" in message
    assert "C5'" not in message
    assert "exactly one row" in message


def test_load_taxonomy_dangling_parent(tmp_path: Path) -> None:
    text = "code,parent,tier,name_vi,name_en,version\nH,,1,a,a,V\nK64,K,2,b,b,V\n"
    with pytest.raises(SkillcastDataError) as err:
        load_taxonomy(_write(tmp_path / "orphan.csv", text))
    message = str(err.value)
    assert "names 1 code(s) that are not in the table, e.g. ['K']" in message
    assert "add rows for these parents" in message


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("A,,x,a,a,V\n", "column 'tier'"),
        ("A,,1,a,a,V\nB,A,1,b,b,V\n", "tier is not smaller"),
        ("A,,1,a,a,V1\nB,A,2,b,b,V2\n", "column 'version' must hold one value"),
        (",,1,a,a,V\n", "column 'code' is empty"),
    ],
)
def test_load_taxonomy_other_errors(tmp_path: Path, body: str, expected: str) -> None:
    path = _write(tmp_path / "t.csv", "code,parent,tier,name_vi,name_en,version\n" + body)
    with pytest.raises(SkillcastDataError, match=expected):
        load_taxonomy(path)


def test_errors_are_value_errors() -> None:
    assert issubclass(SkillcastDataError, ValueError)
    with pytest.raises(ValueError, match="missing required column"):
        Taxonomy(pd.DataFrame({"code": ["A"]}), "tiny")


def test_attribute_unknown_column() -> None:
    with pytest.raises(SkillcastConfigError, match="no column 'ordinal'"):
        occupations().ordinal(["1"])


# ---------------------------------------------------------------- alias column
ALIAS_CSV = """code,parent,tier,name_vi,name_en,version,alias
H,,1,Vận tải kho bãi,Transportation and storage,VSIC2025,
H52,H,2,Kho bãi,Warehousing,VSIC2025,52
H521,H52,3,Kho bãi và lưu giữ hàng hóa,Warehousing and storage,VSIC2025,521
"""


def test_a_users_alias_column_is_accepted_wherever_codes_are(tmp_path: Path) -> None:
    tax = load_taxonomy(_write(tmp_path / "v.csv", ALIAS_CSV))
    # the alias stays text: "01"-style aliases must keep their zeros
    assert tax.attribute(["H52"], "alias").tolist() == ["52"]
    assert tax.canonical(["52", "521", "5219", "H", "99", None]).tolist()[:5] == [
        "H52", "H521", "H5219", "H", "99",
    ]  # fmt: skip
    assert tax.is_known(["52", "H521", "5219"]).tolist() == [True, True, False]
    assert "52" in tax and "53" not in tax
    assert tax.name_of(["521"], "en").tolist() == ["Warehousing and storage"]
    assert tax.rollup(["5219", "52"], 2).tolist() == ["H52", "H52"]
    assert tax.children("52") == ["H521"]
    assert tax.ancestors("5219") == ["H", "H52", "H521"]


def test_a_table_without_aliases_rewrites_nothing() -> None:
    occ = occupations()
    codes = pd.Series(["8343", " 2512", "52"], index=[4, 5, 6])
    out = occ.canonical(codes)
    assert out.tolist() == ["8343", "2512", "52"] and out.index.tolist() == [4, 5, 6]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("A,,1,a,a,V,x\nA1,A,2,b,b,V,x\n", "more than one row"),
        ("A,,1,a,a,V,\nA1,A,2,b,b,V,A\n", "the code of another row"),
    ],
)
def test_bad_aliases_are_refused(tmp_path: Path, body: str, expected: str) -> None:
    header = "code,parent,tier,name_vi,name_en,version,alias\n"
    with pytest.raises(SkillcastDataError, match=expected):
        load_taxonomy(_write(tmp_path / "a.csv", header + body))


def test_description_of_a_users_table(tmp_path: Path) -> None:
    tax = load_taxonomy(_write(tmp_path / "v.csv", ALIAS_CSV), name="sector")
    assert tax.description == "the sector table (VSIC2025) has 3 code(s): H, H52, H521"
    assert "complete ISCO-08 (619 codes" in occupations().description
