"""What identifies a model version: the data it saw and the config that built it.

:func:`fingerprint` hashes a panel (equal panels hash alike), :func:`config_hash` the
model-relevant sections of a resolved config; the registry tags versions with both, so
a retraining run on the same data and config finds the version it would make.
:func:`flatten` turns a resolved config into the flat parameters a tracking run logs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from skillcast.panel import Panel


@dataclass(frozen=True)
class DataFingerprint:
    """What a panel holds, in brief: content hash, size and period range."""

    digest: str  # sha256 of keys, periods, target and drivers, in panel order
    rows: int
    series: int
    first: str
    last: str
    freq: str
    target: str
    series_digest: str = ""  # sha256 of the sorted series keys: which series, not values

    def extends(self, other_last: str, other_series: str) -> bool:
        """Whether this data holds the same series as a panel fingerprinted with
        ``other_series`` and ends later than ``other_last`` (a label of the same
        frequency): a periodic refresh of it."""
        if not (other_series and other_last) or other_series != self.series_digest:
            return False
        # labels of one frequency (2024, 2024-H1, 2024Q3, 2024-07) sort as their periods
        return self.last > other_last

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def labelled_frame(panel: Panel) -> pd.DataFrame:
    """The panel frame with periods as text labels (``2024-H1``)."""
    frame = panel.frame.copy()
    frame[panel.spec.period] = panel.freq.labels(pd.PeriodIndex(frame[panel.spec.period]))
    return frame


def fingerprint(panel: Panel) -> DataFingerprint:
    """Fingerprint of a panel: equal panels (same spec, rows and values) hash alike."""
    frame = labelled_frame(panel)
    spec = panel.spec
    head = json.dumps(
        {"columns": list(frame.columns), "keys": spec.keys, "target": spec.target,
         "freq": panel.freq.name, "measure": spec.measure, "known": spec.known_exog,
         "observed": spec.observed_exog},
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(head.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    labels = panel.freq.labels(panel.periods[[0, -1]]) if panel.n_periods else ["", ""]
    keys = frame[list(spec.keys)].drop_duplicates().sort_values(list(spec.keys))
    series = hashlib.sha256(head.encode())
    series.update(pd.util.hash_pandas_object(keys, index=False).to_numpy().tobytes())
    return DataFingerprint(
        digest=digest.hexdigest(),
        rows=len(panel),
        series=panel.n_series,
        first=str(labels[0]),
        last=str(labels[-1]),
        freq=panel.freq.name,
        target=spec.target,
        series_digest=series.hexdigest(),
    )


def config_hash(resolved: dict[str, Any], sections: tuple[str, ...]) -> str:
    """sha256 of the named sections of a resolved config (key order does not matter)."""
    part = {k: resolved.get(k) for k in sections}
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay whole values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        out.update(flatten(value, name) if isinstance(value, dict) else {name: value})
    return out
