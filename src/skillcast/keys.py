"""Key columns: clean text, declared code widths, codes in their table's form and known to it.

Part of the checks :func:`skillcast.load_panel` runs (the others are in
:mod:`skillcast.validation`); failures raise :class:`~skillcast.errors.SkillcastDataError`
through :func:`skillcast.validation.fail`.
"""

from __future__ import annotations

import unicodedata
import warnings
from dataclasses import dataclass
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from skillcast import taxonomy
from skillcast.errors import SkillcastConfigError, SkillcastDataWarning
from skillcast.spec import PanelSpec
from skillcast.taxonomy import Taxonomy
from skillcast.validation import MAX_EXAMPLES, fail, value_kind

# key columns checked against a shipped taxonomy when the spec does not say otherwise
_DEFAULT_TAXONOMIES = {"occupation": "occupation", "level": "level", "sector": "sector"}

# key column -> (each row's code, int64; the distinct key texts in sorted order)
KeyCodes = dict[str, tuple[np.ndarray, pd.Index]]


def validate_keys(frame: pd.DataFrame, spec: PanelSpec) -> KeyCodes:
    """Turn each key column into clean text; reject missing, blank and numeric keys.

    Key text is made Unicode NFC and stripped of surrounding whitespace, so look-alikes
    (``Hải Phòng`` composed on some rows and decomposed on others, ``" H52"``) form one
    series; a :class:`~skillcast.errors.SkillcastDataWarning` counts the rows changed.
    A warning rather than a log line: it reaches scripts and notebooks that configure no
    logging, and a change in the number of series must not go unseen.

    Integers are refused as keys (``01`` read as a number is ``1``, another code) unless
    ``spec.code_width`` declares the codes' width: then integer codes, and digit-only
    text codes, are zero-padded to it. Floats and booleans are always refused.

    A code written another way that its taxonomy knows (VSIC's own ``52`` for the sector
    table's ``H52``: the table's ``alias`` column) is rewritten to the table's form, so
    ``52`` and ``H52`` are one series; another warning counts those rows.

    Returns, for each key, every row's code (int64) and the distinct keys in sorted
    order, so later steps never compare key strings row by row.
    """
    out: KeyCodes = {}
    notes: list[str] = []
    rewrites: list[str] = []
    taxonomies = _resolve_taxonomies(spec)
    for key in spec.keys:
        raw = frame[key]
        empty = raw.isna().to_numpy()
        if empty.any():
            raise fail(
                frame,
                empty,
                key,
                "have no key value",
                "Fill the key or drop these rows before loading.",
            )
        width = spec.width_of(key)
        codes, kinds, texts = _distinct_keys(raw)
        _refuse_numeric_keys(frame, key, codes, kinds, texts, width)
        clean = _clean_keys(texts, width)
        for problem, bad, remedy in (
            ("have no key value (blank text)", clean.blank, "Fill the key or drop these rows."),
            (
                f"are wider than PanelSpec.code_width={width}",
                clean.too_wide,
                "Correct the codes, or declare the right width: it applies to every code of "
                "the column (pass mixed-width codes as text, without code_width).",
            ),
        ):
            if bad.any() and (rows := bad[codes]).any():  # a category may be unused
                raise fail(frame, rows, key, problem, remedy)
        tax = taxonomies.get(key)
        table = tax if isinstance(tax, Taxonomy) else None
        text, rewritten = _in_table_form(table, clean)
        rank, sorted_keys = pd.factorize(text, sort=True)
        row_codes = rank.astype(np.int64, copy=False)[codes]
        changed = clean.changed.any() or rewritten.any()
        if text.dtype == raw.dtype and not changed and (kinds == "t").all():
            frame[key] = raw  # already clean text: keep the column as it is
        else:
            frame[key] = pd.Series(sorted_keys.take(row_codes), index=frame.index, name=key)
        out[key] = (row_codes, sorted_keys)
        if clean.normalised.any() or clean.stripped.any():
            notes.append(_key_note(key, codes, texts, clean, len(sorted_keys)))
        if table is not None and rewritten.any() and rewritten[codes].any():
            rewrites.append(_rewrite_note(key, codes, clean.text, text, rewritten, table))
    if notes:
        warnings.warn(
            "Key text made uniform: "
            + "; ".join(notes)
            + ". Clean the keys at the source to silence this (or filter "
            "skillcast.errors.SkillcastDataWarning).",
            SkillcastDataWarning,
            stacklevel=3,
        )
    if rewrites:
        warnings.warn(
            "Key codes rewritten to one form: "
            + "; ".join(rewrites)
            + ". Write the codes in that form at the source to silence this (or filter "
            "skillcast.errors.SkillcastDataWarning).",
            SkillcastDataWarning,
            stacklevel=3,
        )
    return out


