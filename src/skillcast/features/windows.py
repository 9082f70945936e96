"""Rolling-window and expanding statistics of the target, ending at the forecast origin.

A window of length ``w`` covers positions ``origin - w + 1 .. origin`` (so
``roll_mean_1`` would equal ``lag_1``). Statistics use the observed (non-missing)
values in the window: ``mean``, ``min`` and ``max`` need at least one, ``std`` (sample
standard deviation, ddof = 1) at least two; otherwise the value is NaN. Positions
before the panel's first period or a series' first row count as missing.

==================  ===============================================  =====================
name                meaning                                          periods read
==================  ===============================================  =====================
``roll_mean_w``     mean of the observed values in the window        origin - w + 1..origin
``roll_std_w``      sample std (ddof = 1) of the same values         origin - w + 1..origin
``roll_min_w``      smallest observed value in the window            origin - w + 1..origin
``roll_max_w``      largest observed value in the window             origin - w + 1..origin
``expanding_mean``  mean of every observed value up to the origin    0..origin
==================  ===============================================  =====================

Means and standard deviations come from prefix sums over the time axis. Before the
sums each series is shifted by its first observed value, so that a constant series has
a standard deviation of exactly 0 and large counts lose no precision to cancellation;
that value lies at or before any origin where the window holds data, so no statistic
depends on data after its origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.features.base import (
    FeatureBuilder,
    FeatureScale,
    PanelArrays,
    check_positive_ints,
)
from skillcast.panel import Panel

STATS = ("mean", "std", "min", "max")


class PrefixSums:
    """Prefix sums of one column, time-major, with a leading row of zeros.

    ``count[p]``, ``total[p]`` and ``squares[p]`` cover positions ``0 .. p - 1`` of
    the shifted values ``y - shift`` (missing values count as absent).
    """

    def __init__(self, values: np.ndarray) -> None:
        observed = ~np.isnan(values)
        first = np.argmax(observed, axis=0)  # first observed position (0 if none)
        self.shift = values[first, np.arange(values.shape[1])]
        self.shift = np.where(np.isnan(self.shift), 0.0, self.shift)
        shifted = np.where(observed, values - self.shift, 0.0)
        n_periods, n_series = values.shape
        self.count = np.zeros((n_periods + 1, n_series))
        self.total = np.zeros((n_periods + 1, n_series))
        self.squares = np.zeros((n_periods + 1, n_series))
        # cumsum runs sequentially along the time axis, so the sum up to p never reads past p
        np.cumsum(observed, axis=0, out=self.count[1:])
        np.cumsum(shifted, axis=0, out=self.total[1:])
        np.cumsum(shifted * shifted, axis=0, out=self.squares[1:])

    def window(
        self, origins: np.ndarray, width: int | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Count, sum and sum of squares over each window ending at an origin, (m x n).

        ``width=None`` covers everything from position 0 (an expanding window).
        """
        hi = origins + 1
        lo = np.zeros_like(hi) if width is None else np.maximum(hi - width, 0)
        return (
            self.count[hi] - self.count[lo],
            self.total[hi] - self.total[lo],
            self.squares[hi] - self.squares[lo],
        )


def prefix_sums(arrays: PanelArrays) -> PrefixSums:
    """The target's prefix sums, shared by every builder in one transform call."""
    return arrays.derived("prefix_sums", lambda: PrefixSums(arrays.values()))


def _mean(sums: PrefixSums, count: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count + sums.shift, np.nan).reshape(-1)


def _std(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        ss = np.maximum(squares - total * total / count, 0.0)
        return np.where(count > 1, np.sqrt(ss / (count - 1)), np.nan).reshape(-1)


class RollingWindows(FeatureBuilder):
    """Statistics of the target over windows ending at the origin.

    Args:
        windows: window lengths in periods (distinct integers >= 1).
        stats: any of ``mean``, ``std``, ``min``, ``max``.

    Output columns ``roll_<stat>_<w>``, window-major (all stats of the first window,
    then the next window). Means, minima and maxima are levels of the target, standard
    deviations spreads (:meth:`get_feature_scales_out`).
    """

    def __init__(
        self,
        windows: tuple[int, ...] = (2, 4),
        stats: tuple[str, ...] = STATS,
    ) -> None:
        self.windows = windows
        self.stats = stats

    def _fit(self, panel: Panel) -> None:
        self.windows_ = check_positive_ints("RollingWindows.windows", self.windows)
        stats = (self.stats,) if isinstance(self.stats, str) else tuple(self.stats)
        unknown = [s for s in stats if s not in STATS]
        if not stats or unknown or len(set(stats)) != len(stats):
            raise SkillcastConfigError(
                f"RollingWindows.stats must be distinct names among {STATS}, got {self.stats!r}."
            )
        self.stats_ = stats
        self.feature_names_out_ = [f"roll_{s}_{w}" for w in self.windows_ for s in self.stats_]

    def get_feature_scales_out(self) -> list[FeatureScale]:
        self._check_fitted()
        return ["spread" if s == "std" else "level" for _ in self.windows_ for s in self.stats_]

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        columns: list[np.ndarray] = []
        needs_sums = {"mean", "std"} & set(self.stats_)
        sums = prefix_sums(arrays) if needs_sums else None
        for width in self.windows_:
            if sums is not None:
                count, total, squares = sums.window(origins, width)
            extremes = self._extremes(arrays, origins, width)
            for stat in self.stats_:
                if stat == "mean":
                    columns.append(_mean(sums, count, total))  # type: ignore[arg-type]
                elif stat == "std":
                    columns.append(_std(count, total, squares))
                else:
                    columns.append(extremes[stat])
        return columns

    def _extremes(
        self, arrays: PanelArrays, origins: np.ndarray, width: int
    ) -> dict[str, np.ndarray]:
        """Window min and max by folding over the window's offsets (fmin/fmax skip NaN)."""
        wanted = [s for s in ("min", "max") if s in self.stats_]
        if not wanted:
            return {}
        out: dict[str, np.ndarray] = {}
        for offset in range(width):
            values = arrays.gather(None, origins - offset)
            for stat in wanted:
                fold = np.fmin if stat == "min" else np.fmax
                out[stat] = values.copy() if offset == 0 else fold(out[stat], values)
        return out


class ExpandingMean(FeatureBuilder):
    """``expanding_mean``: mean of every observed target value up to the origin."""

    def _fit(self, panel: Panel) -> None:
        self.feature_names_out_ = ["expanding_mean"]

    def get_feature_scales_out(self) -> list[FeatureScale]:
        return ["level"] * len(self.get_feature_names_out())

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        sums = prefix_sums(arrays)
        count, total, _ = sums.window(origins, None)
        return [_mean(sums, count, total)]
