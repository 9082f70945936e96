"""The feature-builder protocol and the per-call view of a panel the builders share.

A builder turns a :class:`~skillcast.panel.Panel`, a set of forecast origins and one
horizon step into a float64 matrix of shape ``(len(origins) * n_series, n_features)``.
Rows are origin-major: all series (in panel order) for ``origins[0]``, then all series
for ``origins[1]``, and so on. ``origins`` are integer positions in ``panel.periods``;
the target lies at position ``origin + step`` (possibly beyond the panel's last period).

Builders work on time-major dense arrays (periods x series): gathering the rows for a
set of origins is then a contiguous row copy, and the result is already origin-major.

Each builder also declares how its columns scale with the size of a series
(:meth:`FeatureBuilder.get_feature_scales_out`), so a model that works relative to each
series' level (:class:`~skillcast.models.GlobalModel`) rescales the right columns
whatever they are named.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Literal, Self, TypeAlias, TypeVar, get_args

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel

T = TypeVar("T")
#: Forecast origins: positions in ``panel.periods`` (an int, a sequence or an int array).
Origins: TypeAlias = int | Sequence[int] | np.ndarray
#: How a column scales with the size of a series: ``"level"``, a value in the target's
#: own units that describes the series' level (a lag, a window mean); ``"spread"``, a
#: dispersion in the target's units (a window std); ``"none"``, anything else (a ratio,
#: a growth rate, a calendar or category code, a driver in its own units).
FeatureScale: TypeAlias = Literal["level", "spread", "none"]
FEATURE_SCALES: tuple[FeatureScale, ...] = get_args(FeatureScale)


class PanelArrays:
    """Dense time-major arrays of one panel, built once per transform call.

    ``values(column)`` is the (periods x series) float64 array of a column (NaN where
    the series has no row or the value is missing), i.e. ``panel.dense(column).T``.
    ``gather(column, positions)`` reads whole periods for a set of origins; positions
    before the panel's first period read NaN.
    """

    def __init__(self, panel: Panel) -> None:
        self.panel = panel
        self._values: dict[str, np.ndarray] = {}
        self._padded: dict[str, tuple[np.ndarray, int]] = {}
        self._derived: dict[object, object] = {}

    @property
    def n_series(self) -> int:
        return self.panel.n_series

    @property
    def n_periods(self) -> int:
        return self.panel.n_periods

    def values(self, column: str | None = None) -> np.ndarray:
        column = column or self.panel.spec.target
        if column not in self._values:
            panel = self.panel
            out = np.full((panel.n_periods, panel.n_series), np.nan)
            raw = pd.to_numeric(panel.frame[column], errors="coerce")
            out[panel.period_pos, panel.series_id] = raw.to_numpy(dtype=float)
            self._values[column] = out
        return self._values[column]

    def padded(self, column: str | None, pad: int) -> tuple[np.ndarray, int]:
        """``values(column)`` with at least ``pad`` NaN rows in front, and the pad used.

        Row ``p + used`` of the result is period ``p``. One padded copy per column is
        kept and grown on demand, so builders needing different pads share it.
        """
        column = column or self.panel.spec.target
        if pad <= 0 and column not in self._padded:
            return self.values(column), 0
        have = self._padded.get(column)
        if have is None or have[1] < pad:
            values = self.values(column)
            out = np.empty((values.shape[0] + pad, values.shape[1]))
            out[:pad] = np.nan
            out[pad:] = values
            self._padded[column] = have = (out, pad)
        return have

    def derived(self, key: object, build: Callable[[], T]) -> T:
        """A value derived from the arrays (prefix sums...), built once per call."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[return-value]

    def gather(self, column: str | None, positions: np.ndarray) -> np.ndarray:
        """Values at the given period positions (negative ones: NaN), origin-major, flat.

        ``positions`` has one entry per origin, each < ``n_periods``; the result has
        ``len(positions) * n_series`` entries, series in panel order within each origin.
        """
        lowest = int(positions.min()) if len(positions) else 0
        array, used = self.padded(column, -lowest)
        return array[positions + used].reshape(-1)


def check_panel(panel: object, who: str) -> Panel:
    """``panel`` if it is a :class:`Panel`, else an error pointing to ``load_panel``."""
    if not isinstance(panel, Panel):
        raise SkillcastConfigError(
            f"{who}.fit expects a Panel (see load_panel), got {type(panel).__name__}."
        )
    return panel


