"""A folder of enterprise report batches -> checked report rows: :func:`read_report_batches`.

A labour office receives enterprise reports in batches (one export per reporting round,
or per delivery), each a CSV or Parquet file of report rows. The batches of a folder are
read in name order and checked file by file, so that an error names the file to fix;
:func:`~skillcast.datasets.load_reports` then sums them into a panel.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from skillcast.datasets.reports import LOCAL_TZ
from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.panel import PanelSpec
from skillcast.periods import parse_periods
from skillcast.reading import ReadOptions, read_table
from skillcast.validation import fail, numeric

CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zip")
PARQUET_SUFFIXES = (".parquet", ".pq")
# names a folder of batches may also hold: notes for people, not data
_DOCUMENTS = re.compile(r"(readme.*|.*\.(md|txt))", re.IGNORECASE)
_ISO_STAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?P<tz>Z|[+-]\d{2}(?::?\d{2})?)?"
)
_DAY_FIRST_STAMP = re.compile(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


def read_report_batches(
    folder: str | PathLike[str],
    spec: PanelSpec | None = None,
    *,
    enterprise: str = "enterprise_id",
    submitted_at: str | None = "submitted_at",
    count: str = "employed",
    needs: str | None = "recruitment_needs",
    dayfirst: bool = False,
    read: ReadOptions | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Every report row of the batches in ``folder``, checked.

    The batches are the folder's CSV files (``.csv``, also gzip/bz2/xz/zip-compressed)
    and Parquet files or datasets (``.parquet``, ``.pq``), read in name order (name them
    so that this is the order they arrived in, e.g. ``2024-H1.csv``; without
    ``submitted_at``, a later batch's row wins over an earlier one's). A file's name
    need not match the periods inside: a batch may hold late reports for earlier periods.
    Hidden entries (``.name``, ``~name``) and notes (``README``, ``*.md``, ``*.txt``) are
    skipped; anything else, subfolders included, is refused: data a reader skips
    silently is data lost.

    Key, enterprise and period columns are read as text (codes keep their leading zeros)
    and cleaned (surrounding spaces, one Unicode form); counts as whole numbers in the
    format ``read`` declares (a CSV's separator, thousands separator and decimal mark;
    text such as ``1.250`` is refused until declared). Submission times are ISO 8601
    (``2024-06-03 09:41``; with an offset or ``Z`` they are converted to Vietnam time),
    or day-first (``03/06/2024 09:41``) when ``dayfirst`` is set; ``03/06/2024`` without
    it is refused rather than guessed.

    Args:
        folder: the folder of batches.
        spec: the panel the reports are for: its period, frequency, keys and encoding
            (default ``PanelSpec()``: sector, occupation, level, half-years).
        enterprise, submitted_at, count, needs: names of the report columns (``needs``,
            declared recruitment needs, is optional per batch: empty cells and batches
            without it mean "not declared"). ``submitted_at=None``: no submission times.
        dayfirst: read submission times written day-first.
        read: how the CSV files write text (:class:`~skillcast.reading.ReadOptions`).

    Returns:
        One row per report row, batches in name order and rows in file order: ``batch``
        (file name), ``enterprise``, ``submitted_at`` (naive local datetime64, when
        given), ``spec.period`` (pandas Period), ``spec.keys`` (text), ``count``
        (float64) and ``needs`` (float64, NaN where not declared; present when any batch
        has it).

    Raises:
        SkillcastDataError: no such folder, no batch in it, a subfolder or a file of
            another kind, or a batch that cannot be read, misses a column, has no rows,
            or holds empty keys, unreadable periods or times, or counts that are not
            whole numbers >= 0; the message names the file.
    """
    spec = spec or PanelSpec()
    names = _Columns(enterprise, submitted_at, count, needs)
    names.check(spec)
    frames = [_read_batch(path, spec, names, dayfirst, read) for path in batch_files(folder)]
    rows = pd.concat(frames, ignore_index=True)
    if needs is not None and needs in rows.columns:
        rows[needs] = rows[needs].astype("float64")
    return rows


