"""Replacement rates: the share of an occupation's workers who leave it each year.

A rate counts exits from the labour force (retirement, death, disability, emigration) and
net moves to other occupations, per worker employed, per year. It excludes moves between
employers within the same occupation, which refill no net position; that is why these
rates sit below the staff turnover employers report.

:class:`ReplacementRates` holds a table ``occupation, level, rate`` (optionally ``year``)
and looks rates up by longest occupation-code prefix: VSCO/ISCO codes roll up by prefix,
so a row for ``"8"`` covers every plant and machine operator, a row for ``"83"`` overrides
it for drivers and mobile plant operators, a row for ``"8343"`` for crane operators only.
``"*"`` matches anything (level ``"*"`` is also what a panel without a level key gets).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from os import PathLike

import numpy as np
import pandas as pd

from skillcast.demand import checks, retirement
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.periods import Frequency, frequency

_HINT = (
    "A replacement-rate table has columns occupation (a code or code prefix, '*' for all), "
    "level (a level code, '*' for all), rate (annual share of workers leaving, 0..1) and "
    "optionally year; see skillcast/demand/data/README.md."
)
DEFAULT_FILE = "replacement_rates.csv"
CONVERSIONS = ("linear", "compound")


class ReplacementRates:
    """Annual replacement rates by occupation group x training level [x calendar year].

    Args:
        table: DataFrame or CSV path with columns ``occupation``, ``level``, ``rate`` and
            optionally ``year`` (blank or ``"*"`` = every year); other columns (sources,
            notes) are kept. Codes are read as text.
        source: how to name the table in error messages.

    Raises:
        SkillcastDataError: a missing column, a blank code, a rate that is not a number in
            [0, 1], a year that is not a whole number, or a repeated (occupation, level,
            year) combination; each message names the column, the count and examples.
    """

    def __init__(
        self, table: pd.DataFrame | str | PathLike[str], source: str = "replacement-rate table"
    ) -> None:
        self.source = source
        self._table = _validate(table, source)
        self._groups = _key_groups(self._table)

    # ------------------------------------------------------------------ builders
    @classmethod
    def default(cls) -> ReplacementRates:
        """The shipped assumptions (``data/replacement_rates.csv``; read its README)."""
        path = resources.files("skillcast.demand").joinpath("data", DEFAULT_FILE)
        with path.open("r", encoding="utf-8") as fh:
            table = pd.read_csv(fh, dtype={"occupation": str, "level": str})
        return cls(table, source=f"shipped {DEFAULT_FILE}")

    @classmethod
    def from_age_structure(
        cls,
        ages: pd.DataFrame | str | PathLike[str],
        base_year: int,
        years: Iterable[int] | None = None,
        years_to_retirement: float = 5.0,
        base_rate: float | ReplacementRates = 0.02,
        years_early: float = 0.0,
        female_share: float | None = None,
        ageing: bool = True,
    ) -> ReplacementRates:
        """Rates from the age structure of the workforce, one per calendar year.

        ``rate = retirement_rate(year) + base_rate``: the retirement part comes from
        :func:`skillcast.demand.retirement.retirement_rates` (the share of workers within
        ``years_to_retirement`` years of the statutory age of that year, per year of the
        window, scaled down while the age is rising); ``base_rate`` adds the other exits
        (deaths, disability, emigration, net moves to other occupations), as one number or
        looked up in a rates table. Rates are capped at 1. The table has a ``year`` column,
        so the retirement-driven part shifts over the forecast horizon.
        """
        ret = retirement.retirement_rates(
            ages, base_year, years, years_to_retirement, years_early, female_share, ageing
        )
        if isinstance(base_rate, ReplacementRates):
            ret["base_rate"] = base_rate.annual(
                ret["occupation"], ret["level"], ret["year"].to_numpy()
            )
        else:
            flat = float(base_rate)
            if not 0.0 <= flat <= 1.0:
                raise SkillcastConfigError(f"base_rate must be in [0, 1], got {base_rate!r}")
            ret["base_rate"] = flat
        ret["rate"] = np.minimum(ret["retirement_rate"] + ret["base_rate"], 1.0)
        return cls(ret, source="age-structure estimate")

    # ------------------------------------------------------------------ look-ups
    @property
    def table(self) -> pd.DataFrame:
        """A copy of the validated table (``year`` is ``Int64``, NA = every year)."""
        return self._table.drop(columns=["_plen", "_lwild", "_ywild"]).copy()

    @property
    def years(self) -> tuple[int, int] | None:
        """First and last calendar year with year-specific rates, or None."""
        explicit = self._table.loc[~self._table["_ywild"], "year"]
        return None if explicit.empty else (int(explicit.min()), int(explicit.max()))

    def annual(
        self,
        occupation: Iterable[object],
        level: Iterable[object] | None = None,
        year: Iterable[int] | np.ndarray | None = None,
    ) -> np.ndarray:
        """Annual rate for each (occupation, level, year) triple (float64 array).

        The most specific row wins: the longest occupation prefix, then an exact level over
        ``"*"``, then an exact year over every-year. Years outside the table's year range
        take the nearest year's rates. ``level=None`` (a panel without levels) matches only
        ``"*"`` rows; so does an occupation of ``""``.

        Raises:
            SkillcastDataError: some triples match no row (add a ``"*"`` row).
        """
        occ = pd.Series(list(occupation), dtype=object).astype(str).str.strip()
        n = len(occ)
        lev = (
            pd.Series([""] * n, dtype=object)
            if level is None
            else pd.Series(list(level), dtype=object).astype(str).str.strip()
        )
        yr = np.zeros(n, dtype=np.int64) if year is None else np.asarray(list(year), np.int64)
        if len(lev) != n or len(yr) != n:
            raise SkillcastConfigError("occupation, level and year must have the same length")
        span = self.years
        if span is not None:
            yr = np.clip(yr, *span)
        # look up each distinct (occupation, level, year) once, then spread back to rows
        triples = pd.MultiIndex.from_arrays([occ, lev, yr])
        codes, uniq = triples.factorize()
        u_occ = pd.Series(uniq.get_level_values(0), dtype=object)
        u_lev = pd.Series(uniq.get_level_values(1), dtype=object).astype(str)
        u_yr = pd.Series(uniq.get_level_values(2), dtype=object).astype(str)
        best = np.full(len(uniq), -1)
        found = np.full(len(uniq), np.nan)
        for (plen, lwild, ywild), have, rates in self._groups:
            prefix = u_occ.str.slice(0, plen) if plen else pd.Series("*", index=u_occ.index)
            want = prefix + "|" + ("*" if lwild else u_lev) + "|" + ("*" if ywild else u_yr)
            pos = have.get_indexer(want.to_numpy(dtype=object))
            score = int(plen) * 4 + (0 if lwild else 2) + (0 if ywild else 1)
            better = (pos >= 0) & (score > best)
            best[better] = score
            found[better] = rates[pos[better]]
        best, rate = best[codes], found[codes]
        missing = best < 0
        if missing.any():
            pairs = pd.DataFrame({"occupation": occ[missing], "level": lev[missing]})
            pairs = pairs.drop_duplicates()
            raise SkillcastDataError(
                f"{self.source}: no rate for {len(pairs)} (occupation, level) pair(s), e.g.\n"
                f"{pairs.head(5).to_string(index=False)}\n"
                "Add rows for these codes, or a catch-all row with occupation '*' and level '*'."
            )
        return rate

    def per_period(
        self,
        occupation: Iterable[object],
        level: Iterable[object] | None,
        periods: pd.Series | pd.PeriodIndex,
        freq: str | Frequency,
        conversion: str = "linear",
    ) -> np.ndarray:
        """Rate per period of ``freq`` for each row (the year of each period picks the rate).

        ``linear``: ``r * months / 12`` -- the rate is a flow (leavers per year over the
        average stock, as BLS defines separations rates) and leavers are replaced as they
        go, so half a year sees half the leavers. ``compound``: ``1 - (1 - r) ** (months /
        12)`` -- the share of a fixed group still gone after the period, for users whose
        rates come from cohort survival.
        """
        if conversion not in CONVERSIONS:
            raise SkillcastConfigError(
                f"conversion must be one of {CONVERSIONS}, got {conversion!r}"
            )
        years = pd.PeriodIndex(periods).year.to_numpy()
        annual = self.annual(occupation, level, years)
        fraction = frequency(freq).months / 12.0
        if conversion == "linear":
            return annual * fraction
        return 1.0 - (1.0 - annual) ** fraction

    def __len__(self) -> int:
        return len(self._table)

    def __repr__(self) -> str:
        span = self.years
        years = f", years {span[0]}..{span[1]}" if span else ""
        return f"ReplacementRates({len(self)} rows from {self.source}{years})"


def _validate(table: pd.DataFrame | str | PathLike[str], what: str) -> pd.DataFrame:
    frame = checks.read_table(table, what, ("occupation", "level", "year"))
    checks.require_columns(frame, what, ("occupation", "level", "rate"), _HINT)
    out = frame.copy()
    out["occupation"] = checks.code_column(frame, what, "occupation")
    out["level"] = checks.code_column(frame, what, "level")
    out["rate"] = checks.number_column(
        frame, what, "rate", 0.0, 1.0,
        "Rates are annual shares of workers leaving, between 0 and 1 (write 4% as 0.04).",
    )  # fmt: skip
    if "year" in frame.columns:
        raw = frame["year"].astype(object)
        wild = raw.isna().to_numpy() | (raw.astype(str).str.strip().isin(["", "*"])).to_numpy()
        years = pd.to_numeric(raw.where(~wild), errors="coerce")
        bad = ~wild & ~(years.notna() & (years % 1 == 0)).to_numpy()
        if bad.any():
            raise checks.fail(
                frame, bad, what, "year", "are not whole years",
                "Write calendar years such as 2026, or leave blank / '*' for every year.",
            )  # fmt: skip
        out["year"] = years.astype("Int64")
    else:
        out["year"] = pd.array([pd.NA] * len(out), dtype="Int64")
    key = ["occupation", "level", "year"]
    dup = out.assign(year=out["year"].astype("float").fillna(-1)).duplicated(key, keep=False)
    if dup.any():
        raise checks.fail(
            out, dup.to_numpy(), what, "occupation", f"repeat a combination of {key}",
            "Give each occupation, level (and year) one rate: remove or merge the repeats.",
        )  # fmt: skip
    occ_wild = out["occupation"] == checks.WILDCARD
    out["_plen"] = np.where(occ_wild, 0, out["occupation"].str.len())
    out["_lwild"] = (out["level"] == checks.WILDCARD).to_numpy()
    out["_ywild"] = out["year"].isna().to_numpy()
    return out.reset_index(drop=True)


def _key_groups(table: pd.DataFrame) -> list[tuple[tuple[int, bool, bool], pd.Index, np.ndarray]]:
    """Rows grouped by (prefix length, level wildcard, year wildcard), each with an index of
    ``occupation|level|year`` keys (``*`` for wildcards) and the rates in that order."""
    year = table["year"].astype("string").fillna("*")
    keys = table["occupation"] + "|" + table["level"] + "|" + year
    groups = []
    for (plen, lwild, ywild), rows in table.groupby(["_plen", "_lwild", "_ywild"], sort=True):
        index = pd.Index(keys.loc[rows.index].to_numpy(dtype=object))
        groups.append(((int(plen), bool(lwild), bool(ywild)), index, rows["rate"].to_numpy()))
    return groups
