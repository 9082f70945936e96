"""What ``skillcast-forecast`` adds for planners beside the forecast tables: the series
that are new or rise from zero (``output.emerging``, also logged by each training run),
openings by skill group (the ``skills`` group), calendar-year views of a sub-annual
forecast, the HTML report and the workbook.

The report reads what the project already holds: the set published before this run
(``<output.dir>/latest/forecast.csv``: the revisions), the forecasts earlier runs
published for periods the data now covers (``<output.dir>/runs/*/forecast.csv``: how
they did), and the training run's accuracy per hierarchy level.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from skillcast.apps.console import report
from skillcast.emerging import REASONS, detect_emerging
from skillcast.lineage import labelled_frame
from skillcast.outputs import (
    PreviousForecast,
    ReportInputs,
    annual_forecast,
    annual_openings,
    annual_supply_gap,
    report_writer,
    skill_intensity_frame,
    skills_frame,
    workbook_writer,
)
from skillcast.panel import Panel
from skillcast.periods import Frequency

#: files written from the tables, by name: the report page and the workbook
REPORT_FILE = "report.html"
WORKBOOK_FILE = "forecast.xlsx"
_KEYS = ("region", "sector", "occupation", "level")


def emerging_series(settings: Any, panel: Panel) -> pd.DataFrame:
    """The series of ``panel`` that are new or rise from zero, by the ``output.emerging``
    settings (:func:`skillcast.emerging.detect_emerging`), told in the run's log: how many,
    why, and a few examples."""
    recent = settings.recent
    flags = detect_emerging(
        panel,
        recent=None if recent is None else int(recent),
        near_zero=float(settings.near_zero),
        min_size=float(settings.min_size),
    )
    report(emerging_summary(flags))
    return flags


def emerging_summary(flags: pd.DataFrame, examples: int = 5) -> str:
    """One line for the log: the count of emerging series by reason, and examples."""
    on = flags.loc[flags["emerging"]]
    window = f"the last {flags.attrs['recent']} period(s) to {flags.attrs['end']}"
    if on.empty:
        return f"Emerging series: none of {len(flags)} is new or rising from zero in {window}."
    counts = on["emerging_reason"].value_counts()
    why = ", ".join(f"{reason} {counts[reason]}" for reason in REASONS if reason in counts)
    keys = list(flags.columns[: list(flags.columns).index("emerging")])
    shown = [
        f"{'/'.join(str(r[k]) for k in keys)} ({r['emerging_reason']}, since {r['first_period']})"
        for _, r in on.head(examples).iterrows()
    ]
    more = f" and {len(on) - examples} more" if len(on) > examples else ""
    return (
        f"Emerging series: {len(on)} of {len(flags)} in {window} ({why}); their forecasts "
        f"rest on few observations. E.g. {'; '.join(shown)}{more}."
    )


def emerging_metrics(flags: pd.DataFrame) -> dict[str, float]:
    """``n_emerging`` and its count per reason (``n_emerging_new_code`` ...)."""
    on = flags.loc[flags["emerging"], "emerging_reason"]
    out = {"n_emerging": float(len(on))}
    for reason in REASONS:
        out[f"n_emerging_{reason.replace(' ', '_')}"] = float((on == reason).sum())
    return out


def skill_tables(
    skills: Any,
    openings: pd.DataFrame,
    freq: Frequency,
    stamp: dict[str, Any],
    emerging: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """``skills.csv`` (openings needing each skill group) and ``skill_intensity.csv`` (the
    digital / green / transversal share of their essential skills) of the openings, as the
    ``skills`` group says; none when it is off."""
    if not skills.enabled:
        return {}
    bridge = _bridge(skills)
    by = skills.by
    return {
        "skills.csv": skills_frame(
            openings, freq, bridge=bridge, by=by, emerging=emerging, **stamp
        ),
        "skill_intensity.csv": skill_intensity_frame(
            openings, freq, by=by, emerging=emerging, **stamp
        ),
    }


def _bridge(skills: Any) -> Any:
    from skillcast.skills import load_bridge

    return load_bridge(skills.bridge, level=None if skills.bridge else int(skills.level))


def emerging_skills(skills: Any, tables: dict[str, pd.DataFrame], panel: Panel) -> Any:
    """Skill groups ranked by the growth of the work needing them: expected against the
    last three observed years (employment for a stock panel, the target for declared
    openings), with the occupations driving each; None without a skills table."""
    openings = tables.get("openings.csv")
    if "skills.csv" not in tables or openings is None:
        return None
    from skillcast.skills import emerging_skill_demand

    stock = panel.spec.measure != "openings"
    history = _actuals(panel).rename(columns={"actual": "observed"})
    return emerging_skill_demand(
        history, openings, _bridge(skills), value="stock" if stock else "openings",
        history_value="observed", kind="stock" if stock else "flow",
        freq=panel.freq.name,
    )  # fmt: skip


def with_planner_views(tables: dict[str, pd.DataFrame], panel: Panel) -> dict[str, pd.DataFrame]:
    """``tables`` with -- for a panel with several periods a year -- their calendar years
    (``forecast_annual.csv``, ``openings_annual.csv``, ``supply_gap_annual.csv``: complete
    years only, bounds added as comonotone, see :mod:`skillcast.outputs.annual`)."""
    out = dict(tables)
    if panel.freq.season_length == 1:
        return out
    measure: Literal["stock", "openings"] = (
        "openings" if panel.spec.measure == "openings" else "stock"
    )
    years = {"forecast_annual.csv": annual_forecast(tables["forecast.csv"], measure=measure)}
    if "openings.csv" in tables:
        years["openings_annual.csv"] = annual_openings(tables["openings.csv"])
    if "supply_gap.csv" in tables:
        years["supply_gap_annual.csv"] = annual_supply_gap(tables["supply_gap.csv"])
    # a horizon shorter than a year has no complete year: no file rather than an empty one
    out.update({name: table for name, table in years.items() if len(table)})
    return out


def planner_files(
    tables: dict[str, pd.DataFrame],
    panel: Panel,
    out_dir: Path,
    tracker: Any,
    model_run_id: str | None,
    small_cell: int,
    skills: Any = None,
    emerging: pd.DataFrame | None = None,
) -> dict[str, Callable[[Path], None]]:
    """Writers of the report page and the workbook of ``tables`` (rendered now: a page
    that cannot be made stops the run before anything is published); ``emerging``: the
    detection the tables' flags come from (the report's section on new occupations)."""
    inputs = ReportInputs(
        forecast=tables["forecast.csv"],
        all_levels=tables.get("forecast_all_levels.csv"),
        openings=tables.get("openings.csv"),
        supply_gap=tables.get("supply_gap.csv"),
        accuracy=_accuracy(tracker, model_run_id),
        previous=_previous(out_dir),
        published=_published(out_dir, panel),
        actuals=_actuals(panel),
        small_cell=small_cell,
        measure="openings" if panel.spec.measure == "openings" else "stock",
        skills=tables.get("skills.csv"),
        skill_intensity=tables.get("skill_intensity.csv"),
        emerging_skills=emerging_skills(skills, tables, panel) if skills is not None else None,
        emerging=emerging,
    )
    return {REPORT_FILE: report_writer(inputs), WORKBOOK_FILE: workbook_writer(tables)}


def _read(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        report(f"Report: {path} not read ({exc}); left out.", logging.WARNING)
        return None


def _previous(out_dir: Path) -> PreviousForecast | None:
    path = out_dir / "latest" / "forecast.csv"
    frame = _read(path) if path.is_file() else None
    return PreviousForecast(frame) if frame is not None else None


def _published(out_dir: Path, panel: Panel) -> pd.DataFrame | None:
    """Forecast rows earlier runs published for periods the data now covers."""
    observed = set(panel.freq.labels(panel.periods))
    parts = []
    for path in sorted((out_dir / "runs").glob("*/forecast.csv")):
        frame = _read(path)
        if frame is not None and "period" in frame.columns:
            parts.append(frame.loc[frame["period"].isin(observed)])
    parts = [p for p in parts if len(p)]
    return pd.concat(parts, ignore_index=True) if parts else None


def _actuals(panel: Panel) -> pd.DataFrame:
    frame = labelled_frame(panel)
    keys = [k for k in _KEYS if k in frame.columns]
    return frame[[panel.spec.period, *keys, panel.spec.target]].rename(
        columns={panel.spec.period: "period", panel.spec.target: "actual"}
    )


def _accuracy(tracker: Any, run_id: str | None) -> pd.DataFrame | None:
    """The training run's backtest accuracy per hierarchy level (models that reconcile)."""
    if not run_id:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        try:
            local = tracker.client.download_artifacts(run_id, "backtest/accuracy_by_level.csv", tmp)
        except Exception:  # a model that does not reconcile has none: the page says so
            return None
        return pd.read_csv(local)
