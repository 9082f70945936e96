"""Hydra callback closing the parent MLflow run of a multirun sweep.

Each job of ``skillcast-train -m ...`` finds (or, first, creates) the parent run tagged
with the sweep directory and nests its own run under it; when the sweep ends this
callback marks the parent FINISHED, or FAILED if any job's run failed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hydra.experimental.callback import Callback
from omegaconf import DictConfig

from skillcast.apps.config import build


class SweepParentRun(Callback):
    """Ends the sweep's parent run in ``on_multirun_end``."""

    def on_multirun_end(self, config: DictConfig, **kwargs: Any) -> None:
        key = str(Path(config.hydra.sweep.dir).resolve())
        build(config.tracking).connect().close_sweep(key)
