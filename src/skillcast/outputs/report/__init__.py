"""The planners' report: one self-contained HTML page per forecast run.

:func:`render_report` turns the tables of a run (:class:`ReportInputs`) into one HTML
string with everything inline (styles, a few lines of script, charts as inline SVG drawn
by matplotlib): it opens from a shared drive, an e-mail or a phone with no network. The
page is in Vietnamese, with a button that switches every text to English; it prints on
A4. Sections (each an element with the id in :data:`SECTION_IDS`):

``headline``      the city total and each priority cluster: forecast and 80%/95% ranges per year
``by-level``      by training level and by occupation major group
``shortages``     occupation x level ranked by the yearly gap, filterable by cluster and year
``growth``        the fastest growing and declining occupations, the most openings
``revisions``     what changed since the previous forecast, and why where known
``track-record``  how the forecasts published earlier compare with what was observed
``trust``         backtest accuracy in plain words, interval coverage, small cells
``skills``        the skill groups the expected openings need
``emerging``      occupations new in the data or rising from zero, and their forecasts

A section whose input is missing says so in a sentence. Yearly figures follow
:mod:`skillcast.outputs.annual`. Totals that the run's ``forecast_all_levels.csv`` holds
(city, sector, training level, occupation major group) take its reconciled intervals;
other totals (a cluster's sectors, or every total without that file) add up their parts'
bounds, the conservative rule of the openings table: such ranges are wider than the
truth, never narrower. Cluster labels and shares come from
:mod:`skillcast.outputs.clusters`.

Modules: ``inputs`` (what the report is made of), ``tables`` (the inputs cleaned once,
and their totals), ``wording`` (bilingual phrases and figures), ``charts`` (inline SVG),
one module per group of sections (``headline``, ``rankings``, ``revisions``,
``accuracy``, ``skills``, ``emerging``) and ``render`` (the Jinja template in
``templates/``, and the file).
"""

from skillcast.outputs.report.inputs import PreviousForecast, ReportInputs, RunInfo
from skillcast.outputs.report.render import (
    SECTION_IDS,
    render_report,
    report_writer,
    write_report,
)

__all__ = [
    "SECTION_IDS",
    "PreviousForecast",
    "ReportInputs",
    "RunInfo",
    "render_report",
    "report_writer",
    "write_report",
]
