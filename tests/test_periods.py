from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, check_period_format, frequency, parse_periods


@pytest.mark.parametrize(
    ("text", "freq", "expected"),
    [
        ("2024", "annual", "2024"),
        (2024, "annual", "2024"),
        ("2024-H1", "semiannual", "2024-H1"),
        ("2024H2", "semiannual", "2024-H2"),
        ("2024S1", "semiannual", "2024-H1"),
        ("2024s2", "semiannual", "2024-H2"),
        ("2024-07", "semiannual", "2024-H2"),
        ("2024-12-31", "semiannual", "2024-H2"),
        ("2024-06-05", "semiannual", "2024-H1"),
        ("2024Q3", "quarterly", "2024Q3"),
        ("2024-Q1", "quarterly", "2024Q1"),
        ("2024-10", "quarterly", "2024Q4"),
        ("2024-07", "monthly", "2024-07"),
        ("2024-07-15", "monthly", "2024-07"),
        ("2024-07-15T10:00:00", "monthly", "2024-07"),
    ],
)
def test_every_accepted_form_parses_to_its_period(text, freq, expected):
    f = frequency(freq)
    parsed = parse_periods(pd.Series([text]), f)
    assert not parsed.unparseable[0] and not parsed.off_grid[0]
    assert f.label(parsed.periods.iloc[0]) == expected
    assert parsed.periods.dtype == pd.PeriodDtype(f.pandas_freq)


@pytest.mark.parametrize(
    ("text", "freq"),
    [("2024", "quarterly"), ("2024-H1", "annual"), ("2024Q3", "semiannual"),
     ("2024-04", "semiannual"), ("2024-02", "quarterly"), ("2024-H1", "monthly")],
)  # fmt: skip
def test_a_period_of_another_frequency_is_off_grid(text, freq):
    parsed = parse_periods(pd.Series([text]), frequency(freq))
    assert parsed.off_grid[0] and not parsed.unparseable[0]


@pytest.mark.parametrize("text", ["junk", "2024-13", "20240", "H1-2024", ""])
def test_garbage_is_unparseable(text):
    parsed = parse_periods(pd.Series([text]), frequency("semiannual"))
    assert parsed.unparseable[0]


def test_period_dtype_input_is_checked_by_its_frequency():
    quarters = pd.Series(pd.PeriodIndex(["2024Q1", "2024Q2"], freq="Q"))
    assert not parse_periods(quarters, frequency("Q")).off_grid.any()
    assert parse_periods(quarters, frequency("6M")).off_grid.all()


def test_semiannual_arithmetic_and_labels():
    f = frequency("6M")
    periods = f.range(pd.Period("2024-07", "6M"), pd.Period("2025-07", "6M"))
    assert list(f.labels(periods)) == ["2024-H2", "2025-H1", "2025-H2"]
    assert list(f.season(periods)) == [2, 1, 2]
    assert list(f.steps(periods, periods[0])) == [0, 1, 2]
    assert f.season_length == 2


def test_unknown_frequency_is_a_config_error():
    with pytest.raises(SkillcastConfigError, match="Unknown frequency 'weekly'"):
        frequency("weekly")


# -- every documented form, for random periods ----------------------------------------

