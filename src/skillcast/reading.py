"""From a DataFrame, a CSV path or a Parquet path to a frame :func:`skillcast.load_panel` checks.

Every way a file can fail to read (empty, binary, a workbook or JSON under a ``.csv``
name, an encoding that is not UTF-8, a corrupt Parquet file, a repeated column name)
becomes a :class:`~skillcast.errors.SkillcastDataError` saying what the file is and what
to do. Text encodings are never guessed beyond what a byte-order mark says: decoding a
Windows-1258 file as Latin-1 would load without error and corrupt every Vietnamese key.

How a source writes its text -- the CSV delimiter, the thousands separator and the
decimal mark -- is declared in :class:`ReadOptions`, never guessed: ``1.250`` is 1250 in
a Vietnamese report and 1.25 in an English one, so text numbers that look grouped are
refused until the format is declared.
"""

from __future__ import annotations

import bz2
import codecs
import csv
import gzip
import io
import lzma
import re
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Mapping
from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from skillcast.errors import SkillcastDataError
from skillcast.read_options import ReadOptions, read_options, text_numbers
from skillcast.spec import PanelSpec

_PARQUET = {".parquet", ".pq"}
_OPENERS: dict[str, Callable[[Path], io.BufferedIOBase]] = {
    ".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile,
}  # fmt: skip
# what reading a damaged or mislabelled file raises, through pandas and the decompressors
_READ_ERRORS = (ValueError, TypeError, OSError, EOFError, IndexError, OverflowError,
                ImportError, lzma.LZMAError, zlib.error, zipfile.BadZipFile,
                tarfile.TarError)  # fmt: skip
# UTF-32-LE's mark begins with UTF-16-LE's: look for the longer marks first
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SAVE_AS_CSV = (
    "Save the sheet as 'CSV UTF-8' (Excel: File > Save As; LibreOffice: Save As > Text "
    "CSV, character set Unicode UTF-8), or read it with pandas.read_excel and pass the "
    "DataFrame to load_panel."
)
_NOT_CSV = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or .ods workbook?)", _SAVE_AS_CSV),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Excel .xls workbook", _SAVE_AS_CSV),
    (b"PAR1", "a Parquet file", "Name it .parquet (or .pq) so it is read as Parquet."),
    (b"%PDF", "a PDF document", "Export the table itself as CSV or Parquet."),
)
_JSON = re.compile(rb"\s*(\{\s*[\"}]|\[\s*[\[{\"\d\-\]])")
_MARKUP = re.compile(rb"\s*<(!doctype|html|\?xml)", re.IGNORECASE)
_HEAD_BYTES = 4096
_MAX_EXAMPLES = 5
# compressions pandas reads but the sniffing here does not open: their raw bytes say
# nothing about the text inside
_OPAQUE = {".zip", ".zst", ".tar"}
_RENAMED_COPY = re.compile(r"(.*)\.\d+$")
_ENCODING_HELP = (
    "Old Vietnamese files are often Windows-1258: declare it with "
    "PanelSpec.encoding='cp1258', or re-save the file as UTF-8. TCVN3 (ABC) text has no "
    "Python codec: convert it to Unicode first (e.g. with UniKey's converter)."
)


