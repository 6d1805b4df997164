"""`stnb` entry point: each area of the package contributes its subcommands through `register`.

Every error ends as one line `stnb COMMAND: error: MESSAGE` on stderr (a warning as one line
`stnb COMMAND: warning: MESSAGE`): exit code 2 for bad arguments (argparse's checks) and for a command
that needs an extra that is not installed (its one line names the extra:
`stnb lab needs the lab extra: pip install 'stnb[lab]'`), 1 for everything else (errors stnb raises on
purpose keep their wording, their detail lines joined with "; "; anything unexpected is named by its
type). No traceback is printed unless `--debug` or `STNB_DEBUG=1` asks for it. A closed stdout
(`stnb resources | head`) ends the command quietly.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import traceback
import warnings
from collections.abc import Callable, Sequence
from typing import NoReturn

from stnb.catalog import UnknownResourceError
from stnb.cli.common import one_line
from stnb.errors import MissingExtra, StnbError

__all__ = ["OneLineParser", "build_parser", "main"]

# Each module defines `register(subparsers) -> None`; a subcommand sets `func(args) -> int`.
_COMMAND_MODULES = (
    "stnb.cli.core",  # resources, pull, doctor
    "stnb.cli.sandbox",  # sandbox serve
    "stnb.cli.report",  # report list/describe/run
    "stnb.cli.recipe",  # recipe list/run
    "stnb.cli.usage",  # usage ledger/report/import
    "stnb.cli.compare",  # compare
    "stnb.cli.check",  # check
    "stnb.cli.lab",  # lab, dashboard
)
_EXPECTED_ERRORS = (StnbError, UnknownResourceError)


class OneLineParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line naming the command, with exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
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
    _tolerant_output()
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _warning_line(args.command)
            code = int(func(args) or 0)
        sys.stdout.flush()  # a closed pipe shows up here, inside the handler, not at interpreter exit
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _stdout_closed()
    except MissingExtra as exc:  # the line already names the command (or the feature) and the extra
        if args.debug or _debug_from_environment():
            traceback.print_exc(file=sys.stderr)
        print(one_line(exc), file=sys.stderr)
        return 2
    except _EXPECTED_ERRORS as exc:
        if args.debug or _debug_from_environment():
            traceback.print_exc(file=sys.stderr)
        print(f"stnb {args.command}: error: {one_line(exc)}", file=sys.stderr)
        return 1
    except Exception as exc:  # a bug or an unforeseen failure: still one line unless --debug
        if args.debug or _debug_from_environment():
            traceback.print_exc(file=sys.stderr)
        detail = f": {one_line(exc)}" if str(exc) else ""
        print(
            f"stnb {args.command}: error: unexpected {type(exc).__name__}{detail} "
            "(run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 1


def _warning_line(command: str) -> Callable[..., None]:
    """Warnings (a pull truncated by --max-pages, schema drift...) as one line each, like errors."""

    def show(message: Warning | str, category: type[Warning], *_where: object, **_kw: object) -> None:
        print(f"stnb {command}: warning: {one_line(message)}", file=sys.stderr)

    return show


def _tolerant_output() -> None:
    """Undecodable bytes from the command line (file names, filter values) are echoed escaped, not fatal."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):  # a stream that cannot change: leave it
                reconfigure(errors="backslashreplace")


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
