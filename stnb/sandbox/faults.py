"""Faults on demand: a spec string parsed into shares of failures, drawn from a seeded random stream.

SPEC is comma-separated `name=value` items, for example
`429=0.05,500=0.01,502=0.01,503=0.01,409=0.01,slow=0.02:2.0,drop=0.01,revoke_after=200`:

- `429`, `500`, `502`, `503`, `409`: the share of API requests answered with that status (409 is the
  maintenance conflict; 429 and 503 carry Retry-After);
- `slow=P:S`: the share P of requests delayed by S seconds (the request itself succeeds);
- `drop=P`: the share of requests whose connection breaks before a response;
- `revoke_after=N`: every N-th API request finds the caller's token revoked (401; a new token works);
- `token500=P`: the share of token requests answered 500 (token requests see no other fault);
- `seed=N`: the fault stream's own seed (default: the sandbox's seed).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["Fault", "FaultInjector", "FaultSpec", "FaultSpecError"]

ErrorStatus = Literal[429, 500, 502, 503, 409]
_STATUS_KEYS: tuple[ErrorStatus, ...] = (429, 500, 502, 503, 409)


class FaultSpecError(ValueError):
    """A fault spec that cannot be parsed; the message names the offending item."""


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """Shares (0..1) of each fault; all zero means no faults."""

    status_shares: tuple[tuple[ErrorStatus, float], ...] = ()
    slow_share: float = 0.0
    slow_seconds: float = 0.0
    drop_share: float = 0.0
    revoke_after: int | None = None
    token500_share: float = 0.0
    seed: int | None = None

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse a SPEC string (see the module docstring); raises FaultSpecError on any bad item."""
        shares: dict[ErrorStatus, float] = {}
        fields: dict[str, float | int | None] = {}
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            name, sep, value = item.partition("=")
            name = name.strip().lower()
            if not sep:
                raise FaultSpecError(f"fault item {item!r} needs the form name=value")
            if name in {str(s) for s in _STATUS_KEYS}:
                shares[int(name)] = _share(item, value)  # type: ignore[index]
            elif name == "slow":
                share, colon, seconds = value.partition(":")
                fields["slow_share"] = _share(item, share)
                fields["slow_seconds"] = _number(item, seconds) if colon else 2.0
            elif name == "drop":
                fields["drop_share"] = _share(item, value)
            elif name == "token500":
                fields["token500_share"] = _share(item, value)
            elif name in ("revoke_after", "seed"):
                fields[name] = _integer(item, value, minimum=1 if name == "revoke_after" else 0)
            else:
                known = "429, 500, 502, 503, 409, slow, drop, revoke_after, token500, seed"
                raise FaultSpecError(f"unknown fault {name!r} in {item!r}; known faults: {known}")
        total = sum(shares.values()) + float(fields.get("drop_share") or 0.0)
        if total > 1.0:
            raise FaultSpecError(f"fault shares add up to {total:g}, more than 1")
        status_shares = tuple((s, shares[s]) for s in _STATUS_KEYS if shares.get(s))
        return cls(
            status_shares=status_shares,
            slow_share=float(fields.get("slow_share") or 0.0),
            slow_seconds=float(fields.get("slow_seconds") or 0.0),
            drop_share=float(fields.get("drop_share") or 0.0),
            revoke_after=_opt_int(fields.get("revoke_after")),
            token500_share=float(fields.get("token500_share") or 0.0),
            seed=_opt_int(fields.get("seed")),
        )

    def __str__(self) -> str:
        items = [f"{status}={share:g}" for status, share in self.status_shares]
        if self.slow_share:
            items.append(f"slow={self.slow_share:g}:{self.slow_seconds:g}")
        if self.drop_share:
            items.append(f"drop={self.drop_share:g}")
        if self.revoke_after:
            items.append(f"revoke_after={self.revoke_after}")
        if self.token500_share:
            items.append(f"token500={self.token500_share:g}")
        if self.seed is not None:
            items.append(f"seed={self.seed}")
        return ",".join(items)


def _share(item: str, value: str) -> float:
    share = _number(item, value)
    if not 0.0 <= share <= 1.0:
        raise FaultSpecError(f"share in {item!r} must be between 0 and 1")
    return share


def _number(item: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise FaultSpecError(f"{value!r} in {item!r} is not a number") from None
    if number < 0 or number != number:
        raise FaultSpecError(f"{value!r} in {item!r} must be a non-negative number")
    return number


def _integer(item: str, value: str, minimum: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise FaultSpecError(f"{value!r} in {item!r} is not an integer") from None
    if number < minimum:
        raise FaultSpecError(f"{value!r} in {item!r} must be at least {minimum}")
    return number


def _opt_int(value: float | int | None) -> int | None:
    return None if value is None else int(value)


@dataclass(frozen=True, slots=True)
class Fault:
    """What happens to one request: an error status, a dropped connection, a revoked token, a delay."""

    status: int | None = None
    drop: bool = False
    revoke: bool = False
    delay: float = 0.0


class FaultInjector:
    """Draws faults for successive requests from one seeded stream (thread-safe)."""

    def __init__(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed if spec.seed is not None else seed)
        self._lock = threading.Lock()
        self._api_requests = 0

    def for_api_request(self) -> Fault | None:
        spec = self.spec
        with self._lock:
            self._api_requests += 1
            count = self._api_requests
            draw = self._rng.random()
            slow_draw = self._rng.random()
        revoke = bool(spec.revoke_after) and count % (spec.revoke_after or 1) == 0
        delay = spec.slow_seconds if slow_draw < spec.slow_share else 0.0
        edge = spec.drop_share
        if draw < edge:
            return Fault(drop=True, revoke=revoke, delay=delay)
        for status, share in spec.status_shares:
            edge += share
            if draw < edge:
                return Fault(status=status, revoke=revoke, delay=delay)
        if revoke or delay:
            return Fault(revoke=revoke, delay=delay)
        return None

    def for_token_request(self) -> Fault | None:
        if not self.spec.token500_share:
            return None
        with self._lock:
            draw = self._rng.random()
        return Fault(status=500) if draw < self.spec.token500_share else None
