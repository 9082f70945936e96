"""A supplied elasticity table (``DriverElasticities(table=...)``): read, checked and
laid out as (groups x drivers) arrays."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError

_EXAMPLES = 5


def read_supplied(
    source: pd.DataFrame | str | Path,
    by: Sequence[str],
    drivers: Sequence[str],
    groups: pd.DataFrame,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, pd.DataFrame]:
    """Elasticities from a frame or CSV path with the ``by`` columns, ``driver``,
    ``elasticity`` and optionally ``std_error``.

    Returns:
        (groups x drivers) elasticities, std errors, a mask of the pairs the table lists
        (the rest are 0), and the rows naming groups not in ``groups`` (set aside: a
        national table lists sectors a city does not have).
    """
    by, drivers = list(by), list(drivers)
    if isinstance(source, str | Path):
        path = Path(source)
        if not path.is_file():
            raise SkillcastDataError(f"Elasticity table: no such file {path}.")
        source = pd.read_csv(path, dtype={c: str for c in (*by, "driver")})
    if not isinstance(source, pd.DataFrame):
        raise SkillcastConfigError(
            f"table must be a DataFrame or a CSV path, got {type(source).__name__}."
        )
    need = [*by, "driver", "elasticity"]
    missing = [c for c in need if c not in source.columns]
    if missing:
        raise SkillcastDataError(
            f"Elasticity table lacks column(s) {missing}; it has {list(source.columns)}. "
            f"It needs {need} (and may give 'std_error'): one row per group and driver."
        )
    has_se = "std_error" in source.columns
    frame = source[[*need, "std_error"] if has_se else need].copy()
    for c in (*by, "driver"):
        frame[c] = frame[c].astype(str).str.strip()
    value = pd.to_numeric(frame["elasticity"], errors="coerce")
    bad = ~np.isfinite(value.to_numpy(dtype=float))
    _raise_rows(frame, bad, "column 'elasticity' is missing or not a finite number")
    frame["elasticity"] = value
    se_value = pd.to_numeric(frame["std_error"], errors="coerce") if has_se else 0.0 * value
    bad = ~(se_value.to_numpy(dtype=float) >= 0)  # NaN fails too
    _raise_rows(frame, bad, "column 'std_error' is missing, not a number or negative")
    frame["std_error"] = se_value
    unknown = ~frame["driver"].isin(drivers).to_numpy()
    _raise_rows(frame, unknown, f"column 'driver' names no known driver of the panel {drivers}")
    dup = frame.duplicated([*by, "driver"], keep=False).to_numpy()
    _raise_rows(frame, dup, "repeat a (group, driver) pair: give one elasticity each")
    slot = groups.reset_index(names="_g").merge(frame, on=by, how="right")
    stray = slot["_g"].isna().to_numpy()
    unmatched = frame.loc[stray, need].reset_index(drop=True)
    slot = slot.loc[~stray]
    beta = np.zeros((len(groups), len(drivers)))
    se = np.zeros(beta.shape)
    listed = np.zeros(beta.shape, dtype=bool)
    rows = slot["_g"].to_numpy(dtype=int)
    cols = np.array([drivers.index(c) for c in slot["driver"]], dtype=int)
    beta[rows, cols] = slot["elasticity"].to_numpy(dtype=float)
    se[rows, cols] = slot["std_error"].to_numpy(dtype=float)
    listed[rows, cols] = True
    return beta, se, listed, unmatched


def _raise_rows(frame: pd.DataFrame, bad: np.ndarray, what: str) -> None:
    if bad.any():
        raise SkillcastDataError(
            f"Elasticity table: {int(bad.sum())} row(s) {what}, e.g. "
            f"{frame.loc[bad].head(_EXAMPLES).to_dict('records')}."
        )
