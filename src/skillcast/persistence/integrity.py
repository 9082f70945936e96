"""SHA-256 digests of every file of a stored model, and the check that they are unchanged.

The digests are taken when a model version is registered and kept in the registry, away
from the artifact store they vouch for; a model is compared with them file by file
before anything in it is read, so a file changed, added or removed in the artifact store
is refused by name. Nothing here knows where models are stored: :mod:`skillcast.tracking`
fetches the files and the recorded digests.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from skillcast.persistence.allowlist import PersistenceError

_CHUNK = 1 << 20
_KEY = "sha256"


class ModelIntegrityError(PersistenceError):
    """A stored model's files differ from the digests recorded when it was registered."""


def file_digests(directory: str | os.PathLike[str]) -> dict[str, str]:
    """``{relative posix path: SHA-256 hex}`` of every file under ``directory``."""
    root = Path(directory)
    digests = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
            digests[path.relative_to(root).as_posix()] = digest.hexdigest()
    return digests


def encode_digests(digests: dict[str, str]) -> str:
    """The digests as compact JSON with sorted keys (the form kept in the registry)."""
    return json.dumps({_KEY: digests}, sort_keys=True, separators=(",", ":"))


def decode_digests(text: str, what: str) -> dict[str, str]:
    """The digests of :func:`encode_digests`; a :class:`ModelIntegrityError` if unreadable."""
    try:
        digests = json.loads(text)[_KEY]
        valid = isinstance(digests, dict) and all(
            isinstance(k, str) and isinstance(v, str) for k, v in digests.items()
        )
    except (ValueError, TypeError, KeyError):
        valid = False
    if not valid:
        raise ModelIntegrityError(f"The file digests recorded for {what} are unreadable.")
    return dict(digests)


def check_digests(directory: str | os.PathLike[str], expected: dict[str, str], what: str) -> None:
    """Raise :class:`ModelIntegrityError` naming each file of ``directory`` that was changed,
    added or removed since ``expected`` was taken; ``what`` names the model in the message
    (``model version 3``)."""
    found = file_digests(directory)
    problems = []
    for name in sorted(found.keys() | expected.keys()):
        if name not in expected:
            problems.append(f"{name} (added)")
        elif name not in found:
            problems.append(f"{name} (removed)")
        elif found[name] != expected[name]:
            problems.append(f"{name} (changed)")
    if problems:
        raise ModelIntegrityError(
            f"{what} was modified after registration: {', '.join(problems)}. It was not loaded."
        )
