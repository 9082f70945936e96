"""Occupation and sector profiles behind the synthetic Hai Phong-like generator.

Every number here is an assumption of :func:`skillcast.datasets.make_hai_phong_like`,
written down once so the generator, its README and its tests agree. Magnitudes are
workers in the enterprise-reporting universe of a port city in 2015 (not the whole
labour force), before growth, seasonality and shocks are applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LEVELS: tuple[str, ...] = ("L0", "L1", "L2", "L3", "L4")  # ordered: no CMKT .. university


@dataclass(frozen=True)
class OccupationProfile:
    """Where one occupation (ISCO-08 / VSCO 2020 unit group) works and at which levels.

    Attributes:
        code: 4-digit unit group.
        name: English title (ISCO-08).
        base: city-wide employment in 2015, workers (for an emerging occupation: its
            size once established, before sector growth).
        sectors: VSIC 2018 division -> share of the occupation's workers (sums to 1).
        levels: training level -> share of workers in 2015 (sums to 1). Shares under
            about 1% produce the small, intermittent cells of real reports.
        churn: workers leaving per worker per year (replacement demand rate).
        trend: extra growth per year on top of the sector's own (e.g. -0.03 where
            automation replaces the job, +0.04 for digital work).
        start: first period of an emerging occupation (``YYYY-H1``/``YYYY-H2``/``YYYYQn``);
            ``None`` means present from the start of the sample.
        rare: (sector, level) -> expected workers in 2015 (under ~1.5) of cells outside
            the occupation's usual sectors: the handful of enterprises that employ one
            or two such workers now and then. Their level mix does not drift.
    """

    code: str
    name: str
    base: float
    sectors: dict[str, float]
    levels: dict[str, float]
    churn: float
    trend: float = 0.0
    start: str | None = None
    rare: dict[tuple[str, str], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, shares in (("sectors", self.sectors), ("levels", self.levels)):
            if abs(sum(shares.values()) - 1.0) > 1e-9:
                raise ValueError(f"{self.code}: {label} shares sum to {sum(shares.values())}")
        unknown = (set(self.levels) | {lv for _, lv in self.rare}) - set(LEVELS)
        if unknown:
            raise ValueError(f"{self.code}: unknown levels {sorted(unknown)}")
        clash = [(s, lv) for s, lv in self.rare if s in self.sectors and lv in self.levels]
        if clash:
            raise ValueError(f"{self.code}: rare cells {clash} repeat regular cells")


P = OccupationProfile

# Shares in the thousandths are the fringe cells that real reports are full of: a
# university graduate working as a crane operator, an untrained cook's helper promoted.
OCCUPATIONS: tuple[OccupationProfile, ...] = (
    P("1324", "Supply, distribution and related managers", 900,
      {"H52": .4, "G46": .3, "H49": .15, "C26": .15}, {"L2": .02, "L3": .33, "L4": .65}, .06,
      rare={("C14", "L4"): .9, ("I55", "L4"): .4}),
    P("2141", "Industrial and production engineers", 1400,
      {"C26": .4, "C27": .25, "C30": .2, "C25": .15}, {"L2": .01, "L3": .29, "L4": .7}, .08,
      rare={("C33", "L4"): .9, ("C15", "L4"): .5}),
    P("2144", "Mechanical engineers", 900,
      {"C30": .45, "C28": .25, "C25": .2, "H52": .1}, {"L2": .01, "L3": .29, "L4": .7}, .06,
      rare={("H50", "L4"): .7}),
    P("2411", "Accountants", 1200,
      {"K64": .3, "G46": .25, "C26": .15, "H52": .15, "I55": .05, "F41": .1},
      {"L2": .02, "L3": .23, "L4": .75}, .06,
      rare={("H50", "L4"): 1.0, ("K65", "L4"): .8}),
    P("2512", "Software developers", 500,
      {"K64": .5, "H52": .2, "C26": .2, "K66": .1}, {"L2": .01, "L3": .29, "L4": .7}, .11,
      trend=.04,
      rare={("G46", "L4"): 1.0, ("H49", "L4"): .5}),
    P("2514", "Applications programmers", 400,
      {"K64": .45, "K66": .2, "G46": .2, "H49": .15}, {"L2": .03, "L3": .37, "L4": .6}, .11,
      trend=.04,
      rare={("H52", "L4"): 1.2}),
    P("2529", "Database and network professionals n.e.c.", 600,
      {"K64": .4, "H52": .3, "C26": .2, "K66": .1}, {"L3": .3, "L4": .7}, .09,
      start="2020-H1",
      rare={("G46", "L4"): .6}),
    P("3113", "Electrical engineering technicians", 1500,
      {"C27": .3, "C26": .3, "F43": .25, "H52": .15},
      {"L1": .02, "L2": .48, "L3": .4, "L4": .1}, .08,
      rare={("H51", "L3"): .7}),
    P("3115", "Mechanical engineering technicians", 1400,
      {"C30": .4, "C25": .25, "C28": .2, "H50": .15},
      {"L1": .02, "L2": .48, "L3": .4, "L4": .1}, .08,
      rare={("H51", "L3"): .5}),
    P("3151", "Ships' engineers", 1100,
      {"H50": .9, "C30": .1}, {"L2": .35, "L3": .45, "L4": .2}, .08,
      rare={("H52", "L3"): .9}),
    P("3152", "Ships' deck officers and pilots", 1000,
      {"H50": .85, "H52": .15}, {"L2": .02, "L3": .53, "L4": .45}, .07,
      rare={("C30", "L4"): .7}),
    P("3154", "Air traffic safety electronics technicians", 40,
      {"H51": 1.0}, {"L2": .05, "L3": .45, "L4": .5}, .04,
      rare={("H52", "L3"): .8, ("H52", "L4"): .5}),
    P("3311", "Securities and finance dealers and brokers", 250,
      {"K66": .7, "K64": .27, "K65": .03}, {"L3": .1, "L4": .9}, .09),
    P("3331", "Clearing and forwarding agents", 2200,
      {"H52": .5, "G46": .32, "H49": .1, "H51": .05, "C26": .03},
      {"L1": .01, "L2": .24, "L3": .35, "L4": .4}, .11,
      rare={("H53", "L3"): .8}),
    P("4221", "Travel consultants and clerks", 700,
      {"N79": .75, "I55": .2, "H51": .05}, {"L1": .02, "L2": .28, "L3": .4, "L4": .3}, .14,
      rare={("H50", "L3"): .5}),
    P("4224", "Hotel receptionists", 1300,
      {"I55": 1.0}, {"L0": .05, "L1": .3, "L2": .35, "L3": .25, "L4": .05}, .17,
      rare={("N79", "L2"): .6}),
    P("4311", "Accounting and bookkeeping clerks", 2000,
      {"G46": .25, "K64": .2, "C14": .15, "H49": .15, "C10": .1, "F41": .15},
      {"L1": .02, "L2": .43, "L3": .45, "L4": .1}, .09,
      rare={("N79", "L2"): 1.0}),
    P("4321", "Stock clerks", 3000,
      {"H52": .4, "G46": .3, "C10": .1, "C26": .2},
      {"L0": .3, "L1": .35, "L2": .33, "L3": .02}, .12,
      rare={("H51", "L1"): .8}),
    P("4323", "Transport clerks", 1500,
      {"H49": .35, "H52": .32, "H53": .15, "H51": .15, "G46": .03},
      {"L1": .3, "L2": .4, "L3": .3}, .11),
    P("5113", "Travel guides", 600,
      {"N79": .9, "I55": .1}, {"L0": .01, "L1": .29, "L2": .3, "L3": .3, "L4": .1}, .19,
      rare={("H50", "L2"): .7}),
    P("5120", "Cooks", 4000,
      {"I56": .6, "I55": .33, "C26": .04, "C14": .03},
      {"L0": .5, "L1": .3, "L2": .18, "L3": .02}, .26,
      rare={("H50", "L1"): .7}),
    P("5131", "Waiters and bartenders", 5000,
      {"I56": .7, "I55": .3}, {"L0": .745, "L1": .23, "L2": .02, "L3": .005}, .29),
    P("5223", "Shop sales assistants", 2500,
      {"G46": .8, "I55": .2}, {"L0": .6, "L1": .25, "L2": .13, "L3": .02}, .21),
    P("5414", "Security guards", 4000,
      {"H52": .25, "C26": .2, "C14": .1, "K64": .1, "F41": .15, "I55": .1, "G46": .1},
      {"L0": .7, "L1": .28, "L2": .02}, .18,
      rare={("N79", "L0"): .7, ("H51", "L1"): .9}),
    P("7112", "Bricklayers and related workers", 4000,
      {"F41": .7, "F42": .2, "F43": .1}, {"L0": .6, "L1": .3, "L2": .095, "L3": .005}, .18),
    P("7212", "Welders and flame cutters", 4000,
      {"C30": .45, "C25": .3, "F42": .15, "C33": .1},
      {"L0": .1, "L1": .45, "L2": .44, "L3": .01}, .14,
      rare={("H50", "L2"): .9}),
    P("7233", "Agricultural and industrial machinery mechanics", 1800,
      {"C28": .3, "C33": .3, "H52": .25, "H49": .1, "H50": .05},
      {"L0": .02, "L1": .28, "L2": .5, "L3": .19, "L4": .01}, .09,
      rare={("F42", "L2"): 1.0}),
    P("7412", "Electrical mechanics and fitters", 2500,
      {"C27": .35, "F43": .35, "C33": .2, "H52": .1},
      {"L0": .02, "L1": .28, "L2": .5, "L3": .195, "L4": .005}, .11,
      rare={("H50", "L2"): .8}),
    P("7533", "Sewing, embroidery and related workers", 3000,
      {"C14": .8, "C15": .2}, {"L0": .75, "L1": .24, "L2": .01}, .20, trend=-.03),
    P("8153", "Sewing machine operators", 11000,
      {"C14": .75, "C15": .25}, {"L0": .65, "L1": .3, "L2": .047, "L3": .003}, .21),
    P("8212", "Electrical and electronic equipment assemblers", 13000,
      {"C26": .75, "C27": .25}, {"L0": .6, "L1": .3, "L2": .095, "L3": .005}, .22),
    P("8332", "Heavy truck and lorry drivers", 6000,
      {"H49": .7, "H52": .2, "F42": .1}, {"L1": .6, "L2": .4}, .11),
    P("8343", "Crane, hoist and related plant operators", 2000,
      {"H52": .72, "H50": .1, "C30": .15, "F41": .03},
      {"L1": .45, "L2": .5, "L3": .045, "L4": .005}, .08,
      rare={("C25", "L2"): .8, ("G46", "L1"): .6}),
    P("8344", "Lifting truck operators", 3000,
      {"H52": .5, "G46": .25, "C10": .1, "C26": .15}, {"L0": .2, "L1": .6, "L2": .2}, .11,
      rare={("H51", "L1"): .9}),
    P("8350", "Ships' deck crews and related workers", 3500,
      {"H50": .95, "H52": .05}, {"L0": .3, "L1": .45, "L2": .24, "L3": .01}, .14,
      rare={("C30", "L1"): 1.0}),
    P("9313", "Building construction labourers", 6000,
      {"F41": .6, "F43": .25, "F42": .15}, {"L0": .9, "L1": .09, "L2": .01}, .22),
    P("9329", "Manufacturing labourers n.e.c.", 10000,
      {"C10": .15, "C14": .2, "C26": .3, "C22": .15, "C25": .1, "C27": .1},
      {"L0": .9, "L1": .1}, .26, trend=-.01),
    P("9333", "Freight handlers", 7000,
      {"H52": .5, "H49": .2, "G46": .15, "H51": .05, "H53": .1},
      {"L0": .85, "L1": .145, "L2": .005}, .22),
    P("9412", "Kitchen helpers", 3000,
      {"I56": .55, "I55": .37, "C26": .05, "C14": .03},
      {"L0": .9, "L1": .095, "L2": .005}, .29),
)  # fmt: skip

# Sector groups: which driver moves each VSIC division's employment, and how deep the
# COVID-19 shock of 2020-2021 cut it (share of trend employment lost at the worst point;
# for tourism, share of tourist arrivals lost, which employment follows less than 1:1).
SECTOR_GROUPS: dict[str, tuple[str, ...]] = {
    "logistics": ("H49", "H50", "H51", "H52", "H53", "G46"),
    "manufacturing": tuple(f"C{d}" for d in range(10, 34)),
    "tourism": ("I55", "I56", "N79"),
    "finance": ("K64", "K65", "K66"),
    "construction": ("F41", "F42", "F43"),
}
COVID_DEPTH: dict[str, float] = {
    "logistics": 0.06,
    "manufacturing": 0.10,
    "tourism": 0.45,
    "finance": 0.03,
    "construction": 0.12,
}
# Trend growth per year where no driver is modelled (finance, construction).
PLAIN_GROWTH: dict[str, float] = {"finance": 0.035, "construction": 0.03}
# Elasticity of sector employment to its driver (port throughput, tourist arrivals).
LOGISTICS_ELASTICITY = 0.85
TOURISM_ELASTICITY = 0.8
# Manufacturing employment rises by base / FDI_SCALE_BUSD for each US$1 bn of FDI
# disbursed up to the previous period (with the 2015 base of ~50,000 workers this is
# ~2,800 reported jobs per US$1 bn, near the skilled 3,000-4,000 of the industrial-zone
# rule of thumb of 10,000 workers per billion).
FDI_SCALE_BUSD = 18.0


def sector_group(sector: str) -> str:
    """The group (logistics, manufacturing, tourism, finance, construction) of a division."""
    for group, sectors in SECTOR_GROUPS.items():
        if sector in sectors:
            return group
    raise KeyError(f"sector {sector!r} is in no sector group")
