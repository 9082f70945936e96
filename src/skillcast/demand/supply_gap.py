"""Training supply against job openings: the gap table planners act on (:func:`supply_gap`).

Like Canada's COPS, each cell (occupation x training level x period by default) compares
demand (job openings) with new supply (graduates entering the labour market) and is
classed on the ratio ``openings / supply``:

* ``shortage`` when the ratio is above ``shortage_ratio`` (1.1: openings exceed graduates
  by more than 10%), ``surplus`` when below ``surplus_ratio`` (0.9), else ``balance``;
* ``confidence`` is ``likely`` when the whole openings interval gives the same class (for
  a shortage: even the lower bound of openings exceeds ``shortage_ratio x supply``), else
  ``possible``; ``likely_shortage`` flags the likely shortages.

Zero supply: a ratio of ``inf`` when openings are positive (a shortage), and NaN when
openings are zero too (classed ``balance``: nothing to train for, nothing trained).
"""

from __future__ import annotations

from collections.abc import Sequence
from os import PathLike

import numpy as np
import pandas as pd

from skillcast import taxonomy
from skillcast.demand import checks
from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, frequency, parse_periods

_WHAT = "supply table"
CLASSES = ("shortage", "balance", "surplus")


def supply_gap(
    openings: pd.DataFrame,
    supply: pd.DataFrame | str | PathLike[str],
    by: Sequence[str] = ("occupation", "level"),
    shortage_ratio: float = 1.1,
    surplus_ratio: float = 0.9,
    level: int | None = 80,
    *,
    column: str = "openings",
    supply_column: str = "graduates",
    period: str = "period",
    freq: str | None = None,
    occupations: taxonomy.Taxonomy | None = None,
) -> pd.DataFrame:
    """Openings minus graduates per cell, classed shortage / balance / surplus.

    Args:
        openings: the frame of :func:`~skillcast.demand.job_openings` (or any frame with
            the ``by`` columns, ``period``, ``column`` and, when ``level`` is set,
            ``<column>_lower_<level>``/``<column>_upper_<level>``).
        supply: graduates by the ``by`` columns and ``period`` (DataFrame or CSV path),
            one row per cell, ``supply_column`` >= 0. Occupation codes may sit at any tier
            (a unit group ``"8343"``, a sub-major group ``"24"`` for a field of study that
            feeds several occupations) as long as no code contains another; openings are
            rolled up to each supply code's tier with the occupation taxonomy.
        by: the cell keys (summed over everything else, e.g. sectors).
        shortage_ratio, surplus_ratio: class thresholds on ``openings / supply``.
        level: the interval level whose bounds set ``confidence``; ``None`` for point
            classes only (confidence ``"no interval"``).
        column: the openings column to use (``"realised_hiring"`` for declared needs
            adjusted to realised hiring).
        supply_column, period: column names in the supply table.
        freq: the supply table's frequency when it differs from the openings' (e.g.
            ``"annual"`` graduates against semi-annual openings: openings are summed to
            years, and years the openings do not cover in full are left out).
        occupations: the taxonomy for occupation codes (default: the shipped VSCO 2020).

    Returns:
        One row per cell and period: the ``by`` columns, ``period``, ``openings``,
        ``openings_lower``, ``openings_upper``, ``supply``, ``gap`` (openings - supply),
        ``gap_lower``, ``gap_upper``, ``ratio``, ``ratio_lower``, ``ratio_upper``,
        ``gap_class``, ``confidence``, ``assessment`` (e.g. ``"likely shortage"``),
        ``likely_shortage`` and Vietnamese/English names (``occupation_name_vi``,
        ``occupation_name_en``, ``level_name_vi``, ``level_name_en``) for the occupation
        and level keys. Sorted by period, then gap, largest shortage first. Cells are the
        occupation groups and levels the supply table covers, in the periods both tables
        cover in full; openings outside them (L0 when no graduates are listed there) are
        left out and totalled in ``attrs["openings_not_covered"]``; a cell missing on one
        side counts 0 there (no graduates listed, or no openings forecast).

    Raises:
        SkillcastConfigError: bad thresholds, unknown columns, a finer supply frequency.
        SkillcastDataError: an invalid supply table (missing columns, blank or unknown
            codes, overlapping occupation codes, bad periods, negative or non-numeric
            graduates, repeated cells).
    """
    by = [by] if isinstance(by, str) else list(by)
    if not 0 < surplus_ratio < shortage_ratio:
        raise SkillcastConfigError(
            f"Need 0 < surplus_ratio < shortage_ratio, got {surplus_ratio} and {shortage_ratio}."
        )
    bounds = _bound_columns(openings, column, level)
    needed = [*by, period, column, *[b for b in bounds if b]]
    absent = [c for c in needed if c not in openings.columns]
    if absent:
        raise SkillcastConfigError(f"The openings frame lacks column(s) {absent}.")
    open_freq = _frequency_of(openings[period])
    sup_freq = frequency(freq) if freq is not None else open_freq
    if sup_freq.months % open_freq.months:
        raise SkillcastConfigError(
            f"The supply table is {sup_freq.name} and the openings {open_freq.name}: sum the "
            f"supply to {open_freq.name} periods (or coarser) first."
        )
    occ_tax = occupations if occupations is not None else taxonomy.occupations()
    sup = _read_supply(supply, by, period, supply_column, sup_freq, occ_tax)

    dem = openings.loc[:, needed].copy()
    dem.columns = [
        *by,
        period,
        "openings",
        *(["openings_lower", "openings_upper"] if level is not None else []),
    ]
    for key in by:
        dem[key] = dem[key].astype(str).str.strip()
    if "occupation" in by:
        dem["occupation"] = _align_occupations(dem["occupation"], sup["occupation"], occ_tax)
    dem[period], complete = _to_supply_periods(dem[period], sup_freq, open_freq)
    values = [c for c in dem.columns if c.startswith("openings")]
    total = float(dem["openings"].sum())
    covered = dem[period].isin(complete) & dem[period].isin(set(sup[period]))
    for key in by:  # occupation codes were aligned to the supply's codes above
        covered &= dem[key].isin(set(sup[key]))
    dem = dem.loc[covered].groupby([*by, period], sort=False, as_index=False)[values].sum()
    sup = sup.loc[sup[period].isin(dem[period].unique())]

    cells = dem.merge(sup.rename(columns={supply_column: "supply"}), on=[*by, period], how="outer")
    cells[values] = cells[values].fillna(0.0)
    cells["supply"] = cells["supply"].fillna(0.0)
    if level is None:
        cells["openings_lower"] = np.nan
        cells["openings_upper"] = np.nan
    out = _classify(cells, shortage_ratio, surplus_ratio, has_interval=level is not None)
    out = _with_names(out, by, occ_tax)
    out = out.sort_values([period, "gap", *by], ascending=[True, False, *[True] * len(by)])
    out = out.reset_index(drop=True)
    out.attrs.update(
        openings_not_covered=total - float(dem["openings"].sum()),
        shortage_ratio=shortage_ratio,
        surplus_ratio=surplus_ratio,
        level=level,
        column=column,
    )
    return out


