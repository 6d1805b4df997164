"""`Credentials`: one app's client credentials for one tenant, secrets registered for redaction."""

from __future__ import annotations

from dataclasses import dataclass

from stnb._attempts import app_fingerprint
from stnb._redact import register_secret
from stnb.errors import ConfigError

__all__ = ["Credentials", "mask_client_id"]


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
        for name in ("app_key", "client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"Credentials.{name} must be a non-empty string")
        if isinstance(self.tenant_id, bool) or not isinstance(self.tenant_id, int) or self.tenant_id <= 0:
            raise ConfigError(f"Credentials.tenant_id must be a positive integer, got {self.tenant_id!r}")
        register_secret(self.client_secret)
        register_secret(self.app_key)
        register_secret(self.client_id, mask_client_id(self.client_id))

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
