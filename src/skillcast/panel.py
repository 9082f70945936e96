"""The panel data contract: :func:`load_panel` and the validated :class:`Panel`.

A panel is long format, one row per series key and period. :func:`load_panel` checks
every rule of the contract (see :mod:`skillcast.validation`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from skillcast import keys, reading, validation
from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, parse_periods
from skillcast.spec import PanelSpec

__all__ = ["Panel", "PanelSpec", "load_panel"]


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
        rows = sort_rows(frame, spec)
        if rows.order is not None:
            frame = frame.take(rows.order)
        self._set(spec, frame.reset_index(drop=True), rows.series_id, rows.steps)

    @classmethod
    def _sorted(
        cls, spec: PanelSpec, frame: pd.DataFrame, series_id: np.ndarray, steps: np.ndarray
    ) -> Panel:
        """A panel over a frame already sorted by keys then period, its rows indexed."""
        panel = cls.__new__(cls)
        panel._set(spec, frame.reset_index(drop=True), series_id, steps)
        return panel

    def _set(
        self, spec: PanelSpec, frame: pd.DataFrame, series_id: np.ndarray, steps: np.ndarray
    ) -> None:
        # rows are sorted: series_id is equal on a series' rows, steps count periods from
        # any common origin; both are renumbered from 0 here
        self.spec = spec
        self.frame = frame
        starts = np.r_[True, series_id[1:] != series_id[:-1]] if len(frame) else []
        self.series_id = np.cumsum(starts, dtype=np.int64) - 1
        self.series = frame.loc[starts, list(spec.keys)].reset_index(drop=True)
        freq = spec.frequency
        if len(frame):
            first_row = int(np.argmin(steps))
            self.period_pos = steps - steps[first_row]
            first = frame[spec.period].iloc[first_row]
            self.periods = freq.range(first, first + int(self.period_pos.max()))
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
        return self._subset((self.frame[self.spec.period] <= origin).to_numpy())

    def between(self, start: pd.Period | str, end: pd.Period | str) -> Panel:
        """Rows with start <= period <= end."""
        start, end = self._period(start), self._period(end)
        col = self.frame[self.spec.period]
        return self._subset(((col >= start) & (col <= end)).to_numpy())

    def with_next_period(self, rows: pd.DataFrame) -> Panel:
        """This panel and one more period after its last: ``rows`` holds one row per
        series, in series order, with the panel's columns (keys, period, target...).

        The rows keep their order without sorting again: each series' new row goes right
        after its last one (a recursive forecast extends its panel this way at every step).
        """
        n = self.n_series
        if len(rows) != n:
            raise SkillcastConfigError(f"with_next_period needs {n} rows (one per series).")
        after = np.cumsum(np.bincount(self.series_id, minlength=n))  # each series' end
        order = np.insert(np.arange(len(self.frame)), after, len(self.frame) + np.arange(n))
        frame = pd.concat([self.frame, rows], ignore_index=True).take(order)
        series_id = np.insert(self.series_id, after, np.arange(n))
        steps = np.insert(self.period_pos, after, np.full(n, self.n_periods))
        return Panel._sorted(self.spec, frame, series_id, steps)

    def _subset(self, keep: np.ndarray) -> Panel:
        # a subset of sorted rows stays sorted: no need to sort or group again
        return Panel._sorted(
            self.spec, self.frame.loc[keep], self.series_id[keep], self.period_pos[keep]
        )

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


@dataclass(frozen=True)
class SortedRows:
    """How the rows of a long frame sort by keys then period (see :func:`sort_rows`).

    Attributes:
        order: row positions in sorted order (int64, length n_rows), or ``None`` when the
            frame is already sorted.
        series_id: for each sorted row, its series position (int64, 0..n_series-1).
        steps: for each sorted row, whole periods after the frame's first period (int64).
    """

    order: np.ndarray | None
    series_id: np.ndarray
    steps: np.ndarray


def sort_rows(
    frame: pd.DataFrame, spec: PanelSpec, key_codes: keys.KeyCodes | None = None
) -> SortedRows:
    """Sort the rows of ``frame`` (keys, then a Period column) without sorting the frame.

    Each key column is factorized once with sorted codes, so the order is the one
    ``frame.sort_values([*keys, period], kind="stable")`` gives, found by sorting a
    single int64 (series code, step) per row instead of comparing strings row by row.
    ``key_codes`` (from :func:`skillcast.keys.validate_keys`) saves the factorizing.
    """
    n = len(frame)
    if not n:
        empty = np.zeros(0, dtype=np.int64)
        return SortedRows(None, empty, empty)
    code, n_codes = np.zeros(n, dtype=np.int64), 1
    for key in spec.keys:
        codes, uniques = (key_codes or {}).get(key) or pd.factorize(frame[key], sort=True)
        n_key = len(uniques) + 1  # the extra code puts missing keys last, as sorting does
        codes = codes.astype(np.int64, copy=False)
        if codes.min() < 0:
            codes = np.where(codes < 0, n_key - 1, codes)
        code = code * n_key + codes if n_codes > 1 else codes
        n_codes *= n_key
        if n_codes > 2**31:  # keep the mixed-radix code far from int64 overflow
            code, n_codes = _compress(code)
    periods = frame[spec.period]
    steps = spec.frequency.steps(periods, periods.min())
    span = int(steps.max()) + 1
    if n_codes * span > max(8 * n, 2**20):  # unused key combinations: renumber the series
        code, n_codes = _compress(code)
    row_key = code * span + steps  # < n_codes * span <= max(8 * n, n * span): fits int64
    order = None
    if not np.all(row_key[1:] >= row_key[:-1]):
        order = _argsort(row_key, n_codes * span)
        code, steps = code[order], steps[order]
    series_id = np.cumsum(np.r_[True, code[1:] != code[:-1]], dtype=np.int64) - 1
    return SortedRows(order, series_id, steps)


def _compress(code: np.ndarray) -> tuple[np.ndarray, int]:
    """Renumber codes 0..k-1 keeping their order."""
    codes, uniques = pd.factorize(code, sort=True)
    return codes.astype(np.int64, copy=False), len(uniques)


def _argsort(row_key: np.ndarray, n_keys: int) -> np.ndarray:
    """Stable argsort of non-negative int64 keys below ``n_keys``."""
    if n_keys <= max(8 * len(row_key), 2**20):
        counts = np.bincount(row_key, minlength=n_keys)
        if counts.max() == 1:  # distinct keys: each row's rank is the count of smaller keys
            rank = np.cumsum(counts) - 1
            order = np.empty(len(row_key), dtype=np.int64)
            order[rank[row_key]] = np.arange(len(row_key))
            return order
    return np.argsort(row_key, kind="stable")


def load_panel(
    data: pd.DataFrame | str | PathLike[str],
    spec: PanelSpec | None = None,
    read: reading.ReadOptions | Mapping[str, Any] | None = None,
) -> Panel:
    """Read and validate a panel from a DataFrame, a CSV path or a Parquet path.

    ``read`` says how the source writes its text (:class:`~skillcast.reading.ReadOptions`
    or a mapping of its fields): the CSV delimiter, and the thousands separator and
    decimal mark of target and driver values written as text (``1.250,5``). The caller's
    DataFrame is never modified. Raises
    :class:`~skillcast.errors.SkillcastDataError` for any breach of the contract,
    unreadable files included; warns (:class:`~skillcast.errors.SkillcastDataWarning`)
    when key text had to be made uniform.
    """
    spec = spec or PanelSpec()
    frame = reading.read_frame(data, spec, read)
    # columns are replaced below, never written in place, so the caller's data is safe
    frame = frame.loc[:, spec.columns].copy(deep=False)
    key_codes = keys.validate_keys(frame, spec)
    frame[spec.period] = validation.validate_periods(frame, spec)
    frame[spec.target] = validation.validate_target(frame, spec)
    for column in spec.exog:
        frame[column] = validation.validate_driver(frame, column)
    rows = sort_rows(frame, spec, key_codes)
    validation.validate_duplicates(frame, spec, rows.order, rows.series_id, rows.steps)
    keys.validate_codes(frame, spec, key_codes)
    if rows.order is not None:
        frame = _reorder(frame, rows.order, rows.series_id, key_codes)
    frame, series_id, steps = validation.apply_gap_policy(
        frame.reset_index(drop=True), spec, rows.series_id, rows.steps
    )
    return Panel._sorted(spec, frame, series_id, steps)


def _reorder(
    frame: pd.DataFrame, order: np.ndarray, series_id: np.ndarray, key_codes: keys.KeyCodes
) -> pd.DataFrame:
    """``frame.take(order)``, the key columns rebuilt from their codes.

    A series' keys are the same on all its rows: they are read once per series and
    repeated, which is several times faster than gathering strings row by row.
    """
    out = frame.drop(columns=list(key_codes)).take(order).reset_index(drop=True)
    starts = np.flatnonzero(np.r_[True, series_id[1:] != series_id[:-1]])
    lengths = np.diff(np.r_[starts, len(frame)])
    for key, (codes, uniques) in key_codes.items():
        series_codes = codes[order[starts]]
        out[key] = pd.Series(uniques.take(np.repeat(series_codes, lengths)), name=key)
    return out[list(frame.columns)]
