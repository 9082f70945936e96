"""Hydra entry points: ``skillcast-train`` and ``skillcast-forecast``.

The only package of skillcast that imports Hydra; MLflow is reached through
:mod:`skillcast.tracking`. Configs live in ``skillcast/configs`` (linked from the
repository's top-level ``configs``).
"""
