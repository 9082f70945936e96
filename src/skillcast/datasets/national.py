"""A synthetic national panel: every province, hundreds of occupations, realistic sparsity.

:func:`make_national` draws the panel a ministry collects when each of Viet Nam's 34
provinces reports the same way: province x VSIC division (88, in 21 sections) x ISCO-08
unit group (436, from the shipped tables) x training level (5), half-yearly or annual.
Of the 6.5 million possible cells most are empty; which cells report, and how large they
are, follow heavy-tailed (Zipf and log-normal) weights of province, sector and
occupation, as in real establishment data where a few cells hold most workers. It is
drawn with whole-array numpy operations, so a million series take seconds.

It is a load generator for the distributed path, not a model of any province: levels
grow by a per-series trend with a half-yearly season and Poisson noise; about a tenth
of the series start late (new cells).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from skillcast import taxonomy
from skillcast.errors import SkillcastConfigError
from skillcast.periods import frequency, parse_periods
from skillcast.spec import PanelSpec

__all__ = ["NATIONAL_SPEC", "isco_unit_groups", "isic_divisions", "make_national", "national_spec"]

N_PROVINCES = 34
LEVELS = ("L0", "L1", "L2", "L3", "L4")


# share of a training level in a cell's workers (no certificate .. university and above)
_LEVEL_WEIGHTS = np.array([0.35, 0.2, 0.2, 0.1, 0.15])
_ZIPF = {"province": 0.9, "sector": 1.0, "occupation": 1.1}  # exponent of each rank-size law
_LATE_START = 0.1  # share of series that start after the first period

NATIONAL_SPEC = PanelSpec(
    period="period",
    freq="semiannual",
    keys=("region", "sector", "occupation", "level"),
    target="employment",
    gaps="missing",
)


def national_spec(freq: str = "semiannual") -> PanelSpec:
    """The :class:`PanelSpec` of :func:`make_national`'s frame at ``freq``."""
    return PanelSpec(
        period="period", freq=freq, keys=NATIONAL_SPEC.keys, target="employment", gaps="missing"
    )


def _codes(table: pd.DataFrame, tier: int) -> np.ndarray:
    """The sorted codes of one tier of a shipped classification."""
    return np.sort(table.loc[table["tier"] == tier, "code"].astype(str).to_numpy())


def isco_unit_groups() -> np.ndarray:
    """The 436 ISCO-08 unit groups (four-digit codes) of the shipped occupation table."""
    return _codes(taxonomy.occupations().table, 4)


def isic_divisions() -> np.ndarray:
    """The 88 divisions (``A01`` .. ``U99``, in 21 sections) of the shipped VSIC table."""
    return _codes(taxonomy.sectors().table, 2)


def _zipf_weights(n: int, exponent: float, rng: np.random.Generator) -> np.ndarray:
    """Rank-size weights 1/rank**exponent in a random order (the largest unit is not
    always the first code)."""
    return rng.permutation(1.0 / np.arange(1, n + 1) ** exponent)


def make_national(
    n_series: int = 100_000,
    n_periods: int = 10,
    freq: str = "semiannual",
    start: str = "2021-H1",
    seed: int = 0,
) -> pd.DataFrame:
    """Draw a national long panel with ``n_series`` series of up to ``n_periods`` rows.

    Returns a frame sorted by region, sector, occupation, level, period with columns
    ``region`` (``P01``..``P34``), ``sector`` (:func:`isic_divisions`), ``occupation``
    (:func:`isco_unit_groups`), ``level`` (``L0``..``L4``) as categoricals, ``period`` (pandas
    Period) and ``employment`` (workers, float64, >= 0). Load it with
    ``load_panel(frame, national_spec(freq))``. The same arguments give the same frame.
    """
    occupations, sectors = isco_unit_groups(), isic_divisions()
    sizes = (N_PROVINCES, len(sectors), len(occupations), len(LEVELS))
    n_cells = int(np.prod(sizes))
    if not 1 <= int(n_series) <= n_cells // 2:
        raise SkillcastConfigError(
            f"n_series must be between 1 and {n_cells // 2:,} (half of the {n_cells:,} "
            f"cells: most cells of a national panel are empty), got {n_series!r}."
        )
    if int(n_periods) < 2:
        raise SkillcastConfigError(f"n_periods must be >= 2, got {n_periods!r}.")
    n_series, n_periods = int(n_series), int(n_periods)
    rng = np.random.default_rng(seed)
    weights = [
        _zipf_weights(N_PROVINCES, _ZIPF["province"], rng),
        _zipf_weights(len(sectors), _ZIPF["sector"], rng),
        _zipf_weights(len(occupations), _ZIPF["occupation"], rng),
        _LEVEL_WEIGHTS,
    ]
    # the expected size of every cell is the product of its keys' weights; the cells
    # that report are drawn without replacement in proportion to it (Gumbel top-k)
    grid = np.zeros(sizes)
    for axis, w in enumerate(weights):
        shape = [1, 1, 1, 1]
        shape[axis] = len(w)
        grid = grid + np.log(w).reshape(shape)
    log_weight = grid.ravel()
    keys = log_weight + rng.gumbel(size=n_cells)
    cells = np.sort(np.argpartition(keys, -n_series)[-n_series:])  # sorted: key order
    province, sector, occupation, level = np.unravel_index(cells, sizes)

    # heavy-tailed sizes: the cell's weight times log-normal noise, 1 to ~10^5 workers
    scale = np.exp(log_weight[cells] - log_weight[cells].max()) * 2e5
    base = np.maximum(scale * rng.lognormal(0.0, 1.0, n_series), 1.0)
    trend = rng.normal(0.02, 0.04, n_series)
    season = rng.normal(0.0, 0.05, n_series)
    first = np.where(
        rng.random(n_series) < _LATE_START, rng.integers(1, n_periods - 1, n_series), 0
    )
    lengths = n_periods - first
    series = np.repeat(np.arange(n_series), lengths)
    step = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    step = step + first[series]
    mean = base[series] * np.exp(trend[series] * step + season[series] * (step % 2 == 1))
    employment = rng.poisson(mean).astype(np.float64)

    f = frequency(freq)
    parsed = parse_periods(pd.Series([start]), f)
    if parsed.unparseable[0] or parsed.off_grid[0]:
        raise SkillcastConfigError(f"start={start!r} is not a {f.name} period.")
    first_period = parsed.periods.iloc[0]
    periods = f.range(first_period, first_period + n_periods - 1)
    names = (
        np.array([f"P{i + 1:02d}" for i in range(N_PROVINCES)]),
        sectors,
        occupations,
        np.array(LEVELS),
    )
    frame = pd.DataFrame(
        {
            column: pd.Categorical.from_codes(codes[series], categories=values)
            for column, codes, values in zip(
                NATIONAL_SPEC.keys, (province, sector, occupation, level), names, strict=True
            )
        }
    )
    frame["period"] = pd.Series(periods[step], dtype=periods.dtype)
    frame["employment"] = employment
    return frame
