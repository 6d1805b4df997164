"""`stnb` entry point: each area of the package contributes its subcommands through `register`."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Each module defines `register(subparsers) -> None`; a subcommand sets `func(args) -> int`.
_COMMAND_MODULES = (
    "stnb.cli.core",  # resources, pull, doctor
    "stnb.cli.sandbox",  # sandbox serve
    "stnb.cli.report",  # report list/describe/run
    "stnb.cli.usage",  # usage ledger/report/import
    "stnb.cli.compare",  # compare
    "stnb.cli.lab",  # lab, dashboard
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="stnb", description="Explore the ServiceTitan API.")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMAND_MODULES:
        module = importlib.import_module(name)
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
