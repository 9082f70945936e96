"""The training-supply gap table and the synthetic supply of the sample."""

import numpy as np
import pandas as pd
import pytest

from skillcast import SkillcastConfigError, SkillcastDataError
from skillcast.demand import job_openings, make_supply_table, supply_gap
from skillcast.demand.synthetic import make_age_structure, make_replacement_rates
from skillcast.forecast import forecast_frame

H1 = pd.Period("2026-01", "6M")


def openings_frame() -> pd.DataFrame:
    rows = [  # sector, occupation, level, openings, lower, upper
        ("H52", "8343", "L1", 30, 24, 40),
        ("C30", "8343", "L1", 10, 8, 12),  # cell 8343 x L1: 40 [32, 52]
        ("H52", "8344", "L1", 20, 10, 30),
        ("K64", "2411", "L4", 10, 5, 15),
        ("G46", "2431", "L4", 5, 3, 7),  # 2411 + 2431 roll up to sub-major 24: 15 [8, 22]
        ("H50", "3151", "L3", 6, 2, 9),
        ("H52", "9333", "L0", 100, 90, 110),  # no graduates at L0: not covered
        ("I56", "5120", "L1", 5, 4, 6),  # occupation missing from the supply: not covered
    ]
    frame = pd.DataFrame(
        rows,
        columns=["sector", "occupation", "level", "openings", "openings_lower_80",
                 "openings_upper_80"],
    )  # fmt: skip
    frame["period"] = pd.Series([H1] * len(frame), dtype="period[6M]")
    return frame


def supply_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "occupation": ["8343", "8344", "24", "8343", "3151", "3152"],
            "level": ["L1", "L1", "L4", "L2", "L3", "L3"],
            "period": ["2026-H1"] * 6,
            "graduates": [20, 20, 30, 10, 0, 0],
        }
    )


def test_gap_classes_confidence_and_sorting_by_hand():
    frame, supply = openings_frame(), supply_frame()
    out = supply_gap(frame, supply)
    pd.testing.assert_frame_equal(frame, openings_frame())  # inputs are never modified
    pd.testing.assert_frame_equal(supply, supply_frame())
    assert list(zip(out["occupation"], out["level"], strict=True)) == [
        ("8343", "L1"), ("3151", "L3"), ("3152", "L3"), ("8344", "L1"), ("8343", "L2"),
        ("24", "L4"),
    ]  # fmt: skip
    np.testing.assert_allclose(out["openings"], [40, 6, 0, 20, 0, 15])
    np.testing.assert_allclose(out["openings_lower"], [32, 2, 0, 10, 0, 8])
    np.testing.assert_allclose(out["supply"], [20, 0, 0, 20, 10, 30])
    np.testing.assert_allclose(out["gap"], [20, 6, 0, 0, -10, -15])
    np.testing.assert_allclose(out["ratio"], [2.0, np.inf, np.nan, 1.0, 0.0, 0.5])
    assert out["gap_class"].tolist() == [
        "shortage", "shortage", "balance", "balance", "surplus", "surplus"
    ]  # fmt: skip
    # 8343 L1: even the lower bound 32 > 1.1 x 20; 8344 L1: bounds 10..30 span all classes;
    # 24 L4: even the upper bound 22 < 0.9 x 30
    assert out["confidence"].tolist() == [
        "likely", "likely", "likely", "possible", "likely", "likely"
    ]  # fmt: skip
    assert out["likely_shortage"].tolist() == [True, True, False, False, False, False]
    assert out["assessment"].iloc[0] == "likely shortage"
    assert out["assessment"].iloc[3] == "possible balance"
    assert out.attrs["openings_not_covered"] == pytest.approx(105.0)
    assert out["occupation_name_en"].iloc[0] == "Crane, hoist and related plant operators"
    assert out["occupation_name_en"].iloc[-1] == "Business and administration professionals"
    assert out["level_name_vi"].iloc[0] == "Sơ cấp"
    assert out["level_name_en"].iloc[-1] == "University and above"


def test_possible_shortage_when_the_lower_bound_does_not_clear_the_threshold():
    frame = openings_frame()
    frame.loc[frame["occupation"] == "8343", "openings_lower_80"] = [15, 7]  # 22 < 1.1 x 20
    out = supply_gap(frame, supply_frame()).set_index(["occupation", "level"])
    assert out.loc[("8343", "L1"), "gap_class"] == "shortage"
    assert out.loc[("8343", "L1"), "assessment"] == "possible shortage"
    assert not out.loc[("8343", "L1"), "likely_shortage"]


