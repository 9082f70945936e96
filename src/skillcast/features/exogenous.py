"""Exogenous drivers: known-in-advance ones at the target period, observed ones up to the origin.

=======================  =====================================================  ================
name                     meaning                                                periods read
=======================  =====================================================  ================
``exog_known_<c>``       known driver ``c`` (``PanelSpec.known_exog``) at the   origin + step
                         target period
``exog_known_<c>_growth`` ``log(c[origin + step] / c[origin])`` (with           origin, origin
                         ``known_growth=True``): the driver's planned growth    + step
``exog_obs_<c>_lag_k``   observed driver ``c`` (``PanelSpec.observed_exog``)    origin - k + 1
                         at ``origin - k + 1`` (``lag_1``: at the origin)
=======================  =====================================================  ================

The growth column lets a tree model respond to a planned path above anything it saw in
training: a level it never saw falls in its top bin, a growth rate usually does not.
It needs positive drivers (volumes, money); other values give NaN. A known driver's
value at a target period inside the panel comes from the panel (NaN
where the series has no row there); beyond the panel's last period it comes from the
``exog`` frame passed to ``transform``: long format with ``period``, the driver columns
and any subset of the panel's key columns (none for a city-wide driver, which then
applies to every series). Observed-only drivers are never read after the origin.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastDataError
from skillcast.features.base import FeatureBuilder, PanelArrays, check_positive_ints
from skillcast.panel import Panel
from skillcast.periods import parse_periods

_MAX_EXAMPLES = 5


class ExogenousFeatures(FeatureBuilder):
    """Features from the panel's declared exogenous drivers.

    Args:
        observed_lags: lags (counted back from the origin, ``1`` = the origin itself)
            at which each observed-only driver is read.
        known_growth: also give each known driver's log growth from the origin to the
            target period (``exog_known_<c>_growth``).

    The drivers come from the panel's spec at ``fit``: every ``known_exog`` column
    gives ``exog_known_<c>``, every ``observed_exog`` column ``exog_obs_<c>_lag_<k>``
    for each ``k`` in ``observed_lags``. A panel without drivers gives no columns.
    """

    def __init__(self, observed_lags: tuple[int, ...] = (1,), known_growth: bool = False) -> None:
        self.observed_lags = observed_lags
        self.known_growth = known_growth

    def _fit(self, panel: Panel) -> None:
        self.observed_lags_ = check_positive_ints(
            "ExogenousFeatures.observed_lags", self.observed_lags
        )
        self.known_ = tuple(panel.spec.known_exog)
        self.observed_ = tuple(panel.spec.observed_exog)
        growth = [f"exog_known_{c}_growth" for c in self.known_] if self.known_growth else []
        self.feature_names_out_ = (
            [f"exog_known_{c}" for c in self.known_]
            + growth
            + [f"exog_obs_{c}_lag_{k}" for c in self.observed_ for k in self.observed_lags_]
        )

    def _columns(
        self, arrays: PanelArrays, origins: np.ndarray, step: int, exog: pd.DataFrame | None
    ) -> list[np.ndarray]:
        panel = arrays.panel
        absent = [c for c in (*self.known_, *self.observed_) if c not in panel.frame.columns]
        if absent:
            raise SkillcastDataError(
                f"The panel has no column(s) {absent}, which ExogenousFeatures was fitted "
                "with: transform panels loaded with the same PanelSpec."
            )
        columns = [self._known(arrays, c, origins, step, exog) for c in self.known_]
        if self.known_growth:
            with np.errstate(divide="ignore", invalid="ignore"):
                columns += [
                    np.log(np.where(target > 0, target, np.nan))
                    - np.log(np.where(at_origin > 0, at_origin, np.nan))
                    for target, at_origin in zip(
                        list(columns), (arrays.gather(c, origins) for c in self.known_), strict=True
                    )
                ]
        for c in self.observed_:
            columns += [arrays.gather(c, origins - k + 1) for k in self.observed_lags_]
        return columns

    def _known(
        self,
        arrays: PanelArrays,
        column: str,
        origins: np.ndarray,
        step: int,
        exog: pd.DataFrame | None,
    ) -> np.ndarray:
        targets = origins + step
        inside = targets < arrays.n_periods
        out = np.empty((len(origins), arrays.n_series))
        out[inside] = arrays.values(column)[targets[inside]]
        if not inside.all():
            beyond = np.unique(targets[~inside])
            future = future_values(arrays.panel, exog, column, beyond)
            out[~inside] = future[np.searchsorted(beyond, targets[~inside])]
        return out.reshape(-1)


def future_values(
    panel: Panel, exog: pd.DataFrame | None, column: str, positions: np.ndarray
) -> np.ndarray:
    """Values of a known driver at period positions beyond the panel, (positions x series).

    Read from the long ``exog`` frame; raises :class:`SkillcastDataError` naming the
    periods (and the count of series) it lacks.
    """
    spec, freq = panel.spec, panel.freq
    periods = panel.freq.range(panel.periods[0], panel.periods[0] + int(positions.max()))
    wanted = periods[positions]
    labels = list(freq.labels(wanted))
    if exog is None:
        raise SkillcastDataError(
            f"Known driver {column!r} is needed for period(s) {labels[:_MAX_EXAMPLES]}, after "
            f"the panel's last period {freq.label(panel.periods[-1])}: pass "
            f"transform(..., exog=frame) with columns 'period', {column!r} and the key "
            f"columns it varies by (any of {list(spec.keys)})."
        )
    period_col = spec.period if spec.period in exog.columns else "period"
    missing_cols = [c for c in (period_col, column) if c not in exog.columns]
    if missing_cols:
        raise SkillcastDataError(
            f"The exog frame lacks column(s) {missing_cols} (it has {list(exog.columns)}); "
            f"it needs 'period' and {column!r} for period(s) {labels[:_MAX_EXAMPLES]}."
        )
    parsed = parse_periods(exog[period_col], freq)
    bad = parsed.unparseable | parsed.off_grid
    if bad.any():
        raise SkillcastDataError(
            f"Column {period_col!r} of the exog frame: {int(bad.sum())} row(s) are not "
            f"{freq.name} periods, e.g. {exog.loc[bad, period_col].head(3).tolist()}."
        )
    keys = [k for k in spec.keys if k in exog.columns]
    pos = pd.Index(wanted).get_indexer(pd.Index(parsed.periods))
    rows = pos >= 0
    sub = pd.DataFrame({k: exog[k].astype(str).str.strip().to_numpy()[rows] for k in keys})
    sub["_pos"] = pos[rows]
    sub["_value"] = pd.to_numeric(exog[column], errors="coerce").to_numpy(dtype=float)[rows]
    dup = sub.duplicated([*keys, "_pos"], keep=False).to_numpy()
    if dup.any():
        raise SkillcastDataError(
            f"The exog frame repeats {int(dup.sum())} (keys, period) pair(s) for {column!r} "
            f"(keys used: {keys}): give one value per {keys or 'period'} and period."
        )
    series = panel.series[keys].copy() if keys else pd.DataFrame(index=panel.series.index)
    series["_sid"] = np.arange(panel.n_series)
    merged = series.merge(sub, on=keys, how="inner") if keys else series.merge(sub, how="cross")
    out = np.full((len(positions), panel.n_series), np.nan)
    present = np.zeros(out.shape, dtype=bool)
    out[merged["_pos"].to_numpy(), merged["_sid"].to_numpy()] = merged["_value"].to_numpy()
    present[merged["_pos"].to_numpy(), merged["_sid"].to_numpy()] = True
    if not present.all():
        lacking = ~np.asarray(present.all(axis=1))
        named = [label for label, lack in zip(labels, lacking, strict=True) if lack]
        n_series = int((~present).any(axis=0).sum())
        raise SkillcastDataError(
            f"The exog frame has no {column!r} value for {n_series} series in period(s) "
            f"{named[:_MAX_EXAMPLES]} (keys used: {keys or 'none, city-wide'}): add the rows "
            "for every period the forecast reaches."
        )
    return out
