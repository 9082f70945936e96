"""Every config group option and experiment composes; schemas catch bad keys and types."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf
from omegaconf.errors import ConfigKeyError, ValidationError

from skillcast.apps import schema
from skillcast.apps.config import build, check_config
from skillcast.apps.data import load_data
from skillcast.errors import SkillcastConfigError
from skillcast.features import FeaturePipeline
from skillcast.lineage import config_hash
from skillcast.models import Croston, Forecaster, SeasonalNaive

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = schema.config_dir()
GROUPS = ("data", "features", "model", "backtest", "reconcile", "tracking", "output", "demand")
TRAIN_ONLY = ("features", "model", "backtest", "reconcile")
FORECAST_ONLY = ("demand",)
MANDATORY = {("data", "csv"): "data.path=x.csv", ("data", "parquet"): "data.path=x.parquet",
             ("tracking", "server"): "tracking.uri=http://127.0.0.1:5000"}  # fmt: skip


def compose_cfg(name: str, overrides: list[str] | None = None):
    with initialize_config_dir(str(CONFIG_DIR), version_base="1.3"):
        return compose(name, overrides=overrides or [], return_hydra_config=False)


def importable(target: str) -> bool:
    return not isinstance(schema.target_schema(target), dict)


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
    forecast = check_config(compose_cfg("forecast"))
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


def test_importable_model_options_build_forecasters() -> None:
    built = []
    for option in schema.group_options("model"):
        cfg = compose_cfg("train", [f"model={option}"])
        if importable(cfg.model._target_):
            model = build(cfg.model)
            assert isinstance(model, Forecaster)
            built.append(option)
    assert {"seasonal_naive", "croston", "ets"} <= set(built)
    model = build(compose_cfg("train", ["model=seasonal_naive", "model.levels=[90]"]).model)
    assert isinstance(model, SeasonalNaive) and model.levels == [90]


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
    cfg = compose_cfg("train", ["data.max_series=5", "data.until=2020-H2"])
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
