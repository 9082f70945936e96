"""The report's words and figures in Vietnamese and English.

:class:`Text` is a phrase in both languages (two spans the page's toggle switches).
Figures are whole workers with a no-break space between thousands and a true minus sign;
percentages take a decimal comma in Vietnamese.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

from skillcast.outputs.forecast_tables import half_up

__all__ = [
    "AGGREGATIONS",
    "ASSESSMENTS",
    "PERIOD_WORDS",
    "Text",
    "as_float",
    "num",
    "num_range",
    "pct",
    "signed",
]

_NBSP = "\u00a0"


@dataclass(frozen=True)
class Text:
    """A phrase in Vietnamese and English; renders as two spans the toggle switches."""

    vi: str
    en: str

    def __html__(self) -> str:
        return (
            f'<span class="vi" lang="vi">{escape(self.vi)}</span>'
            f'<span class="en" lang="en">{escape(self.en)}</span>'
        )

    def __str__(self) -> str:
        return self.vi


def num(value: object) -> str:
    """Whole workers with a no-break space between thousands (read alike in both
    languages, unlike 1.234 / 1,234)."""
    x = as_float(value)
    if not np.isfinite(x):
        return "–"
    # a true minus sign: a hyphen is easily missed in a column of figures
    return f"{half_up(np.array([x]))[0]:,.0f}".replace(",", _NBSP).replace("-", "\u2212")


def signed(value: object) -> str:
    """:func:`num` with a plus sign on gains."""
    text = num(value)
    return f"+{text}" if as_float(value) > 0 and text != "0" else text


def num_range(lo: object, hi: object) -> str:
    """``lo – hi`` in whole workers; a dash when either bound is missing."""
    if not (np.isfinite(as_float(lo)) and np.isfinite(as_float(hi))):
        return "–"
    return f"{num(lo)} – {num(hi)}"


def pct(value: object, digits: int = 1, sign: bool = False) -> Text:
    """A share as a percentage in both languages (``0.125`` -> ``12,5%`` / ``12.5%``)."""
    x = as_float(value)
    if not np.isfinite(x):
        return Text("–", "–")
    if round(100 * x, digits) == 0:
        x = 0.0  # no "-0.0%" nor "+0.0%"
        sign = False
    en = f"{100 * x:+.{digits}f}%" if sign else f"{100 * x:.{digits}f}%"
    en = en.replace("-", "\u2212")
    return Text(en.replace(".", ","), en)


def as_float(value: object) -> float:
    """A cell of a table as a float; NaN when it is not a number."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")


ASSESSMENTS = {
    "likely shortage": Text("Nhiều khả năng thiếu", "Likely shortage"),
    "possible shortage": Text("Có thể thiếu", "Possible shortage"),
    "likely balance": Text("Nhiều khả năng cân bằng", "Likely balance"),
    "possible balance": Text("Có thể cân bằng", "Possible balance"),
    "likely surplus": Text("Nhiều khả năng dư", "Likely surplus"),
    "possible surplus": Text("Có thể dư", "Possible surplus"),
    "shortage": Text("Thiếu", "Shortage"),
    "balance": Text("Cân bằng", "Balance"),
    "surplus": Text("Dư", "Surplus"),
}
AGGREGATIONS = {
    "total": Text("Tổng toàn thành phố", "City total"),
    "sector": Text("Ngành kinh tế", "Sectors"),
    "occupation_major": Text("Nhóm nghề cấp 1", "Occupation major groups"),
    "level": Text("Trình độ chuyên môn kỹ thuật", "Training levels"),
    "bottom": Text("Từng nghề × ngành × trình độ", "Single occupation × sector × level"),
}
PERIOD_WORDS = {
    "annual": Text("năm", "year"),
    "semiannual": Text("nửa năm", "half-year"),
    "quarterly": Text("quý", "quarter"),
    "monthly": Text("tháng", "month"),
}
