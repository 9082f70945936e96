"""What the report is made of: the tables of a run (:class:`ReportInputs`) and the stamps
saying who made them (:class:`RunInfo`, :class:`PreviousForecast`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from skillcast.outputs.annual import Correlation

__all__ = ["PreviousForecast", "ReportInputs", "RunInfo"]


@dataclass(frozen=True)
class RunInfo:
    """Who made the numbers: the stamp columns of the run's files.

    ``data_through`` is the last observed period the model was fitted on, ``refit``
    whether the registered model was fitted again on newer data at forecast time.
    """

    model_version: str = ""
    forecast_run_id: str = ""
    data_through: str = ""
    created_at: str = ""
    refit: bool = False

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> RunInfo:
        """The stamps of a planner table (first row; empty where a column is absent)."""

        def first(column: str) -> str:
            if column not in frame.columns or frame.empty or pd.isna(frame[column].iloc[0]):
                return ""
            return str(frame[column].iloc[0])

        return cls(
            model_version=first("model_version"),
            forecast_run_id=first("forecast_run_id"),
            data_through=first("data_through"),
            created_at=first("created_at"),
            refit=first("refit").strip().lower() in ("true", "1", "yes"),
        )


@dataclass(frozen=True, eq=False)
class PreviousForecast:
    """The forecast published before this one: its ``forecast.csv`` and stamps (read from
    its stamp columns when not given)."""

    forecast: pd.DataFrame
    run: RunInfo | None = None

    @property
    def info(self) -> RunInfo:
        return self.run if self.run is not None else RunInfo.from_frame(self.forecast)


@dataclass(frozen=True, eq=False)
class ReportInputs:
    """Everything the report shows; only ``forecast`` is required.

    Attributes:
        forecast: the run's ``forecast.csv`` (:func:`~skillcast.outputs.planner_frame`).
        run: the run's stamps (default: read from ``forecast``'s stamp columns).
        all_levels: ``forecast_all_levels.csv`` (reconciled totals and their ranges).
        openings: ``openings.csv`` (expected openings by sector; cluster shares).
        supply_gap: ``supply_gap.csv`` (openings against graduates, city-wide).
        accuracy: backtest accuracy per hierarchy level, the table of
            :func:`skillcast.reconcile.accuracy_by_level` (the training run's
            ``backtest/accuracy_by_level.csv``): ``aggregation``, ``forecast``
            (``base``/``reconciled``), ``n_series``, ``n``, ``wape``, ``hit_rate``,
            ``coverage_80``, ``coverage_95``...
        previous: the forecast published before this one.
        published: ``forecast.csv`` rows of earlier runs for periods now observed (one
            run or several: the latest published forecast of each period is scored).
        actuals: the observed values of those periods: ``period``, the key columns and
            ``actual`` (workers).
        small_cell: series forecast below this many workers are flagged as small cells
            (their percentage errors are large); they are marked, never hidden.
        clusters: the priority clusters, one row per (cluster, division) with
            ``cluster``, ``name_vi``, ``name_en``, ``division``
            (:func:`skillcast.taxonomy.clusters`, the default).
        measure: the target's kind: ``"stock"`` (employment; a year is the mean of its
            periods) or ``"openings"`` (declared recruitment needs; a year is the sum).
        correlation: how the periods' errors of one series move together when adding
            them up to years (:mod:`skillcast.outputs.annual`).
        place: the city's name, Vietnamese and English.
        skills: ``skills.csv`` (openings needing each skill group, per cluster and level).
        skill_intensity: ``skill_intensity.csv`` (digital / green / transversal shares).
        emerging_skills: the frame of :func:`skillcast.skills.emerging_skill_demand`.
        emerging: the frame of :func:`skillcast.emerging.detect_emerging` on the data
            the forecast read (the section on new occupations; without it, the
            ``emerging`` columns of ``forecast`` are read).
    """

    forecast: pd.DataFrame
    run: RunInfo | None = None
    all_levels: pd.DataFrame | None = None
    openings: pd.DataFrame | None = None
    supply_gap: pd.DataFrame | None = None
    accuracy: pd.DataFrame | None = None
    previous: PreviousForecast | None = None
    published: pd.DataFrame | None = None
    actuals: pd.DataFrame | None = None
    small_cell: int = 50
    clusters: pd.DataFrame | None = None
    measure: Literal["stock", "openings"] = "stock"
    correlation: Correlation = "comonotone"
    place: tuple[str, str] = ("Hải Phòng", "Hai Phong")
    skills: pd.DataFrame | None = None
    skill_intensity: pd.DataFrame | None = None
    emerging_skills: pd.DataFrame | None = None
    emerging: pd.DataFrame | None = None
