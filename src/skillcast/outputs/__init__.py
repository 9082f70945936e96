"""Planner CSVs: stable, Excel-friendly tables of forecasts, openings and supply gaps.

Tables: :func:`planner_frame` (``forecast.csv``, one row per bottom series and period),
:func:`all_levels_frame` (``forecast_all_levels.csv``: every aggregation level),
:func:`openings_frame` (``openings.csv``) and :func:`supply_gap_frame`
(``supply_gap.csv``). Files are UTF-8 with a byte-order mark so Excel shows Vietnamese
diacritics; text cells that a spreadsheet would read as a formula are prefixed with a
single quote; writes are atomic: one file with :func:`write_planner_csv`, several as one
with :class:`CsvBatch`, and the files of a run as one published set with :class:`FileSet`
(a folder per run; one symlink swap makes it current).

Modules: ``forecast_tables`` (forecast.csv, forecast_all_levels.csv), ``demand_tables``
(openings.csv, supply_gap.csv), ``files`` (encoding, formula neutralising, atomic
writes) and ``publish`` (run folders, the current set and its by-name links).

For planners beyond the CSVs: ``annual`` (calendar-year views of the tables, bounds
added up by a stated rule), ``report`` (one self-contained HTML page per run),
``clusters`` (the priority-cluster labels and shares of the tables) and ``workbook``
(every table as a sheet of one Excel file).
"""

from skillcast.outputs import files
from skillcast.outputs.annual import (
    annual_forecast,
    annual_openings,
    annual_supply_gap,
    annual_view,
)
from skillcast.outputs.clusters import cluster_supply_gap, with_clusters
from skillcast.outputs.demand_tables import (
    OPENINGS_COLUMNS,
    SUPPLY_GAP_COLUMNS,
    openings_frame,
    supply_gap_frame,
)
from skillcast.outputs.files import (
    ENCODING,
    CsvBatch,
    atomic_write,
    neutralise_formulas,
    write_csv,
    write_planner_csv,
)
from skillcast.outputs.forecast_tables import (
    ALL_LEVELS_COLUMNS,
    PLANNER_COLUMNS,
    all_levels_frame,
    planner_frame,
    rounded_bounds,
)
from skillcast.outputs.publish import FileSet, run_folder_name
from skillcast.outputs.report import (
    PreviousForecast,
    ReportInputs,
    RunInfo,
    render_report,
    report_writer,
    write_report,
)
from skillcast.outputs.skills_tables import (
    SKILL_INTENSITY_COLUMNS,
    SKILLS_COLUMNS,
    skill_intensity_frame,
    skills_frame,
)
from skillcast.outputs.workbook import workbook_writer, write_workbook

__all__ = [
    "ALL_LEVELS_COLUMNS",
    "SKILLS_COLUMNS",
    "SKILL_INTENSITY_COLUMNS",
    "skill_intensity_frame",
    "skills_frame",
    "ENCODING",
    "OPENINGS_COLUMNS",
    "PLANNER_COLUMNS",
    "SUPPLY_GAP_COLUMNS",
    "CsvBatch",
    "FileSet",
    "PreviousForecast",
    "ReportInputs",
    "RunInfo",
    "all_levels_frame",
    "annual_forecast",
    "annual_openings",
    "annual_supply_gap",
    "annual_view",
    "atomic_write",
    "cluster_supply_gap",
    "files",
    "neutralise_formulas",
    "openings_frame",
    "planner_frame",
    "render_report",
    "report_writer",
    "rounded_bounds",
    "run_folder_name",
    "supply_gap_frame",
    "with_clusters",
    "workbook_writer",
    "write_csv",
    "write_planner_csv",
    "write_report",
    "write_workbook",
]
