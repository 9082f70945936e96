"""Structured configs of the apps, registered in Hydra's ConfigStore.

``train_schema`` and ``forecast_schema`` type the top of ``train.yaml`` and
``forecast.yaml``; the fixed groups (``data``, ``backtest``, ``output``, ``demand``,
``compute``) are typed through their fields. Options of the ``model``, ``features``,
``reconcile`` and ``tracking`` groups build objects from ``_target_``. Each such option
lists its schema first in its defaults list (``/schema/model@_here_: <option>``); the
schema is generated from the signature of the class or function the option names, with
its defaults, so a mistyped parameter or a value of the wrong type stops Hydra while it
composes the config, before any data is read, and a default is written once, in the
signature. An option whose class cannot be imported gets an open schema holding only its
``_target_`` (building it then fails); the config tests require a generated schema for
every shipped option.

Importing this module registers the schemas and the resolvers ``skillcast.cwd`` (the
working directory), ``skillcast.sqlite_uri`` (the URI of an SQLite file, quoted) and
``skillcast.season_length`` (periods per year of a frequency) and ``skillcast.options``
(the options of a config group, for ``--help``).
"""

from __future__ import annotations

import collections.abc
import importlib
import inspect
import types
import typing
from dataclasses import dataclass, field, make_dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, Union
from urllib.parse import quote

import yaml
from hydra.core.config_store import ConfigStore
from omegaconf import MISSING, OmegaConf

from skillcast.periods import frequency

CONFIG_PACKAGE = "skillcast.configs"
# groups whose options carry a generated schema
TARGET_GROUPS = ("model", "features", "reconcile", "tracking")
_PRIMITIVES = (int, float, bool, str)


def config_dir() -> Path:
    """The directory holding ``train.yaml``, ``forecast.yaml`` and the config groups."""
    return Path(str(resources.files(CONFIG_PACKAGE)))


# --------------------------------------------------------------------- the groups
@dataclass
class PathsConf:
    root: str = "${skillcast.cwd:}"  # where the apps keep their state (cwd by default)
    forecasts: str = "${paths.root}/forecasts"
    outputs: str = "${paths.root}/outputs"  # Hydra's job logs and resolved configs
    multirun: str = "${paths.root}/multirun"  # the same for sweeps, one folder per job
    # held by a train or forecast run: runs of one project wait for each other
    lock: str = "${paths.root}/skillcast.lock"


@dataclass
class SpecConf:
    """Fields of :class:`skillcast.PanelSpec` (taxonomies: the shipped tables)."""

    _target_: str = "skillcast.spec.PanelSpec"
    period: str = "period"
    freq: str = "semiannual"
    keys: list[str] = field(default_factory=lambda: ["sector", "occupation", "level"])
    target: str = "employment"
    measure: str = "stock"
    known_exog: list[str] = field(default_factory=list)
    observed_exog: list[str] = field(default_factory=list)
    gaps: str = "error"
    unknown_codes: str = "error"
    max_value: float = 1e9  # largest plausible target value in one cell
    # key column -> code width (or one int for every key): zero-pads integer codes
    code_width: Any = None
    encoding: str | None = None  # CSV text encoding, e.g. cp1258; null: UTF-8 (or a BOM's)
    # how the period column is written when not a label like 2024-H1: "%d/%m/%Y" or
    # "dayfirst" (dd/mm/yyyy, the Vietnamese convention); null: labels and ISO dates only
    period_format: str | None = None
    # key column -> a classification table (CSV path) in place of the shipped one
    taxonomies: Any = None


@dataclass
class ReadConf:
    """How a CSV source writes its text (fields of :class:`skillcast.reading.ReadOptions`)."""

    sep: str | None = None  # the delimiter; null: a comma
    thousands: str | None = None  # e.g. "." for 1.250 (Vietnamese sources)
    decimal: str = "."  # e.g. "," for 1.250,5


