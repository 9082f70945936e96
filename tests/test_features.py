import math

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from skillcast import Panel, PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.features import (
    ExogenousFeatures,
    ExpandingMean,
    FeaturePipeline,
    GrowthRates,
    HierarchyFeatures,
    Lags,
    RollingWindows,
    SeasonTrend,
    SeriesAge,
    StaticFeatures,
    default_lags,
    default_windows,
    make_default_features,
    make_minimal_features,
)

NAN = np.nan
PERIODS = ["2022-H1", "2022-H2", "2023-H1", "2023-H2"]


def tiny_panel(**spec: object) -> Panel:
    """Three made-up series over 2022-H1..2023-H2 (positions 0..3).

    a: 10, 12, 0, 15      b: starts 2022-H2: 1, 2, 3      c: 4, missing, 6, 8
    """
    df = pd.DataFrame(
        {
            "item": ["a"] * 4 + ["b"] * 3 + ["c"] * 4,
            "period": PERIODS + PERIODS[1:] + PERIODS,
            "employment": [10, 12, 0, 15, 1, 2, 3, 4, NAN, 6, 8],
        }
    )
    options = {"keys": ("item",), "taxonomies": {}, "gaps": "missing", **spec}
    return load_panel(df, PanelSpec(**options))


def run(builder, panel: Panel, origins, step: int = 1, exog=None) -> pd.DataFrame:
    fitted = builder.fit(panel)
    values = fitted.transform(panel, origins, step, exog)
    return pd.DataFrame(values, columns=fitted.get_feature_names_out())


def col(frame: pd.DataFrame, name: str) -> list[float]:
    return frame[name].tolist()


def assert_list(actual, expected) -> None:
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float), rtol=1e-12)


# ------------------------------------------------------------------------ target history
def test_lags_count_back_from_the_origin_and_rows_are_origin_major():
    out = run(Lags((1, 2, 3)), tiny_panel(), origins=[1, 3])
    assert list(out.columns) == ["lag_1", "lag_2", "lag_3"]
    # rows: (o=1: a, b, c), (o=3: a, b, c); lag_1 is the value at the origin itself
    assert_list(col(out, "lag_1"), [12, 1, NAN, 15, 3, 8])
    assert_list(col(out, "lag_2"), [10, NAN, 4, 0, 2, 6])
    assert_list(col(out, "lag_3"), [NAN, NAN, NAN, 12, 1, NAN])


def test_rolling_mean_std_min_max_use_the_observed_values_of_the_window():
    out = run(RollingWindows((2, 4)), tiny_panel(), origins=[1, 3])
    assert list(out.columns[:4]) == ["roll_mean_2", "roll_std_2", "roll_min_2", "roll_max_2"]
    # origin 3, window 4: a = 10,12,0,15 -> mean 9.25, squared deviations sum 126.75 -> std 6.5
    # b = (absent),1,2,3 -> mean 2, std 1; c = 4,(missing),6,8 -> mean 6, std 2
    assert_list(col(out, "roll_mean_4")[3:], [9.25, 2, 6])
    assert_list(col(out, "roll_std_4")[3:], [6.5, 1, 2])
    assert_list(col(out, "roll_min_4")[3:], [0, 1, 4])
    assert_list(col(out, "roll_max_4")[3:], [15, 3, 8])
    # origin 1, window 2: a = 10,12; b = 1 alone -> std NaN; c = 4,(missing)
    assert_list(col(out, "roll_mean_2")[:3], [11, 1, 4])
    assert_list(col(out, "roll_std_2")[:3], [math.sqrt(2), NAN, NAN])
    # window 4 at origin 1 reaches before the panel: those positions count as missing
    assert_list(col(out, "roll_mean_4")[:3], [11, 1, 4])


def test_rolling_std_of_a_constant_large_series_is_exactly_zero():
    df = pd.DataFrame({"item": "a", "period": PERIODS, "employment": [1e9 + 7] * 4})
    # above the default plausibility bound on purpose: the check is numerical
    panel = load_panel(df, PanelSpec(keys=("item",), taxonomies={}, max_value=1e10))
    out = run(RollingWindows((3,), ("mean", "std")), panel, origins=[3])
    assert col(out, "roll_std_3") == [0.0]
    assert col(out, "roll_mean_3") == [1e9 + 7]


