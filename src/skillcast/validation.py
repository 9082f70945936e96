"""The checks :func:`skillcast.load_panel` runs, one function per rule of the contract:
periods, the target, drivers, repeated rows and gaps (key columns are checked in
:mod:`skillcast.keys`, files read in :mod:`skillcast.reading`).

Each failure raises :class:`~skillcast.errors.SkillcastDataError` naming the column, the
count of offending rows, up to five examples and what the caller can do.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError
from skillcast.periods import frequency, parse_periods
from skillcast.spec import PanelSpec

MAX_EXAMPLES = 5


def _examples(frame: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> str:
    rows = frame.loc[mask, columns].head(MAX_EXAMPLES).copy()
    for column in rows.columns:
        if isinstance(rows[column].dtype, pd.PeriodDtype):  # show 2024-H1, not 2024-01
            rows[column] = frequency(rows[column].dtype.freq.freqstr.split("-")[0]).labels(
                rows[column]
            )
    return rows.to_string(max_colwidth=40)


def fail(
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    problem: str,
    remedy: str,
    columns: list[str] | None = None,
) -> SkillcastDataError:
    """The error for the rows ``mask`` marks: column, count, up to five rows, remedy."""
    count = int(np.count_nonzero(mask))
    shown = min(count, MAX_EXAMPLES)
    cols = columns or list(dict.fromkeys([column, *frame.columns]))
    return SkillcastDataError(
        f"Column {column!r}: {count} row(s) {problem}. First {shown}:\n"
        f"{_examples(frame, mask, cols)}\n{remedy}"
    )


_PERIOD_FORMS = (
    "Write periods as 2024, 2024-H1, 2024Q3, 2024-07 or an ISO date (2024-07-01); for dates "
    "written another way declare their form, e.g. PanelSpec.period_format='%d/%m/%Y'."
)
_DECLARE_FORMAT = (
    "Declare how the column writes them: PanelSpec.period_format='%d/%m/%Y' (day-first, "
    "the Vietnamese convention; also reads 1/7/2024), PanelSpec.period_format='dayfirst' "
    "(dd/mm/yyyy with / . or - between), PanelSpec.period_format='%m/%Y' or "
    "PanelSpec.period_format='%Y/%m' (months); or write periods as 2024, 2024-H1, 2024Q3, "
    "2024-07 or an ISO date (2024-07-01)."
)


def validate_periods(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    freq, fmt = spec.frequency, spec.period_format
    try:
        parsed = parse_periods(frame[spec.period], freq, fmt)
    except (ValueError, TypeError, OverflowError) as exc:
        raise _periods_that_break(frame, spec) from exc
    if fmt is not None and parsed.unparseable.any():
        raise fail(
            frame,
            parsed.unparseable,
            spec.period,
            f"do not match PanelSpec.period_format={fmt!r}",
            "Correct these cells, or declare the form the column is written in (e.g. "
            "PanelSpec.period_format='%d/%m/%Y', PanelSpec.period_format='dayfirst', "
            "PanelSpec.period_format='%m/%Y'); without PanelSpec.period_format, periods "
            "are read as 2024, 2024-H1, 2024Q3, 2024-07 or ISO dates (2024-07-01).",
        )
    if parsed.ambiguous.any():
        raise fail(
            frame,
            parsed.ambiguous,
            spec.period,
            "are dates or periods written in a form that reads more than one way "
            "(01/07/2024: 1 July or 7 January? 2024.1: a month or a half-year?)",
            _DECLARE_FORMAT,
        )
    if parsed.unparseable.any():
        raise fail(
            frame, parsed.unparseable, spec.period, "cannot be read as a period", _PERIOD_FORMS
        )
    if parsed.off_grid.any():
        raise fail(
            frame,
            parsed.off_grid,
            spec.period,
            f"do not fit the declared frequency {freq.name!r}",
            f"Declare the data's own frequency in PanelSpec.freq, or aggregate the rows to "
            f"{freq.name} periods first.",
        )
    return parsed.periods


def _periods_that_break(frame: pd.DataFrame, spec: PanelSpec) -> SkillcastDataError:
    """The error for values that make period parsing itself fail (a year out of range,
    a list in a cell): found by parsing one value of each (type, text) on its own."""
    values = frame[spec.period].to_numpy(dtype=object)
    first: dict[str, bool] = {}
    bad = np.zeros(len(values), dtype=bool)
    for i, value in enumerate(values):
        tag = f"{type(value).__name__}:{value}"
        if tag not in first:
            try:
                parse_periods(pd.Series([value], dtype=object), spec.frequency, spec.period_format)
                first[tag] = False
            except (ValueError, TypeError, OverflowError):
                first[tag] = True
        bad[i] = first[tag]
    if not bad.any():
        bad[:] = True
    return fail(frame, bad, spec.period, "cannot be read as a period", _PERIOD_FORMS)


# what pandas infers for an object column that needs no look at each value
_NUMBER_LIKE = {"integer", "floating", "mixed-integer-float", "decimal", "string", "empty"}


def numeric(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
    """The column as float64; text, True/False, dates and complex numbers are refused.

    Booleans are not read as 1 and 0: a stray ``True`` would count as one worker.
    """
    raw = frame[column]
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype | pd.SparseDtype):
        raw = pd.Series(np.asarray(raw, dtype=object), index=raw.index, name=column)
        dtype = raw.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise fail(frame, raw.notna().to_numpy(), column, f"are True/False ({role})", _NO_BOOLS)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return raw.astype("float64")
    is_object = pd.api.types.is_object_dtype(dtype)
    if not is_object and not isinstance(dtype, pd.StringDtype):
        raise fail(
            frame,
            raw.notna().to_numpy(),
            column,
            f"hold {dtype} values, not numbers ({role})",
            "Pass plain numbers: dates, time spans, periods and complex numbers are "
            "neither counts nor driver values.",
        )
    other = np.zeros(len(raw), dtype=bool)
    if is_object and pd.api.types.infer_dtype(raw) not in _NUMBER_LIKE:
        kinds = np.array([value_kind(v) for v in raw.to_numpy(dtype=object)])
        if (kinds == "b").any():
            raise fail(frame, kinds == "b", column, f"are True/False ({role})", _NO_BOOLS)
        other = kinds == "o"
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy() | other
    if bad.any():
        raise fail(
            frame,
            bad,
            column,
            f"are not numbers ({role})",
            "Fix or remove the non-numeric cells (text notes, units). Numbers written with "
            "a decimal comma or thousands separators (12,5 or 1.250,5) need their format "
            "declared: ReadOptions.thousands='.' and ReadOptions.decimal=','.",
        )
    return values.astype("float64")


def value_kind(value: object) -> str:
    """``b`` boolean, ``t`` text, ``i`` integer, ``f`` other real number, ``n`` missing,
    ``o`` anything else (complex numbers, dates, containers)."""
    if isinstance(value, bool | np.bool_):
        return "b"
    if isinstance(value, str):
        return "t"
    if isinstance(value, int | np.integer):
        return "i"
    if isinstance(value, float | np.floating | Decimal | Fraction):
        return "f"
    if value is None or value is pd.NA or value is pd.NaT:
        return "n"
    return "o"


_NO_BOOLS = (
    "True/False is not read as 1/0: write the numbers the column means (e.g. "
    "frame[column].astype(int) for a 0/1 dummy), or drop the column."
)


def validate_target(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    values = numeric(frame, spec.target, "the target")
    array = values.to_numpy()
    infinite = np.isinf(array)
    if infinite.any():
        raise fail(
            frame,
            infinite,
            spec.target,
            "are infinite",
            "Replace infinities at the source; they are usually a division by zero.",
        )
    negative = array < 0
    if negative.any():
        raise fail(
            frame,
            negative,
            spec.target,
            "are negative",
            "Worker counts cannot be negative: correct the reports or drop the rows.",
        )
    implausible = array > spec.max_value
    if implausible.any():
        raise fail(
            frame,
            implausible,
            spec.target,
            f"exceed PanelSpec.max_value={spec.max_value:g} (the largest plausible value "
            "of one cell)",
            "Such a value is almost always a slip (a unit, a decimal or thousands "
            "separator, a total pasted into a cell): correct these rows. If the values "
            "are real, raise PanelSpec.max_value.",
        )
    return values


def validate_driver(frame: pd.DataFrame, column: str) -> pd.Series:
    """A driver (exogenous column) as float64.

    A missing value is allowed and stays NaN (a driver not yet published for a period;
    the gap policy also leaves drivers missing on the rows it adds), whatever
    ``PanelSpec.gaps`` says about the target. Negative values are allowed: growth rates,
    balances and changes go below zero. Infinities are refused.
    """
    values = numeric(frame, column, "an exogenous driver")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise fail(
            frame,
            infinite,
            column,
            "are infinite (an exogenous driver)",
            "Replace infinities at the source (usually a division by zero, e.g. a growth "
            "rate from a zero base); leave the cell empty if the value is unknown.",
        )
    return values


def validate_duplicates(
    frame: pd.DataFrame,
    spec: PanelSpec,
    order: np.ndarray | None,
    series_id: np.ndarray,
    steps: np.ndarray,
) -> None:
    """Raise if a (keys, period) pair repeats.

    ``order``, ``series_id`` and ``steps`` describe ``frame``'s rows sorted by keys then
    period (:func:`skillcast.panel.sort_rows`): repeats are then neighbours.
    """
    same = (series_id[1:] == series_id[:-1]) & (steps[1:] == steps[:-1])
    if not same.any():
        return
    dup_sorted = np.r_[same, False] | np.r_[False, same]
    dup = dup_sorted
    if order is not None:  # back to the caller's row order, so examples come first-seen first
        dup = np.empty_like(dup_sorted)
        dup[order] = dup_sorted
    raise fail(
        frame,
        dup,
        spec.period,
        f"repeat a (keys, period) pair {list(spec.keys)}",
        "Each series may have one row per period: sum or de-duplicate the reports first "
        "(skillcast.datasets.aggregate_reports does this for enterprise reports).",
    )


def apply_gap_policy(
    frame: pd.DataFrame, spec: PanelSpec, series_id: np.ndarray, steps: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Find missing periods inside each series and empty targets; apply ``spec.gaps``.

    ``frame`` is sorted by keys then period; ``series_id`` and ``steps`` index its rows
    (:func:`skillcast.panel.sort_rows`). Returns the frame with the policy applied and the
    same two arrays for its rows (holes filled, if any).
    """
    new_series = np.r_[True, series_id[1:] != series_id[:-1]]
    jump = np.r_[1, np.diff(steps)]
    gap_after = np.r_[(~new_series[1:]) & (jump[1:] > 1), False]  # row before a hole
    empty_target = frame[spec.target].isna().to_numpy()
    if not gap_after.any() and not empty_target.any():
        return frame, series_id, steps
    n_missing_periods = int((jump[1:][~new_series[1:]] - 1).clip(min=0).sum())
    if spec.gaps == "error":
        mask = gap_after | empty_target
        raise fail(
            frame,
            mask,
            spec.period,
            f"border a hole inside their series ({n_missing_periods} period(s) missing, "
            f"{int(empty_target.sum())} empty target(s))",
            "Choose PanelSpec.gaps='zero' if a missing report means no workers or no "
            "demand, PanelSpec.gaps='missing' if the value is unknown (models treat it as "
            "missing), or supply the missing rows.",
        )
    if n_missing_periods:
        frame, series_id, steps = _fill_holes(frame, spec, series_id, steps)
    if spec.gaps == "zero":
        frame[spec.target] = frame[spec.target].fillna(0.0)
    return frame, series_id, steps


