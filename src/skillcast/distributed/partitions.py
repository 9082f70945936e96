"""Partitions of whole series: splitting a :class:`~skillcast.panel.Panel`, and reading
and validating a partitioned Parquet dataset one partition per task.

A partition always holds whole series, so every per-series rule of the data contract
(repeated rows, gaps) and every local model sees the same rows it would see in one
process.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.models.base import Forecaster
from skillcast.panel import Panel, load_panel
from skillcast.reading import ReadOptions
from skillcast.spec import PanelSpec

if TYPE_CHECKING:  # cutting a panel needs no Dask: a saved pooled model loads without it
    from distributed import Client, Future

__all__ = [
    "DEFAULT_PARTITION_SIZE",
    "PartitionedPanel",
    "cluster_client",
    "partition_labels",
    "partition_series",
    "read_partitioned",
    "subpanel",
]

DEFAULT_PARTITION_SIZE = 2000
"""Series per partition when no key is named: enough work per task to hide the
scheduler's overhead (a few ms a task), small enough to spread over many workers."""


def partition_series(
    panel: Panel, by: str | None = None, size: int | None = None
) -> list[np.ndarray]:
    """Series positions (int64, ascending) of each partition of ``panel``.

    ``by`` (a key column): one partition per value of that key, in sorted order;
    otherwise consecutive runs of at most ``size`` series (default
    :data:`DEFAULT_PARTITION_SIZE`). Every series is in exactly one partition.
    """
    if by is not None:
        if by not in panel.spec.keys:
            raise SkillcastConfigError(
                f"partition_by={by!r} is not a key of the panel {list(panel.spec.keys)}: "
                "partitions hold whole series, so they are cut along a key (or by size: "
                "partition_by=None)."
            )
        codes, _ = pd.factorize(panel.series[by], sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        return [part.astype(np.int64) for part in np.split(order, bounds)]
    size = DEFAULT_PARTITION_SIZE if size is None else int(size)
    if size < 1:
        raise SkillcastConfigError(f"partition_size must be >= 1, got {size}.")
    n = panel.n_series
    return [np.arange(start, min(start + size, n), dtype=np.int64) for start in range(0, n, size)]


def partition_labels(panel: Panel, parts: Sequence[np.ndarray], by: str | None = None) -> list[str]:
    """A label per partition of :func:`partition_series`: ``region=P01`` for a partition
    by key, the series positions it covers (``series 0-1999``) for one by size."""
    if by is not None:
        values = panel.series[by].to_numpy()
        return [f"{by}={values[pos[0]]}" if len(pos) else f"{by}=" for pos in parts]
    return [f"series {pos[0]}-{pos[-1]}" if len(pos) else "series" for pos in parts]


def subpanel(panel: Panel, positions: np.ndarray) -> Panel:
    """The panel of the series at ``positions`` (ascending), rows unchanged."""
    member = np.zeros(panel.n_series, dtype=bool)
    member[positions] = True
    keep = member[panel.series_id]
    # rows of a Panel are sorted by keys then period, and a subset of them stays sorted:
    # the panel is built from its index arrays without sorting or validating again
    return Panel._sorted(
        panel.spec, panel.frame.loc[keep], panel.series_id[keep], panel.period_pos[keep]
    )


@dataclass(frozen=True)
class _Partition:
    """One file of a partitioned dataset: where it is, its partition key values, and
    the position of its first row in the dataset read whole."""

    path: str
    keys: dict[str, Any]
    offset: int
    n_rows: int


@dataclass
class PartitionedPanel:
    """A validated panel held as one :class:`Panel` per partition on the workers.

    Attributes:
        spec: the spec every partition was validated against.
        futures: one future per partition, each a :class:`Panel` in a worker's memory.
        labels: each partition's key values (``region=01``).
        n_rows: rows read per partition.
    """

    spec: PanelSpec
    futures: list[Future]
    labels: list[str]
    n_rows: list[int]

    def gather(self, client: Client) -> Panel:
        """The whole panel in this process (series sorted by key as :func:`load_panel`
        sorts them)."""
        frames = [panel.frame for panel in client.gather(self.futures) if len(panel)]
        return Panel(self.spec, pd.concat(frames, ignore_index=True))


def _partitions(path: Path) -> list[_Partition]:
    """The files of a hive-partitioned Parquet dataset, in the order pandas reads them."""
    import pyarrow.dataset as ds

    try:
        dataset = ds.dataset(path, format="parquet", partitioning="hive")
        fragments = list(dataset.get_fragments())
    except (OSError, ValueError) as exc:  # pyarrow's errors subclass these
        raise SkillcastDataError(
            f"{path} cannot be read as a partitioned Parquet dataset: {exc}."
        ) from exc
    out, offset = [], 0
    for fragment in fragments:
        n_rows = fragment.count_rows()  # from the file's footer: no data is read
        keys = ds.get_partition_keys(fragment.partition_expression)
        out.append(_Partition(fragment.path, dict(keys), offset, n_rows))
        offset += n_rows
    return out


def _read_partition(part: _Partition, categories: Mapping[str, list[Any]]) -> pd.DataFrame:
    """The rows of one file as ``pandas.read_parquet`` of the whole dataset gives them:
    partition columns last, as categoricals over every partition's values, the index
    counting rows from the dataset's first row (error examples name the same rows)."""
    frame = pd.read_parquet(part.path)
    for key, value in part.keys.items():
        frame[key] = pd.Categorical([value] * len(frame), categories=categories[key])
    frame.index = pd.RangeIndex(part.offset, part.offset + len(frame))
    return frame


def _load_partition(
    part: _Partition,
    categories: Mapping[str, list[Any]],
    spec: PanelSpec,
    read: ReadOptions | Mapping[str, Any] | None,
) -> Panel | SkillcastDataError:
    """A validated partition, or the data error it raises (returned, not raised, so that
    the client sees every partition's outcome before it reports)."""
    try:
        return load_panel(_read_partition(part, categories), spec, read)
    except SkillcastDataError as exc:
        return exc


def _error_of(outcome: Panel | SkillcastDataError) -> SkillcastDataError | None:
    return outcome if isinstance(outcome, SkillcastDataError) else None


def _failing_rows_error(
    parts: Sequence[_Partition],
    categories: Mapping[str, list[Any]],
    spec: PanelSpec,
    read: ReadOptions | Mapping[str, Any] | None,
) -> SkillcastDataError:
    """The error the whole dataset raises, from its failing partitions alone.

    The partitions that passed hold no offending row for any rule, so the first rule the
    failing ones break together is the first the whole dataset breaks, with the same
    count and, rows being in dataset order with dataset row numbers, the same examples.
    """
    frame = pd.concat([_read_partition(p, categories) for p in parts])
    try:
        load_panel(frame, spec, read)
    except SkillcastDataError as exc:
        return exc
    # the rule that failed alone may need rows of another partition to fail; report the
    # first partition's own error then
    return _load_partition(parts[0], categories, spec, read)  # type: ignore[return-value]


def read_partitioned(
    path: str | PathLike[str],
    spec: PanelSpec | None = None,
    read: ReadOptions | Mapping[str, Any] | None = None,
    client: Client | None = None,
) -> PartitionedPanel:
    """Read and validate a Parquet dataset partitioned by a key (``region=01/...``), one
    task per file on the cluster of ``client`` (default: the current client).

    Only the file list and row counts are read here; each worker reads and validates its
    files (the workers must see ``path``: a shared or network file system). A dataset
    with bad rows raises one :class:`~skillcast.errors.SkillcastDataError` with the
    message :func:`skillcast.load_panel` gives for the whole dataset read at once: the
    same rule, count of offending rows and examples.
    """
    from skillcast.distributed.client import current_client

    spec = spec or PanelSpec()
    client = current_client(client)
    if client is None:
        raise SkillcastConfigError(
            "read_partitioned needs a Dask client: pass client=, or call it inside "
            "`with client.as_current():` (skillcast.distributed.dask_client starts one)."
        )
    root = Path(path)
    if not root.is_dir():
        raise SkillcastDataError(
            f"{root} is not a partitioned Parquet dataset (a folder of key=value folders); "
            "read a single file with skillcast.load_panel."
        )
    parts = _partitions(root)
    if not parts:
        raise SkillcastDataError(f"{root} holds no Parquet files.")
    unknown = {k for p in parts for k in p.keys} - set(spec.keys)
    if unknown:
        raise SkillcastConfigError(
            f"{root} is partitioned by {sorted(unknown)}, which is not a key of the spec "
            f"{list(spec.keys)}: partitions must hold whole series."
        )
    categories = {
        key: sorted({p.keys[key] for p in parts if key in p.keys}) for key in parts[0].keys
    }
    futures = [
        client.submit(_load_partition, part, categories, spec, read, pure=False) for part in parts
    ]
    # only the outcome travels back: each validated panel stays on its worker
    outcomes = client.gather(client.map(_error_of, futures, pure=False))
    failed = [p for p, out in zip(parts, outcomes, strict=True) if out is not None]
    if failed:
        client.cancel(futures)
        error = client.submit(_failing_rows_error, failed, categories, spec, read, pure=False)
        raise error.result()
    labels = [",".join(f"{k}={v}" for k, v in p.keys.items()) or Path(p.path).name for p in parts]
    return PartitionedPanel(spec, futures, labels, [p.n_rows for p in parts])


class PartitionedForecaster(Forecaster):
    """What the distributed wrappers share: the wrapped forecaster, how the series are
    partitioned (a key, or runs of ``partition_size`` series), and the wrapped
    forecaster's interval levels as their own (a wrapper has no interval settings)."""

    def __init__(
        self,
        forecaster: Forecaster,
        partition_by: str | None = None,
        partition_size: int | None = None,
    ) -> None:
        self.forecaster = forecaster
        self.partition_by = partition_by
        self.partition_size = partition_size

    @property
    def levels(self) -> tuple[int, ...]:  # type: ignore[override]
        """The interval levels of the wrapped forecaster."""
        return tuple(getattr(self.forecaster, "levels", ()) or ())


def cluster_client(client: Client | None) -> Client | None:
    """:func:`~skillcast.distributed.client.current_client`, or ``None`` where Dask is not
    installed (a registry refitting a loaded model works in one process)."""
    try:
        from skillcast.distributed.client import current_client
    except ImportError:
        if client is not None:
            raise
        return None
    return current_client(client)
