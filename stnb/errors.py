"""One exception per failure case, each keeping what ServiceTitan said (title, errors, traceId) and where.

`error_from_response` turns a non-2xx `httpx2.Response` into the right class; `ValidationError` is also
raised client-side (unknown filters, bad page size) with `errors` filled the same way the API fills it.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from stnb._redact import redact

if TYPE_CHECKING:  # at run time httpx2 is imported by whoever has a response to hand over
    import httpx2

__all__ = [
    "ApiError",
    "AuthError",
    "ConfigError",
    "Conflict",
    "InvalidRequest",
    "InvalidResponse",
    "MissingExtra",
    "NotFound",
    "PermissionDenied",
    "RateLimited",
    "ServerError",
    "StnbError",
    "TransportError",
    "Unprocessable",
    "UsageError",
    "UsageTypeError",
    "ValidationError",
    "WriteForbidden",
    "body_excerpt",
    "error_from_response",
    "parse_retry_after",
    "parse_retry_after_title",
    "require_extra",
]

_EXCERPT_CHARS = 300
_TITLE_SECONDS = re.compile(r"try again in\s+(\d+(?:\.\d+)?)\s*(?:seconds?|s)\b", re.IGNORECASE)


class StnbError(Exception):
    """Base class of every error stnb raises on purpose."""


class UsageError(StnbError, ValueError):
    """A mistake in the call itself, caught before any request is sent: the message says what was wrong
    and what is accepted. Also a `ValueError`, so code catching that keeps working."""


class UsageTypeError(UsageError, TypeError):
    """A `UsageError` for an argument of the wrong type (also a `TypeError`)."""


class ConfigError(UsageError):
    """Credentials or settings are missing, malformed or contradictory; the message says what and where."""


# The optional parts of stnb (pyproject.toml's extras) and the modules each one brings; a test keeps this
# table and pyproject.toml in step. `pip install stnb` alone is the core: client, frames, reports, usage
# analytics, charts, HTML pages and the CLI.
EXTRAS: dict[str, tuple[str, ...]] = {
    "lab": ("jupyterlab", "ipywidgets", "itables", "voila"),
    "serve": ("uvicorn",),
    "png": ("kaleido",),
}


class MissingExtra(UsageError):
    """A feature needs an optional part of stnb (an extra) that is not installed.

    The message is one line naming the feature, the extra and how to install it:
    `stnb lab needs the lab extra: pip install 'stnb[lab]'`.
    """

    def __init__(self, feature: str, extra: str) -> None:
        self.feature = feature
        self.extra = extra
        super().__init__(f"{feature} needs the {extra} extra: pip install 'stnb[{extra}]'")

    def __reduce__(self) -> tuple[type[MissingExtra], tuple[str, str]]:
        return (type(self), (self.feature, self.extra))


def require_extra(extra: str, feature: str, modules: Sequence[str] | None = None) -> None:
    """Raise `MissingExtra` unless every module of `extra` (or just `modules` of it) can be imported.

    Looks the modules up without importing them, so it is cheap enough to call before any work starts.
    """
    if extra not in EXTRAS:
        raise ValueError(f"unknown extra {extra!r}; stnb's extras are {', '.join(EXTRAS)}")
    if not all(_importable(name) for name in (EXTRAS[extra] if modules is None else modules)):
        raise MissingExtra(feature, extra)


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a module without a spec
        return False


class WriteForbidden(StnbError):
    """A write was refused before sending because the environment is read-only for this client."""


class ApiError(StnbError):
    """A request failed; keeps ServiceTitan's problem details and the request's method and URL template."""

    status: int | None
    title: str
    errors: dict[str, list[str]]
    trace_id: str | None
    method: str | None
    url_template: str | None
    body_excerpt: str | None

    def __init__(
        self,
        status: int | None,
        title: str,
        *,
        errors: Mapping[str, Sequence[str] | str] | None = None,
        trace_id: str | None = None,
        method: str | None = None,
        url_template: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        self.status = status
        self.title = title
        self.errors = _normalise_errors(errors)
        self.trace_id = trace_id
        self.method = method
        self.url_template = url_template
        self.body_excerpt = body_excerpt
        super().__init__(self._message())

    def __str__(self) -> str:
        return self._message()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, title={self.title!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions cross process boundaries (pickling in pools); rebuild from keyword state.
        return (_rebuild, (type(self), self.__dict__.copy()))

    def _headline(self) -> str:
        if self.status is None:
            return self.title
        try:
            phrase = HTTPStatus(self.status).phrase
        except ValueError:
            phrase = "HTTP error"
        return f"{self.status} {phrase} — {self.title}" if self.title else f"{self.status} {phrase}"

    def _context(self) -> list[str]:
        parts: list[str] = []
        if self.method or self.url_template:
            parts.append(" ".join(p for p in (self.method, self.url_template) if p))
        if self.trace_id:
            parts.append(f"traceId {self.trace_id}")
        return parts

    def _hint(self) -> str | None:
        return None

    def _message(self) -> str:
        line = self._headline()
        context = self._context()
        if context:
            line += f" ({', '.join(context)})"
        lines = [line]
        for field, messages in self.errors.items():
            lines.append(f"  {field or '(request)'}: {'; '.join(messages)}")
        if self.body_excerpt:
            lines.append(f"  response body: {self.body_excerpt}")
        hint = self._hint()
        if hint:
            lines.append(f"  hint: {hint}")
        return redact("\n".join(lines))


class ValidationError(ApiError):
    """400: the request was malformed; also raised client-side before sending (unknown filter, page size)."""

    def __init__(
        self,
        message: str,
        *,
        errors: Mapping[str, Sequence[str] | str] | None = None,
        status: int | None = 400,
        trace_id: str | None = None,
        method: str | None = None,
        url_template: str | None = None,
        body_excerpt: str | None = None,
    ) -> None:
        super().__init__(
            status,
            message,
            errors=errors,
            trace_id=trace_id,
            method=method,
            url_template=url_template,
            body_excerpt=body_excerpt,
        )


class InvalidRequest(ValidationError, UsageError):
    """A request refused before it was sent (unknown filter, bad value, path or URL); `status` is None.

    Both a `ValidationError` (same `errors` mapping as a 400 from the API) and a `UsageError`.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: Mapping[str, Sequence[str] | str] | None = None,
        status: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(message, errors=errors, status=status, **kwargs)


