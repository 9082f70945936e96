"""Fixtures shared by the test modules."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def scratch(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Path]:
    """A scratch folder per test module, in memory where the machine has /dev/shm: SQLite
    commits (MLflow creates its tables in dozens of them) are then not held up by disk
    syncs."""
    name = request.module.__name__.rpartition(".")[2]
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        path = Path(tempfile.mkdtemp(prefix=f"skillcast-{name}-", dir=shm))
        yield path
        shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp(name)
