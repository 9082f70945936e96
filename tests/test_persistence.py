"""Saving and loading fitted forecasters without pickle."""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import lightgbm
import numpy as np
import pandas as pd
import pytest
from hydra import compose, initialize_config_dir
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from omegaconf import OmegaConf
from pandas.testing import assert_frame_equal
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline

import skillcast.models as models
from skillcast.apps import schema
from skillcast.apps.config import build
from skillcast.datasets.sample import load_sample
from skillcast.errors import SkillcastConfigError
from skillcast.features import make_minimal_features
from skillcast.models import Forecaster, Naive, SeasonalNaive
from skillcast.panel import Panel
from skillcast.persistence import PersistenceError, load_forecaster, save_forecaster

SAFE_SUFFIXES = {".json", ".npz", ".parquet", ".txt", ".skops"}


@pytest.fixture(scope="module")
def panel() -> Panel:
    full = load_sample()
    keep = full.series_id < 12  # the first 12 series: real codes, 22 half-years
    # drivers as observed-only: forecasting past the panel then needs no future values
    spec = full.spec.with_(known_exog=(), observed_exog=full.spec.exog)
    return Panel(spec, full.frame.loc[keep].reset_index(drop=True))


def default_forecasters() -> list[type[Forecaster]]:
    """Every concrete forecaster class skillcast.models exports that needs no arguments."""
    out = []
    for name in models.__all__:
        cls = getattr(models, name)
        if not (inspect.isclass(cls) and issubclass(cls, Forecaster)):
            continue
        if inspect.isabstract(cls):
            continue
        required = [
            p
            for p in inspect.signature(cls).parameters.values()
            if p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
        ]
        if not required:
            out.append(cls)
    return out


def assert_same_forecast(original: Forecaster, loaded: Forecaster, horizon: int = 3) -> None:
    assert type(loaded) is type(original)
    assert_frame_equal(loaded.predict(horizon).frame, original.predict(horizon).frame)


def files_of(directory: Path) -> set[str]:
    return {p.suffix for p in directory.rglob("*") if p.is_file()}


@pytest.mark.parametrize("cls", default_forecasters(), ids=lambda c: c.__name__)
def test_every_forecaster_reloads_to_the_same_forecast(
    cls: type[Forecaster], panel: Panel, tmp_path: Path
) -> None:
    try:
        fitted = cls().fit(panel)
    except SkillcastConfigError:
        # it needs arguments (member forecasters): a model config must build it instead,
        # and test_every_configured_model_reloads_to_the_same_forecast covers that
        assert cls.__name__ in configured_classes()
        return
    loaded = load_forecaster(save_forecaster(fitted, tmp_path / "model"))
    assert_same_forecast(fitted, loaded)
    assert loaded.get_params() == fitted.get_params()
    assert files_of(tmp_path / "model") <= SAFE_SUFFIXES


def test_the_list_of_forecasters_is_not_empty() -> None:
    names = {c.__name__ for c in default_forecasters()}
    assert {"Naive", "SeasonalNaive", "Croston", "AutoETS"} <= names


def model_options() -> list[str]:
    """Options of the model config group whose classes exist."""
    out = []
    for option in schema.group_options("model"):
        target = OmegaConf.load(schema.config_dir() / "model" / f"{option}.yaml")["_target_"]
        if not isinstance(schema.target_schema(target), dict):
            out.append(option)
    return out


def configured_classes() -> set[str]:
    """Class names the shipped model configs build."""
    targets = [
        OmegaConf.load(schema.config_dir() / "model" / f"{o}.yaml")["_target_"]
        for o in schema.group_options("model")
    ]
    return {t.rsplit(".", 1)[-1] for t in targets}


@pytest.mark.parametrize("option", model_options())
def test_every_configured_model_reloads_to_the_same_forecast(
    option: str, panel: Panel, tmp_path: Path
) -> None:
    with initialize_config_dir(str(schema.config_dir()), version_base="1.3"):
        cfg = compose("train", overrides=[f"model={option}", "features=minimal"])
    fitted = build(cfg.model).fit(panel)
    loaded = load_forecaster(save_forecaster(fitted, tmp_path / "model"))
    assert_same_forecast(fitted, loaded)
    assert files_of(tmp_path / "model") <= SAFE_SUFFIXES


@pytest.mark.parametrize("variant", ["lightgbm", "ridge"])
def test_global_model_reloads_to_the_same_forecast(
    variant: str, panel: Panel, tmp_path: Path
) -> None:
    from skillcast.models.global_model import GlobalModel

    if variant == "lightgbm":
        model = GlobalModel(n_jobs=2, features=make_minimal_features(2), max_horizon=2)
    else:
        pipe = make_pipeline(SimpleImputer(strategy="median"), Ridge(alpha=1.0))
        model = GlobalModel(estimator=pipe, features=make_minimal_features(2), max_horizon=2)
    fitted = model.fit(panel)
    loaded = load_forecaster(save_forecaster(fitted, tmp_path / "model"))
    assert_same_forecast(fitted, loaded, horizon=2)
    assert_same_forecast(fitted, loaded, horizon=3)  # a step trained after loading
    suffix = ".txt" if variant == "lightgbm" else ".skops"
    assert suffix in files_of(tmp_path / "model") <= SAFE_SUFFIXES


