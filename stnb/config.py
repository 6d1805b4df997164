"""Environments and credentials: which ServiceTitan answers, and who is asking.

Credentials are resolved per environment from, in order of precedence: explicit arguments, environment
variables, a `.env` file, and the profiles TOML file (see `resolve_credentials`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from types import MappingProxyType

from stnb._redact import register_secret
from stnb.attempts import app_fingerprint
from stnb.errors import ConfigError

__all__ = [
    "ENVIRONMENTS",
    "Credentials",
    "Environment",
    "get_environment",
    "mask_client_id",
    "sandbox_environment",
]


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
    """The Environment for a sandbox serving `name` at `url` (token endpoint at url + /connect/token)."""
    base = url.rstrip("/")
    return Environment(name, f"{base}/connect/token", base, writable=True)


def mask_client_id(client_id: str) -> str:
    """A recognisable but unusable form of a client id: 'cid.ab…xyz'."""
    head, dot, tail = client_id.partition(".")
    if dot and len(head) <= 4 and len(tail) >= 8:
        return f"{head}.{tail[:2]}…{tail[-3:]}"
    if len(client_id) >= 10:
        return f"{client_id[:2]}…{client_id[-3:]}"
    return f"{client_id[:1]}…"


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """One app's client credentials for one tenant in one environment. Secrets never appear in repr/str."""

    app_key: str
    client_id: str
    client_secret: str
    tenant_id: int
    app_name: str | None = None
    timezone: str | None = None
    source: str = "arguments"

    def __post_init__(self) -> None:
        register_secret(self.client_secret)
        register_secret(self.app_key)

    @property
    def app(self) -> str:
        """The app key's fingerprint: safe to show and to log."""
        return app_fingerprint(self.app_key)

    @property
    def masked_client_id(self) -> str:
        return mask_client_id(self.client_id)

    def __repr__(self) -> str:
        name = f" app_name={self.app_name!r}" if self.app_name else ""
        zone = f" timezone={self.timezone!r}" if self.timezone else ""
        return (
            f"<Credentials tenant={self.tenant_id} client={self.masked_client_id} app={self.app}{name}{zone}"
            f" source={self.source!r}>"
        )

    __str__ = __repr__
