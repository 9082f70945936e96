"""The ``data`` config group: the validated panel, its future driver values, and the data
source a project remembers.

A model version records the ``data`` node it was trained on (tag ``data_source``: the
resolved node, paths made absolute). ``data=project`` -- the default of both apps --
reads that node again, so a periodic run picks up the rows added since, and never falls
back to the bundled sample: the sample is read only when asked for (``data=sample``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from skillcast.apps.config import build
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, load_panel
from skillcast.reading import read_table

#: ``data.name`` of the option that stands for the data the model was trained on
PROJECT = "project"
#: the version (and run) tag holding the data node a model was trained on
TAG_SOURCE = "data_source"
#: the fields of the spec that must agree between a model and the data it forecasts
SPEC_FIELDS = ("keys", "freq", "target", "measure")
# a recorded node is read back from the tracking store: it may only build our own objects
_TRUSTED_TARGETS = "skillcast."
# data=project's value of the companion tables: "as recorded" (null would mean "none")
RECORDED = "recorded"
_PATH_FIELDS = ("path", "future_exog", "supply", "replacement_rates", "crosswalk")
CHOOSE_DATA = (
    "choose the data: data=sample (the bundled sample), data=csv data.path=<file.csv>, "
    "data=parquet data.path=<file.parquet> or data=reports data.path=<folder of report "
    "batches>"
)


@dataclass(frozen=True)
class Loaded:
    """A validated panel and, when it was summed from enterprise report batches, what
    happened to the reports (a :class:`skillcast.datasets.ReportData`)."""

    panel: Panel
    reports: Any = None


def load_data(data: DictConfig) -> Panel:
    """The validated panel the ``data`` group describes (cut by ``until``/``max_series``)."""
    return load_source(data).panel


def load_source(data: DictConfig) -> Loaded:
    """:func:`load_data` with the report accounting of a ``data=reports`` source. Relative
    paths of ``data`` are made absolute in place first, so the node records the files
    read whatever the working directory of a later run."""
    if data.name == PROJECT:
        raise SkillcastConfigError(
            f"data=project stands for the data the champion was trained on, and this "
            f"project has no model yet: {CHOOSE_DATA}."
        )
    for key in _PATH_FIELDS:
        value = data.get(key)
        if isinstance(value, str) and key != "replacement_rates":
            data[key] = _absolute(value)
        elif isinstance(value, DictConfig) and isinstance(value.get("path"), str):
            value.path = _absolute(value.path)
    spec = build(data.spec)
    read = _read_options(data)
    reports = None
    if data.loader is not None:
        source = build(data.loader)
        if hasattr(source, "aggregation") and isinstance(getattr(source, "panel", None), Panel):
            reports, source = source, source.panel
    elif data.path:
        source = data.path
    else:
        raise SkillcastConfigError(f"data ({data.name}): set data.path or data.loader.")
    crosswalk = data.get("crosswalk")
    if crosswalk is not None:
        source = _crosswalked(source, crosswalk, spec, read)
    if isinstance(source, Panel):
        panel = source
    else:
        panel = load_panel(source, spec, read=read)
    if data.until is not None:
        panel = panel.until(str(data.until))
    if data.max_series is not None:
        keep = panel.series_id < int(data.max_series)
        panel = Panel(panel.spec, panel.frame.loc[keep].reset_index(drop=True))
    return Loaded(panel, reports)


def log_reports(tracker: Any, reports: Any) -> dict[str, float]:
    """Log what happened to the enterprise reports behind the panel: the counts as
    metrics (``reports_<count>``), the accounting per period and the batches read as
    tables; return the metrics."""
    metrics = {f"reports_{k}": float(v) for k, v in reports.accounting().items()}
    tracker.log_metrics(metrics)
    tracker.log_csv(reports.by_period, "data/report_accounting.csv")
    tracker.log_csv(reports.batches, "data/report_batches.csv")
    return metrics


def _read_options(data: DictConfig) -> dict[str, Any] | None:
    """``data.read`` as the fields of :class:`skillcast.reading.ReadOptions`."""
    node = OmegaConf.to_container(data.read, resolve=True) if data.get("read") else {}
    assert isinstance(node, dict)
    return {str(k): v for k, v in node.items()} or None


def _crosswalked(source: Any, crosswalk: Any, spec: Any, read: Any) -> Any:
    """The source's rows with one key column converted to the crosswalk's new codes
    (``data.crosswalk``: ``path``, ``column``, optionally ``unknown``, ``new_from`` and the
    crosswalk's column names ``old``, ``new``, ``share``); the conversion is reported."""
    from skillcast.apps.console import report
    from skillcast.reading import read_frame
    from skillcast.taxonomy.crosswalk import convert_codes, load_crosswalk

    node = OmegaConf.to_container(crosswalk, resolve=True) if isinstance(
        crosswalk, DictConfig
    ) else {"path": crosswalk}
    assert isinstance(node, dict)
    if not node.get("path") or not node.get("column"):
        raise SkillcastConfigError(
            "data.crosswalk needs a path (CSV: old code, new code, share) and the key column "
            "it converts, e.g. data.crosswalk.path=vsic2018_2025.csv data.crosswalk.column=sector"
        )
    unknown = {k: node.pop(k) for k in list(node) if k not in _CROSSWALK_KEYS}
    if unknown:
        raise SkillcastConfigError(
            f"data.crosswalk has no key(s) {sorted(unknown)}; it takes {list(_CROSSWALK_KEYS)}."
        )
    frame = source.frame if isinstance(source, Panel) else read_frame(source, spec, read=read)
    names = {k: node[k] for k in ("old", "new", "share") if k in node}
    table = load_crosswalk(str(node["path"]), **names)
    values = [spec.target, *spec.known_exog, *spec.observed_exog]
    converted, record = convert_codes(
        frame, table, str(node["column"]), value_columns=values,
        new_from=node.get("new_from"), period=spec.period, freq=spec.freq,
        unknown=node.get("unknown", "error"),
    )  # fmt: skip
    report(f"Crosswalk {node['path']}: {record.summary()}")
    return converted


_CROSSWALK_KEYS = ("path", "column", "unknown", "new_from", "old", "new", "share")


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
        try:
            frame = read_table(str(source), panel.spec, read=_read_options(data))
        except SkillcastDataError as exc:
            raise SkillcastDataError(f"data.future_exog: {exc}") from exc
    if not isinstance(frame, pd.DataFrame):
        raise SkillcastConfigError(
            f"data.future_exog built a {type(frame).__name__}, not a DataFrame."
        )
    return frame


# ------------------------------------------------------------- the remembered source
def source_record(data: DictConfig) -> str:
    """The ``data`` node as the JSON a model version records (paths made absolute, so the
    node reads the same files from any working directory; ``until`` left out, so that
    reading it again picks up newer rows)."""
    node = OmegaConf.to_container(data, resolve=True)
    assert isinstance(node, dict)
    node.pop("until", None)
    for key in _PATH_FIELDS:
        node[key] = _absolute(node.get(key))
    return json.dumps(node, sort_keys=True, ensure_ascii=False)


def _absolute(value: Any) -> Any:
    if isinstance(value, str) and value not in ("default", "") and "://" not in value:
        return str(Path(value).expanduser().resolve())
    if isinstance(value, dict) and "path" in value and isinstance(value["path"], str):
        return {**value, "path": _absolute(value["path"])}
    return value


def recorded_data(data: DictConfig, record: str | None, label: str | None) -> DictConfig:
    """The ``data`` node to read: ``data`` itself, or -- for ``data=project`` -- the node
    ``record`` (a version's ``data_source`` tag) with what the command line set on top
    (``data.until=...``, ``data.future_exog=<this cycle's plan>``, ``data.spec.x=...``:
    every value other than ``data=project``'s own). ``label`` names the model version in
    messages (None: the project has no model yet)."""
    if data.name != PROJECT:
        return data
    if label is None:
        load_data(data)  # raises: what to choose
    if not record:
        raise SkillcastConfigError(
            f"data=project: {label} does not record the data it was trained on (it was "
            f"registered before skillcast kept it): {CHOOSE_DATA}."
        )
    try:
        node = json.loads(record)
    except json.JSONDecodeError as exc:
        raise SkillcastConfigError(f"{label}: its data_source tag is not JSON ({exc}).") from exc
    untrusted = sorted(t for t in _targets(node) if not t.startswith(_TRUSTED_TARGETS))
    if untrusted:
        raise SkillcastConfigError(
            f"data=project: the data source recorded with {label} builds {untrusted}, which "
            f"is not part of skillcast; objects named by the tracking store are not built. "
            f"Pass the data explicitly: {CHOOSE_DATA}."
        )
    out = OmegaConf.merge(data, node, _given(data))  # typed: a stray key is an error
    assert isinstance(out, DictConfig)
    return out


def _given(data: DictConfig) -> dict[str, Any]:
    """The values of ``data`` that differ from those of the ``data=project`` option."""
    from skillcast.apps.schema import DataConf, config_dir

    option = OmegaConf.load(config_dir() / "data" / f"{PROJECT}.yaml")
    default = OmegaConf.to_container(OmegaConf.merge(OmegaConf.structured(DataConf), option))
    given = OmegaConf.to_container(data)
    assert isinstance(default, dict) and isinstance(given, dict)
    return _diff(given, default)


def _diff(given: dict[Any, Any], default: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in given.items():
        if key == "name" or value == RECORDED:
            continue
        base = default.get(key)
        if (
            isinstance(value, dict)
            and isinstance(base, dict)
            and value.get("_target_") == base.get("_target_")  # the same kind of node
        ):
            inner = _diff(value, base)
            if inner:
                out[str(key)] = inner
        elif value != base:
            out[str(key)] = value
    return out


def _targets(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [str(node["_target_"])] if "_target_" in node else []
        return found + [t for v in node.values() for t in _targets(v)]
    if isinstance(node, list):
        return [t for v in node for t in _targets(v)]
    return []


def check_spec(data_spec: Any, model_spec: Any, label: str, refit: str) -> None:
    """Stop (config error) when the data's spec differs from the model's in keys, freq,
    target or measure, unless ``refit=always`` (the model's configuration is then refit
    on this data)."""
    differ = {
        f: (getattr(model_spec, f), getattr(data_spec, f))
        for f in SPEC_FIELDS
        if _norm(getattr(model_spec, f)) != _norm(getattr(data_spec, f))
    }
    if not differ or refit == "always":
        return
    what = "; ".join(f"{f}: model {m!r}, data {d!r}" for f, (m, d) in differ.items())
    raise SkillcastConfigError(
        f"The data does not match {label} ({what}). Forecast with data matching the model "
        f"(data=project reads the data it was trained on), or pass refit=always to refit "
        f"its configuration on this data."
    )


def _norm(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return tuple(value)
    return getattr(value, "name", value)
