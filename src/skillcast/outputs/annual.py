"""Calendar-year views of the planner tables: one row per series and year.

Planners budget training places by the year, while the forecast runs by half-year (or
quarter, or month). :func:`annual_forecast`, :func:`annual_openings` and
:func:`annual_supply_gap` turn ``forecast.csv``, ``openings.csv`` and ``supply_gap.csv``
into years; :func:`annual_view` is the rule behind them, for any table.

The rule
--------

* **Stocks** (employment, the ``forecast`` column of a stock target): the year's figure
  is the **mean of its periods** (average employment over the year, as the Labour Force
  Survey reports it; it does not depend on which half-year a seasonal trade peaks in),
  or with ``stock="end"`` the **last period of the year** (a year-end head count).
* **Flows** (openings, expansion, replacement, hires, graduates, the gap): the year's
  figure is the **sum** of its periods.
* **Interval bounds** of a sum (or mean) of forecasts are not the sums of the bounds in
  general: that holds only when the periods' errors move together. The forecast frame
  carries bounds, not sample paths, so the rule reads each period's spread from its
  bounds. ``correlation`` says how periods move together:

  - ``"comonotone"`` (default): the periods' errors move as one (a forecast that is
    too high in the first half-year is too high in the second, which is how level
    errors of employment behave). Quantiles of comonotone variables add exactly, so
    the year's bound is the sum (stock: the mean) of the periods' bounds; asymmetric
    intervals stay asymmetric. It is the widest interval any dependence can give under
    a normal approximation, so it never overstates how sure the year is; it is the
    convention of ``openings.csv`` too (expansion and replacement bounds are added).
  - ``"independent"``: errors unrelated across periods, normal approximation per side:
    each period's distance from its point to a bound is ``z x sd`` of that side, so
    the year's distance is ``sqrt(sum of squared distances)`` (divided by the number of
    periods for a stock mean); ``z`` cancels, so the same formula serves every level.
    Narrower: only defensible for series whose errors do not persist (declared
    openings of a volatile trade, for instance).

* **Partial years** (a year not every period of which is in the table, such as the
  second half of the first forecast year when the origin is mid-year) are left out by
  default and listed in ``attrs["partial_years"]``; ``partial="flag"`` keeps them with
  ``complete = False`` and the figure over the periods present (not comparable with a
  whole year: a partial flow sum is short of the year).

Whole-worker columns are rounded half-up after aggregation and bounds are kept around
the point (``lower_95 <= lower_80 <= value <= upper_80 <= upper_95``), as in the
half-year tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.forecast import interval_columns
from skillcast.outputs.demand_tables import supply_gap_frame
from skillcast.outputs.emerging_flags import FLAG_COLUMNS
from skillcast.outputs.forecast_tables import STAMP_COLUMNS, half_up, whole_numbers
from skillcast.outputs.read_back import label_frequency
from skillcast.periods import FREQUENCIES, Frequency, frequency, parse_periods

if TYPE_CHECKING:
    from skillcast.taxonomy import Taxonomy

__all__ = [
    "Correlation",
    "annual_forecast",
    "annual_openings",
    "annual_supply_gap",
    "annual_view",
    "label_frequency",
]

Correlation = Literal["comonotone", "independent"]
StockRule = Literal["mean", "end"]
Partial = Literal["drop", "flag"]
YEAR = "year"

_FORECAST_BOUNDS = {lv: interval_columns(lv) for lv in (80, 95)}
_OPENINGS_BOUNDS = {lv: (f"openings_lower_{lv}", f"openings_upper_{lv}") for lv in (80, 95)}
_FLOW_COLUMNS = ("change", "expansion", "contraction", "replacement", "realised_hiring")


def annual_view(
    frame: pd.DataFrame,
    *,
    stocks: Mapping[str, Mapping[int, tuple[str, str]]] | None = None,
    flows: Mapping[str, Mapping[int, tuple[str, str]]] | None = None,
    stock: StockRule = "mean",
    correlation: Correlation = "comonotone",
    partial: Partial = "drop",
    keys: Sequence[str] | None = None,
    period: str = "period",
    freq: str | Frequency | None = None,
) -> pd.DataFrame:
    """Calendar-year figures of ``frame`` by the rule of the module doc.

    Args:
        frame: one row per series and period; ``period`` holds labels or Periods.
        stocks, flows: value column -> ``{level: (lower column, upper column)}`` (an
            empty mapping for a column without bounds). Stocks are averaged (or the
            year-end taken), flows summed; bounds by ``correlation``.
        stock: ``"mean"`` of the year's periods or its ``"end"`` (last period).
        correlation: how the periods' errors move together: ``"comonotone"`` or
            ``"independent"`` (module doc).
        partial: ``"drop"`` years missing a period (listed in ``attrs["partial_years"]``)
            or ``"flag"`` them (column ``complete``).
        keys: the columns naming a series (default: every column that is not
            ``period`` nor a value or bound column; the stamp columns are carried).
        period: the period column.
        freq: the frequency of ``period`` (default: read from the labels).

    Returns:
        ``year`` (int), the key columns, then the value and bound columns (whole-worker
        columns rounded half-up and nested around their value when the input's were
        whole numbers), ``periods`` (how many of the year's periods the figure covers)
        and, with ``partial="flag"``, ``complete``. Sorted by the keys' first
        appearance, then year. An annual input comes back with ``year`` added.
    """
    if correlation not in ("comonotone", "independent"):
        raise SkillcastConfigError(
            f"correlation={correlation!r}: choose 'comonotone' or 'independent'."
        )
    if stock not in ("mean", "end"):
        raise SkillcastConfigError(f"stock={stock!r}: choose 'mean' or 'end'.")
    if partial not in ("drop", "flag"):
        raise SkillcastConfigError(f"partial={partial!r}: choose 'drop' or 'flag'.")
    stocks, flows = dict(stocks or {}), dict(flows or {})
    values = {**{c: ("stock", b) for c, b in stocks.items()},
              **{c: ("flow", b) for c, b in flows.items()}}  # fmt: skip
    used = set(values) | {name for _, b in values.values() for pair in b.values() for name in pair}
    absent = sorted(c for c in used if c not in frame.columns)
    if absent:
        raise SkillcastConfigError(f"The table lacks column(s) {absent} for the annual view.")
    if period not in frame.columns:
        raise SkillcastConfigError(f"The table has no {period!r} column.")
    fq = frequency(freq) if freq is not None else label_frequency(frame[period])
    key_cols = [c for c in frame.columns if c != period and c not in used] if keys is None \
        else list(keys)  # fmt: skip

    src = frame.reset_index(drop=True)
    parsed = parse_periods(src[period], fq)
    if parsed.unparseable.any() or parsed.off_grid.any():
        bad = src.loc[parsed.unparseable | parsed.off_grid, period].astype(str).unique()[:3]
        raise SkillcastConfigError(f"Period labels {list(bad)} are not {fq.name} periods.")
    periods = pd.PeriodIndex(parsed.periods)
    work = src.loc[:, key_cols].copy()
    group_ids = _group_ids(work)
    repeated = pd.MultiIndex.from_arrays([group_ids, periods.asi8]).duplicated()
    if repeated.any():
        raise SkillcastConfigError(
            f"{int(repeated.sum())} row(s) repeat a series and period (first: "
            f"{src.loc[repeated, [*key_cols, period]].iloc[0].to_dict()}): give keys= the "
            "columns that name a series."
        )
    year = np.asarray(periods.year, dtype=np.int64)
    season = fq.season(periods)
    # the last season first: "end" takes the first row of each (series, year) group
    order = np.lexsort((-season, year, group_ids))
    cell = pd.MultiIndex.from_arrays([group_ids[order], year[order]])
    first = ~cell.duplicated()
    starts = np.flatnonzero(first)
    counts = np.diff(np.r_[starts, len(order)])
    out = work.iloc[order[starts]].reset_index(drop=True)
    out.insert(0, YEAR, year[order[starts]])
    n_per_year = fq.season_length

    def reduce(column: np.ndarray, how: str) -> np.ndarray:
        x = column[order]
        if how == "end":
            return x[starts]
        sums = np.add.reduceat(x, starts) if len(x) else x
        return sums / counts if how == "mean" else sums

    for column, (kind, bounds) in values.items():
        point = _floats(src[column])
        how = "sum" if kind == "flow" else stock
        agg = reduce(point, how)
        out[column] = agg
        for lv in sorted(bounds):
            for side, name in zip(("lower", "upper"), bounds[lv], strict=True):
                bound = _floats(src[name])
                if correlation == "comonotone" or how == "end":
                    out[name] = reduce(bound, how)
                    continue
                squared = reduce((point - bound) ** 2, "sum")
                spread = np.sqrt(squared) / (counts if how == "mean" else 1)
                out[name] = agg - spread if side == "lower" else agg + spread
        whole = _is_whole(src, [column, *[c for b in bounds.values() for c in b]])
        if whole:
            _round_nested(out, column, bounds)
    out["periods"] = counts
    complete = counts == n_per_year
    if partial == "flag":
        out["complete"] = complete
    else:
        out = out.loc[complete].reset_index(drop=True)
    stamps = [c for c in STAMP_COLUMNS if c in out.columns]
    kept = [c for c in src.columns if c in out.columns and c not in stamps]
    out = out.loc[:, [YEAR, *kept, *[c for c in ("periods", "complete") if c in out], *stamps]]
    # every group's rows are one block, years ascending, in the order groups first appear
    out.attrs["partial_years"] = sorted(set(year[order[starts]][~complete].tolist()))
    out.attrs["rule"] = {"stock": stock, "correlation": correlation, "partial": partial}
    return out


def annual_forecast(
    planner: pd.DataFrame,
    *,
    measure: Literal["stock", "openings"] = "stock",
    stock: StockRule = "mean",
    correlation: Correlation = "comonotone",
    partial: Partial = "drop",
) -> pd.DataFrame:
    """Years of a ``forecast.csv``-like table (``forecast_all_levels.csv`` and the
    scenario file too: their extra key columns are carried).

    ``measure`` is the target's: ``"stock"`` (employment, averaged or year-end by
    ``stock``) or ``"openings"`` (declared recruitment needs, a flow: summed). Returns
    ``year``, the key and name columns, ``forecast``, ``lower_80`` .. ``upper_95``,
    ``periods``, the stamp columns.
    """
    bounds = {lv: b for lv, b in _FORECAST_BOUNDS.items() if set(b) <= set(planner.columns)}
    spec = {"forecast": bounds}
    if measure == "stock":
        out = annual_view(planner, stocks=spec, stock=stock, correlation=correlation,
                          partial=partial)  # fmt: skip
    elif measure == "openings":
        out = annual_view(planner, flows=spec, correlation=correlation, partial=partial)
    else:
        raise SkillcastConfigError(f"measure={measure!r}: choose 'stock' or 'openings'.")
    return out


def annual_openings(
    openings: pd.DataFrame,
    *,
    correlation: Correlation = "comonotone",
    partial: Partial = "drop",
) -> pd.DataFrame:
    """Years of an ``openings.csv``-like table.

    ``stock`` is the year's average employment; ``change``, ``expansion``,
    ``contraction``, ``replacement``, ``openings`` (with its bounds) and
    ``realised_hiring`` are sums over the year, so ``openings = expansion + replacement``
    still holds exactly. ``replacement_rate`` becomes the year's, ``replacement /
    stock`` (4 decimals), and ``hiring_factor`` the year's ``realised_hiring /
    openings`` (3 decimals; 1 when there are no openings).
    """
    bounds = {lv: b for lv, b in _OPENINGS_BOUNDS.items() if set(b) <= set(openings.columns)}
    flows: dict[str, Mapping[int, tuple[str, str]]] = {
        c: {} for c in _FLOW_COLUMNS if c in openings.columns
    }
    flows["openings"] = bounds
    stocks: dict[str, Mapping[int, tuple[str, str]]] = {}
    if "stock" in openings.columns:
        stocks["stock"] = {}
    rates = [c for c in ("replacement_rate", "hiring_factor") if c in openings.columns]
    out = annual_view(openings.drop(columns=rates), stocks=stocks, flows=flows, stock="mean",
                      correlation=correlation, partial=partial)  # fmt: skip
    if "replacement_rate" in rates and {"replacement", "stock"} <= set(out.columns):
        with np.errstate(divide="ignore", invalid="ignore"):
            rate = _floats(out["replacement"]) / _floats(out["stock"])
        at = list(out.columns).index("replacement")
        out.insert(at, "replacement_rate", np.round(np.where(np.isfinite(rate), rate, np.nan), 4))
    if "hiring_factor" in rates and {"realised_hiring", "openings"} <= set(out.columns):
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = _floats(out["realised_hiring"]) / _floats(out["openings"])
        at = list(out.columns).index("realised_hiring")
        out.insert(at, "hiring_factor", np.round(np.where(np.isfinite(factor), factor, 1.0), 3))
    return out


def annual_supply_gap(
    gap: pd.DataFrame,
    *,
    shortage_ratio: float = 1.1,
    surplus_ratio: float = 0.9,
    correlation: Correlation = "comonotone",
    occupations: Taxonomy | None = None,
) -> pd.DataFrame:
    """Years of a ``supply_gap.csv``-like table: openings per year against graduates per
    year, classed again by the rule of :func:`skillcast.demand.supply_gap`.

    Openings and their bounds are summed over the year (bounds by ``correlation``),
    graduates summed; ``gap``, ``ratio``, ``gap_class``, ``confidence`` and
    ``assessment`` are recomputed on the year's figures with the same thresholds (the
    class of a year is not the class of its half-years: a shortage in the peak season
    and a surplus in the other can balance). Only years every period of which is in the
    table appear (``attrs["partial_years"]`` lists the others). Columns and order are
    those of ``supply_gap.csv`` with the year as ``period`` (label ``2026``), plus
    ``year``. An annual table is classed again as is. ``occupations``: the taxonomy the
    table's occupation codes come from, when not the shipped VSCO 2020.
    """
    from skillcast.demand.supply_gap import supply_gap as classify  # the one shortage rule

    if gap.empty:
        return gap.assign(year=pd.Series(dtype="int64"))
    by = [c for c in ("region", "sector", "occupation", "level") if c in gap.columns]
    cells = gap.loc[:, [*by, "period", "openings", "openings_lower", "openings_upper", "supply"]]
    yearly = annual_view(
        cells,
        flows={"openings": {80: ("openings_lower", "openings_upper")}, "supply": {}},
        correlation=correlation,
        keys=by,
    )
    annual = FREQUENCIES["annual"]
    years = pd.Series(pd.PeriodIndex(yearly[YEAR].astype(str), freq=annual.pandas_freq))
    demand = yearly.loc[:, by].assign(
        period=years,
        openings=yearly["openings"].astype(float),
        openings_lower_80=yearly["openings_lower"].astype(float),
        openings_upper_80=yearly["openings_upper"].astype(float),
    )
    supply = yearly.loc[:, by].assign(period=years, graduates=yearly["supply"].astype(float))
    if demand.empty:
        classed = pd.DataFrame(columns=[*by, "period"])
    else:
        classed = classify(demand, supply, by=by, shortage_ratio=shortage_ratio,
                           surplus_ratio=surplus_ratio, level=80,
                           occupations=occupations)  # fmt: skip
    out = supply_gap_frame(classed, annual) if len(classed) else classed
    for column in STAMP_COLUMNS:  # the run that wrote the half-years wrote the years
        if column in gap.columns and column in out.columns:
            out[column] = gap[column].iloc[0]
    _carry_flags(out, gap, by)
    out.insert(1, YEAR, out["period"].astype(int) if len(out) else pd.Series(dtype="int64"))
    out.attrs["partial_years"] = yearly.attrs.get("partial_years", [])
    out.attrs["rule"] = yearly.attrs.get("rule", {})
    return out


def _carry_flags(out: pd.DataFrame, gap: pd.DataFrame, by: list[str]) -> None:
    """In place: a cell's ``emerging`` flags from its periods' rows (one cell covers the
    same series in every period, so its flag is the same in each)."""
    flags = [c for c in FLAG_COLUMNS if c in gap.columns and c in out.columns]
    if not flags or not len(out):
        return
    cells = gap.loc[:, [*by, *flags]].astype({k: str for k in by}).drop_duplicates(by)
    joined = out.loc[:, by].astype(str).merge(cells, on=by, how="left")
    for column in flags:
        out[column] = joined[column].array


def _group_ids(keys: pd.DataFrame) -> np.ndarray:
    """One integer per distinct row of ``keys``, in order of first appearance (NaN keys
    are values like any other)."""
    if keys.shape[1] == 0:
        return np.zeros(len(keys), dtype=np.int64)
    codes = [pd.factorize(keys[c].astype(object), use_na_sentinel=False)[0] for c in keys]
    combined = pd.MultiIndex.from_arrays(codes)
    ids, _ = pd.factorize(combined)
    return np.asarray(ids, dtype=np.int64)


def _floats(column: pd.Series) -> np.ndarray:
    return column.to_numpy(dtype=float, na_value=np.nan)


def _is_whole(frame: pd.DataFrame, columns: list[str]) -> bool:
    values = np.concatenate([_floats(frame[c]) for c in columns])
    finite = values[np.isfinite(values)]
    return bool(np.all(finite == np.round(finite)))


def _round_nested(out: pd.DataFrame, column: str, bounds: Mapping[int, tuple[str, str]]) -> None:
    """In place: ``column`` and its bounds rounded half-up, bounds kept around it and
    nested (wider levels outside narrower ones)."""
    point = half_up(_floats(out[column]))
    out[column] = whole_numbers(point)
    inner_lo, inner_hi = point, point
    for lv in sorted(bounds):
        lo_name, hi_name = bounds[lv]
        lo = half_up(_floats(out[lo_name]))
        hi = half_up(_floats(out[hi_name]))
        # fmin/fmax: a missing narrower bound does not blank the wider one
        lo, hi = np.fmin(lo, inner_lo), np.fmax(hi, inner_hi)
        out[lo_name], out[hi_name] = whole_numbers(lo), whole_numbers(hi)
        inner_lo, inner_hi = lo, hi
