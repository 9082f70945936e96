"""Job openings from a forecast: expansion + replacement demand (:func:`job_openings`).

When the forecast target is an employment stock, openings per period follow the identity
every projection system uses::

    openings_t    = expansion_t + replacement_t
    change_t      = stock_t - stock_{t-1}        (stock_0 = last observed value at the origin)
    expansion_t   = max(change_t, 0)             new jobs
    contraction_t = max(-change_t, 0)            jobs lost, a positive number; it does not
                                                 reduce openings (leavers from shrinking
                                                 cells are not replaced, but other cells
                                                 still hire)
    replacement_t = rate_t * stock_t             rate_t: the annual replacement rate of the
                                                 cell converted to one period

Intervals are carried from the stock interval at each level, holding the previous period
at its point value: ``expansion_{lower,upper} = max(stock_{lower,upper} - stock_{t-1}, 0)``,
``replacement_{lower,upper} = rate * stock_{lower,upper}``, and the openings bounds are
their sums. Bounds are ordered (lower <= point <= upper) but they are not exact quantiles
of openings: uncertainty about the previous period is left out, and adding bounds assumes
the two parts move together, which widens the openings interval.

With ``expansion="annual"`` the change is taken over a year and divided by the periods in a
year, so the seasonal swings of a semi-annual, quarterly or monthly stock do not count as
new jobs each upswing.

When the target already is declared openings (``measure == "openings"``) there is nothing
to decompose: openings are the forecast, the decomposition columns are empty, and a
declared -> realised hiring factor can be applied.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from skillcast.demand.hiring import HiringAdjustment, as_adjustment
from skillcast.demand.replacement import ReplacementRates
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.forecast import Forecast, interval_columns
from skillcast.panel import Panel

DECOMPOSED = "expansion + replacement"
NOT_DECOMPOSED = "none: target is declared openings"
#: Flow columns, in output order, each with lower/upper bounds per interval level.
BOUNDED = ("stock", "expansion", "replacement", "openings", "realised_hiring")
_EXPANSION = {
    "period": "positive change of the forecast stock since the previous period; the first "
    "period's change is against the last observed value at the origin",
    "annual": "positive change of the forecast stock since the same period a year before, "
    "per period; observed values are used before the origin",
}
_STOCK_NOTE = (
    "Openings = expansion ({expansion}) + replacement (stock x replacement "
    "rate per period, {conversion} conversion of annual rates). Contraction is reported as a "
    "positive number and does not reduce openings. Bounds: expansion with the stock bound in "
    "place of the point stock (the earlier stock held at its point value), clipped at 0, "
    "replacement from the stock bound x rate, openings "
    "as their sum. realised_hiring equals openings: flows derived from employment are "
    "already realised."
)
_OPENINGS_NOTE = (
    "The target is declared openings: openings are the forecast itself, with no "
    "expansion/replacement decomposition (those columns are empty). realised_hiring = "
    "openings x hiring_factor (declared -> realised; 1.0 when no adjustment was given)."
)


def job_openings(
    forecast: Forecast,
    panel: Panel,
    rates: ReplacementRates | None = None,
    hiring_adjustment: HiringAdjustment | Mapping[str, float] | float | None = None,
    *,
    conversion: str = "linear",
    expansion: str = "period",
    occupation: str = "occupation",
    level: str = "level",
) -> pd.DataFrame:
    """Job openings per series and period, with intervals carried through.

    Args:
        forecast: a :class:`~skillcast.models.base.Forecast` of the panel's target.
        panel: the panel the forecast was made from; supplies the last observed value at
            the forecast origin (the first period's change is measured against it).
        rates: annual replacement rates; ``None`` uses :meth:`ReplacementRates.default`.
            Ignored (and said so in the note) when the target is declared openings.
        hiring_adjustment: declared -> realised factors for declared openings (a
            :class:`HiringAdjustment`, a ``{sector prefix: factor}`` mapping or one number).
            Rejected for an employment stock, whose flows are already realised.
        conversion: ``"linear"`` (``r * months / 12``, default) or ``"compound"``
            (``1 - (1 - r) ** (months / 12)``): how annual rates become per-period rates.
        expansion: ``"period"`` (default): change since the previous period. ``"annual"``:
            change since the same period a year before, divided by the periods in a year
            (the average change per period over the year). Use it for seasonal sub-annual
            stocks, where the period-on-period change counts seasonal swings (a summer
            rise and an autumn fall) as new jobs and lost jobs; the periods before the
            forecast come from the panel. Same as ``"period"`` for annual panels.
        occupation, level: the key columns holding occupation and training-level codes
            (a panel without one of them matches only ``"*"`` rows of the rates table).

    Returns:
        Long frame, one row per series and period (series in key order, then step):
        the key columns, ``period``, ``step``, ``measure``, ``decomposition``, ``stock``,
        ``change``, ``expansion``, ``contraction``, ``replacement_rate`` (per period),
        ``replacement``, ``openings``, ``hiring_factor``, ``realised_hiring``, and for each
        interval level ``L`` of the forecast ``<quantity>_lower_L``/``<quantity>_upper_L``
        for stock, expansion, replacement, openings and realised_hiring. Counts are workers
        per period. ``attrs["note"]`` states the rules applied. For a stock, a series with
        no observed value up to the origin has NaN change/expansion/openings at step 1.

    Raises:
        SkillcastConfigError: forecast and panel disagree on keys, target or measure, or a
            hiring adjustment is given for a stock.
        SkillcastDataError: forecast series missing from the panel, steps with holes, the
            origin outside the panel, or codes without a replacement rate.
    """
    spec = forecast.spec
    keys = list(spec.keys)
    _check_compatible(forecast, panel)
    frame = forecast.frame.sort_values([*keys, "step"], kind="stable", ignore_index=True)
    _check_steps(frame, keys)
    if spec.measure == "openings":
        return _declared(frame, forecast, keys, as_adjustment(hiring_adjustment), rates)
    if hiring_adjustment is not None:
        raise SkillcastConfigError(
            "hiring_adjustment converts declared openings into realised hiring; the target "
            f"{spec.target!r} is an employment stock, whose openings are already realised. "
            "Pass hiring_adjustment=None."
        )
    if expansion not in ("period", "annual"):
        raise SkillcastConfigError(f"expansion must be 'period' or 'annual', got {expansion!r}")
    lag = spec.frequency.season_length if expansion == "annual" else 1
    rates = ReplacementRates.default() if rates is None else rates
    n = len(frame)
    stock = frame["mean"].to_numpy(dtype=float)
    # the stock `lag` periods back: forecast where it exists, else observed in the panel
    prev = (
        frame.groupby(keys, sort=False, observed=True)["mean"]
        .shift(lag)
        .to_numpy(dtype=float, copy=True)
    )
    early = frame["step"].to_numpy() <= lag
    prev[early] = _panel_base(frame, panel, forecast.origin, keys, lag)[early]
    rate = rates.per_period(
        frame[occupation] if occupation in keys else [""] * n,
        frame[level] if level in keys else None,
        frame["period"],
        spec.frequency,
        conversion,
    )
    change = (stock - prev) / lag
    growth = np.clip(change, 0.0, None)
    replacement = rate * stock
    openings = growth + replacement
    out = frame.loc[:, [*keys, "period", "step"]].copy()
    out["measure"] = "stock"
    out["decomposition"] = DECOMPOSED
    out["stock"] = stock
    out["change"] = change
    out["expansion"] = growth
    out["contraction"] = np.clip(-change, 0.0, None)
    out["replacement_rate"] = rate
    out["replacement"] = replacement
    out["openings"] = openings
    out["hiring_factor"] = 1.0
    out["realised_hiring"] = openings
    for lv in forecast.levels:
        for side, column in zip(("lower", "upper"), interval_columns(lv), strict=True):
            bound = frame[column].to_numpy(dtype=float)
            exp_b = np.clip((bound - prev) / lag, 0.0, None)
            out[f"stock_{side}_{lv}"] = bound
            out[f"expansion_{side}_{lv}"] = exp_b
            out[f"replacement_{side}_{lv}"] = rate * bound
            out[f"openings_{side}_{lv}"] = exp_b + rate * bound
            out[f"realised_hiring_{side}_{lv}"] = exp_b + rate * bound
    out = _order(out, keys, forecast.levels)
    out.attrs.update(
        note=_STOCK_NOTE.format(conversion=conversion, expansion=_EXPANSION[expansion]),
        decomposition=DECOMPOSED,
        measure="stock",
        model=forecast.model,
        levels=tuple(forecast.levels),
        rates=repr(rates),
    )
    return out


def _declared(
    frame: pd.DataFrame,
    forecast: Forecast,
    keys: list[str],
    adjustment: HiringAdjustment | None,
    rates: ReplacementRates | None,
) -> pd.DataFrame:
    """Declared openings pass through; only the hiring factor is applied."""
    factor = adjustment.factors(frame) if adjustment is not None else np.ones(len(frame))
    openings = frame["mean"].to_numpy(dtype=float)
    out = frame.loc[:, [*keys, "period", "step"]].copy()
    out["measure"] = "openings"
    out["decomposition"] = NOT_DECOMPOSED
    for column in ("stock", "change", "expansion", "contraction", "replacement_rate"):
        out[column] = np.nan
    out["replacement"] = np.nan
    out["openings"] = openings
    out["hiring_factor"] = factor
    out["realised_hiring"] = openings * factor
    for lv in forecast.levels:
        for side, column in zip(("lower", "upper"), interval_columns(lv), strict=True):
            bound = frame[column].to_numpy(dtype=float)
            for quantity in ("stock", "expansion", "replacement"):
                out[f"{quantity}_{side}_{lv}"] = np.nan
            out[f"openings_{side}_{lv}"] = bound
            out[f"realised_hiring_{side}_{lv}"] = bound * factor
    out = _order(out, keys, forecast.levels)
    note = _OPENINGS_NOTE
    if rates is not None:
        note += " Replacement rates were given but not used: declared needs already include them."
    out.attrs.update(
        note=note,
        decomposition=NOT_DECOMPOSED,
        measure="openings",
        model=forecast.model,
        levels=tuple(forecast.levels),
        hiring_adjustment=repr(adjustment),
    )
    return out


def _order(out: pd.DataFrame, keys: list[str], levels: tuple[int, ...]) -> pd.DataFrame:
    head = [*keys, "period", "step", "measure", "decomposition", "stock", "change",
            "expansion", "contraction", "replacement_rate", "replacement", "openings",
            "hiring_factor", "realised_hiring"]  # fmt: skip
    bounds = [f"{q}_{side}_{lv}" for lv in levels for q in BOUNDED for side in ("lower", "upper")]
    return out.loc[:, head + bounds]


def _check_compatible(forecast: Forecast, panel: Panel) -> None:
    fs, ps = forecast.spec, panel.spec
    if list(fs.keys) != list(ps.keys) or fs.target != ps.target or fs.measure != ps.measure:
        raise SkillcastConfigError(
            f"The forecast (keys {list(fs.keys)}, target {fs.target!r}, {fs.measure}) was not "
            f"made from this panel (keys {list(ps.keys)}, target {ps.target!r}, {ps.measure}). "
            "Pass the panel the forecaster was fitted on."
        )
    missing = [c for lv in forecast.levels for c in interval_columns(lv)]
    missing = [c for c in ["mean", *missing] if c not in forecast.frame.columns]
    if missing:
        raise SkillcastDataError(f"The forecast frame lacks column(s) {missing}.")


def _check_steps(frame: pd.DataFrame, keys: list[str]) -> None:
    expected = frame.groupby(keys, sort=False, observed=True).cumcount().to_numpy() + 1
    bad = frame["step"].to_numpy() != expected
    if bad.any():
        raise SkillcastDataError(
            f"Column 'step': {int(bad.sum())} forecast row(s) break the run 1, 2, ... of their "
            f"series, e.g.\n{frame.loc[bad, [*keys, 'step']].head(5).to_string()}\n"
            "Openings need every step from 1 on: do not filter steps before job_openings."
        )


def _panel_base(
    frame: pd.DataFrame, panel: Panel, origin: pd.Period, keys: list[str], lag: int
) -> np.ndarray:
    """For each forecast row, its series' panel value ``lag - step`` periods before the
    origin (the last observed value at or before that period); NaN where none exists or
    where ``step > lag``."""
    if panel.n_periods == 0:
        raise SkillcastDataError("The panel is empty: it cannot give the stock at the origin.")
    pos = int(panel.freq.steps(pd.PeriodIndex([origin]), panel.periods[0])[0])
    if not 0 <= pos < panel.n_periods:
        raise SkillcastDataError(
            f"The forecast origin {panel.label(origin)} lies outside the panel "
            f"({panel.label(panel.periods[0])}..{panel.label(panel.periods[-1])}). Pass the "
            "panel the forecaster was fitted on."
        )
    dense = panel.dense()[:, : pos + 1]
    # carry the last observed value forward over missing cells
    seen = np.maximum.accumulate(np.where(np.isnan(dense), -1, np.arange(pos + 1)), axis=1)
    filled = np.take_along_axis(dense, np.maximum(seen, 0), axis=1)
    filled[seen < 0] = np.nan
    # column j holds the value at position pos - lag + 1 + j (step j + 1)
    cols = pos - lag + 1 + np.arange(lag)
    base = np.full((panel.n_series, lag), np.nan)
    base[:, cols >= 0] = filled[:, cols[cols >= 0]]
    table = panel.series.assign(_in_panel=True, _sid=np.arange(panel.n_series))
    merged = frame.loc[:, keys].merge(table, on=keys, how="left", validate="many_to_one")
    absent = merged["_in_panel"].isna().to_numpy()
    if absent.any():
        raise SkillcastDataError(
            f"{int(absent.sum())} forecast row(s) belong to series the panel does not have, "
            f"e.g.\n{frame.loc[absent, keys].drop_duplicates().head(5).to_string()}\n"
            "Pass the panel the forecaster was fitted on."
        )
    sid = merged["_sid"].to_numpy(dtype=np.int64)
    step = frame["step"].to_numpy(dtype=np.int64)
    return np.where(step <= lag, base[sid, np.minimum(step, lag) - 1], np.nan)
