"""The planners' report and the cluster tables: every section renders (with its input or a
sentence saying why not), no network address, shortages by cluster ranked, revisions
between two forecasts, cluster labels and the cluster share of the supply gap by hand."""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from skillcast.datasets import load_sample, load_sample_supply
from skillcast.demand import job_openings, supply_gap
from skillcast.emerging import detect_emerging
from skillcast.forecast import Forecast, forecast_frame
from skillcast.outputs import (
    PreviousForecast,
    ReportInputs,
    RunInfo,
    all_levels_frame,
    cluster_supply_gap,
    openings_frame,
    planner_frame,
    render_report,
    supply_gap_frame,
    with_clusters,
    write_report,
)
from skillcast.outputs.report import SECTION_IDS
from skillcast.outputs.skills_tables import skill_intensity_frame, skills_frame
from skillcast.panel import Panel
from skillcast.periods import frequency
from skillcast.reconcile import build_structure
from skillcast.skills import emerging_skill_demand

ORIGIN, PREVIOUS_ORIGIN, HORIZON = "2023-H2", "2023-H1", 4
PORT = "seaport_maritime"


# --------------------------------------------------------------------------- inputs
def _forecast(panel: Panel, origin: str, bias: float, seed: int) -> tuple[Forecast, Panel]:
    """A forecast of the sample made from its actuals: ``bias`` x the observed values
    times a little noise, with 80%/95% ranges of +-15%/+-30%."""
    known = panel.until(origin)
    start = known.n_periods
    actual = panel.dense()[:, start : start + HORIZON]
    noise = np.random.default_rng(seed).normal(1.0, 0.04, actual.shape)
    mean = np.nan_to_num(actual) * bias * noise
    bounds = {80: (0.85 * mean, 1.15 * mean), 95: (0.7 * mean, 1.3 * mean)}
    return forecast_frame(known, mean, bounds), known


def _all_levels(forecast: Forecast, stamp: dict) -> pd.DataFrame:
    """Every node of the sample's hierarchy, aggregates coherent with the bottom and
    their ranges narrower than the sums of the bottom ranges (as reconciled ones are)."""
    keys = list(forecast.spec.keys)
    series = forecast.frame.drop_duplicates(keys)[keys].reset_index(drop=True)
    structure = build_structure(
        series, aggregations=[(), ("sector",), ("occupation_major",), ("level",)]
    )
    mean = structure.aggregate(forecast.dense())
    n, steps = structure.n_total, mean.shape[1]
    frame = structure.nodes.loc[np.repeat(np.arange(n), steps)].reset_index(drop=True)
    periods = forecast.frame["period"].iloc[:steps].to_numpy()
    m = mean.ravel()
    frame = frame.drop(columns="node").assign(
        period=pd.PeriodIndex(np.tile(periods, n)), step=np.tile(np.arange(1, steps + 1), n),
        mean=m, lower_80=0.92 * m, upper_80=1.08 * m, lower_95=0.85 * m, upper_95=1.15 * m,
    )  # fmt: skip
    nodes = Forecast(frame, forecast.spec, levels=(80, 95))
    return all_levels_frame(nodes, structure, **stamp)


def _stamp(version: str, data_through: str, run: str) -> dict:
    return {
        "model_version": version,
        "run_id": "r" * 32,
        "created_at": datetime(2026, 1, 15, 8, 30, tzinfo=UTC),
        "forecast_run_id": run,
        "data_through": data_through,
        "refit": False,
    }