def test_expanding_mean_and_series_age():
    panel = tiny_panel()
    out = run(FeaturePipeline([ExpandingMean(), SeriesAge(min_history=3)]), panel, [0, 2])
    assert_list(col(out, "expanding_mean"), [10, NAN, 4, 22 / 3, 1.5, 5])
    assert_list(col(out, "age"), [1, 0, 1, 3, 2, 2])
    assert_list(col(out, "cold_start"), [1, 1, 1, 0, 1, 1])


def test_growth_is_log1p_difference_and_finite_at_zero():
    out = run(GrowthRates(), tiny_panel(), origins=[2, 3])
    assert list(out.columns) == ["growth_1", "growth_yoy"]
    # a: 12 -> 0 is log(1) - log(13); 0 -> 15 is log(16) - log(1)
    log = math.log
    assert_list(col(out, "growth_1"), [-log(13), log(3 / 2), NAN, log(16), log(4 / 3), log(9 / 7)])
    # year over year (2 half-years back): a at origin 3 is 15 vs 12
    assert_list(col(out, "growth_yoy"), [log(1 / 11), NAN, log(7 / 5), log(16 / 13), log(2), NAN])


def test_growth_yoy_is_dropped_when_it_repeats_a_period():
    df = pd.DataFrame({"item": "a", "period": ["2020", "2021", "2022"], "employment": [0, 0, 3]})
    panel = load_panel(df, PanelSpec(keys=("item",), freq="annual", taxonomies={}))
    out = run(GrowthRates(periods=(1, 2)), panel, origins=[2])
    assert list(out.columns) == ["growth_1", "growth_2"]
    assert_list(out.iloc[0], [math.log(4), math.log(4)])


# ------------------------------------------------------------------------ calendar
def test_season_and_trend_describe_the_target_period():
    panel = tiny_panel()
    step1 = run(SeasonTrend(), panel, origins=[2, 3], step=1)
    # origin 2023-H1 + 1 -> 2023-H2 (season 2, position 3); 2023-H2 + 1 -> 2024-H1 (1, 4)
    assert_list(col(step1, "season"), [2, 2, 2, 1, 1, 1])
    assert_list(col(step1, "trend"), [3, 3, 3, 4, 4, 4])
    assert_list(col(step1, "horizon_step"), [1] * 6)
    step2 = run(SeasonTrend(), panel, origins=[3], step=2)
    assert_list(col(step2, "season"), [2, 2, 2])  # 2024-H2
    assert_list(col(step2, "trend"), [5, 5, 5])
    assert_list(col(step2, "horizon_step"), [2, 2, 2])


def test_season_of_quarterly_target_and_trend_anchored_at_fit_start():
    quarters = ["2023Q3", "2023Q4", "2024Q1"]
    df = pd.DataFrame({"item": "a", "period": quarters, "employment": [1, 2, 3]})
    panel = load_panel(df, PanelSpec(keys=("item",), freq="Q", taxonomies={}))
    fitted = SeasonTrend().fit(panel)
    out = fitted.transform(panel, [0, 2], step=3)
    assert_list(out[:, 0], [2, 4])  # targets 2024Q2 and 2024Q4
    assert_list(out[:, 1], [3, 5])
    later = panel.between("2023Q4", "2024Q1")  # a panel starting one quarter later
    assert_list(fitted.transform(later, [0], step=1)[:, 1], [2])  # 2024Q1 is 2 after 2023Q3


# ------------------------------------------------------------------------ taxonomy-based
def coded_panel(**spec: object) -> Panel:
    """Real codes: two crane/deck-crew series in major group 8, one ships' officer in 3."""
    rows = [
        ("H52", "8343", "L1", [10, 20, 30]),
        ("H50", "8350", "L2", [5, NAN, 7]),
        ("H52", "8350", "L1", [1, 2, 0]),
        ("H50", "3152", "L4", [4, 4, 4]),
    ]
    records = [
        (s, o, lv, p, v)
        for s, o, lv, values in rows
        for p, v in zip(PERIODS[:3], values, strict=True)
    ]
    df = pd.DataFrame(records, columns=["sector", "occupation", "level", "period", "employment"])
    return load_panel(df, PanelSpec(gaps="missing", **spec))


