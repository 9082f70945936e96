"""Command line for the datasets: rebuild the bundled sample, its supply table and its
report batches; derive the Eurostat extract.

Usage: ``python -m skillcast.datasets rebuild-sample [--out PATH] [--supply-out PATH]``,
``python -m skillcast.datasets reports-sample [FOLDER]`` or
``python -m skillcast.datasets eurostat-extract SOURCE OUT``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from skillcast.datasets.eurostat import SOURCE_CREDIT, build_eurostat_extract
from skillcast.datasets.sample import write_sample, write_sample_reports, write_sample_supply


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m skillcast.datasets")
    commands = parser.add_subparsers(dest="command", required=True)
    rebuild = commands.add_parser(
        "rebuild-sample", help="regenerate the bundled sample and its supply table"
    )
    rebuild.add_argument("--out", type=Path, default=None, help="write the sample here instead")
    rebuild.add_argument(
        "--supply-out", type=Path, default=None, help="write the supply table here instead"
    )
    reports = commands.add_parser(
        "reports-sample", help="regenerate the bundled enterprise report batches"
    )
    reports.add_argument(
        "folder", type=Path, nargs="?", default=None, help="write the batches here instead"
    )
    extract = commands.add_parser("eurostat-extract", help="derive the lfsa_egised extract")
    extract.add_argument("source", type=Path, help="lfsa_egised_long.csv.gz")
    extract.add_argument("out", type=Path, help="extract CSV to write")
    args = parser.parse_args(argv)
    if args.command == "rebuild-sample":
        path = write_sample(args.out)
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
        if args.out is None or args.supply_out is not None:  # drawn from the bundled sample
            supply = write_sample_supply(args.supply_out)
            print(f"wrote {supply} ({supply.stat().st_size:,} bytes)")
        if args.out is None:  # drawn from the bundled sample
            _report(write_sample_reports())
    elif args.command == "reports-sample":
        _report(write_sample_reports(args.folder))
    else:
        frame = build_eurostat_extract(args.source)
        frame.to_csv(args.out, index=False, lineterminator="\n")
        print(f"wrote {args.out}: {len(frame)} rows. {SOURCE_CREDIT}")
    return 0


def _report(paths: list[Path]) -> None:
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} report batches to {paths[0].parent} ({size:,} bytes)")


if __name__ == "__main__":
    raise SystemExit(main())