@functools.cache
def _tables() -> dict[str, pd.DataFrame]:
    panel = load_sample()
    supply = load_sample_supply()
    out: dict[str, pd.DataFrame] = {}
    for name, origin, bias, version in (
        ("now", ORIGIN, 1.03, "2"),
        ("before", PREVIOUS_ORIGIN, 0.96, "1"),
    ):
        forecast, known = _forecast(panel, origin, bias, seed=len(name))
        stamp = _stamp(version, origin, f"{name}-run-0123456789abcdef")
        freq = forecast.spec.frequency
        out[name] = planner_frame(forecast, **stamp)
        if name == "now":
            openings = job_openings(forecast, known, expansion="annual")
            out["all_levels"] = _all_levels(forecast, stamp)
            out["openings"] = openings_frame(openings, freq, **stamp)
            out["supply_gap"] = supply_gap_frame(supply_gap(openings, supply), freq, **stamp)
    actual = panel.frame.loc[:, ["sector", "occupation", "level", "period", "employment"]]
    actual = actual.assign(period=panel.freq.labels(pd.PeriodIndex(actual["period"])))
    out["actuals"] = actual.rename(columns={"employment": "actual"})
    return out


def _accuracy() -> pd.DataFrame:
    rows = [
        ("total", 1, 6, 0.015, 0.83, 1.0, 1.0),
        ("sector", 25, 150, 0.032, 0.76, 0.92, 1.0),
        ("occupation_major", 8, 48, 0.015, 0.88, 0.9, 1.0),
        ("level", 5, 30, 0.015, 0.8, 0.9, 1.0),
        ("bottom", 512, 3072, 0.07, 0.71, 0.76, 0.93),
    ]
    frame = pd.DataFrame(
        rows, columns=["aggregation", "n_series", "n", "wape", "hit_rate", "coverage_80",
                       "coverage_95"],
    )  # fmt: skip
    return frame.assign(forecast="reconciled", mase=0.8)


def sample_report_inputs() -> ReportInputs:
    """Inputs like a forecast run's on the bundled sample (also used by the browser test)."""
    t = _tables()
    published = t["before"].loc[t["before"]["period"] == "2023-H2"]
    return ReportInputs(
        forecast=t["now"],
        all_levels=t["all_levels"],
        openings=t["openings"],
        supply_gap=t["supply_gap"],
        accuracy=_accuracy(),
        previous=PreviousForecast(t["before"]),
        published=published,
        actuals=t["actuals"],
        small_cell=50,
        skills=skills_frame(t["openings"], frequency("semiannual")),
        skill_intensity=skill_intensity_frame(t["openings"], frequency("semiannual")),
        emerging_skills=emerging_skill_demand(
            t["actuals"], t["openings"], value="stock", history_value="actual", kind="stock",
            freq="semiannual",
        ),  # fmt: skip
        emerging=detect_emerging(load_sample()),
    )


