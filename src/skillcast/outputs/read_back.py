"""Planner tables taken back as input: a run's CSVs read again, or the frames that wrote
them.

A CSV reader makes ``8343`` a number, while the frames in memory hold text codes and
pandas periods: :func:`as_codes` brings both to one form (codes as text, periods as
labels) and :func:`floats` reads a number column, blanks and stray text as NaN.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.periods import FREQUENCIES, Frequency, frequency

__all__ = ["KEYS", "as_codes", "floats", "label_frequency"]

KEYS = ("region", "sector", "occupation", "level")
_LABEL_FORMS = {
    "annual": re.compile(r"^\d{4}$"),
    "semiannual": re.compile(r"^\d{4}-?[HS][12]$", re.IGNORECASE),
    "quarterly": re.compile(r"^\d{4}-?Q[1-4]$", re.IGNORECASE),
    "monthly": re.compile(r"^\d{4}-\d{1,2}$"),
}


def as_codes(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the code columns as text (CSV readers make ``8343`` a number)."""
    out = frame.copy()
    for key in (*KEYS, "aggregation", "cluster"):
        if key in out.columns:
            col = out[key]
            if pd.api.types.is_float_dtype(col.dtype):
                col = col.astype("Int64")
            out[key] = col.astype("string").to_numpy(dtype=object, na_value=None)
    if "period" in out.columns:
        if isinstance(out["period"].dtype, pd.PeriodDtype):
            freq = label_frequency(out["period"])
            out["period"] = freq.labels(pd.PeriodIndex(out["period"]))
        else:
            out["period"] = out["period"].astype(str).str.strip()
    return out


def floats(column: pd.Series) -> np.ndarray:
    """The column as floats; what is not a number becomes NaN."""
    return pd.to_numeric(column, errors="coerce").to_numpy(dtype=float, na_value=np.nan)


def label_frequency(periods: pd.Series) -> Frequency:
    """The frequency of a column of period labels (``2026``, ``2026-H1``, ``2026Q3``,
    ``2026-07``) or pandas Periods.

    Raises:
        SkillcastConfigError: labels of mixed or unknown forms.
    """
    if isinstance(periods.dtype, pd.PeriodDtype):
        return frequency(periods.dtype.freq.freqstr.split("-")[0])
    text = pd.Series(periods.dropna().astype(str).str.strip().unique())
    for name, form in _LABEL_FORMS.items():
        if len(text) and bool(text.str.match(form).all()):
            return FREQUENCIES[name]
    raise SkillcastConfigError(
        f"Cannot tell the frequency of the period labels {list(text[:3])}: use one form "
        "throughout (2026, 2026-H1, 2026Q3 or 2026-07), or pass freq=."
    )
