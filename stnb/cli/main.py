"""`stnb` entry point: each area of the package contributes its subcommands through `register`.

Errors stnb raises on purpose (`StnbError`, an unknown catalog resource) end as one line
`stnb COMMAND: error: MESSAGE` on stderr and exit code 1; `--debug` or `STNB_DEBUG=1` adds the
traceback. A closed stdout (`stnb resources | head`) ends the command quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback
from collections.abc import Sequence

from stnb.catalog import UnknownResourceError
from stnb.errors import StnbError

__all__ = ["build_parser", "main"]

# Each module defines `register(subparsers) -> None`; a subcommand sets `func(args) -> int`.
_COMMAND_MODULES = (
    "stnb.cli.core",  # resources, pull, doctor
    "stnb.cli.sandbox",  # sandbox serve
    "stnb.cli.report",  # report list/describe/run
    "stnb.cli.usage",  # usage ledger/report/import
    "stnb.cli.compare",  # compare
    "stnb.cli.check",  # check
    "stnb.cli.lab",  # lab, dashboard
)
_EXPECTED_ERRORS = (StnbError, UnknownResourceError)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stnb",
        description="Explore the ServiceTitan API.",
        epilog="Errors print one line; --debug (or STNB_DEBUG=1) also prints the traceback.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="print the traceback of an error (also STNB_DEBUG=1)"
    )
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
        code = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except _EXPECTED_ERRORS as exc:
        if args.debug or _debug_from_environment():
            traceback.print_exc(file=sys.stderr)
        print(f"stnb {args.command}: error: {exc}", file=sys.stderr)
        return 1


def _debug_from_environment() -> bool:
    return os.environ.get("STNB_DEBUG", "").strip().lower() not in ("", "0", "false", "no", "off")


def _stdout_closed() -> int:
    """The reader went away: send further output to devnull so the exit flush cannot fail again.

    The recipe from "Note on SIGPIPE" in the Python `signal` documentation.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured in tests)
        pass
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
