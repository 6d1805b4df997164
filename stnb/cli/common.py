"""Arguments shared by the subcommands that connect to ServiceTitan."""

from __future__ import annotations

import argparse
from typing import Any


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """--env, --profile, --tenant and --sandbox/--no-sandbox, as `stnb.connect()` takes them."""
    parser.add_argument("--env", help="integration (default, or STNB_ENV) or production")
    parser.add_argument("--profile", help="profile name in the profiles TOML")
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
