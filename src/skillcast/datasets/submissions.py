"""How the synthetic enterprises of :mod:`skillcast.datasets.enterprises` submit their
reports: which reports are late, missing or sent twice, when each submission arrives,
and the rows as the city receives them.

Faults are drawn per (enterprise, period) report so that each one is a single, named
departure from the truth, which the accounting of
:func:`~skillcast.datasets.aggregate_reports` can be checked against.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Submissions. On time: within ON_TIME_DAYS before the deadline, office hours.
ON_TIME_DAYS = 30
OFFICE_MINUTES = (7 * 60 + 30, 17 * 60 + 30)  # 07:30 to 17:30, local time
LATE_RATE = 0.12  # share of reports submitted after the deadline
LATE_DAYS_MEAN = 20.0  # days late beyond the first, exponential ...
LATE_DAYS_MAX = 120  # ... and capped
MISSING_RATE = 0.05  # share of reports (after an enterprise's first) never submitted
LAPSE_SHARE = 0.3  # of those, the share followed by a second missing report
RESUBMIT_RATE = 0.04  # share of reports sent twice: a wrong one, then the correction
CORRECTION_DAYS_MAX = 14  # the wrong submission came 1 to this many days earlier


def draw_faults(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    cells: pd.DataFrame,
    n_firms: int,
    n_steps: int,
    rates: tuple[float, float, float, float],
) -> pd.DataFrame:
    """The faults of every report, drawn on the full firm x step grid so that the draws
    do not depend on which reports exist.

    Args:
        rows: one row per (cell, step, firm) of the split: ``_cell``, ``_step``, ``_firm``.
        cells: per cell (row ``_cell``) its ``first`` step.
        n_firms, n_steps: size of the grid.
        rates: late, missing, lapse and resubmit rates (see the constants above).

    Returns:
        One row per (firm, step) with rows: ``_firm``, ``_step``, ``rows``, ``missing``,
        ``late``, ``resubmitted``, ``since_report``, ``carried_rows`` (as in
        :attr:`EnterpriseReports.log <skillcast.datasets.EnterpriseReports>`).
    """
    late_rate, missing_rate, lapse_share, resubmit_rate = rates
    shape = (n_firms, n_steps)
    u_miss, u_lapse, u_late, u_resubmit = (rng.random(shape) for _ in range(4))
    firm_of, step_of = rows["_firm"].to_numpy(), rows["_step"].to_numpy()
    counts = np.zeros(shape, dtype=np.int64)
    np.add.at(counts, (firm_of, step_of), 1)
    exists = counts > 0
    first = np.argmax(exists, axis=1)
    # a report in which one of the firm's cells starts: carrying the previous one forward
    # would delay the cell's first appearance, a change the accounting does not show
    starts_cell = np.zeros(shape, dtype=bool)
    starts_cell[firm_of, cells["first"].to_numpy()[rows["_cell"].to_numpy()]] = True
    eligible = exists & (np.arange(n_steps)[None, :] > first[:, None]) & ~starts_cell
    start = eligible & (u_miss < missing_rate)
    second = np.zeros(shape, dtype=bool)
    second[:, 1:] = start[:, :-1] & (u_lapse[:, :-1] < lapse_share)
    missing = start | (second & eligible)
    submitted = exists & ~missing
    since = np.zeros(shape, dtype=np.int64)  # periods since the last submitted report
    last_rows = np.zeros(shape, dtype=np.int64)  # rows of that report: what a carry copies
    for t in range(1, n_steps):  # a loop over periods, vectorised across firms
        since[:, t] = np.where(missing[:, t], since[:, t - 1] + 1, 0)
        last_rows[:, t] = np.where(submitted[:, t - 1], counts[:, t - 1], last_rows[:, t - 1])
    firm, step = np.nonzero(exists)
    gone = missing[firm, step]
    return pd.DataFrame(
        {
            "_firm": firm,
            "_step": step,
            "rows": counts[firm, step],
            "missing": gone,
            "late": ~gone & (u_late[firm, step] < late_rate),
            "resubmitted": ~gone & (u_resubmit[firm, step] < resubmit_rate),
            "since_report": since[firm, step],
            "carried_rows": np.where(gone, last_rows[firm, step], 0),
        }
    )


def submission_times(
    rng: np.random.Generator, log: pd.DataFrame, due: pd.DatetimeIndex
) -> tuple[np.ndarray, np.ndarray]:
    """Submission times per report of ``log`` (datetime64[ns], local): the kept one
    (1 to 121 days after ``due`` for a late report, within the 30 days up to it
    otherwise) and an earlier one, 1-14 days before, for the wrong first submission of a
    resubmitted report (ignored for the others). ``due`` is each step's last on-time
    day; times fall in office hours."""
    n = len(log)
    early = rng.integers(0, ON_TIME_DAYS, n)
    overdue = 1 + np.minimum(np.floor(rng.exponential(LATE_DAYS_MEAN, n)), LATE_DAYS_MAX)
    back = 1 + rng.integers(0, CORRECTION_DAYS_MAX, n)
    minutes = rng.integers(*OFFICE_MINUTES, size=(2, n))
    day = due.to_numpy()[log["_step"].to_numpy()]
    days = np.where(log["late"].to_numpy(), overdue, -early).astype("timedelta64[D]")
    kept = day + days + minutes[0].astype("timedelta64[m]")
    wrong = day + days - back.astype("timedelta64[D]") + minutes[1].astype("timedelta64[m]")
    return kept.astype("datetime64[ns]"), wrong.astype("datetime64[ns]")


def submitted_rows(
    rng: np.random.Generator,
    rows: pd.DataFrame,
    log: pd.DataFrame,
    kept: np.ndarray,
    wrong: np.ndarray,
    labels: np.ndarray,
    names: tuple[pd.DataFrame, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The complete (true) report rows and the rows as submitted, in report form:
    ``enterprise_id``, ``submitted_at``, ``period`` (from ``labels``), the keys,
    ``employed`` and ``recruitment_needs`` when split; sorted by time, enterprise, keys.

    ``names`` is (firms with ``enterprise_id``, cells with ``_cell`` and the keys);
    ``kept`` and ``wrong`` are :func:`submission_times` per row of ``log``.
    """
    firms, cells = names
    report = log.reset_index(drop=True).reset_index(names="_report")[["_firm", "_step", "_report"]]
    rows = rows.merge(report, on=["_firm", "_step"], how="left", sort=False)
    rows = rows.sort_values(["_report", "_cell"], ignore_index=True)
    rid = rows["_report"].to_numpy()
    complete = _report_rows(rows, kept[rid], firms, cells, labels)
    keep = ~log["missing"].to_numpy()[rid]
    # a resubmitted report: a first copy with one count typed with an extra zero
    again = log["resubmitted"].to_numpy()
    pick = np.flatnonzero(again[rid])
    copy = rows.iloc[pick].reset_index(drop=True)
    if len(copy):
        sizes = log["rows"].to_numpy()[again]
        starts = np.r_[0, np.cumsum(sizes)[:-1]]
        typo = starts + np.floor(rng.random(len(sizes)) * sizes).astype(np.int64)
        value = copy["employed"].to_numpy().copy()
        value[typo] = np.where(value[typo] > 0, value[typo] * 10, 10)
        copy["employed"] = value
    wrong_rows = _report_rows(copy, wrong[copy["_report"].to_numpy()], firms, cells, labels)
    submitted = pd.concat([complete.loc[keep], wrong_rows], ignore_index=True)
    order = ["submitted_at", "enterprise_id", *cells.columns.drop(["_cell"]).tolist()]
    text = ["enterprise_id", "period", *order[2:]]
    out = []
    for table in (complete, submitted):
        table = table.sort_values(order, kind="stable", ignore_index=True)
        out.append(table.astype(dict.fromkeys(text, str)))
    return out[0], out[1]


def _report_rows(
    rows: pd.DataFrame,
    stamps: np.ndarray,
    firms: pd.DataFrame,
    cells: pd.DataFrame,
    labels: np.ndarray,
) -> pd.DataFrame:
    cell = rows["_cell"].to_numpy()
    out = pd.DataFrame(
        {
            "enterprise_id": firms["enterprise_id"].to_numpy()[rows["_firm"].to_numpy()],
            "submitted_at": stamps,
            "period": labels[rows["_step"].to_numpy()],
        }
    )
    for key in cells.columns.drop("_cell"):
        out[key] = cells[key].to_numpy()[cell]
    for column in ("employed", "recruitment_needs"):
        if column in rows.columns:
            out[column] = rows[column].to_numpy(dtype=np.int64)
    return out
