"""Every config group option and experiment composes; schemas catch bad keys and types."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from dataclasses import is_dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from hydra.utils import get_object
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError
from sklearn.base import BaseEstimator

from skillcast.apps import schema
from skillcast.apps import train as train_app
from skillcast.apps.config import TrackingSettings, build, check_config
from skillcast.apps.data import load_data
from skillcast.errors import SkillcastConfigError
from skillcast.features import FeaturePipeline, make_default_features
from skillcast.lineage import config_hash
from skillcast.models import AutoForecaster, Croston, Forecaster, GlobalModel, SeasonalNaive
from skillcast.reconcile import ReconciledForecaster

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = schema.config_dir()
GROUPS = ("data", "features", "model", "backtest", "reconcile", "tracking", "output", "demand",
          "skills")
TRAIN_ONLY = ("features", "model", "backtest", "reconcile")
FORECAST_ONLY = ("demand", "skills")
MANDATORY = {("data", "csv"): "data.path=x.csv", ("data", "parquet"): "data.path=x.parquet",
             ("data", "reports"): "data.path=reports/",
             ("tracking", "server"): "tracking.uri=http://127.0.0.1:5000"}  # fmt: skip


def compose_cfg(name: str, overrides: list[str] | None = None):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose(name, overrides=overrides or [], return_hydra_config=False)


def option_file(group: str, option: str) -> dict[str, Any]:
    return yaml.safe_load((CONFIG_DIR / group / f"{option}.yaml").read_text(encoding="utf-8"))


def targets_in(value: Any) -> Iterator[str]:
    """Every ``_target_`` string of a loaded YAML document, at any depth."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "_target_":
                yield item
            else:
                yield from targets_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from targets_in(item)


def pooled_models(model: Any) -> list[Any]:
    """The pooled members of a built model, at any depth; an AutoForecaster always has one
    (``None`` when it is left to the class, which ignores the ``features`` group)."""
    if isinstance(model, AutoForecaster):
        return [model.global_model, *pooled_models(model.ets)]
    if isinstance(model, GlobalModel):
        return [model]
    if isinstance(model, BaseEstimator):
        return [m for v in model.get_params(deep=False).values() for m in pooled_models(v)]
    if isinstance(model, list | tuple):
        return [m for v in model for m in pooled_models(v)]
    if isinstance(model, dict):
        return [m for v in model.values() for m in pooled_models(v)]
    return []


def described(value: Any) -> Any:
    """An estimator as comparable plain data: its class and parameters, recursively."""
    if isinstance(value, BaseEstimator):
        params = value.get_params(deep=False)
        return type(value).__qualname__, {k: described(v) for k, v in params.items()}
    if isinstance(value, list | tuple):
        return [described(v) for v in value]
    return value


def test_top_level_configs_is_the_package_directory() -> None:
    # one real location, shipped in the wheel; the documented configs/ points at it
    assert (REPO / "configs").resolve() == CONFIG_DIR.resolve()
    assert CONFIG_DIR.parent.name == "skillcast"
    for group in GROUPS:
        assert schema.group_options(group), f"group {group} has no options"


@pytest.mark.parametrize(
    ("group", "option"),
    [(g, o) for g in GROUPS for o in schema.group_options(g)],
    ids=lambda v: str(v),
)
def test_every_group_option_composes(group: str, option: str) -> None:
    extra = [MANDATORY[(group, option)]] if (group, option) in MANDATORY else []
    if group not in FORECAST_ONLY:
        resolved = check_config(compose_cfg("train", [f"{group}={option}", *extra]))
        assert resolved[group] is not None
    if group not in TRAIN_ONLY:
        resolved = check_config(compose_cfg("forecast", [f"{group}={option}", *extra]))
        assert resolved[group] is not None


@pytest.mark.parametrize("experiment", schema.group_options("experiment"))
def test_every_experiment_composes(experiment: str) -> None:
    cfg = compose_cfg("train", [f"+experiment={experiment}"])
    resolved = check_config(cfg)
    assert resolved["tracking"]["experiment"].startswith("skillcast-")


