"""Synthetic enterprise-reported labour demand for a port city like Hai Phong.

:func:`make_hai_phong_like` draws a long panel (sector x occupation x training level x
period) whose structure mimics the real problem: sector-driven growth tied to the port,
FDI and tourism drivers, tourism seasonality, a 2020-2021 COVID-19 shock, an emerging
occupation, a level mix drifting toward trained workers, small intermittent cells and
heavy-tailed noise. Every assumption is listed in ``datasets/README.md`` and lives as a
named constant here or in :mod:`skillcast.datasets.profiles`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast.datasets.profiles import (
    COVID_DEPTH,
    FDI_SCALE_BUSD,
    LEVELS,
    LOGISTICS_ELASTICITY,
    OCCUPATIONS,
    PLAIN_GROWTH,
    SECTOR_GROUPS,
    TOURISM_ELASTICITY,
    sector_group,
)
from skillcast.errors import SkillcastConfigError
from skillcast.periods import Frequency, frequency, parse_periods

COLUMNS: tuple[str, ...] = (
    "period", "sector", "occupation", "level", "employment", "vacancies",
    "port_throughput_mt", "fdi_disbursed_busd", "tourist_arrivals_m",
)  # fmt: skip

ANCHOR_YEAR = 2015  # profile magnitudes are 2015 values; growth counts from 1 Jan 2015
# Drivers, per year at the anchor, and their growth per year
PORT_THROUGHPUT_MT = 95.0
PORT_GROWTH = 0.07
FDI_BUSD = 1.2
FDI_GROWTH = 0.10
FDI_NOISE = 0.30  # scale of Student-t shocks to log FDI per period
TOURIST_ARRIVALS_M = 6.0
TOURISM_GROWTH = 0.06
TOURISM_SEASON_AMPLITUDE = 0.30  # arrivals peak in July (beach season), trough in January
ARRIVALS_NOISE = 0.03
# COVID-19 shape: (decimal year, share of the full shock), linear in between. First wave
# spring 2020, partial recovery, the mid-2021 wave, reopening from March 2022.
COVID_KNOTS = ((2020.0, 0.0), (2020.3, 1.0), (2020.8, 0.45), (2021.2, 0.4),
               (2021.6, 0.85), (2022.2, 0.35), (2023.0, 0.0))  # fmt: skip
LEVEL_DRIFT = 0.06  # log-odds gained per year per step up the level ladder
SERIES_TREND_SD = 0.02  # spread of series-specific growth, per year
NOISE_SD = 0.05  # scale of the Student-t innovation of the log-AR(1) noise, per period
NOISE_AR = 0.7
NOISE_DF = 3  # degrees of freedom of the Student-t shocks: heavy tails
VACANCY_NOISE = 0.20  # declared recruitment needs are noisier than stocks
EMERGING_RAMP_YEARS = 2.0  # time constant of an emerging occupation's build-up
SHOCK_CLIP = 8.0  # t(3) draws are clipped so one draw cannot explode a series


def make_hai_phong_like(
    seed: int = 0, freq: str = "6M", start: str = "2015", end: str = "2025"
) -> pd.DataFrame:
    """Draw a synthetic Hai Phong-like panel of enterprise-reported labour demand.

    Args:
        seed: seed of the random generator; the same seed gives an identical frame.
        freq: ``"6M"``/``"semiannual"`` (the statutory reporting cycle) or
            ``"Q"``/``"quarterly"``.
        start, end: first and last period, inclusive: a year (``"2015"`` = its first
            period as ``start``, its last as ``end``) or a label of ``freq``
            (``"2015-H2"``, ``"2015Q3"``).

    Returns:
        Long frame, one row per (sector, occupation, level, period) from the series'
        first period on, sorted by series then period, columns:
        ``period`` (str label ``2015-H1`` or ``2015Q1``), ``sector`` (VSIC 2018 division),
        ``occupation`` (ISCO-08/VSCO 2020 unit group), ``level`` (``L0``..``L4``),
        ``employment`` (workers at the reporting date, integer-valued float),
        ``vacancies`` (declared recruitment needs in the period, int64),
        ``port_throughput_mt`` (planned port throughput in the period, million tonnes;
        known in advance), ``fdi_disbursed_busd`` (FDI disbursed in the period, US$ bn;
        observed only), ``tourist_arrivals_m`` (tourist arrivals in the period, millions;
        known in advance). The three drivers are city-wide and repeat on every row of a
        period. 512 series over 2015-2025, 11,174 rows semi-annual.
    """
    fq = _frequency(freq)
    periods = _period_range(fq, start, end)
    rng = np.random.default_rng(seed)
    year_frac = fq.months / 12.0
    tt = _decimal_time(periods, fq) - ANCHOR_YEAR  # years since the anchor, (T,)
    knots_x, knots_y = np.array(COVID_KNOTS, dtype=float).T
    covid = np.interp(tt + ANCHOR_YEAR, knots_x, knots_y, left=0.0, right=0.0)
    drivers = _draw_drivers(rng, tt, covid, year_frac)
    table = _series_table()
    mean = _expected_employment(table, tt, covid, drivers, periods, fq)
    n_series, n_periods = mean.shape

    # series-specific growth and persistent heavy-tailed noise on the log scale
    tilt = np.exp(rng.normal(0.0, SERIES_TREND_SD, (n_series, 1)) * tt)
    shocks = _t_draws(rng, (n_series, n_periods)) * NOISE_SD
    log_noise = np.empty_like(shocks)
    log_noise[:, 0] = shocks[:, 0] / np.sqrt(1 - NOISE_AR**2)
    for t in range(1, n_periods):  # a loop over periods, vectorised across series
        log_noise[:, t] = NOISE_AR * log_noise[:, t - 1] + shocks[:, t]
    lam = mean * tilt * np.exp(log_noise)
    employment = rng.poisson(lam).astype(np.float64)

    # declared needs = replacement (churn) + expected expansion into the next period
    # (expected growth, not noise: employers plan on the trend they see)
    trend = mean * tilt
    growth = np.ones((n_series, 1))  # beyond the last period: its own latest growth
    if n_periods > 1:
        prev = trend[:, -2:-1]
        np.divide(trend[:, -1:], prev, out=growth, where=prev > 0)
    nxt = np.concatenate([trend[:, 1:], trend[:, -1:] * growth], axis=1)
    expansion = np.clip(nxt - trend, 0.0, None)
    vac_mean = lam * table["churn"].to_numpy()[:, None] * year_frac + expansion
    vac_mean *= np.exp(_t_draws(rng, (n_series, n_periods)) * VACANCY_NOISE)
    vacancies = rng.poisson(vac_mean).astype(np.int64)

    present = np.arange(n_periods)[None, :] >= table["first"].to_numpy()[:, None]
    sid, pid = np.nonzero(present)  # row-major: series by series, periods in order
    labels = fq.labels(periods)
    frame = pd.DataFrame(
        {
            "period": labels[pid],
            "sector": table["sector"].to_numpy()[sid],
            "occupation": table["occupation"].to_numpy()[sid],
            "level": table["level"].to_numpy()[sid],
            "employment": employment[sid, pid],
            "vacancies": vacancies[sid, pid],
            "port_throughput_mt": drivers["port_throughput_mt"][pid],
            "fdi_disbursed_busd": drivers["fdi_disbursed_busd"][pid],
            "tourist_arrivals_m": drivers["tourist_arrivals_m"][pid],
        }
    )
    for column in ("period", "sector", "occupation", "level"):
        frame[column] = frame[column].astype(str)
    return frame


def _frequency(freq: str) -> Frequency:
    fq = frequency(freq)
    if fq.name not in ("semiannual", "quarterly"):
        raise SkillcastConfigError(
            f"make_hai_phong_like draws semi-annual or quarterly data, not {fq.name!r}: "
            "use freq='6M' or freq='Q' and aggregate afterwards if you need years."
        )
    return fq


def _period_range(fq: Frequency, start: str, end: str) -> pd.PeriodIndex:
    """Periods from ``start`` to ``end``; a bare year means its first/last period."""
    bounds = []
    for value, is_end in ((start, False), (end, True)):
        text = str(value).strip()
        if text.isdigit() and len(text) == 4:
            first = pd.Period(f"{text}-01", fq.pandas_freq)
            bounds.append(first + (12 // fq.months - 1) if is_end else first)
            continue
        parsed = parse_periods(pd.Series([text]), fq)
        if parsed.unparseable[0] or parsed.off_grid[0]:
            raise SkillcastConfigError(
                f"{value!r} is neither a year nor a {fq.name} period label "
                f"(e.g. 2015, 2015-H2, 2015Q3)."
            )
        bounds.append(parsed.periods.iloc[0])
    if bounds[1] < bounds[0]:
        raise SkillcastConfigError(f"end {end!r} comes before start {start!r}.")
    return fq.range(bounds[0], bounds[1])


def _decimal_time(periods: pd.PeriodIndex, fq: Frequency) -> np.ndarray:
    """Decimal year of each period's reference month.

    A report describes the workforce shortly before its deadline: semi-annual reports
    (due 5 June and 5 December) at the end of May and of November; quarterly figures
    at the middle month of the quarter, so Q2/Q4 coincide with H1/H2.
    """
    first = periods.start_time  # Period.month of a quarter is its last month
    ref_month = np.asarray(first.month) + (fq.months - 2 if fq.months == 6 else 1)
    return np.asarray(first.year, dtype=float) + (ref_month - 0.5) / 12.0


def _season(tt: np.ndarray, amplitude: float) -> np.ndarray:
    """Seasonal factor peaking in mid-July: 1 + amplitude * cos(2 pi (t - July))."""
    month = (tt % 1.0) * 12.0 + 0.5
    return 1.0 + amplitude * np.cos(2 * np.pi * (month - 7.0) / 12.0)


def driver_plan(freq: str = "6M", start: str = "2026", periods: int = 20) -> pd.DataFrame:
    """The city's plans for its known-in-advance drivers: what planners expect, without
    the noise and shocks of the outcomes.

    ``port_throughput_mt`` follows the port plan exactly as in the data (it is a plan
    there too); ``tourist_arrivals_m`` is the tourism target: trend growth and the usual
    season, with no COVID-19 shock and no noise. Rounded as the data are.

    Args:
        freq: as :func:`make_hai_phong_like`.
        start: first planned period (a year or a label of ``freq``).
        periods: number of periods.

    Returns:
        Frame with ``period`` (label), ``port_throughput_mt``, ``tourist_arrivals_m``.
    """
    fq = _frequency(freq)
    first = _period_range(fq, start, start)[0]
    span = fq.range(first, first + int(periods) - 1)
    tt = _decimal_time(span, fq) - ANCHOR_YEAR
    year_frac = fq.months / 12.0
    port = PORT_THROUGHPUT_MT * (1 + PORT_GROWTH) ** tt * year_frac
    arrivals = (
        TOURIST_ARRIVALS_M * (1 + TOURISM_GROWTH) ** tt * year_frac
        * _season(tt, TOURISM_SEASON_AMPLITUDE)
    )  # fmt: skip
    return pd.DataFrame(
        {
            "period": np.asarray(fq.labels(span), dtype=str),
            "port_throughput_mt": np.round(port, 2),
            "tourist_arrivals_m": np.round(arrivals, 3),
        }
    )


def _t_draws(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    return np.clip(rng.standard_t(NOISE_DF, shape), -SHOCK_CLIP, SHOCK_CLIP)


def _draw_drivers(
    rng: np.random.Generator,
    tt: np.ndarray,
    covid: np.ndarray,
    year_frac: float,
) -> dict[str, np.ndarray]:
    """City-wide drivers per period (flows in the period), rounded as published."""
    # the port plan is smooth: it is what planners knew in advance
    port = PORT_THROUGHPUT_MT * (1 + PORT_GROWTH) ** tt * year_frac
    fdi = (
        FDI_BUSD * (1 + FDI_GROWTH) ** tt * year_frac
        * np.exp(FDI_NOISE * _t_draws(rng, tt.shape) / 2)
        * (1 - 0.3 * covid)
    )  # fmt: skip
    arrivals = (
        TOURIST_ARRIVALS_M * (1 + TOURISM_GROWTH) ** tt * year_frac
        * _season(tt, TOURISM_SEASON_AMPLITUDE)
        * (1 - COVID_DEPTH["tourism"] * covid)
        * np.exp(rng.normal(0.0, ARRIVALS_NOISE, tt.shape))
    )  # fmt: skip
    return {
        "port_throughput_mt": np.round(port, 2),
        "fdi_disbursed_busd": np.round(fdi, 3),
        "tourist_arrivals_m": np.round(arrivals, 3),
    }


def _series_table() -> pd.DataFrame:
    """One row per (sector, occupation, level) series with its 2015 expected size."""
    rows = []
    for occ in OCCUPATIONS:  # a few dozen definitions, not the hot path
        common = (occ.churn, occ.trend, occ.start)
        for sector, s_share in occ.sectors.items():
            for level, l_share in occ.levels.items():
                rows.append((sector, occ.code, level, occ.base * s_share, l_share, False,
                             *common))  # fmt: skip
        for (sector, level), size in occ.rare.items():
            rows.append((sector, occ.code, level, size, 1.0, True, *common))
    table = pd.DataFrame(
        rows,
        columns=["sector", "occupation", "level", "size", "level_share", "rare", "churn",
                 "trend", "start"],
    )  # fmt: skip
    table["group"] = table["sector"].map(sector_group)
    table["rank"] = table["level"].map({lv: i for i, lv in enumerate(LEVELS)})
    return table.sort_values(["sector", "occupation", "level"], ignore_index=True)


def _sector_index(
    group: str, tt: np.ndarray, covid: np.ndarray, drivers: dict[str, np.ndarray],
    year_frac: float,
) -> np.ndarray:  # fmt: skip
    """Employment of a sector group relative to 2015 trend, (T,)."""
    if group == "logistics":
        rate = drivers["port_throughput_mt"] / year_frac / PORT_THROUGHPUT_MT
        return rate**LOGISTICS_ELASTICITY * (1 - COVID_DEPTH[group] * covid)
    if group == "tourism":
        # arrivals already carry season and COVID; employment follows them less than 1:1
        rate = drivers["tourist_arrivals_m"] / year_frac / TOURIST_ARRIVALS_M
        return rate**TOURISM_ELASTICITY
    if group == "manufacturing":
        # capacity built with FDI disbursed before the period (counted from the start)
        cum_before = np.cumsum(drivers["fdi_disbursed_busd"]) - drivers["fdi_disbursed_busd"]
        return (1 + cum_before / FDI_SCALE_BUSD) * (1 - COVID_DEPTH[group] * covid)
    return (1 + PLAIN_GROWTH[group]) ** tt * (1 - COVID_DEPTH[group] * covid)


def _expected_employment(
    table: pd.DataFrame,
    tt: np.ndarray,
    covid: np.ndarray,
    drivers: dict[str, np.ndarray],
    periods: pd.PeriodIndex,
    fq: Frequency,
) -> np.ndarray:
    """Expected employment per series and period, (n_series, T); sets ``table['first']``."""
    year_frac = fq.months / 12.0
    groups = list(SECTOR_GROUPS)
    index = np.stack([_sector_index(g, tt, covid, drivers, year_frac) for g in groups])
    sector_idx = index[table["group"].map(groups.index).to_numpy()]

    # level mix: multinomial logit whose odds move up the ladder by LEVEL_DRIFT a year,
    # normalised within each (sector, occupation) so the occupation's size is unchanged
    rank = table["rank"].to_numpy()[:, None]
    rare = table["rare"].to_numpy()
    odds = table["level_share"].to_numpy()[:, None] * np.exp(LEVEL_DRIFT * tt * rank)
    cell = table.groupby(["sector", "occupation"], sort=False).ngroup().to_numpy()
    totals = np.zeros((cell.max() + 1, len(tt)))
    np.add.at(totals, cell[~rare], odds[~rare])
    # rare cells keep their own size: they are not part of the occupation's level mix
    level_mix = np.ones_like(odds)
    level_mix[~rare] = odds[~rare] / totals[cell[~rare]]

    mean = table["size"].to_numpy()[:, None] * level_mix * sector_idx
    mean *= np.exp(table["trend"].to_numpy()[:, None] * tt)

    # emerging occupations: absent before their start, then a build-up toward full size
    first = np.zeros(len(table), dtype=np.int64)
    for start in table["start"].dropna().unique():
        rows = (table["start"] == start).to_numpy()
        pos = _start_position(start, periods, fq)
        since = np.clip(tt - tt[min(pos, len(tt) - 1)] + fq.months / 12.0, 0.0, None)
        mean[rows] *= 1 - np.exp(-since / EMERGING_RAMP_YEARS)
        first[rows] = pos
    table["first"] = first
    return mean


def _start_position(start: str, periods: pd.PeriodIndex, fq: Frequency) -> int:
    """Index of the first period on or after ``start`` (len(periods) if after the end)."""
    parsed = parse_periods(pd.Series([start]), fq)
    if parsed.unparseable[0]:
        raise SkillcastConfigError(f"Emerging occupation start {start!r} is no period.")
    if parsed.off_grid[0]:  # a half-year label in a quarterly draw: its first quarter
        half = parse_periods(pd.Series([start]), frequency("semiannual")).periods.iloc[0]
        first = pd.Period(half.start_time, fq.pandas_freq)
    else:
        first = parsed.periods.iloc[0]
    return int(np.searchsorted(periods.asi8, first.ordinal))
