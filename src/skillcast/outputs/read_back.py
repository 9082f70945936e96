"""Planner tables taken back as input: a run's CSVs read again, or the frames that wrote
them.

A CSV reader makes ``8343`` a number, while the frames in memory hold text codes and
pandas periods: :func:`as_codes` brings both to one form (codes as text, periods as
labels) and :func:`floats` reads a number column, blanks and stray text as NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.outputs.annual import label_frequency

__all__ = ["KEYS", "as_codes", "floats"]

KEYS = ("region", "sector", "occupation", "level")


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
