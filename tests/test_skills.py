"""The occupation -> skill bridge: shipped data, validation, the rules and the tables."""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.outputs.skills_tables import (
    SKILL_INTENSITY_COLUMNS,
    SKILLS_COLUMNS,
    skill_intensity_frame,
    skills_frame,
)
from skillcast.periods import frequency
from skillcast.skills import (
    emerging_skill_demand,
    load_bridge,
    load_flags,
    occupation_profiles,
    skill_demand,
    skill_intensity,
)
from skillcast.taxonomy import occupations

NO_ESCO = {"1113", "2240", "3221", "4414", "6310", "6320", "6330", "6340", "7549", "9624"}
HALF = frequency("semiannual")


def hand_bridge() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "isco_code": ["8343", "8343", "3331", "3331"],
            "skill_group": ["G1", "G2", "G1", "G3"],
            "skill_group_name": ["one", "two", "one", "three"],
            "share_essential": [0.5, 1.0, 0.2, 0.6],
            "share_optional": [0.25, 0.0, 0.4, 0.0],
        }
    )


def two_occupations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H1"],
            "sector": ["H52", "H52"],
            "level": ["L2", "L2"],
            "occupation": ["8343", "3331"],
            "openings": [10.0, 5.0],
            "openings_lower_80": [6.0, 4.0],
            "openings_upper_80": [14.0, 7.0],
        }
    )


# ----------------------------------------------------------------- shipped data
@pytest.mark.parametrize("level", [1, 2])
def test_shipped_bridge_covers_every_unit_group_but_the_documented_ten(level):
    bridge = load_bridge(level=level)
    units = set(occupations().codes_at(4))
    assert len(units) == 436
    assert units - set(bridge.unit_groups) == NO_ESCO
    assert bridge.group_level == level
    assert len(bridge.skill_groups) == {1: 28, 2: 157}[level]
    assert len(bridge.table) == 426 * len(bridge.skill_groups)
    shares = bridge.table[["share_essential", "share_optional"]].to_numpy()
    assert ((shares >= 0) & (shares <= 1)).all()
    assert bridge.has_optional


def test_shipped_flags_cover_the_same_unit_groups_and_ship_with_the_credit():
    flags = load_flags()
    assert set(occupations().codes_at(4)) - set(flags.unit_groups) == NO_ESCO
    data = resources.files("skillcast.skills").joinpath("data")
    names = {p.name for p in data.iterdir()}
    assert {"isco_skill_groups.csv.gz", "isco_skill_groups_level1.csv.gz"} <= names
    assert {"isco_skill_flags.csv", "README.md"} <= names
    readme = data.joinpath("README.md").read_text(encoding="utf-8")
    assert "© European Union" in readme and "ESCO v1.1.1" in readme


# ------------------------------------------------------------------ the rule
def test_two_occupations_equal_the_hand_computation():
    frame = two_occupations()
    before = frame.copy()
    out = skill_demand(frame, load_bridge(hand_bridge()), by=("period", "level"))
    got = out.set_index("skill_group")
    # G1: 10 x 0.5 + 5 x 0.2; G2: 10 x 1.0; G3: 5 x 0.6
    assert got["openings"].to_dict() == pytest.approx({"G1": 6.0, "G2": 10.0, "G3": 3.0})
    assert got.loc["G1", "openings_lower_80"] == pytest.approx(6 * 0.5 + 4 * 0.2)
    assert got.loc["G1", "openings_upper_80"] == pytest.approx(14 * 0.5 + 7 * 0.2)
    assert (got["openings_base"] == 15.0).all()
    assert list(got["skill_group_name"]) == ["one", "two", "three"]
    optional = skill_demand(frame, load_bridge(hand_bridge()), by=(), strength="optional")
    # G1 only: 10 x 0.25 + 5 x 0.4 (zero rows left out)
    assert optional.set_index("skill_group")["openings"].to_dict() == pytest.approx({"G1": 4.5})
    pd.testing.assert_frame_equal(frame, before)


