"""Bad input as an adversarial user would give it: load_panel either loads the panel or
raises SkillcastDataError naming the column, the count of rows and the remedy."""

import gzip
import unicodedata
import warnings
import zipfile
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from skillcast import PanelSpec, SkillcastConfigError, SkillcastDataError, load_panel
from skillcast.errors import SkillcastDataWarning

HAI_PHONG = "Hải Phòng"
HAI_PHONG_NFD = unicodedata.normalize("NFD", HAI_PHONG)
SPEC = PanelSpec(taxonomies={})
REGION_SPEC = PanelSpec(keys=("region", "occupation"), taxonomies={})


def frame(**columns: object) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sector": ["H52"] * 3 + ["C26"] * 2,
            "occupation": ["8343"] * 3 + ["8212"] * 2,
            "level": ["L1"] * 5,
            "period": ["2020-H1", "2020-H2", "2021-H1", "2020-H2", "2021-H1"],
            "employment": [10.0, 12.0, 0.0, 5.0, 7.0],
        }
    ).assign(**columns)


def region_frame(regions: list[str]) -> pd.DataFrame:
    periods = [f"{2020 + i // 2}-H{i % 2 + 1}" for i in range(len(regions))]
    return pd.DataFrame(
        {"region": regions, "occupation": "8343", "period": periods, "employment": 1.0}
    )


def message(data: object, spec: PanelSpec = SPEC) -> str:
    with pytest.raises(SkillcastDataError) as err:
        load_panel(data, spec)  # type: ignore[arg-type]
    return str(err.value)


# -- extreme values -----------------------------------------------------------------


def test_an_implausible_target_names_rows_and_the_bound():
    text = message(frame(employment=[10.0, 1e300, 0.0, 2e10, 7.0]))
    assert "Column 'employment': 2 row(s) exceed PanelSpec.max_value=1e+09" in text
    assert "1.000000e+300" in text and "raise PanelSpec.max_value" in text
    big = frame(employment=[10.0, 2e10, 0.0, 5.0, 7.0])
    assert np.nanmax(load_panel(big, SPEC.with_(max_value=1e11)).dense()) == 2e10
    assert "1 row(s) exceed PanelSpec.max_value=100 " in message(big, SPEC.with_(max_value=100))
    assert len(load_panel(big, SPEC.with_(max_value=float("inf")))) == 5


def test_drivers_must_be_finite_but_may_be_missing_or_negative():
    spec = SPEC.with_(known_exog=("port",), observed_exog=("growth",))
    ok = frame(port=[1.0, np.nan, 3.0, 4.0, 5.0], growth=[-0.5, 0.1, -2.0, 0.0, 1.0])
    panel = load_panel(ok, spec)
    assert np.isnan(panel.dense("port")).sum() == 2  # one missing value, one cell before C26
    assert np.nanmin(panel.dense("growth")) == -2.0
    text = message(ok.assign(growth=[0.1, np.inf, -np.inf, 0.0, 1.0]), spec)
    assert "Column 'growth': 2 row(s) are infinite (an exogenous driver)" in text
    assert "division by zero" in text and "leave the cell empty" in text


@pytest.mark.parametrize("column", ["employment", "port"])
def test_booleans_are_not_numbers(column):
    spec = SPEC.with_(known_exog=("port",))
    typed = frame(port=1.0).assign(**{column: [True, False, True, True, False]})
    text = message(typed, spec)
    assert f"Column {column!r}: 5 row(s) are True/False" in text and "astype(int)" in text
    mixed = frame(port=1.0).astype({column: object})
    mixed.loc[2, column] = True
    assert f"Column {column!r}: 1 row(s) are True/False" in message(mixed, spec)


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (pd.to_datetime(["2020-01-01"] * 5), "5 row(s) hold datetime64"),
        (pd.to_timedelta([1, 2, 3, 4, 5], unit="D"), "5 row(s) hold timedelta64"),
        (np.array([1 + 1j] * 5), "5 row(s) hold complex128 values, not numbers"),
        (pd.Series([Decimal(1), 2, 3 + 1j, "4", 5], dtype=object), "1 row(s) are not numbers"),
    ],
)
def test_dates_and_complex_numbers_are_not_numbers(values, problem):
    assert f"Column 'employment': {problem}" in message(frame(employment=values))


# -- look-alike keys ----------------------------------------------------------------


