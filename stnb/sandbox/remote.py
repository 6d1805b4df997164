"""A sandbox served by another process (`stnb sandbox serve`), reached over real HTTP.

`stnb.connect(sandbox=URL)` or `STNB_SANDBOX_URL=URL` use one: the client needs only the base URL and
the demo credentials, which derive from the seed the server was started with (`STNB_SANDBOX_SEED`,
default 0, as `stnb sandbox serve --seed`).
"""

from __future__ import annotations

import os

import httpx2

from stnb.errors import ConfigError
from stnb.sandbox.identity import DemoIdentities, SandboxApp, build_apps

__all__ = ["RemoteSandbox", "remote_from_environment", "seed_from_environment"]

URL_VARIABLE = "STNB_SANDBOX_URL"
SEED_VARIABLE = "STNB_SANDBOX_SEED"


class RemoteSandbox(DemoIdentities):
    """What `stnb.connect` needs of a served sandbox: `.url`, `.apps` and `.credentials` (no transport)."""

    def __init__(self, url: str, seed: int = 0) -> None:
        try:
            parsed = httpx2.URL(url)
        except httpx2.InvalidURL as exc:
            raise ConfigError(f"sandbox URL {url!r} is not a URL: {exc}") from exc
        if parsed.scheme not in ("http", "https") or not parsed.host:
            raise ConfigError(
                f"sandbox URL {url!r} must be http(s)://HOST[:PORT], as `stnb sandbox serve` prints it"
            )
        self.url = url.rstrip("/")
        self.seed = seed
        self.apps: list[SandboxApp] = build_apps(seed)

    def __repr__(self) -> str:
        return f"RemoteSandbox(url={self.url!r}, seed={self.seed})"


def seed_from_environment() -> int:
    """`STNB_SANDBOX_SEED` as an int (0 when unset)."""
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if not text:
        return 0
    try:
        return int(text)
    except ValueError:
        raise ConfigError(
            f"{SEED_VARIABLE}={text!r} is not a whole number (the served sandbox's --seed)"
        ) from None


def remote_from_environment() -> RemoteSandbox | None:
    """The sandbox `STNB_SANDBOX_URL` names, or None when the variable is unset."""
    url = os.environ.get(URL_VARIABLE, "").strip()
    return RemoteSandbox(url, seed_from_environment()) if url else None
