"""The report's inputs cleaned once (:class:`Tables`: codes as text, periods as labels)
and the totals the sections show: per period (:func:`sum_by`, bounds added up) and per
calendar year (:func:`calendar_years`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from skillcast.errors import SkillcastConfigError
from skillcast.outputs.annual import annual_forecast, label_frequency
from skillcast.outputs.read_back import as_codes, floats
from skillcast.outputs.report.inputs import ReportInputs
from skillcast.periods import Frequency

__all__ = ["TOP", "Tables", "calendar_years", "prepare", "sum_by"]

TOP = 10  # rows of the ranked tables
_NUMBERS = ("forecast", "lower_80", "upper_80", "lower_95", "upper_95")


def sum_by(rows: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    """Per ``by`` and period: forecast and bounds of ``rows`` added up (bounds added:
    the conservative rule for a sum of series)."""
    cols = [c for c in _NUMBERS if c in rows.columns]
    values = {c: floats(rows[c]) for c in cols}
    frame = rows.loc[:, [*by, "period"]].assign(**values)
    return (
        frame.groupby([*by, "period"], sort=False, dropna=False)[cols]
        .sum(min_count=1)
        .reset_index()
    )


def calendar_years(totals: pd.DataFrame, inputs: ReportInputs) -> pd.DataFrame:
    """Calendar years of a totals table (empty when no year is complete)."""
    if totals.empty:
        return totals.assign(year=pd.Series(dtype="int64"))
    return annual_forecast(totals, measure=inputs.measure, correlation=inputs.correlation)


@dataclass
class Tables:
    """The inputs cleaned once: codes as text, periods as labels."""

    forecast: pd.DataFrame
    all_levels: pd.DataFrame | None
    openings: pd.DataFrame | None
    freq: Frequency

    def node(self, aggregation: str, key: str | None) -> tuple[pd.DataFrame, bool]:
        """Per period totals at one level (``key`` = the column it varies by, None for
        the city): from ``forecast_all_levels.csv`` when it has the level (True), else
        the bottom rows added up (False)."""
        by = [key] if key else []
        if self.all_levels is not None and "aggregation" in self.all_levels.columns:
            rows = self.all_levels.loc[self.all_levels["aggregation"] == aggregation]
            if len(rows):
                return sum_by(rows, by), True
        rows = self.forecast
        if key == "occupation":
            rows = rows.assign(occupation=rows["occupation"].astype(str).str.slice(0, 1))
        return sum_by(rows, by), False


def prepare(inputs: ReportInputs) -> Tables:
    """The tables of ``inputs`` cleaned for the sections (the forecast is required)."""
    forecast = as_codes(inputs.forecast)
    if "period" not in forecast.columns or "forecast" not in forecast.columns:
        raise SkillcastConfigError("The report needs forecast.csv's 'period' and 'forecast'.")
    freq = label_frequency(forecast["period"])
    levels = as_codes(inputs.all_levels) if inputs.all_levels is not None else None
    openings = as_codes(inputs.openings) if inputs.openings is not None else None
    return Tables(forecast, levels, openings, freq)
