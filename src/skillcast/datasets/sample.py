"""The bundled Hai Phong-like sample panel: :func:`load_sample` and :data:`SAMPLE_SPEC`.

The sample is ``make_hai_phong_like(seed=SAMPLE_SEED)``, semi-annual 2015-H1..2025-H2,
stored as ``data/hai_phong_sample.csv.gz``; its synthetic graduate supply,
``make_supply_table(load_sample(), seed=SAMPLE_SEED)`` (2015-H1..2030-H2), is stored as
``data/hai_phong_supply.csv.gz`` and read by :func:`load_sample_supply` (both described
in ``data/DATA_CARD.md``). :func:`load_sample_plan` gives the planned values of its
known drivers, 2015-H1..2035-H2 (computed, not stored). The enterprise reports behind the
sample's last :data:`REPORTS_PERIODS` half-years, ``make_enterprise_reports`` on it with
seed :data:`SAMPLE_SEED`, are stored one CSV per half-year in ``data/reports_sample/``
(:func:`sample_reports_folder`). Regenerate all three, byte for byte, with::

    python -m skillcast.datasets rebuild-sample
"""

from __future__ import annotations

import gzip
import io
from importlib import resources
from pathlib import Path

import pandas as pd

from skillcast.datasets.enterprises import EnterpriseReports, make_enterprise_reports
from skillcast.datasets.report_batches import CSV_SUFFIXES, PARQUET_SUFFIXES
from skillcast.datasets.synthetic import driver_plan, make_hai_phong_like
from skillcast.errors import SkillcastConfigError
from skillcast.panel import Panel, PanelSpec, load_panel

SAMPLE_SEED = 0
SAMPLE_FREQ = "6M"
SAMPLE_START = "2015"
SAMPLE_END = "2025"
SAMPLE_FILE = "hai_phong_sample.csv.gz"
SUPPLY_FILE = "hai_phong_supply.csv.gz"
SUPPLY_HORIZON = 10  # half-years of supply after the sample's last period (to 2030-H2)
REPORTS_FOLDER = "reports_sample"
# the report batches of the whole sample would be about 2.9 MB: the last ten half-years
# keep the folder near 1.3 MB and still give a backtest a few origins
REPORTS_PERIODS = 10
REPORTS_TIME_FORMAT = "%Y-%m-%d %H:%M"

SAMPLE_SPEC = PanelSpec(
    period="period",
    freq="semiannual",
    keys=("sector", "occupation", "level"),
    target="employment",
    measure="stock",
    known_exog=("port_throughput_mt", "tourist_arrivals_m"),
    observed_exog=("fdi_disbursed_busd",),
    gaps="error",
    unknown_codes="error",
)
"""Spec of the sample: employment stock by sector x occupation x level, semi-annual."""

# codes such as "0110" or "L0" must stay text; the period labels are parsed by load_panel
_TEXT_COLUMNS = {"period": str, "sector": str, "occupation": str, "level": str}
_SUPPLY_TEXT = {"period": str, "occupation": str, "level": str}


def sample_path(name: str = SAMPLE_FILE) -> Path:
    """Location of a bundled data file (default: the sample) inside the installed package."""
    return Path(str(resources.files("skillcast.datasets") / "data" / name))


def generate_sample() -> pd.DataFrame:
    """A fresh draw of the sample with its fixed seed (what the bundled file holds)."""
    return make_hai_phong_like(
        seed=SAMPLE_SEED, freq=SAMPLE_FREQ, start=SAMPLE_START, end=SAMPLE_END
    )


def load_sample(as_frame: bool = False, target: str = "employment") -> Panel | pd.DataFrame:
    """Load the bundled synthetic Hai Phong-like panel.

    Args:
        as_frame: return the raw long DataFrame (all columns, period labels as text)
            instead of a validated :class:`~skillcast.panel.Panel`.
        target: ``"employment"`` (stock of workers, spec :data:`SAMPLE_SPEC`) or
            ``"vacancies"`` (declared recruitment needs, measure ``openings``).

    Returns:
        A Panel of 512 series x 22 half-years (2015-H1..2025-H2) with known exogenous
        ``port_throughput_mt`` (Mt per half-year), ``tourist_arrivals_m`` (millions per
        half-year) and observed exogenous ``fdi_disbursed_busd`` (US$ bn per half-year);
        or the raw frame of 11,174 rows.
    """
    frame = pd.read_csv(sample_path(), dtype=_TEXT_COLUMNS)
    if as_frame:
        return frame
    return load_panel(frame, sample_spec(target))


def sample_spec(target: str = "employment") -> PanelSpec:
    """:data:`SAMPLE_SPEC` for ``employment`` (stock) or ``vacancies`` (openings)."""
    if target == "employment":
        return SAMPLE_SPEC
    if target == "vacancies":
        return SAMPLE_SPEC.with_(target="vacancies", measure="openings")
    raise SkillcastConfigError(
        f"The sample has targets 'employment' and 'vacancies', not {target!r}."
    )


def generate_sample_supply() -> pd.DataFrame:
    """A fresh draw of the sample's supply table (what the bundled file holds).

    ``make_supply_table`` on the bundled sample with seed :data:`SAMPLE_SEED`, periods as
    text labels (``2026-H1``), occupation and level codes as text.
    """
    from skillcast.demand import make_supply_table  # the demand layer loads on use only

    panel = load_sample()
    table = make_supply_table(panel, seed=SAMPLE_SEED, horizon=SUPPLY_HORIZON)
    table["period"] = panel.freq.labels(pd.PeriodIndex(table["period"]))
    return table


