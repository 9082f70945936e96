"""What the fitted taxonomy-reading builders inside a model say about the tables they read.

A run log should say which attributes of the user's classification a model used (its
parent chain, skill levels, clusters). The builders that know are nested in the model
(a reconciling wrapper, an ensemble's members, a pooled model's pipeline), so
:func:`feature_notes` looks through the fitted state of a model for them.
"""

from __future__ import annotations

from collections.abc import Iterator

from sklearn.base import BaseEstimator

from skillcast.features.hierarchy import HierarchyFeatures
from skillcast.features.static import StaticFeatures

__all__ = ["feature_notes"]

_MAX_DEPTH = 12  # wrappers nest a few levels deep; a bound keeps odd objects harmless


def _fitted_builders(
    value: object, seen: set[int], depth: int
) -> Iterator[StaticFeatures | HierarchyFeatures]:
    if depth > _MAX_DEPTH or id(value) in seen:
        return
    seen.add(id(value))
    if isinstance(value, StaticFeatures | HierarchyFeatures):
        if hasattr(value, "feature_names_out_"):
            yield value
        return
    if isinstance(value, dict):
        children: list[object] = list(value.values())
    elif isinstance(value, list | tuple):
        children = list(value)
    elif isinstance(value, BaseEstimator):
        # fitted state only (scikit-learn's trailing underscore): the unfitted templates
        # among the parameters describe nothing
        children = [v for k, v in vars(value).items() if k.endswith("_") and not k.startswith("_")]
    else:
        return
    for child in children:
        yield from _fitted_builders(child, seen, depth + 1)


def feature_notes(model: object) -> list[str]:
    """The distinct :meth:`~skillcast.features.StaticFeatures.describe` and
    :meth:`~skillcast.features.HierarchyFeatures.describe` lines of the builders fitted
    inside ``model`` (a fitted forecaster, pipeline or builder), in the order found; ``[]``
    for a model without them (AutoETS, Croston)."""
    notes = [b.describe() for b in _fitted_builders(model, set(), 0)]
    return list(dict.fromkeys(notes))
