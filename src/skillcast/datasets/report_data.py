"""Report batches -> a validated panel with its accounting: :func:`load_reports`.

What the apps load: :func:`~skillcast.datasets.read_report_batches` reads the folder,
:func:`~skillcast.datasets.aggregate_reports` sums the rows, and the result carries the
panel, the accounting of what happened to the reports, and the declared recruitment
needs, for logging next to the model trained on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from skillcast.datasets.report_batches import read_report_batches
from skillcast.datasets.reports import ReportAggregation, aggregate_reports
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import Panel, PanelSpec, load_panel
from skillcast.periods import parse_periods
from skillcast.reading import ReadOptions


@dataclass(frozen=True)
class ReportData:
    """What :func:`load_reports` gives.

    Attributes:
        panel: the validated :class:`~skillcast.panel.Panel` (``spec``'s columns only).
        aggregation: the :class:`~skillcast.datasets.ReportAggregation`: its ``frame``
            adds ``n_enterprises``, ``n_carried`` and ``n_late`` to each panel row, its
            counts say what happened to the reports.
        needs: declared recruitment needs per (keys, period), from the kept report rows
            that declare them (not carried forward, not zero-filled: a need nobody
            declared is unknown, not zero): the keys, the period (pandas Period), the
            needs column (float64 sum) and ``n_declaring`` (enterprises). ``None`` when
            no batch has the column.
        batches: one row per file read, in reading order: ``batch`` (file name),
            ``rows``, ``first_period`` and ``last_period`` (labels).
    """

    panel: Panel
    aggregation: ReportAggregation
    needs: pd.DataFrame | None
    batches: pd.DataFrame

    @property
    def frame(self) -> pd.DataFrame:
        """The aggregated rows with their enterprise counts (``aggregation.frame``)."""
        return self.aggregation.frame

    @property
    def by_period(self) -> pd.DataFrame:
        """Accounting per period (``aggregation.by_period``): ``period`` (label),
        ``rows_in``, ``dropped_duplicates``, ``reports``, ``late``, ``carried``,
        ``lapsed``, ``zero_filled``."""
        return self.aggregation.by_period

    def accounting(self) -> dict[str, int]:
        """The totals, for logging (see :meth:`ReportAggregation.accounting`)."""
        return self.aggregation.accounting()


def load_reports(
    folder: str | PathLike[str],
    spec: PanelSpec | Mapping[str, Any] | None = None,
    carry_forward: int = 1,
    *,
    enterprise: str = "enterprise_id",
    submitted_at: str | None = "submitted_at",
    count: str = "employed",
    needs: str | None = "recruitment_needs",
    end: str | None = None,
    dayfirst: bool = False,
    read: ReadOptions | Mapping[str, Any] | None = None,
    drivers: pd.DataFrame | None = None,
) -> ReportData:
    """Read a folder of report batches and aggregate them into a validated panel.

    :func:`read_report_batches`, then :func:`~skillcast.datasets.aggregate_reports`
    (latest submission wins, late reports counted, missing reports carried forward for
    at most ``carry_forward`` periods, absent cells zero), then
    :func:`~skillcast.panel.load_panel` with ``spec``.

    Args:
        folder, enterprise, submitted_at, count, needs, dayfirst, read: as
            :func:`read_report_batches`.
        spec: the panel spec (a :class:`PanelSpec` or a mapping of its fields; default
            ``PanelSpec()``). Its target names the aggregated column.
        carry_forward, end: as :func:`~skillcast.datasets.aggregate_reports`.
        drivers: values of the spec's exogenous columns per period (a frame with
            ``spec.period`` and those columns; other columns and repeated rows of a
            period are ignored, e.g. ``load_sample(as_frame=True)``). Required when the
            spec declares any: reports carry no drivers.

    Returns:
        A :class:`ReportData`.
    """
    spec = _as_spec(spec)
    if spec.exog and drivers is None:
        raise SkillcastConfigError(
            f"The spec declares driver column(s) {list(spec.exog)}, which reports do not "
            "carry: pass drivers= a frame with the period and those columns, or drop them "
            "from the spec (known_exog, observed_exog)."
        )
    rows = read_report_batches(
        folder,
        spec,
        enterprise=enterprise,
        submitted_at=submitted_at,
        count=count,
        needs=needs,
        dayfirst=dayfirst,
        read=read,
    )
    aggregation = aggregate_reports(
        rows,
        spec,
        carry_forward,
        enterprise=enterprise,
        count=count,
        submitted_at=submitted_at or "",  # no times: a name the rows lack, file order rules
        end=end,
    )
    frame = aggregation.frame
    if drivers is not None and spec.exog:
        frame = _join_drivers(frame, drivers, spec)
    panel = load_panel(frame, spec)
    last = aggregation.frame[spec.period].max()
    declared = None
    if needs is not None and needs in rows.columns:
        declared = _declared_needs(
            rows.loc[rows[spec.period] <= last], spec, enterprise, submitted_at, needs
        )
    return ReportData(panel, aggregation, declared, _batch_table(rows, spec))


def _as_spec(spec: PanelSpec | Mapping[str, Any] | None) -> PanelSpec:
    if spec is None:
        return PanelSpec()
    if isinstance(spec, PanelSpec):
        return spec
    if isinstance(spec, Mapping):
        fields = {k: v for k, v in spec.items() if k != "_target_"}
        try:
            return PanelSpec(**fields)
        except TypeError as exc:
            raise SkillcastConfigError(f"spec: {exc}") from exc
    raise SkillcastConfigError(f"spec must be a PanelSpec or a mapping, not {type(spec)}.")


def _join_drivers(frame: pd.DataFrame, drivers: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
    """The aggregated rows with the drivers of their period."""
    wanted = [spec.period, *spec.exog]
    missing = [c for c in wanted if c not in drivers.columns]
    if missing:
        raise SkillcastDataError(
            f"drivers: column(s) {missing} missing; it has {list(drivers.columns)}."
        )
    table = drivers.loc[:, wanted].copy()
    parsed = parse_periods(table[spec.period], spec.frequency)
    if (parsed.unparseable | parsed.off_grid).any():
        raise SkillcastDataError(
            f"drivers: column {spec.period!r} holds labels that are not "
            f"{spec.frequency.name} periods."
        )
    table[spec.period] = parsed.periods
    table = table.drop_duplicates()
    repeated = table[spec.period].duplicated(keep=False)
    if repeated.any():
        periods = spec.frequency.labels(table.loc[repeated, spec.period].drop_duplicates())
        raise SkillcastDataError(
            f"drivers: the periods {list(periods[:5])} have more than one value of a driver; "
            "drivers are city-wide: one value per period."
        )
    absent = ~frame[spec.period].isin(table[spec.period])
    if absent.any():
        periods = spec.frequency.labels(frame.loc[absent, spec.period].drop_duplicates())
        raise SkillcastDataError(
            f"drivers: no values for the period(s) {list(periods[:5])} of the reports."
        )
    return frame.merge(table, on=spec.period, how="left", sort=False)


def _declared_needs(
    rows: pd.DataFrame, spec: PanelSpec, enterprise: str, submitted_at: str | None, needs: str
) -> pd.DataFrame:
    """Needs per (keys, period) from the kept rows (the latest submission, as in
    :func:`aggregate_reports`) that declare a value."""
    keys = list(spec.keys)
    order = rows.assign(_pos=np.arange(len(rows)))
    order = order.sort_values([submitted_at, "_pos"] if submitted_at else ["_pos"], kind="stable")
    kept = order.loc[~order.duplicated([enterprise, spec.period, *keys], keep="last")]
    kept = kept.loc[kept[needs].notna()]
    out = kept.groupby([*keys, spec.period], sort=True, observed=True).agg(
        **{needs: (needs, "sum"), "n_declaring": (enterprise, "size")}
    )
    out = out.reset_index()
    out["n_declaring"] = out["n_declaring"].astype(np.int64)
    return out


def _batch_table(rows: pd.DataFrame, spec: PanelSpec) -> pd.DataFrame:
    grouped = rows.groupby("batch", sort=False)[spec.period]
    table = grouped.agg(["size", "min", "max"]).reset_index()
    labels = spec.frequency.labels
    return pd.DataFrame(
        {
            "batch": table["batch"].astype(object),
            "rows": table["size"].astype(np.int64),
            "first_period": labels(pd.PeriodIndex(table["min"])),
            "last_period": labels(pd.PeriodIndex(table["max"])),
        }
    )