def test_hierarchy_totals_and_shares_at_the_origin():
    panel = coded_panel()
    # series order (sector, occupation, level): H50/3152/L4, H50/8350/L2, H52/8343/L1, H52/8350/L1
    assert panel.series["occupation"].tolist() == ["3152", "8350", "8343", "8350"]
    out = run(HierarchyFeatures(), panel, origins=[0, 1])
    assert list(out.columns) == [
        "occ_group_total", "occ_group_share", "sector_total", "level_total",
    ]  # fmt: skip
    # origin 0: values 4, 5, 10, 1 -> group 3: 4; group 8: 16; H50: 9, H52: 11; L1: 11
    assert_list(col(out, "occ_group_total")[:4], [4, 16, 16, 16])
    assert_list(col(out, "occ_group_share")[:4], [1, 5 / 16, 10 / 16, 1 / 16])
    assert_list(col(out, "sector_total")[:4], [9, 9, 11, 11])
    assert_list(col(out, "level_total")[:4], [4, 5, 11, 11])
    # origin 1: H50/8350 is missing -> left out of its sums, its share NaN
    assert_list(col(out, "occ_group_total")[4:], [4, 22, 22, 22])
    assert_list(col(out, "occ_group_share")[4:], [1, NAN, 20 / 22, 2 / 22])
    assert_list(col(out, "sector_total")[4:], [4, 4, 22, 22])
    assert_list(col(out, "level_total")[4:], [4, NAN, 22, 22])


def test_hierarchy_groups_at_a_finer_occupation_tier():
    out = run(HierarchyFeatures(occupation_tier=3, sector=None, level=None), coded_panel(), [2])
    # tier 3: 315, 835, 834, 835 -> 835 holds 7 + 0
    assert_list(col(out, "occ_group_total"), [4, 7, 30, 7])
    assert_list(col(out, "occ_group_share"), [1, 1, 1, 0])


def test_static_features_from_the_taxonomy():
    panel = coded_panel()
    builder = StaticFeatures().fit(panel)
    out = pd.DataFrame(builder.transform(panel, [1, 2], 1), columns=builder.get_feature_names_out())
    assert len(out) == 8 and out.iloc[:4].equals(out.iloc[4:].reset_index(drop=True))
    first = out.iloc[:4]
    # majors seen in fit: "3", "8" -> 0, 1; sub-majors "31", "83" -> 0, 1; sections: "H" -> 0
    assert_list(first["occ_major"], [0, 1, 1, 1])
    assert_list(first["occ_submajor"], [0, 1, 1, 1])
    assert_list(first["occ_skill_level"], [3, 2, 2, 2])
    assert_list(first["sector_section"], [0, 0, 0, 0])
    # H50: seaport_maritime + logistics; H52: those and airport
    assert_list(first["cluster_seaport_maritime"], [1, 1, 1, 1])
    assert_list(first["cluster_airport"], [0, 0, 1, 1])
    assert_list(first["cluster_tourism"], [0, 0, 0, 0])
    assert_list(first["level_ordinal"], [4, 2, 1, 1])


def test_static_categories_unseen_in_fit_are_minus_one():
    builder = StaticFeatures(level=None).fit(coded_panel())
    df = pd.DataFrame(
        {"sector": ["I56", "H52"], "occupation": ["5120", "83431"], "period": "2022-H1",
         "employment": [3, 4]}
    )  # fmt: skip
    other = load_panel(df, PanelSpec(keys=("sector", "occupation"), unknown_codes="keep"))
    out = pd.DataFrame(builder.transform(other, [0], 1), columns=builder.get_feature_names_out())
    assert_list(out["occ_major"], [1, -1])  # "83431" rolls up to 8 (seen); 5 unseen
    assert_list(out["occ_submajor"], [1, -1])
    assert_list(out["occ_skill_level"], [2, 2])  # 83431 is not listed: its ancestor 8343's
    assert_list(out["sector_section"], [0, -1])
    assert_list(out["cluster_tourism"], [0, 1])


def test_missing_key_columns_raise_or_are_skipped():
    panel = tiny_panel()
    with pytest.raises(SkillcastConfigError, match="no key column 'occupation'"):
        StaticFeatures().fit(panel)
    with pytest.raises(SkillcastConfigError, match="no key column 'sector'"):
        HierarchyFeatures(occupation=None).fit(panel)
    assert StaticFeatures(missing="skip").fit(panel).get_feature_names_out() == []
    renamed = HierarchyFeatures(occupation=None, sector="item", level=None).fit(panel)
    assert renamed.get_feature_names_out() == ["sector_total"]
    assert_list(renamed.transform(panel, [3], 1)[:, 0], [15, 3, 8])