def test_shipped_bridge_multiplies_the_published_shares():
    raw = load_bridge().table.set_index(["isco_code", "skill_group"])["share_essential"]
    frame = two_occupations().assign(openings=[100.0, 0.0])
    out = skill_demand(frame, by=("occupation",), bounds=False, drop_zero=False)
    crane = out.loc[out["occupation"] == "8343"].set_index("skill_group")["openings"]
    np.testing.assert_allclose(crane.to_numpy(), 100 * raw.loc["8343"].to_numpy())
    assert crane.sum() > 100  # groups overlap: adding them up overcounts openings


def test_unit_groups_without_a_profile_borrow_one_and_are_flagged():
    bridge = load_bridge()
    table = occupation_profiles(["3221", "2240", "6310", "83", "10", "83431", "8343"],
                                bridge.unit_groups).set_index("occupation")  # fmt: skip
    assert table.loc["3221", ["profile", "profile_from"]].tolist() == ["minor_group", "322"]
    assert table.loc["2240", ["profile", "profile_from"]].tolist() == ["sub_major_group", "22"]
    assert table.loc["6310", ["profile", "profile_from"]].tolist() == ["major_group", "6"]
    assert table.loc["83", ["profile", "n_unit_groups"]].tolist() == ["coarser_group", 11]
    assert table.loc["10", "profile"] == "none"
    assert "VSCO-specific" in table.loc["10", "note"]
    assert table.loc["83431", ["profile", "profile_from"]].tolist() == ["esco", "8343"]

    frame = pd.DataFrame(
        {"period": "2026-H1", "occupation": ["3221", "3222", "10"], "openings": [4.0, 4.0, 7.0]}
    )
    out = skill_demand(frame, bridge, by=("occupation",), drop_zero=False)
    nurse = out.loc[out["occupation"] == "3221"].set_index("skill_group")
    midwife = out.loc[out["occupation"] == "3222"].set_index("skill_group")
    # 3222 is the only profiled unit group of minor group 322: 3221 takes its profile
    np.testing.assert_allclose(nurse["openings"], midwife["openings"])
    assert set(nurse["profile"]) == {"minor_group"} and set(nurse["borrowed_share"]) == {1.0}
    assert set(midwife["profile"]) == {"esco"} and set(midwife["borrowed_share"]) == {0.0}
    assert "10" not in set(out["occupation"])
    assert out.attrs["left_out"] == {"10": 7.0}
    assert out.attrs["borrowed"] == {"3221": "minor_group:322"}


def test_a_coarser_code_takes_the_mean_of_its_unit_groups():
    bridge = load_bridge(level=1)
    frame = pd.DataFrame({"period": "2026-H1", "occupation": ["83"], "openings": [11.0]})
    out = skill_demand(frame, bridge, by=(), bounds=False, drop_zero=False)
    matrix = pd.DataFrame(bridge.matrix(), index=bridge.unit_groups)
    mean = matrix.loc[[u for u in bridge.unit_groups if u.startswith("83")]].mean()
    np.testing.assert_allclose(out["openings"].to_numpy(), 11.0 * mean.to_numpy())


def test_missing_values_stay_missing():
    frame = two_occupations().assign(openings=[np.nan, np.nan])
    out = skill_demand(frame, load_bridge(hand_bridge()), by=("period",), bounds=False)
    assert out["openings"].isna().all() and len(out) == 3


# ------------------------------------------------------------- the invariants
_CODES = ["8343", "3331", "4321", "2512", "3221", "83", "10", "5120"]


