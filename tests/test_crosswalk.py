"""Tests of skillcast.taxonomy.crosswalk: loading crosswalks and converting codes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import PanelSpec, load_panel
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.taxonomy import (
    CodeConversion,
    Crosswalk,
    convert_codes,
    load_crosswalk,
    load_taxonomy,
)

OLD_PERIODS = ["2024-H1", "2024-H2", "2025-H1"]
NEW_PERIODS = ["2025-H2", "2026-H1"]

# H5221 splits 60/40 into H5222 and H5229; H5012 and H5022 merge into H5020;
# H5210 is unchanged
WALK = pd.DataFrame(
    {
        "old": ["H5210", "H5221", "H5221", "H5012", "H5022"],
        "new": ["H5210", "H5222", "H5229", "H5020", "H5020"],
        "share": [1.0, 0.6, 0.4, 1.0, 1.0],
    }
)

VSIC2025 = """code,parent,tier,name_vi,name_en,version
H,,1,Vận tải kho bãi,Transportation and storage,VSIC2025
H50,H,2,Vận tải đường thủy,Water transport,VSIC2025
H5020,H50,4,Vận tải hàng hóa đường thủy,Freight water transport,VSIC2025
H52,H,2,Kho bãi,Warehousing,VSIC2025
H5210,H52,4,Kho bãi và lưu giữ hàng hóa,Warehousing and storage,VSIC2025
H5222,H52,4,Hoạt động dịch vụ hỗ trợ vận tải đường thủy,Water transport support,VSIC2025
H5229,H52,4,Hoạt động dịch vụ hỗ trợ khác,Other support,VSIC2025
"""


def recoded_mid_series() -> pd.DataFrame:
    """Old codes up to 2025-H1, new codes from 2025-H2, for two occupations."""
    rows = []
    for occupation, scale in (("8343", 1.0), ("9333", 2.0)):
        for i, period in enumerate(OLD_PERIODS):
            rows += [
                ("H5221", occupation, period, scale * (100 + 10 * i)),
                ("H5210", occupation, period, scale * 50),
                ("H5012", occupation, period, scale * 7),
                ("H5022", occupation, period, scale * 3),
            ]
        for i, period in enumerate(NEW_PERIODS):
            rows += [
                ("H5222", occupation, period, scale * (80 + i)),
                ("H5229", occupation, period, scale * (52 + i)),
                ("H5210", occupation, period, scale * 51),
                ("H5020", occupation, period, scale * 11),
            ]
    return pd.DataFrame(rows, columns=["sector", "occupation", "period", "employment"])


# ------------------------------------------------------------------------ conversion
def test_a_panel_recoded_mid_series_becomes_continuous_new_series(tmp_path: Path) -> None:
    frame = recoded_mid_series()
    before = frame.copy()
    out, record = convert_codes(frame, WALK, "sector", "employment")
    pd.testing.assert_frame_equal(frame, before)  # the caller's frame is untouched
    crane = out[out["occupation"] == "8343"].pivot(
        index="period", columns="sector", values="employment"
    )
    assert list(crane.columns) == ["H5020", "H5210", "H5222", "H5229"]
    assert crane.notna().all().all()  # every new code has every period
    assert crane["H5222"].tolist() == [60, 66, 72, 80, 81]  # 0.6 x 100, 110, 120; then as given
    assert crane["H5229"].tolist() == [40, 44, 48, 52, 53]
    assert crane["H5020"].tolist() == [10, 10, 10, 11, 11]  # 7 + 3 merged
    assert crane["H5210"].tolist() == [50, 50, 50, 51, 51]
    assert len(out) == 2 * 4 * 5
    assert record.rows_converted == 2 * 3 * 3  # H5221, H5012, H5022 rows before 2025-H2
    assert record.old_codes == ("H5012", "H5022", "H5221")
    assert record.new_codes == ("H5020", "H5222", "H5229")
    assert record.totals_equal
    assert record.totals_before["employment"] == pytest.approx(frame["employment"].sum())
    # the converted frame loads as a panel of the new version, without holes
    table = tmp_path / "vsic2025.csv"
    table.write_text(VSIC2025, encoding="utf-8")
    spec = PanelSpec(keys=("sector", "occupation"), taxonomies={"sector": str(table)})
    panel = load_panel(out, spec)
    assert panel.n_series == 8 and panel.n_periods == 5 and len(panel) == 40


def test_totals_are_preserved_and_logged() -> None:
    frame = recoded_mid_series().assign(vacancies=lambda f: f["employment"] / 10)
    out, record = convert_codes(frame, WALK, "sector", ["employment", "vacancies"])
    for name in ("employment", "vacancies"):
        assert out[name].sum() == pytest.approx(frame[name].sum(), rel=1e-12)
    assert isinstance(record, CodeConversion) and record.totals_equal
    line = record.summary()
    assert line.startswith("column 'sector': 18 of 40 row(s) converted from 3 old code(s)")
    assert "to 3 new code(s), 40 row(s) out" in line and line.endswith("(equal)")


@settings(max_examples=60, deadline=None)
@given(
    splits=st.lists(st.lists(st.integers(1, 9), min_size=1, max_size=3), min_size=1, max_size=4),
    values=st.lists(st.floats(0, 1e6, allow_nan=False), min_size=8, max_size=8),
)
def test_any_crosswalk_preserves_totals(splits: list[list[int]], values: list[float]) -> None:
    pairs = []
    for i, weights in enumerate(splits):
        total = sum(weights)
        pairs += [(f"O{i}", f"N{(i + j) % 5}", w / total) for j, w in enumerate(weights)]
    walk = pd.DataFrame(pairs, columns=["old", "new", "share"]).drop_duplicates(["old", "new"])
    walk["share"] = walk["share"] / walk.groupby("old")["share"].transform("sum")
    codes = [f"O{i % len(splits)}" for i in range(4)] + ["N0", "N1", "N2", "N3"]
    frame = pd.DataFrame(
        {"sector": codes, "period": [f"P{i}" for i in range(8)], "employment": values}
    )
    # N0..N3 the crosswalk may not list: kept as they are
    out, record = convert_codes(frame, walk, "sector", "employment", unknown="keep")
    assert math.isclose(out["employment"].sum(), sum(values), rel_tol=1e-9, abs_tol=1e-6)
    assert record.totals_equal
    assert set(out["sector"]) <= {f"N{i}" for i in range(5)}


def test_missing_values_stay_missing() -> None:
    frame = pd.DataFrame(
        {
            "sector": ["H5012", "H5022", "H5012", "H5022"],
            "period": ["2024-H1", "2024-H1", "2024-H2", "2024-H2"],
            "employment": [7.0, np.nan, 5.0, 1.0],
        }
    )
    out, record = convert_codes(frame, WALK, "sector", "employment")
    assert out["sector"].tolist() == ["H5020", "H5020"]
    assert np.isnan(out["employment"].iloc[0]) and out["employment"].iloc[1] == 6.0
    assert not record.totals_equal  # the 7 went into a cell whose other part is unknown


def test_codes_already_new_pass_through_unchanged() -> None:
    frame = pd.DataFrame(
        {"sector": ["H5222", " H5210"], "period": ["2026-H1"] * 2, "employment": [3, 4]}
    )
    out, record = convert_codes(frame, WALK, "sector", "employment")
    assert out["sector"].tolist() == ["H5222", "H5210"]  # text made clean, nothing else
    assert out["employment"].tolist() == [3, 4] and out["employment"].dtype == np.int64
    assert record.rows_converted == 0 and record.old_codes == () and record.totals_equal


def test_codes_in_neither_version_are_refused_or_kept() -> None:
    frame = pd.DataFrame(
        {"sector": ["H5221", "X1", "X2"], "period": ["2024-H1"] * 3, "employment": [10, 1, 2]}
    )
    with pytest.raises(SkillcastDataError) as err:
        convert_codes(frame, WALK, "sector", "employment")
    text = str(err.value)
    assert "2 row(s) carry 2 code(s) in neither version" in text and "['X1', 'X2']" in text
    assert "unknown='keep'" in text
    out, record = convert_codes(frame, WALK, "sector", "employment", unknown="keep")
    assert out["sector"].tolist() == ["H5222", "H5229", "X1", "X2"]
    assert out["employment"].tolist() == [6, 4, 1, 2]
    assert record.kept_codes == ("X1", "X2")


def test_codes_both_versions_use_differently_need_new_from() -> None:
    # 4610 splits in the new version, which also keeps 4610 for one part of it
    walk = pd.DataFrame({"old": ["4610", "4610"], "new": ["4610", "4619"], "share": [0.75, 0.25]})
    frame = pd.DataFrame(
        {
            "sector": ["4610", "4610", "4610", "4619"],
            "period": ["2025-H1", "2025-H2", "2025-H2", "2025-H2"],
            "occupation": ["a", "a", "b", "a"],
            "employment": [100.0, 90.0, 8.0, 30.0],
        }
    )
    with pytest.raises(SkillcastDataError, match="pass new_from="):
        convert_codes(frame, walk, "sector", "employment")
    out, record = convert_codes(frame, walk, "sector", "employment", new_from="2025-H2")
    got = out.set_index(["sector", "period", "occupation"])["employment"].to_dict()
    assert got == {
        ("4610", "2025-H1", "a"): 75.0,
        ("4619", "2025-H1", "a"): 25.0,
        ("4610", "2025-H2", "a"): 90.0,
        ("4610", "2025-H2", "b"): 8.0,
        ("4619", "2025-H2", "a"): 30.0,
    }
    assert record.rows_converted == 1
    with pytest.raises(SkillcastConfigError, match="new_from='2025Q3'"):
        convert_codes(frame, walk, "sector", "employment", new_from="2025Q3")


def test_repeated_rows_are_refused_not_added_up() -> None:
    frame = pd.DataFrame(
        {"sector": ["H5221", "H5221"], "period": ["2024-H1"] * 2, "employment": [1, 2]}
    )
    with pytest.raises(SkillcastDataError, match="2 row\\(s\\) repeat the same"):
        convert_codes(frame, WALK, "sector", "employment")


@pytest.mark.parametrize(
    ("change", "error", "expected"),
    [
        ({"sector": [1110, 1110]}, SkillcastDataError, "hold no code or a number"),
        ({"employment": ["1", "2"]}, SkillcastDataError, "not numbers"),
    ],
)
def test_bad_frames_are_refused(change: dict, error: type, expected: str) -> None:
    frame = pd.DataFrame(
        {"sector": ["H5221", "H5210"], "period": ["2024-H1"] * 2, "employment": [1, 2]}
    ).assign(**change)
    with pytest.raises(error, match=expected):
        convert_codes(frame, WALK, "sector", "employment")


def test_bad_arguments_are_config_errors() -> None:
    frame = recoded_mid_series()
    with pytest.raises(SkillcastConfigError, match="no column\\(s\\) \\['jobs'\\]"):
        convert_codes(frame, WALK, "sector", "jobs")
    with pytest.raises(SkillcastConfigError, match="code column"):
        convert_codes(frame, WALK, "sector", ["sector"])
    with pytest.raises(SkillcastConfigError, match="'error' or 'keep'"):
        convert_codes(frame, WALK, "sector", "employment", unknown="drop")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- loading
def test_shares_not_summing_to_one_are_rejected() -> None:
    walk = pd.DataFrame(
        {
            "old": ["A1", "A1", "B2", "B2", "C3", "D4"],
            "new": ["N1", "N2", "N3", "N4", "N5", "N6"],
            "share": [0.6, 0.3, 0.5, 0.6, 1.0, 0.9999999],
        }
    )
    with pytest.raises(SkillcastDataError) as err:
        load_crosswalk(walk)
    text = str(err.value)
    assert "the shares of 2 old code(s) do not add up to 1" in text
    assert "'A1': 0.9" in text and "'B2': 1.1" in text and "'D4'" not in text
    assert "each old code's shares sum to 1" in text


@pytest.mark.parametrize("bad", [0.0, -0.2, 1.5, np.nan, "abc", True])
def test_shares_outside_zero_one_are_rejected(bad: object) -> None:
    walk = pd.DataFrame(
        {"old": ["A1", "B2"], "new": ["N1", "N2"], "share": pd.Series([1.0, bad], dtype=object)}
    )
    with pytest.raises(SkillcastDataError, match="not shares in \\(0, 1\\], for 1 old code"):
        load_crosswalk(walk)


def test_load_crosswalk_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "vsic_2018_2025.csv"
    path.write_bytes(
        'Mã 2018,Mã 2025,Tỷ lệ\n01310,01301,1\n4610,4610,"0,75"\n4610,4619,"0,25"\n'.encode(
            "utf-8-sig"
        )
    )
    walk = load_crosswalk(path, old="Mã 2018", new="Mã 2025", share="Tỷ lệ")
    assert isinstance(walk, Crosswalk) and len(walk) == 3
    assert walk.table["old"].tolist() == ["01310", "4610", "4610"]  # leading zero kept
    assert walk.table["share"].tolist() == [1.0, 0.75, 0.25]
    assert walk.old_codes == {"01310", "4610"} and walk.new_codes == {"01301", "4610", "4619"}
    assert "vsic_2018_2025.csv" in walk.source


def test_a_table_without_shares() -> None:
    walk = load_crosswalk(pd.DataFrame({"from": ["0131", "0132"], "to": ["0130", "0130"]}),
                          old="from", new="to", share=None)  # fmt: skip
    assert walk.table["share"].tolist() == [1.0, 1.0]
    split = pd.DataFrame({"old": ["4610", "4610"], "new": ["4610", "4619"]})
    with pytest.raises(SkillcastDataError, match="more than one new code but the table has no"):
        load_crosswalk(split, share=None)
    with pytest.raises(SkillcastDataError, match="share=None"):
        load_crosswalk(split)


def test_the_shipped_sector_form_for_a_table_in_vsics_own_form() -> None:
    walk = load_crosswalk(
        pd.DataFrame({"old": ["5221", "5221", "H"], "new": ["5222", "5229", "H"],
                      "share": [0.6, 0.4, 1.0]}),
        old_taxonomy="sector",
    )  # fmt: skip
    assert walk.table["old"].tolist() == ["H5221", "H5221", "H"]
    assert walk.table["new"].tolist() == ["5222", "5229", "H"]  # new side left as given


def test_a_users_new_taxonomy_rewrites_the_new_side(tmp_path: Path) -> None:
    path = tmp_path / "vsic2025.csv"
    path.write_text(
        "code,parent,tier,name_vi,name_en,version,alias\n"
        "H,,1,Vận tải kho bãi,Transport,VSIC2025,\nH52,H,2,Kho bãi,Warehousing,VSIC2025,52\n",
        encoding="utf-8",
    )
    walk = load_crosswalk(
        pd.DataFrame({"old": ["5221", "5229"], "new": ["5222", "H5222"], "share": [1.0, 1.0]}),
        new_taxonomy=load_taxonomy(path),
    )
    assert walk.table["new"].tolist() == ["H5222", "H5222"]


@pytest.mark.parametrize(
    ("walk", "expected"),
    [
        (pd.DataFrame({"old": ["A"], "share": [1.0]}), "no column\\(s\\) \\['new'\\]"),
        (pd.DataFrame({"old": [], "new": [], "share": []}), "has no rows"),
        (pd.DataFrame({"old": [110], "new": ["0110"], "share": [1.0]}), "not text"),
        (pd.DataFrame({"old": [" "], "new": ["N"], "share": [1.0]}), "blank on 1 row"),
        (
            pd.DataFrame({"old": ["A", "A"], "new": ["N", "N "], "share": [0.5, 0.5]}),
            "appear on more than one row",
        ),
    ],
)
def test_bad_crosswalks_are_refused(walk: pd.DataFrame, expected: str) -> None:
    with pytest.raises(SkillcastDataError, match=expected):
        load_crosswalk(walk)