def test_thresholds_move_the_classes():
    out = supply_gap(openings_frame(), supply_frame(), shortage_ratio=2.5, surplus_ratio=0.4)
    classes = dict(zip(out["occupation"] + out["level"], out["gap_class"], strict=True))
    assert classes["8343L1"] == "balance"  # ratio 2.0 <= 2.5
    assert classes["24L4"] == "balance"  # ratio 0.5 >= 0.4
    assert classes["3151L3"] == "shortage"  # infinite ratio


def test_point_classes_only_without_an_interval_level():
    out = supply_gap(openings_frame(), supply_frame(), level=None)
    assert (out["confidence"] == "no interval").all()
    assert out["assessment"].tolist() == out["gap_class"].tolist()
    assert not out["likely_shortage"].any()
    assert out["openings_lower"].isna().all()


def test_gap_by_occupation_only_sums_levels():
    supply = supply_frame().groupby(["occupation", "period"], as_index=False)["graduates"].sum()
    out = supply_gap(openings_frame(), supply, by=("occupation",))
    row = out.set_index("occupation").loc["8343"]
    assert row["openings"] == 40 and row["supply"] == 30  # L1 40 + L2 0; 20 + 10 graduates
    assert "level_name_en" not in out.columns
    # 5120 is outside the supply; 9333 too now that levels are summed
    assert out.attrs["openings_not_covered"] == pytest.approx(105.0)


def test_annual_supply_against_semiannual_openings_drops_incomplete_years():
    frame = openings_frame()
    later = [frame.assign(period=pd.Series([H1 + k] * len(frame), dtype="period[6M]"))
             for k in (1, 2)]  # fmt: skip
    frame = pd.concat([frame, *later], ignore_index=True)  # 2026-H1, 2026-H2, 2027-H1
    supply = supply_frame().assign(period="2026")
    supply = pd.concat([supply, supply.assign(period="2027")], ignore_index=True)
    out = supply_gap(frame, supply, freq="annual")
    assert set(out["period"].astype(str)) == {"2026"}
    assert out.set_index(["occupation", "level"]).loc[("8343", "L1"), "openings"] == 80
    with pytest.raises(SkillcastConfigError, match="sum the supply"):
        supply_gap(frame, supply, freq="quarterly")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.drop(columns="graduates"), r"missing column\(s\) \['graduates'\]"),
        (lambda s: s.assign(graduates=[20, -1, 30, 10, 0, 0]),
         r"column 'graduates': 1 row\(s\) lie outside"),
        (lambda s: s.assign(graduates=[20, "n/a", 30, 10, 0, 0]),
         r"column 'graduates': 1 row\(s\) are not finite numbers"),
        (lambda s: s.assign(occupation=["8343", "83", "24", "8343", "3151", "3152"]),
         r"column 'occupation': 3 row\(s\) carry codes that lie inside another"),
        (lambda s: s.assign(occupation=["8343", "8344", "24", "8343", "3151", "9999"]),
         r"column 'occupation': 1 row\(s\) carry codes unknown"),
        (lambda s: s.assign(level=["L1", "L1", "L4", "L1", "L3", "L3"]),
         r"2 row\(s\) repeat a combination of \['occupation', 'level', 'period'\]"),
        (lambda s: s.assign(period=["2026-H1"] * 5 + ["2026-H3"]),
         r"column 'period': 1 row\(s\) are not semiannual periods"),
    ],
)  # fmt: skip
def test_supply_table_validation(change, message):
    with pytest.raises(SkillcastDataError, match=message):
        supply_gap(openings_frame(), change(supply_frame()))


def test_bad_arguments_are_config_errors():
    with pytest.raises(SkillcastConfigError, match="surplus_ratio < shortage_ratio"):
        supply_gap(openings_frame(), supply_frame(), shortage_ratio=0.9, surplus_ratio=1.1)
    with pytest.raises(SkillcastConfigError, match="no 95% interval"):
        supply_gap(openings_frame(), supply_frame(), level=95)