def load_sample_plan(end: str = "2035") -> pd.DataFrame:
    """The planned values of the sample's known drivers, 2015-H1 to ``end`` (a year or a
    half-year label; default 2035-H2): the port plan and the tourism target, as
    :func:`~skillcast.datasets.synthetic.driver_plan` describes. The periods after
    2025-H2 are what a forecast reads (``predict(horizon, exog=plan)``; the ``sample``
    data config sets it as ``data.future_exog``); the earlier ones are what was planned
    then, for replays of past cycles (``data.until``)."""
    text = str(end).strip()
    year, _, half = text.partition("-")
    if not year.isdigit() or half not in {"", "H1", "H2"} or int(year) < int(SAMPLE_START):
        raise SkillcastConfigError(
            f"end={end!r}: give a year or a half-year label from {SAMPLE_START} on (2035, 2030-H1)."
        )
    periods = (int(year) - int(SAMPLE_START)) * 2 + (1 if half == "H1" else 2)
    return driver_plan(SAMPLE_FREQ, start=SAMPLE_START, periods=periods)


def load_sample_supply() -> pd.DataFrame:
    """The bundled synthetic graduate supply that goes with the sample.

    Graduates entering the labour market by occupation (VSCO unit group, or sub-major
    group ``"24"``) x training level (``L1``..``L4``) x half-year, 2015-H1..2030-H2,
    deliberately out of step with the sample's demand (see
    :func:`skillcast.demand.make_supply_table`). Columns ``occupation``, ``level``,
    ``period`` (text labels), ``graduates`` (int64); 3,712 rows. Synthetic: never use it
    to inform a decision about Hai Phong.
    """
    frame = pd.read_csv(sample_path(SUPPLY_FILE), dtype=_SUPPLY_TEXT)
    frame["graduates"] = frame["graduates"].astype("int64")
    return frame


def write_sample(path: str | Path | None = None) -> Path:
    """Write the sample as gzip CSV with a fixed header, so rebuilds are byte-identical."""
    path = Path(path) if path is not None else sample_path()
    return _write_gzip_csv(generate_sample(), path)


def write_sample_supply(path: str | Path | None = None) -> Path:
    """Write the sample's supply table the same way (regenerate the sample first)."""
    path = Path(path) if path is not None else sample_path(SUPPLY_FILE)
    return _write_gzip_csv(generate_sample_supply(), path)


def _write_gzip_csv(frame: pd.DataFrame, path: Path) -> Path:
    text = frame.to_csv(index=False, lineterminator="\n")
    buffer = io.BytesIO()
    # mtime=0 and no file name in the gzip header: the bytes depend on the data only
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buffer.getvalue())
    tmp.replace(path)  # atomic: a failed rebuild leaves the previous file intact
    return path


def sample_reports_folder() -> Path:
    """The bundled folder of enterprise report batches: one CSV per half-year,
    2021-H1..2025-H2 (``2021-H1.csv``..), drawn from the sample (see ``DATA_CARD.md``).
    Read it with :func:`~skillcast.datasets.load_reports`."""
    return sample_path(REPORTS_FOLDER)


def generate_sample_reports() -> EnterpriseReports:
    """A fresh draw of the bundled report batches: ``make_enterprise_reports`` on the
    bundled sample's last :data:`REPORTS_PERIODS` half-years, seed :data:`SAMPLE_SEED`.
    Its ``reports`` are what the folder holds; ``complete`` and ``log`` say what they
    should have been and what went wrong."""
    frame = pd.read_csv(sample_path(), dtype=_TEXT_COLUMNS)
    labels = sorted(frame["period"].unique())[-REPORTS_PERIODS:]
    window = frame.loc[frame["period"].isin(labels)].reset_index(drop=True)
    return make_enterprise_reports(window, seed=SAMPLE_SEED)


def write_sample_reports(folder: str | Path | None = None) -> list[Path]:
    """Write the report batches, one CSV per half-year named after it (``2024-H1.csv``),
    UTF-8 with ``\\n`` line ends and times to the minute, so rebuilds are byte-identical.

    Refuses a folder that already holds batch files other than these: a stale batch
    left beside them would be read with them.
    """
    folder = Path(folder) if folder is not None else sample_reports_folder()
    reports = generate_sample_reports().reports
    names = {f"{label}.csv": label for label in sorted(reports["period"].unique())}
    if folder.is_dir():
        stale = sorted(p.name for p in folder.iterdir()
                       if p.name.lower().endswith(CSV_SUFFIXES + PARQUET_SUFFIXES)
                       and p.name not in names)  # fmt: skip
        if stale:
            raise SkillcastConfigError(
                f"{folder} holds other batch files {stale[:5]}: remove them, or write the "
                "report batches to an empty folder."
            )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, label in names.items():
        batch = reports.loc[reports["period"] == label]
        text = batch.to_csv(index=False, lineterminator="\n", date_format=REPORTS_TIME_FORMAT)
        path = folder / name
        tmp = path.with_suffix(".csv.tmp")
        tmp.write_bytes(text.encode("utf-8"))
        tmp.replace(path)  # atomic: a failed rebuild leaves the previous batch intact
        written.append(path)
    return written
