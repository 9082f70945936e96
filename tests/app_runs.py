"""What the app test modules share about composing a run."""

from __future__ import annotations

from collections.abc import Sequence


def named_data(app: str, overrides: Sequence[str]) -> list[str]:
    """``overrides`` with ``data=sample`` in front for a training run that names no data:
    the apps never imply the sample (their default, ``data=project``, is the data the
    champion was trained on)."""
    train = app.removeprefix("skillcast-") == "train"
    if train and not any(o.startswith("data=") for o in overrides):
        return ["data=sample", *overrides]
    return list(overrides)
