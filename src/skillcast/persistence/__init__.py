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

This module holds the two entry points and the format tag; the work is split by what it
does: :mod:`~skillcast.persistence.writer` encodes values, :mod:`~skillcast.persistence.reader`
decodes them, and :mod:`~skillcast.persistence.allowlist` holds the classes, array dtypes
and skops types both sides accept; :mod:`~skillcast.persistence.integrity` checks a stored
model's files against the SHA-256 digests recorded at registration. Every public name is
importable from here.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator

from skillcast.persistence.allowlist import ALLOWED_MODULES, PersistenceError
from skillcast.persistence.integrity import ModelIntegrityError
from skillcast.persistence.reader import _Reader
from skillcast.persistence.writer import _Writer

__all__ = [
    "ALLOWED_MODULES",
    "ModelIntegrityError",
    "PersistenceError",
    "load_forecaster",
    "save_forecaster",
]

FORMAT = "skillcast-forecaster"
FORMAT_VERSION = 1


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
        np.savez(staging / "arrays.npz", allow_pickle=False, **writer.arrays)
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
