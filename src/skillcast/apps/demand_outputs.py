"""The ``demand`` config group: job openings and the supply gap after a forecast.

:func:`demand_outputs` turns the reconciled bottom forecast into

* openings (:func:`skillcast.demand.job_openings`): for an employment stock, expansion +
  replacement with the configured replacement rates (``default`` = the shipped table); for
  declared openings (``measure: openings``), the forecast passed through, times the
  declared -> realised hiring factors when ``hiring_adjustment`` is set;
* the supply gap (:func:`skillcast.demand.supply_gap`) against the configured graduate
  supply, when one is set.

Each is produced only when its inputs exist: no replacement rates (``null``) and a stock
target -> no openings (and no gap); no supply table -> no gap. ``expansion: auto`` takes
the change in employment over a year (``annual``) when a year has several periods, and
since the previous period otherwise: period-on-period change would count seasonal swings
(a tourism peak every first half-year) as new jobs each upswing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import DictConfig, OmegaConf

from skillcast.apps.config import build
from skillcast.demand import HiringAdjustment, ReplacementRates, job_openings, supply_gap
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.forecast import Forecast
from skillcast.panel import Panel
from skillcast.periods import Frequency, frequency

EXPANSIONS = ("auto", "period", "annual")


@dataclass
class DemandOutputs:
    """What the demand step produced, and why something was left out."""

    openings: pd.DataFrame | None = None
    gap: pd.DataFrame | None = None
    gap_freq: Frequency | None = None
    notes: list[str] = field(default_factory=list)


def expansion_mode(setting: str, panel: Panel) -> str:
    """``auto`` -> ``annual`` for panels with several periods a year, else ``period``."""
    if setting not in EXPANSIONS:
        raise SkillcastConfigError(f"demand.expansion={setting!r}; choose one of {EXPANSIONS}.")
    if setting == "auto":
        return "annual" if panel.freq.season_length > 1 else "period"
    return setting


def replacement_rates(source: Any) -> ReplacementRates | None:
    """``default`` (shipped table), a CSV path, a ``_target_`` node building a table or
    :class:`ReplacementRates`, or None."""
    if source is None:
        return None
    if isinstance(source, str):
        if source == "default":
            return ReplacementRates.default()
        return ReplacementRates(_existing(source, "demand.replacement_rates"), source=source)
    built = build(source)
    return built if isinstance(built, ReplacementRates) else ReplacementRates(built)


def supply_table(source: Any) -> pd.DataFrame | str | None:
    """A supply path (CSV, read with codes as text) or a built DataFrame, or None."""
    if source is None:
        return None
    if isinstance(source, str):
        path = _existing(source, "demand.supply")
        if path.suffix.lower() in {".parquet", ".pq"}:
            return pd.read_parquet(path)
        return str(path)
    built = build(source)
    if not isinstance(built, pd.DataFrame):
        raise SkillcastConfigError(f"demand.supply built a {type(built).__name__}, not a table.")
    return built


def hiring_adjustment(source: Any, by: str) -> HiringAdjustment | float | None:
    """None, one factor for all, a ``{code: factor}`` mapping or a CSV path (``by``, ``factor``)."""
    if source is None or isinstance(source, int | float):
        return source
    if isinstance(source, str):
        return HiringAdjustment(_existing(source, "demand.hiring_adjustment"), by=by)
    if isinstance(source, DictConfig):
        return HiringAdjustment(OmegaConf.to_container(source), by=by)
    raise SkillcastConfigError(
        f"demand.hiring_adjustment must be a number, a CSV path or a mapping, got {source!r}."
    )


def _existing(path: str, what: str) -> Path:
    found = Path(path)
    if not found.is_file():
        raise SkillcastDataError(f"{what}: no such file {found}.")
    return found


def demand_outputs(cfg: DictConfig, forecast: Forecast, panel: Panel) -> DemandOutputs:
    """Openings and supply gap of ``forecast`` (bottom series of ``panel``) per ``cfg``."""
    out = DemandOutputs()
    if not cfg.enabled:
        out.notes.append("demand.enabled=false: no openings or supply gap.")
        return out
    stock = panel.spec.measure == "stock"
    rates = replacement_rates(cfg.replacement_rates) if stock else None
    if stock and rates is None:
        out.notes.append("No replacement rates (demand.replacement_rates=null): no openings.")
        return out
    out.openings = job_openings(
        forecast,
        panel,
        rates,
        hiring_adjustment(cfg.hiring_adjustment, str(cfg.hiring_by)),
        conversion=str(cfg.conversion),
        expansion=expansion_mode(str(cfg.expansion), panel),
    )
    out.notes.append(out.openings.attrs["note"])
    supply = supply_table(cfg.supply)
    if supply is None:
        out.notes.append("No supply table (demand.supply=null): no supply gap.")
        return out
    level = cfg.interval_level
    if level is not None and int(level) not in forecast.levels:
        out.notes.append(f"The forecast has no {level}% interval: gap classes without confidence.")
        level = None
    out.gap_freq = frequency(cfg.supply_freq) if cfg.supply_freq else panel.freq
    out.gap = supply_gap(
        out.openings,
        supply,
        by=list(cfg.by),
        shortage_ratio=float(cfg.shortage_ratio),
        surplus_ratio=float(cfg.surplus_ratio),
        level=None if level is None else int(level),
        # expected hires: declared needs times the hiring factor; for a stock, the openings
        column="realised_hiring",
        freq=cfg.supply_freq,
    )
    missing = out.gap.attrs.get("openings_not_covered", 0.0)
    if missing:
        out.notes.append(
            f"{missing:,.0f} openings fall in cells or periods the supply table does not cover"
            " (e.g. no graduates listed at L0) and are left out of supply_gap.csv."
        )
    return out
