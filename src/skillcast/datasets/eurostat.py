"""Real data: Eurostat employment by occupation (ISCO-08) x education level, annual.

Source: Eurostat (lfsa_egised), EU Labour Force Survey, thousands of employed persons
aged 20-64. The project ships a small extract (``tests/data/eurostat_lfsa_egised_extract
.csv``, see ``tests/data/eurostat_README.md``); :func:`build_eurostat_extract` derives it
from the bulk long file and :func:`load_eurostat_extract` reads it as an occupation x
education-level x country annual :class:`~skillcast.panel.Panel`.

Flags (Eurostat's own, kept verbatim in ``flags``) are surfaced as boolean columns on
the panel frame, so models and reports can weight or mark them:

- ``low_reliability``: flag ``u``; the value is kept.
- ``series_break``: flag ``b``; the value is kept. In 2011+ breaks mark the switch to
  ISCO-08 (2011), national survey redesigns (e.g. 2014, 2019/2020) and the new EU-LFS
  regulation (2021): a level shift there is a measurement change, not a labour market
  one.
- ``definition_differs``: flag ``d`` (e.g. Spain 2021+).
- ``suppressed``: Eurostat published no value (``:``) for a year inside the series,
  usually because the cell is too small to be reliable; the row exists with a missing
  target (the panel's gap policy is ``missing``, never zero).
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import pandas as pd

from skillcast.errors import SkillcastDataError
from skillcast.panel import Panel, PanelSpec, load_panel

SOURCE_CREDIT = "Source: Eurostat (lfsa_egised)"
EXTRACT_GEOS: tuple[str, ...] = ("CZ", "DE", "ES", "PL")
EXTRACT_YEARS: tuple[int, int] = (2011, 2023)  # ISCO-08 from 2011; older years break
EXTRACT_OCCUPATIONS: tuple[str, ...] = tuple(f"OC{i}" for i in range(1, 10))  # no OC0
EXTRACT_LEVELS: tuple[str, ...] = ("ED0-2", "ED3_4", "ED5-8")  # ED3_4 runs to 2023
EXTRACT_COLUMNS: tuple[str, ...] = ("geo", "isco08", "isced11", "year", "value_ths", "flags")

EUROSTAT_SPEC = PanelSpec(
    period="year",
    freq="annual",
    keys=("geo", "occupation", "level"),
    target="value_ths",
    measure="stock",
    gaps="missing",  # suppressed cells are unknown, not zero
    unknown_codes="keep",
    taxonomies={},  # Eurostat's codes (OC1, ED0-2), not VSCO or the five LFS levels
)
"""Spec of the extract: thousands employed by country x ISCO-08 major group x ISCED."""

FLAG_COLUMNS: dict[str, str] = {
    "low_reliability": "u",
    "series_break": "b",
    "definition_differs": "d",
}


def build_eurostat_extract(
    source: str | PathLike[str],
    geos: tuple[str, ...] = EXTRACT_GEOS,
    years: tuple[int, int] = EXTRACT_YEARS,
) -> pd.DataFrame:
    """Filter the bulk long file to the project's extract.

    Keeps sex ``T``, age ``Y20-64``, ISCO-08 major groups OC1..OC9 (armed forces OC0,
    ``TOTAL`` and non-response ``NRP`` dropped), ISCED levels ``ED0-2``, ``ED3_4``,
    ``ED5-8`` (the 2021+ split into general/vocational is dropped: ``ED3_4`` itself
    continues), the given countries and years. Columns: :data:`EXTRACT_COLUMNS`,
    sorted by geo, isco08, isced11, year; ``flags`` is ``""`` where Eurostat set none.
    """
    raw = pd.read_csv(source, dtype={"flags": str}, keep_default_na=False)
    keep = (
        (raw["sex"] == "T")
        & (raw["age"] == "Y20-64")
        & raw["geo"].isin(geos)
        & raw["isco08"].isin(EXTRACT_OCCUPATIONS)
        & raw["isced11"].isin(EXTRACT_LEVELS)
        & raw["year"].between(*years)
    )
    out = raw.loc[keep, list(EXTRACT_COLUMNS)]
    return out.sort_values(["geo", "isco08", "isced11", "year"], ignore_index=True)


def read_eurostat_extract(path: str | PathLike[str]) -> pd.DataFrame:
    """Read an extract as a long frame with skillcast column names and flag columns.

    Returns columns ``geo``, ``occupation`` (ISCO-08 major group ``OC1``..``OC9``),
    ``level`` (ISCED 2011 ``ED0-2``/``ED3_4``/``ED5-8``), ``year`` (str), ``value_ths``
    (thousands employed, float), ``flags`` (str) and the booleans of
    :data:`FLAG_COLUMNS`.
    """
    path = Path(path)
    if not path.exists():
        raise SkillcastDataError(f"No such file: {path}. Build it with build_eurostat_extract.")
    text = {"geo": str, "isco08": str, "isced11": str, "year": str, "flags": str}
    frame = pd.read_csv(path, dtype=text, keep_default_na=False, na_values={"value_ths": [""]})
    missing = [c for c in EXTRACT_COLUMNS if c not in frame.columns]
    if missing:
        raise SkillcastDataError(
            f"{path.name}: column(s) {missing} missing; found {list(frame.columns)}. "
            "Regenerate the extract with build_eurostat_extract."
        )
    frame = frame.rename(columns={"isco08": "occupation", "isced11": "level"})
    for column, flag in FLAG_COLUMNS.items():
        frame[column] = frame["flags"].str.contains(flag, regex=False)
    return frame


def load_eurostat_extract(path: str | PathLike[str]) -> Panel:
    """Load an extract as an annual panel under :data:`EUROSTAT_SPEC`.

    The panel's frame carries, besides the spec's columns, ``flags`` and the boolean
    columns ``low_reliability``, ``series_break``, ``definition_differs`` and
    ``suppressed`` (a year Eurostat did not publish inside a series: target missing).
    ``panel.dense("low_reliability")`` gives them as a (series x years) array.
    """
    frame = read_eurostat_extract(path)
    panel = load_panel(frame, EUROSTAT_SPEC)
    flags = frame[[*EUROSTAT_SPEC.keys, "flags", *FLAG_COLUMNS]].copy()
    # same Period dtype as the panel's, so the merge matches year for year
    flags[EUROSTAT_SPEC.period] = pd.PeriodIndex(frame["year"], freq="Y")
    merged = panel.frame.merge(flags, on=[*EUROSTAT_SPEC.keys, EUROSTAT_SPEC.period],
                               how="left", validate="one_to_one")  # fmt: skip
    merged["suppressed"] = merged["flags"].isna()
    merged["flags"] = merged["flags"].fillna("")
    for column in FLAG_COLUMNS:
        merged[column] = merged[column].fillna(False).astype(bool)
    return Panel(EUROSTAT_SPEC, merged)