@st.composite
def openings_frames(draw):
    n = draw(st.integers(1, 12))
    codes = draw(st.lists(st.sampled_from(_CODES), min_size=n, max_size=n))
    point = np.array(draw(st.lists(st.floats(0, 1e5), min_size=n, max_size=n)))
    spread = np.array(draw(st.lists(st.floats(0, 1e4), min_size=2 * n, max_size=2 * n)))
    periods = draw(st.lists(st.sampled_from(["2026-H1", "2026-H2"]), min_size=n, max_size=n))
    lo80, hi80 = np.maximum(point - spread[:n], 0), point + spread[n:]
    return pd.DataFrame(
        {"period": periods, "occupation": codes, "openings": point,
         "openings_lower_80": lo80, "openings_upper_80": hi80,
         "openings_lower_95": lo80 * 0.5, "openings_upper_95": hi80 * 2}
    )  # fmt: skip


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frame=openings_frames(), strength=st.sampled_from(["essential", "optional"]))
def test_skill_groups_never_exceed_their_openings_and_bounds_stay_ordered(frame, strength):
    bridge = load_bridge()
    for by in (("period", "occupation"), ("period",)):
        out = skill_demand(frame, bridge, by=by, strength=strength)
        if out.empty:
            continue
        tol = 1e-9 * (1 + out["openings_base"])
        assert (out["openings"] <= out["openings_base"] + tol).all()
        order = ["openings_lower_95", "openings_lower_80", "openings", "openings_upper_80",
                 "openings_upper_95"]  # fmt: skip
        values = out[order].to_numpy()
        assert (np.diff(values, axis=1) >= -1e-9 * (1 + values[:, 1:])).all()
    per_code = frame.groupby(["period", "occupation"])["openings"].sum()
    out = skill_demand(frame, bridge, by=("period", "occupation"), strength=strength)
    joined = out.join(per_code.rename("given"), on=["period", "occupation"])
    assert (joined["openings"] <= joined["given"] * (1 + 1e-9) + 1e-9).all()


# ---------------------------------------------------------- a user's bridge
@pytest.mark.parametrize(
    ("change", "column", "words"),
    [
        ({"share_essential": [1.2, 1.0, 0.2, 0.6]}, "share_essential", "outside [0, 1]"),
        ({"share_optional": [0.25, -0.1, 0.4, 0.0]}, "share_optional", "outside [0, 1]"),
        ({"share_essential": [0.5, "many", 0.2, 0.6]}, "share_essential", "are not numbers"),
        ({"isco_code": ["8343", "9999", "3331", "833"]}, "isco_code", "not ISCO-08 unit groups"),
        ({"skill_group": ["G1", "G1", "G1", "G3"]}, "skill_group", "repeat"),
    ],
)
def test_a_bad_user_bridge_is_refused_with_column_count_and_examples(change, column, words):
    frame = hand_bridge().assign(**change)
    with pytest.raises(SkillcastDataError) as info:
        load_bridge(frame)
    message = str(info.value)
    assert f"column {column!r}" in message and words in message
    assert "row(s)" in message and "First" in message


def test_user_bridge_hints_at_lost_leading_zeros_and_renames_columns(tmp_path):
    frame = hand_bridge().assign(isco_code=["110", "110", "3331", "3331"])
    with pytest.raises(SkillcastDataError, match="dtype=\\{'isco_code': str\\}"):
        load_bridge(frame)
    with pytest.raises(SkillcastDataError, match=r"missing column\(s\) \['share_essential'\]"):
        load_bridge(hand_bridge().drop(columns="share_essential"))
    path = tmp_path / "onet.csv"
    hand_bridge().assign(isco_code=["0110", "0110", "3331", "3331"]).rename(
        columns={"isco_code": "isco", "share_essential": "essential"}
    ).to_csv(path, index=False)
    bridge = load_bridge(path, columns={"isco": "isco_code", "essential": "share_essential"},
                         level=2)  # fmt: skip
    assert bridge.unit_groups == ("0110", "3331") and bridge.group_level == 2
    with pytest.raises(SkillcastConfigError, match="share_optional"):
        load_bridge(hand_bridge().drop(columns="share_optional")).matrix("optional")


# ---------------------------------------------------------------- intensity
def test_intensity_is_the_openings_weighted_mean_of_the_unit_groups_shares():
    flags = load_flags(
        pd.DataFrame(
            {
                "isco_code": ["8343", "3331", "3221"],
                "mean_n_essential": [10.0, 30.0, np.nan],
                "share_essential_digital": [0.1, 0.4, np.nan],
                "share_essential_green": [0.0, 0.2, np.nan],
                "share_essential_transversal_branch": [0.3, 0.1, np.nan],
            }
        )
    )
    assert flags.unit_groups == ("3331", "8343")
    out = skill_intensity(two_occupations(), flags, by=("period",)).iloc[0]
    assert out["openings"] == 15.0 and out["openings_profiled"] == 15.0
    assert out["digital_skill_share"] == pytest.approx((10 * 0.1 + 5 * 0.4) / 15)
    assert out["green_skill_share"] == pytest.approx(5 * 0.2 / 15)
    assert out["transversal_skill_share"] == pytest.approx((10 * 0.3 + 5 * 0.1) / 15)
    assert out["essential_skills_mean"] == pytest.approx((10 * 10 + 5 * 30) / 15)


