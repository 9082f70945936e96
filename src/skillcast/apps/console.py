"""What the operator sees of an app run: log lines and exit codes.

Exit codes (also in the README's retraining section):

* ``0`` success (including "nothing to do": this data and config already have a version);
* ``2`` bad configuration (Hydra's composition errors, missing mandatory values, objects
  that cannot be built);
* ``3`` promotion refused: the new version scored no better than the champion and was
  aliased ``challenger``;
* ``4`` bad data (the panel breaks the data contract);
* ``5`` the run failed for another reason (marked FAILED in MLflow, error recorded);
* ``6`` model refused: a file of the registered model version was changed, added or
  removed in the artifact store after registration (nothing of it was loaded or run);
* ``7`` environment: a folder cannot be written (read-only, a file in the way), the
  tracking server did not answer within ``tracking.timeout``, the disk is full;
* ``8`` busy: another run held the project's lock for longer than ``lock_timeout``.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import sys
from collections.abc import Callable

from hydra.errors import HydraException
from omegaconf.errors import OmegaConfBaseException

from skillcast.apps import schema
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.persistence import ModelIntegrityError
from skillcast.workspace import WorkspaceBusy, WorkspaceError

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_REFUSED = 3
EXIT_DATA = 4
EXIT_FAILED = 5
EXIT_MODIFIED = 6
EXIT_ENVIRONMENT = 7
EXIT_BUSY = 8
# errors of the machine, not of skillcast, the data or the config
_ENVIRONMENT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT}

log = logging.getLogger("skillcast")


def exit_code(exc: BaseException) -> int:
    """The exit code an error maps to."""
    if isinstance(exc, SkillcastDataError):
        return EXIT_DATA
    if isinstance(exc, ModelIntegrityError):
        return EXIT_MODIFIED
    if isinstance(exc, SkillcastConfigError | HydraException | OmegaConfBaseException):
        return EXIT_CONFIG
    if isinstance(exc, WorkspaceBusy):
        return EXIT_BUSY
    if isinstance(exc, WorkspaceError | ConnectionError) or (
        isinstance(exc, OSError) and exc.errno in _ENVIRONMENT_ERRNOS
    ):
        return EXIT_ENVIRONMENT
    return EXIT_FAILED


# The library names its options as Python does (PanelSpec.gaps='missing'); a user of the
# apps sets them as config keys (data.spec.gaps=missing).
_APP_TERMS = (
    (re.compile(r"\bPanelSpec\.(\w+)='(\w+)'"), r"data.spec.\1=\2"),
    (re.compile(r"\bPanelSpec\.(\w+)"), r"data.spec.\1"),
    # a quoted character (';', ',') stays quoted, and the whole override in double quotes
    # survives the shell: data.read.decimal=, unquoted is Hydra's sweep syntax
    (re.compile(r"\bReadOptions\((\w+)='([^']*)'\)"), lambda m: f"\"data.read.{m[1]}='{m[2]}'\""),
    (re.compile(r"\bReadOptions\.(\w+)='([^']*)'"), lambda m: f"\"data.read.{m[1]}='{m[2]}'\""),
    (re.compile(r"\bReadOptions\.(\w+)"), r"data.read.\1"),
    (re.compile(r"\bsupply_gap\(freq='(\w+)'\)"), r"demand.supply_freq=\1"),
    (re.compile(r"\bunknown='(\w+)'"), r"data.crosswalk.unknown=\1"),
    (re.compile(r"\bnew_from="), "data.crosswalk.new_from="),
)


def app_terms(message: str) -> str:
    """``message`` with the Python names of options replaced by the config keys that
    set them in the apps."""
    for pattern, replacement in _APP_TERMS:
        message = pattern.sub(replacement, message)
    return message


def report(message: str, level: int = logging.INFO) -> None:
    """A line for the operator, through logging (Hydra sends it to the console and the
    job's log file)."""
    log.log(level, message)


def guarded(step: Callable[[], int]) -> int:
    """Run ``step``; map any error to its exit code after logging it."""
    try:
        return step()
    except (SkillcastDataError, SkillcastConfigError, HydraException,
            OmegaConfBaseException) as exc:  # fmt: skip
        kind = "bad data" if isinstance(exc, SkillcastDataError) else "bad config"
        report(f"{kind}: {app_terms(str(exc))}", logging.ERROR)
        return exit_code(exc)
    except ModelIntegrityError as exc:
        report(f"model refused: {exc}", logging.ERROR)
        return EXIT_MODIFIED
    except OSError as exc:
        code = exit_code(exc)
        if code == EXIT_FAILED:
            log.exception("the run failed")
        else:
            report(f"{'busy' if code == EXIT_BUSY else 'environment'}: {exc}", logging.ERROR)
        return code
    except Exception:
        log.exception("the run failed")
        return EXIT_FAILED


def combined_exit(codes: list[int]) -> int:
    """One exit code for the jobs of a process: a single job's own code; for a multirun,
    the highest failure code (2, 4, 5, 6, 7, 8), refusals (3) counting as success."""
    if len(codes) <= 1:
        return codes[0] if codes else EXIT_OK
    failures = [c for c in codes if c not in (EXIT_OK, EXIT_REFUSED)]
    return max(failures, default=EXIT_OK)


def console_main(hydra_main: Callable[[], None], codes: list[int], config_name: str) -> None:
    """Run a Hydra entry point as a console script and exit with its jobs' code.

    ``hydra_main`` appends each job's exit code to ``codes``. Hydra itself exits 1 on a
    config it cannot compose; that is a bad config here (2), with a "did you mean" for a
    misspelled key.
    """
    # before anything imports mlflow, which reads it once, at import
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    schema.register()
    codes.clear()
    try:
        hydra_main()
    except SystemExit as exc:
        if exc.code == 1:
            from skillcast.apps.config import misspelled_keys

            for line in misspelled_keys(config_name, sys.argv[1:]):
                print(line, file=sys.stderr)
        raise SystemExit(2 if exc.code == 1 else exc.code) from None
    sys.exit(combined_exit(codes))
