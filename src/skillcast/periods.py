"""Reporting periods: frequencies, parsing of period labels, positions on a grid.

Semi-annual periods (the statutory reporting cycle) are pandas ``Period`` objects of
frequency ``6M`` starting in January or July; their labels read ``2024-H1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError


@dataclass(frozen=True)
class Frequency:
    """One supported reporting frequency."""

    name: str  # canonical name: annual, semiannual, quarterly, monthly
    pandas_freq: str  # the pandas Period frequency
    months: int  # months per period
    season_length: int  # periods per year

    def label(self, period: pd.Period) -> str:
        """Human label of a period: ``2024``, ``2024-H1``, ``2024Q3`` or ``2024-07``."""
        if self.name == "annual":
            return f"{period.year}"
        if self.name == "semiannual":
            return f"{period.year}-H{1 if period.month <= 6 else 2}"
        if self.name == "quarterly":
            return f"{period.year}Q{period.quarter}"
        return f"{period.year}-{period.month:02d}"

    def labels(self, periods: pd.PeriodIndex | pd.Series) -> np.ndarray:
        """Vectorised :meth:`label` (object array of strings)."""
        idx = pd.PeriodIndex(periods)
        year = idx.year.astype(str)
        if self.name == "annual":
            out = year
        elif self.name == "semiannual":
            out = year + "-H" + np.where(idx.month <= 6, "1", "2")
        elif self.name == "quarterly":
            out = year + "Q" + idx.quarter.astype(str)
        else:
            out = year + "-" + pd.Index(idx.month).map("{:02d}".format)
        return np.asarray(out, dtype=object)

    def season(self, periods: pd.PeriodIndex) -> np.ndarray:
        """Position within the year, 1-based (half-year, quarter or month; 1 for annual)."""
        idx = pd.PeriodIndex(periods)
        return np.asarray((idx.month - 1) // self.months + 1, dtype=np.int64)

    def steps(self, periods: pd.PeriodIndex | pd.Series, origin: pd.Period) -> np.ndarray:
        """Whole periods from ``origin`` to each period (int64, may be negative)."""
        ordinals = pd.PeriodIndex(periods).asi8
        return (ordinals - origin.ordinal) // self._ordinal_step

    def range(self, start: pd.Period, end: pd.Period) -> pd.PeriodIndex:
        """All periods from ``start`` to ``end`` inclusive."""
        return pd.period_range(start, end, freq=self.pandas_freq)

    @property
    def _ordinal_step(self) -> int:
        # pandas counts ordinals of a "6M" period in months, every other freq in its own unit
        return 6 if self.name == "semiannual" else 1


FREQUENCIES: dict[str, Frequency] = {
    "annual": Frequency("annual", "Y", 12, 1),
    "semiannual": Frequency("semiannual", "6M", 6, 2),
    "quarterly": Frequency("quarterly", "Q", 3, 4),
    "monthly": Frequency("monthly", "M", 1, 12),
}

_ALIASES = {
    "annual": "annual", "a": "annual", "y": "annual", "ys": "annual", "ye": "annual",
    "yearly": "annual", "year": "annual",
    "semiannual": "semiannual", "semi-annual": "semiannual", "6m": "semiannual",
    "6me": "semiannual",
    "h": "semiannual", "s": "semiannual", "half-yearly": "semiannual",
    "quarterly": "quarterly", "q": "quarterly", "qs": "quarterly", "qe": "quarterly",
    "monthly": "monthly", "m": "monthly", "ms": "monthly", "me": "monthly",
}  # fmt: skip


def frequency(name: str | Frequency) -> Frequency:
    """Resolve a frequency name or alias (``"6M"``, ``"Q"``, ``"annual"``...)."""
    if isinstance(name, Frequency):
        return name
    key = _ALIASES.get(str(name).strip().lower())
    if key is None:
        raise SkillcastConfigError(
            f"Unknown frequency {name!r}. Use one of annual, semiannual, quarterly, monthly "
            f"(aliases: Y, 6M/H, Q, M)."
        )
    return FREQUENCIES[key]


_YEAR = re.compile(r"^(\d{4})$")
_HALF = re.compile(r"^(\d{4})-?[HS]([12])$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})([T ]\S.*)?$")
# numbers joined by / . or -, or a bare yyyymm / yyyymmdd: a date whose reading depends
# on a convention (day or month first; 2024.1 a month or a half-year?)
_DATE_LIKE = re.compile(r"^(?:\d{1,4}[./-]\d{1,4}(?:[./-]\d{1,4})?(?:[T ]\S.*)?|\d{6}|\d{8})$")
DAYFIRST = "dayfirst"
_DAYFIRST = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4})$")
_PROBE = datetime(2024, 7, 15, 10, 30, 45)


@dataclass(frozen=True)
class ParsedPeriods:
    """Result of :func:`parse_periods`: the periods, and which inputs failed."""

    periods: pd.Series  # dtype period[freq]; NaT where unparseable or not on the grid
    unparseable: np.ndarray  # bool mask: the text is no period at all (or not the declared form)
    off_grid: np.ndarray  # bool mask: a period, but not one of this frequency
    # bool mask, within ``unparseable``: a date in a form that needs a declared
    # ``period_format`` to be read (01/07/2024, 2024/06, 2024.1); always False when a
    # format is declared
    ambiguous: np.ndarray


class _Reading(NamedTuple):
    month: str | None  # first month ``YYYY-MM`` of the period named; None: unreadable
    fits: bool  # the period is one of the panel's frequency
    ambiguous: bool = False


_UNREADABLE = _Reading(None, False)
_AMBIGUOUS = _Reading(None, False, True)


def parse_periods(
    values: pd.Series, freq: Frequency, period_format: str | None = None
) -> ParsedPeriods:
    """Parse period labels into Periods of ``freq``.

    Accepted without a declared ``period_format``:

    - ``2024`` (also the integer 2024): a year.
    - ``2024-H1``, ``2024H1``, ``2024S1``: a half-year.
    - ``2024Q3``, ``2024-Q3``: a quarter.
    - ``2024-07``, ``2024-7``: a month.
    - ISO dates ``2024-07-01`` (a time may follow: ``2024-07-01T08:00:00``), pandas
      Timestamps and datetimes: the period that contains the date.
    - pandas Periods of the panel's frequency.

    A year, half-year, quarter or month label must be a period of ``freq``, or a month
    that starts one (``2024-07`` is ``2024-H2``); other labels are off-grid. Anything
    else is refused: dates written with ``/`` or ``.`` (``01/07/2024``, ``2024/06``,
    ``06/2024``, ``2024.1``) could be read more than one way and are marked ambiguous.

    With ``period_format`` declared, every text value must be written in that form
    (Periods and Timestamps are still accepted as they are):

    - ``"dayfirst"``: ``01/07/2024``, ``1/7/2024``, ``01.07.2024``, ``01-07-2024``
      (day, month, four-digit year; one of ``/ . -`` between them).
    - a strftime pattern: ``"%d/%m/%Y"`` (takes ``1/7/2024`` too), ``"%d.%m.%Y"``,
      ``"%d-%m-%Y"``, ``"%m/%Y"``, ``"%Y"``...

    A date maps to the period that contains it (1 July 2024: ``2024-H2``, ``2024Q3``,
    ``2024-07``, ``2024``); a format without a day names a month (or a year), which must
    start a period of ``freq`` as above. Work is done per distinct value, so long panels
    parse fast.
    """
    fmt = check_period_format(period_format) if period_format is not None else None
    values = pd.Series(values)
    # parse each distinct label once, then broadcast by its factor code
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if isinstance(values.dtype, pd.PeriodDtype):
        # already Periods: only their frequency can be wrong
        fits_freq = _period_fits(values.dtype.freq, freq)
        parsed = [_Reading(_to_month(p.start_time), fits_freq) for p in uniques]
    else:
        parsed = [_parse_value(u, freq, fmt) for u in uniques]
    known = np.array([r.month is not None for r in parsed] + [False])
    fits = np.array([r.fits for r in parsed] + [False], dtype=bool)
    ambiguous = np.array([r.ambiguous for r in parsed] + [False], dtype=bool)
    ok_unique = known & fits
    ordinals = np.full(len(parsed) + 1, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    if ok_unique.any():
        months = [r.month for r, ok in zip(parsed, ok_unique[:-1], strict=True) if ok]
        ordinals[np.flatnonzero(ok_unique)] = pd.PeriodIndex(months, freq=freq.pandas_freq).asi8
    unparseable = ~known[codes]
    off_grid = known[codes] & ~fits[codes]
    dtype = pd.PeriodDtype(freq.pandas_freq)
    periods = pd.Series(pd.arrays.PeriodArray(ordinals[codes], dtype=dtype), index=values.index)
    return ParsedPeriods(periods, unparseable, off_grid, ambiguous[codes])


def check_period_format(period_format: object) -> str:
    """``period_format`` as :func:`parse_periods` takes it; a
    :class:`~skillcast.errors.SkillcastConfigError` if it cannot name a period."""
    if not isinstance(period_format, str):
        problem: str | None = "is not text"
    elif period_format.strip().lower() == DAYFIRST:
        return DAYFIRST
    else:
        problem = _format_problem(period_format)
    if problem or not isinstance(period_format, str):
        raise SkillcastConfigError(
            f"PanelSpec.period_format={period_format!r} {problem}. Give a strftime pattern "
            "naming the year, month and day as the period column writes them (e.g. "
            "PanelSpec.period_format='%d/%m/%Y' for 01/07/2024 or 1/7/2024, "
            "PanelSpec.period_format='%d.%m.%Y', PanelSpec.period_format='%m/%Y'), or "
            "PanelSpec.period_format='dayfirst' for dd/mm/yyyy with / . or - between."
        )
    return period_format


def _format_problem(fmt: str) -> str | None:
    if "%" not in fmt:
        return "is not a strftime pattern"
    try:
        # a pattern that cannot read back what it writes cannot read the column either
        back = datetime.strptime(_PROBE.strftime(fmt), fmt)
    except ValueError as exc:
        return f"is not a valid strftime pattern ({exc})"
    resolution = _resolution(fmt)
    wanted = {"year": 1, "month": 2, "day": 3}[resolution]
    got = (back.year, back.month, back.day)
    if got[:wanted] != (_PROBE.year, _PROBE.month, _PROBE.day)[:wanted]:
        return "does not name a year (with its month, if it names a day)"
    return None


def _resolution(fmt: str) -> str:
    directives = set(re.findall(r"%[-#]?(.)", fmt.replace("%%", "")))
    if directives & {"d", "j", "e"}:
        return "day"
    if directives & {"m", "b", "B", "h"}:
        return "month"
    return "year"


def _parse_value(value: object, freq: Frequency, fmt: str | None) -> _Reading:
    if isinstance(value, pd.Period):
        return _Reading(_to_month(value.start_time), _period_fits(value.freq, freq))
    if isinstance(value, date | np.datetime64):
        stamp = pd.Timestamp(value)
        # reporting systems stamp a period by its first or its last day alike, so a date
        # names the period it falls in
        return _containing(stamp.year, stamp.month, freq)
    text = _normalise_text(value)
    if text is None:
        return _UNREADABLE
    if fmt is None:
        return _parse_label(text, freq)
    if fmt == DAYFIRST:
        return _parse_dayfirst(text, freq)
    return _parse_format(text, freq, fmt)


def _normalise_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None


def _to_month(stamp: pd.Timestamp) -> str:
    return f"{stamp.year:04d}-{stamp.month:02d}"


def _period_fits(source_freq: object, freq: Frequency) -> bool:
    try:
        freqstr = str(getattr(source_freq, "freqstr", source_freq))
        return frequency(freqstr.split("-")[0]).name == freq.name  # "Q-DEC" -> "Q"
    except SkillcastConfigError:
        return False


def _containing(year: int, month: int, freq: Frequency) -> _Reading:
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return _UNREADABLE
    first_month = (month - 1) // freq.months * freq.months + 1
    return _Reading(f"{year:04d}-{first_month:02d}", True)


def _starting(year: int, month: int, freq: Frequency) -> _Reading:
    """A month label: on the grid only if it is the first month of a period."""
    if not (1 <= year <= 9999 and 1 <= month <= 12):
        return _UNREADABLE
    return _Reading(f"{year:04d}-{month:02d}", (month - 1) % freq.months == 0)


def _parse_label(text: str, freq: Frequency) -> _Reading:
    """One of the forms read without a declared format (see :func:`parse_periods`)."""
    if m := _YEAR.match(text):
        year = int(m[1])
        return _Reading(f"{m[1]}-01", freq.name == "annual") if year else _UNREADABLE
    if m := _HALF.match(text):
        return _Reading(f"{m[1]}-{1 if m[2] == '1' else 7:02d}", freq.name == "semiannual")
    if m := _QUARTER.match(text):
        return _Reading(f"{m[1]}-{3 * int(m[2]) - 2:02d}", freq.name == "quarterly")
    if m := _MONTH.match(text):
        return _starting(int(m[1]), int(m[2]), freq)
    if m := _ISO_DATE.match(text):
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
            if m[4] and pd.isna(pd.Timestamp(text)):  # the time after the date must be one too
                return _UNREADABLE
        except (ValueError, TypeError, OverflowError):
            return _UNREADABLE
        return _containing(day.year, day.month, freq)
    return _AMBIGUOUS if _DATE_LIKE.match(text) else _UNREADABLE


def _parse_dayfirst(text: str, freq: Frequency) -> _Reading:
    m = _DAYFIRST.match(text)
    if not m:
        return _UNREADABLE
    try:
        day = date(int(m[4]), int(m[3]), int(m[1]))
    except ValueError:
        return _UNREADABLE
    return _containing(day.year, day.month, freq)


def _parse_format(text: str, freq: Frequency, fmt: str) -> _Reading:
    try:
        stamp = datetime.strptime(text, fmt)
    except ValueError:
        return _UNREADABLE
    resolution = _resolution(fmt)
    if resolution == "day":
        return _containing(stamp.year, stamp.month, freq)
    if resolution == "month":
        return _starting(stamp.year, stamp.month, freq)
    return _Reading(f"{stamp.year:04d}-01", freq.name == "annual")
