"""Emerging series: codes and cells that are new in the data, or rise from zero.

A forecast of a series with a short or empty history rests on few observations, and a
planner should be told so. :func:`detect_emerging` looks at a panel as it stands (only
its own rows: nothing after its last period) and flags each series as one of:

``new code``
    a code of some key (an occupation, a sector, a level...) is first observed within the
    last ``recent`` periods: no series with that code has a value before. Every series
    carrying the code is flagged, and ``emerging_key`` names the key(s).
``new series``
    the series (the cell) is first observed within the last ``recent`` periods, though
    each of its codes was observed before, in other cells.
``rising from zero``
    the series was observed before the recent periods, but every value it had then was
    missing or near zero -- at most ``near_zero`` times its recent level -- and its
    recent level is clearly positive (at least ``min_size``).

The first matching reason, in that order, is the one given. "Observed" means a
non-missing value of the target: a row with a missing value does not start a series.
The recent level is the mean of the series' values within the recent periods (missing
values left out), in the target's units.

Defaults: ``recent`` is one year of periods (``panel.freq.season_length``: 2 half-years,
4 quarters, 12 months, 1 year); ``near_zero=0.1`` (everything before was at most a tenth
of the recent level); ``min_size=5`` (five workers: a rise to one or two is
the noise of a small reporting cell, not a new occupation). A panel with no period before the
recent ones has no history to be new against: nothing is flagged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel

__all__ = [
    "EMERGING_COLUMNS",
    "NEW_CODE",
    "NEW_SERIES",
    "REASONS",
    "RISING",
    "detect_emerging",
]

NEW_CODE = "new code"
NEW_SERIES = "new series"
RISING = "rising from zero"
#: the reasons, strongest first (a series matching several is given the first)
REASONS = (NEW_CODE, NEW_SERIES, RISING)
#: the columns :func:`detect_emerging` adds after the panel's key columns
EMERGING_COLUMNS = (
    "emerging",
    "emerging_reason",
    "emerging_key",
    "first_period",
    "n_observed",
    "recent_mean",
)


def detect_emerging(
    panel: Panel,
    recent: int | None = None,
    near_zero: float = 0.1,
    min_size: float = 5.0,
) -> pd.DataFrame:
    """Flag the series of ``panel`` that are new or rise from zero (module doc).

    Args:
        panel: the data as known now; only its rows are read.
        recent: how many periods at the end of the panel count as recent (default: one
            year, ``panel.freq.season_length``).
        near_zero: a series "was at zero" when every value before the recent periods is
            at most this share of its recent level (0 <= near_zero < 1).
        min_size: the recent level (mean, target units) a series rising from zero must
            reach to be flagged (>= 0; default 5).

    Returns:
        One row per series of ``panel``, in series order: the key columns (codes as
        text), ``emerging`` (bool), ``emerging_reason`` (one of :data:`REASONS`, empty
        when not emerging), ``emerging_key`` (the key(s) whose code is new, ``;``-joined,
        for ``new code``), ``first_period`` (label of the first observed period; for
        ``rising from zero``, of the first period above near zero), ``n_observed``
        (periods with a value) and ``recent_mean`` (mean of the recent values, NaN
        when none). ``attrs`` holds ``recent``, ``near_zero``, ``min_size`` and ``end``
        (the panel's last period label).

    Raises:
        SkillcastConfigError: ``recent``, ``near_zero`` or ``min_size`` out of range.
    """
    recent = _check(panel, recent, near_zero, min_size)
    season = panel.freq.season_length
    keys = list(panel.spec.keys)
    values = panel.dense()
    n_series, n_periods = values.shape
    seen = np.isfinite(values)
    start = max(n_periods - recent, 0)  # position of the first recent period
    # a series never observed gets a first position past the end: it is not new, it is absent
    first = np.where(seen.any(axis=1), np.argmax(seen, axis=1), n_periods)
    recent_mean = np.full(n_series, np.nan)
    window = seen[:, start:].sum(axis=1)
    got = window > 0
    recent_mean[got] = (
        np.where(seen[got, start:], values[got, start:], 0.0).sum(axis=1) / window[got]
    )
    history = start > 0  # something before the recent periods to be new against

    codes = panel.series.loc[:, keys].astype(str)
    new_key = np.full(n_series, "", dtype=object)
    if history and n_series:
        for key in keys:  # a handful of keys; each step vectorised over series
            code_first = pd.Series(first).groupby(codes[key].to_numpy()).transform("min")
            fresh = (code_first.to_numpy() >= start) & (code_first.to_numpy() < n_periods)
            new_key = np.where(fresh, np.where(new_key == "", key, new_key + ";" + key), new_key)
    is_new_code = new_key != ""
    is_new_series = history & (first >= start) & (first < n_periods) & ~is_new_code

    before = np.where(seen[:, :start], np.abs(values[:, :start]), 0.0)
    peak_before = before.max(axis=1) if start > 0 else np.zeros(n_series)
    level = np.nan_to_num(recent_mean, nan=0.0)
    is_rising = (
        history
        & (first < start)
        & (level >= min_size)
        & (level > 0)
        & (peak_before <= near_zero * level)
        & ~is_new_code
        & ~is_new_series
    )
    reason = np.select([is_new_code, is_new_series, is_rising], list(REASONS), default="")
    # where a rise begins: the first period whose value clears the near-zero bound
    above = seen & (np.nan_to_num(values) > (near_zero * level)[:, None])
    rise_at = np.where(above.any(axis=1), np.argmax(above, axis=1), first)
    shown = np.where(is_rising, rise_at, first)
    labels = np.asarray(panel.freq.labels(panel.periods), dtype=object)
    first_label = np.full(n_series, "", dtype=object)
    dated = shown < n_periods
    first_label[dated] = labels[shown[dated]]

    out = codes.reset_index(drop=True).copy()
    out["emerging"] = reason != ""
    out["emerging_reason"] = reason.astype(object)
    out["emerging_key"] = np.where(is_new_code, new_key, "").astype(object)
    out["first_period"] = first_label
    out["n_observed"] = seen.sum(axis=1).astype(np.int64)
    out["recent_mean"] = recent_mean
    out.attrs.update(
        recent=recent,
        near_zero=float(near_zero),
        min_size=float(min_size),
        end=labels[-1] if n_periods else "",
        periods_per_year=season,
    )
    return out


def _check(panel: Panel, recent: int | None, near_zero: float, min_size: float) -> int:
    if not isinstance(panel, Panel):
        raise SkillcastConfigError(
            f"detect_emerging needs a skillcast Panel, got {type(panel).__name__}: build "
            "one with skillcast.load_panel."
        )
    if recent is None:
        recent = panel.freq.season_length
    if isinstance(recent, bool) or not isinstance(recent, int | np.integer) or recent < 1:
        raise SkillcastConfigError(
            f"recent={recent!r}: give a whole number of periods >= 1 (the last periods that "
            f"count as recent; one year of {panel.freq.name} periods is "
            f"{panel.freq.season_length})."
        )
    if not (isinstance(near_zero, int | float) and 0.0 <= float(near_zero) < 1.0):
        raise SkillcastConfigError(
            f"near_zero={near_zero!r}: give a share in [0, 1), the most a series may have "
            "been, as a share of its recent level, before it counts as rising from zero "
            "(default 0.1)."
        )
    if not (isinstance(min_size, int | float) and np.isfinite(min_size) and min_size >= 0):
        raise SkillcastConfigError(
            f"min_size={min_size!r}: give a number >= 0, the recent level (target units) a "
            "series rising from zero must reach (default 5)."
        )
    return int(recent)
