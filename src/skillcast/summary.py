"""A planner's first look at a panel: size, period range and totals by group.

``python -m skillcast.summary [PATH]`` prints the summary of the bundled sample (or of a
CSV/Parquet panel in the sample's layout).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pandas as pd

from skillcast.panel import Panel

# key column -> (taxonomy, tier to roll up to, heading)
_GROUPINGS = {
    "sector": ("sector", 2, "sector (VSIC 2018 division)"),
    "occupation": ("occupation", 1, "occupation major group (VSCO 2020)"),
    "level": ("level", 1, "training level"),
}


@dataclass(frozen=True)
class PanelSummary:
    """Overview figures and one totals table per grouping key."""

    overview: dict[str, object]
    tables: dict[str, pd.DataFrame]

    def __str__(self) -> str:
        width = max(len(k) for k in self.overview)
        lines = [f"{k:<{width}}  {v}" for k, v in self.overview.items()]
        for heading, table in self.tables.items():
            shown = table.assign(  # long official names would push the figures off screen
                name_vi=table["name_vi"].str.slice(0, 34), name_en=table["name_en"].str.slice(0, 34)
            )
            lines += ["", f"Totals by {heading}", shown.to_string()]
        return "\n".join(lines)


def summarize(panel: Panel) -> PanelSummary:
    """Series count, period range and target totals at the first and last period by group.

    Groups are the key columns named sector, occupation (rolled up to major groups) and
    level, labelled with their Vietnamese and English names from the shipped taxonomies.
    """
    from skillcast import taxonomy

    spec, frame = panel.spec, panel.frame
    first, last = panel.periods[0], panel.periods[-1]
    totals = frame.groupby(spec.period, observed=True)[spec.target].sum()
    overview: dict[str, object] = {
        "series": panel.n_series,
        "rows": len(panel),
        "periods": f"{panel.label(first)} .. {panel.label(last)} ({panel.n_periods}, "
        f"{panel.freq.name})",
        "target": f"{spec.target} ({spec.measure})",
        f"total {panel.label(first)}": f"{totals.loc[first]:,.0f}",
        f"total {panel.label(last)}": f"{totals.loc[last]:,.0f}",
    }
    tables: dict[str, pd.DataFrame] = {}
    ends = frame.loc[frame[spec.period].isin([first, last])]
    for column, (tax_name, tier, heading) in _GROUPINGS.items():
        if column not in spec.keys:
            continue
        tax = taxonomy.builtin(tax_name)
        group = tax.rollup(ends[column], tier).fillna(ends[column]).to_numpy()
        table = (
            ends.assign(_group=group, _period=panel.freq.labels(ends[spec.period]))
            .pivot_table(
                index="_group", columns="_period", values=spec.target, aggfunc="sum", fill_value=0.0
            )  # fmt: skip
            .rename_axis(index=column, columns=None)
        )
        table.insert(0, "name_en", tax.name_of(table.index.to_series(), lang="en").to_numpy())
        table.insert(0, "name_vi", tax.name_of(table.index.to_series(), lang="vi").to_numpy())
        totals_cols = table.columns[2:]
        table[totals_cols] = table[totals_cols].round(0).astype("int64")
        table["share_%"] = (100 * table.iloc[:, -1] / table.iloc[:, -1].sum()).round(1)
        tables[heading] = table
    return PanelSummary(overview, tables)


def main(argv: list[str] | None = None) -> int:
    """Print the summary of the bundled sample, or of a panel file in the default layout."""
    from skillcast import datasets
    from skillcast.errors import SkillcastDataError
    from skillcast.panel import PanelSpec, load_panel

    args = sys.argv[1:] if argv is None else argv
    try:
        panel = load_panel(args[0], PanelSpec()) if args else datasets.load_sample()
    except SkillcastDataError as err:
        print(f"skillcast: bad data: {err}", file=sys.stderr)
        return 4
    with pd.option_context("display.width", 200, "display.max_columns", 12):
        print(summarize(panel))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