# ---------------------------------------------------------------- emerging
def test_emerging_growth_is_expected_per_year_over_the_past_mean():
    bridge = load_bridge(hand_bridge())
    history = pd.DataFrame(
        {
            "period": ["2024-H1", "2024-H2", "2025-H1", "2025-H2"] * 2,
            "occupation": ["8343"] * 4 + ["3331"] * 4,
            "openings": [1.0, 1.0, 2.0, 2.0, 5.0, 5.0, 5.0, 5.0],
        }
    )
    forecast = pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H2"] * 2,
            "occupation": ["8343", "8343", "3331", "3331"],
            "openings": [4.0, 4.0, 5.0, 5.0],
        }
    )
    out = emerging_skill_demand(history, forecast, bridge, years=1, freq="semiannual")
    got = out.set_index("skill_group")
    # past year 2025: 8343 = 4, 3331 = 10 per year; forecast 2026: 8343 = 8, 3331 = 10
    assert got.loc["G2", ["past", "expected"]].tolist() == pytest.approx([4.0, 8.0])
    assert got.loc["G1", "past"] == pytest.approx(4 * 0.5 + 10 * 0.2)
    assert got.loc["G1", "expected"] == pytest.approx(8 * 0.5 + 10 * 0.2)
    assert got.loc["G3", "growth"] == pytest.approx(0.0)
    assert list(out["skill_group"]) == ["G2", "G1", "G3"]  # fastest first
    assert got.loc["G1", "drivers"] == "8343" and got.loc["G3", "drivers"] == ""
    assert out.attrs["past_periods"].startswith("2025-H1..2025-H2")
    stock = emerging_skill_demand(history, forecast, bridge, years=1, freq="semiannual",
                                  kind="stock")  # fmt: skip
    assert stock.set_index("skill_group").loc["G2", "past"] == pytest.approx(2.0)
    with pytest.raises(SkillcastConfigError, match="freq="):
        emerging_skill_demand(history, forecast, bridge)


# ------------------------------------------------------------------ the tables
def test_skills_table_by_cluster_keeps_its_invariants():
    frame = pd.concat(
        [
            two_occupations(),
            two_occupations().assign(sector="C10", occupation=["8212", "10"], level="L1"),
        ],
        ignore_index=True,
    ).assign(openings_lower_95=lambda f: f["openings_lower_80"] / 2,
             openings_upper_95=lambda f: f["openings_upper_80"] * 2)  # fmt: skip
    out = skills_frame(frame, HALF, run_id="r1")
    assert tuple(out.columns) == SKILLS_COLUMNS
    assert list(dict.fromkeys(out["cluster"]))[:2] == ["*", "seaport_maritime"]
    assert set(out.loc[out["cluster"] == "*", "cluster_name_en"]) == {"All"}
    assert (out["openings_essential"] <= out["openings"]).all()
    order = ["openings_essential_lower_95", "openings_essential_lower_80", "openings_essential",
             "openings_essential_upper_80", "openings_essential_upper_95"]  # fmt: skip
    assert (out[order].diff(axis=1).iloc[:, 1:] >= 0).all().all()
    city_l1 = out.loc[(out["cluster"] == "*") & (out["level"] == "L1")]
    assert set(city_l1["openings"]) == {15} and set(city_l1["openings_no_profile"]) == {5}
    manufacturing = out.loc[out["cluster"] == "manufacturing"]
    assert set(manufacturing["level"]) == {"L1"} and (out["run_id"] == "r1").all()

    by_sector = skills_frame(frame, HALF, by="sector")
    assert {"sector", "sector_name_vi", "cluster"} <= set(by_sector.columns)
    intensity = skill_intensity_frame(frame, HALF)
    assert tuple(intensity.columns) == SKILL_INTENSITY_COLUMNS
    shares = intensity[["digital_skill_share", "green_skill_share", "transversal_skill_share"]]
    assert ((shares >= 0) & (shares <= 1)).all().all()
