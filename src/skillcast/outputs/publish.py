"""Publishing a run's files as one set: a folder per run, made current by one atomic step.

Layout of an output folder (``forecasts/`` in the apps)::

    runs/<stamp>_<label>_<id>/   every file of one run, complete before it is published
    runs/.published              the names of the run folders that were made current
    latest -> runs/...           the current set: a symlink replaced by one rename
    latest.csv -> latest/forecast.csv, latest_openings.csv -> latest/openings.csv, ...
    <label> -> runs/...          the newest published run of that label (a forecast period)
    .staging/                    the folder of the run being written
    .lock                        held while a run writes and publishes

A reader who opens ``latest.csv`` or any ``latest_*.csv`` by name gets the file of the
current set: the by-name links never change, and the only step that changes what they
show is the rename of one symlink, ``latest``; a file the current set lacks is absent.
Files opened before the swap keep reading the old set. A reader that reads several files
and must see one set resolves ``latest`` once and opens the files in that folder (every
file of a run also carries the run's id).

A run that fails or is killed before the swap leaves the published set as it was (after
the swap the new set is published, whole); the next run removes what it left
(``.staging/``, temporary links, a run folder never published). Run folders no link
points at are pruned beyond the newest ``keep``.

A folder written by the earlier layout (``latest*.csv`` regular files, dated folders) is
taken over on the first publish without a visible change: its files become a run folder
of their own (hard links) before the links replace them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

import pandas as pd

from skillcast.outputs import files
from skillcast.workspace import FileLock, WorkspaceError, ensure_writable, fsync_dir

__all__ = ["RUNS", "FileSet", "run_folder_name"]

RUNS = "runs"
STAGING = ".staging"
LOCK = ".lock"
PUBLISHED = ".published"  # in runs/: the names of the run folders made current once


def run_folder_name(created_at: datetime, label: str, run_id: str) -> str:
    """``<UTC stamp>_<label>_<first 8 of run_id>``: names sort in the order runs started."""
    stamp = created_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}_{label}_{run_id[:8]}" if run_id else f"{stamp}_{label}"


class FileSet:
    """The files of one run, staged in their own folder, then published as one.

    ``folder`` is the output folder, ``run_name`` the run folder's name (see
    :func:`run_folder_name`), ``current`` the name of the link to the published set.
    Inside the ``with`` block the output folder is locked (``lock_timeout`` seconds of
    waiting at most) and what dead runs left is removed; :meth:`add` writes files,
    :meth:`publish` makes them current. Leaving the block without publishing removes
    the staged files and changes nothing else::

        with FileSet("forecasts", "20261128T103000Z_2026-H1_4888e9cd") as run:
            run.add("forecast.csv", table)
            run.publish({"latest.csv": "forecast.csv"}, label="2026-H1")
    """

    def __init__(
        self,
        folder: str | os.PathLike[str],
        run_name: str,
        *,
        current: str = "latest",
        keep: int = 10,
        lock_timeout: float = 600.0,
    ) -> None:
        for name in (run_name, current):
            if not name or name.startswith(".") or "/" in name or name in (RUNS, STAGING):
                raise ValueError(f"{name!r} cannot name a run folder or link")
        self.folder = Path(folder)
        self.run_name = run_name
        self.current = current
        self.keep = max(0, int(keep))
        self._lock = FileLock(self.folder / LOCK, lock_timeout, f"publishing {run_name}")
        self._stage = self.folder / STAGING / run_name
        self._files: dict[str, Path] = {}
        self.published: Path | None = None

    # ------------------------------------------------------------------ writing
    @property
    def files(self) -> dict[str, Path]:
        """The files added so far, by name (their staged paths until published)."""
        return dict(self._files)

    def add(self, name: str, frame: pd.DataFrame) -> Path:
        """Write ``frame`` as the planner CSV ``name`` of this run (synced to disk)."""
        return self.add_file(name, lambda path: files.write_csv(frame, path))

    def add_file(self, name: str, write: Callable[[Path], None]) -> Path:
        """Add the file ``name`` of this run, written by ``write(path)`` (the report page,
        the workbook); synced to disk."""
        self._check_open()
        if not name or name.startswith(".") or "/" in name:
            raise ValueError(f"{name!r} cannot name a file of the set")
        path = self._stage / name
        write(path)
        with open(path, "rb") as fh:
            os.fsync(fh.fileno())
        self._files[name] = path
        return path

    # --------------------------------------------------------------- publishing
    def publish(self, links: Mapping[str, str], label: str | None = None) -> Path:
        """Make this run the current set; return its folder (``runs/<run_name>``).

        ``links`` maps names in the output folder to file names of a set (``{"latest.csv":
        "forecast.csv", "latest_openings.csv": "openings.csv"}``), every name a set may
        have: a file of this run gets the fixed link ``name -> <current>/<file>``, and the
        names of files this run lacks are removed once it is current. ``label`` also
        points ``<label>`` at the run. Everything that could fail is checked before the
        swap.
        """
        self._check_open()
        if label is not None and (not label or label.startswith(".") or "/" in label):
            raise ValueError(f"{label!r} cannot name a folder link")
        self._check_way(links, label)
        self._adopt_old_files(links)
        runs = self.folder / RUNS
        runs.mkdir(exist_ok=True)
        final = runs / self.run_name
        fsync_dir(self._stage)
        os.rename(self._stage, final)
        fsync_dir(runs)
        for name, file in links.items():
            if file in self._files:  # a new link dangles, like the file, until the swap
                self._link(self.folder / name, f"{self.current}/{file}")
        target = f"{RUNS}/{self.run_name}"
        _swap(self.folder / self.current, target)  # the one step readers see
        self._mark_published(final.name)
        self.published = final
        self._files = {name: final / name for name in self._files}
        if label:
            self._point_label(label, target)
        for name, file in links.items():
            path = self.folder / name
            if file not in self._files and (path.is_symlink() or path.is_file()):
                path.unlink()
        fsync_dir(self.folder)
        self._prune()
        return final

    # ---------------------------------------------------------------- internals
    def _check_open(self) -> None:
        if not self._lock.held:
            raise RuntimeError("use FileSet in a with block")
        if self.published is not None:
            raise RuntimeError(f"{self.run_name} is published already")

    def _check_way(self, links: Mapping[str, str], label: str | None) -> None:
        """Raise before any change when something not ours sits where a link must go."""
        current = self.folder / self.current
        if os.path.lexists(current) and not current.is_symlink():
            raise WorkspaceError(
                f"{current} is not the link to the published set skillcast keeps there: "
                "move it away."
            )
        for name in links:
            path = self.folder / name
            if os.path.lexists(path) and not (path.is_symlink() or path.is_file()):
                raise WorkspaceError(f"{path} is in the way of a link to a file: move it away.")
        if label:
            dated = self.folder / label
            if os.path.lexists(dated) and not (dated.is_symlink() or dated.is_dir()):
                raise WorkspaceError(f"{dated} is a file where a folder must go: move it away.")
        runs = self.folder / RUNS
        if os.path.lexists(runs) and (runs.is_symlink() or not runs.is_dir()):
            raise WorkspaceError(f"{runs} is not a folder: move it away.")

    def _link(self, path: Path, target: str) -> None:
        if path.is_symlink() and os.readlink(path) == target:
            return
        _swap(path, target)

    def _point_label(self, label: str, target: str) -> None:
        dated = self.folder / label
        if dated.is_dir() and not dated.is_symlink():  # a dated folder of the old layout
            kept = self.folder / RUNS / _old_name(dated, label)
            os.rename(dated, kept)
            self._mark_published(kept.name)
        _swap(dated, target)

    def _adopt_old_files(self, links: Mapping[str, str]) -> None:
        """Turn ``latest*.csv`` regular files into a run folder of their own, made current,
        then replace each by its link: a reader sees the same bytes throughout."""
        plain = [n for n in links if _is_plain_file(self.folder / n)]
        if not plain:
            return
        runs = self.folder / RUNS
        runs.mkdir(exist_ok=True)
        folder = runs / _old_name(self.folder / plain[0], "earlier")
        folder.mkdir()
        for name, file in links.items():
            path = self.folder / name
            if path.is_file():  # a regular file, or a link of ours that resolves today
                os.link(path, folder / file)  # the same inode: same bytes, no copy
        fsync_dir(folder)
        self._mark_published(folder.name)
        _swap(self.folder / self.current, f"{RUNS}/{folder.name}")
        for name in plain:
            _swap(self.folder / name, f"{self.current}/{links[name]}")

    def _tidy(self) -> None:
        """Remove what killed or failed runs left (the folder is locked: nobody else is
        writing here)."""
        shutil.rmtree(self.folder / STAGING, ignore_errors=True)
        for parent in [self.folder, self.folder / RUNS, *_plain_subfolders(self.folder)]:
            for pattern in (".*.tmp", ".skillcast-probe-*"):
                for path in parent.glob(pattern):
                    if path.is_symlink() or path.is_file():
                        path.unlink(missing_ok=True)
        linked, published = self._linked(), self._published()
        for run in _run_folders(self.folder):
            if run.name not in linked | published:
                shutil.rmtree(run, ignore_errors=True)  # written, never published

    def _prune(self) -> None:
        linked = self._linked()
        old = [r for r in _run_folders(self.folder) if r.name not in linked]
        for run in old[: max(0, len(old) - self.keep)]:
            shutil.rmtree(run, ignore_errors=True)
        kept = {r.name for r in _run_folders(self.folder)}
        if self._published() - kept:  # forget the pruned
            names = "".join(f"{n}\n" for n in sorted(self._published() & kept))

            def write(path: Path) -> None:
                path.write_text(names, encoding="utf-8")

            files.atomic_write(self.folder / RUNS / PUBLISHED, write)

    def _mark_published(self, name: str) -> None:
        with open(self.folder / RUNS / PUBLISHED, "a", encoding="utf-8") as fh:
            fh.write(f"{name}\n")
            fh.flush()
            os.fsync(fh.fileno())

    def _published(self) -> set[str]:
        try:
            text = (self.folder / RUNS / PUBLISHED).read_text(encoding="utf-8")
        except FileNotFoundError:
            return set()
        return set(text.split())

    def _linked(self) -> set[str]:
        """Run folders a link in the output folder points at."""
        out = set()
        for path in self.folder.iterdir():
            if path.is_symlink():
                parts = Path(os.readlink(path)).parts
                if len(parts) == 2 and parts[0] == RUNS:
                    out.add(parts[1])
        return out

    def __enter__(self) -> FileSet:
        ensure_writable(self.folder, "output folder")
        self._lock.acquire()
        try:
            self._tidy()
            self._stage.mkdir(parents=True)
        except BaseException:
            self._lock.release()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self.published is None:
                shutil.rmtree(self._stage, ignore_errors=True)
            with contextlib.suppress(OSError):  # only when empty
                (self.folder / STAGING).rmdir()
        finally:
            self._lock.release()


def _swap(path: Path, target: str) -> None:
    """Point the symlink ``path`` at ``target`` in one rename (readers see either)."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:12]}.tmp")
    os.symlink(target, tmp)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _old_name(path: Path, label: str) -> str:
    when = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return f"{run_folder_name(when, label, '')}_{uuid.uuid4().hex[:8]}"


def _is_plain_file(path: Path) -> bool:
    return path.is_file() and not path.is_symlink()


def _run_folders(folder: Path) -> list[Path]:
    runs = folder / RUNS
    if not runs.is_dir():
        return []
    return sorted(p for p in runs.iterdir() if p.is_dir() and not p.is_symlink())


def _plain_subfolders(folder: Path) -> list[Path]:
    """Real folders of the output folder other than ours (dated folders of the old layout)."""
    return [
        p
        for p in folder.iterdir()
        if p.is_dir() and not p.is_symlink() and p.name not in (RUNS, STAGING)
    ]
