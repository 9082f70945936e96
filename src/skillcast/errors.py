"""The exceptions skillcast raises on purpose."""

from __future__ import annotations


class SkillcastError(Exception):
    """Base class of every error skillcast raises deliberately."""


class SkillcastDataError(SkillcastError, ValueError):
    """Input data breaks the data contract.

    The message names the column, the count of offending rows, up to five
    examples and what the caller can do about it.
    """


class SkillcastConfigError(SkillcastError, ValueError):
    """A configuration or argument is invalid (caught before any data is read)."""


class SkillcastDataWarning(UserWarning):
    """Input data was repaired in a way the caller should know about (key text made
    uniform, unknown codes kept under unknown_codes="warn"). Filter this class to silence
    such notices."""
