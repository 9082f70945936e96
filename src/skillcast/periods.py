"""Reporting periods: frequencies, parsing of period labels, positions on a grid.

Semi-annual periods (the statutory reporting cycle) are pandas ``Period`` objects of
frequency ``6M`` starting in January or July; their labels read ``2024-H1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


@dataclass(frozen=True)
class ParsedPeriods:
    """Result of :func:`parse_periods`: the periods, and which inputs failed."""

    periods: pd.Series  # dtype period[freq]; NaT where unparseable or not on the grid
    unparseable: np.ndarray  # bool mask: the text is no period at all
    off_grid: np.ndarray  # bool mask: a period, but not one of this frequency


def parse_periods(values: pd.Series, freq: Frequency) -> ParsedPeriods:
    """Parse period labels of any accepted form into Periods of ``freq``.

    Accepted: ``2024``; ``2024-H1``/``2024H1``/``2024S1``; ``2024Q3``; ``2024-07``;
    ISO dates and timestamps; pandas Periods. A label finer than ``freq`` (a month for a
    semi-annual panel) is off-grid unless it is the first month of a period (``2024-07``
    for ``2024-H2``); a label coarser than ``freq`` (a year for a quarterly panel) is
    off-grid. Work is done per distinct label, so long panels parse fast.
    """
    values = pd.Series(values)
    # parse each distinct label once, then broadcast by its factor code
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if isinstance(values.dtype, pd.PeriodDtype):
        # already Periods: only their frequency can be wrong
        fits_freq = _period_fits(values.dtype.freq, freq)
        parsed: list[tuple[str | None, bool]] = [
            (_to_month(p.start_time), fits_freq) for p in uniques
        ]
    else:
        parsed = [_parse_one(text, freq) if (text := _normalise_text(u)) else (None, False)
                  for u in uniques]  # fmt: skip
    known = np.array([m is not None for m, _ in parsed] + [False])
    fits = np.array([f for _, f in parsed] + [False], dtype=bool)
    ok_unique = known & fits
    ordinals = np.full(len(parsed) + 1, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    if ok_unique.any():
        months = [m for (m, _), ok in zip(parsed, ok_unique[:-1], strict=True) if ok]
        ordinals[np.flatnonzero(ok_unique)] = pd.PeriodIndex(months, freq=freq.pandas_freq).asi8
    unparseable = ~known[codes]
    off_grid = known[codes] & ~fits[codes]
    dtype = pd.PeriodDtype(freq.pandas_freq)
    periods = pd.Series(pd.arrays.PeriodArray(ordinals[codes], dtype=dtype), index=values.index)
    return ParsedPeriods(periods, unparseable, off_grid)


def _normalise_text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
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


def _parse_one(text: str, freq: Frequency) -> tuple[str | None, bool]:
    """Return (first month ``YYYY-MM`` of the period the text names, fits ``freq``)."""
    if m := _YEAR.match(text):
        return f"{m[1]}-01", freq.name == "annual"
    if m := _HALF.match(text):
        return f"{m[1]}-{1 if m[2] == '1' else 7:02d}", freq.name == "semiannual"
    if m := _QUARTER.match(text):
        return f"{m[1]}-{3 * int(m[2]) - 2:02d}", freq.name == "quarterly"
    if m := _MONTH.match(text):
        month = int(m[2])
        if not 1 <= month <= 12:
            return None, False
        return f"{m[1]}-{month:02d}", (month - 1) % freq.months == 0
    try:
        stamp = pd.Timestamp(text)
    except (ValueError, TypeError):
        return None, False
    if pd.isna(stamp):
        return None, False
    # reporting systems stamp a period by its first or its last day alike, so a date
    # names the period it falls in
    first_month = (stamp.month - 1) // freq.months * freq.months + 1
    return f"{stamp.year:04d}-{first_month:02d}", True
