"""The folders a run works in: an exclusive lock on a project, and checks that folders can
be written before any work is done.

:class:`FileLock` holds an ``fcntl.flock`` lock on a file (Linux, and NFS through the
kernel's emulation); two processes taking it are serialised, the second waiting at most
``timeout`` seconds. The lock file stays in place: the kernel drops the lock when its
holder exits, however it exits, so a killed run never leaves a stale lock.

Errors are :class:`WorkspaceError` (an :class:`OSError`): a folder or lock file that
cannot be used, with one line saying which and why; :class:`WorkspaceBusy` when the lock
was not free in time.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

__all__ = ["FileLock", "WorkspaceBusy", "WorkspaceError", "ensure_writable", "fsync_dir"]

log = logging.getLogger("skillcast.workspace")
_POLL = 0.2  # seconds between attempts while another process holds the lock


class WorkspaceError(OSError):
    """A folder or file a run needs cannot be used (read-only, missing rights, a file
    where a folder should be, an invalid path)."""


class WorkspaceBusy(WorkspaceError, TimeoutError):
    """Another process held the lock for longer than the caller would wait."""


def ensure_writable(folder: str | os.PathLike[str], what: str = "folder") -> Path:
    """Create ``folder`` if needed and prove it writable by creating and removing a file.

    Raises :class:`WorkspaceError` naming ``what`` and the folder. ``os.access`` alone
    would not do: it says yes to root on folders the kernel still refuses (``/proc``).
    """
    try:
        path = Path(os.path.abspath(os.fspath(folder)))
        if not str(path) or "\0" in str(path):
            raise ValueError("embedded null byte")
    except (TypeError, ValueError) as exc:
        raise WorkspaceError(f"The {what} {folder!r} is not a valid path: {exc}.") from None
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".skillcast-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except (FileExistsError, NotADirectoryError):
        raise WorkspaceError(
            f"The {what} {path} cannot be created: a file is in the way of it or of a "
            "folder above it."
        ) from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise WorkspaceError(
            f"The {what} {path} cannot be written ({reason}): choose a writable folder or "
            "fix its permissions."
        ) from None
    return path


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Flush a folder's entries (renames, new files) to disk."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    except OSError as exc:  # some file systems cannot sync a folder; the data is still safe
        if exc.errno not in (errno.EINVAL, errno.ENOTSUP):
            raise
    finally:
        os.close(fd)


class FileLock:
    """An exclusive lock on ``path`` (created if missing), held inside a ``with`` block.

    ``timeout`` is how long to wait for another holder (seconds; 0: try once). The holder
    writes its process id, ``purpose`` and start time into the file, so a process that
    gives up can say who holds the lock. Not re-entrant: take it once per process.
    """

    def __init__(
        self, path: str | os.PathLike[str], timeout: float = 600.0, purpose: str = "skillcast"
    ) -> None:
        self.path = Path(path)
        self.timeout = max(0.0, float(timeout))
        self.purpose = purpose
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> FileLock:
        """Take the lock, waiting up to ``timeout`` seconds; :class:`WorkspaceBusy` if not."""
        if self._fd is not None:
            raise RuntimeError(f"{self.path} is already held by this FileLock")
        fd = self._open()
        deadline = time.monotonic() + self.timeout
        waited = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise WorkspaceBusy(
                            f"{self.path} is held by another run ({self._holder(fd)}); gave up "
                            f"after {self.timeout:g} s. Wait for it to finish, or raise "
                            "lock_timeout."
                        ) from None
                    if not waited:
                        log.info("Waiting for %s (held by %s)", self.path, self._holder(fd))
                        waited = True
                    time.sleep(min(_POLL, left))
            stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            note = f"pid {os.getpid()}, {self.purpose}, since {stamp}\n".encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, note, 0)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return self

    def release(self) -> None:
        """Let the lock go (closing the file releases it)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)

    def _open(self) -> int:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise WorkspaceError(
                f"Cannot open the lock file {self.path} ({reason}): the folder must be writable."
            ) from None

    @staticmethod
    def _holder(fd: int) -> str:
        try:
            text = os.pread(fd, 200, 0).decode(errors="replace").strip()
        except OSError:
            text = ""
        return text or "a process that has not said who it is yet"

    def __enter__(self) -> FileLock:
        return self.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
