"""The :class:`Taxonomy` wrapper and the reader for taxonomy CSV files.

Every classification (occupations, training levels, sectors, or a table of the user's
own) is one CSV with the columns ``code,parent,tier,name_vi,name_en,version`` plus any
extra attribute columns. :func:`load_taxonomy` reads and validates such a file;
:class:`Taxonomy` answers vectorised look-ups on it (known codes, names, parents,
roll-ups to a tier, attributes).
"""

from __future__ import annotations

import os
from collections.abc import Hashable
from typing import IO

import numpy as np
import pandas as pd

from skillcast.errors import SkillcastConfigError, SkillcastDataError
from skillcast.taxonomy.validation import (
    ALIAS_COLUMN,
    REQUIRED_COLUMNS,
    Codes,
    as_codes,
    code_str,
    validate_table,
)

__all__ = ["REQUIRED_COLUMNS", "Codes", "Taxonomy", "as_codes", "load_taxonomy"]

_LANGS = ("vi", "en")


class Taxonomy:
    """One classification table with vectorised look-ups.

    Attributes:
        name: Short name, e.g. ``"occupation"``, ``"level"``, ``"sector"`` or the user's.
        version: The single value of the ``version`` column, e.g. ``"VSCO2020"``.
        table: A copy of the validated table: default RangeIndex, columns
            ``code,parent,tier,name_vi,name_en,version`` then the extra attribute columns.
            Text columns hold ``str`` values in ``object`` dtype with NaN for blanks
            (``parent`` is NaN for top-tier codes), ``tier`` is int, extra columns whose
            cells are all whole numbers are ``Int64``.

    Every access to :attr:`table` returns a new copy (cheap under pandas copy-on-write), so
    callers can modify what they get without touching the shared, cached instance.

    Look-up methods take a Series (its index is kept), any sequence or array of codes, or a
    single code string, and return a Series aligned with the input. Codes are compared as
    text; integers are converted with ``str`` first. A table with an ``alias`` column
    accepts each alias wherever it accepts the code (see :meth:`canonical`).
    """

    __slots__ = (
        "_alias",
        "_alias_widths",
        "_by_code",
        "_description",
        "_name",
        "_prefix",
        "_table",
        "_version",
    )

    def __init__(
        self,
        table: pd.DataFrame,
        name: str,
        *,
        source: str | None = None,
        description: str | None = None,
    ) -> None:
        """Validate ``table`` (see :func:`load_taxonomy` for the rules) and wrap it.

        Args:
            table: Frame with at least the columns in :data:`REQUIRED_COLUMNS`.
            name: Short name of the classification.
            source: Where the table came from, used in error messages.
            description: What the table covers, in words, for messages about codes it
                lacks (default: its name, version and size).
        """
        frame = validate_table(table, source or f"taxonomy {name!r}")
        self._table = frame
        self._name = str(name)
        self._version = str(frame["version"].iloc[0])
        self._description = description
        self._by_code = frame.set_index("code", drop=False)
        self._prefix = _prefix_lengths(frame)
        self._alias: dict[str, str] = {}
        if ALIAS_COLUMN in frame.columns:
            given = frame[ALIAS_COLUMN].notna()
            aliases = frame.loc[given, ALIAS_COLUMN]
            self._alias = dict(zip(aliases, frame.loc[given, "code"], strict=True))
        self._alias_widths = sorted({len(a) for a in self._alias}, reverse=True)

    # ----------------------------------------------------------------- properties
    @property
    def name(self) -> str:
        """Short name of the classification."""
        return self._name

    @property
    def version(self) -> str:
        """Classification version, e.g. ``"VSCO2020"``."""
        return self._version

    @property
    def table(self) -> pd.DataFrame:
        """A copy of the table (see the class docstring for its layout)."""
        return self._table.copy()

    @property
    def codes(self) -> frozenset[str]:
        """All codes of the table."""
        return frozenset(self._table["code"])

    @property
    def tiers(self) -> tuple[int, ...]:
        """The tiers present, top (1) first."""
        return tuple(sorted(int(t) for t in self._table["tier"].unique()))

    @property
    def columns(self) -> tuple[str, ...]:
        """All column names, required ones first."""
        return tuple(self._table.columns)

    @property
    def description(self) -> str:
        """What the table covers, in words, e.g. ``"the shipped occupation table is ..."``."""
        if self._description:
            return self._description
        n = len(self._table)
        listed = f": {', '.join(self._table['code'])}" if n <= 10 else ""
        return f"the {self._name} table ({self._version}) has {n:,} code(s){listed}"

    def __len__(self) -> int:
        return len(self._table)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self._canonical_one(code) in self._by_code.index

    def __repr__(self) -> str:
        return (
            f"Taxonomy(name={self._name!r}, version={self._version!r}, "
            f"codes={len(self._table)}, tiers={self.tiers})"
        )

    # -------------------------------------------------------------------- look-ups
    def canonical(self, values: Codes) -> pd.Series:
        """Each code written the way the table writes it, aligned with the input.

        Only a table with an ``alias`` column rewrites anything: an alias becomes its row's
        code (the shipped VSIC table: ``"52"`` -> ``"H52"``, ``"5210"`` -> ``"H5210"``), and
        a code that only starts with an alias takes the same head, so codes finer than the
        table still roll up (``"52109"`` -> ``"H52109"``). The table's own codes and codes
        it cannot place pass unchanged; blanks give NaN (as :func:`as_codes`).
        """
        s = as_codes(values)
        if not self._alias:
            return s
        inverse, uniq = pd.factorize(s, use_na_sentinel=True)
        mapped = np.array([self._canonical_one(u) for u in uniq] + [np.nan], dtype=object)
        return pd.Series(mapped[inverse], index=s.index, name=s.name, dtype=object)

    def is_known(self, values: Codes) -> np.ndarray:
        """Boolean mask: True where the value is a code (or alias) of this table (NaN -> False)."""
        return self.canonical(values).isin(self._by_code.index).to_numpy(dtype=bool)

    def attribute(self, codes: Codes, column: str) -> pd.Series:
        """Value of ``column`` for each code (unknown or missing codes -> NA).

        Raises:
            SkillcastConfigError: ``column`` is not a column of the table.
        """
        if column not in self._table.columns:
            raise SkillcastConfigError(
                f"{self._name} table ({self._version}) has no column {column!r}; "
                f"available: {', '.join(self._table.columns)}"
            )
        s = self.canonical(codes)
        out = self._by_code[column].reindex(s.to_numpy())
        return pd.Series(out.to_numpy(), index=s.index, name=column, dtype=out.dtype)

    def name_of(self, codes: Codes, lang: str = "vi") -> pd.Series:
        """Name of each code in ``lang`` (``"vi"`` or ``"en"``); unknown codes -> NaN."""
        if lang not in _LANGS:
            raise SkillcastConfigError(f"lang must be one of {_LANGS}, got {lang!r}")
        return self.attribute(codes, f"name_{lang}")

    def parent_of(self, codes: Codes) -> pd.Series:
        """Parent code of each code; NaN for top-tier and unknown codes."""
        return self.attribute(codes, "parent")

    def tier_of(self, codes: Codes) -> pd.Series:
        """Tier of each code (``Int64``; NA for unknown codes)."""
        return self.attribute(codes, "tier").astype("Int64")

    def ordinal(self, codes: Codes) -> pd.Series:
        """The ``ordinal`` column (ordered categories such as training levels)."""
        return self.attribute(codes, "ordinal")

    def skill_level(self, codes: Codes) -> pd.Series:
        """The ``skill_level`` column (ISCO skill levels such as ``"3;4"``)."""
        return self.attribute(codes, "skill_level")

    def codes_at(self, tier: int) -> list[str]:
        """Codes at ``tier``, in table order."""
        return self._table.loc[self._table["tier"] == tier, "code"].tolist()

    def children(self, code: str) -> list[str]:
        """Codes whose parent is ``code``, in table order ([] for a leaf).

        Raises:
            SkillcastDataError: ``code`` is not in the table.
        """
        code = self._known_one(code)
        return self._table.loc[self._table["parent"] == code, "code"].tolist()

    def ancestors(self, code: str) -> list[str]:
        """Ancestors of ``code`` from the top down, e.g. ``"8343"`` -> ``["8", "83", "834"]``.

        A code missing from the table still gets the table's codes that are its prefixes
        when the table is prefix-coded (like VSCO and VSIC); otherwise it is an error.

        Raises:
            SkillcastDataError: ``code`` is unknown and the table is not prefix-coded.
        """
        norm = self._canonical_one(code_str(code))
        if isinstance(norm, str) and norm in self._by_code.index:
            chain: list[str] = []
            parent = self._by_code.at[norm, "parent"]
            while isinstance(parent, str):
                chain.append(parent)
                parent = self._by_code.at[parent, "parent"]
            return chain[::-1]
        if self._prefix is not None and isinstance(norm, str):
            lengths = sorted(set(self._prefix.values()))
            return [norm[:n] for n in lengths if n < len(norm) and norm[:n] in self]
        raise self._unknown(code)

    def rollup(self, codes: Codes, tier: int) -> pd.Series:
        """Each code's ancestor at ``tier`` (the code itself when already at ``tier``).

        Prefix-coded tables (every code at a tier has the same length, and codes start
        with their parent's code, as in VSCO and VSIC) roll up by taking the prefix of the
        tier's length, so codes missing from the table (e.g. a 5-digit VSCO code) still roll
        up. Other tables follow the ``parent`` column; unknown codes give NaN. Codes above
        ``tier`` (shorter ones) give NaN.

        Raises:
            SkillcastConfigError: ``tier`` is not a tier of the table.
        """
        if tier not in self.tiers:
            raise SkillcastConfigError(
                f"tier {tier!r} is not in the {self._name} table ({self._version}); "
                f"its tiers are {self.tiers}"
            )
        s = self.canonical(codes)
        if self._prefix is not None:
            width = self._prefix[tier]
            inverse, uniq = pd.factorize(s, use_na_sentinel=True)
            cut = [c[:width] if len(c) >= width else np.nan for c in uniq] + [np.nan]
            return pd.Series(np.array(cut, dtype=object)[inverse], s.index, object, s.name)
        parent = self._by_code["parent"]
        tier_of = self._by_code["tier"]
        current = s.copy()
        for _ in range(len(self.tiers)):
            level = current.map(tier_of)
            climb = level > tier
            if not climb.any():
                break
            current = current.where(~climb, current.map(parent))
        return current.where(current.map(tier_of) == tier).astype(object)

    # -------------------------------------------------------------------- helpers
    def _canonical_one(self, code: object) -> object:
        if not isinstance(code, str) or not self._alias or code in self._by_code.index:
            return code
        if (whole := self._alias.get(code)) is not None:
            return whole
        for width in self._alias_widths:
            head = code[:width]
            if width < len(code) and (target := self._alias.get(head)) is not None:
                if target.endswith(head):
                    return target[: len(target) - width] + code
        return code

    def _unknown(self, code: Hashable) -> SkillcastDataError:
        return SkillcastDataError(
            f"code {code!r} is not in the {self._name} table ({self._version}); check "
            "codes with is_known() first, or load a table that has it with load_taxonomy()"
        )

    def _known_one(self, code: Hashable) -> str:
        norm = self._canonical_one(code_str(code))
        if not (isinstance(norm, str) and norm in self._by_code.index):
            raise self._unknown(code)
        return norm