@dataclass
class DataConf:
    """Where the panel comes from: ``path`` (CSV/Parquet) or ``loader`` (a ``_target_``)."""

    name: str = MISSING
    # each option sets both (null for the one it does not use): a ``???`` in a YAML file
    # cannot replace a schema default, so the schema leaves them unset
    path: str | None = MISSING
    loader: Any = MISSING  # builds a DataFrame or a Panel
    spec: SpecConf = field(default_factory=SpecConf)
    read: ReadConf = field(default_factory=ReadConf)
    # old codes -> new codes before modelling (VSIC 2018 -> 2025): {path, column}
    crosswalk: Any = None
    # future values of the known-in-advance drivers (plans): a CSV/Parquet path or a
    # _target_ building a DataFrame with `period`, the driver columns and any key columns
    future_exog: Any = None
    max_series: int | None = None  # keep the first N series (quick runs, tests)
    until: str | None = None  # drop periods after this one (replay what was known then)
    # companions of the data used by the demand group: graduates entering the labour
    # market (a CSV/Parquet path or a _target_ building a DataFrame; null: none) and
    # annual replacement rates ("default": the shipped table; a path; null: none)
    supply: Any = None
    replacement_rates: Any = "default"


@dataclass
class BacktestConf:
    horizon: int = 2
    n_windows: int = 3
    step: int = 1
    refit: bool = True


@dataclass
class DemandConf:
    """Openings (expansion + replacement) and the supply gap written after a forecast."""

    enabled: bool = True
    replacement_rates: Any = "${data.replacement_rates}"
    supply: Any = "${data.supply}"
    supply_freq: str | None = None  # the supply table's frequency when it differs
    hiring_adjustment: Any = None  # declared -> realised: a number, a CSV path or a mapping
    hiring_by: str = "sector"  # the column the hiring factors are keyed on
    expansion: str = "auto"  # auto (annual when a year has several periods), period, annual
    conversion: str = "linear"  # annual rates to per-period rates: linear or compound
    by: list[str] = field(default_factory=lambda: ["occupation", "level"])
    shortage_ratio: float = 1.1
    surplus_ratio: float = 0.9
    interval_level: int | None = 80  # the openings interval that sets "likely"/"possible"


@dataclass
class SkillsConf:
    """Openings by skill group (ESCO or a bridge of the same shape) after the demand step."""

    enabled: bool = True
    bridge: str | None = None  # a CSV of the bridge's shape; null: the shipped ESCO bridge
    level: int = 2  # the shipped bridge's skill-group level: 1 (28 groups) or 2 (157)
    by: str = "cluster"  # rows per priority cluster (and the city) or per sector


@dataclass
class ScenariosConf:
    """Forecasts under driver scenarios (see skillcast.apps.scenario_outputs)."""

    # scenario -> driver -> annual growth rate (0.07 = 7% a year); null = no scenarios
    growth: Any = None
    reference: str = "baseline"  # the scenario forecast.csv is (its path: the plan, if any)
    method: str = "elasticity"  # elasticity (any model) or model (the model re-forecasts)
    seasonal: Any = "auto"  # drivers whose path repeats last year's seasonal pattern
    elasticities: Any = None  # a _target_ node building DriverElasticities (null: defaults)


@dataclass
class EmergingConf:
    """Which series count as new or rising from zero (skillcast.emerging.detect_emerging):
    flagged in every planner table and the report, logged by each training run."""

    recent: int | None = None  # the last periods that count as recent; null: one year
    near_zero: float = 0.1  # "was at zero": at most this share of the recent level before
    min_size: float = 5.0  # the recent level (workers) a rise from zero must reach


@dataclass
class OutputConf:
    dir: str = "${paths.forecasts}"
    horizon: int = 4  # periods forecast after the last period of the data
    latest: str = "latest.csv"  # its stem names the link to the current set (latest/)
    keep_runs: int = 10  # run folders kept in <dir>/runs/ besides those linked
    report: bool = True  # the planners' page (report.html) and workbook (forecast.xlsx)
    small_cell: int = 50  # series forecast below this many workers are flagged in the report
    emerging: EmergingConf = field(default_factory=EmergingConf)


