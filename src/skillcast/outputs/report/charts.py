"""The report's charts: matplotlib figures as inline SVG markup (no image file, no font
embedded), so the page stays one self-contained file."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from skillcast.outputs.read_back import floats

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["intervals_chart"]

_COLOURS = ("#1f5f8b", "#d9822b", "#3a8d5d", "#9b4f96", "#7f7f7f", "#b8860b")


def intervals_chart(
    categories: Sequence[str],
    groups: Sequence[tuple[str, pd.DataFrame]],
    *,
    size: tuple[float, float],
    salt: str,
    horizontal: bool = False,
) -> Any:
    """Dots with 80% (thick) and 95% (thin) ranges: one dot per category and group.

    ``groups`` are (label, frame indexed by category with forecast and bounds). Returns
    the chart as inline SVG markup; text is left as SVG text (the page's fonts draw it).
    """
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter

    # text stays SVG text (small, selectable, drawn in the page's font); the salt keeps
    # element ids of several charts on one page apart
    with rc_context(
        {"svg.fonttype": "none", "svg.hashsalt": salt, "font.family": "sans-serif", "font.size": 9}
    ):
        fig = Figure(figsize=size, dpi=72)
        ax = fig.add_subplot()
        n = max(len(groups), 1)
        width = 0.7 / n
        positions = np.arange(len(categories), dtype=float)
        for j, (label, frame) in enumerate(groups):
            at = positions - 0.35 + width * (j + 0.5)
            part = frame.reindex(list(categories))
            colour = _COLOURS[j % len(_COLOURS)]
            mean = floats(part["forecast"])
            for lo_c, hi_c, lw in (("lower_95", "upper_95", 1.0), ("lower_80", "upper_80", 4.0)):
                if lo_c in part.columns:
                    lo, hi = floats(part[lo_c]), floats(part[hi_c])
                    draw = ax.hlines if horizontal else ax.vlines
                    draw(at, lo, hi, colors=colour, lw=lw, alpha=0.55)
            xs, ys = (mean, at) if horizontal else (at, mean)
            ax.plot(xs, ys, "o", color=colour, ms=5, label=label, zorder=3)
        fmt = FuncFormatter(lambda v, _: f"{v:,.0f}".replace(",", " "))
        span = (-0.6, len(categories) - 0.4)
        if horizontal:
            ax.set_yticks(positions, list(categories))
            ax.set_ylim(span[1], span[0])
            ax.xaxis.set_major_formatter(fmt)
            ax.set_xlim(left=0)
            ax.grid(axis="x", alpha=0.3)
        else:
            ax.set_xticks(positions, list(categories))
            ax.set_xlim(*span)
            ax.yaxis.set_major_formatter(fmt)
            ax.set_ylim(bottom=0)
            ax.grid(axis="y", alpha=0.3)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        if len(groups) > 1:
            ax.legend(
                fontsize=8,
                frameon=False,
                ncols=min(len(groups), 4),
                loc="lower left",
                bbox_to_anchor=(0, 1.0),
            )
        fig.tight_layout()
        return _svg(fig)


def _svg(fig: Figure) -> Any:
    from markupsafe import Markup

    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # inline SVG needs no namespace declarations, and the metadata block only names
    # schema URLs: dropping both keeps the page free of any address
    text = re.sub(r"<metadata>.*?</metadata>", "", text, flags=re.S)
    text = re.sub(r'\sxmlns(:\w+)?="[^"]*"', "", text)
    text = re.sub(r'(<svg[^>]*?)\s(width|height)="[^"]*"', r"\1", text, count=2)
    text = text.replace("<svg", '<svg class="chart" role="img"', 1)
    return Markup(text)