def batch_files(folder: str | PathLike[str]) -> list[Path]:
    """The batch files of ``folder`` in reading order (see :func:`read_report_batches`)."""
    path = Path(folder)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "does not exist"
        raise SkillcastDataError(
            f"Report folder {path} {what}. Pass the folder that holds the batch files "
            "(one CSV or Parquet file per batch)."
        )
    batches, refused = [], []
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        name = entry.name
        if name.startswith((".", "~")) or (_DOCUMENTS.fullmatch(name) and entry.is_file()):
            continue
        lower = name.lower()
        is_parquet = lower.endswith(PARQUET_SUFFIXES)  # a file, or a partitioned dataset
        if (entry.is_file() and lower.endswith(CSV_SUFFIXES)) or is_parquet:
            batches.append(entry)
        else:
            refused.append(name + ("/" if entry.is_dir() else ""))
    if refused:
        raise SkillcastDataError(
            f"Report folder {path} holds {len(refused)} entr(y/ies) that are not batches: "
            f"{refused[:5]}. Batches are CSV ({', '.join(CSV_SUFFIXES)}) or Parquet "
            f"({', '.join(PARQUET_SUFFIXES)}) files; subfolders are not read. Move these "
            "out of the folder, or convert them (a workbook: save each sheet as CSV UTF-8)."
        )
    if not batches:
        raise SkillcastDataError(
            f"Report folder {path} holds no batch: no CSV or Parquet file. Put the report "
            "batches there (e.g. 2024-H1.csv, 2024-H2.csv) or pass the right folder."
        )
    return batches


@dataclass(frozen=True)
class _Columns:
    enterprise: str
    submitted_at: str | None
    count: str
    needs: str | None

    def check(self, spec: PanelSpec) -> None:
        named = [self.enterprise, self.submitted_at, self.count, self.needs]
        taken = [spec.period, *spec.keys]
        clash = sorted({n for n in named if n is not None and (n in taken or named.count(n) > 1)})
        if clash:
            raise SkillcastConfigError(
                f"Report column name(s) {clash} are used twice (enterprise, submitted_at, "
                f"count, needs and the spec's period and keys {taken} must differ)."
            )

    def required(self, spec: PanelSpec) -> list[str]:
        stamp = [self.submitted_at] if self.submitted_at else []
        return [self.enterprise, *stamp, spec.period, *spec.keys, self.count]


def _read_batch(
    path: Path,
    spec: PanelSpec,
    names: _Columns,
    dayfirst: bool,
    read: ReadOptions | Mapping[str, Any] | None,
) -> pd.DataFrame:
    # the enterprise id is a code too; count and needs are the numbers read_table checks
    table_spec = PanelSpec(
        period=spec.period,
        freq=spec.freq,
        keys=(*spec.keys, names.enterprise),
        target=names.count,
        known_exog=(names.needs,) if names.needs else (),
        taxonomies={},
        encoding=spec.encoding,
    )
    try:
        frame = read_table(path, table_spec, read)
        return _checked(frame, path, spec, names, dayfirst)
    except SkillcastDataError as exc:
        raise SkillcastDataError(f"Report batch {path.name}: {exc}") from exc


def _checked(
    frame: pd.DataFrame, path: Path, spec: PanelSpec, names: _Columns, dayfirst: bool
) -> pd.DataFrame:
    required = names.required(spec)
    missing = [c for c in required if c not in frame.columns]
    if missing:
        near = {
            m: str(c)
            for m in missing
            for c in frame.columns
            if unicodedata.normalize("NFC", str(c)).strip().casefold() == m.casefold()
        }
        hint = f" Near matches (spaces, case or Unicode form differ): {near}." if near else ""
        raise SkillcastDataError(
            f"Column(s) {missing} missing; the file has {[str(c) for c in frame.columns]}. "
            f"Rename the columns, or pass enterprise=, submitted_at=, count= and a spec "
            f"whose period and keys name them.{hint}"
        )
    if not len(frame):
        raise SkillcastDataError("The file has a header but no report rows. Export it again.")
    keep = [*required, *([names.needs] if names.needs in frame.columns else [])]
    frame = frame.loc[:, keep].reset_index(drop=True)
    shown = required
    for column in (names.enterprise, *spec.keys):
        frame[column] = _clean_text(frame, column, shown)
    parsed = parse_periods(frame[spec.period], spec.frequency)
    bad = parsed.unparseable | parsed.off_grid
    if bad.any():
        raise fail(
            frame,
            bad,
            spec.period,
            f"are not {spec.frequency.name} periods",
            "Write periods as 2024-H1, 2024Q3, 2024 or an ISO date of the period, "
            "matching PanelSpec.freq.",
            shown,
        )
    frame[spec.period] = parsed.periods
    if names.submitted_at:
        frame[names.submitted_at] = _stamps(frame, names.submitted_at, dayfirst, shown)
    frame[names.count] = _whole(frame, names.count, shown, required=True)
    if (needs := names.needs) is not None and needs in frame.columns:
        frame[needs] = _whole(frame, needs, shown, required=False)
    frame.insert(0, "batch", path.name)
    return frame


