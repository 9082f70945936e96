"""Writing planner CSVs: UTF-8 with a byte-order mark, formulas neutralised, atomically.

:func:`write_planner_csv` replaces one file; :class:`CsvBatch` replaces several together
(all written to temporary files first, renamed only once every one is written), so a
failed run leaves every previous file as it was.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType

import pandas as pd

__all__ = [
    "ENCODING",
    "CsvBatch",
    "atomic_write",
    "neutralise_formulas",
    "write_csv",
    "write_planner_csv",
]

ENCODING = "utf-8-sig"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy where text cells starting with ``= + - @``, a tab or a CR begin with ``'``.

    Spreadsheets run such cells as formulas (CSV injection); the quote makes them text.
    Numeric columns are left alone.
    """
    out = frame.copy()
    for column in out.columns:
        col = out[column]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            continue
        text = col.astype("string")
        risky = text.str.startswith(_FORMULA_STARTS).fillna(False).to_numpy(dtype=bool)
        if risky.any():
            values = col.to_numpy(dtype=object, copy=True)
            values[risky] = "'" + text[risky].to_numpy(dtype=object)
            out[column] = values
    return out


def atomic_write(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``path``, then rename it to ``path``.

    Readers see the old file or the new one, never a partial one; if ``write`` fails the
    old file is untouched and the temporary file is removed.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary_beside(path)
    try:
        write(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _temporary_beside(path: Path) -> Path:
    """An empty temporary file beside ``path`` with the mode a new file gets under the
    process's umask (0644 under 022): ``mkstemp`` makes it 0600, and the rename would
    keep that, hiding the output from the planners' accounts."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
    finally:
        os.close(fd)
    return Path(name)


def current_umask() -> int:
    """The process's umask, read without changing it where the system says it
    (``/proc/self/status``); elsewhere set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
    """Write a planner table to ``path`` as UTF-8-with-BOM CSV, formulas neutralised
    (in place: callers write to a temporary file and rename it)."""
    neutralise_formulas(frame).to_csv(path, index=False, encoding=ENCODING, lineterminator="\n")


def write_planner_csv(frame: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write a planner table as UTF-8-with-BOM CSV, formulas neutralised, atomically."""
    return atomic_write(path, lambda tmp: write_csv(frame, tmp))


class CsvBatch:
    """Several planner CSVs replaced together: all written first, then renamed.

    ``add`` writes each table to a temporary file beside its destination (and syncs it);
    ``commit`` renames staged files into place, in the order given. Leaving the ``with``
    block removes whatever was not committed, so when any table fails to be written, no
    destination has changed::

        with CsvBatch() as batch:
            batch.add(forecast, "forecasts/2026-H1/forecast.csv")
            batch.add(forecast, "forecasts/latest.csv")
            batch.commit(["forecasts/2026-H1/forecast.csv"])  # dated files first
            batch.commit()                                    # then the rest
    """

    def __init__(self) -> None:
        self._staged: dict[Path, Path] = {}

    def add(self, frame: pd.DataFrame, path: str | os.PathLike[str]) -> None:
        """Stage ``frame`` for ``path`` (replacing an earlier staging of the same path)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = _temporary_beside(path)
        try:
            write_csv(frame, tmp)
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        old = self._staged.pop(path, None)
        if old is not None:
            old.unlink(missing_ok=True)
        self._staged[path] = tmp

    @property
    def staged(self) -> list[Path]:
        """Destinations staged and not committed yet, in the order added."""
        return list(self._staged)

    def commit(self, paths: Iterable[str | os.PathLike[str]] | None = None) -> list[Path]:
        """Rename the staged files of ``paths`` (default: all staged) into place."""
        chosen = list(self._staged) if paths is None else [Path(p) for p in paths]
        missing = [str(p) for p in chosen if p not in self._staged]
        if missing:
            raise KeyError(f"not staged: {missing}")
        for path in chosen:
            os.replace(self._staged.pop(path), path)
        return chosen

    def discard(self) -> None:
        """Remove every staged file not committed."""
        for tmp in self._staged.values():
            tmp.unlink(missing_ok=True)
        self._staged.clear()

    def __enter__(self) -> CsvBatch:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.discard()
