"""What a saved forecaster may hold and name, and the checks that enforce it.

Saving and loading share one allow-list so that a model directory never needs pickle
and never names code to run:

* :data:`ALLOWED_MODULES` -- the top-level packages whose classes are written by name
  and re-created on load (:func:`_class_name` checks a class when saving,
  :func:`_import_class` when loading: by exact module and class name, no attribute
  followed);
* ``_ARRAY_KINDS`` -- numpy dtype kinds stored in ``arrays.npz`` without pickle;
* :data:`SKOPS_TRUSTED_TYPES` -- the types skops reports as untrusted that it may still
  rebuild inside a stored scikit-learn estimator (:func:`skops_types` checks a file);
* :data:`MOVED_CLASSES` -- where classes saved under an older name live now, so model
  versions registered before a class moved still load.

:class:`PersistenceError` is raised for anything outside these lists.
"""

from __future__ import annotations

import importlib
from pathlib import Path
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

SKOPS_TRUSTED_TYPES = frozenset(
    {
        "numpy.dtype",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)
"""Types beyond skops' own default trust that a stored estimator may hold: data types
only. skops flags functions such as ``builtins.eval`` or ``numpy.savetxt`` as untrusted
too, and those stay refused."""

_ARRAY_KINDS = "biufcmMUS"  # no object ('O') or void ('V') arrays: they need pickle


class PersistenceError(SkillcastError):
    """A forecaster holds a value that cannot be saved, or a saved directory is invalid."""


def _class_name(cls: type, path: str) -> str:
    name = f"{cls.__module__}.{cls.__qualname__}"
    if cls.__module__.split(".")[0] not in ALLOWED_MODULES or "." in cls.__qualname__:
        raise PersistenceError(
            f"Cannot save {path!r}: class {name} is outside the loadable packages "
            f"{ALLOWED_MODULES} (or defined inside a function or another class)."
        )
    return name


def _import_class(qualified: str, base: type) -> type:
    """The class named ``qualified`` (or its new name in :data:`MOVED_CLASSES`) if it is
    defined, under exactly that module and name, in an allowed package and subclasses
    ``base``.

    The name is split once into a module and a top-level class name; no attribute is
    followed, so a name cannot reach an object a module merely imports (such as
    ``subprocess.Popen`` through a module that imported ``subprocess``).
    """
    qualified = MOVED_CLASSES.get(qualified, qualified)
    module_name, _, name = qualified.rpartition(".")
    parts = module_name.split(".")
    if parts[0] not in ALLOWED_MODULES or "__main__" in parts or not name.isidentifier():
        raise PersistenceError(
            f"Refusing to load class {qualified}: only classes defined in {ALLOWED_MODULES} "
            "are loaded."
        )
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise PersistenceError(f"Refusing to load class {qualified}: {exc}") from None
    obj: Any = vars(module).get(name)  # the module's own namespace: no __getattr__ hooks
    defined_here = (
        isinstance(obj, type) and obj.__module__ == module_name and obj.__qualname__ == name
    )
    if not defined_here or not issubclass(obj, base):
        raise PersistenceError(
            f"Refusing to load {qualified}: not a {base.__name__} class defined in {module_name}."
        )
    return obj


def skops_types(file: Path, what: str) -> list[str]:
    """The untrusted types skops reports for ``file``, all of them on
    :data:`SKOPS_TRUSTED_TYPES`; a :class:`PersistenceError` naming the others."""
    import skops.io as sio  # only models holding a scikit-learn estimator need it

    untrusted = list(sio.get_untrusted_types(file=file))
    refused = sorted(set(untrusted) - SKOPS_TRUSTED_TYPES)
    if refused:
        raise PersistenceError(
            f"{what} holds types skops does not trust and skillcast does not rebuild: "
            f"{refused}. Use an estimator made of scikit-learn classes and array data."
        )
    return untrusted
