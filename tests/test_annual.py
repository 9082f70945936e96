"""Calendar-year views: stocks averaged (or year-end), flows summed, bounds by the stated
correlation rule, partial years left out or flagged, the yearly supply gap classed again;
each against a hand computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from skillcast.demand import supply_gap
from skillcast.errors import SkillcastConfigError
from skillcast.outputs import (
    annual_forecast,
    annual_openings,
    annual_supply_gap,
    annual_view,
    supply_gap_frame,
)
from skillcast.outputs.annual import label_frequency
from skillcast.periods import frequency

BOUNDS = ["lower_80", "upper_80", "lower_95", "upper_95"]


def _planner() -> pd.DataFrame:
    """Two series over 2026-H1..2027-H1 (2027 has one half-year only)."""
    rows = [
        # period, sector, occupation, level, forecast, lo80, hi80, lo95, hi95
        ("2026-H1", "H52", "8343", "L2", 100, 80, 130, 70, 150),
        ("2026-H2", "H52", "8343", "L2", 120, 90, 160, 75, 190),
        ("2027-H1", "H52", "8343", "L2", 130, 95, 170, 80, 200),
        ("2026-H1", "I55", "5131", "L1", 40, 30, 50, 25, 60),
        ("2026-H2", "I55", "5131", "L1", 20, 15, 26, 12, 30),
        ("2027-H1", "I55", "5131", "L1", 45, 33, 55, 28, 66),
    ]
    frame = pd.DataFrame(
        rows, columns=["period", "sector", "occupation", "level", "forecast", *BOUNDS]
    )
    for column in ("forecast", *BOUNDS):
        frame[column] = frame[column].astype("Int64")
    return frame.assign(model_version="3", created_at="2026-01-15T08:30:00Z")


def _row(frame: pd.DataFrame, sector: str, year: int) -> list[int]:
    got = frame.loc[(frame["sector"] == sector) & (frame["year"] == year)]
    assert len(got) == 1
    return [int(got[c].iloc[0]) for c in ("forecast", *BOUNDS)]


def test_stock_is_the_mean_of_the_half_years_with_comonotone_bounds():
    out = annual_forecast(_planner())
    # (100 + 120) / 2 = 110; bounds: means of the bounds, 72.5 rounds half-up to 73
    assert _row(out, "H52", 2026) == [110, 85, 145, 73, 170]
    assert _row(out, "I55", 2026) == [30, 23, 38, 19, 45]  # 22.5 -> 23, 18.5 -> 19
    assert out["year"].tolist() == [2026, 2026]  # 2027 has one half-year: left out
    assert out.attrs["partial_years"] == [2027]
    assert out["periods"].tolist() == [2, 2]
    # keys and stamps are carried, the stamps last
    assert list(out.columns)[:4] == ["year", "sector", "occupation", "level"]
    assert list(out.columns)[-2:] == ["model_version", "created_at"]
    assert "period" not in out.columns


def test_stock_with_independent_periods_by_hand():
    out = annual_forecast(_planner(), correlation="independent")
    # distance of each bound from the mean: sqrt(sum of squares) / 2 periods
    lo80 = 110 - math.sqrt(20**2 + 30**2) / 2  # 91.97
    hi80 = 110 + math.sqrt(30**2 + 40**2) / 2  # 135
    lo95 = 110 - math.sqrt(30**2 + 45**2) / 2  # 82.96
    hi95 = 110 + math.sqrt(50**2 + 70**2) / 2  # 153.01
    expected = [110, *(math.floor(v + 0.5) for v in (lo80, hi80, lo95, hi95))]
    assert _row(out, "H52", 2026) == expected == [110, 92, 135, 83, 153]
    comonotone = annual_forecast(_planner())
    wide = comonotone["upper_95"].astype(float) - comonotone["lower_95"].astype(float)
    narrow = out["upper_95"].astype(float) - out["lower_95"].astype(float)
    assert (narrow <= wide).all()  # independence can only narrow the range


def test_year_end_stock_is_the_last_half_year():
    out = annual_forecast(_planner(), stock="end")
    assert _row(out, "H52", 2026) == [120, 90, 160, 75, 190]


def test_flows_are_sums_and_bounds_follow_the_rule():
    out = annual_forecast(_planner(), measure="openings")
    assert _row(out, "H52", 2026) == [220, 170, 290, 145, 340]
    ind = annual_forecast(_planner(), measure="openings", correlation="independent")
    lo80, hi80 = 220 - math.sqrt(20**2 + 30**2), 220 + math.sqrt(30**2 + 40**2)
    lo95, hi95 = 220 - math.sqrt(30**2 + 45**2), 220 + math.sqrt(50**2 + 70**2)
    assert _row(ind, "H52", 2026) == [220, *(math.floor(v + 0.5) for v in (lo80, hi80, lo95, hi95))]
    assert _row(ind, "H52", 2026) == [220, 184, 270, 166, 306]


def test_partial_years_can_be_flagged():
    out = annual_forecast(_planner(), partial="flag")
    assert out["year"].tolist() == [2026, 2027, 2026, 2027]
    assert out["complete"].tolist() == [True, False, True, False]
    assert out["periods"].tolist() == [2, 1, 2, 1]
    assert _row(out, "H52", 2027)[0] == 130  # the figure of the periods present


def test_bounds_stay_nested_after_rounding_and_input_is_untouched():
    planner = _planner()
    before = planner.copy()
    out = annual_forecast(planner, correlation="independent")
    f = out["forecast"].astype(float)
    assert (out["lower_95"] <= out["lower_80"]).all() and (out["lower_80"] <= f).all()
    assert (f <= out["upper_80"]).all() and (out["upper_80"] <= out["upper_95"]).all()
    pd.testing.assert_frame_equal(planner, before)


def test_quarterly_and_monthly_labels():
    quarters = pd.DataFrame(
        {"period": ["2026Q1", "2026Q2", "2026Q3", "2026Q4", "2027Q1"],
         "openings": [1, 2, 3, 4, 5]}
    )  # fmt: skip
    out = annual_view(quarters, flows={"openings": {}})
    assert out[["year", "openings"]].values.tolist() == [[2026, 10]]
    months = pd.DataFrame({"period": [f"2026-{m:02d}" for m in range(1, 13)], "x": range(12)})
    out = annual_view(months, stocks={"x": {}}, stock="end")
    assert out["x"].tolist() == [11] and out["periods"].tolist() == [12]
    assert label_frequency(pd.Series(["2026-H1", "2026h2"])) == frequency("semiannual")
    assert label_frequency(pd.Series(pd.PeriodIndex(["2026-01"], freq="6M"))).name == "semiannual"


def test_periods_as_pandas_periods_and_fractional_values():
    frame = pd.DataFrame(
        {"period": pd.PeriodIndex(["2026-01", "2026-07"], freq="6M"), "rate": [0.1, 0.25]}
    )
    out = annual_view(frame, stocks={"rate": {}})
    assert out["rate"].tolist() == [pytest.approx(0.175)]  # not rounded: not whole numbers


def test_bad_input_is_refused():
    with pytest.raises(SkillcastConfigError, match="mixed|frequency"):
        annual_view(pd.DataFrame({"period": ["2026-H1", "2026Q1"], "x": [1, 2]}), flows={"x": {}})
    with pytest.raises(SkillcastConfigError, match="repeat a series"):
        annual_view(pd.DataFrame({"period": ["2026-H1", "2026-H1"], "x": [1, 2]}), flows={"x": {}})
    with pytest.raises(SkillcastConfigError, match="lacks"):
        annual_view(pd.DataFrame({"period": ["2026-H1"], "x": [1]}), flows={"y": {}})
    with pytest.raises(SkillcastConfigError, match="correlation"):
        annual_forecast(_planner(), correlation="perfect")  # type: ignore[arg-type]


def test_openings_add_up_and_keep_their_identity():
    base = pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H2"],
            "sector": ["H52", "H52"],
            "occupation": ["8343", "8343"],
            "level": ["L2", "L2"],
            "measure": ["stock", "stock"],
            "decomposition": ["expansion + replacement"] * 2,
            "stock": [1000, 1100],
            "change": [-20, 100],
            "expansion": [0, 100],
            "contraction": [20, 0],
            "replacement_rate": [0.02, 0.02],
            "replacement": [20, 22],
            "openings": [20, 122],
            "openings_lower_80": [10, 60],
            "openings_upper_80": [40, 200],
            "hiring_factor": [1.0, 1.0],
            "realised_hiring": [20, 122],
        }
    )
    out = annual_openings(base)
    row = out.iloc[0]
    assert (row["stock"], row["change"], row["expansion"], row["contraction"]) == (
        1050,
        80,
        100,
        20,
    )
    assert (row["replacement"], row["openings"], row["realised_hiring"]) == (42, 142, 142)
    assert row["openings"] == row["expansion"] + row["replacement"]
    assert (row["openings_lower_80"], row["openings_upper_80"]) == (70, 240)
    assert row["replacement_rate"] == round(42 / 1050, 4) and row["hiring_factor"] == 1.0
    assert list(out.columns).index("replacement_rate") == list(out.columns).index("replacement") - 1


def _half_year_gap() -> pd.DataFrame:
    periods = pd.PeriodIndex(["2026-01", "2026-07"], freq="6M")
    openings = pd.DataFrame(
        {
            "occupation": ["8343", "8343", "5131", "5131"],
            "level": ["L2", "L2", "L1", "L1"],
            "period": [periods[0], periods[1]] * 2,
            "openings": [60.0, 40.0, 30.0, 10.0],
            "openings_lower_80": [40.0, 30.0, 25.0, 5.0],
            "openings_upper_80": [90.0, 50.0, 40.0, 12.0],
        }
    )
    supply = pd.DataFrame(
        {
            "occupation": ["8343", "8343", "5131", "5131"],
            "level": ["L2", "L2", "L1", "L1"],
            "period": ["2026-H1", "2026-H2"] * 2,
            "graduates": [20, 30, 10, 30],
        }
    )
    return supply_gap_frame(supply_gap(openings, supply), frequency("semiannual"))


def test_yearly_supply_gap_by_hand():
    half = _half_year_gap()
    # the waiters' half-years disagree: a shortage (30 vs 10), then a surplus (10 vs 30)
    waiters = half.loc[half["occupation"] == "5131", "gap_class"].tolist()
    assert sorted(waiters) == ["shortage", "surplus"]
    out = annual_supply_gap(half)
    assert out["period"].tolist() == ["2026", "2026"] and out["year"].tolist() == [2026, 2026]
    crane = out.loc[out["occupation"] == "8343"].iloc[0]
    # openings 60 + 40 = 100 (80%: 70 .. 140) against 20 + 30 = 50 graduates
    assert (crane["openings"], crane["openings_lower"], crane["openings_upper"]) == (100, 70, 140)
    assert (crane["supply"], crane["gap"], crane["gap_lower"], crane["gap_upper"]) == (
        50,
        50,
        20,
        90,
    )
    assert crane["ratio"] == 2.0 and crane["ratio_lower"] == 1.4
    assert crane["assessment"] == "likely shortage" and bool(crane["likely_shortage"])
    waiter = out.loc[out["occupation"] == "5131"].iloc[0]
    # 40 openings against 40 graduates: a balance over the year, its low end a surplus
    assert (waiter["openings"], waiter["supply"], waiter["gap"]) == (40, 40, 0)
    assert waiter["assessment"] == "possible balance"
    assert out["occupation"].tolist() == ["8343", "5131"]  # shortages first
    assert list(out.columns[:2]) == ["period", "year"]
    assert out["occupation_name_en"].iloc[0] == "Crane, hoist and related plant operators"


def test_yearly_supply_gap_keeps_the_stamps_and_drops_partial_years():
    half = _half_year_gap().assign(model_version="7", forecast_run_id="abc")
    extra = half.iloc[[0]].assign(period="2027-H1")
    out = annual_supply_gap(pd.concat([half, extra], ignore_index=True))
    assert out.attrs["partial_years"] == [2027] and set(out["period"]) == {"2026"}
    assert set(out["model_version"]) == {"7"} and set(out["forecast_run_id"]) == {"abc"}


def test_yearly_supply_gap_of_the_independent_rule_is_narrower():
    half = _half_year_gap()
    como = annual_supply_gap(half)
    ind = annual_supply_gap(half, correlation="independent")
    width = lambda f: (f["openings_upper"] - f["openings_lower"]).to_numpy(dtype=float)  # noqa: E731
    assert np.all(width(ind) <= width(como))
    crane = ind.loc[ind["occupation"] == "8343"].iloc[0]
    assert crane["openings_lower"] == math.floor(100 - math.sqrt(20**2 + 10**2) + 0.5)
