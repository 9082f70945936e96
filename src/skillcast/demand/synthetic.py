"""Synthetic companions of the bundled sample: graduate supply and workforce age structure.

:func:`make_supply_table` draws graduates by occupation x training level x period that are
deliberately out of step with demand, so a gap table built on the sample shows shortages
and surpluses where a planner would expect them:

* **business graduates (university, L4)**: occupations of sub-major groups 24 (business and
  administration professionals) and 33 (their associate professionals) get twice the
  graduates their openings need -- the surplus of business degrees;
* **crane operators (8343) and ships' deck crews (8350) at L1/L2**: a third of what is needed
  (``0.35``) -- the short vocational courses the port lacks;
* **database and network professionals (2529)**, the emerging occupation: courses open two
  years after demand appears and then train ``0.6`` of it -- supply lags demand;
* every other cell: its openings times a persistent cell factor (log-normal, sd 0.15)
  and period noise (log-normal, sd 0.10), so some ordinary cells drift into shortage or
  surplus too.

The demand the supply follows is a proxy (no forecast is needed): replacement at the
shipped default rates plus the positive part of the two-year average change in employment,
extrapolated past the panel's end with that change. Sub-major group 24 is reported as
``"24"`` (a field of study that feeds several occupations), every other occupation as its
unit group; there are no graduates at L0 (no technical qualification).

:func:`make_age_structure` draws the age structure of the sample's workforce (occupation x
level x sex x 5-year age band) and :func:`make_replacement_rates` turns it into year-specific
replacement rates with :meth:`ReplacementRates.from_age_structure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.demand.replacement import ReplacementRates
from skillcast.errors import SkillcastDataError
from skillcast.panel import Panel
from skillcast.periods import Frequency, frequency, parse_periods

#: Occupation-code prefixes reported as a group (a field of study feeding several occupations).
FIELD_GROUPS: tuple[str, ...] = ("24",)
#: (occupation prefixes, levels, factor on openings): the built-in misalignment.
MISALIGNMENT: tuple[tuple[tuple[str, ...], tuple[str, ...], float], ...] = (
    (("24", "33"), ("L4",), 2.0),
    (("8343", "8350"), ("L1", "L2"), 0.35),
)
#: The emerging occupation whose supply lags, the lag in years and the share then trained.
LAGGING: tuple[str, float, float] = ("2529", 2.0, 0.6)
SUPPLY_LEVELS: tuple[str, ...] = ("L1", "L2", "L3", "L4")

# mean age of workers by major group (elementary and service work is young, managers old)
_MEAN_AGE = {"0": 35, "1": 45, "2": 38, "3": 39, "4": 34, "5": 31, "6": 44, "7": 37,
             "8": 35, "9": 33}  # fmt: skip
_FEMALE_SHARE = {"0": 0.1, "1": 0.3, "2": 0.45, "3": 0.35, "4": 0.6, "5": 0.6, "6": 0.45,
                 "7": 0.2, "8": 0.45, "9": 0.45}  # fmt: skip
_BANDS = np.arange(15, 70, 5)  # 15-19 .. 65-69
#: Share of the shipped default rates that is exits other than retirement.
NON_RETIREMENT_SHARE = 0.75


def _cells(
    data: Panel | pd.DataFrame, target: str, freq: str | Frequency
) -> tuple[pd.DataFrame, Frequency]:
    """Employment summed to occupation x level x period; periods as pandas Periods."""
    if isinstance(data, Panel):
        frame, fq, target = data.frame, data.freq, data.spec.target
        periods = frame[data.spec.period]
    else:
        fq = frequency(freq)
        frame = data
        parsed = parse_periods(frame["period"], fq)
        if (parsed.unparseable | parsed.off_grid).any():
            raise SkillcastDataError(
                f"Column 'period': values that are not {fq.name} periods; pass freq= the "
                "frame's frequency."
            )
        periods = parsed.periods
    cells = pd.DataFrame(
        {
            "occupation": frame["occupation"].astype(str).to_numpy(),
            "level": frame["level"].astype(str).to_numpy(),
            "period": periods.to_numpy(),
            "employment": pd.to_numeric(frame[target]).fillna(0.0).to_numpy(dtype=float),
        }
    )
    cells["period"] = cells["period"].astype(periods.dtype)
    return cells, fq


def _field(occupation: pd.Series) -> pd.Series:
    out = occupation.copy()
    for prefix in FIELD_GROUPS:
        out = out.where(~out.str.startswith(prefix), prefix)
    return out


def make_supply_table(
    panel_or_frame: Panel | pd.DataFrame,
    seed: int = 0,
    horizon: int = 10,
    target: str = "employment",
    freq: str = "semiannual",
) -> pd.DataFrame:
    """Synthetic graduates entering the labour market, misaligned with demand on purpose.

    Args:
        panel_or_frame: an employment panel, or its long frame with ``occupation``,
            ``level``, ``period`` and ``target`` columns (sectors are summed over).
        seed: random seed; the same seed gives the same table.
        horizon: periods to add after the panel's last period (supply for the forecast).
        target, freq: the employment column and period frequency of a raw frame (a Panel
            carries its own).

    Returns:
        Columns ``occupation`` (unit group, or ``"24"``), ``level`` (``L1``..``L4``),
        ``period`` (pandas Period), ``graduates`` (int64 >= 0), one row per cell and
        period from the panel's first period to ``horizon`` periods past its last.
    """
    cells, fq = _cells(panel_or_frame, target, freq)
    cells = cells.loc[cells["level"].isin(SUPPLY_LEVELS)]
    cells = cells.assign(occupation=_field(cells["occupation"]))
    wide = cells.pivot_table(
        index=["occupation", "level"], columns="period", values="employment",
        aggfunc="sum", fill_value=0.0, sort=True,
    )  # fmt: skip
    observed = pd.PeriodIndex(wide.columns)
    emp = wide.to_numpy(dtype=float)
    k = 2 * fq.season_length  # two years of periods
    # average change per period over the last two years (shorter at the start)
    back = np.maximum(np.arange(emp.shape[1]) - k, 0)
    span = np.maximum(np.arange(emp.shape[1]) - back, 1)
    change = (emp - emp[:, back]) / span
    future = emp[:, -1:] + change[:, -1:] * np.arange(1, horizon + 1)[None, :]
    emp_all = np.clip(np.concatenate([emp, future], axis=1), 0.0, None)
    change_all = np.concatenate([change, np.repeat(change[:, -1:], horizon, axis=1)], axis=1)
    periods = fq.range(observed[0], observed[-1] + horizon)
    keys = wide.index.to_frame(index=False)
    rates = (
        ReplacementRates.default()
        .per_period(
            np.repeat(keys["occupation"].to_numpy(), len(periods)),
            np.repeat(keys["level"].to_numpy(), len(periods)),
            np.tile(periods, len(keys)),
            fq,
        )
        .reshape(len(keys), len(periods))
    )
    demand = rates * emp_all + np.clip(change_all, 0.0, None)

    factor = np.ones(len(keys))
    occ, lev = keys["occupation"], keys["level"]
    for prefixes, levels, value in MISALIGNMENT:
        hit = occ.str.startswith(prefixes) & lev.isin(levels)
        factor = np.where(hit.to_numpy(), value, factor)
    code, lag_years, share = LAGGING
    lag = int(round(lag_years * fq.season_length))
    lagging = (occ == code).to_numpy()
    shifted = np.concatenate([np.zeros((len(keys), lag)), demand[:, : demand.shape[1] - lag]], 1)
    demand = np.where(lagging[:, None], shifted, demand)
    factor = np.where(lagging, share, factor)

    rng = np.random.default_rng(seed)
    persistent = np.exp(rng.normal(0.0, 0.15, size=(len(keys), 1)))
    noise = np.exp(rng.normal(0.0, 0.10, size=demand.shape))
    graduates = np.rint(demand * factor[:, None] * persistent * noise).astype(np.int64)
    out = pd.DataFrame(
        {
            "occupation": np.repeat(occ.to_numpy(), len(periods)),
            "level": np.repeat(lev.to_numpy(), len(periods)),
            "period": np.tile(periods, len(keys)),
            "graduates": graduates.ravel(),
        }
    )
    out["period"] = out["period"].astype(periods.dtype)
    return out


def make_age_structure(
    panel_or_frame: Panel | pd.DataFrame,
    seed: int = 0,
    target: str = "employment",
    freq: str = "semiannual",
) -> pd.DataFrame:
    """Synthetic age structure of the workforce in the panel's last period.

    Workers of each occupation x level are split by sex (a female share by major group)
    and over 5-year bands 15-19 .. 65-69 around a mean age by major group (normal shape,
    sd 9 years, band weights perturbed by Gamma(20) draws so cells differ).

    Returns:
        Columns ``occupation``, ``level``, ``sex``, ``age_from``, ``age_to`` (exclusive),
        ``workers`` (float); ``attrs["base_year"]`` is the last period's year.
    """
    cells, _ = _cells(panel_or_frame, target, freq)
    last = cells["period"].max()
    stock = cells.loc[cells["period"] == last].groupby(["occupation", "level"], sort=True)
    stock = stock["employment"].sum().reset_index()
    major = stock["occupation"].str.slice(0, 1)
    mean = major.map(_MEAN_AGE).fillna(37).to_numpy(dtype=float)
    female = major.map(_FEMALE_SHARE).fillna(0.4).to_numpy(dtype=float)
    mid = _BANDS + 2.5
    weights = np.exp(-0.5 * ((mid[None, :] - mean[:, None]) / 9.0) ** 2)
    rng = np.random.default_rng(seed)
    weights = weights[:, None, :] * rng.gamma(20.0, 1 / 20.0, size=(len(stock), 2, len(_BANDS)))
    weights /= weights.sum(axis=2, keepdims=True)
    by_sex = np.stack([1.0 - female, female], axis=1)  # (cells, sex)
    workers = stock["employment"].to_numpy()[:, None, None] * by_sex[:, :, None] * weights
    n_cell, n_sex, n_band = workers.shape
    out = pd.DataFrame(
        {
            "occupation": np.repeat(stock["occupation"].to_numpy(), n_sex * n_band),
            "level": np.repeat(stock["level"].to_numpy(), n_sex * n_band),
            "sex": np.tile(np.repeat(np.array(["male", "female"], dtype=object), n_band), n_cell),
            "age_from": np.tile(_BANDS, n_cell * n_sex).astype(float),
            "age_to": np.tile(_BANDS + 5, n_cell * n_sex).astype(float),
            "workers": workers.ravel(),
        }
    )
    out.attrs["base_year"] = int(last.year)
    return out


def make_replacement_rates(
    panel_or_frame: Panel | pd.DataFrame,
    seed: int = 0,
    years: range | None = None,
    target: str = "employment",
    freq: str = "semiannual",
) -> ReplacementRates:
    """Year-specific replacement rates for the sample, from :func:`make_age_structure`.

    Retirements follow the statutory age path; the other exits are
    :data:`NON_RETIREMENT_SHARE` of the shipped default rates. ``years`` defaults to the
    base year .. base year + 10.
    """
    ages = make_age_structure(panel_or_frame, seed, target, freq)
    default = ReplacementRates.default()
    other = ReplacementRates(
        default.table.assign(rate=default.table["rate"] * NON_RETIREMENT_SHARE),
        source="shipped defaults x non-retirement share",
    )
    return ReplacementRates.from_age_structure(
        ages, ages.attrs["base_year"], years, base_rate=other
    )
