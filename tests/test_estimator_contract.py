"""Every forecaster and feature builder against scikit-learn's estimator contract.

The classes are discovered (the exports of ``skillcast.models``, ``skillcast.reconcile``
and ``skillcast.features`` and every module under them, then ``__subclasses__()``
recursively), so a new one is covered without touching this file. A class that cannot
be built without arguments, or cannot fit with its defaults, needs an entry in
:data:`FORECASTER_KWARGS` or :data:`BUILDER_KWARGS`.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import pkgutil
from collections.abc import Callable
from types import ModuleType
from typing import Any

import lightgbm
import numpy as np
import pandas as pd
import pytest
import scipy.sparse
from pandas.testing import assert_frame_equal
from sklearn.base import BaseEstimator, clone
from sklearn.utils import estimator_checks

import skillcast.distributed
import skillcast.features
import skillcast.models
import skillcast.reconcile
from skillcast import Panel, SkillcastConfigError, load_panel
from skillcast.datasets import load_sample, load_sample_plan
from skillcast.distributed import (
    DistributedAutoForecaster,
    DistributedForecaster,
    DistributedGlobalModel,
)
from skillcast.features import (
    FEATURE_SCALES,
    ExpandingMean,
    FeatureBuilder,
    FeaturePipeline,
    Lags,
    RollingWindows,
)
from skillcast.models import (
    AutoForecaster,
    ConformalIntervals,
    Drift,
    Ensemble,
    ExponentialSmoothing,
    Forecaster,
    GlobalModel,
    Naive,
    SeasonalNaive,
)
from skillcast.models.calibration import ConformalCalibration
from skillcast.persistence import load_forecaster, save_forecaster
from skillcast.reconcile import LevelCalibrated, ReconciledForecaster

HORIZON = 6  # beyond the pooled model's default max_horizon (4 on half-years)

#: Constructor arguments of the classes that wrap or combine others (small members).
FORECASTER_KWARGS: dict[type, Callable[[], dict[str, Any]]] = {
    Ensemble: lambda: {"forecasters": [Naive(), Drift()], "weights": "backtest"},
    AutoForecaster: lambda: {"ets": ExponentialSmoothing("AAdN")},
    LevelCalibrated: lambda: {"forecaster": SeasonalNaive()},
    ReconciledForecaster: lambda: {"forecaster": SeasonalNaive()},
    # without a Dask client it fits partition by partition in this process
    DistributedForecaster: lambda: {"forecaster": SeasonalNaive(), "partition_size": 50},
    DistributedGlobalModel: lambda: {"forecaster": GlobalModel(), "partition_size": 4},
    DistributedAutoForecaster: lambda: {
        "forecaster": AutoForecaster(ets=ExponentialSmoothing("AAdN")),
        "partition_size": 50,
    },
}
BUILDER_KWARGS: dict[type, Callable[[], dict[str, Any]]] = {
    FeaturePipeline: lambda: {"builders": [Lags((1, 2)), RollingWindows((2,)), ExpandingMean()]},
}

# sklearn checks that need no X or y
PARAM_CHECKS = [
    estimator_checks.check_estimator_cloneable,
    estimator_checks.check_estimator_repr,
    estimator_checks.check_get_params_invariance,
    estimator_checks.check_set_params,
    estimator_checks.check_no_attributes_set_in_init,
    estimator_checks.check_parameters_default_constructible,
    estimator_checks.check_do_not_raise_errors_in_init_or_set_params,
]


def _modules(package: ModuleType) -> list[ModuleType]:
    """``package`` and every module under it, imported."""
    found = [package]
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        found.append(importlib.import_module(info.name))
    return found


def _concrete_classes(packages: list[ModuleType], base: type) -> list[type]:
    """Concrete subclasses of ``base`` exported by, or defined under, ``packages``.

    Classes defined outside skillcast (other test modules' stubs) are left out, so the
    list does not depend on which tests ran first.
    """
    found: dict[str, type] = {}
    for module in (m for package in packages for m in _modules(package)):
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if isinstance(value, type) and issubclass(value, base):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    todo = [base, *found.values()]
    while todo:
        for sub in todo.pop().__subclasses__():
            key = f"{sub.__module__}.{sub.__qualname__}"
            if key not in found:
                found[key] = sub
                todo.append(sub)
    return sorted(
        (c for c in found.values() if c.__module__.startswith("skillcast.")
         and not inspect.isabstract(c)),
        key=lambda c: c.__name__,
    )  # fmt: skip


FORECASTERS = _concrete_classes(
    [skillcast.models, skillcast.reconcile, skillcast.distributed], Forecaster
)
BUILDERS = [*_concrete_classes([skillcast.features], FeatureBuilder), FeaturePipeline]


def build(cls: type, kwargs: dict[type, Callable[[], dict[str, Any]]]) -> Any:
    if cls in kwargs:
        return cls(**kwargs[cls]())
    try:
        return cls()
    except TypeError as error:
        pytest.fail(
            f"{cls.__name__} cannot be built without arguments ({error}): give it an entry "
            "in FORECASTER_KWARGS / BUILDER_KWARGS of tests/test_estimator_contract.py."
        )


def same_value(a: Any, b: Any) -> bool:
    """Equal parameter values; estimators compare by class and parameters."""
    if isinstance(a, BaseEstimator):
        return type(a) is type(b) and same_params(a, b)
    if isinstance(a, list | tuple):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(same_value(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict) and a.keys() == b.keys() and all(same_value(a[k], b[k]) for k in a)
        )
    return bool(type(a) is type(b) and a == b)


def same_params(a: BaseEstimator, b: BaseEstimator) -> bool:
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    return pa.keys() == pb.keys() and all(same_value(pa[k], pb[k]) for k in pa)


def same_state(a: Any, b: Any) -> bool:
    """Equal values, compared through containers and objects' attributes (pandas objects
    by value: their internal caches may change when read)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, pd.DataFrame | pd.Series | pd.Index):
        return bool(a.equals(b))
    if isinstance(a, np.ndarray):
        if a.shape != b.shape or a.dtype != b.dtype:
            return False
        if a.dtype.kind == "O":
            return all(same_state(x, y) for x, y in zip(a.ravel(), b.ravel(), strict=True))
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_state(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same_state(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, lightgbm.Booster):
        return bool(a.model_to_string() == b.model_to_string())
    if scipy.sparse.issparse(a):
        return a.shape == b.shape and (a != b).nnz == 0
    if isinstance(a, BaseEstimator) or dataclasses.is_dataclass(a):
        return same_state(vars(a), vars(b))
    if type(a).__eq__ is object.__eq__:  # a helper object (panel, taxonomy): its fields
        return same_state(a.__getstate__(), b.__getstate__())
    if pd.api.types.is_scalar(a) and pd.isna(a):
        return bool(pd.isna(b))
    return bool(a == b)


def changed_attributes(estimator: Any, before: dict[str, Any]) -> list[str]:
    """Attributes added, removed or changed since ``before = copy.deepcopy(vars(...))``."""
    now = vars(estimator)
    names = before.keys() | now.keys()
    return sorted(
        n for n in names if n not in before or n not in now or not same_state(before[n], now[n])
    )


@pytest.fixture(scope="module")
def panel() -> Panel:
    """Eight series of the bundled sample in two sectors, with its drivers."""
    sample = load_sample()
    keys = sample.series
    picked = keys[keys["sector"].isin(["C10", "C15"])].groupby("sector").head(4)
    return load_panel(sample.frame.merge(picked, on=list(keys.columns)), sample.spec)


@pytest.fixture(scope="module")
def plan() -> pd.DataFrame:
    return load_sample_plan()


@pytest.fixture(scope="module")
def fitted() -> dict[type, Any]:
    """One fitted instance per forecaster class, fitted on first use."""
    return {}


def fit_once(cls: type, fitted: dict[type, Any], panel: Panel) -> Any:
    if cls not in fitted:
        fitted[cls] = build(cls, FORECASTER_KWARGS).fit(panel)
    return fitted[cls]


def test_discovery_finds_the_known_classes():
    names = {c.__name__ for c in FORECASTERS}
    assert {"GlobalModel", "AutoETS", "Ensemble", "ReconciledForecaster"} <= names
    assert "_SmoothingForecaster" not in names  # abstract
    assert {"Lags", "StaticFeatures", "FeaturePipeline"} <= {c.__name__ for c in BUILDERS}
    assert set(FORECASTER_KWARGS) <= set(FORECASTERS)  # no entry for a class gone
    assert set(BUILDER_KWARGS) <= set(BUILDERS)


# ------------------------------------------------------------------ forecasters
@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_forecaster_clone_keeps_params(cls):
    estimator = build(cls, FORECASTER_KWARGS)
    assert same_params(clone(estimator), estimator)


@pytest.mark.parametrize("check", PARAM_CHECKS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
@pytest.mark.filterwarnings("ignore::UserWarning")  # check_set_params' advice
def test_forecaster_passes_sklearn_param_checks(cls, check):
    check(cls.__name__, build(cls, FORECASTER_KWARGS))


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_forecaster_fits_and_predicts(cls, fitted, panel, plan):
    forecast = fit_once(cls, fitted, panel).predict(HORIZON, exog=plan)
    assert len(forecast.frame) == panel.n_series * HORIZON
    mean = forecast.dense()
    assert mean.shape == (panel.n_series, HORIZON) and np.isfinite(mean).all()


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_forecaster_predict_leaves_the_fitted_model_unchanged(cls, fitted, panel, plan):
    model = fit_once(cls, fitted, panel)
    before = copy.deepcopy(vars(model))
    first = model.predict(HORIZON, exog=plan).frame
    assert not changed_attributes(model, before), "predict changed these attributes"
    assert_frame_equal(model.predict(HORIZON, exog=plan).frame, first)


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_forecaster_round_trips_through_persistence(cls, fitted, panel, plan, tmp_path):
    model = fit_once(cls, fitted, panel)
    loaded = load_forecaster(save_forecaster(model, tmp_path / "model"))
    assert type(loaded) is cls and same_params(loaded, model)
    assert_frame_equal(
        loaded.predict(HORIZON, exog=plan).frame, model.predict(HORIZON, exog=plan).frame
    )


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_a_loaded_forecaster_predicts_without_changing_state(cls, fitted, panel, plan, tmp_path):
    loaded = load_forecaster(save_forecaster(fit_once(cls, fitted, panel), tmp_path / "model"))
    before = copy.deepcopy(vars(loaded))
    loaded.predict(HORIZON, exog=plan)
    assert not changed_attributes(loaded, before), "predict changed these attributes"


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_forecaster_refuses_a_dataframe_and_names_load_panel(cls, panel):
    with pytest.raises(SkillcastConfigError, match="load_panel"):
        build(cls, FORECASTER_KWARGS).fit(panel.frame)


@pytest.mark.parametrize("cls", FORECASTERS, ids=lambda c: c.__name__)
def test_interval_settings_are_an_init_parameter(cls, fitted, panel):
    model = fit_once(cls, fitted, panel)
    params = model.get_params(deep=False)
    if not isinstance(getattr(model, "calibration_", None), ConformalCalibration):
        # a wrapper: its intervals come from the forecaster it wraps, settings included
        assert "forecaster" in params and not {"levels", "intervals"} & set(params)
        return
    assert "intervals" in params
    settings = ConformalIntervals(windows=2, horizon=3, min_residuals=5, groups=("sector",))
    cloned = clone(build(cls, FORECASTER_KWARGS).set_params(intervals=settings))
    assert cloned.get_params(deep=False)["intervals"] == settings
    assert cloned.fit(panel).calibration_.min_residuals == 5  # the settings are used


# --------------------------------------------------------------------- builders
@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
def test_builder_clone_keeps_params(cls):
    builder = build(cls, BUILDER_KWARGS)
    assert same_params(clone(builder), builder)


@pytest.mark.parametrize("check", PARAM_CHECKS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_builder_passes_sklearn_param_checks(cls, check):
    check(cls.__name__, build(cls, BUILDER_KWARGS))


@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
def test_builder_columns_match_names_and_scales(cls, panel, plan):
    builder = build(cls, BUILDER_KWARGS).fit(panel)
    origins = [3, 10, panel.n_periods - 1]
    before = copy.deepcopy(vars(builder))
    X = builder.transform(panel, origins, 2, plan)
    assert not changed_attributes(builder, before), "transform changed these attributes"
    names = builder.get_feature_names_out()
    scales = builder.get_feature_scales_out()
    assert X.shape == (len(origins) * panel.n_series, len(names))
    assert X.dtype == np.float64
    assert len(scales) == len(names) and set(scales) <= set(FEATURE_SCALES)


@pytest.mark.parametrize("cls", BUILDERS, ids=lambda c: c.__name__)
def test_builder_refuses_a_dataframe_and_names_load_panel(cls, panel):
    with pytest.raises(SkillcastConfigError, match="load_panel"):
        build(cls, BUILDER_KWARGS).fit(panel.frame)
