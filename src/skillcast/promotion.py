"""The promotion gate: does a new model version beat the champion?

Both are judged by the same backtest score (``promotion.metric``, lower is better unless
``promotion.greater_is_better``) on the same data and the same windows. When the
champion was scored on other data or windows (its ``backtest_key`` tag differs), its
configuration -- the parameters of its saved forecaster -- is backtested again on the
new data before comparing. A tie keeps the champion.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from skillcast.errors import SkillcastConfigError

SCORE_METRICS = ("mae", "rmse", "wape", "smape", "mase", "rmsse", "bias", "rel_bias", "hit_rate")
_LEVEL_METRIC = re.compile(r"^(pinball_lower|pinball_upper|coverage|width)_\d+$")


def check_metric(metric: str) -> str:
    """``metric`` if :func:`skillcast.metrics.evaluate` produces it, else a config error."""
    if metric in SCORE_METRICS or metric == "di" or _LEVEL_METRIC.match(metric):
        return metric
    raise SkillcastConfigError(
        f"promotion.metric={metric!r} is not a backtest score; use one of "
        f"{', '.join(SCORE_METRICS)}, di, or coverage_<level>/width_<level>/pinball_*_<level>."
    )


@dataclass(frozen=True)
class Decision:
    """The gate's verdict and why."""

    promote: bool
    reason: str
    champion_version: str | None = None
    champion_score: float | None = None


def decide(
    score: float,
    champion: Any | None,
    backtest_key: str,
    greater_is_better: bool,
    rescore: Callable[[Any], float],
) -> Decision:
    """Compare ``score`` with the champion's (a registry ModelVersion, or None).

    ``rescore(champion)`` backtests the champion on the current data; it is called only
    when the champion's ``backtest_key`` tag differs from ``backtest_key``. If it raises,
    the champion stays (promotion is refused, the reason names the error).
    """
    if champion is None:
        return Decision(True, "no champion yet")
    version = str(champion.version)
    if math.isnan(score):
        return Decision(False, "the new backtest score is undefined (NaN)", version)
    tags = champion.tags or {}
    if tags.get("backtest_key") == backtest_key and "score" in tags:
        best, how = float(tags["score"]), "scored on the same data and windows"
    else:
        try:
            best, how = float(rescore(champion)), "re-scored on this data and windows"
        except Exception as exc:  # a champion we cannot re-score is kept, not replaced
            reason = f"champion v{version} could not be re-scored ({type(exc).__name__}: {exc})"
            return Decision(False, reason, version)
    if math.isnan(best):
        return Decision(True, f"champion v{version} has an undefined score ({how})", version, best)
    better = score > best if greater_is_better else score < best
    verdict = "beats" if better else "does not beat"
    reason = f"{score:.6g} {verdict} champion v{version}'s {best:.6g} ({how})"
    return Decision(better, reason, version, best)
