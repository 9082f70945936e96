"""What both apps share: exit codes, config checks, object building and data loading.

Exit codes (also in ``docs/retraining.md``):

* ``0`` success (including "nothing to do": this data and config already have a version);
* ``2`` bad configuration (Hydra's composition errors, missing mandatory values, objects
  that cannot be built);
* ``3`` promotion refused: the new version scored no better than the champion and was
  aliased ``challenger``;
* ``4`` bad data (the panel breaks the data contract);
* ``5`` the run failed for another reason (marked FAILED in MLflow, error recorded).
"""

from __future__ import annotations

import hashlib
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from hydra.errors import HydraException, InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, load_panel

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_REFUSED = 3
EXIT_DATA = 4
EXIT_FAILED = 5

log = logging.getLogger("skillcast")


def exit_code(exc: BaseException) -> int:
    """The exit code an error maps to."""
    if isinstance(exc, SkillcastDataError):
        return EXIT_DATA
    if isinstance(exc, SkillcastConfigError | HydraException | OmegaConfBaseException):
        return EXIT_CONFIG
    return EXIT_FAILED


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


def load_data(data: DictConfig) -> Panel:
    """The validated panel the ``data`` group describes (cut by ``until``/``max_series``)."""
    spec = build(data.spec)
    if data.loader is not None:
        source = build(data.loader)
    elif data.path:
        source = data.path
    else:
        raise SkillcastConfigError(f"data ({data.name}): set data.path or data.loader.")
    if isinstance(source, Panel):
        panel = source
    else:
        panel = load_panel(source, spec)
    if data.until is not None:
        panel = panel.until(str(data.until))
    if data.max_series is not None:
        keep = panel.series_id < int(data.max_series)
        panel = Panel(panel.spec, panel.frame.loc[keep].reset_index(drop=True))
    return panel


def load_future_exog(data: DictConfig, panel: Panel) -> pd.DataFrame | None:
    """The future driver values ``data.future_exog`` names (None when it names none).

    A path is read as CSV (key and period columns as text) or Parquet; a ``_target_``
    node is built. Forecasters check the periods and columns they need.
    """
    source = data.get("future_exog")
    if source is None:
        return None
    if isinstance(source, DictConfig):
        frame = build(source)
    else:
        path = Path(str(source))
        if not path.is_file():
            raise SkillcastDataError(f"data.future_exog: no such file {path}.")
        if path.suffix.lower() in {".parquet", ".pq"}:
            frame = pd.read_parquet(path)
        else:
            text = {c: str for c in (*panel.spec.keys, panel.spec.period)}
            frame = pd.read_csv(path, dtype=text)
    if not isinstance(frame, pd.DataFrame):
        raise SkillcastConfigError(
            f"data.future_exog built a {type(frame).__name__}, not a DataFrame."
        )
    return frame


@dataclass(frozen=True)
class DataFingerprint:
    """What a panel holds, in brief: content hash, size and period range."""

    digest: str  # sha256 of keys, periods, target and drivers, in panel order
    rows: int
    series: int
    first: str
    last: str
    freq: str
    target: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def labelled_frame(panel: Panel) -> pd.DataFrame:
    """The panel frame with periods as text labels (``2024-H1``)."""
    frame = panel.frame.copy()
    frame[panel.spec.period] = panel.freq.labels(pd.PeriodIndex(frame[panel.spec.period]))
    return frame


def fingerprint(panel: Panel) -> DataFingerprint:
    """Fingerprint of a panel: equal panels (same spec, rows and values) hash alike."""
    frame = labelled_frame(panel)
    spec = panel.spec
    head = json.dumps(
        {"columns": list(frame.columns), "keys": spec.keys, "target": spec.target,
         "freq": panel.freq.name, "measure": spec.measure, "known": spec.known_exog,
         "observed": spec.observed_exog},
        sort_keys=True,
    )  # fmt: skip
    digest = hashlib.sha256(head.encode())
    digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    labels = panel.freq.labels(panel.periods[[0, -1]]) if panel.n_periods else ["", ""]
    return DataFingerprint(
        digest=digest.hexdigest(),
        rows=len(panel),
        series=panel.n_series,
        first=str(labels[0]),
        last=str(labels[-1]),
        freq=panel.freq.name,
        target=spec.target,
    )


def config_hash(resolved: dict[str, Any], sections: tuple[str, ...]) -> str:
    """sha256 of the named sections of a resolved config (key order does not matter)."""
    part = {k: resolved.get(k) for k in sections}
    return hashlib.sha256(json.dumps(part, sort_keys=True, default=str).encode()).hexdigest()


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` -> ``{"a.b": 1}``; lists stay whole values."""
    if not isinstance(tree, dict):
        return {prefix: tree}
    out: dict[str, Any] = {}
    for key, value in tree.items():
        name = f"{prefix}.{key}" if prefix else str(key)
        out.update(flatten(value, name) if isinstance(value, dict) else {name: value})
    return out


def report(message: str, level: int = logging.INFO) -> None:
    """A line for the operator, through logging (Hydra sends it to the console and the
    job's log file)."""
    log.log(level, message)


def guarded(step: Callable[[], int]) -> int:
    """Run ``step``; map any error to its exit code after logging it."""
    try:
        return step()
    except (SkillcastDataError, SkillcastConfigError, HydraException,
            OmegaConfBaseException) as exc:  # fmt: skip
        kind = "bad data" if isinstance(exc, SkillcastDataError) else "bad config"
        report(f"{kind}: {exc}", logging.ERROR)
        return exit_code(exc)
    except Exception:
        log.exception("the run failed")
        return EXIT_FAILED


def combined_exit(codes: list[int]) -> int:
    """One exit code for the jobs of a process: a single job's own code; for a multirun,
    the highest failure code (2, 4, 5), refusals (3) counting as success."""
    if len(codes) <= 1:
        return codes[0] if codes else EXIT_OK
    failures = [c for c in codes if c not in (EXIT_OK, EXIT_REFUSED)]
    return max(failures, default=EXIT_OK)


def console_main(hydra_main: Callable[[], None], codes: list[int]) -> None:
    """Run a Hydra entry point as a console script and exit with its jobs' code.

    ``hydra_main`` appends each job's exit code to ``codes``. Hydra itself exits 1 on a
    config it cannot compose; that is a bad config here (2).
    """
    from skillcast.apps import schema

    schema.register()
    codes.clear()
    try:
        hydra_main()
    except SystemExit as exc:
        raise SystemExit(2 if exc.code == 1 else exc.code) from None
    sys.exit(combined_exit(codes))