class AuthError(ApiError):
    """401 from the API, or the token endpoint refused the client credentials."""

    env: str | None
    client: str | None  # masked client id, never the raw one

    def __init__(
        self,
        status: int | None,
        title: str,
        *,
        env: str | None = None,
        client: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.env = env
        self.client = client
        super().__init__(status, title, **kwargs)

    def _context(self) -> list[str]:
        parts = super()._context()
        if self.env:
            parts.append(f"environment {self.env}")
        if self.client:
            parts.append(f"client {self.client}")
        return parts

    def _hint(self) -> str | None:
        if self.url_template and "/connect/token" in self.url_template:
            return "check the client id and secret for this environment (they differ per environment/tenant)"
        return "the token was refreshed once and still rejected; check the app key and the tenant connection"


class PermissionDenied(ApiError):
    """403: the credentials are valid but may not use this endpoint or tenant."""

    def _hint(self) -> str:
        return (
            "the app may lack the API scope for this endpoint (developer portal → My Apps → scopes), "
            "or the tenant has not connected the app (API Application Access)"
        )


class NotFound(ApiError):
    """404: the record or the path does not exist."""


class Conflict(ApiError):
    """409: a business conflict, or ServiceTitan is in maintenance (then retried on reads)."""

    @property
    def maintenance(self) -> bool:
        return "maintenance" in self.title.lower()


class Unprocessable(ApiError):
    """422: the body was understood but violates a business rule (e.g. a job without campaignId)."""


class RateLimited(ApiError):
    """429: too many requests; `retry_after` is the server's requested wait in seconds when known."""

    retry_after: float | None

    def __init__(self, status: int | None, title: str, *, retry_after: float | None = None, **kwargs: Any):
        self.retry_after = retry_after
        super().__init__(status, title, **kwargs)

    def _hint(self) -> str | None:
        if self.retry_after is None:
            return None
        return f"the server asked to wait {self.retry_after:g} s"


class ServerError(ApiError):
    """5xx: ServiceTitan failed; 500/502/503/504 are retried on reads (bounded by the retry policy)."""


class TransportError(ApiError):
    """No usable response: connection failure, timeout, or a body that is not what the API promises.

    `kind` is one of "timeout", "connect", "network", "invalid_response".
    """

    kind: str

    def __init__(self, message: str, *, kind: str = "network", status: int | None = None, **kwargs: Any):
        self.kind = kind
        super().__init__(status, message, **kwargs)

    def _headline(self) -> str:
        return self.title if self.status is None else f"{self.title} [HTTP {self.status}]"


class InvalidResponse(TransportError):
    """A 2xx response whose body is truncated or not JSON."""

    def __init__(self, message: str, *, status: int | None = None, **kwargs: Any):
        super().__init__(message, kind="invalid_response", status=status, **kwargs)


_BY_STATUS: dict[int, type[ApiError]] = {
    400: ValidationError,
    401: AuthError,
    403: PermissionDenied,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    429: RateLimited,
}


def parse_retry_after_title(title: str) -> float | None:
    """Seconds from a title like 'Rate limit is exceeded. Try again in 3 seconds.', else None."""
    match = _TITLE_SECONDS.search(title)
    return float(match.group(1)) if match else None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), else None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def error_from_response(
    response: httpx2.Response,
    method: str,
    url_template: str,
    *,
    now: datetime | None = None,
    env: str | None = None,
    client: str | None = None,
) -> ApiError:
    """The typed error for a non-2xx response; non-JSON bodies still give a readable message.

    `now` (UTC) resolves an HTTP-date Retry-After into seconds (default: system time); `env` and the
    masked `client` id are named in an `AuthError`.
    """
    status = response.status_code
    body = _json_object(response)
    excerpt: str | None = None
    if body is None:
        excerpt = body_excerpt(response)
        title = _reason(status)
        errors: Any = None
        trace_id = response.headers.get("traceparent")
    else:
        title = str(body.get("title") or body.get("error_description") or body.get("error") or "")
        title = title or str(body.get("message") or _reason(status))
        errors = body.get("errors") if isinstance(body.get("errors"), Mapping) else None
        raw_trace = body.get("traceId")
        trace_id = str(raw_trace) if raw_trace else None
    common: dict[str, Any] = {
        "errors": errors,
        "trace_id": trace_id,
        "method": method,
        "url_template": url_template,
        "body_excerpt": excerpt,
    }
    cls = _BY_STATUS.get(status)
    if cls is ValidationError:
        return ValidationError(title, status=status, **common)
    if cls is RateLimited:
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now or datetime.now(UTC))
        if retry_after is None:
            retry_after = parse_retry_after_title(title)
        return RateLimited(status, title, retry_after=retry_after, **common)
    if cls is AuthError:
        return AuthError(status, title, env=env, client=client, **common)
    if cls is not None:
        return cls(status, title, **common)
    if status >= 500:
        return ServerError(status, title, **common)
    if 400 <= status < 500:
        return ApiError(status, title, **common)
    return InvalidResponse(f"unexpected HTTP status {status}", status=status, **common)


