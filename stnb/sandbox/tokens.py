"""Access tokens: JWT-shaped, HMAC-signed with a key derived from the seed, checked against the clock.

Signed tokens need no table of issued tokens, so a token stays valid across sandboxes built from the same
seed (a client's process-wide token cache keeps working); revocation is per sandbox instance.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import threading
from dataclasses import dataclass

from stnb._clock import Clock
from stnb.sandbox.identity import SandboxCredentials

__all__ = ["TokenClaims", "TokenIssuer", "TokenRejected"]


class TokenRejected(Exception):
    """The token is missing, malformed, foreign, expired or revoked; the message says which."""


@dataclass(frozen=True, slots=True)
class TokenClaims:
    client_id: str
    env: str
    tenant_id: int
    issued_at: float
    expires_at: float
    serial: int
    instance: str


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


class TokenIssuer:
    """Issues and verifies tokens; `revoke(client_id)` invalidates every token issued to it so far."""

    def __init__(self, seed: int, clock: Clock, ttl: int) -> None:
        self._key = hashlib.sha256(f"stnb-sandbox-token-key:{seed}".encode()).digest()
        self._clock = clock
        self.ttl = ttl
        self._serial = itertools.count(1)
        self._lock = threading.Lock()
        self._revoked_below: dict[str, int] = {}
        self._revoked_at: dict[str, float] = {}
        self._instance = _b64(hashlib.sha256(f"{id(self)}:{clock.monotonic()}".encode()).digest()[:6])
        self._last_serial = 0

    def issue(self, creds: SandboxCredentials) -> str:
        with self._lock:
            serial = next(self._serial)
            self._last_serial = serial
        now = self._clock.utcnow().timestamp()
        payload = {
            "client_id": creds.client_id,
            "env": creds.env,
            "tid": creds.tenant_id,
            "iat": int(now),
            "exp": now + self.ttl,
            "jti": serial,
            "ins": self._instance,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{_HEADER}.{body}.{self._sign(body)}"

    def verify(self, token: str) -> TokenClaims:
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _HEADER:
            raise TokenRejected("The access token is malformed.")
        if not hmac.compare_digest(parts[2], self._sign(parts[1])):
            raise TokenRejected("The access token was not issued by this server.")
        try:
            data = json.loads(_unb64(parts[1]))
            claims = TokenClaims(
                client_id=str(data["client_id"]),
                env=str(data["env"]),
                tenant_id=int(data["tid"]),
                issued_at=float(data["iat"]),
                expires_at=float(data["exp"]),
                serial=int(data["jti"]),
                instance=str(data["ins"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise TokenRejected("The access token is malformed.") from exc
        if self._clock.utcnow().timestamp() >= claims.expires_at:
            raise TokenRejected("The access token expired.")
        with self._lock:
            revoked_below = self._revoked_below.get(claims.client_id, 0)
            revoked_at = self._revoked_at.get(claims.client_id)
        same_instance = claims.instance == self._instance
        if (same_instance and claims.serial < revoked_below) or (
            not same_instance and revoked_at is not None and claims.issued_at <= revoked_at
        ):
            raise TokenRejected("The access token was revoked.")
        return claims

    def revoke(self, client_id: str) -> None:
        """Invalidate every token issued to `client_id` until now (a fault the client must survive)."""
        with self._lock:
            self._revoked_below[client_id] = self._last_serial + 1
            self._revoked_at[client_id] = self._clock.utcnow().timestamp()

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest()[:24])