def _bound_columns(openings: pd.DataFrame, column: str, level: int | None) -> tuple[str, str]:
    if level is None:
        return "", ""
    lo, hi = f"{column}_lower_{level}", f"{column}_upper_{level}"
    if lo not in openings.columns or hi not in openings.columns:
        raise SkillcastConfigError(
            f"The openings frame has no {level}% interval ({lo!r}, {hi!r}): pass a level the "
            "forecast has, or level=None for point classes only."
        )
    return lo, hi


def _frequency_of(periods: pd.Series) -> Frequency:
    if not isinstance(periods.dtype, pd.PeriodDtype):
        raise SkillcastConfigError("The openings 'period' column must hold pandas Periods.")
    return frequency(periods.dtype.freq.freqstr.split("-")[0])


def _read_supply(
    supply: pd.DataFrame | str | PathLike[str],
    by: list[str],
    period: str,
    supply_column: str,
    freq: Frequency,
    occ_tax: taxonomy.Taxonomy,
) -> pd.DataFrame:
    frame = checks.read_table(supply, _WHAT, (*by, period))
    hint = (
        f"A supply table has the columns {[*by, period, supply_column]}: graduates entering "
        "the labour market per cell and period."
    )
    checks.require_columns(frame, _WHAT, (*by, period, supply_column), hint)
    out = pd.DataFrame({key: checks.code_column(frame, _WHAT, key) for key in by})
    out[supply_column] = checks.number_column(
        frame, _WHAT, supply_column, remedy="Graduates are counts >= 0; fix or drop the rows."
    )
    raw = frame[period]
    parsed = parse_periods(raw if isinstance(raw.dtype, pd.PeriodDtype) else raw, freq)
    bad = parsed.unparseable | parsed.off_grid | raw.isna().to_numpy()
    if bad.any():
        raise checks.fail(
            frame, bad, _WHAT, period, f"are not {freq.name} periods",
            f"Write periods as the supply's frequency ({freq.name}), or say which it is "
            "with supply_gap(freq='annual').",
        )  # fmt: skip
    out[period] = parsed.periods
    checks.no_duplicates(
        out.assign(**{period: frame[period].astype(str).to_numpy()}), _WHAT, [*by, period],
        "Give each cell and period one row: sum the graduates of repeated rows.",
    )  # fmt: skip
    if "occupation" in by:
        _check_occupations(frame, out["occupation"], occ_tax)
    return out


