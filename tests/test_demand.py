"""Job openings, replacement rates, retirement ages and the hiring adjustment."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast import PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.demand import (
    HiringAdjustment,
    ReplacementRates,
    job_openings,
    retirement_rates,
    statutory_retirement_age,
)
from skillcast.forecast import forecast_frame

KEYS = ("sector", "occupation", "level")
# 8343 is matched by "83"/L1 (0.10 a year, more specific than "8"/L1); 5120 by "5"/"*" (0.12)
RATES = pd.DataFrame(
    {
        "occupation": ["8", "83", "5", "*"],
        "level": ["L1", "L1", "*", "*"],
        "rate": [0.08, 0.10, 0.12, 0.05],
    }
)


def make_panel(measure: str = "stock", values=None, periods=None, gaps: str = "error"):
    values = values or {("H52", "8343", "L1"): [90, 100], ("I56", "5120", "L0"): [50, 40]}
    periods = periods or ["2024-H1", "2024-H2"]
    rows = [
        {**dict(zip(KEYS, key, strict=True)), "period": p, "employment": v}
        for key, series in values.items()
        for p, v in zip(periods, series, strict=True)
    ]
    spec = PanelSpec(keys=KEYS, measure=measure, taxonomies={}, gaps=gaps)
    return load_panel(pd.DataFrame(rows), spec)


MEAN = np.array([[110.0, 105, 120], [40, 44, 44]])
LOWER = np.array([[100.0, 95, 110], [36, 40, 40]])
UPPER = np.array([[120.0, 115, 130], [44, 48, 48]])


def make_forecast(panel, origin=None, mean=MEAN):
    return forecast_frame(panel, mean, {80: (LOWER, UPPER)}, origin=origin, model="test")


def test_openings_decompose_two_series_three_steps_by_hand():
    panel = make_panel()
    fc = make_forecast(panel)
    before = fc.frame.copy()
    out = job_openings(fc, panel, ReplacementRates(RATES))
    pd.testing.assert_frame_equal(fc.frame, before)
    a = out[out["occupation"] == "8343"]
    b = out[out["occupation"] == "5120"]
    # A: origin 100 -> 110, 105, 120; semi-annual rate 0.10 * 6/12 = 0.05
    np.testing.assert_allclose(a["change"], [10, -5, 15])
    np.testing.assert_allclose(a["expansion"], [10, 0, 15])
    np.testing.assert_allclose(a["contraction"], [0, 5, 0])
    np.testing.assert_allclose(a["replacement_rate"], [0.05] * 3)
    np.testing.assert_allclose(a["replacement"], [5.5, 5.25, 6.0])
    np.testing.assert_allclose(a["openings"], [15.5, 5.25, 21.0])
    # B: origin 40 -> 40, 44, 44; rate 0.12 / 2 = 0.06
    np.testing.assert_allclose(b["expansion"], [0, 4, 0])
    np.testing.assert_allclose(b["contraction"], [0, 0, 0])
    np.testing.assert_allclose(b["replacement"], [2.4, 2.64, 2.64])
    np.testing.assert_allclose(b["openings"], [2.4, 6.64, 2.64])
    assert (out["measure"] == "stock").all()
    assert (out["decomposition"] == "expansion + replacement").all()
    np.testing.assert_allclose(out["realised_hiring"], out["openings"])
    assert out["step"].tolist() == [1, 2, 3, 1, 2, 3]
    assert [str(p) for p in a["period"]] == ["2025-01", "2025-07", "2026-01"]
    assert "Contraction is reported as a positive number" in out.attrs["note"]


def test_interval_bounds_are_carried_by_the_stated_rule():
    panel = make_panel()
    out = job_openings(make_forecast(panel), panel, ReplacementRates(RATES))
    a = out[out["occupation"] == "8343"]
    b = out[out["occupation"] == "5120"]
    # expansion bound = max(stock bound - previous point stock, 0)
    np.testing.assert_allclose(a["expansion_lower_80"], [0, 0, 5])
    np.testing.assert_allclose(a["expansion_upper_80"], [20, 5, 25])
    np.testing.assert_allclose(a["replacement_lower_80"], [5, 4.75, 5.5])
    np.testing.assert_allclose(a["replacement_upper_80"], [6, 5.75, 6.5])
    np.testing.assert_allclose(a["openings_lower_80"], [5, 4.75, 10.5])
    np.testing.assert_allclose(a["openings_upper_80"], [26, 10.75, 31.5])
    np.testing.assert_allclose(b["expansion_upper_80"], [4, 8, 4])
    np.testing.assert_allclose(b["openings_lower_80"], [2.16, 2.4, 2.4])
    for q in ("stock", "expansion", "replacement", "openings", "realised_hiring"):
        assert (out[f"{q}_lower_80"] <= out[q] + 1e-12).all()
        assert (out[q] <= out[f"{q}_upper_80"] + 1e-12).all()


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(0, 500), min_size=6, max_size=6),
    st.lists(st.floats(0, 100), min_size=6, max_size=6),
    st.lists(st.floats(0, 100), min_size=6, max_size=6),
)
def test_bounds_stay_ordered_and_openings_add_up(means, down, up):
    panel = make_panel()
    mean = np.array(means).reshape(2, 3)
    fc = forecast_frame(panel, mean, {80: (mean - np.array(down).reshape(2, 3),
                                           mean + np.array(up).reshape(2, 3))})  # fmt: skip
    out = job_openings(fc, panel, ReplacementRates(RATES))
    np.testing.assert_allclose(out["openings"], out["expansion"] + out["replacement"])
    np.testing.assert_allclose(out["change"], out["expansion"] - out["contraction"])
    assert (out["openings_lower_80"] <= out["openings"] + 1e-9).all()
    assert (out["openings"] <= out["openings_upper_80"] + 1e-9).all()
    assert (out[["expansion", "contraction", "replacement"]] >= 0).all().all()


def test_annual_expansion_measures_change_over_a_year_per_period():
    panel = make_panel()  # A: 90, 100; B: 50, 40 (2024-H1, 2024-H2)
    out = job_openings(make_forecast(panel), panel, ReplacementRates(RATES), expansion="annual")
    a = out[out["occupation"] == "8343"]
    b = out[out["occupation"] == "5120"]
    # A: (110 - 90) / 2, (105 - 100) / 2, (120 - 110) / 2
    np.testing.assert_allclose(a["change"], [10, 2.5, 5])
    np.testing.assert_allclose(a["expansion_upper_80"], [15, 7.5, 10])
    np.testing.assert_allclose(a["openings"], [15.5, 7.75, 11.0])
    # B: (40 - 50) / 2, (44 - 40) / 2, (44 - 40) / 2
    np.testing.assert_allclose(b["expansion"], [0, 2, 2])
    np.testing.assert_allclose(b["contraction"], [5, 0, 0])
    assert "a year before" in out.attrs["note"]
    with pytest.raises(SkillcastConfigError, match="expansion"):
        job_openings(make_forecast(panel), panel, expansion="yearly")


def test_first_change_is_against_the_value_at_the_origin_not_the_panel_end():
    panel = make_panel(
        values={("H52", "8343", "L1"): [90, 100, 130], ("I56", "5120", "L0"): [50, 40, 45]},
        periods=["2024-H1", "2024-H2", "2025-H1"],
    )
    origin = pd.Period("2024-07", "6M")
    out = job_openings(make_forecast(panel, origin=origin), panel, ReplacementRates(RATES))
    np.testing.assert_allclose(out.loc[out["step"] == 1, "change"], [10, 0])


def test_missing_value_at_the_origin_uses_the_last_observed_one():
    df = pd.DataFrame(
        {
            "sector": ["H52"] * 3 + ["I56"] * 3,
            "occupation": ["8343"] * 3 + ["5120"] * 3,
            "level": ["L1"] * 3 + ["L0"] * 3,
            "period": ["2024-H1", "2024-H2", "2025-H1"] * 2,
            "employment": [90, 100, None, 50, 40, 42],
        }
    )
    panel = load_panel(df, PanelSpec(keys=KEYS, taxonomies={}, gaps="missing"))
    out = job_openings(make_forecast(panel), panel, ReplacementRates(RATES))
    np.testing.assert_allclose(out.loc[out["step"] == 1, "change"], [10, -2])


def test_default_rates_apply_when_none_are_given():
    panel = make_panel()
    out = job_openings(make_forecast(panel), panel)
    # shipped: 8343 -> major 8 + L1 effect = 0.08; 5120 -> sub-major 51 + L0 = 0.135
    np.testing.assert_allclose(out["replacement_rate"], [0.04] * 3 + [0.0675] * 3)


def test_declared_openings_pass_through_with_a_note():
    panel = make_panel(measure="openings")
    fc = make_forecast(panel)
    out = job_openings(fc, panel, ReplacementRates(RATES))
    np.testing.assert_allclose(out["openings"], MEAN.ravel())
    np.testing.assert_allclose(out["openings_lower_80"], LOWER.ravel())
    np.testing.assert_allclose(out["realised_hiring"], MEAN.ravel())
    assert (out["decomposition"] == "none: target is declared openings").all()
    assert (out["measure"] == "openings").all()
    assert out[["stock", "expansion", "replacement", "expansion_lower_80"]].isna().all().all()
    assert "no expansion/replacement decomposition" in out.attrs["note"]
    assert "not used" in out.attrs["note"]  # rates were passed but cannot apply
    assert out.attrs["decomposition"] == "none: target is declared openings"


def test_hiring_adjustment_scales_declared_openings_by_longest_sector_prefix():
    panel = make_panel(measure="openings")
    out = job_openings(make_forecast(panel), panel, hiring_adjustment={"H": 0.5, "H52": 0.1})
    np.testing.assert_allclose(out["hiring_factor"], [0.1] * 3 + [1.0] * 3)
    factor = np.repeat([0.1, 1.0], 3)
    np.testing.assert_allclose(out["realised_hiring"], MEAN.ravel() * factor)
    np.testing.assert_allclose(out["realised_hiring_upper_80"], UPPER.ravel() * factor)
    uniform = job_openings(make_forecast(panel), panel, hiring_adjustment=0.1)
    np.testing.assert_allclose(uniform["realised_hiring"], MEAN.ravel() * 0.1)


def test_hiring_adjustment_on_a_stock_is_refused():
    panel = make_panel()
    with pytest.raises(SkillcastConfigError, match="already realised"):
        job_openings(make_forecast(panel), panel, hiring_adjustment=0.1)


def test_hiring_adjustment_by_ownership_matches_exactly_and_validates():
    adj = HiringAdjustment(pd.DataFrame({"ownership": ["FDI", "state"], "factor": [0.8, 0.5]}),
                           by="ownership", default=0.3)  # fmt: skip
    frame = pd.DataFrame({"ownership": ["FDI", "state", "non-state", "FDI "]})
    np.testing.assert_allclose(adj.factors(frame), [0.8, 0.5, 0.3, 0.8])
    with pytest.raises(SkillcastDataError, match="lacks"):
        adj.factors(pd.DataFrame({"sector": ["H52"]}))
    with pytest.raises(SkillcastDataError, match=r"'factor': 1 row\(s\) lie outside"):
        HiringAdjustment({"H": -0.1})
    with pytest.raises(SkillcastDataError, match="repeat"):
        HiringAdjustment(pd.DataFrame({"sector": ["H", "H"], "factor": [0.1, 0.2]}))


def test_forecast_from_another_panel_or_with_holes_is_refused():
    panel = make_panel()
    other = make_panel(measure="openings")
    with pytest.raises(SkillcastConfigError, match="not made from this panel"):
        job_openings(make_forecast(other), panel)
    fc = make_forecast(panel)
    fc.frame = fc.frame[fc.frame["step"] != 2]
    with pytest.raises(SkillcastDataError, match="step"):
        job_openings(fc, panel)
    late = make_forecast(panel, origin=pd.Period("2026-01", "6M"))
    with pytest.raises(SkillcastDataError, match="outside the panel"):
        job_openings(late, panel)


# ------------------------------------------------------------------ replacement rates
def test_rate_lookup_longest_prefix_then_level_then_year():
    table = pd.DataFrame(
        {
            "occupation": ["8", "83", "8343", "8343", "*"],
            "level": ["*", "*", "L1", "L1", "*"],
            "year": [None, None, "2026", "2027", None],
            "rate": [0.07, 0.09, 0.20, 0.30, 0.05],
        }
    )
    rates = ReplacementRates(table)
    got = rates.annual(["8343", "8343", "8344", "8211", "5120", "8343", "8343"],
                       ["L1", "L1", "L1", "L2", "L0", "L2", "L1"],
                       [2026, 2027, 2026, 2026, 2026, 2026, 2035])  # fmt: skip
    # years past the table's last year take the last year's rate
    np.testing.assert_allclose(got, [0.20, 0.30, 0.09, 0.07, 0.05, 0.09, 0.30])
    assert rates.years == (2026, 2027)


@pytest.mark.parametrize(
    ("freq", "conversion", "expected"),
    [
        ("annual", "linear", 0.12),
        ("semiannual", "linear", 0.06),
        ("quarterly", "linear", 0.03),
        ("monthly", "linear", 0.01),
        ("semiannual", "compound", 1 - 0.88**0.5),
        ("quarterly", "compound", 1 - 0.88**0.25),
    ],
)
def test_annual_rates_convert_to_the_panel_frequency(freq, conversion, expected):
    rates = ReplacementRates(pd.DataFrame({"occupation": ["*"], "level": ["*"], "rate": [0.12]}))
    periods = pd.period_range("2026-01", periods=2, freq={"annual": "Y", "semiannual": "6M",
                              "quarterly": "Q", "monthly": "M"}[freq])  # fmt: skip
    got = rates.per_period(["8343", "5120"], ["L1", "L0"], periods, freq, conversion)
    np.testing.assert_allclose(got, [expected, expected])


def test_shipped_default_rates_cover_every_group_and_level():
    rates = ReplacementRates.default()
    table = rates.table
    assert set(table["occupation"]) >= {str(d) for d in range(10)}
    assert set(table["level"]) == {"L0", "L1", "L2", "L3", "L4", "*"}
    assert table["rate"].between(0.03, 0.145).all()
    got = rates.annual(["2512", "9412", "5120", "8343", "2411"], ["L4", "L0", "L0", None, "L3"])
    np.testing.assert_allclose(got, [0.030, 0.145, 0.135, 0.075, 0.035])
    assert rates.annual(["8343"], None).tolist() == [0.075]  # a panel without levels


def test_user_rates_csv_keeps_leading_zeros(tmp_path):
    path = tmp_path / "rates.csv"
    path.write_text("occupation,level,rate,source\n01,L4,0.02,survey\n0,*,0.04,guess\n")
    rates = ReplacementRates(path)
    np.testing.assert_allclose(rates.annual(["0110", "0310"], ["L4", "L4"]), [0.02, 0.04])
    assert rates.table["source"].tolist() == ["survey", "guess"]


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"occupation": ["8"], "level": ["L1"]}, r"missing column\(s\) \['rate'\]"),
        ({"occupation": ["8", "9"], "level": ["L1"] * 2, "rate": [0.1, 1.5]},
         r"column 'rate': 1 row\(s\) lie outside \[0, 1\]"),
        ({"occupation": ["8", "9"], "level": ["L1"] * 2, "rate": ["4%", 0.1]},
         r"column 'rate': 1 row\(s\) are not finite numbers"),
        ({"occupation": ["8", "8", "8"], "level": ["L1", "L1", "L2"], "rate": [0.1, 0.2, 0.1]},
         r"2 row\(s\) repeat a combination of \['occupation', 'level', 'year'\]"),
        ({"occupation": ["8", " "], "level": ["L1"] * 2, "rate": [0.1, 0.2]},
         r"column 'occupation': 1 row\(s\) are empty"),
        ({"occupation": ["8"], "level": ["L1"], "rate": [0.1], "year": ["20x6"]},
         r"column 'year': 1 row\(s\) are not whole years"),
    ],
)  # fmt: skip
def test_user_rates_validation_names_column_count_and_remedy(table, message):
    with pytest.raises(SkillcastDataError, match=message):
        ReplacementRates(pd.DataFrame(table))


def test_a_code_without_any_rate_is_an_error_with_a_remedy():
    rates = ReplacementRates(pd.DataFrame({"occupation": ["8"], "level": ["*"], "rate": [0.1]}))
    with pytest.raises(SkillcastDataError, match=r"(?s)no rate for 1 .*5120.*catch-all row"):
        rates.annual(["8343", "5120"], ["L1", "L0"])


# ------------------------------------------------------------------ retirement
def test_statutory_retirement_age_follows_the_labour_code_2019():
    men = statutory_retirement_age(range(2019, 2031), "male", unit="months")
    assert men.tolist() == [720, 720, 723, 726, 729, 732, 735, 738, 741, 744, 744, 744]
    assert statutory_retirement_age(2021, "male") == pytest.approx(60.25)
    assert statutory_retirement_age(2028, "m") == 62.0
    assert statutory_retirement_age(2021, "female", unit="months") == 55 * 12 + 4
    assert statutory_retirement_age(2025, "nữ", unit="months") == 56 * 12 + 8
    assert statutory_retirement_age(2034, "F", unit="months") == 59 * 12 + 8
    assert statutory_retirement_age(2035, "female") == 60.0
    assert statutory_retirement_age(2050, "female") == 60.0
    assert statutory_retirement_age(2020, "female") == 55.0
    np.testing.assert_allclose(
        statutory_retirement_age([2030, 2030], ["male", "female"]), [62.0, 58 + 4 / 12]
    )
    with pytest.raises(SkillcastConfigError, match="sex"):
        statutory_retirement_age(2030, "x")


def test_age_structure_rates_by_hand_with_cohort_ageing():
    ages = pd.DataFrame(
        {"occupation": "8343", "level": "L1", "sex": "male",
         "age": [58, 61, 30], "workers": [10, 10, 80]}
    )  # fmt: skip
    rates = ReplacementRates.from_age_structure(ages, base_year=2027, years=[2027, 2028, 2029])
    table = rates.table
    # 2027: A = 61.75, rise 0.25, window [56.75, 61.75): 10 + 0.75 * 10 workers
    #   -> 17.5 / 5 * 0.75 / 100 = 0.02625
    # 2028: A = 62, rise 0.25; aged 59 and 62: only 59 inside -> 10 / 5 * 0.75 / 100 = 0.015
    # 2029: A = 62, no rise; aged 60 and 63 -> 10 / 5 / 100 = 0.02
    np.testing.assert_allclose(table["retirement_rate"], [0.02625, 0.015, 0.02])
    np.testing.assert_allclose(table["rate"], [0.04625, 0.035, 0.04])
    np.testing.assert_allclose(
        rates.annual(["8343"] * 3, ["L1"] * 3, [2028, 2029, 2040]), [0.035, 0.04, 0.04]
    )
    static = retirement_rates(ages, base_year=2027, years=[2029], ageing=False)
    np.testing.assert_allclose(static["retirement_rate"], [0.04])  # ages 58, 61 in [57, 62)


def test_age_structure_with_bands_and_a_female_share():
    ages = pd.DataFrame(
        {"occupation": ["4321"] * 2, "level": ["L2"] * 2, "age_from": [20, 55],
         "age_to": [55, 60], "workers": [50, 50]}
    )  # fmt: skip
    out = retirement_rates(ages, base_year=2025, years=[2025], female_share=1.0, ageing=False)
    # women 2025: A = 56 y 8 m, rise 1/3; window [51 2/3, 56 2/3)
    # band 20-55: 50 * (10/3) / 35; band 55-60: 50 * (5/3) / 5
    retiring = 50 * (10 / 3) / 35 + 50 * (5 / 3) / 5
    assert out["retirement_rate"].iloc[0] == pytest.approx(retiring / 5 * (2 / 3) / 100)
    with pytest.raises(SkillcastConfigError, match="female_share"):
        retirement_rates(ages, base_year=2025)
    with pytest.raises(SkillcastDataError, match="age_to"):
        retirement_rates(ages.assign(age_to=[55, 50]), base_year=2025, female_share=0.5)
    with pytest.raises(SkillcastDataError, match="sex"):
        retirement_rates(ages.assign(sex=["male", "other"]), base_year=2025)
