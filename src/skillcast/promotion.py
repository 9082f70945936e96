"""The promotion gate: does a new model version beat the champion?

Both are judged by the same backtest score (``promotion.metric``, lower is better unless
``promotion.greater_is_better``) on the same data and the same windows. When the
champion was scored on other data or windows (its ``backtest_key`` tag differs), its
configuration -- the parameters of its saved forecaster -- is backtested again on the
new data before comparing. A tie keeps the champion.

A **refresh** -- the champion's own configuration (same config hash) retrained on data
that extends the champion's (the same series, a later last period) -- is the normal
periodic update: it replaces the champion unless it scores worse than the champion's
re-score on the new data by more than ``tolerance`` (a fraction of that score, 0.02 by
default in the apps). Without it every retraining on new data would tie or lose to its
own twin by noise, and the champion would never see the new periods.
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
    kind: str = "better"  # first, better, refresh, or refused

    def __post_init__(self) -> None:
        if not self.promote:
            object.__setattr__(self, "kind", "refused")


def decide(
    score: float,
    champion: Any | None,
    backtest_key: str,
    greater_is_better: bool,
    rescore: Callable[[Any], float],
    *,
    refresh: bool = False,
    tolerance: float = 0.0,
) -> Decision:
    """Compare ``score`` with the champion's (a registry ModelVersion, or None).

    ``rescore(champion)`` backtests the champion on the current data; it is called only
    when the champion's ``backtest_key`` tag differs from ``backtest_key``. If it raises,
    the champion stays (promotion is refused, the reason names the error). ``refresh``
    says the new version is the champion's configuration on data extending its data:
    then a score worse than the champion's by at most ``tolerance`` (a fraction) passes.
    """
    if not 0 <= tolerance < 1:
        raise SkillcastConfigError(f"promotion.tolerance={tolerance!r}; give a fraction in [0, 1).")
    if champion is None:
        return Decision(True, "no champion yet", kind="first")
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
    if refresh and not better:
        slack = tolerance * abs(best)
        within = score >= best - slack if greater_is_better else score <= best + slack
        verdict = "is within" if within else "is outside"
        reason = (
            f"refresh of champion v{version} on newer data: {score:.6g} {verdict} "
            f"{tolerance:.0%} of the champion's {best:.6g} ({how})"
        )
        return Decision(within, reason, version, best, kind="refresh")
    verdict = "beats" if better else "does not beat"
    reason = f"{score:.6g} {verdict} champion v{version}'s {best:.6g} ({how})"
    if refresh and better:
        reason = f"refresh of champion v{version} on newer data: {reason}"
    return Decision(better, reason, version, best, kind="refresh" if refresh else "better")