def _check_occupations(frame: pd.DataFrame, codes: pd.Series, tax: taxonomy.Taxonomy) -> None:
    unknown = ~tax.is_known(codes)
    if unknown.any():
        raise checks.fail(
            frame, unknown, _WHAT, "occupation",
            f"carry codes unknown to the {tax.name} taxonomy ({tax.version})",
            "Use codes of the occupation taxonomy at any tier, or pass occupations= a "
            "taxonomy that has them (skillcast.taxonomy.load_taxonomy).",
        )  # fmt: skip
    distinct = pd.Series(codes.unique(), dtype=object)
    tiers = tax.tier_of(distinct)
    clashing: set[str] = set()
    for tier in sorted(set(tiers.astype(int))):
        rolled = tax.rollup(distinct, tier)
        inside = (tiers.to_numpy() > tier) & rolled.isin(set(distinct)).to_numpy()
        clashing |= set(distinct[inside]) | set(rolled[inside])  # the code and its container
    if clashing:
        raise checks.fail(
            frame, codes.isin(clashing).to_numpy(), _WHAT, "occupation",
            "carry codes that lie inside another code of the table (e.g. '8343' and '83')",
            "Give graduates at one tier per branch: drop the detailed rows or the group row.",
        )  # fmt: skip


def _align_occupations(
    occupation: pd.Series, supply_codes: pd.Series, tax: taxonomy.Taxonomy
) -> pd.Series:
    """Each openings occupation rolled up to the supply code that contains it (NaN if none)."""
    distinct = pd.Series(supply_codes.unique(), dtype=object)
    tiers = tax.tier_of(distinct)
    out = pd.Series(np.nan, index=occupation.index, dtype=object)
    for tier in sorted(set(tiers.astype(int))):
        targets = set(distinct[(tiers == tier).to_numpy()])
        rolled = tax.rollup(occupation, tier)
        out = out.where(~rolled.isin(targets), rolled)
    return out


def _to_supply_periods(
    periods: pd.Series, sup_freq: Frequency, open_freq: Frequency
) -> tuple[pd.Series, set[pd.Period]]:
    """Openings periods mapped to the supply's periods, and the supply periods covered in full."""
    if sup_freq.name == open_freq.name:
        return periods, set(periods.unique())
    mapped = parse_periods(pd.Series(periods.dt.start_time, index=periods.index), sup_freq)
    coarse = mapped.periods
    per = pd.DataFrame({"fine": periods, "coarse": coarse}).drop_duplicates()
    counts = per.groupby("coarse", sort=False)["fine"].nunique()
    whole = counts[counts == sup_freq.months // open_freq.months].index
    return coarse, set(whole)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    out[(den == 0) & (num > 0)] = np.inf
    out[(den == 0) & (num <= 0)] = np.nan
    return out


def _class(ratio: np.ndarray, shortage: float, surplus: float) -> np.ndarray:
    # NaN (no openings, no supply) falls through to balance
    return np.select([ratio > shortage, ratio < surplus], ["shortage", "surplus"], "balance")


def _classify(
    cells: pd.DataFrame, shortage: float, surplus: float, has_interval: bool
) -> pd.DataFrame:
    out = cells.copy()
    supply = out["supply"].to_numpy(dtype=float)
    for suffix in ("", "_lower", "_upper"):
        demand = out[f"openings{suffix}"].to_numpy(dtype=float)
        out[f"gap{suffix}"] = demand - supply
        out[f"ratio{suffix}"] = _ratio(demand, supply)
    point = _class(out["ratio"].to_numpy(), shortage, surplus)
    out["gap_class"] = point
    if has_interval:
        low = _class(out["ratio_lower"].to_numpy(), shortage, surplus)
        high = _class(out["ratio_upper"].to_numpy(), shortage, surplus)
        out["confidence"] = np.where((low == point) & (high == point), "likely", "possible")
        out["assessment"] = out["confidence"] + " " + out["gap_class"]
    else:
        out["confidence"] = "no interval"
        out["assessment"] = out["gap_class"]
    out["likely_shortage"] = (out["gap_class"] == "shortage") & (out["confidence"] == "likely")
    return out


def _with_names(out: pd.DataFrame, by: list[str], occ_tax: taxonomy.Taxonomy) -> pd.DataFrame:
    named = {"occupation": occ_tax, "level": taxonomy.levels()}
    for key, tax in named.items():
        if key in by:
            for lang in ("vi", "en"):
                out[f"{key}_name_{lang}"] = tax.name_of(out[key], lang).to_numpy()
    return out