class _Page(HTMLParser):
    """Ids, the shortage rows' attributes and every src/href of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.rows: list[dict[str, str | None]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        self.tags.add(tag)
        if named.get("id"):
            self.ids.add(str(named["id"]))
        self.links += [str(v) for k, v in attrs if k in ("src", "href", "xlink:href") and v]
        if tag == "tr" and "data-cluster" in named:
            self.rows.append(named)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    return parser


@pytest.fixture(scope="module")
def page() -> str:
    return render_report(sample_report_inputs())


# ---------------------------------------------------------------------------- report
def test_every_section_renders_with_its_id(page):
    parsed = _parse(page)
    assert set(SECTION_IDS) <= parsed.ids
    assert "lang-toggle" in parsed.ids and "shortage-table" in parsed.ids
    assert page.startswith("<!DOCTYPE html>") and '<html lang="vi"' in page
    # the sample's inputs reach each section: no "missing" sentence anywhere
    assert 'class="missing"' not in page


def test_the_page_is_self_contained(page):
    parsed = _parse(page)
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.IGNORECASE)
    assert all(link.startswith("#") for link in parsed.links), parsed.links
    assert not {"link", "img", "iframe", "object"} & parsed.tags
    assert "<script src" not in page and "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only references inside the page
    assert page.count("<svg") >= 3
    assert len(page.encode("utf-8")) < 2_000_000


def test_headline_has_city_and_every_cluster_with_both_ranges(page):
    parsed = _parse(page)
    assert "@media print" in page and "size: A4" in page and "max-width: 40rem" in page
    section = page[page.index('id="headline"') : page.index('id="by-level"')]
    for key in ("city", "c0", "c1", "c2", "c3", "c4", "c5"):  # city, then the clusters
        assert f'data-panel="{key}"' in section
    assert "Cảng biển và vận tải biển" in section and "Seaport and maritime transport" in section
    assert section.count("<svg") >= 7
    assert "95%: 2024" in section and "2025" in section
    assert parsed.ids  # parsed without error


def test_shortage_table_of_the_port_cluster_is_ranked_by_gap(page):
    rows = _parse(page).rows
    years = sorted({r["data-year"] for r in rows})
    assert years == ["2024", "2025"]  # whole years: half-years added up
    for cluster in ("all", PORT, "logistics"):
        for year in years:
            gaps = [int(str(r["data-gap"])) for r in rows
                    if r["data-cluster"] == cluster and r["data-year"] == year]  # fmt: skip
            assert gaps, (cluster, year)
            assert gaps == sorted(gaps, reverse=True)
    port = [r for r in rows if r["data-cluster"] == PORT]
    city = [r for r in rows if r["data-cluster"] == "all"]
    assert len(port) < len(city)  # only the cells with openings in the port's sectors
    # only the city-wide rows of the first year show before any choice is made
    shown = [r for r in rows if "hidden" not in r]
    assert shown and all(r["data-cluster"] == "all" and r["data-year"] == "2024" for r in shown)


def test_revision_section_compares_two_forecasts_and_says_why(page):
    section = page[page.index('id="revisions"') : page.index('id="track-record"')]
    # the previous run used data through 2023-H1 and model version 1
    assert "2023-H1" in section and "2023-H2" in section
    assert "phiên bản 2 (lần trước: 1)" in section and "version 2 (previously 1)" in section
    changes = [int(v) for v in re.findall(r'data-change="(-?\d+)"', section)]
    assert len(changes) == 10
    assert [abs(c) for c in changes] == sorted((abs(c) for c in changes), reverse=True)
    assert any(c != 0 for c in changes)
    for period in ("2024-H1", "2024-H2", "2025-H1"):  # the periods both forecast
        assert f"<td>{period}</td>" in section
    assert "<td>2025-H2</td>" not in section


def test_revision_totals_by_hand():
    t = _tables()
    page = render_report(ReportInputs(forecast=t["now"], previous=PreviousForecast(t["before"])))
    section = page[page.index('id="revisions"') : page.index('id="track-record"')]
    before = int(t["before"].loc[t["before"]["period"] == "2024-H1", "forecast"].sum())
    now = int(t["now"].loc[t["now"]["period"] == "2024-H1", "forecast"].sum())
    shown = f"{before:,}".replace(",", "\u00a0"), f"{now:,}".replace(",", "\u00a0")
    row = re.search(r"<tr><td>2024-H1</td>(.*?)</tr>", section).group(1)
    assert shown[0] in row and shown[1] in row


def test_track_record_and_trust_in_plain_words(page):
    track = page[page.index('id="track-record"') : page.index('id="trust"')]
    assert "2023-H2" in track and "thực tế" in track and "observed" in track
    assert "Trung cấp" in track  # by training level
    trust = page[page.index('id="trust"') :]
    assert "lệch trung bình 1,5%" in trust and "off by 1.5% on average" in trust
    assert "Over 6 back-tested forecasts" in trust
    assert "7,0%" in trust and "76%" in trust
    count = int(re.search(r'id="small-cells" data-count="(\d+)"', trust).group(1))
    t = _tables()["now"]
    first = t.loc[t["period"] == "2024-H1", "forecast"].astype(float)
    assert count == int((first < 50).sum()) > 0


def test_small_cells_are_flagged_not_hidden(page):
    inputs = sample_report_inputs()
    rows = _parse(page).rows
    gap = inputs.supply_gap
    assert len([r for r in rows if r["data-cluster"] == "all"]) == len(gap) // 2  # 2 years
    assert page.count('class="flag"') > 0


def test_every_section_says_why_when_its_input_is_missing():
    forecast = _tables()["now"]
    page = render_report(ReportInputs(forecast=forecast))
    parsed = _parse(page)
    assert set(SECTION_IDS) <= parsed.ids
    for sentence in (
        "No graduate supply table was given",
        "No previous forecast was given",
        "No period has both a published forecast and observed data yet",
        "No backtest accuracy is available",
        "No openings table covering a full year was given",
    ):
        assert sentence in page
    # without forecast_all_levels.csv the totals add up the bottom ranges and say so
    assert "Ranges of totals add up the ranges of their series" in page
    assert "shortage-table" not in parsed.ids


def test_a_partial_year_is_named_not_shown():
    forecast = _tables()["now"]
    three = forecast.loc[forecast["period"] != "2025-H2"]
    page = render_report(ReportInputs(forecast=three))
    assert "2025: not every period of the year is forecast" in page
    headline = page[page.index('id="headline"') : page.index('id="by-level"')]
    assert "<td>2025</td>" not in headline and "<td>2024</td>" in headline


def test_run_info_is_read_from_the_stamps(page):
    info = RunInfo.from_frame(_tables()["now"])
    assert info == RunInfo("2", "now-run-0123456789abcdef", ORIGIN, "2026-01-15T08:30:00Z")
    assert "now-run-" in page and ORIGIN in page


def test_write_report_is_atomic_and_utf8(tmp_path):
    path = write_report(ReportInputs(forecast=_tables()["now"]), tmp_path / "report.html")
    text = path.read_text(encoding="utf-8")
    assert "Toàn thành phố" in text and not list(tmp_path.glob(".*.tmp"))


# -------------------------------------------------------------------------- clusters
def _openings_rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H1", "2026-H1", "2026-H2", "2026-H1"],
            "sector": ["H52", "C10", "I55", "H52", "A01"],
            "sector_name_en": ["Warehousing", "Food", "Accommodation", "Warehousing", "Crops"],
            "occupation": ["8343", "8343", "5131", "8343", "9211"],
            "level": ["L2", "L2", "L1", "L2", "L0"],
            "openings": [60, 40, 30, 50, 7],
            "openings_lower_80": [40, 30, 20, 30, 5],
            "openings_upper_80": [90, 50, 45, 80, 9],
        }
    )


def test_cluster_column_joins_clusters_and_never_repeats_rows():
    rows = _openings_rows()
    out = with_clusters(rows)
    assert list(out["cluster"]) == [
        "seaport_maritime;logistics;airport", "manufacturing", "tourism",
        "seaport_maritime;logistics;airport", "",
    ]  # fmt: skip
    assert len(out) == len(rows) and out["openings"].sum() == rows["openings"].sum()
    assert list(out.columns).index("cluster") == list(out.columns).index("sector_name_en") + 1
    assert "cluster" not in rows.columns  # the caller's frame is untouched


def test_cluster_share_of_the_supply_gap_by_hand():
    gap = pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H1"],
            "occupation": ["8343", "5131"],
            "occupation_name_vi": ["Thợ vận hành cần trục", "Phục vụ bàn"],
            "occupation_name_en": ["Crane operators", "Waiters"],
            "level": ["L2", "L1"],
            "openings": [100, 30],
            "supply": [50, 40],
            "gap": [50, -10],
            "gap_class": ["shortage", "surplus"],
            "confidence": ["possible", "possible"],
            "assessment": ["possible shortage", "possible surplus"],
        }
    )
    out = cluster_supply_gap(gap, _openings_rows())
    port = out.loc[(out["cluster"] == "seaport_maritime")].iloc[0]
    # H52 has 60 of the cell's 100 openings: 60% of the 50 graduates, 30, are the port's
    assert port["cluster_openings"] == 60 and port["openings_share"] == 0.6
    assert port["supply_allocated"] == 30 and port["gap_allocated"] == 30
    assert (port["gap_allocated_lower"], port["gap_allocated_upper"]) == (10, 60)
    assert port["assessment"] == "possible shortage" and port["gap"] == 50
    factory = out.loc[out["cluster"] == "manufacturing"].iloc[0]
    assert (factory["supply_allocated"], factory["gap_allocated"]) == (20, 20)
    tourism = out.loc[out["cluster"] == "tourism"].iloc[0]
    assert tourism["openings_share"] == 1.0 and tourism["gap_allocated"] == -10
    # H52 sits in three clusters: each gets the same share; logistics too
    assert set(out["cluster"]) == {"seaport_maritime", "logistics", "airport",
                                   "manufacturing", "tourism"}  # fmt: skip
    assert list(out["cluster"]).index("seaport_maritime") < list(out["cluster"]).index("tourism")
    labelled = with_clusters(gap, openings=_openings_rows())
    assert list(labelled["cluster"]) == [
        "seaport_maritime;logistics;airport;manufacturing", "tourism",
    ]  # fmt: skip
    assert len(labelled) == len(gap)


def test_cluster_share_sums_half_years_to_a_yearly_gap():
    gap = pd.DataFrame(
        {"period": ["2026"], "occupation": ["83"], "level": ["L2"], "openings": [150],
         "supply": [60], "gap": [90], "gap_class": ["shortage"], "confidence": ["likely"],
         "assessment": ["likely shortage"]}
    )  # fmt: skip
    out = cluster_supply_gap(gap, _openings_rows())
    port = out.loc[out["cluster"] == "seaport_maritime"].iloc[0]
    # openings of 8343 roll up to group 83 and both half-years of H52 add up: 110 of 150
    assert port["period"] == "2026" and port["cluster_openings"] == 110
    assert port["supply_allocated"] == 44  # 110 / 150 x 60


def test_growth_ranks_occupations_by_yearly_growth_by_hand():
    rows = []
    # crane operators 100 -> 121 a year on average (+21%), waiters 200 -> 180 (-10%),
    # a small emerging occupation 10 -> 20 (+100%, flagged small and emerging)
    for code, name, h1, h2, emerging in (
        ("8343", "Crane operators", (90, 110), (111, 131), False),
        ("5131", "Waiters", (220, 180), (200, 160), False),
        ("2511", "Systems analysts", (8, 12), (18, 22), True),
    ):
        for year, (a, b) in zip((2026, 2027), (h1, h2), strict=True):
            for half, value in (("H1", a), ("H2", b)):
                rows.append(
                    {"period": f"{year}-{half}", "sector": "H52", "occupation": code,
                     "occupation_name_vi": name, "occupation_name_en": name, "level": "L2",
                     "level_name_vi": "Trung cấp", "level_name_en": "Intermediate vocational",
                     "forecast": value, "emerging": emerging}
                )  # fmt: skip
    page = render_report(ReportInputs(forecast=pd.DataFrame(rows), small_cell=50))
    section = page[page.index('id="growth"') : page.index('id="revisions"')]
    growing = section[
        section.index('data-table="growing"') : section.index('data-table="declining"')
    ]
    order = [growing.index(code) for code in ("2511", "8343", "5131")]
    assert order == sorted(order)  # +100%, +21%, -10%
    assert "+100,0%" in growing and "+21,0%" in growing and "+21.0%" in growing
    declining = section[section.index('data-table="declining"') :]
    assert "5131" in declining and "8343" not in declining and "\u221210,0%" in declining
    flagged = growing[growing.index("2511") : growing.index("8343")]
    assert flagged.count('class="flag"') == 2  # small and emerging
    assert '<th class="n">2026</th><th class="n">2027</th>' in section


def test_skills_section_ranks_the_groups_each_cluster_needs(page):
    section = page[page.index('id="skills"') :]
    assert "do not add groups up" in section
    skills = sample_report_inputs().skills
    year = skills["period"].str[:4].min()
    city = skills.loc[(skills["cluster"] == "*") & skills["period"].str.startswith(year)]
    top = city.groupby("skill_group")["openings_essential"].sum().sort_values(ascending=False)
    first = section.index(f"<td>{top.index[0]} ")
    assert first < section.index(f"<td>{top.index[1]} ") < section.index("skill-intensity-table")
    bare = render_report(replace(sample_report_inputs(), skills=None, skill_intensity=None))
    assert "This run has no skills table" in bare
