"""Datasets: a synthetic Hai Phong-like generator, the bundled sample and its graduate
supply table, enterprise-report aggregation and a real Eurostat occupation x education
extract reader."""

from skillcast.datasets.eurostat import (
    EUROSTAT_SPEC,
    build_eurostat_extract,
    load_eurostat_extract,
    read_eurostat_extract,
)
from skillcast.datasets.reports import ReportAggregation, aggregate_reports, statutory_deadline
from skillcast.datasets.sample import (
    SAMPLE_SEED,
    SAMPLE_SPEC,
    load_sample,
    load_sample_plan,
    load_sample_supply,
    sample_spec,
)
from skillcast.datasets.synthetic import make_hai_phong_like

__all__ = [
    "EUROSTAT_SPEC",
    "SAMPLE_SEED",
    "SAMPLE_SPEC",
    "ReportAggregation",
    "aggregate_reports",
    "build_eurostat_extract",
    "load_eurostat_extract",
    "load_sample",
    "load_sample_plan",
    "load_sample_supply",
    "make_hai_phong_like",
    "read_eurostat_extract",
    "sample_spec",
    "statutory_deadline",
]
