"""Enterprise reports -> panel rows: :func:`aggregate_reports`.

Employers report their workforce every six months (Decree 145/2020/ND-CP: the
half-year report before 5 June, the annual one before 5 December). Reports come
twice, late or not at all; this module sums them into one row per (keys, period) and
says how much of each number was carried forward from an older report.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import PanelSpec
from skillcast.periods import Frequency, frequency, parse_periods

_MAX_EXAMPLES = 5
# Vietnam's statutory deadlines are local dates
LOCAL_TZ = "Asia/Ho_Chi_Minh"
DeadlineRule = Callable[[pd.PeriodIndex], pd.DatetimeIndex]


@dataclass(frozen=True)
class ReportAggregation:
    """Result of :func:`aggregate_reports`.

    Attributes:
        frame: one row per (keys, period): the key columns, the period (pandas Period),
            the target (workers summed over enterprises, float64), ``n_enterprises``
            (enterprises behind the number, reported or carried), ``n_carried`` (of
            them, carried forward from an older report) and ``n_late`` (of them,
            reported after the deadline). Sorted by keys then period.
        rows_in: report rows received.
        dropped_duplicates: rows replaced by a later submission of the same
            (enterprise, period, keys).
        reports: (enterprise, period) reports kept.
        late_reports: of those, reports with a row submitted after the deadline.
        carried_reports: (enterprise, period) pairs filled from the enterprise's last
            report.
        carried_rows: report rows created by carrying forward.
        lapsed_reports: (enterprise, period) pairs missing beyond the carry-forward
            window (the enterprise counts as not reporting; nothing is filled).
        zero_filled: output rows with no enterprise behind them (a true zero: no
            reporting enterprise employs anyone in that cell that period).
        by_period: the same accounting per period of the output, one row per period
            from the first report to the panel end: ``period`` (text label such as
            ``2024-H1``), ``rows_in``, ``dropped_duplicates``, ``reports``, ``late``,
            ``carried``, ``lapsed``, ``zero_filled`` (int64). Its columns sum to the
            totals above, except that rows for periods after ``end`` count in
            ``rows_in`` and ``dropped_duplicates`` only.
    """

    frame: pd.DataFrame
    rows_in: int
    dropped_duplicates: int
    reports: int
    late_reports: int
    carried_reports: int
    carried_rows: int
    lapsed_reports: int
    zero_filled: int
    by_period: pd.DataFrame

    def accounting(self) -> dict[str, int]:
        """The totals as plain ints, for logging: ``rows_in``, ``dropped_duplicates``,
        ``reports``, ``late_reports``, ``carried_reports``, ``carried_rows``,
        ``lapsed_reports``, ``zero_filled``."""
        names = ("rows_in", "dropped_duplicates", "reports", "late_reports", "carried_reports",
                 "carried_rows", "lapsed_reports", "zero_filled")  # fmt: skip
        return {name: int(getattr(self, name)) for name in names}


def statutory_deadline(periods: pd.PeriodIndex) -> pd.DatetimeIndex:
    """Last on-time day of each period's report under Decree 145/2020/ND-CP.

    First half-year: 5 June; second half-year and a whole year: 5 December, all of
    the period's own year. Quarterly and monthly periods have no statutory deadline
    (NaT: lateness is not assessed).
    """
    idx = pd.PeriodIndex(periods)
    name = frequency(idx.freqstr.split("-")[0]).name  # "Y-DEC" -> annual
    out = pd.Series(pd.NaT, index=range(len(idx)), dtype="datetime64[ns]")
    if name in ("semiannual", "annual"):
        start = idx.start_time
        month = np.where((name == "semiannual") & (start.month <= 6), 6, 12)
        out[:] = pd.to_datetime(pd.DataFrame({"year": start.year, "month": month, "day": 5}))
    return pd.DatetimeIndex(out)


def aggregate_reports(
    reports: pd.DataFrame,
    spec: PanelSpec,
    carry_forward: int = 1,
    *,
    enterprise: str = "enterprise_id",
    count: str = "count",
    submitted_at: str = "submitted_at",
    end: str | pd.Period | None = None,
    deadline: DeadlineRule = statutory_deadline,
    fill_zeros: bool = True,
) -> ReportAggregation:
    """Sum enterprise report rows into panel rows, one per (``spec.keys``, period).

    Rules, in the order they apply:

    1. **Duplicates: the latest submission wins.** Rows with the same (enterprise,
       period, keys) are resolved to one: the one with the latest ``submitted_at`` if
       that column exists (ties: the later row in the file), else the last in file
       order. The others are dropped and counted.
    2. **Late reports are accepted and counted.** A kept row submitted after its
       period's deadline (``deadline``; by default 5 June for H1, 5 December for H2)
       marks its (enterprise, period) report late.
    3. **Carry forward, at most ``carry_forward`` periods.** An enterprise missing a
       period after its first report (up to the panel end: ``end``, else the latest
       reported period) is filled with a copy of its last report, for at most
       ``carry_forward`` consecutive periods (0 disables it); beyond that it lapses
       and contributes nothing.
    4. **Absent cells are zeros.** Enterprises list every occupation they employ, so a
       cell that no reporting or carried enterprise lists in a period, between its
       first appearance and the panel end, is 0 (``fill_zeros=False`` leaves it out).

    Args:
        reports: one row per (enterprise, period, keys) with columns ``enterprise``,
            ``spec.period``, ``spec.keys``, ``count`` (workers, non-negative) and
            optionally ``submitted_at`` (timestamps). Never modified.
        spec: the panel spec the output is for: its period, frequency, keys and target.
        carry_forward: most consecutive periods a missing report is filled from the
            enterprise's last one.
        enterprise, count, submitted_at: names of those report columns. Every row
            needs a submission time when the ``submitted_at`` column exists; naive
            times are local (Vietnam), aware ones are converted to local time.
        end: last period of the panel (default: the latest reported period); rows
            after it are left out (and out of the counts), missing reports up to it
            are carried or lapse.
        deadline: maps a PeriodIndex to each period's last on-time day (NaT: never
            late); default :func:`statutory_deadline`. Carried rows are never late.
        fill_zeros: add the zero rows of rule 4.

    Returns:
        A :class:`ReportAggregation`; its ``frame`` loads with ``load_panel(frame,
        spec)`` once any exogenous columns of ``spec`` are joined on.

    Raises:
        SkillcastDataError: missing columns, empty keys or enterprise ids, unreadable
            periods or timestamps, non-numeric, infinite or negative counts.
    """
    if not isinstance(carry_forward, int | np.integer) or carry_forward < 0:
        raise SkillcastConfigError(f"carry_forward must be an integer >= 0, not {carry_forward!r}.")
    freq = spec.frequency
    keys = list(spec.keys)
    has_stamp = submitted_at in reports.columns
    rows = _validated(reports, spec, enterprise, count, submitted_at if has_stamp else None)
    rows_in = len(rows)

    # 1. the latest submission wins
    ident = [enterprise, "_step", *keys]
    order = ["_stamp", "_pos"] if has_stamp else ["_pos"]
    rows = rows.sort_values(order, kind="stable")
    superseded = rows.duplicated(ident, keep="last").to_numpy()
    received, dropped_steps = rows["_step"].to_numpy(), rows["_step"].to_numpy()[superseded]
    rows = rows.loc[~superseded]
    dropped = rows_in - len(rows)

    origin = rows["_period"].min()
    end_step = _end_step(end, rows, freq, origin)
    rows = rows.loc[rows["_step"] <= end_step]

    # 2. lateness against the deadline of each row's period
    if has_stamp:
        due = pd.Series(deadline(pd.PeriodIndex(rows["_period"])), index=rows.index)
        rows["_late"] = (rows["_stamp"].dt.normalize() > due).fillna(False).astype(np.int64)
    else:
        rows["_late"] = 0
    report_late = rows.groupby([enterprise, "_step"], sort=False)["_late"].max()

    # 3. carry forward
    carried, carried_steps, lapsed_steps = _carry(rows, enterprise, carry_forward, end_step)
    everything = pd.concat([rows.assign(_carried=0), carried], ignore_index=True)

    grouped = everything.groupby([*keys, "_step"], sort=True, observed=True)
    out = grouped.agg(
        _target=(count, "sum"),
        n_enterprises=(enterprise, "size"),
        n_carried=("_carried", "sum"),
        n_late=("_late", "sum"),
    ).reset_index()
    out["_zero"] = False
    if fill_zeros and len(out):
        out = _fill_zero_cells(out, keys, end_step)
    zero_steps = out["_step"].to_numpy()[out["_zero"].to_numpy(dtype=bool)]
    periods = freq.range(origin, origin + int(end_step))  # Period + 1 = next period
    frame = out[keys].copy()
    frame[spec.period] = pd.Series(periods[out["_step"].to_numpy()], index=out.index)
    frame[spec.target] = out["_target"].astype("float64")
    for column in ("n_enterprises", "n_carried", "n_late"):
        frame[column] = out[column].astype(np.int64)
    report_steps = report_late.index.get_level_values("_step").to_numpy()
    by_period = _per_period(
        freq.labels(periods),
        rows_in=received,
        dropped_duplicates=dropped_steps,
        reports=report_steps,
        late=report_steps[report_late.to_numpy() > 0],
        carried=carried_steps,
        lapsed=lapsed_steps,
        zero_filled=zero_steps,
    )
    return ReportAggregation(
        frame=frame.reset_index(drop=True),
        rows_in=rows_in,
        dropped_duplicates=dropped,
        reports=len(report_late),
        late_reports=int(report_late.sum()),
        carried_reports=len(carried_steps),
        carried_rows=len(carried),
        lapsed_reports=len(lapsed_steps),
        zero_filled=len(zero_steps),
        by_period=by_period,
    )


def _per_period(labels: np.ndarray, **steps: np.ndarray) -> pd.DataFrame:
    """Counts of each event per period, from the step of every event (steps past the
    last label are left out)."""
    n = len(labels)
    table = pd.DataFrame({"period": pd.Series(labels, dtype=object).astype(str)})
    for name, at in steps.items():
        at = np.asarray(at, dtype=np.int64)
        table[name] = np.bincount(at[at < n], minlength=n).astype(np.int64)
    return table


def _validated(
    reports: pd.DataFrame, spec: PanelSpec, enterprise: str, count: str, stamp: str | None
) -> pd.DataFrame:
    """A checked copy with ``_period``, ``_step``, ``_pos`` (file order), ``_stamp``."""
    if not isinstance(reports, pd.DataFrame):
        raise SkillcastDataError(f"reports must be a pandas DataFrame, not {type(reports)}.")
    needed = [enterprise, spec.period, *spec.keys, count]
    missing = [c for c in needed if c not in reports.columns]
    if missing:
        raise SkillcastDataError(
            f"Report column(s) {missing} missing; the reports have {list(reports.columns)}. "
            "Rename the columns, or pass enterprise=, count= and a spec whose period and "
            "keys name them."
        )
    if reports.empty:
        raise SkillcastDataError("The reports have no rows: nothing to aggregate.")
    rows = reports.loc[:, [*needed, *([stamp] if stamp else [])]].copy()
    shown = [c for c in [enterprise, spec.period, *spec.keys, count, stamp] if c]
    for column in [enterprise, *spec.keys]:
        empty = rows[column].isna().to_numpy()
        if empty.any():
            raise _error(rows, empty, column, shown, "are empty", "Fill or drop these rows.")
    values = pd.to_numeric(rows[count], errors="coerce")
    bad = values.isna().to_numpy() | np.isinf(values.to_numpy(dtype=float))
    if bad.any():
        raise _error(rows, bad, count, shown, "are not finite numbers",
                     "Write worker counts as plain numbers; drop rows with no count.")  # fmt: skip
    negative = (values < 0).to_numpy()
    if negative.any():
        raise _error(rows, negative, count, shown, "are negative",
                     "Worker counts cannot be negative: correct the reports.")  # fmt: skip
    rows[count] = values.astype("float64")
    parsed = parse_periods(rows[spec.period], spec.frequency)
    unreadable = parsed.unparseable | parsed.off_grid
    if unreadable.any():
        raise _error(rows, unreadable, spec.period, shown,
                     f"are not {spec.frequency.name} periods",
                     "Write periods as 2024-H1, 2024Q3, 2024 or an ISO date of the period, "
                     "matching PanelSpec.freq.")  # fmt: skip
    rows["_period"] = parsed.periods
    rows["_step"] = spec.frequency.steps(rows["_period"], rows["_period"].min())
    rows["_pos"] = np.arange(len(rows))
    if stamp:
        stamps = pd.to_datetime(rows[stamp], errors="coerce", format="mixed")
        if isinstance(stamps.dtype, pd.DatetimeTZDtype):
            stamps = stamps.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
        bad = stamps.isna().to_numpy()
        if bad.any():
            raise _error(rows, bad, stamp, shown, "are empty or not timestamps",
                         "Give every row its submission time (ISO 8601), or drop the "
                         f"{stamp!r} column to resolve duplicates by file order.")  # fmt: skip
        rows["_stamp"] = stamps
    return rows


def _error(
    rows: pd.DataFrame, mask: np.ndarray, column: str, shown: list[str], problem: str,
    remedy: str,
) -> SkillcastDataError:  # fmt: skip
    n = int(np.count_nonzero(mask))
    examples = rows.loc[mask, shown].head(_MAX_EXAMPLES).to_string(max_colwidth=40)
    return SkillcastDataError(
        f"Column {column!r}: {n} report row(s) {problem}. "
        f"First {min(n, _MAX_EXAMPLES)}:\n{examples}\n{remedy}"
    )


def _end_step(
    end: str | pd.Period | None, rows: pd.DataFrame, freq: Frequency, origin: pd.Period
) -> int:
    latest = int(rows["_step"].max())
    if end is None:
        return latest
    parsed = parse_periods(pd.Series([end]), freq)
    if parsed.unparseable[0] or parsed.off_grid[0]:
        raise SkillcastConfigError(f"end={end!r} is not a {freq.name} period.")
    step = int(freq.steps(parsed.periods, origin)[0])
    if step < 0:
        raise SkillcastConfigError(f"end={end!r} comes before the first report.")
    return step


def _carry(
    rows: pd.DataFrame, enterprise: str, limit: int, end_step: int
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Copies of each enterprise's last report for the periods it missed.

    Returns the carried rows (``_step`` = the period filled, ``_carried`` = 1,
    ``_late`` = 0), the step of each (enterprise, period) pair filled and the step of
    each pair left empty because the gap ran past ``limit``.
    """
    events = (
        rows[[enterprise, "_step"]]
        .drop_duplicates()
        .sort_values([enterprise, "_step"], kind="stable", ignore_index=True)
    )
    steps = events["_step"].to_numpy(dtype=np.int64)
    nxt = events.groupby(enterprise, sort=False)["_step"].shift(-1)
    nxt = nxt.fillna(end_step + 1).to_numpy(dtype=np.int64)
    # periods missing after each report, until the next report or the panel end
    missing = np.clip(np.minimum(nxt, end_step + 1) - steps - 1, 0, None)
    n_fill = np.minimum(missing, limit)
    event_of, offset = _runs(n_fill)
    lapse_of, lapse_offset = _runs(missing - n_fill)
    lapsed_steps = steps[lapse_of] + n_fill[lapse_of] + lapse_offset
    filled = pd.DataFrame(
        {
            enterprise: events[enterprise].to_numpy()[event_of],
            "_source": steps[event_of],
            "_fill": steps[event_of] + offset,
        }
    )
    source = rows.rename(columns={"_step": "_source"})
    carried = filled.merge(source, on=[enterprise, "_source"], how="inner")
    carried = carried.drop(columns="_source").rename(columns={"_fill": "_step"})
    carried["_late"] = 0
    carried["_carried"] = 1
    return carried, filled["_fill"].to_numpy(), lapsed_steps


def _runs(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For runs of the given lengths: the run of each element and its 1-based offset."""
    of = np.repeat(np.arange(len(lengths)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) + 1
    return of, offset


def _fill_zero_cells(out: pd.DataFrame, keys: list[str], end_step: int) -> pd.DataFrame:
    """Add zero rows for the periods a cell is absent, from its first period to the end."""
    out = out.sort_values([*keys, "_step"], kind="stable", ignore_index=True)
    cell = out.groupby(keys, sort=False, observed=True).ngroup().to_numpy()
    starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
    first = out["_step"].to_numpy()[starts]
    lengths = end_step - first + 1
    cell_of, offset = _runs(lengths)
    step = first[cell_of] + offset - 1
    grid = out.loc[starts[cell_of], keys].reset_index(drop=True)
    grid["_step"] = step
    full = grid.merge(out, on=[*keys, "_step"], how="left")
    full["_zero"] = full["_zero"].isna()
    for column in ("_target", "n_enterprises", "n_carried", "n_late"):
        full[column] = full[column].fillna(0)
    return full
