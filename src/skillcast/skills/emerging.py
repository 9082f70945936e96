"""Skill groups whose demand grows fastest against their own past:
:func:`emerging_skill_demand`.

The measure, per skill group ``g``::

    past[g]     = value needing g per year, over the last ``years`` observed years
    expected[g] = value needing g per year, over the forecast (or its first
                  ``horizon_years``)
    growth[g]   = expected[g] / past[g] - 1

Both sides go through the same bridge (:func:`skillcast.skills.skill_demand`), so a
group grows when the occupations that need it grow: ESCO's skill lists are fixed, and
new skills inside an occupation are not seen. ``drivers`` names the occupations adding
most to ``expected - past``.

Which value to compare:

* Declared openings (a panel of recruitment needs): the forecast ``openings`` against
  the observed ones.
* An employment stock: openings of past years are not observed, so compare the forecast
  ``stock`` with the observed employment (``kind="stock"``: the mean level of each year).
  This is the stock-based proxy: openings follow employment (expansion is its change,
  replacement a rate times it), and it needs no assumption about past replacement
  rates. The expected openings needing each group are reported next to it
  (``openings_per_year``), so the planner sees size as well as growth.

A group on a small base (``past < min_base`` per year) can show any growth; it is
flagged and ranked after the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.periods import Frequency, frequency, parse_periods
from skillcast.skills import checks
from skillcast.skills.bridge import SkillBridge, Strength, load_bridge
from skillcast.skills.cells import cell_matrices, long_frame, no_rows
from skillcast.skills.profiles import resolve

__all__ = ["emerging_skill_demand"]

Kind = Literal["flow", "stock"]


def emerging_skill_demand(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    bridge: SkillBridge | None = None,
    *,
    value: str = "openings",
    history_value: str | None = None,
    kind: Kind = "flow",
    years: int = 3,
    horizon_years: int | None = None,
    openings: str | None = "openings",
    by: Sequence[str] = (),
    occupation: str = "occupation",
    strength: Strength = "essential",
    freq: str | Frequency | None = None,
    drivers: int = 3,
    min_base: float = 1.0,
) -> pd.DataFrame:
    """Skill groups ranked by the growth of the ``value`` needing them.

    Args:
        history: observed rows: ``period``, ``occupation``, the ``by`` columns and
            ``history_value``.
        forecast: forecast rows with ``period``, ``occupation``, ``by`` and ``value``
            (e.g. the frame of :func:`skillcast.demand.job_openings`).
        bridge: None loads the shipped ESCO level-2 bridge.
        value: the forecast column compared.
        history_value: the history column compared with it (default: ``value``).
        kind: ``"flow"`` (openings: a year's figure is the sum of its periods) or
            ``"stock"`` (employment: the mean of its periods).
        years: observed years averaged (the last ``years x periods-per-year`` periods up
            to the last observed one).
        horizon_years: forecast years averaged, from the first forecast period (None:
            the whole forecast).
        openings: a forecast column reported per year as ``openings_per_year`` when it
            is not ``value`` (None: not reported).
        by: cell keys (``("level",)`` ranks groups within each training level).
        occupation: the occupation-code column.
        strength: ``"essential"`` or ``"optional"`` skills.
        freq: the frequency of text period labels (pandas Periods carry their own).
        drivers: how many occupations to name per group.
        min_base: per-year past value below which a group is flagged ``small_base``.

    Returns:
        One row per cell and skill group needed on either side: the ``by`` columns,
        ``skill_group``, ``skill_group_name``, ``past``, ``expected`` (per year),
        ``change``, ``growth`` (``inf`` from a zero past), ``small_base``, ``drivers``
        (``;``-joined occupation codes adding most to ``change``, largest first) and
        ``openings_per_year`` when reported. Sorted within each cell: groups with a
        base first, then by growth, fastest first. ``attrs`` gives the windows.

    Raises:
        SkillcastConfigError: bad arguments or absent columns, text periods without ``freq``.
        SkillcastDataError: unreadable periods, an empty frame, or no observed period.
    """
    bridge = load_bridge() if bridge is None else bridge
    history_value = value if history_value is None else history_value
    if kind not in ("flow", "stock"):
        raise SkillcastConfigError(f"kind={kind!r}; choose 'flow' or 'stock'.")
    if years < 1 or (horizon_years is not None and horizon_years < 1) or drivers < 0:
        raise SkillcastConfigError("years and horizon_years must be >= 1, drivers >= 0.")
    no_rows(history, "The history")
    no_rows(forecast, "The forecast")
    keys = [*by, occupation]
    checks.require_keys(history, ["period", *keys, history_value], "The history",
                        "by=, occupation= or history_value=")  # fmt: skip
    checks.require_keys(forecast, ["period", *keys, value], "The forecast",
                        "by=, occupation= or value=")  # fmt: skip
    report = openings if openings and openings != value and openings in forecast else None
    fr = _frequency(history["period"], forecast["period"], freq)
    past_at = _periods(history["period"], fr, "history")
    ahead_at = _periods(forecast["period"], fr, "forecast")
    last, first = past_at.max(), ahead_at.min()
    n_past = min(years * fr.season_length, int(fr.steps([last], past_at.min())[0]) + 1)
    in_past = fr.steps(past_at, last) > -n_past
    n_ahead = int(fr.steps([ahead_at.max()], first)[0]) + 1
    if horizon_years is not None:
        n_ahead = min(n_ahead, horizon_years * fr.season_length)
    in_ahead = fr.steps(ahead_at, first) < n_ahead
    past = history.loc[in_past, keys].assign(_h=history.loc[in_past, history_value])
    ahead = forecast.loc[in_ahead, keys].assign(_f=forecast.loc[in_ahead, value])
    if report:
        ahead["_o"] = forecast.loc[in_ahead, report]
    both = pd.concat([past, ahead], ignore_index=True)
    columns = ["_h", "_f", *(["_o"] if report else [])]
    cells = cell_matrices(both, by, occupation, columns, "The history and forecast")
    shares = resolve(cells.codes, bridge.unit_groups).weights @ bridge.matrix(strength)
    hist = cells.zeros("_h") / _per_year(n_past, fr, kind)
    futr = cells.zeros("_f") / _per_year(n_ahead, fr, kind)
    out = long_frame(cells.keys, shares.shape[1])
    names = bridge.skill_groups
    n_cells = len(cells.keys)
    out["skill_group"] = np.tile(names["skill_group"].to_numpy(dtype=object), n_cells)
    out["skill_group_name"] = np.tile(names["skill_group_name"].to_numpy(dtype=object), n_cells)
    out["past"] = (hist @ shares).ravel()
    out["expected"] = (futr @ shares).ravel()
    out["change"] = out["expected"] - out["past"]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["growth"] = out["expected"] / out["past"] - 1.0
    out["small_base"] = out["past"] < min_base
    out["drivers"] = _drivers((futr - hist)[:, :, None] * shares[None], cells.codes, drivers)
    if report:
        per_year = cells.zeros("_o") / _per_year(n_ahead, fr, "flow")
        out["openings_per_year"] = (per_year @ shares).ravel()
    out = out.loc[(out["past"] > 0) | (out["expected"] > 0)]
    rank = out["growth"].fillna(-np.inf)
    order = out.assign(_rank=-rank).sort_values([*by, "small_base", "_rank"], kind="stable")
    out = order.drop(columns="_rank").reset_index(drop=True)
    out.attrs = {
        "past_periods": _span(last, n_past, fr, backwards=True),
        "forecast_periods": _span(first, n_ahead, fr, backwards=False),
        "kind": kind,
        "strength": strength,
    }
    return out


def _frequency(past: pd.Series, ahead: pd.Series, freq: str | Frequency | None) -> Frequency:
    if freq is not None:
        return frequency(freq)
    for column in (past, ahead):
        if isinstance(column.dtype, pd.PeriodDtype):
            return frequency(column.dtype.freq.freqstr.split("-")[0])
    raise SkillcastConfigError(
        "The periods are text labels: say their frequency, e.g. freq='semiannual'."
    )


def _periods(values: pd.Series, fr: Frequency, what: str) -> pd.PeriodIndex:
    parsed = parse_periods(values.reset_index(drop=True), fr)
    bad = parsed.unparseable | parsed.off_grid
    if bad.any():
        shown = list(dict.fromkeys(values[bad].astype(str)))[:5]
        raise SkillcastDataError(
            f"The {what}, column 'period': {int(bad.sum())} row(s) are not {fr.name} periods, "
            f"e.g. {shown}; pass freq= matching the labels."
        )
    return pd.PeriodIndex(parsed.periods)


def _per_year(n_periods: int, fr: Frequency, kind: str) -> float:
    return float(n_periods) / fr.season_length if kind == "flow" else float(n_periods)


def _drivers(contribution: np.ndarray, codes: list[str], k: int) -> list[str]:
    """Per (cell, group): the ``k`` codes adding most (positive part) to the change."""
    n_cells, _, n_groups = contribution.shape
    if k == 0 or not codes:
        return [""] * (n_cells * n_groups)
    top = np.argsort(-contribution, axis=1, kind="stable")[:, :k, :]
    picked = np.take_along_axis(contribution, top, axis=1)
    names = np.asarray(codes, dtype=object)
    out = []
    for c in range(n_cells):
        for g in range(n_groups):
            keep = picked[c, :, g] > 0
            out.append(";".join(names[top[c, keep, g]]))
    return out


def _span(edge: pd.Period, n: int, fr: Frequency, *, backwards: bool) -> str:
    start, end = (edge - (n - 1), edge) if backwards else (edge, edge + (n - 1))
    return f"{fr.label(start)}..{fr.label(end)} ({n} periods)"
