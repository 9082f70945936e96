"""The report page: every section's content put through the Jinja template
(``templates/report.html.j2``, which inlines its styles and script), and the page written
atomically."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from skillcast.outputs.clusters import cluster_table
from skillcast.outputs.files import atomic_write
from skillcast.outputs.report.accuracy import track_record_section, trust_section
from skillcast.outputs.report.emerging import emerging_section
from skillcast.outputs.report.headline import by_level_section, headline_section
from skillcast.outputs.report.inputs import ReportInputs, RunInfo
from skillcast.outputs.report.rankings import growth_section, shortages_section
from skillcast.outputs.report.revisions import revisions_section
from skillcast.outputs.report.skills import skills_section
from skillcast.outputs.report.tables import prepare
from skillcast.outputs.report.wording import PERIOD_WORDS, Text

__all__ = ["SECTION_IDS", "render_report", "report_writer", "write_report"]

# the page's sections in order: their element ids and the links of its table of contents
SECTION_IDS = (
    "headline",
    "by-level",
    "shortages",
    "growth",
    "revisions",
    "track-record",
    "trust",
    "skills",
    "emerging",
)


def render_report(inputs: ReportInputs) -> str:
    """The report of one forecast run as one self-contained HTML page (see
    :mod:`skillcast.outputs.report`).

    Raises:
        SkillcastConfigError: a forecast table without ``period`` and ``forecast``, an
            actuals table without ``actual``, a clusters table without its columns.
    """
    import jinja2

    tables = prepare(inputs)
    clusters = cluster_table(inputs.clusters)
    run = inputs.run if inputs.run is not None else RunInfo.from_frame(inputs.forecast)
    periods = list(dict.fromkeys(tables.forecast["period"]))
    context = {
        "place": Text(*inputs.place),
        "run": run,
        "first": periods[0] if periods else "",
        "last": periods[-1] if periods else "",
        "period_word": PERIOD_WORDS[tables.freq.name],
        "small_cell": inputs.small_cell,
        "headline": headline_section(tables, inputs, clusters),
        "levels": by_level_section(tables, inputs),
        "shortages": shortages_section(tables, inputs, clusters),
        "growth": growth_section(tables, inputs),
        "revisions": revisions_section(tables, inputs, run),
        "track": track_record_section(inputs),
        "trust": trust_section(tables, inputs),
        "skills": skills_section(inputs, clusters),
        "emerging": emerging_section(tables, inputs),
        "sections": SECTION_IDS,
    }
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("skillcast.outputs.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.globals["T"] = Text
    return env.get_template("report.html.j2").render(**context)


def report_writer(inputs: ReportInputs) -> Callable[[Path], None]:
    """A function writing the report of ``inputs`` (UTF-8) to the path it is given, for an
    atomic writer that owns the temporary file. The page is rendered here, so bad inputs
    fail before anything is staged."""
    page = render_report(inputs)

    def write(path: Path) -> None:
        path.write_text(page, encoding="utf-8")

    return write


def write_report(inputs: ReportInputs, path: str | os.PathLike[str]) -> Path:
    """Render the report and write it to ``path`` (UTF-8; temporary file, then rename)."""
    return atomic_write(path, report_writer(inputs))
