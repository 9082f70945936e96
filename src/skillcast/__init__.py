"""skillcast: forecast demand for skilled labour by occupation, training level and sector."""

from skillcast.errors import SkillcastConfigError, SkillcastDataError, SkillcastError
from skillcast.panel import Panel, PanelSpec, load_panel
from skillcast.periods import Frequency, frequency
from skillcast.read_options import ReadOptions

__all__ = [
    "Frequency",
    "Panel",
    "PanelSpec",
    "ReadOptions",
    "SkillcastConfigError",
    "SkillcastDataError",
    "SkillcastError",
    "frequency",
    "load_panel",
]
__version__ = "0.1.0"
