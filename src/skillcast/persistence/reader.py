"""Reading a forecaster: :class:`_Reader` decodes the manifest tree written by the writer.

Every ``$type`` node of :mod:`skillcast.persistence.writer` is turned back into its value;
side files are only read from inside the model directory, classes are re-created only
through :func:`~skillcast.persistence.allowlist._import_class`, LightGBM models are
rebuilt from their booster text and skops files are loaded only when every type they
hold is on the trusted list.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator

from skillcast.panel import Panel
from skillcast.persistence.allowlist import PersistenceError, _import_class, skops_types
from skillcast.taxonomy import Taxonomy


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
        return sio.load(file, trusted=skops_types(file, f"{file.name} ({node['class']})"))
