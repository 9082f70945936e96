"""Save and load fitted forecasters without pickle.

:func:`save_forecaster` walks a forecaster's parameters (``get_params(deep=False)``,
recursing into nested estimators) and its learned attributes (names ending in ``_``) and
writes each value in a plain format:

* ``manifest.json`` -- the structure: classes, scalars, strings, lists, dicts, tuples;
* ``arrays.npz`` -- numpy arrays (numeric, bool, datetime, fixed-width text), read back
  with ``allow_pickle=False``;
* ``frames/*.parquet`` -- DataFrames, panels and classification tables (Period columns
  stored as ordinals, the frequency in the manifest, the
  :class:`~skillcast.spec.PanelSpec` as JSON);
* ``boosters/*.txt`` -- LightGBM boosters as LightGBM's own model text;
* ``skops/*.skops`` -- other scikit-learn estimators, loaded with an explicit list of
  trusted types.

:func:`load_forecaster` re-creates classes only from modules under ``skillcast``,
``lightgbm`` and ``sklearn``, so loading a directory never runs code it names outside
those packages and never unpickles anything.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.errors import SkillcastError
from skillcast.panel import Panel
from skillcast.taxonomy import Taxonomy

__all__ = ["ALLOWED_MODULES", "PersistenceError", "load_forecaster", "save_forecaster"]

FORMAT = "skillcast-forecaster"
FORMAT_VERSION = 1
ALLOWED_MODULES = ("skillcast", "lightgbm", "sklearn")
"""Top-level packages whose classes :func:`load_forecaster` may re-create."""

# types skops may rebuild inside a stored scikit-learn estimator
_SKOPS_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.")
_ARRAY_KINDS = "biufcmMUS"  # no object ('O') or void ('V') arrays: they need pickle


class PersistenceError(SkillcastError):
    """A forecaster holds a value that cannot be saved, or a saved directory is invalid."""


def save_forecaster(forecaster: BaseEstimator, directory: str | os.PathLike[str]) -> Path:
    """Write ``forecaster`` (fitted or not) to ``directory``; return its path.

    The directory is written next to its final place and renamed into it, so a failure
    leaves no half-written model; an existing directory is replaced.

    Raises:
        PersistenceError: an attribute holds a type with no safe format (the message
            names the attribute).
    """
    target = Path(directory)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        writer = _Writer(staging)
        root = writer.encode(forecaster, type(forecaster).__name__)
        np.savez(staging / "arrays.npz", **writer.arrays)
        manifest = {"format": FORMAT, "version": FORMAT_VERSION, "root": root}
        (staging / "manifest.json").write_text(
            json.dumps(manifest, indent=1, allow_nan=False), encoding="utf-8"
        )
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def load_forecaster(directory: str | os.PathLike[str]) -> Any:
    """Re-create a forecaster written by :func:`save_forecaster`.

    Raises:
        PersistenceError: not a saved forecaster, or it names a class outside
            :data:`ALLOWED_MODULES`.
    """
    root = Path(directory)
    manifest_path = root / "manifest.json"
    if not manifest_path.is_file():
        raise PersistenceError(f"{root} holds no manifest.json: not a saved forecaster.")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT or manifest.get("version") != FORMAT_VERSION:
        raise PersistenceError(
            f"{manifest_path} is format {manifest.get('format')!r} version "
            f"{manifest.get('version')!r}; this skillcast reads {FORMAT!r} {FORMAT_VERSION}."
        )
    with np.load(root / "arrays.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return _Reader(root, arrays).decode(manifest["root"])


# ------------------------------------------------------------------------ writing
class _Writer:
    """Encodes values into JSON-able trees, writing bulky values to side files."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.arrays: dict[str, np.ndarray] = {}
        self.n_files = 0

    def encode(self, value: Any, path: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int) and not isinstance(value, np.integer):
            return value
        if isinstance(value, float) and not isinstance(value, np.floating):
            return value if math.isfinite(value) else {"$type": "float", "value": repr(value)}
        if isinstance(value, np.generic):
            return {"$type": "scalar", "key": self._array(np.asarray(value), path)}
        if isinstance(value, np.ndarray):
            return {"$type": "ndarray", "key": self._array(value, path)}
        if isinstance(value, list):
            return {"$type": "list", "items": self._items(value, path)}
        if isinstance(value, tuple):
            return {"$type": "tuple", "items": self._items(value, path)}
        if isinstance(value, dict):
            return {
                "$type": "dict",
                "items": [
                    [self.encode(k, f"{path}[{k!r}]"), self.encode(v, f"{path}[{k!r}]")]
                    for k, v in value.items()
                ],
            }
        if isinstance(value, Panel):
            return {
                "$type": "panel",
                "spec": self.encode(value.spec, f"{path}.spec"),
                "frame": self._frame(value.frame, f"{path}.frame"),
            }
        if isinstance(value, Taxonomy):
            return {
                "$type": "taxonomy",
                "name": value.name,
                "table": self._frame(value.table, f"{path}.table"),
            }
        if isinstance(value, pd.DataFrame):
            return self._frame(value, path)
        if isinstance(value, pd.Series):
            name = value.name if value.name is not None else "__value__"
            return {
                "$type": "series",
                "name": self.encode(value.name, f"{path}.name"),
                "frame": self._frame(value.to_frame(name=str(name)), path),
            }
        if isinstance(value, pd.Index):
            return self._index(value, path)
        if isinstance(value, pd.Period):
            return {"$type": "period", "freq": value.freqstr, "ordinal": int(value.ordinal)}
        if isinstance(value, pd.Timestamp):
            return {"$type": "timestamp", "value": value.isoformat()}
        if isinstance(value, type):
            return {"$type": "class", "class": _class_name(value, path)}
        if _is_lightgbm_booster(value):
            return {"$type": "booster", "file": self._booster(value, path)}
        if isinstance(value, BaseEstimator):
            return self._estimator(value, path)
        if dataclasses.is_dataclass(value):
            fields = {
                f.name: self.encode(getattr(value, f.name), f"{path}.{f.name}")
                for f in dataclasses.fields(value)
                if f.init
            }
            return {"$type": "dataclass", "class": _class_name(type(value), path), "fields": fields}
        raise PersistenceError(
            f"Cannot save {path!r}: values of type {type(value).__module__}."
            f"{type(value).__qualname__} have no safe format (supported: numbers, text, "
            "lists, dicts, numpy arrays, DataFrames, panels, skillcast/lightgbm/sklearn "
            "estimators)."
        )

    def _items(self, values: list[Any] | tuple[Any, ...], path: str) -> list[Any]:
        return [self.encode(v, f"{path}[{i}]") for i, v in enumerate(values)]

    def _array(self, array: np.ndarray, path: str) -> str:
        if array.dtype.kind not in _ARRAY_KINDS or array.dtype.hasobject:
            if array.dtype.kind == "O" and all(isinstance(v, str) for v in array.ravel()):
                array = array.astype(str)  # text in an object array: store as fixed-width
            else:
                raise PersistenceError(
                    f"Cannot save {path!r}: numpy arrays of dtype {array.dtype} need pickle."
                )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = array
        return key

    def _file(self, folder: str, suffix: str) -> Path:
        self.n_files += 1
        (self.root / folder).mkdir(exist_ok=True)
        return self.root / folder / f"{self.n_files}{suffix}"

    def _index(self, index: pd.Index, path: str) -> dict[str, Any]:
        name = self.encode(index.name, f"{path}.name")
        if isinstance(index, pd.PeriodIndex):
            ordinals = self._array(np.asarray(index.asi8), path)
            return {
                "$type": "periodindex",
                "freq": index.freqstr,
                "ordinals": ordinals,
                "name": name,
            }
        values = index.to_numpy()
        return {"$type": "index", "values": self._array(values, path), "name": name}

    def _frame(self, frame: pd.DataFrame, path: str) -> dict[str, Any]:
        bad = [c for c in frame.columns if not isinstance(c, str)]
        if bad:
            raise PersistenceError(f"Cannot save {path!r}: column names {bad} are not text.")
        out = frame.reset_index(drop=True)
        periods = {}
        for column in out.columns:
            if isinstance(out[column].dtype, pd.PeriodDtype):
                index = pd.PeriodIndex(out[column])
                periods[column] = index.freqstr
                out[column] = index.asi8
        file = self._file("frames", ".parquet")
        try:
            out.to_parquet(file, index=False)
        except Exception as exc:  # pyarrow refuses mixed Python objects
            raise PersistenceError(f"Cannot save {path!r} as Parquet: {exc}") from exc
        index = None
        if not (isinstance(frame.index, pd.RangeIndex) and frame.index.equals(out.index)):
            index = self._index(frame.index, f"{path}.index")
        return {
            "$type": "frame",
            "file": file.relative_to(self.root).as_posix(),
            "periods": periods,
            "columns": list(frame.columns),
            "index": index,
        }

    def _booster(self, booster: Any, path: str) -> str:
        file = self._file("boosters", ".txt")
        file.write_text(booster.model_to_string(), encoding="utf-8")
        return file.relative_to(self.root).as_posix()

    def _estimator(self, est: BaseEstimator, path: str) -> dict[str, Any]:
        cls_name = _class_name(type(est), path)
        params = {k: self.encode(v, f"{path}.{k}") for k, v in est.get_params(deep=False).items()}
        if cls_name.startswith("lightgbm."):
            booster = getattr(est, "_Booster", None)
            file = self._booster(booster, f"{path}.booster_") if booster is not None else None
            named = bool(getattr(est, "_fitted_with_feature_names", False))
            return {
                "$type": "lightgbm",
                "class": cls_name,
                "params": params,
                "booster": file,
                "feature_names": named,
            }
        if cls_name.startswith("skillcast."):
            state = {
                k: self.encode(v, f"{path}.{k}")
                for k, v in vars(est).items()
                if k.endswith("_") and not k.startswith("__")
            }
            return {"$type": "estimator", "class": cls_name, "params": params, "state": state}
        import skops.io as sio  # scikit-learn's own estimators: skops keeps them pickle-free

        file = self._file("skops", ".skops")
        sio.dump(est, file)
        return {"$type": "skops", "class": cls_name, "file": file.relative_to(self.root).as_posix()}