def test_composed_and_decomposed_keys_make_one_series():
    df = region_frame([HAI_PHONG, HAI_PHONG_NFD, HAI_PHONG, HAI_PHONG_NFD + " "])
    before = df.copy()
    with pytest.warns(SkillcastDataWarning) as record:
        panel = load_panel(df, REGION_SPEC)
    assert panel.n_series == 1 and panel.series["region"].tolist() == [HAI_PHONG]
    text = str(record[0].message)
    assert "column 'region': 2 row(s) made Unicode NFC, 1 row(s) stripped" in text
    assert "3 distinct texts became 1" in text
    pd.testing.assert_frame_equal(df, before)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # clean keys load without a word
        load_panel(region_frame([HAI_PHONG] * 3), REGION_SPEC)


def test_blank_keys_are_missing_keys():
    text = message(frame(level=["L1", "  ", "L1", "L1", "L1"]))
    assert "Column 'level': 1 row(s) have no key value (blank text)" in text


# -- integer codes ------------------------------------------------------------------


def test_integer_codes_are_refused_without_a_width():
    df = frame(occupation=[1, 1, 1, 11, 11])
    text = message(df)
    assert "Column 'occupation': 5 row(s) are integers, not code text" in text
    assert "code_width={'occupation': 2}" in text and "dtype={'occupation': str}" in text
    mixed = frame(occupation=pd.Series(["01", 1, "01", "11", 11], dtype=object))
    assert "Column 'occupation': 2 row(s) are integers" in message(mixed)


def test_a_declared_width_zero_pads_codes():
    df = frame(occupation=[1, 1, 1, 11, 11])
    panel = load_panel(df, SPEC.with_(code_width={"occupation": 2}))
    assert sorted(panel.series["occupation"]) == ["01", "11"]
    nullable = df.astype({"occupation": "Int64"})
    assert sorted(load_panel(nullable, SPEC.with_(code_width=2)).series["occupation"]) == [
        "01", "11",
    ]  # fmt: skip
    text = frame(occupation=["1", "1", "1", "0110", "0110"])  # digit-only text is padded too
    padded = load_panel(text, SPEC.with_(code_width={"occupation": 4}))
    assert sorted(padded.series["occupation"]) == ["0001", "0110"]
    wide = message(frame(occupation=[1, 1, 1, 123, 123]), SPEC.with_(code_width=2))
    assert "Column 'occupation': 2 row(s) are wider than PanelSpec.code_width=2" in wide
    negative = message(frame(occupation=[1, 1, 1, -1, -1]), SPEC.with_(code_width=2))
    assert "2 row(s) are negative integers" in negative


def test_float_and_boolean_keys_are_refused_even_with_a_width():
    floats = message(frame(level=[1.0] * 5), SPEC.with_(code_width={"level": 1}))
    assert "Column 'level': 5 row(s) are numbers or True/False, not codes" in floats
    assert "5 row(s) are numbers or True/False" in message(frame(level=[True] * 5))


def test_a_csv_keeps_codes_as_text(tmp_path):
    frame(occupation=["01", "01", "01", "0110", "0110"]).to_csv(tmp_path / "p.csv", index=False)
    panel = load_panel(tmp_path / "p.csv", SPEC)
    assert sorted(panel.series["occupation"]) == ["01", "0110"]


# -- unreadable files ---------------------------------------------------------------

VIETNAMESE = frame(sector=[HAI_PHONG_NFD] * 3 + ["C26"] * 2)


def write(path, content: bytes):
    path.write_bytes(content)
    return path


