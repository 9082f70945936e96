"""The Excel workbook: a sheet per table, Vietnamese titles, frozen header, numbers as
numbers, formula-looking text kept as text, written atomically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from skillcast.outputs import workbook_writer, write_workbook
from skillcast.outputs.workbook import COLUMN_TITLES


def _tables() -> dict[str, pd.DataFrame]:
    forecast = pd.DataFrame(
        {
            "period": ["2026-H1", "2026-H2"],
            "region": [np.nan, np.nan],
            "sector": ["H52", "H52"],
            "occupation": ["0110", "8343"],  # a leading zero must survive
            "level": ["L2", "L2"],
            "forecast": pd.array([2218, 2292], dtype="Int64"),
            "lower_80": pd.array([1900, pd.NA], dtype="Int64"),
            "model_version": ["3", "3"],
        }
    )
    gap = pd.DataFrame(
        {
            "occupation": ["8343", "8350"],
            "ratio": [3.859, np.inf],
            "likely_shortage": [True, False],
            "assessment": ["likely shortage", "possible balance"],
        }
    )
    hostile = pd.DataFrame(
        {
            "note": ['=HYPERLINK("x")', "+84 912 345", "-2", "@SUM(A1)", "#N/A", "plain\x07"],
            "mixed": [1, "=1+1", 2.5, None, True, "text"],
        }
    )
    return {"forecast.csv": forecast, "supply_gap.csv": gap, "notes about/you?.csv": hostile}


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    path = tmp_path_factory.mktemp("workbook") / "skillcast.xlsx"
    write_workbook(_tables(), path)
    return openpyxl.load_workbook(path)


def test_one_sheet_per_table_with_vietnamese_titles_and_a_frozen_header(book):
    assert book.sheetnames == ["Dự báo", "Cung - cầu", "notes about_you_"]
    sheet = book["Dự báo"]
    titles = [c.value for c in sheet[1]]
    assert titles == [COLUMN_TITLES[c] for c in _tables()["forecast.csv"].columns]
    assert titles[0] == "Kỳ" and "Dự báo (người)" in titles and "Cận dưới 80%" in titles
    assert all(c.font.b for c in sheet[1])
    for name in book.sheetnames:
        assert book[name].freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H3"
    assert [c.value for c in book["notes about_you_"][1]] == ["note", "mixed"]  # unknown: kept


def test_numbers_are_numbers_and_codes_are_text(book):
    sheet = book["Dự báo"]
    row = {t: c for t, c in zip([c.value for c in sheet[1]], sheet[2], strict=True)}
    assert row["Dự báo (người)"].value == 2218 and row["Dự báo (người)"].data_type == "n"
    assert row["Mã nghề (VSCO 2020)"].value == "0110"
    assert row["Mã nghề (VSCO 2020)"].data_type == "s"
    assert row["Địa bàn"].value is None  # a missing value is an empty cell
    assert sheet["G3"].value is None  # <NA> too
    gap = book["Cung - cầu"]
    assert gap["B2"].value == pytest.approx(3.859) and gap["B2"].data_type == "n"
    assert gap["B3"].value == "inf"  # Excel has no infinity
    assert gap["C2"].value is True and gap["C2"].data_type == "b"


def test_formula_looking_text_stays_text(book):
    sheet = book["notes about_you_"]
    values = [sheet.cell(row=i, column=1) for i in range(2, 8)]
    assert [c.value for c in values] == [
        '=HYPERLINK("x")', "+84 912 345", "-2", "@SUM(A1)", "#N/A", "plain",
    ]  # fmt: skip
    assert all(c.data_type == "s" for c in values)  # never "f" (formula) nor "e" (error)
    assert [c.quotePrefix for c in values[:4]] == [True] * 4
    assert not values[5].quotePrefix
    mixed = [sheet.cell(row=i, column=2) for i in range(2, 8)]
    assert [c.value for c in mixed] == [1, "=1+1", 2.5, None, True, "text"]
    assert mixed[1].data_type == "s" and mixed[0].data_type == "n"


def test_the_raw_xml_holds_no_formula(tmp_path):
    import zipfile

    path = write_workbook(_tables(), tmp_path / "t.xlsx")
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = "".join(z.read(n).decode("utf-8") for n in sheets)
    assert "<f>" not in xml and 't="e"' not in xml


def test_written_atomically(tmp_path):
    path = tmp_path / "out.xlsx"
    write_workbook({"forecast.csv": _tables()["forecast.csv"]}, path)
    before = path.read_bytes()

    class Boom(pd.DataFrame):
        @property
        def columns(self):  # type: ignore[override]
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        write_workbook({"forecast.csv": Boom({"a": [1]})}, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_a_writer_for_a_file_set_and_an_empty_workbook(tmp_path):
    write = workbook_writer({}, titles={"x": "X"})
    target = tmp_path / "empty.xlsx"
    write(Path(target))
    assert openpyxl.load_workbook(target).sheetnames == ["Trống"]


def test_long_and_repeated_sheet_names_are_made_valid(tmp_path):
    frame = pd.DataFrame({"a": [1]})
    names = {"a" * 40 + ".csv": frame, "A" * 40 + ".csv": frame, "x[1]:y.csv": frame}
    path = write_workbook(names, tmp_path / "n.xlsx")
    sheets = openpyxl.load_workbook(path).sheetnames
    assert sheets == ["a" * 31, "A" * 27 + " (2)", "x_1__y"]