def read_frame(
    data: pd.DataFrame | str | PathLike[str],
    spec: PanelSpec,
    read: ReadOptions | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """The input as a frame whose columns the spec can address; nothing else is checked.

    A DataFrame is copied shallowly (its columns are replaced later, never written in
    place). A CSV is read with every column the spec names as text, so ``01`` stays
    ``01`` and ``1.250`` is seen as written; target and driver text is then read as
    numbers in the format ``read`` declares (see :class:`ReadOptions`), from a CSV or a
    DataFrame alike.
    """
    options = read_options(read)
    if isinstance(data, pd.DataFrame):
        frame = data.copy(deep=False)
    elif isinstance(data, str | PathLike):
        frame = _read_file(Path(data), spec, options)
    else:
        raise SkillcastDataError(
            f"load_panel reads a DataFrame, a CSV path or a Parquet path, not a "
            f"{type(data).__name__}."
        )
    _check_columns(frame, spec)
    return text_numbers(frame, spec, options)


def read_table(
    path: str | PathLike[str],
    spec: PanelSpec,
    read: ReadOptions | Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """A CSV or Parquet file as a frame, key and period columns as text, with the same
    refusals as :func:`read_frame` (empty, not UTF-8, a workbook saved as CSV, text
    numbers in an undeclared format, ...) but no check of which columns it holds: for
    side tables such as future driver values."""
    options = read_options(read)
    return text_numbers(_read_file(Path(path), spec, options), spec, options)


def _read_file(path: Path, spec: PanelSpec, options: ReadOptions) -> pd.DataFrame:
    try:
        exists, is_dir = path.exists(), path.is_dir()
    except (OSError, ValueError) as exc:  # a NUL byte or an over-long name
        raise SkillcastDataError(f"Not a usable path: {str(path)[:200]!r} ({exc}).") from exc
    if not exists:
        raise SkillcastDataError(f"No such file: {path}. Pass a DataFrame, a CSV or Parquet path.")
    if is_dir and path.suffix.lower() in _PARQUET:
        return _read_parquet(path)  # a partitioned Parquet dataset
    if is_dir:
        raise SkillcastDataError(
            f"{path} is a directory. Pass the CSV or Parquet file itself{_tables_in(path)}."
        )
    head = _head(path)
    if _OPAQUE.intersection(s.lower() for s in path.suffixes):
        head = b""
    if path.suffix.lower() in _PARQUET:
        return _read_parquet(path)
    return _read_csv(path, head, spec, options)


def _tables_in(folder: Path) -> str:
    try:
        names = sorted(p.name for p in folder.iterdir() if _is_table(p))[:5]
    except OSError:
        return ""
    return f" (it holds {names})" if names else ""


def _is_table(path: Path) -> bool:
    suffixes = [s.lower() for s in path.suffixes]
    return bool(suffixes) and (suffixes[0] == ".csv" or suffixes[-1] in _PARQUET)


def _open(path: Path) -> io.BufferedIOBase:
    opener = _OPENERS.get(path.suffix.lower())
    return opener(path) if opener else open(path, "rb")


def _head(path: Path) -> bytes:
    """The first bytes of the file's content (decompressed when its name says gzip, bz2
    or xz); a file that cannot even be opened is a data error."""
    try:
        with _open(path) as stream:
            return stream.read(_HEAD_BYTES)
    except _READ_ERRORS as exc:
        raise SkillcastDataError(
            f"Cannot read {path}: {_reason(exc)}. Check that the file is complete and "
            "readable, and that its name's suffix (.gz, .bz2, .xz) matches its compression."
        ) from exc


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def _read_parquet(path: Path) -> pd.DataFrame:
    import pyarrow as pa  # pandas reads Parquet through pyarrow; its errors are pyarrow's

    try:
        return pd.read_parquet(path)
    except (pa.ArrowException, NotImplementedError, *_READ_ERRORS) as exc:
        raise SkillcastDataError(
            f"{path.name} cannot be read as Parquet: {_reason(exc)}. The file is corrupt, "
            "truncated or not Parquet: write it again (DataFrame.to_parquet), or pass a "
            "CSV file."
        ) from exc


def _read_csv(path: Path, head: bytes, spec: PanelSpec, options: ReadOptions) -> pd.DataFrame:
    for signature, what, remedy in _NOT_CSV:
        if head.startswith(signature):
            raise SkillcastDataError(f"{path.name} is {what}, not a CSV text file. {remedy}")
    _refuse_other_text(path, head)
    encoding = spec.encoding or _bom_encoding(head)
    if encoding is None:
        if b"\x00" in head:
            raise SkillcastDataError(
                f"{path.name} holds NUL bytes: it is a binary file, or UTF-16/UTF-32 text "
                "without a byte-order mark. Pass a CSV text file; if it is UTF-16, declare "
                "PanelSpec.encoding='utf-16-le' (or 'utf-16-be')."
            )
        encoding = "utf-8"
    sep = options.sep or ","
    # before parsing: rows of a ';'-separated file with decimal commas do not even split
    # into as many fields as its header, and pandas would only say so
    _refuse_other_separator(path, _header_fields(head, encoding, sep), sep)
    # codes such as "01" or "0110" lose their leading zeros if read as numbers, and
    # "1.250" would become 1.25 before anyone could ask what it means
    text_columns = {c: str for c in spec.columns}
    try:
        frame = pd.read_csv(
            path, sep=sep, dtype=text_columns, encoding=encoding, encoding_errors="strict"
        )
    except UnicodeError as exc:
        raise _decode_error(path, encoding, spec.encoding) from exc
    except pd.errors.EmptyDataError as exc:
        raise SkillcastDataError(
            f"{path.name} is empty: it has no header line. Export the data again; the file "
            "must start with a line naming the columns (e.g. "
            f"{','.join(spec.columns)})."
        ) from exc
    except (pd.errors.ParserError, *_READ_ERRORS) as exc:
        raise SkillcastDataError(
            f"{path.name} cannot be read as CSV: {_reason(exc)}. Check the separator "
            f"({sep!r} expected; declare another in ReadOptions.sep), the quoting, rows "
            "with more fields than the header, and that a compressed file is complete."
        ) from exc
    _refuse_other_separator(path, [str(c) for c in frame.columns], sep)
    _check_csv_header(path, frame, spec, encoding, sep)
    return frame


_SEPARATORS = (",", ";", "\t", "|")


def _header_fields(head: bytes, encoding: str, sep: str) -> list[str]:
    """The fields of the header line in the first bytes (none when they hold no text)."""
    lines = head.decode(encoding, errors="ignore").removeprefix("\ufeff").splitlines()
    if not head or not lines:
        return []
    try:
        return next(csv.reader([lines[0]], delimiter=sep), [])
    except csv.Error:
        return []


def _refuse_other_separator(path: Path, header: list[str], sep: str) -> None:
    """Refuse a header that is one field holding another delimiter: no table has a
    single column, so the file is split by a character other than ``sep``."""
    if len(header) != 1:
        return
    counts = {c: header[0].count(c) for c in _SEPARATORS if c != sep}
    found = max(counts, key=lambda c: counts[c])
    if not counts[found]:
        return
    raise SkillcastDataError(
        f"{path.name} looks {found!r}-separated: its header line is one column "
        f"{header[0][:80]!r} with {counts[found]} {found!r} in it, and {sep!r} is the "
        f"separator expected. Declare ReadOptions.sep={found!r}."
    )


def _bom_encoding(head: bytes) -> str | None:
    return next((name for bom, name in _BOMS if head.startswith(bom)), None)


def _refuse_other_text(path: Path, head: bytes) -> None:
    head = head.removeprefix(codecs.BOM_UTF8)
    if _JSON.match(head):
        raise SkillcastDataError(
            f"{path.name} holds JSON, not CSV. Read it with pandas.read_json (keys and codes "
            "as text: dtype=str) and pass the DataFrame, or save it as CSV."
        )
    if _MARKUP.match(head):
        raise SkillcastDataError(
            f"{path.name} holds HTML or XML, not CSV (a web page saved instead of the "
            "download?). Download the CSV file itself."
        )


def _decode_error(path: Path, encoding: str, declared: str | None) -> SkillcastDataError:
    where = _first_bad_byte(path, encoding)
    if declared:
        return SkillcastDataError(
            f"{path.name} is not valid {declared} text{where}. Check PanelSpec.encoding: "
            "it must name the encoding the file was saved in (e.g. 'utf-8', 'cp1258', "
            "'utf-16')."
        )
    found = "UTF-8 text" if encoding == "utf-8" else f"{encoding} text, as its byte-order mark says"
    return SkillcastDataError(
        f"{path.name} is not valid {found}{where}. Tried: UTF-8, UTF-8 with a byte-order "
        "mark (UTF-8-SIG), and UTF-16/UTF-32 only when a byte-order mark says so; other "
        f"encodings are not guessed. {_ENCODING_HELP}"
    )


def _first_bad_byte(path: Path, encoding: str) -> str:
    """`` (line N: byte 0xNN)`` for the first byte the encoding rejects, when found."""
    try:
        with _open(path) as stream:
            raw = stream.read()
        raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        return f" (line {line}: byte 0x{raw[exc.start]:02x} cannot be decoded)"
    except (LookupError, MemoryError, *_READ_ERRORS):
        pass
    return ""


def _check_csv_header(
    path: Path, frame: pd.DataFrame, spec: PanelSpec, encoding: str, sep: str
) -> None:
    """Refuse a header that names a spec column twice (pandas renames the copy ``x.1``)."""
    columns = set(map(str, frame.columns))
    if not any(m and m[1] in columns for m in map(_RENAMED_COPY.match, columns)):
        return
    header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str, encoding=encoding)
    names = [str(n) for n in header.iloc[0].tolist()]
    _refuse_repeats(names, spec, f"the header of {path.name}")


def _check_columns(frame: pd.DataFrame, spec: PanelSpec) -> None:
    if isinstance(frame.columns, pd.MultiIndex):
        raise SkillcastDataError(
            f"The input has {frame.columns.nlevels} header rows (column MultiIndex). Give "
            "each column one name first, e.g. frame.columns = ['_'.join(map(str, c)) for c "
            "in frame.columns]."
        )
    _refuse_repeats(list(frame.columns), spec, "the input")
    if not len(frame):
        raise SkillcastDataError(
            "The input has no rows. Check the file or the filter that produced it."
        )
    missing = [c for c in spec.columns if c not in frame.columns]
    if missing:
        raise SkillcastDataError(
            f"Missing column(s) {missing}; the input has {list(frame.columns)}. "
            "Rename the columns or set the matching PanelSpec fields "
            f"(period, keys, target, known_exog, observed_exog).{_hint(frame, missing)}"
        )


def _refuse_repeats(names: list[Any], spec: PanelSpec, where: str) -> None:
    wanted = set(spec.columns)
    counts = pd.Series([n for n in names if isinstance(n, str) and n in wanted]).value_counts()
    repeated = {str(k): int(v) for k, v in counts.items() if v > 1}
    if repeated:
        raise SkillcastDataError(
            f"Column name(s) repeated in {where} (name: times): {repeated}. Rename or drop "
            "the copies so that each column has one name; load_panel will not choose one."
        )


def _hint(frame: pd.DataFrame, missing: list[str]) -> str:
    names = [str(c) for c in frame.columns]
    near = {
        m: n for m in missing for n in names
        if unicodedata.normalize("NFC", n).strip().casefold() == m.casefold()
    }  # fmt: skip
    if near:
        return f" Near matches (spaces, case or Unicode form differ): {near}."
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        return (
            " The input is one column holding ';', tab or '|' between values: read the CSV "
            "with pandas.read_csv(sep=...), or pass its path and declare ReadOptions.sep."
        )
    return ""
