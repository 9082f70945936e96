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


def validate_keys(frame: pd.DataFrame, spec: PanelSpec) -> None:
    for key in spec.keys:
        empty = frame[key].isna().to_numpy()
        if empty.any():
            raise _fail(
                frame,
                empty,
                key,
                "have no key value",
                "Fill the key or drop these rows before loading.",
            )
        frame[key] = frame[key].astype(str).str.strip()


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


def validate_duplicates(frame: pd.DataFrame, spec: PanelSpec) -> None:
    dup = frame.duplicated([*spec.keys, spec.period], keep=False).to_numpy()
    if dup.any():
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


def validate_codes(frame: pd.DataFrame, spec: PanelSpec) -> None:
    if spec.unknown_codes == "keep":
        return
    for column, tax in _resolve_taxonomies(spec).items():
        unknown = ~tax.is_known(frame[column])  # type: ignore[attr-defined]
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


def apply_gap_policy(frame: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
    """Find missing periods inside each series and empty targets; apply ``spec.gaps``."""
    freq = spec.frequency
    keys = list(spec.keys)
    frame = frame.sort_values([*keys, spec.period], kind="stable", ignore_index=True)
    sid = frame.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    steps = freq.steps(frame[spec.period], frame[spec.period].min())
    new_series = np.r_[True, sid[1:] != sid[:-1]]
    jump = np.r_[1, np.diff(steps)]
    gap_after = np.r_[(~new_series[1:]) & (jump[1:] > 1), False]  # row before a hole
    empty_target = frame[spec.target].isna().to_numpy()
    if not gap_after.any() and not empty_target.any():
        return frame
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
        frame = _fill_holes(frame, spec, sid, steps)
    if spec.gaps == "zero":
        frame[spec.target] = frame[spec.target].fillna(0.0)
    return frame


def _fill_holes(
    frame: pd.DataFrame, spec: PanelSpec, sid: np.ndarray, steps: np.ndarray
) -> pd.DataFrame:
    """Insert a row for every missing period between a series' first and last row."""
    freq = spec.frequency
    first_step = np.minimum.reduceat(steps, np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]))
    last_step = np.maximum.reduceat(steps, np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]]))
    lengths = last_step - first_step + 1
    series_of = np.repeat(np.arange(len(lengths)), lengths)
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    full_steps = first_step[series_of] + offsets
    origin = frame[spec.period].min()
    full = pd.DataFrame({"_sid": series_of, "_step": full_steps})
    have = pd.DataFrame({"_sid": sid, "_step": steps, "_row": np.arange(len(frame))})
    full = full.merge(have, on=["_sid", "_step"], how="left")
    row = full["_row"].to_numpy()
    present = ~np.isnan(row)
    out = frame.iloc[np.where(present, row, 0).astype(np.int64)].reset_index(drop=True)
    # holes take their series' keys from the series' first row; everything else empty
    first_row = np.flatnonzero(np.r_[True, sid[1:] != sid[:-1]])
    keys = list(spec.keys)
    out.loc[~present, keys] = frame[keys].to_numpy()[first_row[series_of[~present]]]
    grid = freq.range(origin, origin + int(full_steps.max()))
    periods = pd.Series(grid[full_steps], index=out.index)
    out[spec.period] = periods.where(~present, periods)  # same values; keeps the dtype
    out.loc[~present, [spec.target, *spec.exog]] = np.nan
    return out
