"""Datasets: a synthetic Hai Phong-like generator and the enterprises behind it, the
bundled sample with its graduate supply table and report batches, enterprise-report
reading and aggregation, a national-scale generator (all provinces, mostly empty
cells) for the distributed path, and a real Eurostat occupation x education extract reader."""

from skillcast.datasets.enterprises import EnterpriseReports, make_enterprise_reports
from skillcast.datasets.eurostat import (
    EUROSTAT_SPEC,
    build_eurostat_extract,
    load_eurostat_extract,
    read_eurostat_extract,
)
from skillcast.datasets.national import make_national, national_spec
from skillcast.datasets.report_batches import read_report_batches
from skillcast.datasets.report_data import ReportData, load_reports
from skillcast.datasets.reports import ReportAggregation, aggregate_reports, statutory_deadline
from skillcast.datasets.sample import (
    SAMPLE_SEED,
    SAMPLE_SPEC,
    load_sample,
    load_sample_plan,
    load_sample_supply,
    sample_reports_folder,
    sample_spec,
)
from skillcast.datasets.synthetic import make_hai_phong_like

__all__ = [
    "EUROSTAT_SPEC",
    "SAMPLE_SEED",
    "SAMPLE_SPEC",
    "EnterpriseReports",
    "ReportAggregation",
    "ReportData",
    "aggregate_reports",
    "build_eurostat_extract",
    "load_eurostat_extract",
    "load_reports",
    "load_sample",
    "load_sample_plan",
    "load_sample_supply",
    "make_enterprise_reports",
    "make_hai_phong_like",
    "make_national",
    "national_spec",
    "read_eurostat_extract",
    "read_report_batches",
    "sample_reports_folder",
    "sample_spec",
    "statutory_deadline",
]
