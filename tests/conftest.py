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


@pytest.fixture(scope="module")
def dask_cluster():
    """A Dask LocalCluster of 2 worker processes with one thread each, started and
    closed per test module (the modules of skillcast.distributed)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        yield cluster


@pytest.fixture(scope="module")
def dask_client(dask_cluster):
    """A client of :func:`dask_cluster` that is not the default client: a test that needs
    "no cluster in this context" has none."""
    from distributed import Client

    with Client(dask_cluster, set_as_default=False) as client:
        yield client
