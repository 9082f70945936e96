"""Skills demand: job openings (expansion + replacement) and the training-supply gap.

* :func:`job_openings` -- openings per series and period from a forecast of employment
  (expansion + replacement) or of declared openings (passed through, optionally turned
  into realised hiring with a :class:`HiringAdjustment`).
* :class:`ReplacementRates` -- annual replacement rates by occupation group x level
  (shipped assumptions, a user table, or estimated from the workforce's age structure
  with the statutory retirement age path of :func:`statutory_retirement_age`).
* :func:`supply_gap` -- openings against graduates, classed shortage / balance / surplus.
* :func:`make_supply_table`, :func:`make_age_structure`, :func:`make_replacement_rates` --
  synthetic supply and age tables for the bundled sample.

Sources and assumptions of the shipped tables: ``skillcast/demand/data/README.md``.
"""

from skillcast.demand.hiring import HiringAdjustment
from skillcast.demand.openings import job_openings
from skillcast.demand.replacement import ReplacementRates
from skillcast.demand.retirement import retirement_rates, statutory_retirement_age
from skillcast.demand.supply_gap import supply_gap
from skillcast.demand.synthetic import make_age_structure, make_replacement_rates, make_supply_table

__all__ = [
    "HiringAdjustment",
    "ReplacementRates",
    "job_openings",
    "make_age_structure",
    "make_replacement_rates",
    "make_supply_table",
    "retirement_rates",
    "statutory_retirement_age",
    "supply_gap",
]
