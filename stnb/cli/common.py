"""Arguments shared by the subcommands: connection options and range-checked numbers."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

__all__ = [
    "MAX_PAGE_SIZE",
    "add_connection_arguments",
    "bounded_float",
    "bounded_int",
    "connection_options",
    "one_line",
]

MAX_PAGE_SIZE = 5000  # ServiceTitan's largest pageSize, for lists and reports alike

_ENV_HELP = "integration (default, or STNB_ENV) or production"


def add_connection_arguments(parser: argparse.ArgumentParser, *, env_help: str = _ENV_HELP) -> None:
    """--env, --profile, --tenant and --sandbox/--no-sandbox, as `stnb.connect()` takes them."""
    parser.add_argument("--env", help=env_help)
    parser.add_argument(
        "--profile", help="profile name in the profiles TOML (with the sandbox: a demo app's name)"
    )
    parser.add_argument("--tenant", help="tenant id (or a profile's tenant name)")
    parser.add_argument(
        "--sandbox",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="force (--sandbox) or forbid (--no-sandbox) the built-in sandbox; default: sandbox when no "
        "credentials are found",
    )


def connection_options(args: argparse.Namespace) -> dict[str, Any]:
    """The `stnb.connect()` keyword arguments given on the command line."""
    return {"env": args.env, "profile": args.profile, "tenant": args.tenant, "sandbox": args.sandbox}


def bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse `type=`: a whole number in [low, high] (no upper bound when `high` is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"must be {_range_text(low, high)}, got {value}")
        return value

    return parse


def bounded_float(low: float, *, inclusive: bool = True) -> Callable[[str], float]:
    """An argparse `type=`: a number >= low (> low when not `inclusive`)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if value != value or value < low or (not inclusive and value == low):  # value != value: NaN
            raise argparse.ArgumentTypeError(f"must be {'>=' if inclusive else '>'} {low:g}, got {text}")
        return value

    return parse


def one_line(message: object) -> str:
    """An error message on one line: its lines joined with "; " (the wording itself unchanged)."""
    lines = [line.strip() for line in str(message).splitlines() if line.strip()]
    return "; ".join(lines) if lines else "(no message)"


def _range_text(low: int, high: int | None) -> str:
    return f"at least {low}" if high is None else f"between {low} and {high}"
