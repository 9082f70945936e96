import pandas as pd
import pytest

from skillcast.errors import SkillcastConfigError
from skillcast.periods import frequency, parse_periods


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