FREQS = st.sampled_from(["annual", "semiannual", "quarterly", "monthly"])
# Timestamps (one of the forms) span 1677-2262
POSITIONS = st.integers(0, 12 * 540 - 1).map(lambda months: (1700 + months // 12, months % 12 + 1))


def documented_forms(freq: Frequency, period: pd.Period) -> list[object]:
    """Each way the parser's docstring says ``period`` may be written, undeclared."""
    year, month = period.year, period.start_time.month
    start, end = period.start_time, period.end_time
    forms: list[object] = [
        freq.label(period), f"{year}-{month:02d}", f"{year}-{month}", period, start, end,
        start.date(), start.date().isoformat(), f"{end.date().isoformat()}T23:59:59",
        f"{end.date().isoformat()} 00:00:00", start.to_datetime64(),
    ]  # fmt: skip
    half, quarter = (month - 1) // 6 + 1, (month - 1) // 3 + 1
    forms += {
        "annual": [str(year), year, float(year), np.int64(year)],
        "semiannual": [f"{year}H{half}", f"{year}S{half}", f"{year}-s{half}", f"{year}h{half}"],
        "quarterly": [f"{year}-Q{quarter}", f"{year}q{quarter}"],
        "monthly": [],
    }[freq.name]
    return forms


@settings(max_examples=200, deadline=None)
@given(name=FREQS, position=POSITIONS)
def test_every_documented_form_round_trips(name, position):
    freq = frequency(name)
    year, month = position
    period = containing(date(year, month, 1), freq)
    forms = [*documented_forms(freq, period), *freq.labels(pd.PeriodIndex([period]))]
    parsed = parse_periods(pd.Series(forms, dtype=object), freq)
    assert not parsed.unparseable.any() and not parsed.off_grid.any(), forms
    assert (parsed.periods == period).all()
    assert freq.label(parsed.periods.iloc[0]) == freq.label(period)
    # a column of one form only takes each form's own path (e.g. Period dtype)
    for form in forms:
        one = parse_periods(pd.Series([form]), freq)
        assert one.periods.iloc[0] == period, form


def containing(day: date, freq: Frequency) -> pd.Period:
    first_month = (day.month - 1) // freq.months * freq.months + 1
    return pd.Period(f"{day.year}-{first_month:02d}", freq.pandas_freq)


@settings(max_examples=200, deadline=None)
@given(
    name=FREQS,
    day=st.dates(date(1000, 1, 1), date(9999, 12, 31)),
    sep=st.sampled_from("/.-"),
    padded=st.booleans(),
)
def test_day_first_dates_map_to_the_period_containing_them(name, day, sep, padded):
    freq = frequency(name)
    d, m = (f"{day.day:02d}", f"{day.month:02d}") if padded else (str(day.day), str(day.month))
    text = f"{d}{sep}{m}{sep}{day.year:04d}"
    for fmt in ("dayfirst", f"%d{sep}%m{sep}%Y"):
        parsed = parse_periods(pd.Series([text, f" {text} "]), freq, fmt)
        assert not parsed.unparseable.any() and not parsed.off_grid.any()
        assert (parsed.periods == containing(day, freq)).all()
    undeclared = parse_periods(pd.Series([text]), freq)
    assert undeclared.unparseable[0] and undeclared.ambiguous[0]


@pytest.mark.parametrize(
    ("freq", "expected"),
    [("semiannual", "2024-H2"), ("quarterly", "2024Q3"), ("monthly", "2024-07"),
     ("annual", "2024")],
)  # fmt: skip
def test_first_of_july_under_each_frequency(freq, expected):
    f = frequency(freq)
    written = [
        ("01/07/2024", "%d/%m/%Y"),
        ("1/7/2024", "%d/%m/%Y"),
        ("01.07.2024", "%d.%m.%Y"),
        ("01-07-2024", "%d-%m-%Y"),
        ("1.7.2024", "dayfirst"),
        ("31-07-2024", "dayfirst"),
    ]
    for text, fmt in written:
        parsed = parse_periods(pd.Series([text]), f, fmt)
        assert f.label(parsed.periods.iloc[0]) == expected, (text, fmt)


def test_a_month_format_names_a_month_that_must_start_a_period():
    parsed = parse_periods(pd.Series(["07/2024", "08/2024", "7/2024"]), frequency("6M"), "%m/%Y")
    assert list(parsed.off_grid) == [False, True, False]
    assert frequency("6M").label(parsed.periods.iloc[0]) == "2024-H2"
    years = parse_periods(pd.Series(["2024"]), frequency("Q"), "%Y")
    assert years.off_grid[0]


@pytest.mark.parametrize(
    "text",
    ["2024/06", "06/2024", "01/07/2024", "2024.1", "2024.5", 2024.5, "2024/07/01", "20240701"],
)
def test_forms_that_read_more_than_one_way_are_ambiguous(text):
    parsed = parse_periods(pd.Series([text], dtype=object), frequency("6M"))
    assert parsed.unparseable[0] and parsed.ambiguous[0]


@pytest.mark.parametrize("text", ["2024-H1", "2024-07-01", "2024", "1/7/24", "2024-6", "junk"])
def test_a_declared_format_refuses_every_other_text(text):
    parsed = parse_periods(pd.Series([text]), frequency("monthly"), "%d/%m/%Y")
    assert parsed.unparseable[0] and not parsed.ambiguous[0]
    stamps = pd.Series([pd.Timestamp("2024-07-01"), pd.Period("2024-07", "M")], dtype=object)
    assert not parse_periods(stamps, frequency("monthly"), "%d/%m/%Y").unparseable.any()


@pytest.mark.parametrize("fmt", ["%d/%Y", "%Q/%Y", "dd/mm/yyyy", "", "%H:%M", 7])
def test_a_period_format_that_cannot_name_a_period_is_a_config_error(fmt):
    with pytest.raises(SkillcastConfigError, match="PanelSpec.period_format="):
        check_period_format(fmt)
    assert check_period_format(" DayFirst ") == "dayfirst"
