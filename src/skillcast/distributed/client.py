"""Which Dask client a distributed fit runs on: one given, the current one, or a
LocalCluster this process starts and closes.

``import skillcast`` never loads Dask; this module does, so it is imported only by code
that asked for a cluster (the ``compute=dask`` apps, a notebook that imports
:mod:`skillcast.distributed`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from distributed import Client, LocalCluster

from skillcast.errors import SkillcastConfigError

__all__ = ["current_client", "dask_client"]


def current_client(client: Client | None = None) -> Client | None:
    """``client`` if given, else the client of the caller's context (``with
    client.as_current():``, or the default client a ``Client(...)`` call set), else
    ``None``: the caller then works in this process."""
    if client is not None:
        if not isinstance(client, Client):
            raise SkillcastConfigError(
                f"client must be a dask.distributed.Client, got a {type(client).__name__}."
            )
        return client
    try:
        # default_client() reads the context, never connects to or starts a scheduler
        from distributed import default_client

        return default_client()
    except ValueError:  # "No clients found": no cluster in this context
        return None


@contextmanager
def dask_client(
    client: Client | None = None,
    *,
    address: str | None = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    processes: bool = True,
) -> Iterator[Client]:
    """A client for the duration of a ``with`` block, made current inside it.

    * ``client`` given: it is used and left open (its owner closes it);
    * ``address`` given (``tcp://host:8786``): a client of that scheduler, closed at the
      end; the cluster itself keeps running;
    * neither: a :class:`~distributed.LocalCluster` of ``n_workers`` workers with
      ``threads_per_worker`` threads each (worker processes unless ``processes=False``),
      started here and closed at the end, also when the block raises.
    """
    if client is not None:
        with current_client(client).as_current():  # type: ignore[union-attr]
            yield client
        return
    if n_workers < 1 or threads_per_worker < 1:
        raise SkillcastConfigError(
            f"A local Dask cluster needs n_workers >= 1 and threads_per_worker >= 1, got "
            f"{n_workers} and {threads_per_worker}."
        )
    if address:
        try:
            owned = Client(address, timeout="30s")
        except OSError as exc:  # refused, unreachable, timed out
            raise SkillcastConfigError(
                f"Cannot reach the Dask scheduler at {address!r}: {exc}. Start it "
                "(dask scheduler) or check compute.address."
            ) from exc
        try:
            with owned.as_current():
                yield owned
        finally:
            owned.close()
        return
    # dashboard_address=":0": a second run on the same machine must not fight over the port
    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=processes,
            dashboard_address=":0",
        ) as cluster,
        Client(cluster) as local,
        local.as_current(),
    ):
        yield local