def _in_table_form(tax: Taxonomy | None, clean: _CleanKeys) -> tuple[pd.Series, np.ndarray]:
    """The clean key texts with codes rewritten to the taxonomy's form, and which changed."""
    if tax is None:
        return clean.text, np.zeros(len(clean.text), dtype=bool)
    canonical = tax.canonical(clean.text.where(~clean.blank))
    text = canonical.where(~clean.blank, clean.text).astype(str)
    return text, (text != clean.text).to_numpy(dtype=bool)


def _rewrite_note(
    key: str,
    codes: np.ndarray,
    before: pd.Series,
    after: pd.Series,
    rewritten: np.ndarray,
    tax: Taxonomy,
) -> str:
    counts = np.bincount(codes, minlength=len(before))
    used = rewritten & (counts > 0)  # a category may be unused
    shown = np.flatnonzero(used)[:3]
    examples = ", ".join(f"{before.iloc[i]!r} -> {after.iloc[i]!r}" for i in shown)
    return (
        f"column {key!r}: {int(counts[used].sum())} row(s), {int(used.sum())} distinct "
        f"code(s), now written as the {tax.name} table ({tax.version}) writes them "
        f"(e.g. {examples})"
    )


def _distinct_keys(raw: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Each row's code, and for each distinct value its kind and text.

    Kinds: ``t`` text, ``i`` integer, ``f`` float, ``b`` boolean, ``o`` other (its str).
    """
    dtype = raw.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        sub, kinds, texts = _distinct_keys(pd.Series(dtype.categories))
        return sub[raw.cat.codes.to_numpy()], kinds, texts
    kind = _dtype_kind(dtype)
    if kind == "?":
        kind = {"string": "t", "integer": "i"}.get(pd.api.types.infer_dtype(raw), "mixed")
    if kind == "mixed":
        # 1, 1.0 and True are one dict key: tag each value with its kind before factorizing
        tagged = [value_kind(v) + _text_of(v) for v in raw.to_numpy(dtype=object)]
        codes, uniques = pd.factorize(np.array(tagged, dtype=object))
        return codes.astype(np.int64), np.array([u[0] for u in uniques]), [u[1:] for u in uniques]
    codes, uniques = pd.factorize(raw if kind in "ti" else raw.astype(str))
    texts = [_text_of(u) for u in uniques] if kind == "i" else [str(u) for u in uniques]
    return codes.astype(np.int64, copy=False), np.full(len(texts), kind), texts


def _dtype_kind(dtype: object) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "b"
    if pd.api.types.is_integer_dtype(dtype):
        return "i"
    if pd.api.types.is_float_dtype(dtype) or pd.api.types.is_complex_dtype(dtype):
        return "f"
    if isinstance(dtype, pd.StringDtype):
        return "t"
    return "?" if pd.api.types.is_object_dtype(dtype) else "o"


def _text_of(value: object) -> str:
    if isinstance(value, int | np.integer):
        return str(int(value))
    return str(value)


def _refuse_numeric_keys(
    frame: pd.DataFrame,
    key: str,
    codes: np.ndarray,
    kinds: np.ndarray,
    texts: list[str],
    width: int | None,
) -> None:
    as_text = (
        f"Pass key columns as text: read files with dtype={{{key!r}: str}} (load_panel "
        "does this for CSV), or convert at the source; converting numbers to text here "
        "cannot bring back lost leading zeros."
    )
    # masks of distinct values; a category may be unused, so rows are counted by codes
    is_number = np.isin(kinds, ["f", "b"])
    if is_number.any() and (numbers := is_number[codes]).any():
        raise fail(frame, numbers, key, "are numbers or True/False, not codes", as_text)
    is_int = kinds == "i"
    if not is_int.any() or not (ints := is_int[codes]).any():
        return
    if width is None:
        raise fail(
            frame,
            ints,
            key,
            "are integers, not code text (read as a number, occupation 01 becomes 1, another code)",
            f"{as_text} If every code of the column has the same width, declare it "
            f"instead: PanelSpec(code_width={{{key!r}: 2}}) zero-pads 1 to 01.",
        )
    negative = (is_int & np.array([t.startswith("-") for t in texts], dtype=bool))[codes]
    if negative.any():
        raise fail(frame, negative, key, "are negative integers, not codes", as_text)


@dataclass(frozen=True)
class _CleanKeys:
    text: pd.Series  # the clean text of each distinct value
    normalised: np.ndarray  # bool per distinct value: not NFC before
    stripped: np.ndarray  # surrounding whitespace removed
    changed: np.ndarray  # any change, zero-padding included
    blank: np.ndarray  # empty once stripped
    too_wide: np.ndarray  # digit-only and longer than the declared width


def _clean_keys(texts: list[str], width: int | None) -> _CleanKeys:
    n = len(texts)
    out = [""] * n
    normalised, stripped, changed, blank, too_wide = (np.zeros(n, dtype=bool) for _ in range(5))
    for i, text in enumerate(texts):
        clean = text
        if not unicodedata.is_normalized("NFC", clean):
            clean = unicodedata.normalize("NFC", clean)
            normalised[i] = True
        if clean != (clean := clean.strip()):
            stripped[i] = True
        if width and clean.isascii() and clean.isdigit():
            too_wide[i] = len(clean) > width
            clean = clean.zfill(width)
        blank[i] = not clean
        changed[i] = clean != text
        out[i] = clean
    return _CleanKeys(pd.Series(out, dtype=str), normalised, stripped, changed, blank, too_wide)


def _key_note(
    key: str, codes: np.ndarray, texts: list[str], clean: _CleanKeys, n_after: int
) -> str:
    rows = np.bincount(codes, minlength=len(texts))
    examples = [
        f"{texts[i]!r}{' (not NFC)' if clean.normalised[i] else ''} -> {clean.text[i]!r}"
        for i in np.flatnonzero(clean.normalised | clean.stripped)[:3]
    ]
    changes = [
        f"{n} row(s) {what}"
        for n, what in (
            (int(rows[clean.normalised].sum()), "made Unicode NFC"),
            (int(rows[clean.stripped].sum()), "stripped of surrounding spaces"),
        )
        if n
    ]
    return (
        f"column {key!r}: {', '.join(changes)}; {len(texts)} distinct texts became "
        f"{n_after} (e.g. {', '.join(examples)})"
    )


def _resolve_taxonomies(spec: PanelSpec) -> dict[str, object]:
    # the shipped tables are read on first use, then cached
    wanted = (
        {k: v for k, v in _DEFAULT_TAXONOMIES.items() if k in spec.keys}
        if spec.taxonomies is None
        else dict(spec.taxonomies)
    )
    resolved: dict[str, object] = {}
    for column, tax in wanted.items():
        if column not in spec.keys:
            raise SkillcastConfigError(
                f"PanelSpec.taxonomies names {column!r}, which is not a key column "
                f"{list(spec.keys)}."
            )
        if isinstance(tax, str | PathLike) and Path(tax).suffix.lower() == ".csv":
            tax = taxonomy.load_taxonomy(tax, name=column)
        elif isinstance(tax, str):
            tax = taxonomy.builtin(tax)
        resolved[column] = tax
    return resolved


def validate_codes(frame: pd.DataFrame, spec: PanelSpec, key_codes: KeyCodes) -> None:
    """Check key codes against their taxonomies (``key_codes`` from :func:`validate_keys`)."""
    if spec.unknown_codes == "keep":
        return
    for column, tax in _resolve_taxonomies(spec).items():
        # a panel repeats each code over many rows: look up each distinct code once
        row_codes, uniques = key_codes[column]
        unknown = ~tax.is_known(pd.Series(uniques))[row_codes]  # type: ignore[attr-defined]
        if not unknown.any():
            continue
        codes = sorted(pd.unique(frame.loc[unknown, column]))
        message = (
            f"{len(codes)} code(s) {codes[:MAX_EXAMPLES]} unknown to the "
            f"{tax.name} taxonomy ({tax.version})"  # type: ignore[attr-defined]
        )
        coverage = _capitalised(tax.description)  # type: ignore[attr-defined]
        remedy = (
            f"{coverage}. Correct the codes, or add yours: write a table that has them "
            "(skillcast.taxonomy.load_taxonomy reads one) and pass it via "
            "PanelSpec.taxonomies, or set PanelSpec.unknown_codes='warn' (or "
            "PanelSpec.unknown_codes='keep') to load these rows as they are."
        )
        if spec.unknown_codes == "error":
            raise fail(frame, unknown, column, f"carry {message}", remedy)
        warnings.warn(
            f"Column {column!r}: {int(unknown.sum())} row(s) carry {message}. {coverage}.",
            SkillcastDataWarning,
            stacklevel=3,
        )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