def _class_name(cls: type, path: str) -> str:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__module__.split(".")[0] not in ALLOWED_MODULES or "<locals>" in cls.__qualname__:
        raise PersistenceError(
            f"Cannot save {path!r}: class {name} is outside the loadable packages "
            f"{ALLOWED_MODULES} (or defined inside a function)."
        )
    return name


def _is_lightgbm_booster(value: Any) -> bool:
    cls = type(value)
    return cls.__module__.startswith("lightgbm") and cls.__name__ == "Booster"


# ------------------------------------------------------------------------ reading
class _Reader:
    def __init__(self, root: Path, arrays: dict[str, np.ndarray]) -> None:
        self.root = root
        self.arrays = arrays

    def decode(self, node: Any) -> Any:
        if node is None or isinstance(node, bool | int | float | str):
            return node
        if not isinstance(node, dict) or "$type" not in node:
            raise PersistenceError(f"Corrupt manifest entry: {str(node)[:80]}")
        kind = node["$type"]
        if kind == "float":
            return float(node["value"])
        if kind == "scalar":
            return self.arrays[node["key"]][()]
        if kind == "ndarray":
            return self.arrays[node["key"]]
        if kind == "list":
            return [self.decode(v) for v in node["items"]]
        if kind == "tuple":
            return tuple(self.decode(v) for v in node["items"])
        if kind == "dict":
            return {self.decode(k): self.decode(v) for k, v in node["items"]}
        if kind == "panel":
            return Panel(self.decode(node["spec"]), self._frame(node["frame"]))
        if kind == "frame":
            return self._frame(node)
        if kind == "taxonomy":
            return Taxonomy(self._frame(node["table"]), node["name"])
        if kind == "series":
            frame = self._frame(node["frame"])
            series = frame.iloc[:, 0]
            series.name = self.decode(node["name"])
            return series
        if kind == "periodindex":
            ordinals = self.arrays[node["ordinals"]]
            index = pd.PeriodIndex.from_ordinals(ordinals, freq=node["freq"])
            return index.rename(self.decode(node["name"]))
        if kind == "index":
            return pd.Index(self.arrays[node["values"]], name=self.decode(node["name"]))
        if kind == "period":
            return pd.Period(ordinal=node["ordinal"], freq=node["freq"])
        if kind == "timestamp":
            return pd.Timestamp(node["value"])
        if kind == "class":
            return _import_class(node["class"], object)
        if kind == "booster":
            return self._booster(node["file"])
        if kind == "dataclass":
            cls = _import_class(node["class"], object)
            if not dataclasses.is_dataclass(cls):
                raise PersistenceError(f"{node['class']} is not a dataclass.")
            return cls(**{k: self.decode(v) for k, v in node["fields"].items()})
        if kind in ("estimator", "lightgbm"):
            cls = _import_class(node["class"], BaseEstimator)
            est = cls(**{k: self.decode(v) for k, v in node["params"].items()})
            if kind == "lightgbm":
                return self._restore_lgbm(est, node.get("booster"), node.get("feature_names"))
            for name, value in node["state"].items():
                setattr(est, name, self.decode(value))
            return est
        if kind == "skops":
            return self._skops(node)
        raise PersistenceError(f"Unknown entry type {kind!r} in the manifest.")

    def _path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise PersistenceError(f"Manifest points outside the model directory: {relative}")
        return path

    def _frame(self, node: dict[str, Any]) -> pd.DataFrame:
        frame = pd.read_parquet(self._path(node["file"]))
        for column, freq in node["periods"].items():
            frame[column] = pd.PeriodIndex.from_ordinals(frame[column].to_numpy(), freq=freq)
        frame = frame[node["columns"]]
        if node.get("index") is not None:
            frame.index = self.decode(node["index"])
        return frame

    def _booster(self, relative: str) -> Any:
        import lightgbm

        return lightgbm.Booster(model_str=self._path(relative).read_text(encoding="utf-8"))

    def _restore_lgbm(self, est: Any, relative: str | None, named: bool | None) -> Any:
        if relative is None:
            return est
        booster = self._booster(relative)
        # the attributes LGBMModel.fit sets and predict reads
        est._Booster = booster
        est._n_features = est._n_features_in = booster.num_feature()
        est._fitted_with_feature_names = bool(named)  # fitted on a DataFrame
        est._evals_result = {}
        est._best_iteration = booster.best_iteration
        est._best_score = {}
        est._objective = est.objective or booster.params.get("objective", "regression")
        est.fitted_ = True
        return est

    def _skops(self, node: dict[str, Any]) -> Any:
        import skops.io as sio

        file = self._path(node["file"])
        untrusted = sio.get_untrusted_types(file=file)
        refused = [t for t in untrusted if not t.startswith(_SKOPS_TRUSTED_PREFIXES)]
        if refused:
            raise PersistenceError(
                f"{file.name} ({node['class']}) holds types outside the trusted list: {refused}"
            )
        return sio.load(file, trusted=untrusted)


def _import_class(qualified: str, base: type) -> type:
    """The class named ``qualified`` if it lives in an allowed package and subclasses ``base``."""
    if qualified.split(".")[0] not in ALLOWED_MODULES:
        raise PersistenceError(
            f"Refusing to load class {qualified}: only classes from {ALLOWED_MODULES} are loaded."
        )
    # nested classes: walk back until the module part imports
    parts = qualified.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr, None)
        break
    else:
        obj = None
    if not isinstance(obj, type) or not issubclass(obj, base):
        raise PersistenceError(f"{qualified} is not a loadable {base.__name__} class.")
    return obj
