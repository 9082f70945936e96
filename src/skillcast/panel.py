"""The panel data contract: :func:`load_panel` and the validated :class:`Panel`.

A panel is long format, one row per series key and period. :func:`load_panel` checks
every rule of the contract (see :mod:`skillcast.validation`).
"""

from __future__ import annotations

from os import PathLike

import numpy as np
import pandas as pd

from skillcast import validation
from skillcast.errors import SkillcastConfigError, SkillcastDataError
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
    frame = validation.read_frame(data, spec)
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
    validation.validate_keys(frame, spec)
    frame[spec.period] = validation.validate_periods(frame, spec)
    frame[spec.target] = validation.validate_target(frame, spec)
    for column in spec.exog:
        frame[column] = validation.numeric(frame, column, "an exogenous driver")
    validation.validate_duplicates(frame, spec)
    validation.validate_codes(frame, spec)
    frame = validation.apply_gap_policy(frame, spec)
    return Panel(spec, frame)
