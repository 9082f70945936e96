"""Tests of the enterprise layer of the generator, of reading folders of report batches
and of the bundled report sample: reports add up to the panel, and every difference
the faults make is one the accounting reports."""

from __future__ import annotations

import codecs
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillcast.datasets import (
    SAMPLE_SPEC,
    aggregate_reports,
    load_reports,
    load_sample,
    make_enterprise_reports,
    make_hai_phong_like,
    read_report_batches,
    sample_reports_folder,
    statutory_deadline,
)
from skillcast.datasets.enterprises import EnterpriseReports
from skillcast.datasets.sample import REPORTS_PERIODS, generate_sample_reports
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import PanelSpec
from skillcast.periods import frequency, parse_periods

KEYS = ["sector", "occupation", "level"]
SPEC = PanelSpec()
HALF = frequency("semiannual")
LOG_KEY = ["enterprise_id", "period"]


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    # six half-years around the emerging occupation's start (2020-H1)
    return make_hai_phong_like(seed=5, start="2019", end="2021")


@pytest.fixture(scope="module")
def drawn(window: pd.DataFrame) -> EnterpriseReports:
    return make_enterprise_reports(window, seed=7)


def _labels(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(period=HALF.labels(frame["period"]))


def _expected(drawn: EnterpriseReports, carry: int) -> pd.DataFrame:
    """What aggregating the faulty reports must give, built from the truth and the log:
    submitted reports as they are, missing ones copied from the enterprise's last
    report when within ``carry`` periods, nothing for the others."""
    log, complete = drawn.log, drawn.complete
    status = complete.merge(log[[*LOG_KEY, "missing", "late"]], on=LOG_KEY, validate="m:1")
    kept = status.loc[~status["missing"]].assign(carried=0)
    labels = sorted(complete["period"].unique())
    position = {label: i for i, label in enumerate(labels)}
    gone = log.loc[log["missing"] & (log["since_report"] <= carry)]
    sources = [labels[position[p] - s] for p, s in zip(gone["period"], gone["since_report"],
                                                         strict=True)]  # fmt: skip
    fills = gone[LOG_KEY].assign(source=sources)
    copies = fills.merge(
        complete.rename(columns={"period": "source"}), on=["enterprise_id", "source"]
    ).assign(carried=1, late=False)
    rows = pd.concat([kept, copies], ignore_index=True)
    return rows.groupby([*KEYS, "period"]).agg(
        employed=("employed", "sum"), n_carried=("carried", "sum"), n_late=("late", "sum")
    )


def _grid(panel: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(panel[[*KEYS, "period"]]).sort_values()


# --- the enterprise layer -----------------------------------------------------------------


def test_complete_reports_add_up_exactly_to_the_panel(
    window: pd.DataFrame, drawn: EnterpriseReports
) -> None:
    sums = drawn.complete.groupby([*KEYS, "period"])[["employed", "recruitment_needs"]].sum()
    panel = window.set_index([*KEYS, "period"]).sort_index()
    assert sums.index.equals(panel.index)  # every cell-period, the emerging ones included
    np.testing.assert_array_equal(sums["employed"], panel["employment"])
    np.testing.assert_array_equal(sums["recruitment_needs"], panel["vacancies"])
    complete = drawn.complete
    assert complete["enterprise_id"].str.fullmatch(r"02\d{8}").all()
    assert not complete.duplicated([*LOG_KEY, *KEYS]).any()
    assert complete["employed"].dtype == np.int64 and (complete["employed"] >= 0).all()
    # an enterprise belongs to one sector and lists its cells every period
    firms = drawn.enterprises.set_index("enterprise_id")
    assert (complete.groupby("enterprise_id")["sector"].nunique() == 1).all()
    sectors = complete.drop_duplicates("enterprise_id").set_index("enterprise_id")["sector"]
    assert (firms.loc[sectors.index, "sector"] == sectors).all()
    per_firm = complete.groupby("enterprise_id").apply(
        lambda r: r[KEYS].drop_duplicates().shape[0], include_groups=False
    )
    assert (per_firm == firms.loc[per_firm.index, "cells"]).all()


def test_enterprise_sizes_are_heavy_tailed(drawn: EnterpriseReports) -> None:
    workers = drawn.enterprises["workers"].sort_values(ascending=False).to_numpy()
    top = workers[: len(workers) // 10].sum() / workers.sum()
    assert top > 0.4  # the largest tenth employ a large share ...
    assert np.median(workers) < workers.mean() / 2  # ... and the typical firm is small
    assert set(drawn.enterprises["size_band"]) == {"micro", "small", "medium", "large"}
    assert drawn.enterprises["cells"].max() >= 10 and drawn.enterprises["cells"].min() == 1


def test_clean_reports_aggregate_back_to_the_panel(window: pd.DataFrame) -> None:
    clean = make_enterprise_reports(
        window, seed=7, late_rate=0, missing_rate=0, lapse_share=0, resubmit_rate=0
    )
    pd.testing.assert_frame_equal(clean.reports, clean.complete)
    result = aggregate_reports(clean.reports, SPEC, count="employed")
    assert result.accounting() == {
        "rows_in": len(clean.reports), "dropped_duplicates": 0, "reports": len(clean.log),
        "late_reports": 0, "carried_reports": 0, "carried_rows": 0, "lapsed_reports": 0,
        "zero_filled": 0,
    }  # fmt: skip
    frame = _labels(result.frame).set_index([*KEYS, "period"])
    panel = window.set_index([*KEYS, "period"]).sort_index()
    assert frame.index.equals(panel.index)
    np.testing.assert_array_equal(frame["employment"], panel["employment"])


@pytest.mark.parametrize("carry", [0, 1, 2])
def test_faults_make_exactly_the_differences_the_accounting_reports(
    window: pd.DataFrame, drawn: EnterpriseReports, carry: int
) -> None:
    result = aggregate_reports(drawn.reports, SPEC, carry, count="employed")
    counts = result.accounting()
    assert {k: counts[k] for k in drawn.expected_accounting(carry)} == (
        drawn.expected_accounting(carry)
    )
    expected = _expected(drawn, carry).reindex(_grid(window), fill_value=0)
    frame = _labels(result.frame).set_index([*KEYS, "period"]).sort_index()
    assert frame.index.equals(expected.index)  # no cell starts late, none is lost
    for column in ("employed", "n_carried", "n_late"):
        target = "employment" if column == "employed" else column
        np.testing.assert_array_equal(frame[target], expected[column], err_msg=column)
    # zero-filled rows: cells whose only enterprises lapsed (or listed no one)
    nobody = _expected(drawn, carry).reindex(_grid(window))["employed"].isna()
    assert counts["zero_filled"] == int(nobody.sum())
    assert (frame.loc[nobody.to_numpy(), "n_enterprises"] == 0).all()
    by_period = result.by_period
    assert by_period["period"].tolist() == sorted(window["period"].unique())
    totals = by_period.drop(columns="period").sum()
    assert totals["carried"] == counts["carried_reports"]
    assert totals["lapsed"] == counts["lapsed_reports"]
    assert totals["late"] == counts["late_reports"]
    missing = drawn.log.groupby("period")["missing"].sum()
    np.testing.assert_array_equal(by_period["carried"] + by_period["lapsed"], missing)


def test_every_kind_of_fault_occurs(drawn: EnterpriseReports) -> None:
    log = drawn.log
    assert log["late"].sum() > 50 and log["resubmitted"].sum() > 20
    assert (log["since_report"] == 1).sum() > 20 and (log["since_report"] == 2).sum() > 5
    assert not (log["missing"] & (log["late"] | log["resubmitted"])).any()
    # never an enterprise's first report (there would be nothing to carry)
    first = log.groupby("enterprise_id")["period"].transform("min")
    assert not log.loc[log["period"] == first, "missing"].any()
    share = log["late"].sum() / (~log["missing"]).sum()
    assert 0.08 < share < 0.16  # LATE_RATE 0.12


def test_submission_times_match_the_faults(drawn: EnterpriseReports) -> None:
    reports = drawn.reports.merge(drawn.log, on=LOG_KEY, validate="m:1")
    day = reports["submitted_at"].dt.normalize()
    due = statutory_deadline(pd.PeriodIndex(parse_periods(reports["period"], HALF).periods))
    np.testing.assert_array_equal(reports["deadline"].to_numpy(), due.to_numpy())
    kept = reports.groupby(LOG_KEY)["submitted_at"].transform("max") == reports["submitted_at"]
    assert ((day > reports["deadline"]) == reports["late"]).loc[kept].all()
    minutes = reports["submitted_at"].dt.hour * 60 + reports["submitted_at"].dt.minute
    assert minutes.between(450, 1050).all()  # office hours
    # a resubmitted report: two submissions of the same rows, the first one earlier and
    # wrong in exactly one count (an extra zero)
    again = reports.loc[reports["resubmitted"]]
    times = again.groupby(LOG_KEY)["submitted_at"].nunique()
    assert (times == 2).all()
    first = again.groupby(LOG_KEY)["submitted_at"].transform("min") == again["submitted_at"]
    last = drawn.complete.merge(drawn.log.loc[drawn.log["resubmitted"], LOG_KEY], on=LOG_KEY)
    wrong = again.loc[first].merge(last, on=[*LOG_KEY, *KEYS], suffixes=("", "_true"))
    assert len(wrong) == len(last)
    differs = wrong["employed"] != wrong["employed_true"]
    assert (differs.groupby([wrong[c] for c in LOG_KEY]).sum() == 1).all()
    typo = wrong.loc[differs]
    assert (typo["employed"] == np.where(typo["employed_true"] > 0,
                                         typo["employed_true"] * 10, 10)).all()  # fmt: skip


def test_same_seed_same_reports_other_seed_other_firms(
    window: pd.DataFrame, drawn: EnterpriseReports
) -> None:
    again = make_enterprise_reports(window, seed=7)
    pd.testing.assert_frame_equal(again.reports, drawn.reports)
    pd.testing.assert_frame_equal(again.log, drawn.log)
    other = make_enterprise_reports(window, seed=8)
    assert set(other.enterprises["enterprise_id"]) != set(drawn.enterprises["enterprise_id"])


def test_quarterly_panels_have_no_late_reports() -> None:
    quarters = make_hai_phong_like(seed=1, freq="Q", start="2024", end="2024")
    drawn = make_enterprise_reports(quarters, seed=1, spec=SPEC.with_(freq="Q"))
    assert not drawn.log["late"].any()
    result = aggregate_reports(drawn.reports, SPEC.with_(freq="Q"), count="employed")
    assert result.late_reports == 0 and result.carried_reports > 0


def test_enterprise_layer_refuses_panels_it_cannot_split(window: pd.DataFrame) -> None:
    with pytest.raises(SkillcastDataError, match="whole numbers"):
        make_enterprise_reports(window.assign(employment=window["employment"] + 0.5))
    gap = window.loc[~((window["occupation"] == "8343") & (window["period"] == "2020-H1"))]
    with pytest.raises(SkillcastDataError, match="without a gap"):
        make_enterprise_reports(gap)
    with pytest.raises(SkillcastConfigError, match="sector"):
        make_enterprise_reports(window, sector="region")
    with pytest.raises(SkillcastConfigError, match="missing_rate"):
        make_enterprise_reports(window, missing_rate=1.5)


def test_enterprise_layer_takes_a_panel(window: pd.DataFrame) -> None:
    panel = load_sample()
    short = panel.until("2016-H2")
    drawn = make_enterprise_reports(short, seed=0)
    assert "recruitment_needs" not in drawn.reports.columns  # a Panel keeps its target only
    sums = drawn.complete.groupby([*KEYS, "period"])["employed"].sum()
    assert sums.sum() == short.frame["employment"].sum()


# --- the bundled folder -------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_draw() -> EnterpriseReports:
    return generate_sample_reports()


def test_bundled_folder_content() -> None:
    folder = sample_reports_folder()
    files = sorted(p.name for p in folder.iterdir())
    labels = [f"{y}-H{h}" for y in range(2021, 2026) for h in (1, 2)]
    assert files == [f"{label}.csv" for label in labels]
    assert len(files) == REPORTS_PERIODS
    assert sum((folder / f).stat().st_size for f in files) < 1_500_000
    head = (folder / files[0]).read_bytes()
    assert not head.startswith(codecs.BOM_UTF8) and b"\r\n" not in head
    assert head.split(b"\n")[0] == (
        b"enterprise_id,submitted_at,period,sector,occupation,level,employed,recruitment_needs"
    )


def test_bundled_folder_aggregates_to_the_documented_panel(sample_draw: EnterpriseReports) -> None:
    data = load_reports(sample_reports_folder())
    assert data.accounting() == {
        "rows_in": 25_655, "dropped_duplicates": 973, "reports": 5_514, "late_reports": 670,
        "carried_reports": 271, "carried_rows": 1_100, "lapsed_reports": 95, "zero_filled": 17,
    }  # fmt: skip
    expected = sample_draw.expected_accounting(1)
    assert {k: data.accounting()[k] for k in expected} == expected
    panel = data.panel
    assert (panel.n_series, panel.n_periods, len(panel)) == (512, 10, 5_120)
    assert panel.label(panel.periods[0]) == "2021-H1" and panel.spec == PanelSpec()
    sample = load_sample(as_frame=True)
    sample = sample.loc[sample["period"] >= "2021-H1"]
    truth = _expected(sample_draw, 1).reindex(_grid(sample), fill_value=0)
    got = _labels(data.frame).set_index([*KEYS, "period"]).sort_index()
    np.testing.assert_array_equal(got["employment"], truth["employed"])
    # where no report was carried or lapsed, the panel is the sample itself
    same = got["employment"] == sample.set_index([*KEYS, "period"]).sort_index()["employment"]
    log = sample_draw.log
    lapsed = log.loc[log["missing"] & (log["since_report"] > 1), LOG_KEY]
    touched = sample_draw.complete.merge(lapsed, on=LOG_KEY).set_index([*KEYS, "period"]).index
    explained = (got["n_carried"] > 0) | got.index.isin(touched)
    assert not (~same & ~explained).any()
    assert round(same.mean(), 3) == 0.808 and round(explained.mean(), 3) == 0.224
    by_period = data.by_period
    assert by_period["period"].tolist() == sorted(sample["period"].unique())
    assert by_period.loc[0, ["carried", "lapsed"]].tolist() == [0, 0]  # first batch
    assert (by_period.loc[1:, "carried"] > 0).all()
    assert list(data.batches["batch"]) == [f"{p}.csv" for p in by_period["period"]]
    assert data.batches["rows"].sum() == 25_655


def test_bundled_folder_needs_are_what_was_declared(sample_draw: EnterpriseReports) -> None:
    data = load_reports(sample_reports_folder())
    assert data.needs is not None
    status = sample_draw.complete.merge(sample_draw.log[[*LOG_KEY, "missing"]], on=LOG_KEY)
    declared = status.loc[~status["missing"]].groupby([*KEYS, "period"])["recruitment_needs"]
    needs = _labels(data.needs).set_index([*KEYS, "period"]).sort_index()
    assert needs.index.equals(declared.sum().index)
    np.testing.assert_array_equal(needs["recruitment_needs"], declared.sum())
    np.testing.assert_array_equal(needs["n_declaring"], declared.size())


def test_rows_read_keep_codes_and_types() -> None:
    rows = read_report_batches(sample_reports_folder())
    assert rows.columns.tolist() == [
        "batch", "enterprise_id", "submitted_at", "period", *KEYS, "employed",
        "recruitment_needs",
    ]  # fmt: skip
    assert len(rows) == 25_655
    assert rows["enterprise_id"].str.fullmatch(r"02\d{8}").all()  # leading zero kept
    assert isinstance(rows["period"].dtype, pd.PeriodDtype)
    assert rows["submitted_at"].dtype == "datetime64[ns]"
    assert rows["employed"].dtype == np.float64


def test_load_reports_with_the_sample_drivers_and_a_mapping_spec() -> None:
    spec = {
        "_target_": "skillcast.spec.PanelSpec", "freq": "semiannual", "keys": KEYS,
        "target": "employment", "known_exog": ["port_throughput_mt", "tourist_arrivals_m"],
        "observed_exog": ["fdi_disbursed_busd"],
    }  # fmt: skip
    sample = load_sample(as_frame=True)
    data = load_reports(sample_reports_folder(), spec, drivers=sample)
    assert data.panel.spec == SAMPLE_SPEC
    frame = _labels(data.panel.frame).drop_duplicates("period").set_index("period")
    plan = sample.drop_duplicates("period").set_index("period").loc[frame.index]
    for column in SAMPLE_SPEC.exog:
        np.testing.assert_array_equal(frame[column], plan[column])
    with pytest.raises(SkillcastConfigError, match="drivers="):
        load_reports(sample_reports_folder(), SAMPLE_SPEC)
    early = sample.loc[sample["period"] < "2025-H1"]
    with pytest.raises(SkillcastDataError, match="2025-H1"):
        load_reports(sample_reports_folder(), SAMPLE_SPEC, drivers=early)


# --- reading batches: hand-made folders ---------------------------------------------------

HEADER = "enterprise_id,submitted_at,period,sector,occupation,level,employed"
BATCHES = {
    "2020-H1.csv": [
        "0201,2020-06-01 09:00,2020-H1,H52,8343,L2,10",
        "0201,2020-06-01 09:00,2020-H1,H52,9333,L0,40",
        "0202,2020-05-20 10:00,2020-H1,H52,8343,L2,5",
    ],
    "2020-H2.csv": [
        "0201,2020-12-01 09:00,2020-H2,H52,8343,L2,12",
        "0201,2020-12-01 09:00,2020-H2,H52,9333,L0,42",
        "0203,2020-11-30 10:00,2020-H2,H52,8343,L2,6",
    ],
    # a late report, and a correction of it a day later; 0202 has stopped reporting
    "2021-H1.csv": [
        "0203,2021-06-19 10:00,2021-H1,H52,8343,L2,80",
        "0203,2021-06-20 10:00,2021-H1,H52,8343,L2,8",
        "0201,2021-06-01 09:00,2021-H1,H52,8343,L2,15",
        "0201,2021-06-01 09:00,2021-H1,H52,9333,L0,45",
    ],
}


def _folder(tmp_path: Path, batches: dict[str, list[str]] | None = None, header: str = HEADER,
            encoding: str = "utf-8") -> Path:  # fmt: skip
    folder = tmp_path / "batches"
    folder.mkdir(parents=True, exist_ok=True)
    for name, lines in (batches or BATCHES).items():
        (folder / name).write_text("\n".join([header, *lines]) + "\n", encoding=encoding)
    return folder


def test_hand_made_folder_hand_computed(tmp_path: Path) -> None:
    data = load_reports(_folder(tmp_path))
    assert data.accounting() == {
        "rows_in": 10, "dropped_duplicates": 1, "reports": 6, "late_reports": 1,
        "carried_reports": 1, "carried_rows": 1, "lapsed_reports": 1, "zero_filled": 0,
    }  # fmt: skip
    frame = _labels(data.frame)
    cell = frame.loc[frame["occupation"] == "8343"].set_index("period")
    # 2020-H2: 12 + 0202's 5 carried + 6; 2021-H1: 8 (the correction) + 15
    assert cell["employment"].tolist() == [15.0, 23.0, 23.0]
    assert cell["n_carried"].tolist() == [0, 1, 0] and cell["n_late"].tolist() == [0, 0, 1]
    assert data.by_period.to_dict("list") == {
        "period": ["2020-H1", "2020-H2", "2021-H1"], "rows_in": [3, 3, 4],
        "dropped_duplicates": [0, 0, 1], "reports": [2, 2, 2], "late": [0, 0, 1],
        "carried": [0, 1, 0], "lapsed": [0, 0, 1], "zero_filled": [0, 0, 0],
    }  # fmt: skip
    assert data.needs is None
    assert data.batches["batch"].tolist() == list(BATCHES)


def test_byte_order_mark_spaces_and_notes_are_fine(tmp_path: Path) -> None:
    plain = read_report_batches(_folder(tmp_path))
    other = tmp_path / "other"
    other.mkdir()
    for name, lines in BATCHES.items():
        spaced = [line.replace(",H52,", ", H52 ,") for line in lines]
        (other / name).write_text("\n".join([HEADER, *spaced]) + "\n", encoding="utf-8-sig")
    (other / "README.md").write_text("Exports of the labour office, one per round.\n")
    (other / ".DS_Store").write_bytes(b"\x00\x01")
    pd.testing.assert_frame_equal(read_report_batches(other), plain)
    assert plain["enterprise_id"].tolist()[0] == "0201"


def test_declared_needs_and_day_first_times(tmp_path: Path) -> None:
    header = HEADER + ",recruitment_needs"
    batches = {
        "a.csv": ["0201,03/06/2020 09:00,2020-H1,H52,8343,L2,10,2",
                  "0202,10/06/2020,2020-H1,H52,8343,L2,5,"],
        "b.csv": ["0201,01/12/2020 09:00,2020-H2,H52,8343,L2,12,3",
                  "0202,01/12/2020 09:00,2020-H2,H52,8343,L2,5,1"],
    }  # fmt: skip
    folder = _folder(tmp_path, batches, header)
    with pytest.raises(SkillcastDataError, match=r"(?s)a\.csv.*dayfirst=True"):
        read_report_batches(folder)
    rows = read_report_batches(folder, dayfirst=True)
    assert rows["submitted_at"].iloc[0] == pd.Timestamp("2020-06-03 09:00")  # 3 June
    data = load_reports(folder, dayfirst=True)
    assert data.aggregation.late_reports == 1  # 0202 on 10 June
    assert data.needs is not None
    # 0202 declared nothing in 2020-H1: unknown, not zero
    assert data.needs["recruitment_needs"].tolist() == [2.0, 4.0]
    assert data.needs["n_declaring"].tolist() == [1, 2]


def test_time_zones_are_converted_to_vietnam_time(tmp_path: Path) -> None:
    batches = {"a.csv": ["0201,2020-06-04T20:00:00Z,2020-H1,H52,8343,L2,10",
                         "0202,2020-06-05T23:30:00+07:00,2020-H1,H52,8343,L2,5"]}  # fmt: skip
    rows = read_report_batches(_folder(tmp_path, batches))
    assert rows["submitted_at"].tolist() == [pd.Timestamp("2020-06-05 03:00"),
                                             pd.Timestamp("2020-06-05 23:30")]  # fmt: skip


def test_parquet_batches_mix_with_csv(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    frame = pd.read_csv(folder / "2021-H1.csv", dtype=str)
    frame["employed"] = frame["employed"].astype(int)
    frame.to_parquet(folder / "2021-H1.parquet")
    (folder / "2021-H1.csv").unlink()
    pd.testing.assert_frame_equal(
        load_reports(folder).frame, load_reports(_folder(tmp_path / "csv")).frame
    )
    frame.assign(enterprise_id=frame["enterprise_id"].astype(int)).to_parquet(
        folder / "2021-H1.parquet"
    )
    with pytest.raises(SkillcastDataError, match=r"2021-H1\.parquet.*not text"):
        read_report_batches(folder)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("2021-H1.csv", HEADER.replace(",employed", "") + "\n0201,2021-06-01,2021-H1,H52,8343,L2\n",
         r"Column\(s\) \['employed'\] missing"),
        ("2021-H1.csv", HEADER + "\n0201,2021-06-01,2021-H1,H52,8343,L2,ten\n",
         r"'employed': 1 row\(s\) are not numbers"),
        ("2021-H1.csv", HEADER + "\n0201,2021-06-01,2021-H1,H52,8343,L2,-3\n"
         "0202,2021-06-01,2021-H1,H52,8343,L2,-1\n", r"'employed': 2 row\(s\) are negative"),
        ("2021-H1.csv", HEADER + "\n0201,2021-06-01,2021-H1,H52,8343,L2,\n",
         r"'employed': 1 row\(s\) are empty"),
        ("2021-H1.csv", HEADER + '\n0201,2021-06-01,2021-H1,H52,8343,L2,"1.250"\n',
         "thousands separators"),
        ("2021-H1.csv", HEADER + "\n0201,2021-06-01,2021-H1,H52,8343,L2,2.5\n",
         "not whole numbers"),
        ("2021-H1.csv", HEADER + "\n", "no report rows"),
        ("2021-H1.csv", "", "empty"),
        ("2021-H1.csv", b"PK\x03\x04 a workbook", "ZIP archive"),
        ("2021-H1.csv", (HEADER + "\n0201,2021-06-01,2021-H1,H52,8343,L2,1\n").encode()
         .replace(b"H52", b"H\xe052"), "not valid UTF-8"),
        ("2021-H1.parquet", b"PAR1 truncated", "cannot be read as Parquet"),
        ("2021-H1.csv", HEADER + "\n0201,2021-06-01,2021-13,H52,8343,L2,1\n",
         r"'period': 1 row\(s\) are not semiannual periods"),
        ("2021-H1.csv", HEADER + "\n0201,soon,2021-H1,H52,8343,L2,1\n",
         r"'submitted_at': 1 row\(s\) are empty or not submission times"),
        ("2021-H1.csv", HEADER + "\n ,2021-06-01,2021-H1,H52,8343,L2,1\n",
         r"'enterprise_id': 1 row\(s\) are empty"),
    ],
)  # fmt: skip
def test_each_bad_batch_is_named(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    folder = _folder(tmp_path)
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(SkillcastDataError, match=message) as err:
        read_report_batches(folder)
    assert str(err.value).startswith(f"Report batch {name}: ")


def test_bad_folders(tmp_path: Path) -> None:
    with pytest.raises(SkillcastDataError, match="does not exist"):
        read_report_batches(tmp_path / "nowhere")
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "README.md").write_text("nothing yet\n")
    with pytest.raises(SkillcastDataError, match="holds no batch"):
        read_report_batches(empty)
    folder = _folder(tmp_path)
    with pytest.raises(SkillcastDataError, match="is not a folder"):
        read_report_batches(folder / "2020-H1.csv")
    (folder / "2019").mkdir()
    with pytest.raises(SkillcastDataError, match=r"\['2019/'\].*subfolders are not read"):
        read_report_batches(folder)
    (folder / "2019").rmdir()
    (folder / "2021-H2.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(SkillcastDataError, match=r"2021-H2\.xlsx"):
        read_report_batches(folder)


def test_bad_column_names_are_configuration_errors(tmp_path: Path) -> None:
    with pytest.raises(SkillcastConfigError, match="used twice"):
        read_report_batches(_folder(tmp_path), count="sector")
    with pytest.raises(SkillcastConfigError):
        load_reports(_folder(tmp_path), spec={"keyz": ["sector"]})
