"""The panel data contract: :class:`PanelSpec`, :func:`load_panel` and :class:`Panel`.

A panel is long format, one row per series key and period. :func:`load_panel` checks
every rule of the contract and raises :class:`~skillcast.errors.SkillcastDataError`
naming the column, the count of offending rows, up to five examples and the remedy.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from os import PathLike
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.periods import Frequency, frequency, parse_periods

Measure = Literal["stock", "openings"]
GapPolicy = Literal["error", "zero", "missing"]
UnknownCodePolicy = Literal["error", "warn", "keep"]

_MAX_EXAMPLES = 5
# key columns checked against a shipped taxonomy when the spec does not say otherwise
_DEFAULT_TAXONOMIES = {"occupation": "occupation", "level": "level", "sector": "sector"}


@dataclass(frozen=True)
class PanelSpec:
    """What the columns of a panel mean.

    Attributes:
        period: column holding the reporting period.
        freq: ``annual``, ``semiannual``, ``quarterly`` or ``monthly`` (or an alias:
            ``Y``, ``6M``/``H``, ``Q``, ``M``).
        keys: columns that identify a series (any of region, sector, occupation, level,
            under any names).
        target: the numeric column to forecast.
        measure: ``stock`` (employment) or ``openings`` (declared recruitment needs).
        known_exog: exogenous columns known in advance (plans, calendars): features may
            read them at the target period.
        observed_exog: exogenous columns only observed as time passes: features may read
            them only at or before the forecast origin.
        gaps: what to do with a period missing inside a series (or an empty target):
            ``error``, ``zero`` (fill 0: nothing was reported because there was nothing)
            or ``missing`` (keep the row with a missing target).
        unknown_codes: what to do with key codes a taxonomy does not know.
        taxonomies: key column -> taxonomy (``"occupation"``, ``"level"``, ``"sector"``,
            a CSV path, or a :class:`skillcast.taxonomy.Taxonomy`). ``None`` checks the
            columns named occupation, level and sector against the shipped tables;
            ``{}`` checks nothing.
    """

    period: str = "period"
    freq: str = "semiannual"
    keys: tuple[str, ...] = ("sector", "occupation", "level")
    target: str = "employment"
    measure: Measure = "stock"
    known_exog: tuple[str, ...] = ()
    observed_exog: tuple[str, ...] = ()
    gaps: GapPolicy = "error"
    unknown_codes: UnknownCodePolicy = "error"
    taxonomies: Mapping[str, object] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("keys", "known_exog", "observed_exog"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        frequency(self.freq)  # raises on an unknown frequency
        _check_choice("measure", self.measure, ("stock", "openings"))
        _check_choice("gaps", self.gaps, ("error", "zero", "missing"))
        _check_choice("unknown_codes", self.unknown_codes, ("error", "warn", "keep"))
        if not self.keys:
            raise SkillcastConfigError("PanelSpec.keys is empty: name at least one key column.")
        columns = self.columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise SkillcastConfigError(
                f"PanelSpec names column(s) {repeated} in more than one role "
                "(period, keys, target, exogenous): give each column one role."
            )

    @property
    def frequency(self) -> Frequency:
        return frequency(self.freq)

    @property
    def exog(self) -> tuple[str, ...]:
        return self.known_exog + self.observed_exog

    @property
    def columns(self) -> list[str]:
        """Every column the spec names, in panel order."""
        return [*self.keys, self.period, self.target, *self.exog]

    def with_(self, **changes: object) -> PanelSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SkillcastConfigError(f"PanelSpec.{name}={value!r}; choose one of {allowed}.")


class Panel:
    """A validated panel: one row per (keys, period), periods of one frequency.

    Attributes:
        spec: the :class:`PanelSpec` it was validated against.
        frame: long frame sorted by keys then period; period column of pandas Period
            dtype, keys as strings, target as float64. Treat as read-only.
        series: one row per series (the key columns), in series order.
        series_id: for each row of ``frame``, the position of its series (int64).
        periods: every period from the first to the last of the panel.
        period_pos: for each row of ``frame``, its position in ``periods`` (int64).
    """

    def __init__(self, spec: PanelSpec, frame: pd.DataFrame) -> None:
        # frame must already satisfy the contract: build panels with load_panel
        self.spec = spec
        frame = frame.sort_values([*spec.keys, spec.period], kind="stable", ignore_index=True)
        self.frame = frame
        grouped = frame.groupby(list(spec.keys), sort=True, observed=True)
        self.series_id = grouped.ngroup().to_numpy(dtype=np.int64)
        self.series = frame.loc[
            np.r_[True, np.diff(self.series_id) != 0], list(spec.keys)
        ].reset_index(drop=True)
        freq = spec.frequency
        if len(frame):
            first, last = frame[spec.period].min(), frame[spec.period].max()
            self.periods = freq.range(first, last)
            self.period_pos = freq.steps(frame[spec.period], first)
        else:
            self.periods = pd.PeriodIndex([], freq=freq.pandas_freq)
            self.period_pos = np.zeros(0, dtype=np.int64)

    @property
    def freq(self) -> Frequency:
        return self.spec.frequency

    @property
    def n_series(self) -> int:
        return len(self.series)

    @property
    def n_periods(self) -> int:
        return len(self.periods)

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        span = (
            f"{self.freq.label(self.periods[0])}..{self.freq.label(self.periods[-1])}"
            if self.n_periods
            else "empty"
        )
        return (
            f"Panel({self.n_series} series x {self.n_periods} {self.freq.name} periods "
            f"[{span}], target={self.spec.target!r} ({self.spec.measure}), rows={len(self)})"
        )

    def dense(self, column: str | None = None) -> np.ndarray:
        """The (series x periods) float64 array of a column (default: the target).

        Cells before a series' first row or after its last, and missing targets, are NaN.
        """
        column = column or self.spec.target
        out = np.full((self.n_series, self.n_periods), np.nan)
        values = pd.to_numeric(self.frame[column], errors="coerce").to_numpy(dtype=float)
        out[self.series_id, self.period_pos] = values
        return out

    def observed(self) -> np.ndarray:
        """Boolean (series x periods) mask of the cells that have a row in the panel."""
        out = np.zeros((self.n_series, self.n_periods), dtype=bool)
        out[self.series_id, self.period_pos] = True
        return out

    def first_last(self) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``periods`` of each series' first and last row."""
        first = np.full(self.n_series, np.iinfo(np.int64).max)
        last = np.full(self.n_series, -1)
        np.minimum.at(first, self.series_id, self.period_pos)
        np.maximum.at(last, self.series_id, self.period_pos)
        return first, last

    def until(self, origin: pd.Period | str) -> Panel:
        """The panel as known at ``origin``: rows with period <= origin."""
        origin = self._period(origin)
        return Panel(self.spec, self.frame.loc[self.frame[self.spec.period] <= origin])

    def between(self, start: pd.Period | str, end: pd.Period | str) -> Panel:
        """Rows with start <= period <= end."""
        start, end = self._period(start), self._period(end)
        col = self.frame[self.spec.period]
        return Panel(self.spec, self.frame.loc[(col >= start) & (col <= end)])

    def label(self, period: pd.Period) -> str:
        """The human label of a period (``2024-H1``)."""
        return self.freq.label(period)

    def _period(self, value: pd.Period | str) -> pd.Period:
        parsed = parse_periods(pd.Series([value]), self.freq)
        if parsed.unparseable[0] or parsed.off_grid[0]:
            raise SkillcastConfigError(
                f"{value!r} is not a {self.freq.name} period (e.g. "
                f"{self.freq.label(pd.Period('2024-07', self.freq.pandas_freq))})."
            )
        return parsed.periods.iloc[0]


