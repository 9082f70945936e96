"""From a composed Hydra config to checked values and built objects."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hydra.errors import InstantiationException
from hydra.utils import get_object, instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from skillcast.errors import SkillcastConfigError
from skillcast.workspace import FileLock, ensure_writable

if TYPE_CHECKING:
    from skillcast.tracking import Tracker


@dataclass(frozen=True)
class TrackingSettings:
    """What the ``tracking`` group builds: the MLflow store, experiment and registered model.

    A plain record, so that composing and checking a config never imports MLflow;
    :meth:`connect` does, once a run is certain.
    """

    uri: str
    experiment: str = "skillcast"
    registered_model: str = "skillcast-demand"
    artifact_location: str | None = None  # used when the experiment is created
    # a tracking server: seconds to wait for an answer (the first request gets no retry,
    # so an unreachable server fails within this), and retries of later requests
    timeout: float = 30.0
    retries: int = 2

    def connect(self) -> Tracker:
        """Point MLflow at the store and get (or create) the experiment."""
        from skillcast import tracking

        return tracking.connect(
            self.uri,
            self.experiment,
            self.registered_model,
            self.artifact_location,
            timeout=self.timeout,
            retries=self.retries,
        )


def locked(
    cfg: DictConfig, step: Callable[[], int], purpose: str, folders: Iterable[str] = ()
) -> int:
    """Run ``step`` holding the project's lock (``paths.lock``), so that the runs of one
    project (train, forecast, their first use of the store) never overlap.

    The config is checked first (a bad one fails at once, not after the wait); then the
    folders named by the config keys ``folders`` (``output.dir``) must be writable.
    ``purpose`` (the app) is written into the lock file for whoever waits.
    """
    check_config(cfg)
    with FileLock(Path(cfg.paths.lock), float(cfg.lock_timeout), purpose):
        for key in folders:
            ensure_writable(str(OmegaConf.select(cfg, key)), key)
        return step()


def check_config(cfg: DictConfig) -> dict[str, Any]:
    """Resolve every value; raise :class:`SkillcastConfigError` naming missing ones.

    Parameters left ``???`` inside a ``_target_`` node are not reported when the callable
    has a default for them (it applies) or the node is ``_partial_`` (the caller supplies
    them). Returns the resolved config as a dict.
    """
    missing = [k for k in sorted(OmegaConf.missing_keys(cfg)) if not _falls_back(cfg, k)]
    if missing:
        raise SkillcastConfigError(
            f"Missing mandatory value(s): {', '.join(missing)}. Set them on the command "
            f"line, e.g. {missing[0]}=..."
        )
    try:
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        raise SkillcastConfigError(f"The config does not resolve: {exc}") from exc


def _falls_back(cfg: DictConfig, dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):  # the innermost _target_ node decides
        node = OmegaConf.select(cfg, ".".join(parts[:cut]), throw_on_missing=False)
        if isinstance(node, DictConfig) and "_target_" in node:
            if node.get("_partial_", False):
                return True
            return _has_default(str(node._target_), parts[cut])
    return False


def _has_default(target: str, name: str) -> bool:
    """Whether ``target`` need not be given ``name`` (building reports a bad target)."""
    try:
        param = inspect.signature(get_object(target)).parameters.get(name)
    except Exception:
        return True
    return param is None or param.default is not inspect.Parameter.empty


def build(node: Any) -> Any:
    """Instantiate a ``_target_`` node (``???`` parameters dropped: class defaults apply)."""
    if isinstance(node, DictConfig):
        node = OmegaConf.to_container(node, resolve=True)
    try:
        return instantiate(_drop_missing(node), _convert_="all")
    except InstantiationException as exc:
        raise SkillcastConfigError(f"Cannot build the configured object: {exc}") from exc


def _drop_missing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_missing(v) for k, v in value.items() if v != "???"}
    if isinstance(value, list):
        return [_drop_missing(v) for v in value]
    return value
