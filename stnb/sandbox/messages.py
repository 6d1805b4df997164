"""The sandbox's request and response values and the error envelope every failure uses."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "JSON_HEADERS",
    "SandboxRequest",
    "SandboxResponse",
    "dumps",
    "json_response",
    "oauth_error",
    "problem",
    "trace_id",
]

JSON_HEADERS: Mapping[str, str] = {"content-type": "application/json; charset=utf-8"}

# ASP.NET's default problem types, which ServiceTitan's error bodies carry.
_PROBLEM_TYPES: Mapping[int, str] = {
    400: "https://tools.ietf.org/html/rfc7231#section-6.5.1",
    401: "https://tools.ietf.org/html/rfc7235#section-3.1",
    403: "https://tools.ietf.org/html/rfc7231#section-6.5.3",
    404: "https://tools.ietf.org/html/rfc7231#section-6.5.4",
    405: "https://tools.ietf.org/html/rfc7231#section-6.5.5",
    409: "https://tools.ietf.org/html/rfc7231#section-6.5.8",
    413: "https://tools.ietf.org/html/rfc7231#section-6.5.11",
    415: "https://tools.ietf.org/html/rfc7231#section-6.5.13",
    422: "https://tools.ietf.org/html/rfc4918#section-11.2",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc7231#section-6.6.1",
    502: "https://tools.ietf.org/html/rfc7231#section-6.6.3",
    503: "https://tools.ietf.org/html/rfc7231#section-6.6.4",
}


@dataclass(frozen=True, slots=True)
class SandboxRequest:
    """One HTTP request as the core sees it: header names lower-case, query as ordered pairs."""

    method: str
    path: str
    query: Sequence[tuple[str, str]] = ()
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query_values(self, name: str) -> list[str]:
        """Every value of a query parameter; names match case-insensitively, as ASP.NET binds them."""
        wanted = name.lower()
        return [v for k, v in self.query if k.lower() == wanted]


@dataclass(frozen=True, slots=True)
class SandboxResponse:
    """A response, plus how an adapter should deliver it: after `delay` seconds, or not at all (`drop`)."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    delay: float = 0.0
    drop: bool = False
    records: int = 0  # records in the body (lists, exports, gets, report rows): the latency model's input

    def json(self) -> Any:
        return json.loads(self.body)


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON, the way the API sends it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def json_response(status: int, value: Any, headers: Mapping[str, str] | None = None) -> SandboxResponse:
    return SandboxResponse(status, {**JSON_HEADERS, **(headers or {})}, dumps(value))


def trace_id(seed: int, counter: int) -> str:
    """A W3C trace id ("00-<32 hex>-<16 hex>-00") that is a pure function of the seed and request number."""
    digest = hashlib.sha256(f"trace:{seed}:{counter}".encode()).hexdigest()
    return f"00-{digest[:32]}-{digest[32:48]}-00"


def problem(
    status: int,
    title: str,
    trace: str,
    errors: Mapping[str, Sequence[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> SandboxResponse:
    """The RFC 7807 envelope {type, title, status, traceId, errors, data} ServiceTitan uses for errors."""
    body = {
        "type": _PROBLEM_TYPES.get(status, "https://tools.ietf.org/html/rfc7231"),
        "title": title,
        "status": status,
        "traceId": trace,
        "errors": {k: list(v) for k, v in (errors or {}).items()},
        "data": {},
    }
    return json_response(status, body, headers)


def oauth_error(error: str, description: str, status: int = 400) -> SandboxResponse:
    """The token endpoint's OAuth 2.0 error body (RFC 6749 §5.2)."""
    return json_response(
        status,
        {"error": error, "error_description": description},
        {"cache-control": "no-store", "pragma": "no-cache"},
    )
