"""How a source writes its text, and numbers read from text that way.

:class:`ReadOptions` declares the CSV delimiter, the thousands separator and the decimal
mark; :func:`text_numbers` reads the text cells of a panel's target and drivers by it.
Nothing is guessed: ``1.250`` is 1250 in a Vietnamese report and 1.25 in an English one,
so text that looks grouped by thousands is refused until the format is declared.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.spec import PanelSpec

__all__ = ["ReadOptions", "read_options", "text_numbers"]

_MAX_EXAMPLES = 5


@dataclass(frozen=True)
class ReadOptions:
    """How a source writes its text.

    Attributes:
        sep: the character between the columns of a CSV file (``;``, a tab, ``|``);
            ``None`` reads commas.
        thousands: the character grouping thousands in numbers written as text (``.``
            in Vietnamese sources: ``1.250`` is 1250). ``None``: numbers are not grouped,
            and target or driver text that looks grouped (``1.250``, ``1,250``) is
            refused rather than read one way or the other.
        decimal: the decimal mark of numbers written as text (``,`` in Vietnamese
            sources: ``1.250,5`` is 1250.5).
    """

    sep: str | None = None
    thousands: str | None = None
    decimal: str = "."

    def __post_init__(self) -> None:
        _check_char("sep", self.sep, forbidden='"\r\n')
        _check_char("thousands", self.thousands, forbidden="+-eE\r\n")
        _check_char("decimal", self.decimal, forbidden="+-eE\r\n", optional=False)
        if self.thousands == self.decimal:
            raise SkillcastConfigError(
                f"ReadOptions.thousands and ReadOptions.decimal are both {self.decimal!r}: "
                "the thousands separator and the decimal mark must differ (e.g. "
                "ReadOptions.thousands='.' and ReadOptions.decimal=',')."
            )

    @property
    def declares_numbers(self) -> bool:
        """Whether a number format other than plain ``1250.5`` is declared."""
        return self.thousands is not None or self.decimal != "."


def read_options(read: ReadOptions | Mapping[str, Any] | None) -> ReadOptions:
    """``read`` as :class:`ReadOptions` (a mapping gives its fields; None the defaults)."""
    if read is None:
        return ReadOptions()
    if isinstance(read, ReadOptions):
        return read
    if not isinstance(read, Mapping):
        raise SkillcastConfigError(
            f"read options are a ReadOptions or a mapping of its fields, not a "
            f"{type(read).__name__}."
        )
    names = [f.name for f in fields(ReadOptions)]
    unknown = sorted(str(k) for k in read if k not in names)
    if unknown:
        raise SkillcastConfigError(
            f"ReadOptions has no field(s) {unknown}; its fields are "
            f"{', '.join(f'ReadOptions.{n}' for n in names)}."
        )
    return ReadOptions(**read)


def _check_char(name: str, value: object, forbidden: str, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) != 1 or value.isdigit() or value in forbidden:
        raise SkillcastConfigError(
            f"ReadOptions.{name}={value!r}; give a single character that is not a digit "
            "(e.g. ReadOptions.sep=';', ReadOptions.thousands='.', ReadOptions.decimal=',')."
        )


# digits grouped by threes after a first group of one to three (not starting with 0):
# 1.250, 12.500, 1.250.000 or 1,250 -- thousands in one convention, decimals in another
_GROUPED = re.compile(r"[+-]?[1-9]\d{0,2}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*(?:[.,]\d+)?")


def text_numbers(frame: pd.DataFrame, spec: PanelSpec, options: ReadOptions) -> pd.DataFrame:
    """``frame`` with the text cells of its target and driver columns read as numbers.

    With a number format declared in ``options``, every text cell must be a number in
    that format. Without one, text that looks grouped by thousands (``1.250``) is refused,
    and a column whose text cells are all plain numbers becomes float64; other text is
    left for :mod:`skillcast.validation` to refuse. Columns are replaced, never written.
    """
    for column in (spec.target, *spec.exog):
        raw = frame[column] if column in frame.columns else None
        if not isinstance(raw, pd.Series) or not _is_text_dtype(raw.dtype):
            continue
        values = raw.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) == "string":
            is_text = ~pd.isna(values)
        else:
            is_text = np.fromiter((isinstance(v, str) for v in values), bool, len(values))
        if not is_text.any():
            continue
        codes, uniques = pd.factorize(pd.Series(values[is_text], dtype=object).str.strip())
        text = pd.Series(uniques, dtype=object)
        if options.declares_numbers:
            numbers = _declared_numbers(text, options)
            bad = np.isnan(numbers)
            if bad.any():
                raise _refusal(
                    frame, spec, column, _spread(is_text, bad[codes]),
                    f"are not numbers as declared ({_declared(options)})",
                    f"Declared so, {_example(options)}. Correct these cells, or declare the "
                    "format the column is written in with ReadOptions.thousands and "
                    "ReadOptions.decimal.",
                )  # fmt: skip
        else:
            grouped = text.str.fullmatch(_GROUPED).to_numpy(dtype=bool)
            if grouped.any():
                raise _refusal(
                    frame, spec, column, _spread(is_text, grouped[codes]),
                    "look like numbers with thousands separators (1.250, 12.500, 1,250): "
                    "read as decimals they would be a thousand times too small",
                    "Declare how the numbers are written: ReadOptions.thousands='.' and "
                    "ReadOptions.decimal=',' (the Vietnamese convention: 1.250 = 1250, "
                    "1.250,5 = 1250.5), or ReadOptions.thousands=',' if commas group "
                    "thousands and '.' is the decimal mark (1,250.5 = 1250.5; 1.250 = 1.25).",
                )  # fmt: skip
            numbers = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
            if np.isnan(numbers).any():
                continue
        out = values.copy()
        out[is_text] = numbers[codes]
        numeric = is_text | pd.isna(values)
        frame[column] = pd.Series(
            out, index=raw.index, name=column, dtype="float64" if numeric.all() else object
        )
    return frame


def _is_text_dtype(dtype: object) -> bool:
    # a categorical holds its values as they were written, text included
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def _spread(where: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A row mask: ``values`` at the rows ``where`` marks, False elsewhere."""
    out = np.zeros(len(where), dtype=bool)
    out[where] = values
    return out