def test_experiments_set_what_they_promise() -> None:
    quarterly = check_config(compose_cfg("train", ["+experiment=quarterly"]))
    assert quarterly["data"]["spec"]["freq"] == "quarterly"
    assert quarterly["data"]["loader"]["freq"] == "quarterly"
    assert quarterly["features"]["panel_or_season_length"] == 4
    assert (quarterly["backtest"]["horizon"], quarterly["output"]["horizon"]) == (4, 8)
    semi = check_config(compose_cfg("train", ["+experiment=semiannual_reports"]))
    assert semi["data"]["spec"]["freq"] == "semiannual"
    assert semi["backtest"]["horizon"] == 4 and semi["output"]["horizon"] == 4
    assert semi["features"]["panel_or_season_length"] == 2
    sweep = OmegaConf.load(CONFIG_DIR / "experiment" / "model_comparison.yaml")
    models = sweep.hydra.sweeper.params.model.split(",")
    assert set(models) <= set(schema.group_options("model")) and len(models) >= 3


def test_reconcile_and_demand_groups_set_what_they_promise() -> None:
    train = check_config(compose_cfg("train"))
    assert train["reconcile"]["method"] == "mint_shrink"  # reconciled by default
    assert train["reconcile"]["nonnegative"] and train["reconcile"]["hold_intermittent"]
    levels = [[], ["sector"], ["occupation_major"], ["level"]]
    assert train["reconcile"]["aggregations"] == levels
    for option in schema.group_options("reconcile"):
        picked = check_config(compose_cfg("train", [f"reconcile={option}"]))["reconcile"]
        assert picked["method"] == option  # each option is named after its method
    forecast = check_config(compose_cfg("forecast", ["data=sample"]))
    demand = forecast["demand"]
    # the sample brings its own supply table; the replacement rates are the shipped ones
    assert demand["supply"] == {"_target_": "skillcast.datasets.load_sample_supply"}
    assert demand["replacement_rates"] == "default" and demand["expansion"] == "auto"
    assert (demand["shortage_ratio"], demand["surplus_ratio"]) == (1.1, 0.9)
    own = check_config(compose_cfg("forecast", ["data=csv", "data.path=p.csv"]))["demand"]
    assert own["supply"] is None and own["replacement_rates"] == "default"
    moved = compose_cfg("forecast", ["data=csv", "data.path=p.csv", "demand.supply=grads.csv"])
    assert check_config(moved)["demand"]["supply"] == "grads.csv"
    assert check_config(compose_cfg("forecast", ["demand=off"]))["demand"]["enabled"] is False
    with pytest.raises(ConfigCompositionException):
        compose_cfg("train", ["reconcile.methd=ols"])
    with pytest.raises(ConfigCompositionException):
        compose_cfg("forecast", ["demand.shortage_ratio=high"])


