"""Budgeted, read-only requests for `stnb.check`: one GET is one request (never retried), counted.

The connection's pacing still applies (every request waits for the app's rate-limit bucket), retries are
off so the budget holds to the request, and a 429 stops the check instead of trying again: a check must
never push a real service past its limits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from stnb._connection import Connection
from stnb._retry import NO_RETRY
from stnb.errors import ApiError, AuthError, RateLimited

__all__ = ["BudgetExhausted", "Probe", "Reply", "StopCheck"]

_RATE_HEADERS = ("ratelimit", "rate-limit", "retry-after", "x-rate", "quota")


class BudgetExhausted(Exception):
    """The request budget is spent; the check reports what it could not check."""


class StopCheck(Exception):
    """The service asked us to slow down (429): the check stops rather than retry."""


@dataclass(frozen=True, slots=True)
class Reply:
    """One answer: status, parsed body (None on error), the error, and headers about rate limits."""

    status: int
    body: Any = None
    error: ApiError | None = None
    rate_headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None


class Probe:
    """GET requests on a connection within `budget`; `spent` counts every request sent."""

    def __init__(
        self, conn: Connection, budget: int | None, on_request: Callable[[], None] | None = None
    ) -> None:
        self.conn = conn
        self.budget = budget  # None: unbudgeted (the reference sandbox)
        self.spent = 0
        self._on_request = on_request
        self._client = conn.client.with_options(retry=NO_RETRY)

    @property
    def remaining(self) -> int | None:
        return None if self.budget is None else self.budget - self.spent

    def affordable(self, n: int) -> bool:
        return self.budget is None or self.spent + n <= self.budget

    def get(self, path: str, params: Mapping[str, Any]) -> Reply:
        """GET `path` (a URL template with `{tenant}`) once; raises BudgetExhausted before going over."""
        if not self.affordable(1):
            raise BudgetExhausted
        self.spent += 1
        if self._on_request is not None:
            self._on_request()
        query = {k: _text(v) for k, v in params.items()}
        try:
            response = self._client.request("GET", path.lstrip("/"), params=query)
        except RateLimited as exc:
            raise StopCheck(f"the API answered 429 ({exc.title}); the check stopped") from exc
        except AuthError as exc:
            raise StopCheck(f"cannot authenticate ({exc.title}); the check stopped") from exc
        except ApiError as exc:
            return Reply(exc.status or 0, None, exc)
        headers = {k.lower(): v for k, v in response.headers.items() if _about_rate(k)}
        try:
            body = response.json() if response.content else None
        except ValueError as exc:
            error = ApiError(response.status_code, f"the body is not JSON: {exc}")
            return Reply(response.status_code, None, error, headers)
        return Reply(response.status_code, body, None, headers)


def _about_rate(name: str) -> bool:
    lowered = name.lower()
    return any(part in lowered for part in _RATE_HEADERS)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