def load_panel(
    data: pd.DataFrame | str | PathLike[str],
    spec: PanelSpec | None = None,
) -> Panel:
    """Read and validate a panel from a DataFrame, a CSV path or a Parquet path.

    The caller's DataFrame is never modified. Raises
    :class:`~skillcast.errors.SkillcastDataError` for any breach of the contract.
    """
    spec = spec or PanelSpec()
    frame = _read(data, spec)
    if frame.empty:
        raise SkillcastDataError(
            "The input has no rows. Check the file or the filter that produced it."
        )
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise SkillcastDataError(
            f"Missing column(s) {missing}; the input has {list(frame.columns)}. "
            "Rename the columns or set the matching PanelSpec fields "
            "(period, keys, target, known_exog, observed_exog)."
        )
    frame = frame.loc[:, spec.columns].copy()
    _validate_keys(frame, spec)
    frame[spec.period] = _validate_periods(frame, spec)
    frame[spec.target] = _validate_target(frame, spec)
    for column in spec.exog:
        frame[column] = _numeric(frame, column, "an exogenous driver")
    _validate_duplicates(frame, spec)
    _validate_codes(frame, spec)
    frame = _apply_gap_policy(frame, spec)
    return Panel(spec, frame)


def _read(data: pd.DataFrame | str | PathLike[str], spec: PanelSpec) -> pd.DataFrame:
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


def _validate_keys(frame: pd.DataFrame, spec: PanelSpec) -> None:
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


def _validate_periods(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
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


def _numeric(frame: pd.DataFrame, column: str, role: str) -> pd.Series:
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


def _validate_target(frame: pd.DataFrame, spec: PanelSpec) -> pd.Series:
    values = _numeric(frame, spec.target, "the target")
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


def _validate_duplicates(frame: pd.DataFrame, spec: PanelSpec) -> None:
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
            tax = taxonomy.load_taxonomy(tax)
        elif isinstance(tax, str):
            tax = taxonomy.builtin(tax)
        resolved[column] = tax
    return resolved


def _validate_codes(frame: pd.DataFrame, spec: PanelSpec) -> None:
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


def _apply_gap_policy(frame: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
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
