"""Hydra configs of ``skillcast-train`` and ``skillcast-forecast`` (YAML files, no code).

The repository's top-level ``configs`` is a link to this directory, so the configs are
edited in one place and ship inside the installed package.
"""
