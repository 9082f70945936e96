"""The planner CSV: schema, names, rounding, formula neutralisation, atomic writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast.models.base import Forecast
from skillcast.outputs import (
    PLANNER_COLUMNS,
    atomic_write,
    neutralise_formulas,
    planner_frame,
    rounded_bounds,
    write_planner_csv,
)
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
