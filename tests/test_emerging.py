"""Emerging series: detection on synthetic and real panels, the flags of the planner tables,
the report's section, and the apps end to end on a user CSV with a new occupation."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from mlflow import MlflowClient

from skillcast.datasets import load_sample
from skillcast.emerging import NEW_CODE, NEW_SERIES, RISING, detect_emerging
from skillcast.errors import SkillcastConfigError
from skillcast.outputs import ReportInputs, render_report
from skillcast.outputs.emerging_flags import flag_table, join_reasons
from skillcast.panel import PanelSpec, load_panel

US_CES = Path("/work/shared/data/us-ces-employment-monthly/us_ces_employment_monthly.csv.gz")
HALVES = [f"{y}-H{h}" for y in range(2018, 2026) for h in (1, 2)]  # 16 half-years


def panel_of(rows: dict[tuple[str, str, str], list[float | None]], periods: list[str], freq: str):
    """A panel of the given series (keys -> values aligned to the end of ``periods``;
    None: no row)."""
    records = []
    for (sector, occupation, level), values in rows.items():
        aligned = [None] * (len(periods) - len(values)) + list(values)
        for period, value in zip(periods, aligned, strict=True):
            if value is not None:
                records.append((period, sector, occupation, level, value))
    frame = pd.DataFrame(records, columns=["period", "sector", "occupation", "level", "employment"])
    return load_panel(frame, PanelSpec(freq=freq))


def by_cell(flags: pd.DataFrame) -> pd.DataFrame:
    return flags.set_index(["sector", "occupation", "level"])


# ----------------------------------------------------------------------- detection
SYNTHETIC = {
    # stable for years: never flagged
    ("C10", "8343", "L2"): [100.0 + i for i in range(16)],
    ("H52", "3331", "L4"): [60.0 - i for i in range(16)],
    # an old intermittent cell: zeros, but positive before the recent year
    ("C10", "5131", "L1"): [0, 0, 30, 0, 0, 0, 0, 25, 0, 0, 0, 0, 0, 0, 40, 35],
    # a code nobody reported before the last year
    ("H52", "2511", "L4"): [12.0, 30.0],
    # a new cell of an old code (8343 is in C10 for years)
    ("H52", "8343", "L2"): [20.0],
    # zeros for years, then clearly positive
    ("I55", "4221", "L3"): [0.0] * 14 + [40.0, 60.0],
    # zeros, then a rise too small to be told from the noise of a small cell
    ("I55", "5120", "L1"): [0.0] * 14 + [1.0, 2.0],
    # a tiny history (at most a tenth of the recent level) counts as near zero
    ("I55", "5131", "L1"): [2.0] * 14 + [50.0, 70.0],
}


def test_detection_names_new_codes_new_cells_and_rises_and_nothing_else() -> None:
    flags = detect_emerging(panel_of(SYNTHETIC, HALVES, "semiannual"))
    cells = by_cell(flags)
    assert flags.attrs["recent"] == 2 and flags.attrs["end"] == "2025-H2"  # a year of halves
    flagged = cells.loc[cells["emerging"], "emerging_reason"].to_dict()
    assert flagged == {
        ("H52", "2511", "L4"): NEW_CODE,
        ("H52", "8343", "L2"): NEW_SERIES,
        ("I55", "4221", "L3"): RISING,
        ("I55", "5131", "L1"): RISING,
    }
    assert cells.loc[("H52", "2511", "L4"), "emerging_key"] == "occupation"
    assert cells.loc[("H52", "8343", "L2"), "emerging_key"] == ""
    # first observed, or where the rise begins
    assert cells.loc[("H52", "2511", "L4"), "first_period"] == "2025-H1"
    assert cells.loc[("H52", "8343", "L2"), "first_period"] == "2025-H2"
    assert cells.loc[("I55", "4221", "L3"), "first_period"] == "2025-H1"
    assert cells.loc[("C10", "8343", "L2"), "first_period"] == "2018-H1"
    # size: mean of the recent values, and the periods with a value
    assert cells.loc[("H52", "2511", "L4"), "recent_mean"] == pytest.approx(21.0)
    assert cells.loc[("I55", "5131", "L1"), "recent_mean"] == pytest.approx(60.0)
    assert cells.loc[("H52", "2511", "L4"), "n_observed"] == 2
    assert cells.loc[("C10", "5131", "L1"), "n_observed"] == 16
    assert not flags.loc[~flags["emerging"], "emerging_reason"].astype(bool).any()


def test_thresholds_move_the_flags_as_documented() -> None:
    panel = panel_of(SYNTHETIC, HALVES, "semiannual")
    strict = by_cell(detect_emerging(panel, near_zero=0.0))
    # a history of 2 workers is no longer "zero" when nothing above zero counts as zero
    assert not strict.loc[("I55", "5131", "L1"), "emerging"]
    assert strict.loc[("I55", "4221", "L3"), "emerging"]
    small = by_cell(detect_emerging(panel, min_size=1.0))
    assert small.loc[("I55", "5120", "L1"), "emerging_reason"] == RISING
    # with only the last half-year recent, a code first seen the half-year before is old
    last = by_cell(detect_emerging(panel, recent=1))
    assert not last.loc[("H52", "2511", "L4"), "emerging"]
    assert last.loc[("H52", "8343", "L2"), "emerging_reason"] == NEW_SERIES
    # over the last four years, the 2025 code is still new; old cells are still old
    wide = by_cell(detect_emerging(panel, recent=8))
    assert wide.loc[("H52", "2511", "L4"), "emerging_reason"] == NEW_CODE
    assert not wide.loc[("C10", "5131", "L1"), "emerging"]
    assert not wide.loc[("C10", "8343", "L2"), "emerging"]


@pytest.mark.parametrize(
    ("freq", "labels"),
    [
        ("monthly", [f"{y}-{m:02d}" for y in (2022, 2023, 2024) for m in range(1, 13)]),
        ("quarterly", [f"{y}Q{q}" for y in range(2019, 2025) for q in range(1, 5)]),
        ("semiannual", HALVES),
        ("annual", [str(y) for y in range(2015, 2025)]),
    ],
)
def test_a_year_of_periods_is_recent_whatever_the_frequency(freq: str, labels: list[str]) -> None:
    season = {"monthly": 12, "quarterly": 4, "semiannual": 2, "annual": 1}[freq]
    n = len(labels)
    rows = {
        ("C10", "8343", "L2"): [50.0] * n,
        ("C10", "2511", "L4"): [10.0] * season,  # first seen a year before the end
        ("C10", "2512", "L4"): [10.0] * (season + 1),  # one period earlier: not new
    }
    flags = by_cell(detect_emerging(panel_of(rows, labels, freq)))
    assert flags.attrs["recent"] == season
    assert flags.loc[("C10", "2511", "L4"), "emerging_reason"] == NEW_CODE
    assert flags.loc[("C10", "2511", "L4"), "first_period"] == labels[n - season]
    assert not flags.loc[("C10", "2512", "L4"), "emerging"]
    assert not flags.loc[("C10", "8343", "L2"), "emerging"]


def test_a_panel_no_longer_than_the_recent_periods_has_nothing_to_be_new_against() -> None:
    rows = {("C10", "8343", "L2"): [5.0, 6.0], ("C10", "2511", "L4"): [7.0]}
    flags = detect_emerging(panel_of(rows, HALVES[-2:], "semiannual"))
    assert not flags["emerging"].any()


def test_detection_leaves_the_panel_as_it_was() -> None:
    panel = panel_of(SYNTHETIC, HALVES, "semiannual")
    before = panel.frame.copy()
    detect_emerging(panel)
    pd.testing.assert_frame_equal(panel.frame, before)


@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"recent": 0}, "recent=0"),
        ({"recent": 1.5}, "recent=1.5"),
        ({"recent": True}, "recent=True"),
        ({"near_zero": 1.0}, "near_zero=1.0"),
        ({"near_zero": -0.1}, "near_zero=-0.1"),
        ({"min_size": -1.0}, "min_size=-1.0"),
        ({"min_size": float("nan")}, "min_size=nan"),
    ],
)
def test_bad_settings_are_refused_by_name(kwargs: dict, named: str) -> None:
    panel = panel_of(SYNTHETIC, HALVES, "semiannual")
    with pytest.raises(SkillcastConfigError, match=re.escape(named)):
        detect_emerging(panel, **kwargs)


def test_a_frame_is_not_a_panel() -> None:
    with pytest.raises(SkillcastConfigError, match="load_panel"):
        detect_emerging(pd.DataFrame({"x": [1]}))  # type: ignore[arg-type]


def test_the_samples_cold_start_cells_are_new_at_their_start_and_not_at_its_end() -> None:
    sample = load_sample()
    assert not detect_emerging(sample)["emerging"].any()
    origin = "2020-H2"
    cut = sample.until(origin)
    first, _ = cut.first_last()
    late = first >= cut.n_periods - 2  # series first reported in the last year
    assert late.sum() > 0
    flags = detect_emerging(cut)
    new = flags.loc[flags["emerging_reason"].isin([NEW_CODE, NEW_SERIES])]
    assert set(map(tuple, new[["sector", "occupation", "level"]].to_numpy())) == set(
        map(tuple, cut.series.loc[late, ["sector", "occupation", "level"]].to_numpy())
    )
    # no code of those cells was seen before: they are new codes, not new cells
    old_codes = set(cut.series.loc[~late, "occupation"])
    for _, row in new.iterrows():
        assert (row["emerging_reason"] == NEW_CODE) == (row["occupation"] not in old_codes)


@pytest.fixture(scope="module")
def us_ces() -> pd.DataFrame:
    frame = pd.read_csv(US_CES, dtype={"industry_code": str, "supersector": str})
    return frame.loc[:, ["month", "supersector", "industry_code", "employed"]]


def test_us_ces_industries_first_published_in_1990_are_new_in_mid_1990(us_ces) -> None:
    spec = PanelSpec(
        period="month", freq="monthly", keys=["supersector", "industry_code"], target="employed"
    )
    starts = us_ces.groupby("industry_code")["month"].min()
    flags = detect_emerging(load_panel(us_ces.loc[us_ces["month"] <= "1990-06"], spec))
    assert flags.attrs["recent"] == 12
    flagged = set(flags.loc[flags["emerging"], "industry_code"])
    assert flagged == set(starts.index[starts == "1990-01"])
    assert len(flagged) == 100
    assert set(flags.loc[flags["emerging"], "emerging_reason"]) == {NEW_CODE}
    assert set(flags.loc[flags["emerging"], "first_period"]) == {"1990-01"}
    # the series that began in 1939, 1955, 1972 and 1985 are old by then
    older = starts.index[starts < "1990-01"]
    assert not flags.loc[flags["industry_code"].isin(older), "emerging"].any()
    # a year and a half later, the 1990 series are not new any more
    later = detect_emerging(load_panel(us_ces.loc[us_ces["month"] <= "1991-06"], spec))
    assert not later["emerging"].any()


# ----------------------------------------------------------------------- table flags
def flags_frame() -> pd.DataFrame:
    return detect_emerging(panel_of(SYNTHETIC, HALVES, "semiannual"))


def test_single_series_rows_take_their_series_flag() -> None:
    rows = pd.DataFrame(
        {"period": ["2026-H1"] * 3, "region": [pd.NA] * 3, "sector": ["H52", "C10", "I55"],
         "occupation": ["2511", "8343", "4221"], "level": ["L4", "L2", "L3"]}
    )  # fmt: skip
    out = flag_table(rows, flags_frame())
    assert out["emerging"].tolist() == [True, False, True]
    assert out["emerging_reason"].tolist() == [NEW_CODE, "", RISING]


def test_rows_adding_series_up_are_flagged_only_when_every_series_is() -> None:
    rows = pd.DataFrame(
        {
            "aggregation": ["total", "sector", "sector", "occupation_major", "level", "cell"],
            "sector": ["*", "H52", "I55", "*", "*", "*"],
            "occupation": ["*", "*", "*", "2", "*", "25"],  # 25: a sub-major group's code
            "level": ["*", "*", "*", "*", "L4", "L4"],
        }
    )
    out = flag_table(rows, flags_frame())
    # H52 and L4 hold old series beside the new ones; I55 an unflagged small rise; the
    # major group 2 and the sub-major group 25 at L4 hold only the new code 2511
    assert out["emerging"].tolist() == [False, False, False, True, False, True]
    assert out["emerging_reason"].tolist() == ["", "", "", NEW_CODE, "", NEW_CODE]
    assert join_reasons(np.array([RISING, NEW_CODE, NEW_CODE])) == f"{NEW_CODE};{RISING}"


def test_a_cell_summed_over_sectors_joins_its_series_reasons() -> None:
    rows = {**SYNTHETIC, ("H52", "4221", "L3"): [9.0]}  # 4221 at L3: an old cell rising in I55
    flags = detect_emerging(panel_of(rows, HALVES, "semiannual"))
    gap = pd.DataFrame({"occupation": ["4221", "8343"], "level": ["L3", "L2"]})
    out = flag_table(gap, flags)
    assert out["emerging"].tolist() == [True, False]
    assert out.loc[0, "emerging_reason"] == f"{NEW_SERIES};{RISING}"


def test_without_detection_the_flags_are_empty_not_false() -> None:
    rows = pd.DataFrame({"sector": ["H52"], "occupation": ["2511"], "level": ["L4"]})
    out = flag_table(rows, None)
    assert out["emerging"].isna().all() and out["emerging_reason"].isna().all()


# ----------------------------------------------------------------------- report
def report_forecast() -> pd.DataFrame:
    rows = pd.DataFrame(
        {"period": ["2026-H1", "2026-H1"], "region": ["", ""], "sector": ["H52", "C10"],
         "occupation": ["2511", "8343"], "level": ["L4", "L2"],
         "occupation_name_vi": ["Nhà phân tích hệ thống", "Thợ vận hành cần trục"],
         "occupation_name_en": ["Systems analysts", "Crane operators"],
         "forecast": [41, 120], "lower_80": [20, 110], "upper_80": [66, 131]}
    )  # fmt: skip
    return rows


def test_the_report_lists_new_occupations_with_reason_size_and_range() -> None:
    flags = flags_frame()
    page = render_report(
        ReportInputs(forecast=flag_table(report_forecast(), flags), emerging=flags)
    )
    section = page[page.index('<section id="emerging">') :]
    section = section[: section.index("</section>")]
    assert "New and emerging occupations" in section
    assert "rest on very few observations" in section
    row = re.search(r'<tr data-occupation="2511">(.*?)</tr>', section, re.S)
    assert row is not None
    cells = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1)))
    assert "Systems analysts" in cells and "Occupation new in the data" in cells
    assert "2025-H1" in cells and "41" in cells and "20 – 66" in cells
    assert "21" in cells  # the recent size: (12 + 30) / 2
    assert 'data-occupation="8343"' in section  # the new cell of an old occupation
    assert "New cell" in section


def test_the_report_says_when_nothing_is_new_and_when_nothing_was_checked() -> None:
    stable = {("C10", "8343", "L2"): [100.0] * 16}
    flags = detect_emerging(panel_of(stable, HALVES, "semiannual"))
    page = render_report(ReportInputs(forecast=report_forecast(), emerging=flags))
    assert 'id="emerging-none"' in page and "No occupation appeared" in page
    unchecked = render_report(ReportInputs(forecast=report_forecast()))
    assert "did not check for new occupations" in unchecked


# ----------------------------------------------------------------------- the apps
TRAIN = ["model=seasonal_naive", "backtest=quick", "output.horizon=4"]
SERIES_FILES = (
    "latest.csv", "latest_all_levels.csv", "latest_openings.csv", "latest_supply_gap.csv",
    "latest_skills.csv", "latest_skill_intensity.csv", "latest_annual.csv",
    "latest_openings_annual.csv", "latest_supply_gap_annual.csv",
)  # fmt: skip


def app_cfg(name: str, root: Path, *overrides: str):
    from skillcast.apps import schema

    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        return compose(name, overrides=[f"paths.root={root}", *overrides])


def department_frame() -> pd.DataFrame:
    """Three sectors of the sample, with a code first reported in 2025 (2511 in H52), a new
    cell of an old code (8343 in I55) and a cell at zero until 2025 (the first I55 cell)."""
    frame = load_sample(as_frame=True)
    frame = frame.loc[frame["sector"].isin(["C10", "H52", "I55"])].drop(columns="vacancies")
    frame["period"] = frame["period"].astype(str)
    rising = frame.loc[frame["sector"] == "I55", ["occupation", "level"]].iloc[0]
    cell = (
        (frame["sector"] == "I55")
        & (frame["occupation"] == rising["occupation"])
        & (frame["level"] == rising["level"])
    )
    frame.loc[cell & (frame["period"] < "2025-H1"), "employment"] = 0.0
    frame.loc[cell & (frame["period"] >= "2025-H1"), "employment"] = 80.0
    template = frame.loc[frame["period"] >= "2025-H1"].drop_duplicates("period")
    added = [
        template.assign(sector="H52", occupation="2511", level="L4", employment=[12.0, 30.0]),
        template.assign(sector="I55", occupation="8343", level="L2", employment=[20.0, 26.0]),
    ]
    out = pd.concat([frame, *added], ignore_index=True)
    out.attrs["rising"] = ("I55", rising["occupation"], rising["level"])
    return out


@pytest.fixture(scope="module")
def department(tmp_path_factory) -> dict:
    from skillcast.apps import forecast as forecast_app
    from skillcast.apps import train as train_app
    from skillcast.apps.console import EXIT_OK
    from skillcast.demand import make_supply_table

    root = tmp_path_factory.mktemp("emerging_department")
    frame = department_frame()
    path = root / "panel.csv"
    frame.to_csv(path, index=False)
    panel = load_panel(frame.drop(columns=["port_throughput_mt", "fdi_disbursed_busd",
                                           "tourist_arrivals_m"]))  # fmt: skip
    make_supply_table(panel, seed=0).to_csv(root / "supply.csv", index=False)
    data = ["data=csv", f"data.path={path}", f"data.supply={root / 'supply.csv'}"]
    assert train_app.run(app_cfg("train", root, *data, *TRAIN)) == EXIT_OK
    assert forecast_app.run(app_cfg("forecast", root, "output.horizon=4")) == EXIT_OK
    return {"root": root, "rising": frame.attrs["rising"]}


def published(root: Path, name: str) -> pd.DataFrame:
    path = root / "forecasts" / name
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.mark.slow
def test_every_published_table_with_series_keys_flags_emerging_series(department) -> None:
    root = department["root"]
    for name in SERIES_FILES:
        table = published(root, name)
        assert {"emerging", "emerging_reason"} <= set(table.columns), name
        assert set(table["emerging"]) <= {"True", "False"}, name
    forecast = published(root, "latest.csv")
    cells = forecast.drop_duplicates(["sector", "occupation", "level"]).set_index(
        ["sector", "occupation", "level"]
    )
    assert cells.loc[("H52", "2511", "L4"), "emerging_reason"] == NEW_CODE
    assert cells.loc[("I55", "8343", "L2"), "emerging_reason"] == NEW_SERIES
    assert cells.loc[department["rising"], "emerging_reason"] == RISING
    assert (cells["emerging"] == "True").sum() == 3
    levels = published(root, "latest_all_levels.csv")
    assert set(levels.loc[levels["aggregation"] == "total", "emerging"]) == {"False"}
    gap = published(root, "latest_supply_gap.csv")
    row = gap.loc[(gap["occupation"] == "2511") & (gap["level"] == "L4")]
    assert len(row) and set(row["emerging"]) == {"True"}
    assert set(row["emerging_reason"]) == {NEW_CODE}
    yearly = published(root, "latest_supply_gap_annual.csv")
    row = yearly.loc[(yearly["occupation"] == "2511") & (yearly["level"] == "L4")]
    assert len(row) and set(row["emerging"]) == {"True"}
    openings = published(root, "latest_openings.csv")
    new = openings.loc[openings["occupation"] == "2511"]
    assert set(new["emerging"]) == {"True"}
    assert set(openings.loc[openings["occupation"] != "2511", "emerging_reason"]) <= {
        "",
        NEW_SERIES,
        RISING,
    }


@pytest.mark.slow
def test_the_workbook_and_the_report_show_the_new_occupation(department) -> None:
    from openpyxl import load_workbook

    root = department["root"]
    book = load_workbook(root / "forecasts" / "latest.xlsx", read_only=True)
    for title in ("Dự báo", "Dự báo mọi cấp", "Nhu cầu tuyển dụng", "Cung - cầu"):
        header = [c.value for c in next(book[title].iter_rows(max_row=1))]
        assert "Mới xuất hiện (ít số liệu)" in header, title
    page = (root / "forecasts" / "latest_report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="emerging">') :]
    assert 'data-occupation="2511"' in section and "Occupation new in the data" in section
    assert 'data-occupation="8343"' in section


@pytest.mark.slow
def test_training_and_forecast_runs_log_the_detection(department) -> None:
    root = department["root"]
    client = MlflowClient(f"sqlite:///{root}/mlflow.db")
    experiment = client.get_experiment_by_name("skillcast")
    for kind in ("train", "forecast"):
        (run,) = client.search_runs(
            [experiment.experiment_id],
            filter_string=f"tags.skillcast_kind = '{kind}' and attributes.status = 'FINISHED'",
        )
        metrics = run.data.metrics
        assert metrics["n_emerging"] == 3, kind
        assert metrics["n_emerging_new_code"] == 1 and metrics["n_emerging_new_series"] == 1
        assert metrics["n_emerging_rising_from_zero"] == 1
        names = [a.path for a in client.list_artifacts(run.info.run_id, "data")]
        assert "data/emerging_series.csv" in names, kind


@pytest.mark.slow
def test_a_bad_setting_stops_the_forecast_naming_it(department, caplog) -> None:
    from skillcast.apps import forecast as forecast_app
    from skillcast.apps.console import EXIT_CONFIG

    root = department["root"]
    before = (root / "forecasts" / "latest.csv").read_bytes()
    code = forecast_app.run(app_cfg("forecast", root, "output.emerging.near_zero=1.5"))
    assert code == EXIT_CONFIG
    assert "near_zero=1.5" in caplog.text
    assert (root / "forecasts" / "latest.csv").read_bytes() == before
