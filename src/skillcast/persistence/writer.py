"""Writing a forecaster: :class:`_Writer` encodes each value into the manifest tree.

Scalars, text, lists, tuples and dicts become JSON nodes tagged with ``$type``; bulky
values go to side files under the model directory: numpy arrays to ``arrays.npz``,
DataFrames, Series, panels and classification tables to ``frames/*.parquet`` (Period
columns as ordinals), LightGBM boosters to ``boosters/*.txt``, other scikit-learn
estimators to ``skops/*.skops``. skillcast estimators are written as their parameters
plus learned attributes (names ending in ``_``). Any other type raises
:class:`~skillcast.persistence.PersistenceError` naming the attribute.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.panel import Panel
from skillcast.persistence.allowlist import (
    _ARRAY_KINDS,
    PersistenceError,
    _class_name,
    skops_types,
)
from skillcast.taxonomy import Taxonomy


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

        stored = self._file("skops", ".skops")
        sio.dump(est, stored)
        skops_types(stored, f"{path} ({cls_name})")  # refuse now what could not load later
        return {
            "$type": "skops",
            "class": cls_name,
            "file": stored.relative_to(self.root).as_posix(),
        }


def _is_lightgbm_booster(value: Any) -> bool:
    cls = type(value)
    return cls.__module__.startswith("lightgbm") and cls.__name__ == "Booster"
