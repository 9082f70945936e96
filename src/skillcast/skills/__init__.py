"""Demand for skills, not only occupations: forecasts carried through an occupation ->
skill bridge.

* :func:`load_bridge` / :class:`SkillBridge` -- for each ISCO-08 unit group, the share of
  its occupations needing each skill group: the shipped ESCO v1.1.1 bridge (157 level-2
  or 28 level-1 groups of the skills pillar) or a user's own in the same shape.
* :func:`skill_demand` -- openings (stock, expansion, replacement) needing each skill
  group, with their bounds: openings x the share of the unit group's ESCO occupations
  with an essential skill in the group.
* :func:`load_flags` / :func:`skill_intensity` -- the digital, green and transversal
  share of the essential skills behind expected openings.
* :func:`emerging_skill_demand` -- skill groups whose demand grows fastest against
  their recent past, with the occupations driving each.
* :func:`occupation_profiles` -- which profile each occupation code takes (its own unit
  group's, a borrowed one, or none).

Skill groups overlap: one opening counts in every group its occupation needs, so never
add skill groups up. ESCO describes European occupations, counts each occupation once
whatever its size, and its skill lists are fixed: it says which skills an occupation
calls for, not how many workers lack them. Names are ESCO's English labels. Data,
method and credit: ``skillcast/skills/data/README.md``.
"""

from skillcast.skills.bridge import BRIDGE_COLUMNS, SkillBridge, load_bridge
from skillcast.skills.demand import skill_demand
from skillcast.skills.emerging import emerging_skill_demand
from skillcast.skills.flags import MEASURES, SkillFlags, load_flags
from skillcast.skills.intensity import INTENSITY_COLUMNS, skill_intensity
from skillcast.skills.profiles import PROFILES, occupation_profiles

__all__ = [
    "BRIDGE_COLUMNS",
    "INTENSITY_COLUMNS",
    "MEASURES",
    "PROFILES",
    "SkillBridge",
    "SkillFlags",
    "emerging_skill_demand",
    "load_bridge",
    "load_flags",
    "occupation_profiles",
    "skill_demand",
    "skill_intensity",
]