def _prefix_lengths(frame: pd.DataFrame) -> dict[int, int] | None:
    """Tier -> code length when the table is prefix-coded, else None."""
    lengths = frame["code"].str.len().groupby(frame["tier"]).unique()
    if any(len(v) != 1 for v in lengths):
        return None
    widths = {int(t): int(v[0]) for t, v in lengths.items()}
    ordered = [widths[t] for t in sorted(widths)]
    if any(b <= a for a, b in zip(ordered, ordered[1:], strict=False)):
        return None
    linked = frame[frame["parent"].notna()]
    if not all(c.startswith(p) for c, p in zip(linked["code"], linked["parent"], strict=True)):
        return None
    return widths


def load_taxonomy(path: str | os.PathLike[str] | IO[str], name: str | None = None) -> Taxonomy:
    """Read a taxonomy CSV (UTF-8, optional BOM) in the skillcast format and validate it.

    Use it for a classification of your own: VSIC 2025, a more detailed VSCO table, an
    ISCO crosswalk. Cells are read as text, so leading zeros in codes survive. An optional
    ``alias`` column gives a second way of writing each code (``52`` for ``H52``).

    Args:
        path: File path or open text file.
        name: Short name of the classification; defaults to the file name without suffix.

    Raises:
        SkillcastDataError: naming a missing required column, duplicated codes (count and
            up to five examples), parents that are not in the table, tiers that are not
            whole numbers, parents not above their children, a missing / mixed version, or
            an alias given to two rows or equal to another row's code.
    """
    is_path = isinstance(path, str | os.PathLike)
    if isinstance(path, str | os.PathLike):
        label = os.fspath(path)
    else:
        label = str(getattr(path, "name", "<stream>"))
    frame = pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        encoding="utf-8-sig" if is_path else None,
    )
    frame.columns = [str(c).strip() for c in frame.columns]
    if name is None:
        name = os.path.splitext(os.path.basename(label))[0] or "taxonomy"
    return Taxonomy(frame, name, source=label)
