"""The real ServiceTitan environments (where tokens come from, where the API lives) and the sandbox's."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType

from stnb.errors import ConfigError

__all__ = [
    "DEFAULT_ENV",
    "ENVIRONMENTS",
    "Environment",
    "get_environment",
    "sandbox_environment",
    "unknown_environment_message",
]


DEFAULT_ENV = "integration"


@dataclass(frozen=True, slots=True)
class Environment:
    """Where to get tokens and where the API lives; `writable` False means writes need allow_writes=True."""

    name: str
    auth_url: str
    api_url: str
    writable: bool


ENVIRONMENTS: MappingProxyType[str, Environment] = MappingProxyType(
    {
        "integration": Environment(
            "integration",
            "https://auth-integration.servicetitan.io/connect/token",
            "https://api-integration.servicetitan.io",
            writable=True,
        ),
        "production": Environment(
            "production",
            "https://auth.servicetitan.io/connect/token",
            "https://api.servicetitan.io",
            writable=False,
        ),
    }
)


def get_environment(name: str) -> Environment:
    """The real environment called `name` (case-insensitive); ConfigError naming the valid ones otherwise."""
    key = name.strip().lower()
    if key in ENVIRONMENTS:
        return ENVIRONMENTS[key]
    raise ConfigError(unknown_environment_message(name))


def unknown_environment_message(name: str) -> str:
    valid = ", ".join(ENVIRONMENTS)
    close = difflib.get_close_matches(name.strip().lower(), list(ENVIRONMENTS), n=1, cutoff=0.4)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown environment {name!r} (valid: {valid}){suggestion}"


def sandbox_environment(name: str, url: str) -> Environment:
    """The Environment for a sandbox serving `name` at `url` (token endpoint at url + /connect/token).

    The sandbox's production is read-only like the real one, so a notebook behaves the same offline and live.
    """
    base = url.rstrip("/")
    real = ENVIRONMENTS.get(name)
    return Environment(name, f"{base}/connect/token", base, writable=real.writable if real else True)