def check_origins(origins: Origins, panel: Panel) -> np.ndarray:
    """Validate forecast origins: integer positions within ``panel.periods`` (int64 array)."""
    arr = np.atleast_1d(np.asarray(origins))
    if arr.ndim != 1:
        raise SkillcastConfigError(f"origins must be a 1-D sequence of positions, got {arr.shape}.")
    whole = np.issubdtype(arr.dtype, np.integer) or (
        np.issubdtype(arr.dtype, np.floating) and bool(np.all(np.mod(arr, 1) == 0))
    )
    if arr.size and not whole:
        raise SkillcastConfigError(f"origins must be integer positions, got {arr[:5]!r}.")
    arr = arr.astype(np.int64)
    bad = (arr < 0) | (arr >= panel.n_periods)
    if bad.any():
        raise SkillcastConfigError(
            f"{int(bad.sum())} origin(s) {arr[bad][:5].tolist()} lie outside the panel's "
            f"periods 0..{panel.n_periods - 1}: an origin is the position of the last "
            "period whose data may be read."
        )
    return arr


def check_frequency(fitted: object, panel: Panel) -> None:
    """The panel given to ``transform`` must have the frequency seen in ``fit``."""
    expected = getattr(fitted, "freq_", panel.freq.name)
    if panel.freq.name != expected:
        raise SkillcastConfigError(
            f"{type(fitted).__name__} was fitted on a {expected} panel and cannot transform "
            f"a {panel.freq.name} one: fit it on a panel of the same frequency."
        )


def check_step(step: object) -> int:
    """Validate the horizon step (an integer >= 1)."""
    if isinstance(step, bool) or not isinstance(step, int | np.integer) or int(step) < 1:
        raise SkillcastConfigError(f"step must be an integer >= 1, got {step!r}.")
    return int(step)


def check_positive_ints(name: str, values: object) -> tuple[int, ...]:
    """A non-empty tuple of distinct integers >= 1 (lags, windows, growth periods)."""
    raw = [values] if np.isscalar(values) else values
    try:
        items = list(raw)  # type: ignore[call-overload]
        ok = all(float(v) == int(v) for v in items)
    except (TypeError, ValueError):
        ok = False
    if not ok:
        raise SkillcastConfigError(f"{name} must be integers >= 1, got {values!r}.")
    out = tuple(int(v) for v in items)
    if not out or min(out) < 1 or len(set(out)) != len(out):
        raise SkillcastConfigError(f"{name} must be distinct integers >= 1, got {values!r}.")
    return out


class FeatureBuilder(BaseEstimator, ABC):
    """Base class of the feature builders.

    Subclasses implement :meth:`_fit` (validate parameters, learn state into attributes
    ending in ``_``, set ``feature_names_out_``) and :meth:`_columns` (one flat float64
    array per feature, origin-major). :meth:`transform` stacks the columns. A builder
    whose columns are levels or spreads of the target overrides
    :meth:`get_feature_scales_out`.
    """

    def fit(self, panel: Panel) -> Self:
        """Validate parameters and learn what the builder needs from ``panel``."""
        panel = check_panel(panel, type(self).__name__)
        self.freq_ = panel.freq.name
        self._fit(panel)
        return self

    def transform(
        self,
        panel: Panel,
        origins: Origins,
        step: int,
        exog: pd.DataFrame | None = None,
    ) -> np.ndarray:
        """Features for every series at every origin, target ``step`` periods later.

        Returns a float64 array of shape ``(len(origins) * panel.n_series, n_features)``,
        rows origin-major, series in panel order (column-major in memory).
        """
        self._check_fitted()
        check_frequency(self, panel)
        origins = check_origins(origins, panel)
        step = check_step(step)
        columns = self._columns(PanelArrays(panel), origins, step, exog)
        return stack_columns(columns, len(origins) * panel.n_series)

    def get_feature_names_out(self, input_features: object = None) -> list[str]:
        """Stable names of the output columns, in order."""
        self._check_fitted()
        return list(self.feature_names_out_)

    def get_feature_scales_out(self) -> list[FeatureScale]:
        """How each output column scales with the series (:data:`FeatureScale`), in the
        order of :meth:`get_feature_names_out`; ``"none"`` for every column by default."""
        return ["none"] * len(self.get_feature_names_out())

    @abstractmethod
    def _fit(self, panel: Panel) -> None: ...

    @abstractmethod
    def _columns(
        self,
        arrays: PanelArrays,
        origins: np.ndarray,
        step: int,
        exog: pd.DataFrame | None,
    ) -> list[np.ndarray]: ...

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_out_"):
            raise SkillcastConfigError(f"{type(self).__name__} is not fitted: call fit first.")


def stack_columns(columns: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Stack flat columns into an (n_rows x n_columns) float64 matrix.

    The matrix is column-major (Fortran order): each column is one contiguous copy, and
    LightGBM reads such a matrix without converting it.
    """
    out = np.empty((n_rows, len(columns)), order="F")
    for j, column in enumerate(columns):
        out[:, j] = column
    return out


def repeat_per_origin(values: np.ndarray, n_series: int) -> np.ndarray:
    """Broadcast one value per origin to every series row of that origin (flat float64)."""
    return np.repeat(np.asarray(values, dtype=float), n_series)