def _clean_text(frame: pd.DataFrame, column: str, shown: list[str]) -> pd.Series:
    """Codes as text without surrounding spaces, composed (NFC): look-alike codes would
    otherwise make two cells (or two enterprises) of one."""
    raw = frame[column]
    if not (pd.api.types.is_object_dtype(raw.dtype) or isinstance(raw.dtype, pd.StringDtype)):
        raise fail(
            frame,
            raw.notna().to_numpy(),
            column,
            f"are stored as {raw.dtype} numbers, not text",
            "Codes stored as numbers have lost their leading zeros: store the column "
            "as text (in Parquet: a string column).",
            shown,
        )
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    clean = np.array(
        [unicodedata.normalize("NFC", str(u)).strip() for u in uniques] + [""], dtype=object
    )
    text = clean[codes]  # code -1 (missing) takes the trailing ""
    empty = text == ""
    if empty.any():
        raise fail(frame, empty, column, "are empty", "Fill or drop these rows.", shown)
    return pd.Series(text, index=frame.index, name=column, dtype=object)


def _stamps(frame: pd.DataFrame, column: str, dayfirst: bool, shown: list[str]) -> pd.Series:
    """Submission times as naive local datetimes."""
    raw = frame[column]
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    if pd.api.types.is_datetime64_dtype(raw.dtype):
        return raw
    text = raw.astype(object).where(raw.notna(), "").astype(str).str.strip()
    iso = text.str.extract(_ISO_STAMP.pattern.join(("^", "$")))
    is_iso = text.str.fullmatch(_ISO_STAMP).to_numpy(dtype=bool)
    aware = is_iso & iso["tz"].notna().to_numpy()
    day_first = text.str.fullmatch(_DAY_FIRST_STAMP).to_numpy(dtype=bool)
    if day_first.any() and not dayfirst:
        raise fail(
            frame,
            day_first,
            column,
            "are dates like 03/06/2024 (day or month first?)",
            "Vietnamese sources write the day first (03/06/2024 = 3 June): pass "
            "dayfirst=True, or write times as ISO 8601 (2024-06-03 09:41).",
            shown,
        )
    out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    naive = is_iso & ~aware
    if naive.any():
        out[naive] = pd.to_datetime(text[naive], format="ISO8601", errors="coerce")
    if aware.any():
        local = pd.to_datetime(text[aware], format="ISO8601", utc=True, errors="coerce")
        out[aware] = local.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None)
    if day_first.any():
        out[day_first] = pd.to_datetime(
            text[day_first], dayfirst=True, format="mixed", errors="coerce"
        )
    bad = out.isna().to_numpy()
    if bad.any():
        raise fail(
            frame,
            bad,
            column,
            "are empty or not submission times",
            "Give every row its submission time as ISO 8601 (2024-06-03 09:41, "
            "optionally with an offset such as +07:00).",
            shown,
        )
    return out


def _whole(frame: pd.DataFrame, column: str, shown: list[str], required: bool) -> pd.Series:
    """Counts of workers: numbers, finite, >= 0 and whole (empty allowed if not required)."""
    values = numeric(frame, column, "workers")
    array = values.to_numpy()
    empty = np.isnan(array)
    if required and empty.any():
        raise fail(
            frame,
            empty,
            column,
            "are empty",
            "Give every report row its number of workers (0 if none).",
            shown,
        )
    for bad, problem, remedy in (
        (np.isinf(array), "are infinite", "Correct the counts."),
        (array < 0, "are negative", "Worker counts cannot be negative: correct the reports."),
        (
            ~empty & ~np.isinf(array) & (array != np.round(array)),
            "are not whole numbers",
            "Counts are whole workers. A decimal mark where a thousands separator was meant? "
            "Declare the format with read=ReadOptions(thousands='.', decimal=',').",
        ),
    ):
        if bad.any():
            raise fail(frame, bad, column, problem, remedy, shown)
    return values