@dataclass
class ComputeConf:
    """Where models are fitted: this process (``local``) or a Dask cluster (``dask``,
    see skillcast.apps.compute)."""

    name: str = "local"
    address: str | None = None  # a Dask scheduler (tcp://host:8786); null: a LocalCluster
    n_workers: int = 2  # workers of the LocalCluster started when address is null
    threads_per_worker: int = 1
    processes: bool = True  # LocalCluster workers as processes (false: threads)
    partition_by: str | None = None  # a key column: one partition per value
    partition_size: int | None = None  # series per partition when partition_by is null


@dataclass
class PromotionConf:
    metric: str = "mase"  # a column of skillcast.metrics.evaluate
    greater_is_better: bool = False
    # a refresh (same config, the champion's series with later periods) becomes champion
    # unless its score is worse than the champion's re-score by more than this fraction
    tolerance: float = 0.02


@dataclass
class TrainConfig:
    data: DataConf = MISSING
    features: Any = MISSING
    model: Any = MISSING
    backtest: BacktestConf = MISSING
    reconcile: Any = MISSING
    tracking: Any = MISSING
    output: OutputConf = MISSING
    compute: ComputeConf = MISSING
    paths: PathsConf = field(default_factory=PathsConf)
    promotion: PromotionConf = field(default_factory=PromotionConf)
    register: bool = True  # register a model version and run the promotion gate
    force: bool = False  # retrain although a version exists for this data and config
    seed: int = 0
    lock_timeout: float = 600.0  # seconds to wait for another run of this project


@dataclass
class ForecastConfig:
    data: DataConf = MISSING
    tracking: Any = MISSING
    output: OutputConf = MISSING
    demand: DemandConf = MISSING
    skills: SkillsConf = MISSING
    scenarios: ScenariosConf = MISSING
    compute: ComputeConf = MISSING
    paths: PathsConf = field(default_factory=PathsConf)
    # an alias, a version number, or a model URI (runs:/<run_id>/model); not named
    # "model", which would clash with the model config group
    model_ref: str = "champion"
    refit: str = "auto"  # auto: refit the model's configuration when the data changed
    seed: int = 0
    lock_timeout: float = 600.0  # seconds to wait for another run of this project


# ------------------------------------------------------------ generated schemas
def target_schema(target: str, partial: bool = False) -> Any:
    """A structured config for the ``_target_`` node building ``target``.

    Fields are the callable's parameters, typed from its annotations (scalars, optional
    scalars, lists of scalars and lists of such lists; anything else ``Any``) with its
    defaults; parameters whose default has no config form are ``???`` and dropped before
    instantiation. With ``partial`` the node builds a ``functools.partial``
    (``_partial_: true``) and leaves out the parameters without a default: the caller
    supplies them. A target that cannot be imported, or that takes ``**kwargs``, gets an
    open dict.
    """
    obj = _locate(target)
    if obj is None:
        return {"_target_": target}
    func = obj.__init__ if inspect.isclass(obj) else obj
    try:
        params = list(inspect.signature(obj).parameters.values())
    except (TypeError, ValueError):
        return {"_target_": target}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return {"_target_": target}
    try:
        hints = typing.get_type_hints(func)
    except Exception:  # unresolvable annotations: type the fields as Any
        hints = {}
    fields: list[tuple[str, Any, Any]] = [
        ("_target_", str, field(default=target)),
        ("_convert_", str, field(default="all")),
    ]
    if partial:
        fields.append(("_partial_", bool, field(default=True)))
    for p in params:
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        if partial and p.default is inspect.Parameter.empty:
            continue
        fields.append((p.name, *_field(hints.get(p.name, Any), p.default)))
    return make_dataclass(f"{getattr(obj, '__name__', 'Target')}Conf", fields)


