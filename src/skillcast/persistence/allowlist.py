"""What a saved forecaster may hold and name, and the checks that enforce it.

Saving and loading share one allow-list so that a model directory never needs pickle:

* :data:`ALLOWED_MODULES` -- the top-level packages whose classes are written by name
  and re-created on load (:func:`_class_name` checks a class when saving,
  :func:`_import_class` when loading);
* ``_ARRAY_KINDS`` -- numpy dtype kinds stored in ``arrays.npz`` without pickle;
* ``_SKOPS_TRUSTED_PREFIXES`` -- the types skops may rebuild inside a stored
  scikit-learn estimator;
* :data:`MOVED_CLASSES` -- where classes saved under an older name live now, so model
  versions registered before a class moved still load.

:class:`PersistenceError` is raised for anything outside these lists.
"""

from __future__ import annotations

import importlib
from typing import Any

from skillcast.errors import SkillcastError

ALLOWED_MODULES = ("skillcast", "lightgbm", "sklearn")
"""Top-level packages whose classes :func:`load_forecaster` may re-create."""

MOVED_CLASSES: dict[str, str] = {
    # the reconciled forecaster left the apps package, the conformal residuals the
    # old intervals module (both moves in version 0.1.0)
    "skillcast.apps.reconciled.ReconciledForecaster": (
        "skillcast.reconcile.forecaster.ReconciledForecaster"
    ),
    "skillcast.apps.reconciled.LevelCalibrated": "skillcast.reconcile.forecaster.LevelCalibrated",
    "skillcast.models.intervals.ConformalCalibration": (
        "skillcast.models.calibration.ConformalCalibration"
    ),
}
"""Saved class name -> current class name, for classes that moved after versions were saved."""

# types skops may rebuild inside a stored scikit-learn estimator
_SKOPS_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.sparse.", "builtins.")
_ARRAY_KINDS = "biufcmMUS"  # no object ('O') or void ('V') arrays: they need pickle


class PersistenceError(SkillcastError):
    """A forecaster holds a value that cannot be saved, or a saved directory is invalid."""


def _class_name(cls: type, path: str) -> str:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__module__.split(".")[0] not in ALLOWED_MODULES or "<locals>" in cls.__qualname__:
        raise PersistenceError(
            f"Cannot save {path!r}: class {name} is outside the loadable packages "
            f"{ALLOWED_MODULES} (or defined inside a function)."
        )
    return name


def _import_class(qualified: str, base: type) -> type:
    """The class named ``qualified`` (or its new name in :data:`MOVED_CLASSES`) if it lives
    in an allowed package and subclasses ``base``."""
    qualified = MOVED_CLASSES.get(qualified, qualified)
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
