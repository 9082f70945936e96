"""Synthetic enterprises behind a panel: :func:`make_enterprise_reports`.

A panel cell (sector x occupation x level) is what the city gets after summing the
reports of the enterprises that employ such workers. This module draws those
enterprises for a given panel, splits every cell total among them so the reports add up
exactly, and then spoils the submissions the way real ones are spoilt: late, missing,
or sent twice with a mistake the second one corrects. The fault log says which, so
:func:`~skillcast.datasets.aggregate_reports` can be checked against it report by report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.datasets.reports import statutory_deadline
from skillcast.datasets.submissions import (
    LAPSE_SHARE,
    LATE_RATE,
    MISSING_RATE,
    RESUBMIT_RATE,
    draw_faults,
    submission_times,
    submitted_rows,
)
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, PanelSpec
from skillcast.periods import parse_periods

# Enterprises. Firm weights are Pareto (Lomax + 1): a few giants, many small firms.
FIRM_PARETO_ALPHA = 1.1
FIRM_WEIGHT_CAP = 500.0  # one draw from the far tail must not swallow its whole sector
# A cell of m workers (mean over periods) is spread over about sqrt(m / this) firms:
# big cells have more employers, but not in proportion (the largest firms dominate).
WORKERS_PER_LINK = 8.0
FIRM_SLACK = 1.5  # firms in a sector = this x the most firms any of its cells has, + 1
CELL_SHARE_SD = 0.5  # log spread of one firm's share from one of its cells to the next
FIRM_GROWTH_SD = 0.05  # log random walk of a firm's size, per period
ID_PREFIX = "02"  # enterprise codes are 10 digits and start like Hai Phong's tax codes


@dataclass(frozen=True)
class EnterpriseReports:
    """Result of :func:`make_enterprise_reports`.

    Attributes:
        reports: the rows as submitted, faults included: ``enterprise_id`` (text, 10
            digits), ``submitted_at`` (naive local datetime, minutes), ``period`` (label
            such as ``2024-H1``), the panel's key columns, ``employed`` (int64 workers)
            and ``recruitment_needs`` (int64, when the panel has declared needs). One row
            per (submission, cell the enterprise employs in), zeros included: an
            enterprise lists every cell it employs in, every period. Sorted by
            submission time, enterprise, keys.
        complete: the truth: every enterprise's correct report for every period, with the
            time its kept submission has (or would have had, for missing reports). Its
            ``employed`` and ``recruitment_needs`` sum exactly to the panel's target and
            needs per (keys, period).
        enterprises: one row per enterprise: ``enterprise_id``, the sector key,
            ``cells`` (cells it employs in), ``workers`` (mean over periods),
            ``size_band`` (``micro`` <= 10, ``small`` <= 100, ``medium`` <= 200,
            ``large``).
        log: one row per (enterprise, period) report of ``complete``: ``enterprise_id``,
            ``period``, ``rows``, ``missing``, ``late`` (the kept submission came after
            the deadline), ``resubmitted`` (a wrong submission came first and was
            superseded), ``since_report`` (for a missing report: periods since the
            enterprise's last submitted one, 1 for the first of a run; else 0),
            ``carried_rows`` (for a missing report: rows of that last submitted report,
            what carrying it forward copies; else 0) and ``deadline`` (the last on-time
            day; for periods without a statutory deadline, the nominal one the times were
            drawn around, and nothing is late).
    """

    reports: pd.DataFrame
    complete: pd.DataFrame
    enterprises: pd.DataFrame
    log: pd.DataFrame

    def expected_accounting(self, carry_forward: int = 1) -> dict[str, int]:
        """What :func:`~skillcast.datasets.aggregate_reports` must count on
        :attr:`reports`: rows received, duplicates dropped, reports kept, late, carried
        and lapsed (zero-filled cells depend on the values, not on the log alone)."""
        log = self.log
        missing = log["missing"].to_numpy()
        carried = missing & (log["since_report"].to_numpy() <= carry_forward)
        wrong = int(log.loc[log["resubmitted"], "rows"].sum())
        return {
            "rows_in": len(self.reports),
            "dropped_duplicates": wrong,
            "reports": int((~missing).sum()),
            "late_reports": int(log["late"].sum()),
            "carried_reports": int(carried.sum()),
            "carried_rows": int(log.loc[carried, "carried_rows"].sum()),
            "lapsed_reports": int((missing & ~carried).sum()),
        }


def make_enterprise_reports(
    panel: pd.DataFrame | Panel,
    seed: int = 0,
    *,
    spec: PanelSpec | None = None,
    sector: str = "sector",
    needs: str | None = "vacancies",
    late_rate: float = LATE_RATE,
    missing_rate: float = MISSING_RATE,
    lapse_share: float = LAPSE_SHARE,
    resubmit_rate: float = RESUBMIT_RATE,
) -> EnterpriseReports:
    """Draw the enterprises behind a panel and the reports they submit.

    Each sector gets its own enterprises with heavy-tailed (Pareto) sizes; each cell of
    the sector is employed by a few of them, the larger ones more often; every period,
    the cell total is split among its enterprises in proportion to their size (a
    firm-level random walk) and their share in that cell, rounded by largest remainders,
    so the reports add up exactly to the panel. Then faults are drawn per (enterprise,
    period) report: missing (never an enterprise's first report, nor one in which it
    starts a new cell, so carrying forward is the only change), late, or resubmitted
    (an earlier submission with one count typed with an extra zero, superseded by the
    correct one). The assumptions are named constants at the top of this module
    and of :mod:`skillcast.datasets.submissions`.

    Args:
        panel: a long frame (period, keys, target, optionally ``needs``) such as
            :func:`~skillcast.datasets.make_hai_phong_like` draws, or a
            :class:`~skillcast.panel.Panel`. Targets must be whole numbers of workers;
            every series must run without a gap to the last period (a cell that stops
            would make its enterprises look missing).
        seed: seed of the random generator; the same seed gives identical reports.
        spec: the column names of a frame (default ``PanelSpec()``: period, sector,
            occupation, level, employment); a Panel brings its own.
        sector: the key column enterprises belong to.
        needs: column of declared recruitment needs to split too (whole numbers); left
            out when the panel has no such column.
        late_rate, missing_rate, lapse_share, resubmit_rate: fault rates (0 for clean
            reports): share of reports late, missing, followed by a second missing one
            (of the missing), and sent twice.

    Returns:
        An :class:`EnterpriseReports`. With all rates 0, ``aggregate_reports(reports,
        spec, count="employed")`` gives back the panel's target exactly.
    """
    frame, spec = _panel_frame(panel, spec, sector, needs)
    rates = (late_rate, missing_rate, lapse_share, resubmit_rate)
    for name, rate in zip(
        ("late_rate", "missing_rate", "lapse_share", "resubmit_rate"), rates, strict=True
    ):
        if not 0.0 <= float(rate) <= 1.0:
            raise SkillcastConfigError(f"{name}={rate!r}: give a share between 0 and 1.")
    freq = spec.frequency
    periods = freq.range(frame["_period"].min(), frame["_period"].max())
    labels = np.asarray(freq.labels(periods), dtype=object)
    rng = np.random.default_rng(seed)
    cells = _cells(frame, spec, sector)
    firms, links = _draw_firms(rng, cells, sector)
    split_needs = needs if needs is not None and needs in frame.columns else None
    rows = _split_cells(rng, frame, spec, links, firms, len(periods), split_needs)
    log = draw_faults(rng, rows, cells, len(firms), len(periods), rates)
    due = statutory_deadline(periods)
    if due.isna().any():  # no statutory deadline (quarters, months): none is ever late
        log["late"] = False
        due = pd.DatetimeIndex(periods.end_time.normalize() + pd.Timedelta(days=5))
    kept, wrong = submission_times(rng, log, due)
    names = (firms, cells[["_cell", *spec.keys]])
    complete, reports = submitted_rows(rng, rows, log, kept, wrong, labels, names)
    log_out = pd.DataFrame(
        {
            "enterprise_id": firms["enterprise_id"].to_numpy()[log["_firm"].to_numpy()],
            "period": labels[log["_step"].to_numpy()],
            **{
                c: log[c].to_numpy()
                for c in ("rows", "missing", "late", "resubmitted", "since_report", "carried_rows")
            },
            "deadline": due[log["_step"].to_numpy()],
        }
    )
    firm_table = _firm_table(firms, links, rows, sector)
    return EnterpriseReports(reports, complete, firm_table, log_out)


def _panel_frame(
    panel: pd.DataFrame | Panel, spec: PanelSpec | None, sector: str, needs: str | None
) -> tuple[pd.DataFrame, PanelSpec]:
    """The panel's rows with ``_period``, ``_step``, ``_cell`` and checked whole counts."""
    if isinstance(panel, Panel):
        spec, source = panel.spec, panel.frame
    elif isinstance(panel, pd.DataFrame):
        spec, source = spec or PanelSpec(), panel
    else:
        raise SkillcastConfigError(f"panel must be a DataFrame or a Panel, not {type(panel)}.")
    if sector not in spec.keys:
        raise SkillcastConfigError(f"sector={sector!r} is not one of the keys {list(spec.keys)}.")
    wanted = [spec.period, *spec.keys, spec.target]
    missing = [c for c in wanted if c not in source.columns]
    if missing:
        raise SkillcastDataError(f"The panel has no column(s) {missing}.")
    extra = [needs] if needs is not None and needs in source.columns else []
    frame = source.loc[:, [*wanted, *extra]].reset_index(drop=True)
    for column in [spec.target, *extra]:
        values = pd.to_numeric(frame[column], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0) | (values != np.round(values))
        if bad.any():
            raise SkillcastDataError(
                f"Column {column!r}: {int(bad.sum())} row(s) are not whole numbers >= 0; "
                "enterprises report whole workers."
            )
        frame[column] = values.astype(np.int64)
    parsed = parse_periods(frame[spec.period], spec.frequency)
    if (parsed.unparseable | parsed.off_grid).any():
        raise SkillcastDataError(
            f"Column {spec.period!r} holds labels that are not {spec.frequency.name} periods."
        )
    frame["_period"] = parsed.periods
    frame["_step"] = spec.frequency.steps(parsed.periods, parsed.periods.min())
    frame["_cell"] = frame.groupby(list(spec.keys), sort=True).ngroup().to_numpy()
    if frame.duplicated(["_cell", "_step"]).any():
        raise SkillcastDataError("The panel repeats (keys, period) rows.")
    span = frame.groupby("_cell")["_step"].agg(["min", "max", "size"])
    last = int(frame["_step"].max())
    if ((span["max"] != last) | (span["size"] != last - span["min"] + 1)).any():
        raise SkillcastDataError(
            "Every series must run without a gap to the panel's last period: a cell that "
            "stops or skips a period would make its enterprises look missing."
        )
    return frame.sort_values(["_cell", "_step"], ignore_index=True), spec


def _cells(frame: pd.DataFrame, spec: PanelSpec, sector: str) -> pd.DataFrame:
    """One row per cell: its keys, mean size and first step."""
    grouped = frame.groupby("_cell", sort=True)
    cells = grouped[list(spec.keys)].first()
    cells["size"] = grouped[spec.target].mean()
    cells["first"] = grouped["_step"].min()
    cells["sector_id"] = cells.groupby(sector, sort=True).ngroup()
    return cells.reset_index()


def _draw_firms(
    rng: np.random.Generator, cells: pd.DataFrame, sector: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enterprises (``_firm``, sector, ``weight``, ``enterprise_id``) and the cells each
    employs in (``_cell``, ``_firm``, ``share``: its relative weight in that cell)."""
    k = np.maximum(np.rint(np.sqrt(cells["size"].to_numpy() / WORKERS_PER_LINK)), 1)
    cells = cells.assign(_k=k.astype(np.int64))
    per_sector = cells.groupby("sector_id")["_k"].max().to_numpy()
    n_firms = np.ceil(FIRM_SLACK * per_sector).astype(np.int64) + 1
    total = int(n_firms.sum())
    weight = np.minimum(rng.pareto(FIRM_PARETO_ALPHA, total) + 1.0, FIRM_WEIGHT_CAP)
    codes = rng.choice(10**8, size=total, replace=False)
    firm_sector = np.repeat(np.arange(len(n_firms)), n_firms)
    names = cells.groupby("sector_id")[sector].first().to_numpy()
    firms = pd.DataFrame(
        {
            "_firm": np.arange(total),
            sector: names[firm_sector],
            "weight": weight,
            "enterprise_id": [f"{ID_PREFIX}{c:08d}" for c in codes],
        }
    )
    offsets = np.r_[0, np.cumsum(n_firms)]
    pairs = []
    for s in range(len(n_firms)):  # a few dozen sectors; cells x firms within each
        rows = cells.loc[cells["sector_id"] == s]
        ids = np.arange(offsets[s], offsets[s + 1])
        # Gumbel top-k: each cell picks k firms without replacement, chance ~ weight
        score = np.log(weight[ids])[None, :] + rng.gumbel(size=(len(rows), len(ids)))
        rank = np.argsort(np.argsort(-score, axis=1), axis=1)
        chosen = rank < rows["_k"].to_numpy()[:, None]
        idle = ~chosen.any(axis=0)  # every firm employs someone: its best-scoring cell
        chosen[np.argmax(score[:, idle], axis=0), np.flatnonzero(idle)] = True
        r, f = np.nonzero(chosen)
        pairs.append(pd.DataFrame({"_cell": rows["_cell"].to_numpy()[r], "_firm": ids[f]}))
    links = pd.concat(pairs, ignore_index=True).sort_values(["_cell", "_firm"], ignore_index=True)
    links["share"] = np.exp(rng.normal(0.0, CELL_SHARE_SD, len(links)))
    return firms, links


def _split_cells(
    rng: np.random.Generator,
    frame: pd.DataFrame,
    spec: PanelSpec,
    links: pd.DataFrame,
    firms: pd.DataFrame,
    n_steps: int,
    needs: str | None,
) -> pd.DataFrame:
    """One row per (cell, step, firm): ``employed`` (and ``needs``) summing to the cell's."""
    growth = np.exp(np.cumsum(rng.normal(0.0, FIRM_GROWTH_SD, (len(firms), n_steps)), axis=1))
    cols = ["_cell", "_step", spec.target, *([needs] if needs else [])]
    rows = frame[cols].merge(links, on="_cell", how="inner", sort=False)
    rows = rows.sort_values(["_cell", "_step", "_firm"], ignore_index=True)
    firm, step = rows["_firm"].to_numpy(), rows["_step"].to_numpy()
    weight = firms["weight"].to_numpy()[firm] * rows["share"].to_numpy() * growth[firm, step]
    group = rows.groupby(["_cell", "_step"], sort=False).ngroup().to_numpy()
    share = weight / np.bincount(group, weights=weight)[group]
    out = rows[["_cell", "_step", "_firm"]].copy()
    out["employed"] = _largest_remainder(rows[spec.target].to_numpy(), share, group)
    if needs:
        out["recruitment_needs"] = _largest_remainder(rows[needs].to_numpy(), share, group)
    return out


def _largest_remainder(total: np.ndarray, share: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Whole parts of ``total`` (the group's, repeated on its rows) by ``share``, summing
    exactly to it: floors, then one more for the largest fractions (rows sorted by group)."""
    exact = total * share
    base = np.floor(exact).astype(np.int64)
    short = total - np.bincount(group, weights=base).astype(np.int64)[group]
    order = np.lexsort((np.arange(len(exact)), base - exact, group))
    start = np.flatnonzero(np.r_[True, group[order][1:] != group[order][:-1]])
    rank = np.empty(len(exact), dtype=np.int64)
    rank[order] = np.arange(len(exact)) - np.repeat(start, np.diff(np.r_[start, len(exact)]))
    return base + (rank < short)


def _firm_table(
    firms: pd.DataFrame, links: pd.DataFrame, rows: pd.DataFrame, sector: str
) -> pd.DataFrame:
    per_step = rows.groupby(["_firm", "_step"])["employed"].sum().groupby("_firm").mean()
    workers = per_step.reindex(firms["_firm"], fill_value=0.0).to_numpy()
    band = np.select(
        [workers <= 10, workers <= 100, workers <= 200], ["micro", "small", "medium"], "large"
    )
    return pd.DataFrame(
        {
            "enterprise_id": firms["enterprise_id"].to_numpy(),
            sector: firms[sector].to_numpy(),
            "cells": np.bincount(links["_firm"].to_numpy(), minlength=len(firms)),
            "workers": np.round(workers, 1),
            "size_band": band,
        }
    ).sort_values("enterprise_id", ignore_index=True)
