"""What the columns of a panel mean: :class:`PanelSpec`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, frequency

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
        columns = self.columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise SkillcastConfigError(
                f"PanelSpec names column(s) {repeated} in more than one role "
                "(period, keys, target, exogenous): give each column one role."
            )

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
