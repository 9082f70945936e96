"""The checks :func:`skillcast.load_panel` runs, one function per rule of the contract.

Each failure raises :class:`~skillcast.errors.SkillcastDataError` naming the column, the
count of offending rows, up to five examples and what the caller can do.
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.periods import frequency, parse_periods
from skillcast.spec import PanelSpec

_MAX_EXAMPLES = 5
# key columns checked against a shipped taxonomy when the spec does not say otherwise
_DEFAULT_TAXONOMIES = {"occupation": "occupation", "level": "level", "sector": "sector"}

# key column -> (each row's code, int64; the distinct key texts in sorted order)
KeyCodes = dict[str, tuple[np.ndarray, pd.Index]]


def read_frame(data: pd.DataFrame | str | PathLike[str], spec: PanelSpec) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data.copy(deep=False)  # columns are replaced, never written in place
    path = Path(data)
    if not path.exists():
        raise SkillcastDataError(f"No such file: {path}. Pass a DataFrame, a CSV or Parquet path.")
    key_types = {k: str for k in (*spec.keys, spec.period)}
    if path.suffix.lower() in {".parquet", ".pq"}:
        return pd.read_parquet(path)
    # codes such as "01" or "0110" lose their leading zeros if read as numbers
    return pd.read_csv(path, dtype=key_types, keep_default_na=True)


def _examples(frame: pd.DataFrame, mask: np.ndarray, columns: list[str]) -> str:
    rows = frame.loc[mask, columns].head(_MAX_EXAMPLES).copy()
    for column in rows.columns:
        if isinstance(rows[column].dtype, pd.PeriodDtype):  # show 2024-H1, not 2024-01
            rows[column] = frequency(rows[column].dtype.freq.freqstr.split("-")[0]).labels(
                rows[column]
            )
    return rows.to_string(max_colwidth=40)


def _fail(
    frame: pd.DataFrame,
    mask: np.ndarray,
    column: str,
    problem: str,
    remedy: str,
    columns: list[str] | None = None,
) -> SkillcastDataError:
    count = int(np.count_nonzero(mask))
    shown = min(count, _MAX_EXAMPLES)
    cols = columns or list(dict.fromkeys([column, *frame.columns]))
    return SkillcastDataError(
        f"Column {column!r}: {count} row(s) {problem}. First {shown}:\n"
        f"{_examples(frame, mask, cols)}\n{remedy}"
    )


def validate_keys(frame: pd.DataFrame, spec: PanelSpec) -> KeyCodes:
    """Reject empty keys; turn each key column into stripped text.

    Returns, for each key, every row's code (int64) and the distinct stripped keys in
    sorted order, so later steps never compare key strings row by row.
    """
    out: KeyCodes = {}
    for key in spec.keys:
        raw = frame[key]
        empty = raw.isna().to_numpy()
        if empty.any():
            raise _fail(
                frame,
                empty,
                key,
                "have no key value",
                "Fill the key or drop these rows before loading.",
            )
        # text and integer values map one-to-one to their text, so convert each distinct
        # value once; others (1 == 1.0 == True in an object column) are converted per row
        text = raw if _converts_per_value(raw.dtype) else raw.astype(str)
        codes, uniques = pd.factorize(text)
        stripped = pd.Series(uniques).astype(str).str.strip()
        rank, sorted_keys = pd.factorize(stripped, sort=True)
        codes = rank.astype(np.int64, copy=False)[codes]
        if text.dtype == stripped.dtype and stripped.array.equals(uniques.array):
            frame[key] = text  # already stripped text: keep the column as it is
        else:
            frame[key] = pd.Series(sorted_keys.take(codes), index=frame.index, name=key)
        out[key] = (codes, sorted_keys)
    return out


def _converts_per_value(dtype: object) -> bool:
    return isinstance(dtype, pd.StringDtype) or (
        isinstance(dtype, np.dtype) and dtype.kind in "iub"
    )


def validate_periods(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    freq = spec.frequency
    parsed = parse_periods(frame[spec.period], freq)
    if parsed.unparseable.any():
        raise _fail(
            frame,
            parsed.unparseable,
            spec.period,
            "cannot be read as a period",
            "Write periods as 2024, 2024-H1, 2024Q3, 2024-07 or an ISO date.",
        )
    if parsed.off_grid.any():
        raise _fail(
            frame,
            parsed.off_grid,
            spec.period,
            f"do not fit the declared frequency {freq.name!r}",
            f"Declare the data's own frequency in PanelSpec.freq, or aggregate the rows to "
            f"{freq.name} periods first.",
        )
    return parsed.periods


def numeric(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = (values.isna() & raw.notna()).to_numpy()
    if bad.any():
        raise _fail(
            frame,
            bad,
            column,
            f"are not numbers ({role})",
            "Fix or remove the non-numeric cells (thousands separators, text notes).",
        )
    return values.astype("float64")


def validate_target(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    values = numeric(frame, spec.target, "the target")
    infinite = np.isinf(values.to_numpy())
    if infinite.any():
        raise _fail(
            frame,
            infinite,
            spec.target,
            "are infinite",
            "Replace infinities at the source; they are usually a division by zero.",
        )
    negative = (values < 0).to_numpy()
    if negative.any():
        raise _fail(
            frame,
            negative,
            spec.target,
            "are negative",
            "Worker counts cannot be negative: correct the reports or drop the rows.",
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
    raise _fail(
        frame,
        dup,
        spec.period,
        f"repeat a (keys, period) pair {list(spec.keys)}",
        "Each series may have one row per period: sum or de-duplicate the reports first "
        "(skillcast.datasets.aggregate_reports does this for enterprise reports).",
    )


def _resolve_taxonomies(spec: PanelSpec) -> dict[str, object]:
    from skillcast import taxonomy  # the tables load only when a panel is checked

    wanted = (
        {k: v for k, v in _DEFAULT_TAXONOMIES.items() if k in spec.keys}
        if spec.taxonomies is None
        else dict(spec.taxonomies)
    )
    resolved: dict[str, object] = {}
    for column, tax in wanted.items():
        if column not in spec.keys:
            raise SkillcastConfigError(
                f"PanelSpec.taxonomies names {column!r}, which is not a key column "
                f"{list(spec.keys)}."
            )
        if isinstance(tax, str | PathLike) and Path(tax).suffix.lower() == ".csv":
            tax = taxonomy.load_taxonomy(tax, name=column)
        elif isinstance(tax, str):
            tax = taxonomy.builtin(tax)
        resolved[column] = tax
    return resolved


def validate_codes(frame: pd.DataFrame, spec: PanelSpec, key_codes: KeyCodes) -> None:
    """Check key codes against their taxonomies (``key_codes`` from :func:`validate_keys`)."""
    if spec.unknown_codes == "keep":
        return
    for column, tax in _resolve_taxonomies(spec).items():
        # a panel repeats each code over many rows: look up each distinct code once
        row_codes, uniques = key_codes[column]
        unknown = ~tax.is_known(pd.Series(uniques))[row_codes]  # type: ignore[attr-defined]
        if not unknown.any():
            continue
        codes = sorted(pd.unique(frame.loc[unknown, column]))
        message = (
            f"{len(codes)} code(s) {codes[:_MAX_EXAMPLES]} unknown to the "
            f"{tax.name} taxonomy ({tax.version})"  # type: ignore[attr-defined]
        )
        remedy = (
            "Correct the codes, load your own table with skillcast.taxonomy.load_taxonomy "
            "and pass it in PanelSpec.taxonomies, or set unknown_codes='warn' or 'keep'."
        )
        if spec.unknown_codes == "error":
            raise _fail(frame, unknown, column, f"carry {message}", remedy)
        warnings.warn(
            f"Column {column!r}: {int(unknown.sum())} row(s) carry {message}.",
            UserWarning,
            stacklevel=3,
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
        raise _fail(
            frame,
            mask,
            spec.period,
            f"border a hole inside their series ({n_missing_periods} period(s) missing, "
            f"{int(empty_target.sum())} empty target(s))",
            "Choose PanelSpec.gaps: 'zero' if a missing report means no workers or no "
            "demand, 'missing' if the value is unknown (models treat it as missing), or "
            "supply the missing rows.",
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