# ------------------------------------------------------------------------ exogenous
def exog_panel() -> Panel:
    df = pd.DataFrame(
        {
            "item": ["a"] * 3 + ["b"] * 3,
            "period": PERIODS[:3] * 2,
            "employment": [1, 2, 3, 4, 5, 6],
            "plan": [10, 11, 12, 20, 21, 22],  # known in advance
            "orders": [100, 101, 102, 200, 201, 202],  # observed only
        }
    )
    spec = PanelSpec(keys=("item",), taxonomies={}, known_exog=("plan",), observed_exog=("orders",))
    return load_panel(df, spec)


def test_known_exog_at_target_and_observed_exog_at_origin():
    panel = exog_panel()
    out = run(ExogenousFeatures(observed_lags=(1, 2)), panel, origins=[1])
    assert list(out.columns) == [
        "exog_known_plan", "exog_obs_orders_lag_1", "exog_obs_orders_lag_2",
    ]  # fmt: skip
    assert_list(col(out, "exog_known_plan"), [12, 22])  # position 2, the target
    assert_list(col(out, "exog_obs_orders_lag_1"), [101, 201])  # the origin
    assert_list(col(out, "exog_obs_orders_lag_2"), [100, 200])


def test_known_exog_beyond_the_panel_comes_from_the_exog_frame():
    panel = exog_panel()
    builder = ExogenousFeatures().fit(panel)
    by_series = pd.DataFrame(
        {"item": ["a", "b", "a", "b"], "period": ["2023-H2", "2023-H2", "2024-H1", "2024-H1"],
         "plan": [13, 23, 14, 24]}
    )  # fmt: skip
    out = builder.transform(panel, [1, 2], step=2, exog=by_series)
    assert_list(out[:, 0], [13, 23, 14, 24])  # origin 1 -> 2023-H2, origin 2 -> 2024-H1
    city_wide = pd.DataFrame({"period": ["2023-H2"], "plan": [99]})
    assert_list(builder.transform(panel, [2], step=1, exog=city_wide)[:, 0], [99, 99])


def test_known_exog_beyond_the_panel_without_values_names_the_periods():
    panel = exog_panel()
    builder = ExogenousFeatures().fit(panel)
    with pytest.raises(SkillcastDataError, match=r"\['2023-H2', '2024-H1'\]"):
        builder.transform(panel, [1, 2], step=2)  # no frame, targets after the panel
    partial = pd.DataFrame({"item": ["a"], "period": ["2023-H2"], "plan": [1]})
    with pytest.raises(SkillcastDataError, match=r"1 series in period\(s\) \['2023-H2'\]"):
        builder.transform(panel, [2], step=1, exog=partial)
    with pytest.raises(SkillcastDataError, match="lacks column"):
        builder.transform(panel, [2], step=1, exog=partial.drop(columns="plan"))


# ------------------------------------------------------------------------ pipeline
def test_pipeline_concatenates_builders_and_frames_with_index_columns():
    panel = tiny_panel()
    pipe = FeaturePipeline([Lags((1,)), SeasonTrend()]).fit(panel)
    assert pipe.get_feature_names_out() == ["lag_1", "season", "trend", "horizon_step"]
    frame = pipe.transform_frame(panel, [2, 3], 1)
    assert list(frame.columns[:3]) == ["series", "origin", "step"]
    assert frame["series"].tolist() == [0, 1, 2, 0, 1, 2]
    assert frame["origin"].tolist() == [2, 2, 2, 3, 3, 3]
    assert_list(frame["lag_1"], [0, 2, 6, 15, 3, 8])
    np.testing.assert_array_equal(frame.iloc[:, 3:].to_numpy(), pipe.transform(panel, [2, 3], 1))
    assert pipe.builders[0] is not pipe.builders_[0]  # the given builders stay unfitted
    assert clone(pipe).get_params()["builders"][0].lags == (1,)


class Mislabelled(Lags):
    """Declares one scale fewer than it has columns."""

    def get_feature_scales_out(self):
        return ["level"] * (len(self.get_feature_names_out()) - 1)


