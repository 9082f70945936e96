"""Periods and numbers as Vietnamese sources write them: day-first dates, ``1.250,5``
numbers and ``;``-separated files load when declared, and are refused -- never guessed --
when not."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from skillcast import PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.reading import ReadOptions, read_frame, read_options, read_table

SPEC = PanelSpec(keys=("sector", "occupation"), taxonomies={})
VN = ReadOptions(thousands=".", decimal=",")


def frame(periods: list[object], employment: list[object] | None = None) -> pd.DataFrame:
    n = len(periods)
    return pd.DataFrame(
        {
            "sector": ["C26"] * n,
            "occupation": ["8212"] * n,
            "period": periods,
            "employment": employment if employment is not None else [10.0] * n,
        }
    )


def labels(panel) -> list[str]:  # type: ignore[no-untyped-def]
    return list(panel.freq.labels(panel.frame["period"]))


def refusal(data: object, spec: PanelSpec = SPEC, read: object = None) -> str:
    with pytest.raises(SkillcastDataError) as err:
        load_panel(data, spec, read)  # type: ignore[arg-type]
    return str(err.value)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# -- periods --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("semiannual", ["2024-H1", "2024-H2", "2025-H1"]),
     ("quarterly", ["2024Q1", "2024Q3", "2025Q1"]),
     ("monthly", ["2024-02", "2024-07", "2025-01"]),
     ("annual", ["2024", "2025"])],
)  # fmt: skip
def test_declared_day_first_dates_name_the_period_containing_them(freq, expected):
    written = ["10/02/2024", "01/07/2024", "1/1/2025"][-len(expected) :]
    spec = SPEC.with_(freq=freq, period_format="%d/%m/%Y", gaps="missing")
    panel = load_panel(frame(written), spec)
    observed = panel.frame["employment"].notna().to_numpy()
    assert list(np.asarray(labels(panel))[observed]) == expected


def test_day_first_separators_and_the_shortcut():
    mixed = frame(["05.12.2023", "01-01-2024", "1/7/2024"])
    assert labels(load_panel(mixed, SPEC.with_(period_format="dayfirst"))) == [
        "2023-H2", "2024-H1", "2024-H2"
    ]  # fmt: skip
    dotted = frame(["05.12.2023", "01.01.2024"])
    dotted_spec = SPEC.with_(period_format="%d.%m.%Y")
    assert labels(load_panel(dotted, dotted_spec)) == ["2023-H2", "2024-H1"]
    dashed = frame(["31-12-2023", "1-1-2024"])
    assert labels(load_panel(dashed, SPEC.with_(period_format="%d-%m-%Y"))) == [
        "2023-H2",
        "2024-H1",
    ]
    months = frame(["07/2024", "1/2025"])
    assert labels(load_panel(months, SPEC.with_(period_format="%m/%Y"))) == ["2024-H2", "2025-H1"]


def test_values_off_the_declared_format_are_refused_with_the_option():
    text = refusal(
        frame(["01/07/2024", "2025-H1", "2025/07/01"]), SPEC.with_(period_format="%d/%m/%Y")
    )
    assert "Column 'period': 2 row(s) do not match PanelSpec.period_format='%d/%m/%Y'" in text
    assert "2025-H1" in text and "2025/07/01" in text and "01/07/2024" not in text.split("First")[1]


@pytest.mark.parametrize(
    ("written", "count"),
    [(["01/07/2024", "05/12/2024", "10/02/2024"], 3), (["2024/06", "2024/12"], 2),
     (["06/2024", "12/2024"], 2), (["2024.1", "2024.2"], 2), (["2024.5", "2025-H1"], 1),
     ([2024.5, 2025.0], 1)],
)  # fmt: skip
def test_ambiguous_periods_are_refused_when_nothing_is_declared(written, count):
    text = refusal(frame(written))
    assert f"Column 'period': {count} row(s) are dates or periods written in a form" in text
    assert "PanelSpec.period_format='%d/%m/%Y' (day-first, the Vietnamese convention" in text
    assert str(written[0]) in text


def test_unambiguous_forms_need_no_declaration():
    monthly = SPEC.with_(freq="monthly")
    assert labels(load_panel(frame(["2024-6", "2024-7", "2024-08"]), monthly)) == [
        "2024-06", "2024-07", "2024-08"
    ]  # fmt: skip
    isos = frame(["2024-01-01", "2024-07-01T00:00:00", "2025-06-30"])
    assert labels(load_panel(isos, SPEC)) == ["2024-H1", "2024-H2", "2025-H1"]
    stamps = frame(list(pd.to_datetime(["2024-03-31", "2024-09-30"])))
    assert labels(load_panel(stamps, SPEC)) == ["2024-H1", "2024-H2"]
    periods = frame(list(pd.period_range("2024Q1", periods=2, freq="Q")))
    assert labels(load_panel(periods, SPEC.with_(freq="Q"))) == ["2024Q1", "2024Q2"]
    # a declared format leaves Timestamps and Periods as they are
    assert labels(load_panel(stamps, SPEC.with_(period_format="%d/%m/%Y"))) == [
        "2024-H1",
        "2024-H2",
    ]


@pytest.mark.parametrize("fmt", ["%d/%Y", "dd/mm/yyyy", "%Q"])
def test_a_period_format_that_names_no_period_is_a_config_error(fmt):
    with pytest.raises(SkillcastConfigError, match="PanelSpec.period_format="):
        SPEC.with_(period_format=fmt)


def test_day_first_dates_from_a_csv(tmp_path):
    path = write(tmp_path / "p.csv", "sector,occupation,period,employment\nC26,8212,01/07/2024,5\n"
                                     "C26,8212,1/1/2025,6\n")  # fmt: skip
    assert "PanelSpec.period_format" in refusal(path)
    assert labels(load_panel(path, SPEC.with_(period_format="%d/%m/%Y"))) == ["2024-H2", "2025-H1"]


# -- numbers --------------------------------------------------------------------------

VN_CSV = (
    "sector;occupation;period;employment;wage\n"
    "C26;8212;2024-H1;1.250;12,5\n"
    "C26;8212;2024-H2;1.250,5;1.012,25\n"
    "C26;8212;2025-H1;12.500;-0,75\n"
)


def test_vietnamese_numbers_load_when_declared_from_a_csv(tmp_path):
    path = write(tmp_path / "vn.csv", VN_CSV)
    spec = SPEC.with_(known_exog=("wage",))
    panel = load_panel(path, spec, ReadOptions(sep=";", thousands=".", decimal=","))
    assert panel.frame["employment"].tolist() == [1250.0, 1250.5, 12500.0]
    assert panel.frame["wage"].tolist() == [12.5, 1012.25, -0.75]
    same = load_panel(path, spec, {"sep": ";", "thousands": ".", "decimal": ","})
    pd.testing.assert_frame_equal(same.frame, panel.frame)


@pytest.mark.parametrize("dtype", [object, "string", "str", "category"])
def test_vietnamese_numbers_load_when_declared_from_a_text_frame(dtype):
    data = frame(["2024-H1", "2024-H2", "2025-H1"], ["1.250", "1.250,5", " 1.250.000 "])
    data["employment"] = data["employment"].astype(dtype)
    before = data.copy()
    panel = load_panel(data, SPEC, VN)
    assert panel.frame["employment"].tolist() == [1250.0, 1250.5, 1_250_000.0]
    pd.testing.assert_frame_equal(data, before)


def test_thousands_lookalikes_are_refused_when_nothing_is_declared(tmp_path):
    data = frame(["2024-H1", "2024-H2", "2025-H1"], ["1.250", "12.5", "1.250.000"])
    text = refusal(data)
    assert "Column 'employment': 2 row(s) look like numbers with thousands separators" in text
    assert "ReadOptions.thousands='.' and ReadOptions.decimal=','" in text
    assert "1.250.000" in text and "12.5" not in text.split("First")[1]
    path = write(tmp_path / "p.csv", data.to_csv(index=False))
    assert "look like numbers with thousands separators" in refusal(path)
    commas = frame(["2024-H1", "2024-H2"], ["1,250", "7"])
    assert "ReadOptions.thousands=','" in refusal(commas)
    # a CSV cell is seen as written, before pandas could read 1.250 as 1.25
    drivers = write(tmp_path / "x.csv", "sector,occupation,period,employment,x\n"
                                        "C26,8212,2024-H1,5,1.250\n")  # fmt: skip
    assert "Column 'x': 1 row(s) look like" in refusal(drivers, SPEC.with_(known_exog=("x",)))


def test_genuine_decimals_need_no_declaration(tmp_path):
    data = frame(["2024-H1", "2024-H2", "2025-H1", "2025-H2"], ["12.5", "0.75", "0.750", "1250"])
    assert load_panel(data, SPEC).frame["employment"].tolist() == [12.5, 0.75, 0.75, 1250.0]
    path = write(tmp_path / "p.csv", data.to_csv(index=False))
    assert load_panel(path, SPEC).frame["employment"].tolist() == [12.5, 0.75, 0.75, 1250.0]


def test_text_off_the_declared_number_format_is_refused():
    data = frame(["2024-H1", "2024-H2", "2025-H1"], ["1.250", "12.5", "1.25.0"])
    text = refusal(data, read=VN)
    assert "Column 'employment': 2 row(s) are not numbers as declared" in text
    assert "ReadOptions.thousands='.', ReadOptions.decimal=','" in text


def test_english_grouping_can_be_declared():
    data = frame(["2024-H1", "2024-H2"], ["1,250.5", "1.250"])
    panel = load_panel(data, SPEC, ReadOptions(thousands=","))
    assert panel.frame["employment"].tolist() == [1250.5, 1.25]


def test_read_table_takes_the_same_options(tmp_path):
    path = write(tmp_path / "future.csv", "period;wage\n2026-H1;1.012,5\n")
    spec = SPEC.with_(known_exog=("wage",))
    table = read_table(path, spec, {"sep": ";", "thousands": ".", "decimal": ","})
    assert table["wage"].tolist() == [1012.5] and table["period"].tolist() == ["2026-H1"]
    with pytest.raises(SkillcastDataError, match="looks ';'-separated"):
        read_table(path, spec)


# -- separators and options -----------------------------------------------------------


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_another_delimiter_is_named_with_the_option(tmp_path, sep):
    path = write(tmp_path / "p.csv", VN_CSV.replace(";", sep))
    text = refusal(path, SPEC.with_(known_exog=("wage",)))
    assert f"looks {sep!r}-separated" in text and f"ReadOptions.sep={sep!r}" in text
    panel = load_panel(
        path, SPEC.with_(known_exog=("wage",)), ReadOptions(sep=sep, thousands=".", decimal=",")
    )
    assert len(panel) == 3
    comma = write(tmp_path / "c.csv", frame(["2024-H1"]).to_csv(index=False))
    assert "ReadOptions.sep=','" in refusal(comma, read={"sep": ";"})


@pytest.mark.parametrize(
    "options",
    [{"thousands": ".", "decimal": "."}, {"thousands": ",", "decimal": ","}, {"sep": ";;"},
     {"thousands": ""}, {"decimal": "5"}, {"decimal": None}, {"separator": ";"}],
)  # fmt: skip
def test_bad_read_options_are_config_errors(options):
    with pytest.raises(SkillcastConfigError, match="ReadOptions"):
        read_options(options)


def test_read_frame_converts_without_validating():
    data = frame(["2024-H1"], ["1.250,5"])
    out = read_frame(data, SPEC, VN)
    assert out["employment"].dtype == np.float64 and out["employment"].iloc[0] == 1250.5
    assert data["employment"].iloc[0] == "1.250,5"
