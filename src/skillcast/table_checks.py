"""The one form of error for the user tables beside the panel (replacement rates, supply,
hiring factors, skill bridges): the table and column, the count of offending rows, up to
five examples and what the user can do. :mod:`skillcast.demand` and
:mod:`skillcast.skills` check their tables with these."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError

__all__ = ["fail", "require_columns"]

_MAX_EXAMPLES = 5


def fail(
    frame: pd.DataFrame, mask: np.ndarray, what: str, column: str, problem: str, remedy: str
) -> SkillcastDataError:
    """The error for the rows of ``frame`` selected by ``mask`` (column first in examples)."""
    count = int(np.count_nonzero(mask))
    shown = min(count, _MAX_EXAMPLES)
    columns = list(dict.fromkeys([column, *frame.columns]))
    examples = frame.loc[mask, columns].head(_MAX_EXAMPLES).to_string(max_colwidth=40)
    return SkillcastDataError(
        f"{what}, column {column!r}: {count} row(s) {problem}. First {shown}:\n{examples}\n{remedy}"
    )


def require_columns(frame: pd.DataFrame, what: str, columns: Sequence[str], hint: str) -> None:
    """Raise when any of ``columns`` is missing or the table has no rows."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SkillcastDataError(
            f"{what}: missing column(s) {missing}; the table has {list(frame.columns)}. {hint}"
        )
    if frame.empty:
        raise SkillcastDataError(f"{what}: the table has no rows. {hint}")