def test_default_paths_follow_the_working_directory(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    resolved = check_config(compose_cfg("train"))
    root = str(tmp_path.resolve())
    assert resolved["tracking"]["uri"] == f"sqlite:///{root}/mlflow.db"
    assert resolved["tracking"]["uri"].startswith("sqlite:////")  # absolute path
    assert resolved["tracking"]["artifact_location"] == f"{root}/mlartifacts"
    assert resolved["output"]["dir"] == f"{root}/forecasts"


@pytest.mark.parametrize(
    ("overrides", "error", "named"),
    [
        (["backtest.horizn=3"], ConfigKeyError, "horizn"),
        (["model=croston", "model.alpah=0.3"], ConfigKeyError, "alpah"),
        (["model=seasonal_naive", "model.season_length=two"], ValidationError, "season_length"),
        (["backtest.horizon=abc"], ValidationError, "horizon"),
        (["data.spec.frq=quarterly"], ConfigKeyError, "frq"),
        (["tracking.urii=http://x"], ConfigKeyError, "urii"),
        (["forse=true"], ConfigKeyError, "forse"),
    ],
)
def test_bad_keys_and_types_fail_while_composing(overrides, error, named) -> None:
    with pytest.raises(ConfigCompositionException) as info:
        compose_cfg("train", overrides)
    cause = info.value.__cause__
    assert isinstance(cause, error) or named in str(info.value)
    assert named in str(info.value) + str(cause)


def test_generated_model_schema_follows_the_signature() -> None:
    node = OmegaConf.structured(schema.target_schema("skillcast.models.Croston"))
    assert node._target_ == "skillcast.models.Croston"
    assert set(node) == {"_target_", "_convert_", "variant", "alpha", "levels", "intervals"}
    assert node.alpha == Croston().alpha and list(node.levels) == list(Croston().levels)
    with pytest.raises(ValidationError):
        node.alpha = "fast"
    # a class that does not exist yet gets an open schema: any key composes
    assert schema.target_schema("skillcast.models.NotYetWritten") == {
        "_target_": "skillcast.models.NotYetWritten"
    }


def test_every_model_option_builds_a_forecaster() -> None:
    for option in schema.group_options("model"):
        model = build(compose_cfg("train", [f"model={option}"]).model)
        assert isinstance(model, Forecaster), option
    model = build(compose_cfg("train", ["model=seasonal_naive", "model.levels=[90]"]).model)
    assert isinstance(model, SeasonalNaive) and model.levels == [90]


def test_every_target_in_the_configs_imports() -> None:
    found: dict[str, str] = {}
    for path in sorted(CONFIG_DIR.rglob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for target in targets_in(document):
            found[target] = str(path.relative_to(CONFIG_DIR))
    broken = []
    for target, where in sorted(found.items()):
        try:
            get_object(target)
        except Exception as exc:
            broken.append(f"{where}: {target} ({type(exc).__name__})")
    assert broken == []
    # the walk reaches nested nodes and Hydra's own settings, not only the top of options
    assert {"sklearn.linear_model.Ridge", "skillcast.apps.callbacks.SweepParentRun",
            "skillcast.datasets.sample.load_sample"} <= set(found)  # fmt: skip


@pytest.mark.parametrize(
    ("group", "option"),
    [(g, o) for g in schema.TARGET_GROUPS for o in schema.group_options(g)],
    ids=lambda v: str(v),
)
def test_every_target_option_is_typed_by_its_schema(group: str, option: str) -> None:
    # a mistyped _target_ gets an open schema, and an option without its schema in its
    # defaults list is untyped: either way a misspelt parameter in the option's file or
    # in an experiment would compose
    assert not isinstance(schema.target_schema(option_file(group, option)["_target_"]), dict)
    extra = [MANDATORY[(group, option)]] if (group, option) in MANDATORY else []
    node = compose_cfg("train", [f"{group}={option}", *extra])[group]
    assert is_dataclass(OmegaConf.get_type(node))
    with pytest.raises(ConfigKeyError, match="not_a_parameter"):
        OmegaConf.merge(node, {"not_a_parameter": 1})  # what Hydra does with a config file


@pytest.mark.parametrize("option", schema.group_options("model"))
def test_the_features_group_reaches_every_pooled_model(option: str) -> None:
    for features in ("minimal", "default"):
        cfg = compose_cfg("train", [f"model={option}", f"features={features}"])
        pooled = pooled_models(build(cfg.model))
        want = described(build(cfg.features))
        for member in pooled:
            assert isinstance(member, GlobalModel), f"the pooled model is {member!r}"
            assert described(member.features) == want, f"features={features}"
    if option in ("auto", "lightgbm", "ridge", "ensemble"):
        assert pooled


def test_default_features_are_those_the_pooled_model_makes_itself() -> None:
    # GlobalModel(features=None) builds make_default_features(panel): the default option
    # must give the same columns and values, so spelling it out changes no forecast
    cfg = compose_cfg("train", ["data=sample", "data.max_series=12"])
    panel = load_data(cfg.data)
    configured = build(cfg.features).fit(panel)
    own = make_default_features(panel).fit(panel)
    names = list(own.get_feature_names_out())
    assert list(configured.get_feature_names_out()) == names
    origins = [panel.n_periods - 6, panel.n_periods - 3]
    for step in (1, 2):
        np.testing.assert_array_equal(
            configured.transform(panel, origins, step), own.transform(panel, origins, step)
        )


def test_reconcile_options_wrap_the_built_model() -> None:
    for option in schema.group_options("reconcile"):
        cfg = compose_cfg("train", ["model=seasonal_naive", f"reconcile={option}"])
        model = train_app.with_reconciliation(build(cfg.model), cfg.reconcile)
        if option == "none":
            assert isinstance(model, SeasonalNaive)
            continue
        assert isinstance(model, ReconciledForecaster) and model.method == option
        assert isinstance(model.forecaster, SeasonalNaive)
    # the default option is the class's defaults
    cfg = compose_cfg("train", ["model=seasonal_naive"])
    model = train_app.with_reconciliation(build(cfg.model), cfg.reconcile)
    assert described(model) == described(ReconciledForecaster(SeasonalNaive()))
    tuned = compose_cfg("train", ["reconcile=none", "reconcile.method=ols",
                                  "reconcile.residual_windows=4",
                                  "reconcile.aggregations=[[],[sector]]"])  # fmt: skip
    model = train_app.with_reconciliation(build(tuned.model), tuned.reconcile)
    assert isinstance(model, ReconciledForecaster) and model.method == "ols"
    assert model.residual_windows == 4 and model.aggregations == [[], ["sector"]]
    with pytest.raises(ConfigCompositionException):
        compose_cfg("train", ["reconcile.residual_windows=many"])


@pytest.mark.parametrize(
    "changed",
    [["reconcile=none"], ["reconcile=bottom_up"], ["reconcile.method=ols"],
     ["reconcile.residual_windows=4"], ["reconcile.nonnegative=false"],
     ["reconcile.hold_intermittent=false"], ["reconcile.aggregations=[[],[sector]]"],
     ["features=minimal"]],
    ids=lambda v: v[0],
)  # fmt: skip
def test_model_settings_change_the_version_hash(changed: list[str]) -> None:
    default = train_app.model_config_hash(check_config(compose_cfg("train")))
    assert train_app.model_config_hash(check_config(compose_cfg("train", changed))) != default
    elsewhere = check_config(compose_cfg("train", ["tracking.experiment=other"]))
    assert train_app.model_config_hash(elsewhere) == default


def test_tracking_options_build_settings_without_importing_mlflow(tmp_path: Path) -> None:
    local = build(compose_cfg("forecast", [f"paths.root={tmp_path}"]).tracking)
    assert local == TrackingSettings(
        uri=f"sqlite:///{tmp_path}/mlflow.db", artifact_location=f"{tmp_path}/mlartifacts"
    )
    assert (local.experiment, local.registered_model) == ("skillcast", "skillcast-demand")
    server = ["tracking=server", "tracking.uri=http://mlflow:5000", "tracking.experiment=x"]
    assert build(compose_cfg("train", server).tracking) == TrackingSettings(
        "http://mlflow:5000", experiment="x"
    )
    code = (
        "import sys\n"
        "from hydra import compose, initialize_config_dir\n"
        "from skillcast.apps import schema, train\n"
        "from skillcast.apps.config import build, check_config\n"
        "with initialize_config_dir(str(schema.config_dir()), version_base='1.3'):\n"
        "    cfg = compose('train', overrides=['tracking=server', 'tracking.uri=http://x'])\n"
        "check_config(cfg)\n"
        "train.with_reconciliation(build(cfg.model), cfg.reconcile)\n"
        "build(cfg.tracking)\n"
        "print('mlflow' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_feature_options_build_pipelines() -> None:
    for option in schema.group_options("features"):
        features = build(compose_cfg("train", [f"features={option}"]).features)
        assert isinstance(features, FeaturePipeline)


def test_missing_mandatory_values_are_named() -> None:
    with pytest.raises(SkillcastConfigError, match=r"data\.path"):
        check_config(compose_cfg("train", ["data=csv"]))
    with pytest.raises(SkillcastConfigError, match=r"tracking\.uri"):
        check_config(compose_cfg("forecast", ["tracking=server"]))


def test_data_options_load_small_panels(tmp_path: Path) -> None:
    cfg = compose_cfg("train", ["data=sample", "data.max_series=5", "data.until=2020-H2"])
    panel = load_data(cfg.data)
    assert panel.n_series == 5
    assert panel.freq.label(panel.periods[-1]) == "2020-H2"
    panel.frame.assign(period=panel.freq.labels(panel.frame["period"])).to_csv(
        tmp_path / "p.csv", index=False
    )
    csv = compose_cfg("train", ["data=csv", f"data.path={tmp_path / 'p.csv'}"])
    from_csv = load_data(csv.data)
    assert from_csv.n_series == 5 and len(from_csv) == len(panel)


def test_config_hash_ignores_key_order_and_unrelated_sections() -> None:
    a = {"model": {"a": 1, "b": [1, 2]}, "seed": 0, "tracking": {"uri": "x"}}
    b = {"tracking": {"uri": "y"}, "seed": 0, "model": {"b": [1, 2], "a": 1}}
    assert config_hash(a, ("model", "seed")) == config_hash(b, ("model", "seed"))
    assert config_hash(a, ("model", "seed")) != config_hash({**a, "seed": 1}, ("model", "seed"))
