"""From a composed Hydra config to checked values and built objects."""

from __future__ import annotations

from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from skillcast.errors import SkillcastConfigError


def check_config(cfg: DictConfig) -> dict[str, Any]:
    """Resolve every value; raise :class:`SkillcastConfigError` naming missing ones.

    Parameters left ``???`` inside a ``_target_`` node are not reported: they fall back to
    the defaults of the class they build. Returns the resolved config as a dict.
    """
    missing = [k for k in sorted(OmegaConf.missing_keys(cfg)) if not _inside_target(cfg, k)]
    if missing:
        raise SkillcastConfigError(
            f"Missing mandatory value(s): {', '.join(missing)}. Set them on the command "
            f"line, e.g. {missing[0]}=..."
        )
    try:
        return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
    except OmegaConfBaseException as exc:
        raise SkillcastConfigError(f"The config does not resolve: {exc}") from exc


def _inside_target(cfg: DictConfig, dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(1, len(parts)):
        node = OmegaConf.select(cfg, ".".join(parts[:cut]), throw_on_missing=False)
        if isinstance(node, DictConfig) and "_target_" in node:
            return True
    return False


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