def test_supply_table_csv_keeps_codes_as_text(tmp_path):
    path = tmp_path / "supply.csv"
    supply_frame().to_csv(path, index=False)
    pd.testing.assert_frame_equal(
        supply_gap(openings_frame(), path), supply_gap(openings_frame(), supply_frame())
    )


# ------------------------------------------------------------------ synthetic supply
def flat_frame() -> pd.DataFrame:
    """Constant employment, so the demand proxy is replacement only: rate x 1000 / 2."""
    periods = [f"{y}-H{h}" for y in range(2018, 2026) for h in (1, 2)]
    cells = [("H52", "8343", "L1"), ("K64", "2411", "L4"), ("C27", "7412", "L2"),
             ("K64", "2529", "L4"), ("H52", "8343", "L0")]  # fmt: skip
    rows = [(s, o, lv, p, 0.0 if o == "2529" and p < "2022" else 1000.0)
            for s, o, lv in cells for p in periods]  # fmt: skip
    return pd.DataFrame(rows, columns=["sector", "occupation", "level", "period", "employment"])


def test_make_supply_table_is_deterministic_and_shaped():
    a = make_supply_table(flat_frame(), seed=3)
    b = make_supply_table(flat_frame(), seed=3)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(make_supply_table(flat_frame(), seed=4))
    assert list(a.columns) == ["occupation", "level", "period", "graduates"]
    assert a["graduates"].dtype == np.int64 and (a["graduates"] >= 0).all()
    assert set(a["level"]) <= {"L1", "L2", "L3", "L4"}  # no graduates without qualification
    assert set(a["occupation"]) == {"8343", "24", "7412", "2529"}  # 2411 reported as "24"
    assert a["period"].min() == pd.Period("2018-01", "6M")
    assert a["period"].max() == pd.Period("2025-07", "6M") + 10


def test_make_supply_table_misaligns_on_purpose():
    sup = make_supply_table(flat_frame(), seed=0)
    mean = sup.groupby(["occupation", "level"])["graduates"].mean()
    # demand per half-year = annual default rate x 1000 / 2
    assert 0.35 * 0.5 < mean[("8343", "L1")] / 40 < 0.35 * 1.6  # rate 0.08: 40 needed
    assert 2.0 * 0.6 < mean[("24", "L4")] / 15 < 2.0 * 1.6  # rate 0.03: 15 needed
    assert 0.6 < mean[("7412", "L2")] / 32.5 < 1.6  # rate 0.065: no misalignment
    lag = sup[sup["occupation"] == "2529"].set_index("period")["graduates"]
    # demand appears in 2022-H1; courses follow two years later
    assert (lag[: pd.Period("2023-07", "6M")] == 0).all()
    assert (lag[pd.Period("2024-01", "6M") :] > 0).all()


def test_sample_rates_and_age_structure_are_deterministic():
    ages = make_age_structure(flat_frame(), seed=1)
    assert ages.attrs["base_year"] == 2025
    total = ages.groupby(["occupation", "level"])["workers"].sum()
    np.testing.assert_allclose(total.to_numpy(), 1000.0)
    rates = make_replacement_rates(flat_frame(), seed=1)
    again = make_replacement_rates(flat_frame(), seed=1)
    pd.testing.assert_frame_equal(rates.table, again.table)
    assert rates.years == (2025, 2035)
    assert rates.table["rate"].between(0.0, 0.3).all()


def test_gap_on_the_sample_shows_the_planted_shortages_and_surplus():
    from skillcast.datasets.sample import load_sample

    panel = load_sample()
    y = panel.dense()
    last = np.nan_to_num(y[:, -1])
    drift = np.nan_to_num((y[:, -1] - y[:, -5]) / 4)
    mean = last[:, None] + drift[:, None] * np.arange(1, 5)
    spread = 0.05 * mean + 1.0
    fc = forecast_frame(panel, mean, {80: (mean - spread, mean + spread)})
    gap = supply_gap(job_openings(fc, panel), make_supply_table(panel, seed=0))
    cells = gap.groupby(["occupation", "level"])["gap_class"].agg(lambda c: c.mode()[0])
    assert cells[("8343", "L1")] == "shortage" and cells[("8350", "L1")] == "shortage"
    assert cells[("8343", "L2")] == "shortage" and cells[("8350", "L2")] == "shortage"
    assert cells[("24", "L4")] == "surplus"
    assert gap.groupby("period")["gap"].apply(lambda g: g.is_monotonic_decreasing).all()
