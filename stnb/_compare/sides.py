"""What a comparison side may be, and how it becomes a `Connection`.

A side is one of:

- a `Connection` (used as is, never closed by the comparison);
- an environment name: `"integration"` or `"production"` (`stnb.connect(env=name)`; with no
  credentials configured both resolve to the built-in sandbox's two environments);
- a profile section, written like its TOML table: `"acme.production"` or
  `"acme.production.431848990"` (profile, environment, optional tenant id or name);
- a mapping of `stnb.connect()` keyword arguments, e.g. `{"env": "production", "profile": "acme"}`.

`connect_options` (e.g. `{"sandbox": sb}`) are passed to every connection the comparison opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from stnb._config import ENVIRONMENTS
from stnb._connection import Connection
from stnb.errors import UsageError, UsageTypeError

__all__ = ["SideSpec", "check_connect_arguments", "describe_side", "open_side", "side_arguments"]

SideSpec: TypeAlias = Connection | str | Mapping[str, Any]


def side_arguments(spec: str | Mapping[str, Any]) -> dict[str, Any]:
    """The `stnb.connect()` arguments a side names; `stnb.UsageError` (a ValueError) for a name that is no
    environment, `UsageTypeError` for a side that is neither a connection, a name nor a mapping."""
    if isinstance(spec, Mapping):
        return check_connect_arguments(spec, "side")
    if not isinstance(spec, str):
        raise UsageTypeError(
            f"a side must be a stnb.Connection, an environment or profile name, or a dict of connect() "
            f"arguments, got {type(spec).__name__}"
        )
    parts = spec.strip().split(".")
    if len(parts) == 1:
        profile, env, tenant = None, parts[0], None
    elif len(parts) in (2, 3):
        profile, env, tenant = parts[0], parts[1], parts[2] if len(parts) == 3 else None
    else:
        raise UsageError(f"side {spec!r}: expected ENV, PROFILE.ENV or PROFILE.ENV.TENANT")
    if env not in ENVIRONMENTS:
        raise UsageError(
            f"side {spec!r}: unknown environment {env!r}; known: {', '.join(sorted(ENVIRONMENTS))}"
        )
    args: dict[str, Any] = {"env": env}
    if profile:
        args["profile"] = profile
    if tenant:
        args["tenant"] = tenant
    return args


def check_connect_arguments(arguments: Mapping[Any, Any], what: str) -> dict[str, Any]:
    """`arguments` as a dict for `stnb.connect()`; `UsageError` naming any it does not take."""
    import inspect

    from stnb._connect import connect  # the top-level entry point; imported late to keep imports acyclic

    parameters = inspect.signature(connect).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()):
        return dict(arguments)  # a stand-in that takes anything (tests)
    known = set(parameters)
    unknown = [repr(k) for k in arguments if k not in known]
    if unknown:
        raise UsageError(
            f"{what}: stnb.connect() takes no argument {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(known))}"
        )
    return dict(arguments)


def describe_side(spec: SideSpec) -> str:
    """A short, secret-free name for a side, used before (or instead of) a connection."""
    if isinstance(spec, Connection):
        return spec.env
    if isinstance(spec, str):
        return spec
    return str(spec.get("env") or "default environment")


def open_side(spec: SideSpec, connect_options: Mapping[str, Any] | None = None) -> tuple[Connection, bool]:
    """A connection for `spec`, and whether the caller owns it (must close it)."""
    if isinstance(spec, Connection):
        return spec, False
    from stnb._connect import connect  # the top-level entry point; imported late to keep imports acyclic

    args = {**dict(connect_options or {}), **side_arguments(spec)}
    return connect(**args), True