def _declared_numbers(text: pd.Series, options: ReadOptions) -> np.ndarray:
    """Each text as a float in the declared format (NaN where it is not one)."""
    dec = re.escape(options.decimal)
    whole = r"\d+"
    if options.thousands is not None:
        whole = rf"(?:\d{{1,3}}(?:{re.escape(options.thousands)}\d{{3}})+|\d+)"
    pattern = rf"[+-]?(?:{whole}(?:{dec}\d*)?|{dec}\d+)(?:[eE][+-]?\d+)?"
    ok = text.str.fullmatch(pattern).to_numpy(dtype=bool)
    plain = text.where(ok, "")
    if options.thousands is not None:
        plain = plain.str.replace(options.thousands, "", regex=False)
    plain = plain.str.replace(options.decimal, ".", regex=False)
    numbers = pd.to_numeric(plain.where(ok), errors="coerce").to_numpy(dtype=float)
    return np.where(ok, numbers, np.nan)


def _declared(options: ReadOptions) -> str:
    return f"ReadOptions.thousands={options.thousands!r}, ReadOptions.decimal={options.decimal!r}"


def _example(options: ReadOptions) -> str:
    grouped = f"1{options.thousands}250" if options.thousands else "1250"
    return f"{grouped}{options.decimal}5 is 1250.5" + (
        f" and {options.thousands!r} may only group three digits" if options.thousands else ""
    )


def _refusal(
    frame: pd.DataFrame, spec: PanelSpec, column: str, mask: np.ndarray, problem: str, remedy: str
) -> SkillcastDataError:
    """The error for the cells ``mask`` marks: column, count, up to five rows, remedy."""
    count = int(np.count_nonzero(mask))
    shown = min(count, _MAX_EXAMPLES)
    context = [c for c in (*spec.keys, spec.period) if c in frame.columns and c != column]
    rows = frame.loc[mask, [column, *context]].head(_MAX_EXAMPLES)
    return SkillcastDataError(
        f"Column {column!r}: {count} row(s) {problem}. First {shown}:\n"
        f"{rows.to_string(max_colwidth=40)}\n{remedy}"
    )
