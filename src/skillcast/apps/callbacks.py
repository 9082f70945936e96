"""Hydra callbacks of the apps.

``SweepParentRun`` closes the parent MLflow run of a multirun sweep: each job of
``skillcast-train -m ...`` finds (or, first, creates) the parent run tagged with the sweep
directory and nests its own run under it; when the sweep ends this callback marks the
parent FINISHED, or FAILED if any job's run failed.

``CheckFolders`` stops an app with one line and exit 7 when a folder it must write cannot
be written, before Hydra creates its job folder there (Hydra would fail with a traceback).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from skillcast.apps.config import build
from skillcast.apps.console import EXIT_ENVIRONMENT
from skillcast.workspace import WorkspaceError, ensure_writable


class SweepParentRun(Callback):
    """Ends the sweep's parent run in ``on_multirun_end``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        key = str(Path(config.hydra.sweep.dir).resolve())
        build(config.tracking).connect().close_sweep(key)


class CheckFolders(Callback):
    """Checks ``folders`` and the folder of Hydra's job (or sweep) folder are writable."""

    def __init__(self, folders: Sequence[str] = ()) -> None:
        self.folders = [str(f) for f in folders]

    def on_run_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check([*self.folders, str(Path(config.hydra.run.dir).parent)])

    def on_multirun_start(self, config: DictConfig, **kwargs: Any) -> None:
        self._check([*self.folders, str(Path(config.hydra.sweep.dir).parent)])

    @staticmethod
    def _check(folders: Sequence[str]) -> None:
        for folder in folders:
            try:
                ensure_writable(folder)
            except WorkspaceError as exc:
                # logging is not set up yet: Hydra does that once the job folder exists
                print(f"environment: {exc}", file=sys.stderr)
                raise SystemExit(EXIT_ENVIRONMENT) from None
