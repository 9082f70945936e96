"""Medians of analogue groups, vectorised over groups and columns.

The analogue forecaster's path of a young series is the median, per period, of its
group's relative values; its once-new calibration leaves each held-back series out of
its own group's median. Both run as one sort over all columns and groups.
"""

from __future__ import annotations

import numpy as np


def group_medians(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Median of each column of ``values`` (rows x cols, NaN ignored) per group.

    Returns (n_groups x cols), NaN where a group has no value in a column.
    """
    sv, counts, starts, _, _ = _sorted_by_group(values, groups, n_groups)
    lo = starts + np.maximum(counts - 1, 0) // 2
    hi = starts + counts // 2
    top = max(len(sv) - 1, 0)
    picked = (_at(sv, np.minimum(lo, top)) + _at(sv, np.minimum(hi, top))) / 2.0
    return np.where(counts > 0, picked, np.nan).reshape(values.shape[1], n_groups).T


def leave_one_out_medians(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """For each row and column, the median of its group's values without the row's own.

    Returns (rows x cols); NaN where the row's value is NaN or it is alone in its group.
    """
    sv, counts, starts, order, gid = _sorted_by_group(values, groups, n_groups)
    start = starts[gid]
    rank = np.arange(len(sv)) - start  # rank of each sorted value within its group
    rest = counts[gid] - 1
    # position p of the group without the value at ``rank`` is position p (+1 from it on)
    p_lo, p_hi = (rest - 1) // 2, rest // 2
    q_lo = start + p_lo + (p_lo >= rank)
    q_hi = start + p_hi + (p_hi >= rank)
    top = max(len(sv) - 1, 0)
    picked = (_at(sv, np.clip(q_lo, 0, top)) + _at(sv, np.clip(q_hi, 0, top))) / 2.0
    out = np.full(values.size, np.nan)
    out[order] = np.where(rest > 0, picked, np.nan)
    return out.reshape(values.shape)


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    return values[index] if len(values) else np.full(index.shape, np.nan)


def _sorted_by_group(
    values: np.ndarray, groups: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Finite values sorted by (column, group, value) in one sort over all columns.

    Returns sorted values, counts and starts per (column, group) cell (cell id =
    column * n_groups + group), the flat positions of the sorted values, and their cells.
    """
    n_rows, n_cols = values.shape
    cell = (np.arange(n_cols)[None, :] * n_groups + groups[:, None]).ravel()
    flat = values.ravel()
    keep = np.flatnonzero(np.isfinite(flat))
    order = keep[np.lexsort((flat[keep], cell[keep]))]
    gid = cell[order]
    counts = np.bincount(gid, minlength=n_cols * n_groups)
    starts = np.cumsum(counts) - counts
    return flat[order], counts, starts, order, gid