def xlsx_bytes(tmp_path) -> bytes:
    with zipfile.ZipFile(tmp_path / "book.zip", "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    return (tmp_path / "book.zip").read_bytes()


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.csv", lambda _: b"", ["is empty: it has no header line", "sector,occupation"]),
        ("book.csv", xlsx_bytes, ["ZIP archive", "xlsx", "CSV UTF-8", "read_excel"]),
        ("old.csv", lambda _: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), ["old Excel"]),
        ("bad.parquet", lambda _: b"PAR1 not really", ["cannot be read as Parquet", "corrupt"]),
        ("data.parquet", lambda _: b"", ["cannot be read as Parquet"]),
        ("p.csv", lambda _: b'[{"sector": "H52"}]', ["holds JSON", "read_json"]),
        ("p.csv", lambda _: b"<!DOCTYPE html><html>", ["HTML or XML"]),
        ("p.csv", lambda _: b"a,b\x00c\n1,2\n", ["NUL bytes", "utf-16-le"]),
        ("p.csv.gz", lambda _: b"not gzip at all", ["Cannot read", "compression"]),
        ("p.csv.gz", lambda _: gzip.compress(b"sector,occ")[:-6], ["Cannot read"]),
        ("p.csv", lambda _: b'a,b\n"1,2\n', ["cannot be read as CSV", "quoting"]),
        (
            "latin1.csv",
            lambda _: "sector,period\nCà Mau,2020\n".encode("latin-1"),
            ["not valid UTF-8 text (line 2: byte 0xe0", "Tried: UTF-8, UTF-8 with a byte"],
        ),
        (
            "vn.csv",
            lambda _: VIETNAMESE.to_csv(index=False).encode("cp1258"),
            ["not valid UTF-8", "encoding='cp1258'", "TCVN3"],
        ),
        (
            "dup.csv",
            lambda _: b"sector,sector,occupation,level,period,employment\nA,A,1,L,2020-H1,1\n",
            ["repeated in the header of dup.csv", "{'sector': 2}"],
        ),
    ],
)
def test_unreadable_files_are_data_errors(tmp_path, name, content, expected):
    path = write(tmp_path / name, content(tmp_path))
    text = message(path)
    assert all(part in text for part in expected), text


def test_a_directory_or_an_object_is_not_a_panel(tmp_path):
    frame().to_csv(tmp_path / "inside.csv", index=False)
    assert "is a directory" in message(tmp_path) and "inside.csv" in message(tmp_path)
    assert "not a dict" in message({"sector": ["H52"]})
    (tmp_path / "set.parquet").mkdir()  # a partitioned Parquet dataset is a directory
    frame().to_parquet(tmp_path / "set.parquet" / "part-0.parquet", index=False)
    assert len(load_panel(tmp_path / "set.parquet", SPEC)) == 5


def test_another_separator_is_pointed_out(tmp_path):
    path = write(tmp_path / "p.csv", frame().to_csv(index=False, sep=";").encode())
    assert "looks ';'-separated" in message(path) and "ReadOptions.sep=';'" in message(path)
    assert len(load_panel(path, SPEC, read={"sep": ";"})) == 5
    one_column = pd.read_csv(path)  # read without its separator: one column
    assert "declare ReadOptions.sep" in message(one_column)


def test_repeated_and_layered_columns_in_a_frame():
    df = pd.concat([frame(), frame()[["level"]]], axis=1)
    assert "Column name(s) repeated in the input (name: times): {'level': 2}" in message(df)
    layered = frame()
    layered.columns = pd.MultiIndex.from_product([["a"], layered.columns])
    assert "2 header rows" in message(layered)


def test_near_miss_column_names_are_pointed_out():
    assert "Near matches" in message(frame().rename(columns={"sector": " Sector"}))


@pytest.mark.filterwarnings("ignore::skillcast.errors.SkillcastDataWarning")  # NFD keys
def test_encodings_by_byte_order_mark_or_declared(tmp_path):
    utf8 = load_panel(write(tmp_path / "u.csv", VIETNAMESE.to_csv(index=False).encode()), SPEC)
    for encoding in ("utf-8-sig", "utf-16", "utf-32"):
        path = write(tmp_path / f"{encoding}.csv", VIETNAMESE.to_csv(index=False).encode(encoding))
        pd.testing.assert_frame_equal(load_panel(path, SPEC).frame, utf8.frame)
    old = write(tmp_path / "old.csv", VIETNAMESE.to_csv(index=False).encode("cp1258"))
    panel = load_panel(old, SPEC.with_(encoding="cp1258"))
    assert HAI_PHONG in set(panel.series["sector"])  # cp1258 decodes to decomposed text
    wrong = message(
        write(tmp_path / "w.csv", "Hải".encode("utf-16-le")), SPEC.with_(encoding="utf-8")
    )
    assert "is not valid utf-8 text" in wrong and "Check PanelSpec.encoding" in wrong


def test_bad_options_fail_before_reading():
    bad_options = [
        {"max_value": 0}, {"max_value": float("nan")}, {"code_width": 0},
        {"code_width": {"region": 2}}, {"code_width": True}, {"encoding": "tcvn3"},
    ]  # fmt: skip
    for bad in bad_options:
        with pytest.raises(SkillcastConfigError):
            PanelSpec(**bad)  # type: ignore[arg-type]


# -- anything at all ----------------------------------------------------------------