def body_excerpt(response: httpx2.Response) -> str:
    """A short, whitespace-collapsed, redacted excerpt of a response body for error messages."""
    from httpx2 import ResponseNotRead  # already loaded: the caller holds a response

    try:
        text = response.text
    except (UnicodeDecodeError, LookupError, ResponseNotRead):
        return f"<{len(response.content)} bytes, not text>"
    text = " ".join(text.split())
    if not text:
        return "<empty body>"
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS] + "…"
    return redact(text)


def _json_object(response: httpx2.Response) -> dict[str, Any] | None:
    from httpx2 import ResponseNotRead

    try:
        data = json.loads(response.content)
    except (ValueError, ResponseNotRead):
        return None
    return data if isinstance(data, dict) else None


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"


def _normalise_errors(errors: Mapping[str, Sequence[str] | str] | None) -> dict[str, list[str]]:
    if not errors:
        return {}
    result: dict[str, list[str]] = {}
    for key, value in errors.items():
        if isinstance(value, str):
            result[str(key)] = [value]
        elif isinstance(value, Sequence):
            result[str(key)] = [str(v) for v in value]
        else:
            result[str(key)] = [str(value)]
    return result


def _rebuild(cls: type[ApiError], state: dict[str, Any]) -> ApiError:
    error = cls.__new__(cls)
    error.__dict__.update(state)
    Exception.__init__(error, error._message())
    return error
