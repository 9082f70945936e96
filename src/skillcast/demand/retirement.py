"""Statutory retirement ages and the retirement exits an age structure implies.

The Labour Code 2019 (No. 45/2019/QH14, Article 169; schedule in Decree 135/2020/ND-CP)
raises the retirement age under normal working conditions from 60 (men) and 55 (women):
in 2021 it is 60 years 3 months for men and 55 years 4 months for women, and it rises
every year after by 3 months for men until 62 in 2028 and by 4 months for women until
60 in 2035. Before 2021 the ages were 60 and 55. Workers in heavy, hazardous or dangerous
jobs may retire up to 5 years earlier, and some highly skilled workers later; model that
with ``years_early`` in :func:`retirement_rates`.
"""

from __future__ import annotations

from collections.abc import Iterable
from os import PathLike

import numpy as np
import pandas as pd

from skillcast.demand import checks
from skillcast.errors import SkillcastConfigError

# (age in months before the reform, months added per year, first year of the rise, cap)
_PATH = {"male": (720, 3, 2021, 744), "female": (660, 4, 2021, 720)}
_SEX_ALIASES = {
    "male": "male", "m": "male", "man": "male", "men": "male", "nam": "male",
    "female": "female", "f": "female", "woman": "female", "women": "female",
    "nu": "female", "nữ": "female",
}  # fmt: skip
_AGES = "age table"
_AGE_HINT = (
    "An age table has columns occupation, level, workers and either age (completed years) "
    "or age_from and age_to (a band [age_from, age_to), e.g. 55 and 60 for '55-59'), "
    "and optionally sex (male/female)."
)


def _normalise_sex(values: object) -> pd.Series:
    """Canonical ``male``/``female`` per value (flattened); NaN where it is neither."""
    flat = np.asarray(values, dtype=object).ravel()
    return pd.Series(flat, dtype=object).astype(str).str.strip().str.lower().map(_SEX_ALIASES)


def _sex(values: object) -> np.ndarray:
    """Canonical sex codes in the shape of ``values`` (at least 1-d)."""
    arr = np.atleast_1d(np.asarray(values, dtype=object))
    out = _normalise_sex(arr)
    if out.isna().any():
        bad = sorted({str(v) for v in arr.ravel()[out.isna().to_numpy()]})
        raise SkillcastConfigError(f"Unknown sex value(s) {bad[:5]}; use 'male' or 'female'.")
    return out.to_numpy(dtype=object).reshape(arr.shape)


def statutory_retirement_age(
    year: int | Iterable[int] | np.ndarray, sex: str | Iterable[str], unit: str = "years"
) -> float | np.ndarray:
    """Retirement age under normal working conditions in a calendar year (Labour Code 2019).

    Args:
        year: calendar year(s).
        sex: ``"male"``/``"female"`` (also ``m``/``f``, ``nam``/``nữ``); one value or one per
            year (broadcast).
        unit: ``"years"`` (float, 60.25 = 60 years 3 months) or ``"months"`` (int).

    Returns:
        A float (int for months) for scalar inputs, else an array. Examples: men 2021 ->
        60.25, 2028 and after -> 62; women 2021 -> 55 y 4 m, 2025 -> 56 y 8 m, 2035 -> 60.
    """
    if unit not in ("years", "months"):
        raise SkillcastConfigError(f"unit must be 'years' or 'months', got {unit!r}")
    scalar = np.ndim(np.asarray(year)) == 0 and isinstance(sex, str)
    years = np.atleast_1d(np.asarray(year, dtype=np.int64))
    sexes = _sex(sex)
    years, sexes = np.broadcast_arrays(years, sexes)
    months = np.zeros(years.shape, dtype=np.int64)
    for key, (start, step, first, cap) in _PATH.items():
        rows = sexes == key
        rise = step * np.clip(years[rows] - first + 1, 0, None)
        months[rows] = np.minimum(start + rise, cap)
    out: np.ndarray = months if unit == "months" else months / 12.0
    return out.item() if scalar else out


def annual_rise(year: int | np.ndarray, sex: str | np.ndarray) -> np.ndarray:
    """How much the statutory age rose from ``year - 1`` to ``year``, in years (0 to 1/3)."""
    years = np.atleast_1d(np.asarray(year, dtype=np.int64))
    now = statutory_retirement_age(years, sex, unit="months")
    before = statutory_retirement_age(years - 1, sex, unit="months")
    return (np.asarray(now) - np.asarray(before)) / 12.0


