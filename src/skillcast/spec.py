"""What the columns of a panel mean: :class:`PanelSpec`."""

from __future__ import annotations

import codecs
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, check_period_format, frequency

Measure = Literal["stock", "openings"]
GapPolicy = Literal["error", "zero", "missing"]
UnknownCodePolicy = Literal["error", "warn", "keep"]


@dataclass(frozen=True)
class PanelSpec:
    """What the columns of a panel mean.

    Attributes:
        period: column holding the reporting period.
        freq: ``annual``, ``semiannual``, ``quarterly`` or ``monthly`` (or an alias:
            ``Y``, ``6M``/``H``, ``Q``, ``M``).
        keys: columns that identify a series (any of region, sector, occupation, level,
            under any names).
        target: the numeric column to forecast.
        measure: ``stock`` (employment) or ``openings`` (declared recruitment needs).
        known_exog: exogenous columns known in advance (plans, calendars): features may
            read them at the target period.
        observed_exog: exogenous columns only observed as time passes: features may read
            them only at or before the forecast origin.
        gaps: what to do with a period missing inside a series (or an empty target):
            ``error``, ``zero`` (fill 0: nothing was reported because there was nothing)
            or ``missing`` (keep the row with a missing target).
        unknown_codes: what to do with key codes a taxonomy does not know.
        taxonomies: key column -> taxonomy (``"occupation"``, ``"level"``, ``"sector"``,
            a CSV path, or a :class:`skillcast.taxonomy.Taxonomy`). ``None`` checks the
            columns named occupation, level and sector against the shipped tables;
            ``{}`` checks nothing.
        max_value: the largest plausible target value in one cell, in the target's own
            unit (default 1e9: more workers than any cell of a labour market holds).
            Larger values are refused: they are slips (a unit, a pasted total, a corrupt
            cell), and one of them wrecks every error metric downstream. Lower it to the
            scale of your data for a tighter check; ``float("inf")`` switches the check off.
        code_width: the width of codes in key columns, for data whose codes were stored
            as numbers (``1`` for ``01``): one int for every key column, or a mapping
            key column -> width. Integer keys are refused without it; with it, integer
            codes and digit-only text codes shorter than the width are zero-padded, and
            longer ones are refused.
        encoding: the text encoding of a CSV file (e.g. ``cp1258`` for old Vietnamese
            files). ``None`` reads UTF-8, or UTF-8/UTF-16 with a byte-order mark, and
            refuses anything else rather than guess.
        period_format: how the period column writes dates when they are not labels
            such as ``2024-H1``: ``"dayfirst"`` (``01/07/2024``, ``1/7/2024``,
            ``01.07.2024``, ``01-07-2024``: day first, the Vietnamese convention) or a
            strftime pattern (``"%d/%m/%Y"``, which also takes ``1/7/2024``;
            ``"%d.%m.%Y"``, ``"%m/%Y"``...). Every text cell must then be in that form,
            and a date stands for the period containing it. ``None`` reads the labels
            and ISO dates :func:`skillcast.periods.parse_periods` lists, and refuses
            forms such as ``01/07/2024`` or ``2024/06`` that could be read more than one
            way.
    """

    period: str = "period"
    freq: str = "semiannual"
    keys: tuple[str, ...] = ("sector", "occupation", "level")
    target: str = "employment"
    measure: Measure = "stock"
    known_exog: tuple[str, ...] = ()
    observed_exog: tuple[str, ...] = ()
    gaps: GapPolicy = "error"
    unknown_codes: UnknownCodePolicy = "error"
    taxonomies: Mapping[str, object] | None = field(default=None, hash=False, compare=False)
    max_value: float = 1e9
    # a mapping is not hashable: equal specs still hash equal without it
    code_width: int | Mapping[str, int] | None = field(default=None, hash=False)
    encoding: str | None = None
    period_format: str | None = None

    def __post_init__(self) -> None:
        for name in ("keys", "known_exog", "observed_exog"):
            value = getattr(self, name)
            if isinstance(value, str):
                value = (value,)
            object.__setattr__(self, name, tuple(value))
        frequency(self.freq)  # raises on an unknown frequency
        _check_choice("measure", self.measure, ("stock", "openings"))
        _check_choice("gaps", self.gaps, ("error", "zero", "missing"))
        _check_choice("unknown_codes", self.unknown_codes, ("error", "warn", "keep"))
        if not self.keys:
            raise SkillcastConfigError("PanelSpec.keys is empty: name at least one key column.")
        self._check_input_options()
        columns = self.columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise SkillcastConfigError(
                f"PanelSpec names column(s) {repeated} in more than one role "
                "(period, keys, target, exogenous): give each column one role."
            )

    def _check_input_options(self) -> None:
        value = self.max_value
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
            raise SkillcastConfigError(
                f"PanelSpec.max_value={value!r}; give a positive number, the largest "
                "plausible target value in one cell (float('inf') switches the check off)."
            )
        object.__setattr__(self, "max_value", float(value))
        width = self.code_width
        if isinstance(width, Mapping):
            width = {c: _width(w) for c, w in width.items()}
            unknown = sorted(str(c) for c in width if c not in self.keys)
            if unknown:
                raise SkillcastConfigError(
                    f"PanelSpec.code_width names {unknown}, which are not key columns "
                    f"{list(self.keys)}."
                )
            object.__setattr__(self, "code_width", width)
        elif width is not None:
            object.__setattr__(self, "code_width", _width(width))
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except (LookupError, TypeError):
                raise SkillcastConfigError(
                    f"PanelSpec.encoding={self.encoding!r} is not a known text encoding "
                    "(e.g. 'utf-8', 'cp1258', 'utf-16')."
                ) from None
        if self.period_format is not None:
            object.__setattr__(self, "period_format", check_period_format(self.period_format))

    def width_of(self, key: str) -> int | None:
        """The declared code width of a key column (None: not declared)."""
        if isinstance(self.code_width, Mapping):
            return self.code_width.get(key)
        return self.code_width

    @property
    def frequency(self) -> Frequency:
        return frequency(self.freq)

    @property
    def exog(self) -> tuple[str, ...]:
        return self.known_exog + self.observed_exog

    @property
    def columns(self) -> list[str]:
        """Every column the spec names, in panel order."""
        return [*self.keys, self.period, self.target, *self.exog]

    def with_(self, **changes: object) -> PanelSpec:
        """A copy with some fields changed."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise SkillcastConfigError(f"PanelSpec.{name}={value!r}; choose one of {allowed}.")


def _width(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise SkillcastConfigError(
            f"PanelSpec.code_width has {value!r}; give a positive int (the width of every "
            "key's codes) or a mapping key column -> int."
        )
    return int(value)