def test_lightgbm_regressor_is_stored_as_booster_text(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 0.0]) + rng.normal(scale=0.1, size=200)
    model = lightgbm.LGBMRegressor(n_estimators=20, num_leaves=7, n_jobs=1, verbose=-1)
    model.fit(x, y)
    loaded = load_forecaster(save_forecaster(model, tmp_path / "lgbm"))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.get_params() == model.get_params()
    (booster_file,) = (tmp_path / "lgbm" / "boosters").iterdir()
    assert booster_file.read_text().startswith("tree")  # LightGBM's own model text


def test_other_sklearn_estimators_go_through_skops(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    x[::7, 1] = np.nan
    y = np.nan_to_num(x).sum(axis=1)
    pipe = make_pipeline(SimpleImputer(strategy="median"), Ridge(alpha=0.5)).fit(x, y)
    loaded = load_forecaster(save_forecaster(pipe, tmp_path / "ridge"))
    np.testing.assert_allclose(loaded.predict(x), pipe.predict(x), rtol=0, atol=0)
    assert files_of(tmp_path / "ridge") == {".json", ".npz", ".skops"}


def test_fitted_feature_pipeline_with_nested_builders(panel: Panel, tmp_path: Path) -> None:
    features = make_minimal_features(panel.freq.season_length).fit(panel)
    loaded = load_forecaster(save_forecaster(features, tmp_path / "features"))
    origins = np.array([10, 15, 20])
    np.testing.assert_array_equal(
        loaded.transform(panel, origins, 2), features.transform(panel, origins, 2)
    )
    assert loaded.get_feature_names_out() == features.get_feature_names_out()


def write_manifest(directory: Path, edit) -> None:
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize("name", ["builtins.eval", "os.system", "subprocess.Popen"])
def test_classes_outside_the_allowlist_are_refused(name: str, panel: Panel, tmp_path: Path) -> None:
    directory = save_forecaster(Naive().fit(panel), tmp_path / "m")
    write_manifest(directory, lambda m: m["root"].update({"class": name}))
    with pytest.raises(PersistenceError, match="only classes defined in"):
        load_forecaster(directory)


def test_allowed_module_but_not_an_estimator_is_refused(panel: Panel, tmp_path: Path) -> None:
    directory = save_forecaster(Naive().fit(panel), tmp_path / "m")
    write_manifest(directory, lambda m: m["root"].update({"class": "sklearn.utils.Bunch"}))
    with pytest.raises(PersistenceError, match="not a BaseEstimator class"):
        load_forecaster(directory)


def test_manifest_cannot_point_outside_the_directory(panel: Panel, tmp_path: Path) -> None:
    directory = save_forecaster(Naive().fit(panel), tmp_path / "m")
    (tmp_path / "evil.parquet").write_bytes(b"x")

    def escape(manifest: dict) -> None:
        manifest["root"]["state"]["panel_"]["frame"]["file"] = "../evil.parquet"

    write_manifest(directory, escape)
    with pytest.raises(PersistenceError, match="outside the model directory"):
        load_forecaster(directory)


class LocalEstimator(BaseEstimator):
    """A class the loader would refuse: it lives outside the allowed packages."""


def test_unsupported_values_are_named(panel: Panel, tmp_path: Path) -> None:
    model = Naive().fit(panel)
    model.hook_ = lambda v: v
    with pytest.raises(PersistenceError, match=r"'Naive\.hook_'.*function"):
        save_forecaster(model, tmp_path / "a")
    model = Naive().fit(panel)
    model.table_ = np.array([1, "x", None], dtype=object)
    with pytest.raises(PersistenceError, match=r"'Naive\.table_'.*need pickle"):
        save_forecaster(model, tmp_path / "b")
    model = Naive().fit(panel)
    model.inner_ = {"est": LocalEstimator()}
    with pytest.raises(PersistenceError, match=r"Naive\.inner_\['est'\].*outside the loadable"):
        save_forecaster(model, tmp_path / "c")
    assert not list(tmp_path.iterdir())  # nothing half-written is left behind


def test_a_failed_save_keeps_the_previous_directory(panel: Panel, tmp_path: Path) -> None:
    target = save_forecaster(SeasonalNaive().fit(panel), tmp_path / "m")
    before = (target / "manifest.json").read_bytes()
    broken = Naive().fit(panel)
    broken.hook_ = print
    with pytest.raises(PersistenceError):
        save_forecaster(broken, target)
    assert (target / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m"]


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
)
numeric_arrays = arrays(
    dtype=st.sampled_from([np.float64, np.int64, np.bool_, np.float32]),
    shape=st.tuples(st.integers(0, 4), st.integers(1, 3)),
)
values = st.recursive(
    st.one_of(scalars, numeric_arrays),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(0, 100)), inner, max_size=4),
    ),
    max_leaves=12,
)


def same(a: object, b: object) -> bool:
    if isinstance(a, np.ndarray):
        return (
            isinstance(b, np.ndarray)
            and a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if isinstance(a, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_learned_values_round_trip(value: object, tmp_path_factory) -> None:
    model = Naive(levels=())
    model.extra_ = value
    model.period_ = pd.Period("2024-07", freq="6M")
    directory = tmp_path_factory.mktemp("v") / "m"
    loaded = load_forecaster(save_forecaster(model, directory))
    assert same(value, loaded.extra_)
    assert loaded.period_ == model.period_