def read_age_table(
    ages: pd.DataFrame | str | PathLike[str], female_share: float | None
) -> pd.DataFrame:
    """Validate an age table; return occupation, level, sex, age_from, age_to, workers.

    A table without a ``sex`` column is split into women (``female_share``) and men.
    """
    frame = checks.read_table(ages, _AGES, ("occupation", "level", "sex"))
    checks.require_columns(frame, _AGES, ("occupation", "level", "workers"), _AGE_HINT)
    out = pd.DataFrame(
        {
            "occupation": checks.code_column(frame, _AGES, "occupation"),
            "level": checks.code_column(frame, _AGES, "level"),
            "workers": checks.number_column(frame, _AGES, "workers"),
        }
    )
    if "age" in frame.columns:
        out["age_from"] = checks.number_column(frame, _AGES, "age", 0, 120)
        out["age_to"] = out["age_from"] + 1.0
    elif {"age_from", "age_to"} <= set(frame.columns):
        out["age_from"] = checks.number_column(frame, _AGES, "age_from", 0, 120)
        out["age_to"] = checks.number_column(frame, _AGES, "age_to", 0, 130)
        empty = (out["age_to"] <= out["age_from"]).to_numpy()
        if empty.any():
            raise checks.fail(
                frame, empty, _AGES, "age_to", "are not above age_from",
                "age_to is the exclusive upper bound of the band (60 for '55-59').",
            )  # fmt: skip
    else:
        checks.require_columns(frame, _AGES, ("age",), _AGE_HINT)
    if "sex" in frame.columns:
        sex = _normalise_sex(checks.code_column(frame, _AGES, "sex").to_numpy())
        if sex.isna().any():
            raise checks.fail(
                frame, sex.isna().to_numpy(), _AGES, "sex", "are neither male nor female",
                "Write sex as male/female (m/f, nam/nữ are read too).",
            )  # fmt: skip
        out["sex"] = sex.to_numpy(dtype=object)
        checks.no_duplicates(
            out, _AGES, ["occupation", "level", "sex", "age_from"],
            "Give each age band once per occupation, level and sex (sum the rows).",
        )  # fmt: skip
        return out
    if female_share is None or not 0.0 <= float(female_share) <= 1.0:
        raise SkillcastConfigError(
            "The age table has no 'sex' column: pass female_share (share of women among "
            f"the workers, between 0 and 1), got {female_share!r}."
        )
    checks.no_duplicates(
        out, _AGES, ["occupation", "level", "age_from"],
        "Give each age band once per occupation and level (sum the rows).",
    )  # fmt: skip
    share = np.array([1.0 - float(female_share), float(female_share)])
    split = out.loc[np.repeat(out.index, 2)].reset_index(drop=True)
    split["sex"] = np.tile(np.array(["male", "female"], dtype=object), len(out))
    split["workers"] = split["workers"].to_numpy() * np.tile(share, len(out))
    return split


def retirement_rates(
    ages: pd.DataFrame | str | PathLike[str],
    base_year: int,
    years: Iterable[int] | None = None,
    years_to_retirement: float = 5.0,
    years_early: float = 0.0,
    female_share: float | None = None,
    ageing: bool = True,
) -> pd.DataFrame:
    """Annual retirement exits per worker, by occupation x level x calendar year.

    For year ``Y`` and each sex, ``A(Y)`` is the statutory age minus ``years_early``. The
    workers within ``years_to_retirement`` (``w``) years of it, aged in ``[A(Y) - w, A(Y))``,
    will retire over the next ``w`` years, so ``share / w`` of the workers retire per year.
    While the statutory age rises by ``d`` years a year, only ``1 - d`` birth-years reach it
    each year (a quarter of a cohort fewer for men until 2028, a third for women until 2035),
    so the rate is multiplied by ``1 - d(Y)``. With ``ageing`` the base-year workers are aged
    ``Y - base_year`` years first (the cohort method: a bulge of 50-year-olds retires a decade
    later); without it the base-year distribution is used as is. Workers are spread evenly
    within an age band. Men and women are combined by their numbers, so the result is
    ``retiring / workers`` of the (occupation, level) cell in the base year.

    Args:
        ages: age table (see :func:`read_age_table`); ``workers`` in the base year.
        base_year: the calendar year the age table describes.
        years: the years to compute (default ``base_year`` .. ``base_year + 10``).
        years_to_retirement: the window ``w`` in years (> 0).
        years_early: average years before the statutory age at which workers retire.
        female_share: share of women, required when the table has no ``sex`` column.
        ageing: age the base-year workers to year ``Y`` (cohort method).

    Returns:
        Columns ``occupation``, ``level``, ``year``, ``retirement_rate`` (per worker per year)
        and ``workers`` (base-year total of the cell).
    """
    if not years_to_retirement > 0:
        raise SkillcastConfigError(f"years_to_retirement must be > 0, got {years_to_retirement!r}")
    table = read_age_table(ages, female_share)
    year_arr = np.asarray(
        list(range(base_year, base_year + 11)) if years is None else list(years), dtype=np.int64
    )
    if year_arr.size == 0:
        raise SkillcastConfigError("years is empty: give at least one calendar year.")
    sexes = table["sex"].to_numpy()
    # (rows x years) grids: the window each row's sex faces in each year
    age_now = np.asarray(statutory_retirement_age(year_arr[None, :], sexes[:, None])) - years_early
    rise = annual_rise(year_arr[None, :], sexes[:, None]).reshape(age_now.shape)
    shift = (year_arr[None, :] - base_year) if ageing else np.zeros((1, year_arr.size))
    lo_band = table["age_from"].to_numpy()[:, None] + shift
    hi_band = table["age_to"].to_numpy()[:, None] + shift
    overlap = np.clip(
        np.minimum(hi_band, age_now) - np.maximum(lo_band, age_now - years_to_retirement), 0, None
    )
    fraction = overlap / (hi_band - lo_band)
    retiring = table["workers"].to_numpy()[:, None] * fraction / years_to_retirement * (1 - rise)
    long = pd.DataFrame(
        {
            "occupation": np.repeat(table["occupation"].to_numpy(), year_arr.size),
            "level": np.repeat(table["level"].to_numpy(), year_arr.size),
            "year": np.tile(year_arr, len(table)),
            "retiring": retiring.ravel(),
        }
    )
    out = long.groupby(["occupation", "level", "year"], sort=True, as_index=False)["retiring"].sum()
    totals = table.groupby(["occupation", "level"], sort=True)["workers"].sum()
    out["workers"] = totals.reindex(
        pd.MultiIndex.from_frame(out[["occupation", "level"]])
    ).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["retirement_rate"] = np.where(out["workers"] > 0, out["retiring"] / out["workers"], 0.0)
    return out.loc[:, ["occupation", "level", "year", "retirement_rate", "workers"]]