def test_builders_declare_how_their_columns_scale_and_the_pipeline_concatenates_them():
    panel = coded_panel()
    pipe = make_default_features(panel).fit(panel)
    scales = dict(zip(pipe.get_feature_names_out(), pipe.get_feature_scales_out(), strict=True))
    levels = {"lag_1", "lag_4", "roll_mean_2", "roll_min_4", "roll_max_2", "expanding_mean"}
    assert {n for n, s in scales.items() if s == "level"} >= levels
    assert {n for n, s in scales.items() if s == "spread"} == {"roll_std_2", "roll_std_4"}
    assert all(scales[n] == "none" for n in ("growth_1", "season", "occ_group_total", "age"))
    windows = RollingWindows((3,), stats=("std", "max")).fit(panel)
    assert windows.get_feature_scales_out() == ["spread", "level"]
    assert SeasonTrend().fit(panel).get_feature_scales_out() == ["none"] * 3
    with pytest.raises(SkillcastConfigError, match="Mislabelled.get_feature_scales_out"):
        FeaturePipeline([Mislabelled((1, 2))]).fit(panel)


def test_pipeline_rejects_repeated_names_and_bad_arguments():
    panel = tiny_panel()
    with pytest.raises(SkillcastConfigError, match="lag_1"):
        FeaturePipeline([Lags((1, 2)), Lags((1,))]).fit(panel)
    pipe = make_minimal_features(panel).fit(panel)
    with pytest.raises(SkillcastConfigError, match="outside the panel"):
        pipe.transform(panel, [4], 1)
    with pytest.raises(SkillcastConfigError, match="integer positions"):
        pipe.transform(panel, ["2023-H1"], 1)
    with pytest.raises(SkillcastConfigError, match="step"):
        pipe.transform(panel, [1], 0)
    with pytest.raises(SkillcastConfigError, match="not fitted"):
        Lags().transform(panel, [1], 1)
    with pytest.raises(SkillcastConfigError, match="distinct integers"):
        Lags((0, 1)).fit(panel)
    with pytest.raises(SkillcastConfigError, match="stats"):
        RollingWindows(stats=("median",)).fit(panel)
    annual = load_panel(
        pd.DataFrame({"item": "a", "period": ["2020", "2021"], "employment": [1, 2]}),
        PanelSpec(keys=("item",), freq="annual", taxonomies={}),
    )
    with pytest.raises(SkillcastConfigError, match="fitted on a semiannual panel"):
        pipe.transform(annual, [1], 1)
    with pytest.raises(SkillcastConfigError, match="tier 7"):
        HierarchyFeatures(occupation_tier=7).fit(coded_panel())
    with pytest.raises(SkillcastConfigError, match="load_panel"):
        FeaturePipeline([Lags()]).fit(panel.frame)


def test_default_and_minimal_feature_sets():
    assert default_lags(1) == (1, 2, 3, 4) and default_lags(2) == (1, 2, 3, 4)
    assert default_lags(4) == tuple(range(1, 9)) and default_lags(12) == tuple(range(1, 13))
    assert default_windows(2) == (2, 4) and default_windows(4) == (4, 8)
    panel = coded_panel()
    names = make_default_features(panel).fit(panel).get_feature_names_out()
    expected = {
        "lag_4", "roll_std_4", "expanding_mean", "growth_yoy", "season", "occ_major",
        "cluster_logistics", "level_ordinal", "occ_group_share", "age", "cold_start",
    }  # fmt: skip
    assert expected <= set(names)
    # given a season length, taxonomy families the panel lacks are skipped
    small = make_default_features(2).fit(tiny_panel())
    assert "occ_major" not in small.get_feature_names_out()
    assert small.transform(tiny_panel(), [3], 1).shape == (3, len(small.get_feature_names_out()))
    minimal = make_minimal_features(4).fit(tiny_panel())
    lags = [f"lag_{k}" for k in range(1, 9)]
    assert minimal.get_feature_names_out() == [*lags, "season", "trend", "horizon_step"]


def test_known_driver_growth_is_the_log_ratio_target_over_origin():
    df = pd.DataFrame(
        {
            "occupation": ["a"] * 4,
            "period": ["2020-H1", "2020-H2", "2021-H1", "2021-H2"],
            "employment": [1.0, 2.0, 3.0, 4.0],
            "port": [100.0, 110.0, 121.0, 0.0],
        }
    )
    panel = load_panel(df, PanelSpec(keys=("occupation",), known_exog=("port",), taxonomies={}))
    builder = ExogenousFeatures(known_growth=True).fit(panel)
    assert builder.get_feature_names_out() == ["exog_known_port", "exog_known_port_growth"]
    out = builder.transform(panel, [0, 1], 2)
    np.testing.assert_allclose(out[:, 0], [121.0, 0.0])
    np.testing.assert_allclose(out[:, 1], [np.log(1.21), np.nan])  # a zero driver: no growth