NAMES = ["sector", "occupation", "period", "employment", "x"]
FUZZ_SPEC = st.builds(
    PanelSpec,
    keys=st.just(("sector", "occupation")),
    freq=st.sampled_from(["annual", "annual", "semiannual", "quarterly"]),
    known_exog=st.just(("x",)),
    gaps=st.sampled_from(["error", "zero", "missing"]),
    taxonomies=st.sampled_from([None, {}]),
    code_width=st.sampled_from([None, 2, {"occupation": 4}]),
    encoding=st.sampled_from([None, None, "cp1258", "utf-16"]),
)
WORDS = ["H52", "C26", "8343", "01", " 01", "2024", "2024-H1", "2024Q3", "2024-07", "01/07/2024",
         HAI_PHONG, HAI_PHONG_NFD, "1.250", "1.250,5", "", " ", "nan", "inf", "True"]  # fmt: skip
CELL = st.one_of(
    st.sampled_from(WORDS),
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.datetimes(),
    st.complex_numbers(max_magnitude=10),
)


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    names = draw(
        st.one_of(
            st.just(NAMES),
            st.permutations(NAMES),
            st.lists(st.sampled_from([*NAMES, "other", 0]), max_size=7),
        )
    )
    n_rows = draw(st.integers(0, 6))
    columns = []
    for _ in names:
        values = draw(st.lists(CELL, min_size=n_rows, max_size=n_rows))
        as_object = draw(st.booleans())
        try:
            columns.append(pd.Series(values, dtype=object if as_object else None))
        except (TypeError, ValueError, OverflowError):
            columns.append(pd.Series(values, dtype=object))
    df = pd.concat(columns, axis=1, ignore_index=True) if columns else pd.DataFrame()
    df.columns = names
    return df


@st.composite
def near_valid_frames(draw: st.DrawFn) -> pd.DataFrame:
    """A valid panel of two series with a few cells, or one column's type, spoiled."""
    periods = ["2020", "2021", "2022", "2023"]
    df = pd.DataFrame(
        {
            "sector": ["H52"] * 4 + ["C26"] * 4,
            "occupation": ["8343"] * 4 + ["8212"] * 4,
            "period": periods * 2,
            "employment": np.arange(8, dtype=float),
            "x": np.linspace(-1.0, 1.0, 8),
        }
    )
    for _ in range(draw(st.integers(0, 3))):
        column = draw(st.sampled_from(NAMES))
        df[column] = df[column].astype(object)
        df.loc[draw(st.integers(0, 7)), column] = draw(CELL)
    retype = draw(st.sampled_from([None, "object", "int", "bool", "category", "str"]))
    column = draw(st.sampled_from(NAMES))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # casting complex cells to int warns
        try:
            if retype == "int":
                df[column] = pd.to_numeric(df[column], errors="coerce").fillna(0).astype(int)
            elif retype is not None:
                df[column] = df[column].astype(retype)
        except (TypeError, ValueError, OverflowError):
            pass
    return df


def loads_or_refuses(data: object, spec: PanelSpec) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SkillcastDataWarning)
        try:
            load_panel(data, spec)  # type: ignore[arg-type]
        except SkillcastDataError:
            pass


@settings(max_examples=200, deadline=None)
@given(df=st.one_of(frames(), near_valid_frames()), spec=FUZZ_SPEC)
def test_any_frame_loads_or_is_refused(df, spec):
    before = df.copy()
    loads_or_refuses(df, spec)
    pd.testing.assert_frame_equal(df, before)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    content=st.binary(max_size=400),
    suffix=st.sampled_from([".csv", ".parquet", ".csv.gz", ".txt"]),
    spec=FUZZ_SPEC,
)
def test_any_bytes_load_or_are_refused(tmp_path_factory, content, suffix, spec):
    path = tmp_path_factory.getbasetemp() / f"fuzz{suffix}"
    path.write_bytes(content)
    loads_or_refuses(path, spec)


@settings(max_examples=200, deadline=None)
@given(
    header=st.lists(st.sampled_from([*NAMES, "other", " sector", "x"]), min_size=1, max_size=7),
    rows=st.lists(
        st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=5)), max_size=8), max_size=6
    ),
    sep=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1258", "latin-1"]),
    spec=FUZZ_SPEC,
)
def test_any_csv_text_loads_or_is_refused(tmp_path_factory, header, rows, sep, encoding, spec):
    text = "\n".join(sep.join(line) for line in [header, *rows])
    try:
        content = text.encode(encoding)
    except UnicodeEncodeError:
        assume(False)
    path = tmp_path_factory.getbasetemp() / "fuzz_text.csv"
    path.write_bytes(content)
    loads_or_refuses(path, spec)
