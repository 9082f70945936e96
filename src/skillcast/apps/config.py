"""From a composed Hydra config to checked values and built objects."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterable, Sequence
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


def misspelled_keys(config_name: str, overrides: Sequence[str]) -> list[str]:
    """"Did you mean" lines for the command-line overrides that name a key the config
    does not have (``model.n_estimator=5`` -> ``model.n_estimators``): the keys of a
    ``_target_`` node are the parameters of the class it builds."""
    from hydra import compose, initialize_config_module
    from hydra.core.global_hydra import GlobalHydra

    choices = [o for o in overrides if "=" in o and "." not in o.split("=", 1)[0]]
    dotted = [o.split("=", 1)[0].lstrip("+~") for o in overrides if "=" in o]
    dotted = [k for k in dotted if "." in k and not k.startswith("hydra.")]
    if not dotted:
        return []
    GlobalHydra.instance().clear()
    try:
        with initialize_config_module("skillcast.configs", version_base="1.3"):
            cfg = compose(config_name, overrides=choices)
    except Exception:  # the group choices themselves are wrong: Hydra said so
        return []
    finally:
        GlobalHydra.instance().clear()
    lines = []
    for key in dotted:
        parent, _, name = key.rpartition(".")
        node = OmegaConf.select(cfg, parent, throw_on_missing=False)
        if not isinstance(node, DictConfig) or name in node:
            continue
        known = [str(k) for k in node.keys() if not str(k).startswith("_")]
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
        where = f" ({node._target_})" if "_target_" in node else ""
        if close:
            lines.append(f"{key}: no such key{where}; did you mean "
                         f"{' or '.join(f'{parent}.{c}' for c in close)}?")  # fmt: skip
        else:
            lines.append(f"{key}: no such key{where}; the keys are {', '.join(known)}.")
    return lines