def _locate(target: str) -> Any:
    """The object a dotted path names, or None if it cannot be imported (quietly)."""
    module_name, _, attr = target.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr, None)
    except ImportError:
        return None


def _field(hint: Any, default: Any) -> tuple[Any, Any]:
    typ = _config_type(hint)
    if default is inspect.Parameter.empty:
        return typ, field(default=MISSING)
    if default is None:
        if typ is not Any and typing.get_origin(typ) not in (Union, types.UnionType):
            typ = typ | None
        return typ, field(default=None)
    if isinstance(default, _PRIMITIVES):
        return typ, field(default=default)
    if isinstance(default, tuple | list) and _plain(default):
        return typ, field(default_factory=lambda: _as_lists(default))
    return Any, field(default=MISSING)  # an object default: let the callable apply it


def _plain(value: Any) -> bool:
    """Whether ``value`` is a scalar or a (nested) sequence of scalars."""
    if isinstance(value, _PRIMITIVES):
        return True
    return isinstance(value, tuple | list) and all(_plain(v) for v in value)


def _as_lists(value: Any) -> Any:
    # a fresh copy per config: a shared default list would be mutated through any one
    return [_as_lists(v) for v in value] if isinstance(value, tuple | list) else value


def _config_type(hint: Any) -> Any:
    """The OmegaConf-supported type closest to an annotation."""
    if hint in _PRIMITIVES:
        return hint
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if len(inner) == 1 and len(args) == 2 and inner[0] in _PRIMITIVES:
            return inner[0] | None
        return Any
    if origin is Literal:
        kinds = {type(a) for a in args}
        return kinds.pop() if len(kinds) == 1 and next(iter(kinds)) in _PRIMITIVES else Any
    if origin in (tuple, list, collections.abc.Sequence):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return list[Any]
        elem = _config_type(args[0]) if args else Any
        if elem in _PRIMITIVES or typing.get_origin(elem) is list:
            return types.GenericAlias(list, (elem,))
        return list[Any]
    return Any


# ----------------------------------------------------------------- registration
def _season_length(freq: str) -> int:
    return frequency(freq).season_length


def _cwd() -> str:
    return str(Path.cwd().resolve())


def _sqlite_uri(path: str) -> str:
    # quoted: a "?" or "#" in a folder name would otherwise end the database path
    return "sqlite:///" + quote(Path(path).resolve().as_posix(), safe="/")


def register() -> None:
    """Register resolvers and every schema in Hydra's ConfigStore (idempotent)."""
    if not OmegaConf.has_resolver("skillcast.cwd"):
        OmegaConf.register_new_resolver("skillcast.cwd", _cwd)
    if not OmegaConf.has_resolver("skillcast.sqlite_uri"):
        OmegaConf.register_new_resolver("skillcast.sqlite_uri", _sqlite_uri)
    if not OmegaConf.has_resolver("skillcast.season_length"):
        OmegaConf.register_new_resolver("skillcast.season_length", _season_length)
    if not OmegaConf.has_resolver("skillcast.options"):  # for the apps' --help
        OmegaConf.register_new_resolver("skillcast.options", lambda g: ", ".join(group_options(g)))
    cs = ConfigStore.instance()
    cs.store(name="train_schema", node=TrainConfig)
    cs.store(name="forecast_schema", node=ForecastConfig)
    for group in TARGET_GROUPS:
        for path in sorted((config_dir() / group).glob("*.yaml")):
            option = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            if option.get("_target_"):
                node = target_schema(option["_target_"], bool(option.get("_partial_")))
                cs.store(group=f"schema/{group}", name=path.stem, node=node)


def group_options(group: str) -> list[str]:
    """Names of the shipped options of a config group (``model`` -> ``["auto", ...]``)."""
    return sorted(p.stem for p in (config_dir() / group).glob("*.yaml"))


register()
