"""Tests of skillcast.datasets: generator structure, bundled sample, report aggregation,
and the Eurostat extract (Source: Eurostat (lfsa_egised))."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillcast.datasets import (
    EUROSTAT_SPEC,
    SAMPLE_SPEC,
    aggregate_reports,
    load_eurostat_extract,
    load_sample,
    load_sample_supply,
    make_hai_phong_like,
    statutory_deadline,
)
from skillcast.datasets.profiles import SECTOR_GROUPS
from skillcast.datasets.sample import (
    SUPPLY_FILE,
    generate_sample,
    sample_path,
    write_sample,
    write_sample_supply,
)
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, PanelSpec, load_panel

DATA = Path(__file__).parent / "data"
EXTRACT = DATA / "eurostat_lfsa_egised_extract.csv"
KEYS = ["sector", "occupation", "level"]


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_hai_phong_like(seed=0)


def _by_year(frame: pd.DataFrame, mask: pd.Series | None = None) -> pd.Series:
    """Employment summed per calendar year (both half-years), indexed by year label."""
    rows = frame if mask is None else frame.loc[mask]
    return rows.groupby(rows["period"].str[:4])["employment"].sum()


def _cagr(yearly: pd.Series) -> float:
    first, last = yearly.iloc[0], yearly.iloc[-1]
    return (last / first) ** (1 / (len(yearly) - 1)) - 1


def _adi(values: np.ndarray) -> float:
    """Syntetos-Boylan average inter-demand interval: periods per non-zero period."""
    nonzero = np.count_nonzero(values)
    return np.inf if nonzero == 0 else len(values) / nonzero


# --- generator --------------------------------------------------------------------------


def test_same_seed_gives_identical_frame_and_other_seeds_differ(frame: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(make_hai_phong_like(seed=0), frame)
    other = make_hai_phong_like(seed=1)
    # the series list is fixed by the profiles; only the draws change
    assert other.shape == frame.shape
    assert not np.array_equal(other["employment"], frame["employment"])
    assert not np.array_equal(other["fdi_disbursed_busd"], frame["fdi_disbursed_busd"])


def test_schema_values_and_magnitudes(frame: pd.DataFrame) -> None:
    assert list(frame.columns) == [
        "period", "sector", "occupation", "level", "employment", "vacancies",
        "port_throughput_mt", "fdi_disbursed_busd", "tourist_arrivals_m",
    ]  # fmt: skip
    emp = frame["employment"].to_numpy()
    assert frame["employment"].dtype == np.float64
    assert (emp >= 0).all() and np.array_equal(emp, np.round(emp))
    assert frame["vacancies"].dtype == np.int64 and (frame["vacancies"] >= 0).all()
    assert 400 <= frame.groupby(KEYS).ngroups <= 700
    totals = frame.groupby("period")["employment"].sum()
    assert 50_000 < totals.min() and totals.max() < 300_000
    # declared needs: a few percent (professionals) to ~25% (food service) of employment
    per_occ = frame.groupby("occupation")[["vacancies", "employment"]].sum()
    rate = per_occ["vacancies"] / per_occ["employment"]
    assert 0.02 < rate.min() < 0.10 and 0.15 < rate.max() < 0.35
    assert rate.idxmax() in {"5131", "9412", "5120"}  # waiters, kitchen helpers, cooks
    # drivers are city-wide: one value per period
    drivers = ["port_throughput_mt", "fdi_disbursed_busd", "tourist_arrivals_m"]
    assert (frame.groupby("period")[drivers].nunique() == 1).all().all()
    port = frame.drop_duplicates("period")["port_throughput_mt"].to_numpy()
    assert (np.diff(port) > 0).all()  # the port plan grows every half-year


def test_loads_as_a_gap_free_panel(frame: pd.DataFrame) -> None:
    panel = load_panel(frame, SAMPLE_SPEC)  # gaps="error": any hole would raise
    assert (panel.n_series, panel.n_periods) == (frame.groupby(KEYS).ngroups, 22)
    assert [panel.label(p) for p in panel.periods[[0, -1]]] == ["2015-H1", "2025-H2"]
    first, last = panel.first_last()
    assert (last == 21).all()  # every series runs to the end ...
    emerging = (panel.series["occupation"] == "2529").to_numpy()
    assert (first[~emerging] == 0).all() and (first[emerging] == 10).all()  # ... from 2015-H1


def test_emerging_occupation_absent_before_start_then_grows(frame: pd.DataFrame) -> None:
    rows = frame.loc[frame["occupation"] == "2529"]
    assert rows["period"].min() == "2020-H1"
    total = rows.groupby("period")["employment"].sum()
    assert len(total) == 12  # 2020-H1 .. 2025-H2
    assert 0 < 3 * total.iloc[0] < total.iloc[-1]
    before = make_hai_phong_like(seed=0, end="2019")
    assert "2529" not in set(before["occupation"])


def test_logistics_and_manufacturing_outgrow_the_city(frame: pd.DataFrame) -> None:
    growing = SECTOR_GROUPS["logistics"] + SECTOR_GROUPS["manufacturing"]
    fast = _cagr(_by_year(frame, frame["sector"].isin(growing)))
    rest = _cagr(_by_year(frame, ~frame["sector"].isin(growing)))
    city = _cagr(_by_year(frame))
    assert fast > city + 0.002
    assert fast > rest + 0.01
    assert rest < city
    assert 0.04 < city < 0.09  # growth per year over 2015-2025


def test_tourism_is_seasonal_and_hit_hardest_by_covid(frame: pd.DataFrame) -> None:
    tourism = frame.loc[frame["sector"].isin(SECTOR_GROUPS["tourism"])]
    half = tourism.groupby("period")["employment"].sum()
    # H1 (reported end of May, the beach season) above H2 (end of November, winter) in
    # every year outside COVID and its recovery
    ratios = [half[f"{y}-H1"] / half[f"{y}-H2"] for y in (*range(2015, 2020), 2023, 2024, 2025)]
    assert min(ratios) > 1.05 and np.mean(ratios) > 1.15
    other = frame.loc[~frame["sector"].isin(SECTOR_GROUPS["tourism"])]
    other_half = other.groupby("period")["employment"].sum()
    ratio = other_half.iloc[0::2].to_numpy() / other_half.iloc[1::2].to_numpy()
    assert np.abs(np.median(ratio) - 1) < 0.05  # no comparable season elsewhere

    year = tourism.groupby(tourism["period"].str[:4])["employment"].sum()
    assert year["2020"] < 0.85 * year["2019"] and year["2021"] < 0.95 * year["2019"]
    assert year["2023"] > year["2019"]  # recovered
    city = frame.groupby("period")["employment"].sum()
    assert city["2020-H1"] < city["2019-H2"]  # the whole city dips in 2020
    drop_t = half["2020-H1"] / half["2019-H1"]
    drop_c = city["2020-H1"] / city["2019-H1"]
    assert drop_t < drop_c - 0.15


def test_level_mix_shifts_toward_trained_workers(frame: pd.DataFrame) -> None:
    by_level = frame.pivot_table(
        index="period", columns="level", values="employment", aggfunc="sum"
    )
    share_l0 = by_level["L0"] / by_level.sum(axis=1)
    assert share_l0["2025-H2"] < share_l0["2015-H1"] - 0.08
    trained = (by_level["L3"] + by_level["L4"]) / by_level.sum(axis=1)
    assert trained["2025-H2"] > trained["2015-H1"]


def test_intermittent_small_cells_exist(frame: pd.DataFrame) -> None:
    series = frame.groupby(KEYS)["employment"]
    adi = series.agg(lambda s: _adi(s.to_numpy()))
    intermittent = adi[adi >= 1.32]
    assert len(intermittent) >= 20
    assert np.isfinite(intermittent).all()  # mostly zero, never all zero
    zero_share = series.agg(lambda s: float((s == 0).mean()))
    assert (zero_share[intermittent.index] >= 0.24).all()
    sizes = frame.loc[frame["employment"] > 0].groupby(KEYS)["employment"].max()
    assert (sizes[intermittent.index] <= 15).all()  # small counts when they occur


def test_heavy_tailed_noise(frame: pd.DataFrame) -> None:
    big = frame.groupby(KEYS)["employment"].transform("min") > 200
    rows = frame.loc[big]
    log = np.log(rows["employment"].to_numpy())
    growth = np.diff(log)[np.diff(rows.groupby(KEYS).ngroup().to_numpy()) == 0]
    resid = growth - np.median(growth)
    z = resid / (1.4826 * np.median(np.abs(resid)))  # robust z-scores
    assert np.mean(np.abs(z) > 4) > 0.002  # a Gaussian would give ~0.00006


def test_taxonomy_coverage(frame: pd.DataFrame) -> None:
    occupations = set(frame["occupation"])
    assert len(occupations) >= 30
    # every major group the port city's sectors employ (6, farm and fishery, is outside)
    assert {code[0] for code in occupations} == set("12345789")
    assert set(frame["level"]) == {"L0", "L1", "L2", "L3", "L4"}
    assert frame["sector"].str.fullmatch(r"[A-U]\d{2}").all()


def test_quarterly_frequency() -> None:
    q = make_hai_phong_like(seed=0, freq="quarterly")
    assert (q["period"].min(), q["period"].max(), q["period"].nunique()) == ("2015Q1", "2025Q4", 44)
    assert load_panel(q, SAMPLE_SPEC.with_(freq="Q")).n_periods == 44
    assert q.loc[q["occupation"] == "2529", "period"].min() == "2020Q1"
    tourism = q.loc[q["sector"].isin(SECTOR_GROUPS["tourism"])]
    by_q = tourism.groupby(tourism["period"].str[-1])["employment"].sum()
    assert by_q["3"] > by_q["1"] and by_q["3"] > by_q["4"]  # summer peak
    pd.testing.assert_frame_equal(make_hai_phong_like(seed=0, freq="Q"), q)


def test_period_bounds_and_bad_arguments() -> None:
    part = make_hai_phong_like(seed=2, start="2016-H2", end="2018")
    assert sorted(part["period"].unique()) == [
        "2016-H2", "2017-H1", "2017-H2", "2018-H1", "2018-H2",
    ]  # fmt: skip
    with pytest.raises(SkillcastConfigError, match="semi-annual or quarterly"):
        make_hai_phong_like(freq="M")
    with pytest.raises(SkillcastConfigError, match="before start"):
        make_hai_phong_like(start="2020", end="2019")
    with pytest.raises(SkillcastConfigError, match="neither a year"):
        make_hai_phong_like(start="spring 2020")


# --- bundled sample ---------------------------------------------------------------------


def test_bundled_sample_is_a_fresh_draw_and_small() -> None:
    assert sample_path().stat().st_size < 2_000_000
    pd.testing.assert_frame_equal(load_sample(as_frame=True), generate_sample())


def test_sample_rebuild_is_byte_identical(tmp_path: Path) -> None:
    out = write_sample(tmp_path / "sample.csv.gz")
    assert out.read_bytes() == sample_path().read_bytes()


def test_bundled_supply_is_a_fresh_draw_from_the_sample(tmp_path: Path) -> None:
    from skillcast.demand import make_supply_table

    supply = load_sample_supply()
    panel = load_sample()
    fresh = make_supply_table(panel, seed=0, horizon=10)
    fresh["period"] = panel.freq.labels(pd.PeriodIndex(fresh["period"]))
    pd.testing.assert_frame_equal(supply, fresh)
    assert (supply["period"].min(), supply["period"].max()) == ("2015-H1", "2030-H2")
    assert set(supply["level"]) == {"L1", "L2", "L3", "L4"} and len(supply) == 3712
    out = write_sample_supply(tmp_path / "supply.csv.gz")
    assert out.read_bytes() == sample_path(SUPPLY_FILE).read_bytes()


def test_bundled_report_batches_rebuild_byte_identical(tmp_path: Path) -> None:
    from skillcast.datasets import sample_reports_folder
    from skillcast.datasets.__main__ import main
    from skillcast.datasets.sample import write_sample_reports

    shipped = sorted(sample_reports_folder().iterdir())
    written = write_sample_reports(tmp_path / "reports")
    assert [p.name for p in written] == [p.name for p in shipped]
    for fresh, bundled in zip(written, shipped, strict=True):
        assert fresh.read_bytes() == bundled.read_bytes(), fresh.name
    assert main(["reports-sample", str(tmp_path / "cli")]) == 0
    assert (tmp_path / "cli" / "2025-H2.csv").read_bytes() == shipped[-1].read_bytes()
    (tmp_path / "cli" / "2019-H1.csv").write_text("stale\n")
    with pytest.raises(SkillcastConfigError, match="2019-H1.csv"):
        write_sample_reports(tmp_path / "cli")


def test_load_sample_panel() -> None:
    panel = load_sample()
    assert isinstance(panel, Panel) and panel.spec == SAMPLE_SPEC
    assert (panel.n_series, panel.n_periods, len(panel)) == (512, 22, 11_174)
    assert panel.spec.known_exog == ("port_throughput_mt", "tourist_arrivals_m")
    assert panel.spec.observed_exog == ("fdi_disbursed_busd",)
    assert panel.dense().shape == (512, 22)
    openings = load_sample(target="vacancies")
    assert openings.spec.measure == "openings" and openings.spec.target == "vacancies"
    with pytest.raises(SkillcastConfigError):
        load_sample(target="wages")


# --- enterprise reports -----------------------------------------------------------------

REPORT_COLUMNS = ["enterprise_id", "period", "sector", "occupation", "level", "count",
                  "submitted_at"]  # fmt: skip
REPORT_ROWS = [
    # E1 skips 2021-H1: carried from 2020-H2
    ("E1", "2020-H1", "H52", "8343", "L2", 10, "2020-06-01"),
    ("E1", "2020-H1", "H52", "9333", "L0", 40, "2020-06-01"),
    ("E1", "2020-H2", "H52", "8343", "L2", 12, "2020-12-01"),
    ("E1", "2020-H2", "H52", "9333", "L0", 42, "2020-12-01"),
    ("E1", "2021-H2", "H52", "8343", "L2", 15, "2021-12-05 23:00"),  # deadline day: on time
    ("E1", "2021-H2", "H52", "9333", "L0", 45, "2021-12-05 23:00"),
    # E2 reports once: carried one period, then lapses
    ("E2", "2020-H1", "H52", "8343", "L2", 5, "2020-05-20"),
    # E3: a corrected (later) submission listed first, two late reports, a cell it drops
    ("E3", "2020-H2", "H52", "8343", "L2", 6, "2020-11-30"),
    ("E3", "2020-H2", "H50", "8350", "L1", 20, "2020-11-30"),
    ("E3", "2021-H1", "H52", "8343", "L2", 8, "2021-06-20"),
    ("E3", "2021-H1", "H52", "8343", "L2", 7, "2021-06-01"),
    ("E3", "2021-H2", "H52", "8343", "L2", 9, "2021-12-10"),
]


@pytest.fixture
def reports() -> pd.DataFrame:
    return pd.DataFrame(REPORT_ROWS, columns=REPORT_COLUMNS)


def _cells(result_frame: pd.DataFrame) -> dict[tuple[str, str, str, str], tuple]:
    labels = result_frame["period"].map(lambda p: f"{p.year}-H{1 if p.month <= 6 else 2}")
    return {
        (s, o, lv, p): (v, n, c, late)
        for s, o, lv, p, v, n, c, late in zip(
            result_frame["sector"], result_frame["occupation"], result_frame["level"], labels,
            result_frame["employment"], result_frame["n_enterprises"],
            result_frame["n_carried"], result_frame["n_late"], strict=True,
        )
    }  # fmt: skip


def test_aggregate_reports_counts_and_values(reports: pd.DataFrame) -> None:
    before = reports.copy()
    result = aggregate_reports(reports, PanelSpec())
    pd.testing.assert_frame_equal(reports, before)  # caller's frame untouched
    assert (result.rows_in, result.dropped_duplicates, result.reports) == (12, 1, 7)
    assert result.late_reports == 2  # E3 2021-H1 (20 June) and 2021-H2 (10 December)
    assert (result.carried_reports, result.carried_rows) == (2, 3)
    assert result.lapsed_reports == 2  # E2 in 2021-H1 and 2021-H2
    assert result.zero_filled == 2  # H50/8350/L1 after E3 stops listing it
    assert _cells(result.frame) == {
        ("H50", "8350", "L1", "2020-H2"): (20.0, 1, 0, 0),
        ("H50", "8350", "L1", "2021-H1"): (0.0, 0, 0, 0),
        ("H50", "8350", "L1", "2021-H2"): (0.0, 0, 0, 0),
        ("H52", "8343", "L2", "2020-H1"): (15.0, 2, 0, 0),  # E1 10 + E2 5
        ("H52", "8343", "L2", "2020-H2"): (23.0, 3, 1, 0),  # E1 12 + E2 5 carried + E3 6
        ("H52", "8343", "L2", "2021-H1"): (20.0, 2, 1, 1),  # E1 12 carried + E3 8 (latest)
        ("H52", "8343", "L2", "2021-H2"): (24.0, 2, 0, 1),  # E1 15 + E3 9 (late)
        ("H52", "9333", "L0", "2020-H1"): (40.0, 1, 0, 0),
        ("H52", "9333", "L0", "2020-H2"): (42.0, 1, 0, 0),
        ("H52", "9333", "L0", "2021-H1"): (42.0, 1, 1, 0),
        ("H52", "9333", "L0", "2021-H2"): (45.0, 1, 0, 0),
    }
    panel = load_panel(result.frame, PanelSpec())
    assert (panel.n_series, panel.n_periods) == (3, 4)


def test_aggregate_reports_without_timestamps_last_row_wins(reports: pd.DataFrame) -> None:
    result = aggregate_reports(reports.drop(columns="submitted_at"), PanelSpec(), 2)
    cells = _cells(result.frame)
    # file order: the 7 listed after the 8 wins; E2 carried twice now (2020-H2, 2021-H1)
    assert cells[("H52", "8343", "L2", "2021-H1")] == (24.0, 3, 2, 0)
    assert (result.late_reports, result.carried_reports, result.carried_rows) == (0, 3, 4)
    assert result.lapsed_reports == 1


def test_aggregate_reports_no_carry_and_explicit_end(reports: pd.DataFrame) -> None:
    none = aggregate_reports(reports, PanelSpec(), carry_forward=0)
    assert (none.carried_rows, none.lapsed_reports) == (0, 4)
    assert _cells(none.frame)[("H52", "8343", "L2", "2021-H1")] == (8.0, 1, 0, 1)
    longer = aggregate_reports(reports, PanelSpec(), carry_forward=1, end="2022-H1")
    cells = _cells(longer.frame)
    # everyone's 2021-H2 report is carried into 2022-H1
    assert cells[("H52", "8343", "L2", "2022-H1")] == (24.0, 2, 2, 0)
    assert longer.carried_reports == 2 + 2
    early = aggregate_reports(reports, PanelSpec(), end="2020-H2")
    assert (early.rows_in, early.reports, early.late_reports, early.lapsed_reports) == (
        12, 4, 0, 0,
    )  # fmt: skip
    assert early.frame["period"].max() == pd.Period("2020-07", "6M")
    sparse = aggregate_reports(reports, PanelSpec(), fill_zeros=False)
    assert sparse.zero_filled == 0 and len(sparse.frame) == 9


def test_aggregate_reports_accounting_per_period(reports: pd.DataFrame) -> None:
    result = aggregate_reports(reports, PanelSpec())
    assert result.accounting() == {
        "rows_in": 12, "dropped_duplicates": 1, "reports": 7, "late_reports": 2,
        "carried_reports": 2, "carried_rows": 3, "lapsed_reports": 2, "zero_filled": 2,
    }  # fmt: skip
    assert result.by_period.to_dict("list") == {
        "period": ["2020-H1", "2020-H2", "2021-H1", "2021-H2"],
        "rows_in": [3, 4, 2, 3],
        "dropped_duplicates": [0, 0, 1, 0],
        "reports": [2, 2, 1, 2],  # E1+E2, E1+E3, E3, E1+E3
        "late": [0, 0, 1, 1],
        "carried": [0, 1, 1, 0],  # E2 into 2020-H2, E1 into 2021-H1
        "lapsed": [0, 0, 1, 1],  # E2 beyond its one carried period
        "zero_filled": [0, 0, 1, 1],  # H50/8350/L1 after E3 stops listing it
    }
    # rows past the panel end count as received, in no period of the table
    early = aggregate_reports(reports, PanelSpec(), end="2020-H2")
    assert early.by_period["period"].tolist() == ["2020-H1", "2020-H2"]
    assert early.by_period["rows_in"].sum() == 7 and early.rows_in == 12
    assert early.by_period["lapsed"].tolist() == [0, 0]


def test_statutory_deadlines() -> None:
    halves = pd.PeriodIndex([pd.Period("2024-01", "6M"), pd.Period("2024-07", "6M")])
    assert list(statutory_deadline(halves)) == [pd.Timestamp("2024-06-05"),
                                                pd.Timestamp("2024-12-05")]  # fmt: skip
    years = pd.PeriodIndex([pd.Period("2023", "Y")])
    assert list(statutory_deadline(years)) == [pd.Timestamp("2023-12-05")]
    assert statutory_deadline(pd.PeriodIndex([pd.Period("2024Q1", "Q")])).isna().all()


@pytest.mark.parametrize(
    ("change", "column", "count"),
    [
        (lambda r: r.drop(columns="count"), "count", None),
        (lambda r: r.assign(count=[-1, -2] + [1] * 10), "count", 2),
        (lambda r: r.assign(count=["x"] + [1] * 11), "count", 1),
        (lambda r: r.assign(period=["2020-13"] + ["2020-H1"] * 11), "period", 1),
        (lambda r: r.assign(period=["2020Q1"] * 3 + ["2020-H1"] * 9), "period", 3),
        (lambda r: r.assign(submitted_at=["soon"] + ["2020-01-01"] * 11), "submitted_at", 1),
        (lambda r: r.assign(occupation=[None] + ["8343"] * 11), "occupation", 1),
    ],
)
def test_aggregate_reports_rejects_bad_input(
    reports: pd.DataFrame, change: Callable, column: str, count: int | None
) -> None:
    bad = change(reports)
    with pytest.raises(SkillcastDataError) as err:
        aggregate_reports(bad, PanelSpec())
    message = str(err.value)
    assert repr(column) in message
    if count is not None:
        assert f"{count} report row(s)" in message
        assert "E1" in message  # examples shown


def test_aggregate_reports_rejects_bad_arguments(reports: pd.DataFrame) -> None:
    with pytest.raises(SkillcastConfigError):
        aggregate_reports(reports, PanelSpec(), carry_forward=-1)
    with pytest.raises(SkillcastConfigError):
        aggregate_reports(reports, PanelSpec(), end="2019-H1")
    with pytest.raises(SkillcastDataError, match="no rows"):
        aggregate_reports(reports.iloc[:0], PanelSpec())


# --- Eurostat extract (Source: Eurostat (lfsa_egised)) ---------------------------------


def test_eurostat_extract_loads_as_annual_occupation_by_level_panel() -> None:
    assert EXTRACT.stat().st_size < 200_000
    assert "Source: Eurostat (lfsa_egised)" in (DATA / "eurostat_README.md").read_text()
    panel = load_eurostat_extract(EXTRACT)
    assert panel.spec == EUROSTAT_SPEC
    assert panel.n_series == 106  # CZ, DE, ES 27 each; PL 25 (OC1, OC2 x ED0-2 suppressed)
    assert panel.series.groupby("geo").size().to_dict() == {"CZ": 27, "DE": 27, "ES": 27,
                                                            "PL": 25}  # fmt: skip
    assert [p.year for p in panel.periods] == list(range(2011, 2024))
    assert set(panel.series["occupation"]) == {f"OC{i}" for i in range(1, 10)}
    assert set(panel.series["level"]) == {"ED0-2", "ED3_4", "ED5-8"}
    frame = panel.frame
    assert len(frame) == 1361 + 10 and frame["suppressed"].sum() == 10  # years inside series
    assert frame.loc[frame["suppressed"], "value_ths"].isna().all()
    flags = frame[["low_reliability", "series_break", "definition_differs"]].sum()
    assert flags.to_dict() == {"low_reliability": 30, "series_break": 391, "definition_differs": 81}
    row = frame.loc[
        (frame["geo"] == "CZ") & (frame["occupation"] == "OC1") & (frame["level"] == "ED0-2")
        & (frame["year"] == pd.Period("2011", "Y"))
    ].iloc[0]  # fmt: skip
    assert (row["value_ths"], row["flags"], row["low_reliability"], row["series_break"]) == (
        0.7, "bu", True, True,
    )  # fmt: skip
    dense = panel.dense()  # NaN: 10 suppressed + 7 outside the PL OC3 / CZ OC2 ED0-2 spans
    assert dense.shape == (106, 13) and np.isnan(dense).sum() == 10 + 7
    assert np.nansum(panel.dense("low_reliability")) == 30


def test_sample_plan_matches_the_port_plan_and_the_tourism_trend() -> None:
    from skillcast.datasets import load_sample_plan

    plan = load_sample_plan()
    assert plan["period"].iloc[0] == "2015-H1" and plan["period"].iloc[-1] == "2035-H2"
    assert len(load_sample_plan("2026-H1")) == 23
    data = load_sample(as_frame=True).drop_duplicates("period")
    both = data.merge(plan, on="period", suffixes=("", "_plan"))
    assert len(both) == 22
    # the port figures in the data are the plan itself
    assert (both["port_throughput_mt"] == both["port_throughput_mt_plan"]).all()
    # arrivals: the plan is their trend and season; outside COVID-19 the outcome is within
    # noise of it (3% a period)
    calm = ~both["period"].str[:4].isin(["2020", "2021", "2022"])
    ratio = both.loc[calm, "tourist_arrivals_m"] / both.loc[calm, "tourist_arrivals_m_plan"]
    assert ratio.between(0.9, 1.1).all()
    covid = both["period"] == "2020-H1"
    assert (
        both.loc[covid, "tourist_arrivals_m"] < 0.8 * both.loc[covid, "tourist_arrivals_m_plan"]
    ).all()
    with pytest.raises(SkillcastConfigError, match="year or a half-year"):
        load_sample_plan("2014")