def _fill_holes(
    frame: pd.DataFrame, spec: PanelSpec, series_id: np.ndarray, steps: np.ndarray
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Insert a row for every missing period between a series' first and last row."""
    starts = np.flatnonzero(np.r_[True, series_id[1:] != series_id[:-1]])
    ends = np.r_[starts[1:], len(frame)] - 1
    first_step = steps[starts]
    lengths = steps[ends] - first_step + 1  # rows are sorted: a series' last row is its max
    full_start = np.cumsum(lengths) - lengths
    full_series = np.repeat(np.arange(len(lengths)), lengths)
    full_steps = np.arange(int(lengths.sum())) - full_start[full_series] + first_step[full_series]
    # each row's place in the full grid; holes copy their series' first row for its keys
    place = full_start[series_id] + steps - first_step[series_id]
    rows = np.repeat(starts, lengths)
    rows[place] = np.arange(len(frame))
    present = np.zeros(len(rows), dtype=bool)
    present[place] = True
    origin = frame[spec.period].min()
    out = frame.take(rows).reset_index(drop=True)
    grid = spec.frequency.range(origin, origin + int(full_steps.max()))
    out[spec.period] = pd.Series(grid[full_steps], index=out.index)
    for column in (spec.target, *spec.exog):
        out[column] = out[column].where(present)
    return out, full_series, full_steps
