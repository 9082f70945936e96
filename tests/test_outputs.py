"""The planner CSVs: schema, names, rounding, formula neutralisation, atomic writes
(one file and batches), openings, supply gap and every-level tables."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast.forecast import Forecast
from skillcast.outputs import (
    ALL_LEVELS_COLUMNS,
    OPENINGS_COLUMNS,
    PLANNER_COLUMNS,
    SUPPLY_GAP_COLUMNS,
    CsvBatch,
    all_levels_frame,
    atomic_write,
    files,
    neutralise_formulas,
    openings_frame,
    planner_frame,
    rounded_bounds,
    supply_gap_frame,
    write_planner_csv,
)
from skillcast.periods import frequency
from skillcast.reconcile import build_structure
from skillcast.spec import PanelSpec

SPEC = PanelSpec(keys=("sector", "occupation", "level"), taxonomies={})
STAMP = datetime(2026, 1, 15, 8, 30, tzinfo=UTC)


def make_forecast(mean: list[float], lo80=None, hi80=None, lo95=None, hi95=None) -> Forecast:
    n = len(mean)
    frame = pd.DataFrame(
        {
            "sector": ["C10", "H52", "ZZ9"][:n],
            "occupation": ["4311", "8322", "9999"][:n],
            "level": ["L1", "L3", "L9"][:n],
            "period": pd.PeriodIndex(["2026-01", "2026-07", "2027-01"][:n], freq="6M"),
            "step": np.arange(1, n + 1),
            "mean": mean,
        }
    )
    levels = []
    if lo80 is not None:
        frame["lower_80"], frame["upper_80"] = lo80, hi80
        levels.append(80)
    if lo95 is not None:
        frame["lower_95"], frame["upper_95"] = lo95, hi95
        levels.append(95)
    return Forecast(frame=frame, spec=SPEC, levels=tuple(levels))


def test_planner_frame_has_the_documented_columns_and_names() -> None:
    fc = make_forecast(
        [10.4, 2.5, 7.0], [8.0, 1.0, 6.0], [12.6, 4.49, 8.0], [5.0, 0.2, 5.5], [15.5, 6.0, 9.0]
    )
    out = planner_frame(fc, model_version=7, run_id="abc123", created_at=STAMP)
    assert tuple(out.columns) == PLANNER_COLUMNS
    assert out["period"].tolist() == ["2026-H1", "2026-H2", "2027-H1"]
    assert out["region"].isna().all()  # the panel has no region: empty cells
    row = out.iloc[0]
    assert row["level_name_vi"] == "Sơ cấp"
    assert row["level_name_en"] == "Elementary vocational"
    assert row["sector_name_en"] == "Manufacture of food products"
    assert row["occupation_name_en"] == "Accounting and bookkeeping clerks"
    # codes no classification knows keep the code and get empty names
    assert out.iloc[2]["level"] == "L9" and pd.isna(out.iloc[2]["level_name_vi"])
    assert out["forecast"].tolist() == [10, 3, 7]  # half-up: 2.5 -> 3
    assert out["lower_80"].tolist() == [8, 1, 6]
    assert out["upper_80"].tolist() == [13, 4, 8]
    assert out["lower_95"].tolist() == [5, 0, 6]  # 5.5 -> 6 (not below lower_80 = 6)
    assert out["upper_95"].tolist() == [16, 6, 9]
    assert (out["model_version"] == "7").all() and (out["run_id"] == "abc123").all()
    assert (out["created_at"] == "2026-01-15T08:30:00Z").all()


def test_missing_levels_give_empty_bounds() -> None:
    out = planner_frame(make_forecast([3.2, 0.0]), created_at=STAMP)
    assert out["forecast"].tolist() == [3, 0]
    for column in ("lower_80", "upper_80", "lower_95", "upper_95"):
        assert out[column].isna().all()
    assert (out["model_version"] == "").all()


def test_bounds_that_cross_the_forecast_are_pulled_back() -> None:
    # lower above the mean and upper below it (bad input): order restored after rounding
    frame = pd.DataFrame(
        {"mean": [10.0], "lower_80": [11.2], "upper_80": [9.0], "lower_95": [12.0],
         "upper_95": [8.0]}
    )  # fmt: skip
    out = rounded_bounds(frame)
    assert [int(out[c].iloc[0]) for c in ("lower_95", "lower_80", "forecast")] == [10, 10, 10]
    assert [int(out[c].iloc[0]) for c in ("upper_80", "upper_95")] == [10, 10]


values = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, values, values, values, values), min_size=1, max_size=20))
def test_rounded_bounds_are_whole_and_nested(rows: list[tuple[float, ...]]) -> None:
    frame = pd.DataFrame(rows, columns=["mean", "lower_80", "upper_80", "lower_95", "upper_95"])
    out = rounded_bounds(frame)
    f, lo80, hi80 = out["forecast"], out["lower_80"], out["upper_80"]
    lo95, hi95 = out["lower_95"], out["upper_95"]
    assert ((lo95 <= lo80) & (lo80 <= f) & (f <= hi80) & (hi80 <= hi95)).all()
    assert (np.abs(f.to_numpy(dtype=float) - frame["mean"].to_numpy()) <= 0.5).all()
    assert all(str(s.dtype) == "Int64" for s in out.values())


def test_formula_cells_are_neutralised_and_numbers_kept() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\ry", "plain", "a=b", None],
            "number": [-1, 2, 3, 4, 5, 6, 7, 8, 9],
        }
    )
    out = neutralise_formulas(frame)
    assert out["text"].tolist()[:8] == [
        "'=SUM(A1)", "'+1", "'-2", "'@cmd", "'\tx", "'\ry", "plain", "a=b"
    ]  # fmt: skip
    assert pd.isna(out["text"].iloc[8])
    assert out["number"].tolist() == frame["number"].tolist()  # numbers are not text
    assert frame["text"].iloc[0] == "=SUM(A1)"  # the caller's frame is unchanged


def test_csv_is_utf8_with_bom_and_reads_back(tmp_path: Path) -> None:
    fc = make_forecast([4.0, 5.0], [3.0, 4.0], [5.0, 6.0], [2.0, 3.0], [6.0, 7.0])
    table = planner_frame(fc, model_version=1, run_id="=evil()", created_at=STAMP)
    path = write_planner_csv(table, tmp_path / "out" / "forecast.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for diacritics
    assert "Sơ cấp".encode() in raw
    back = pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back.columns) == list(PLANNER_COLUMNS)
    assert back["run_id"].tolist() == ["'=evil()", "'=evil()"]
    assert back["forecast"].tolist() == ["4", "5"]
    assert back["region"].tolist() == ["", ""]
    assert sorted(p.name for p in path.parent.iterdir()) == ["forecast.csv"]


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path: Path) -> None:
    path = tmp_path / "latest.csv"
    path.write_bytes(b"old contents")

    def half_then_fail(tmp: Path) -> None:
        tmp.write_bytes(b"partial")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half_then_fail)
    assert path.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["latest.csv"]  # no temp file left

    atomic_write(path, lambda tmp: tmp.write_bytes(b"new"))
    assert path.read_bytes() == b"new"


def test_csv_batch_renames_only_when_every_file_is_written(tmp_path: Path, monkeypatch) -> None:
    a, b = tmp_path / "d" / "a.csv", tmp_path / "b.csv"
    a.parent.mkdir()
    a.write_bytes(b"old a")
    b.write_bytes(b"old b")
    table = pd.DataFrame({"x": ["=1", "ok"], "n": [1, 2]})
    real = files.write_csv

    def fail_on_b(frame: pd.DataFrame, path: Path) -> None:
        if Path(path).name.startswith(".b.csv."):
            Path(path).write_bytes(b"half")
            raise OSError("disk full")
        real(frame, path)

    monkeypatch.setattr(files, "write_csv", fail_on_b)
    with pytest.raises(OSError, match="disk full"), CsvBatch() as batch:
        batch.add(table, a)
        batch.add(table, b)
    assert (a.read_bytes(), b.read_bytes()) == (b"old a", b"old b")
    monkeypatch.undo()
    with CsvBatch() as batch:
        batch.add(table, a)
        batch.add(table, b)
        assert batch.staged == [a, b] and a.read_bytes() == b"old a"
        assert batch.commit([a]) == [a]
        assert b.read_bytes() == b"old b"  # staged, not committed yet
        batch.commit()
    assert a.read_bytes() == b.read_bytes() == b"\xef\xbb\xbfx,n\n'=1,1\nok,2\n"
    with CsvBatch() as batch:  # leaving without committing discards
        batch.add(table.assign(n=[7, 8]), a)
    assert a.read_bytes().endswith(b"ok,2\n")
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["a.csv", "b.csv"]


def openings_rows(**columns: list) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "sector": ["H52", "H52", "H52"],
            "occupation": ["8343", "8343", "8343"],
            "level": ["L2", "L2", "L2"],
            "period": pd.PeriodIndex(["2026-01", "2026-07", "2027-01"], freq="6M"),
            "step": [1, 2, 3],
            "measure": "stock",
            "decomposition": "expansion + replacement",
            "hiring_factor": 1.0,
        }
    )
    return frame.assign(**columns)


def test_openings_frame_rounds_so_rows_add_up() -> None:
    src = openings_rows(
        stock=[100.4, 99.6, 103.5],
        change=[2.5, -1.5, 0.49],
        expansion=[2.5, 0.0, 0.49],
        contraction=[0.0, 1.5, 0.0],
        replacement_rate=[0.0375, 0.0375, 0.0375],
        replacement=[3.765, 3.735, 3.881],
        openings=[6.265, 3.735, 4.371],
        realised_hiring=[6.265, 3.735, 4.371],
        openings_lower_80=[5.2, 3.0, 3.9],
        openings_upper_80=[7.6, 4.4, 4.6],
    )
    out = openings_frame(src, frequency("semiannual"), model_version=3, created_at=STAMP)
    assert tuple(out.columns) == OPENINGS_COLUMNS
    assert out["period"].tolist() == ["2026-H1", "2026-H2", "2027-H1"]
    assert out["occupation_name_en"].iloc[0] == "Crane, hoist and related plant operators"
    # change half-up (2.5 -> 3, -1.5 -> -1, 0.49 -> 0); replacement 3.765 -> 4, 3.735 -> 4
    assert out["change"].tolist() == [3, -1, 0]
    assert out["expansion"].tolist() == [3, 0, 0]
    assert out["contraction"].tolist() == [0, 1, 0]
    assert out["replacement"].tolist() == [4, 4, 4]
    assert out["openings"].tolist() == [7, 4, 4]  # expansion + replacement, not round(6.265)
    assert out["openings_lower_80"].tolist() == [5, 3, 4]
    assert out["openings_upper_80"].tolist() == [8, 4, 5]
    assert out["openings_lower_95"].isna().all()  # no 95% interval in the input
    assert out["realised_hiring"].tolist() == [7, 4, 4]
    assert out["stock"].tolist() == [100, 100, 104]


def test_supply_gap_frame_puts_shortages_first_and_gap_is_openings_minus_supply() -> None:
    src = pd.DataFrame(
        {
            "occupation": ["2411", "8343", "8350", "5120", "7412"],
            "level": ["L4", "L1", "L2", "L1", "L2"],
            "period": pd.PeriodIndex(["2026-01"] * 5, freq="6M"),
            "openings": [40.4, 120.6, 30.0, 50.0, 5.0],
            "openings_lower": [35.0, 90.2, 20.0, 45.0, 4.0],
            "openings_upper": [46.0, 150.0, 40.0, 55.0, 6.0],
            "supply": [80.0, 40.0, 20.0, 50.0, 0.0],
        }
    )
    src["gap"] = src["openings"] - src["supply"]
    for suffix in ("", "_lower", "_upper"):
        with np.errstate(divide="ignore"):
            src[f"ratio{suffix}"] = src[f"openings{suffix}"] / src["supply"]
    src["gap_class"] = ["surplus", "shortage", "shortage", "balance", "shortage"]
    src["confidence"] = ["likely", "likely", "possible", "possible", "likely"]
    src["assessment"] = src["confidence"] + " " + src["gap_class"]
    src["likely_shortage"] = (src["gap_class"] == "shortage") & (src["confidence"] == "likely")
    out = supply_gap_frame(src, frequency("semiannual"), created_at=STAMP)
    assert tuple(out.columns) == SUPPLY_GAP_COLUMNS
    # shortages by size of gap (81, 10, 5), then balance, then the surplus
    assert out["occupation"].tolist() == ["8343", "8350", "7412", "5120", "2411"]
    assert out["openings"].tolist() == [121, 30, 5, 50, 40]
    assert out["gap"].tolist() == [81, 10, 5, 0, -40]
    assert out["gap_lower"].tolist() == [50, 0, 4, -5, -45]
    assert out["ratio"].iloc[2] == np.inf and out["ratio"].iloc[0] == pytest.approx(3.015)
    assert out["level_name_vi"].iloc[0] == "Sơ cấp"


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 5000, allow_nan=False), min_size=12, max_size=12))
def test_all_levels_frame_aggregates_are_sums_of_rounded_bottom_rows(values) -> None:
    series = pd.DataFrame(
        {"sector": ["C10", "C10", "H52", "H52", "H52", "I55"],
         "occupation": ["8343", "4311", "8343", "8350", "4311", "5120"],
         "level": ["L1", "L2", "L1", "L1", "L3", "L0"]}
    )  # fmt: skip
    structure = build_structure(
        series, aggregations=[(), ("sector",), ("occupation_major",), ("level",)]
    )
    bottom = np.asarray(values).reshape(6, 2)
    mean = structure.aggregate(bottom)  # coherent, as reconciled forecasts are
    n = structure.n_total
    frame = structure.nodes.loc[np.repeat(np.arange(n), 2)].reset_index(drop=True)
    frame = frame.drop(columns="node").assign(
        period=pd.PeriodIndex(["2026-01", "2026-07"] * n, freq="6M"),
        step=[1, 2] * n,
        mean=mean.ravel(),
        lower_80=0.9 * mean.ravel(),
        upper_80=1.1 * mean.ravel(),
    )
    spec = PanelSpec(keys=("aggregation", "sector", "occupation", "level"), taxonomies={})
    out = all_levels_frame(Forecast(frame, spec, levels=(80,)), structure, created_at=STAMP)
    assert tuple(out.columns) == ALL_LEVELS_COLUMNS
    whole = out["forecast"].to_numpy(dtype=float).reshape(n, 2)
    rounded = np.floor(bottom + 0.5)
    np.testing.assert_array_equal(whole[structure.n_aggregate :], rounded)
    np.testing.assert_array_equal(whole, structure.aggregate(rounded))
    assert (out["lower_80"] <= out["forecast"]).all() and (out["forecast"] <= out["upper_80"]).all()
    major = out.loc[out["aggregation"] == "occupation_major"]
    assert set(major["occupation"]) == {"4", "5", "8"} and set(major["sector"]) == {"*"}
    assert set(major["sector_name_en"]) == {"All"}
