"""`Client` / `AsyncClient`: one tenant of one environment over HTTP, with typed errors, retries and pacing.

`request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 5})` fills the template, waits for
the shared pacer, sends with the app key and a current token, retries what is safe to retry, reports every
attempt to `stnb._attempts` observers, and raises a `stnb.errors` exception for anything but 2xx.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Awaitable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from types import TracebackType
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx2

from stnb._attempts import Attempt, notify
from stnb._auth import HOOK_EXTENSION, ClientCredentialsAuth
from stnb._checks import check_transport
from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._config import Credentials, Environment
from stnb._flow import Effect, arun, run
from stnb._json import loads as loads_json
from stnb._pacing import TokenBucket, shared_bucket
from stnb._redact import get_logger
from stnb._retry import DEFAULT_RETRY, Decision, RetryPolicy, decide
from stnb.errors import (
    ApiError,
    ConfigError,
    InvalidRequest,
    InvalidResponse,
    RateLimited,
    TransportError,
    UsageError,
    UsageTypeError,
    WriteForbidden,
    body_excerpt,
    error_from_response,
)

__all__ = ["AsyncClient", "Client", "RequestOptions"]

log = get_logger("stnb._client")

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_METHODS = _READ_METHODS | {"POST", "PUT", "PATCH", "DELETE"}
_PLACEHOLDER = re.compile(r"\{([^{}/]*)\}")
_DOT_SEGMENT = re.compile(r"(?:\.|%2e){1,2}", re.IGNORECASE)
# Calls that use a write verb but only read (the allow-list of POST-as-read): report data, and discarding
# the result of a finished report query. They are retried like reads and allowed on production.
_READS_BY_POST = (
    ("POST", re.compile(r"/reporting/v2/tenant/[^/]+/report-category/[^/]+/reports/[^/]+/data(?:/query)?")),
    ("DELETE", re.compile(r"/reporting/v2/tenant/[^/]+/data-queries/[^/]+")),
    ("POST", re.compile(r"/dispatch/v2/tenant/[^/]+/capacity/?")),  # a query of free time frames
)
MAX_URL_LENGTH = 8192  # longer URLs are refused before sending (gateways reject them; httpx2 fails at 64 KiB)

Params = Mapping[str, Any] | Sequence[tuple[str, Any]] | None


class RequestOptions(TypedDict, total=False):
    """The keyword options of every `request` / `request_json` (clients and connections, sync and async),
    described once: query `params`, a `json` body, `path_params` for the template's placeholders, a
    `retry` policy and a `timeout` for this call, `read_only=True` for a POST that only reads,
    `allow_writes=True` to open a read-only environment for this call."""

    params: Params
    json: Any
    path_params: Mapping[str, Any] | None
    retry: RetryPolicy | None
    read_only: bool | None
    timeout: float | None
    allow_writes: bool | None


_OPTIONS = frozenset(RequestOptions.__annotations__)


def _user_agent() -> str:
    try:
        return f"stnb/{metadata.version('stnb')}"
    except metadata.PackageNotFoundError:
        return "stnb"


@dataclass(frozen=True, slots=True)
class _Call:
    """One logical request: what to send and how it may be retried."""

    method: str
    template: str  # "/jpm/v2/tenant/{tenant}/jobs/{id}"
    url: str  # the template filled in and URL-quoted
    module: str
    idempotent: bool
    policy: RetryPolicy
    params: Any
    json: Any
    timeout: float | None


@dataclass(frozen=True, slots=True)
class _Pace(Effect):
    """Wait for the shared pacer; the seconds waited come back."""


@dataclass(frozen=True, slots=True)
class _Send(Effect):
    """Send one attempt; the `httpx2.Response` comes back."""

    method: str
    url: str
    kwargs: dict[str, Any]


@dataclass(frozen=True, slots=True)
class _Sleep(Effect):
    """Wait before the next attempt."""

    seconds: float


_Step = _Pace | _Send | _Sleep


class _Trace:
    """Follows every send of one call (retries, and the auth flow's resend after a 401) to report each."""

    def __init__(self, client: _BaseClient[Any], call: _Call) -> None:
        self._client = client
        self._call = call
        self.sends = 0
        self.rate_wait = 0.0
        self.started = client._clock.monotonic()
        self.at = client._clock.utcnow()

    def sending(self) -> None:
        self.sends += 1
        self.started = self._client._clock.monotonic()
        self.at = self._client._clock.utcnow()

    @property
    def policy(self) -> RetryPolicy:
        """The call's retry policy, which a shared token fetch follows too."""
        return self._call.policy

    def rejected(self, response: httpx2.Response) -> None:
        self._client._record(self._call, self, response.status_code, len(response.content), "AuthError")
        self.rate_wait = 0.0


_T = TypeVar("_T", httpx2.BaseTransport, httpx2.AsyncBaseTransport)


class _BaseClient(Generic[_T]):
    """Everything the sync and async clients share, their constructor included; only the httpx2 client,
    sending and sleeping differ."""

    def __init__(
        self,
        environment: Environment,
        credentials: Credentials,
        *,
        transport: _T | None = None,
        retry: RetryPolicy | None = None,
        rate: float | None = None,
        timeout: float | None = 30.0,
        allow_writes: bool = False,
        clock: Clock | None = None,
        sandbox: bool = False,
        timezone: str | None = None,
        max_connections: int = 16,
    ) -> None:
        if not isinstance(environment, Environment):
            raise UsageTypeError(f"environment must be an Environment, not {type(environment).__name__}")
        if not isinstance(credentials, Credentials):
            raise UsageTypeError(f"credentials must be a Credentials, not {type(credentials).__name__}")
        _check_flags(read_only=None, allow_writes=allow_writes, retry=retry, timeout=timeout)
        check_timeout(rate, "rate", "requests per second")
        check_transport(transport)
        self.environment = environment
        self.credentials = credentials
        self.env = environment.name
        self.tenant_id = credentials.tenant_id
        self.tenant = str(credentials.tenant_id)
        self.timezone = _check_timezone(timezone or credentials.timezone or "UTC")
        self.sandbox = sandbox
        self.allow_writes = allow_writes
        self._retry = retry or DEFAULT_RETRY
        self._timeout = timeout
        self._clock = clock or SYSTEM_CLOCK
        self._bucket: TokenBucket = shared_bucket(
            credentials.app_key, credentials.tenant_id, environment.name, rate, clock=self._clock
        )
        self._auth = ClientCredentialsAuth(
            environment, credentials, clock=self._clock, transport=transport, timeout=timeout or 30.0
        )
        self._owns_http = True
        limits = httpx2.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = self._open(
            base_url=environment.api_url,
            transport=transport,
            auth=self._auth,
            headers=self._default_headers(),
            timeout=timeout,
            limits=limits,
        )

    def _open(self, **options: Any) -> Any:
        """The httpx2 client (sync or async) this client sends with."""
        raise NotImplementedError

    def _pace(self) -> Any:
        """Wait for the shared pacer (the async client returns the awaitable)."""
        raise NotImplementedError

    def _wait(self, seconds: float) -> Any:
        """Sleep before a retry (the async client returns the awaitable)."""
        raise NotImplementedError

    def _perform(self, step: _Step) -> Any:
        """Do one effect of a call's flow, for both clients: the async client's I/O comes back as an
        awaitable, which `arun` awaits."""
        if isinstance(step, _Pace):
            return self._pace()
        if isinstance(step, _Send):
            return self._http.request(step.method, step.url, **step.kwargs)
        return self._wait(step.seconds)

    def _default_headers(self) -> dict[str, str]:
        # Built on demand so the app key lives in the httpx2 client only, not in this object's state.
        return {
            "ST-App-Key": self.credentials.app_key,
            "Accept": "application/json",
            "User-Agent": _user_agent(),
        }

    @property
    def retry(self) -> RetryPolicy:
        return self._retry

    @property
    def clock(self) -> Clock:
        """The clock this client paces, times and sleeps with."""
        return self._clock

    @property
    def timeout(self) -> float | None:
        return self._timeout

    @property
    def bucket(self) -> TokenBucket:
        """The pacer shared by every client of this app, tenant and environment in the process."""
        return self._bucket

    def __repr__(self) -> str:
        kind = " (sandbox)" if self.sandbox else ""
        return f"<stnb.{type(self).__name__} env={self.env} tenant={self.tenant}{kind}>"

    def with_options(self, *, retry: RetryPolicy | None = None, timeout: float | None = None) -> Self:
        """A client sharing this one's connections, token and pacer, with another retry policy or timeout."""
        clone = copy.copy(self)
        clone._retry = retry or self._retry
        clone._timeout = timeout if timeout is not None else self._timeout
        clone._owns_http = False
        return clone

    # -- building a call -----------------------------------------------------------------------------

    def _call(self, method: str, path: str, options: RequestOptions) -> _Call:
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            takes = ", ".join(sorted(_OPTIONS))
            raise UsageTypeError(f"request got an unexpected keyword argument {unknown[0]!r} (takes {takes})")
        params = options.get("params")
        json_body = options.get("json")
        path_params = options.get("path_params")
        retry = options.get("retry")
        read_only = options.get("read_only")
        timeout = options.get("timeout")
        allow_writes = options.get("allow_writes")
        verb = _verb(method)
        _check_flags(read_only=read_only, allow_writes=allow_writes, retry=retry, timeout=timeout)
        if path_params is not None and not isinstance(path_params, Mapping):
            raise UsageTypeError(f"path_params must be a dict, got {type(path_params).__name__}")
        template, url = self._fill(path, path_params or {})
        is_write = verb not in _READ_METHODS and not _reads_by_post(verb, url)
        if is_write:
            allowed = self.allow_writes if allow_writes is None else allow_writes
            if not self.environment.writable and not allowed:
                raise WriteForbidden(
                    f"{verb} {template} refused: {self.env} is read-only. Writes to {self.env} happen only "
                    "with allow_writes=True (on stnb.connect() or on this call)."
                )
            if read_only and verb != "POST":
                raise UsageError(
                    f"read_only=True does not apply to {verb} {template}: a {verb} changes data, and writes "
                    "are never retried (read_only=True marks a POST that only reads, such as report data)"
                )
        idempotent = (not is_write) if read_only is None else bool(read_only)
        params = _checked_params(params)
        _check_url(verb, self.environment.api_url, url, template, params, json_body)
        return _Call(
            method=verb,
            template=template,
            url=url,
            module=template.split("/")[1],
            idempotent=idempotent,
            policy=retry or self._retry,
            params=params,
            json=json_body,
            timeout=timeout if timeout is not None else self._timeout,
        )

    def _fill(self, path: str, path_params: Mapping[str, Any]) -> tuple[str, str]:
        if not isinstance(path, str):
            raise UsageTypeError(f"path must be text such as 'jpm/v2/tenant/{{tenant}}/jobs', got {path!r}")
        if "://" in path or path.startswith("//"):
            raise InvalidRequest(
                f"path must be relative to the API base ({self.environment.api_url}), got {path!r}",
                errors={"path": ["absolute URLs are not accepted"]},
            )
        if "?" in path:
            raise InvalidRequest(
                f"path {path!r} contains a query string; pass query parameters with params=",
                errors={"path": ["query strings go in params="]},
            )
        template = "/" + path.strip().lstrip("/")
        if template == "/":
            raise InvalidRequest("path is empty", errors={"path": ["e.g. jpm/v2/tenant/{tenant}/jobs"]})
        control = [c for c in template if ord(c) < 32 or ord(c) == 127]
        if control:  # httpx2 refuses them in a URL (InvalidURL): say so before anything is sent
            raise InvalidRequest(
                f"path {path!r} contains the control character {control[0]!r}",
                errors={"path": ["control characters cannot be sent in a URL"]},
            )
        dots = [seg for seg in template.split("/") if _DOT_SEGMENT.fullmatch(seg)]
        if dots:
            raise InvalidRequest(
                f"path {path!r} contains the relative segment {dots[0]!r}; give the API path itself",
                errors={"path": ["'.' and '..' segments are not accepted"]},
            )
        names = _PLACEHOLDER.findall(template)
        if "tenant" in path_params:
            raise InvalidRequest(
                "path_params must not set 'tenant': it comes from the credentials",
                errors={"tenant": [f"this client is bound to tenant {self.tenant}"]},
            )
        missing = [n for n in names if n != "tenant" and n not in path_params]
        unused = [k for k in path_params if k not in names]
        problems: dict[str, list[str]] = {}
        for name in missing:
            problems[name] = ["missing path parameter"]
        for name in unused:
            problems[name] = [f"not a placeholder in {template}"]
        values: dict[str, str] = {"tenant": self.tenant}
        for name in names:
            if name in path_params:
                value = path_params[name]
                text = "" if value is None else str(value)
                if not text.strip():
                    problems[name] = ["empty value"]
                elif _DOT_SEGMENT.fullmatch(text):
                    problems[name] = [f"{text!r} is not a value (relative path segment)"]
                elif not _encodable(text):
                    problems[name] = ["contains characters that cannot be sent (not valid Unicode)"]
                else:
                    values[name] = quote(text, safe="")
        if problems:
            raise InvalidRequest(f"path parameters do not match {template}", errors=problems)
        if not _encodable(template):
            raise InvalidRequest(
                "path contains characters that cannot be sent (not valid Unicode)",
                errors={"path": ["not valid Unicode"]},
            )
        url = _PLACEHOLDER.sub(lambda m: values[m.group(1)], template)
        return template, url

    def _send_kwargs(self, call: _Call, trace: _Trace) -> dict[str, Any]:
        return {
            "params": call.params,
            "json": call.json,
            "timeout": call.timeout,
            "extensions": {HOOK_EXTENSION: trace},
        }

    def _attempts(
        self, call: _Call, parse_json: bool
    ) -> Generator[_Step | tuple[httpx2.Response, Any], Any, None]:
        """The flow of one call (see `stnb._flow`): pace, send, and retry what may be retried after a sleep;
        outputs (response, parsed body) once, or raises the typed error."""
        tries = 0
        waited = 0.0  # seconds slept between retries of this call
        pending = 0.0  # the retry sleep just taken, reported with the next attempt
        trace = _Trace(self, call)
        while True:
            tries += 1
            trace.rate_wait = pending + (yield _Pace())
            response: httpx2.Response | None = None
            try:
                response = yield _Send(call.method, call.url, self._send_kwargs(call, trace))
            except _TRANSPORT_ERRORS as exc:
                error: ApiError = self._transport_failure(call, trace, exc)
                cause: BaseException | None = exc
            else:
                value, failure = self._outcome(call, trace, response, parse_json)
                if failure is None:
                    yield response, value
                    return
                error, cause = failure, None
            decision = self._decide(call, tries, waited, error, response)
            if not decision.retry:
                if cause is not None:
                    raise error from cause
                raise error  # keeps a cause set where it was raised (the auth flow)
            yield _Sleep(decision.wait)
            waited += decision.wait
            pending = decision.wait

    # -- outcomes ------------------------------------------------------------------------------------

    def _record(self, call: _Call, trace: _Trace, status: int | None, nbytes: int, error: str | None) -> None:
        latency_ms = (self._clock.monotonic() - trace.started) * 1000.0
        notify(
            Attempt(
                at=trace.at,
                env=self.env,
                app=self.credentials.app,
                app_name=self.credentials.app_name,
                tenant=self.tenant,
                method=call.method,
                module=call.module,
                endpoint=call.template,
                status=status,
                latency_ms=latency_ms,
                bytes=nbytes,
                attempt=max(1, trace.sends),
                rate_wait_ms=trace.rate_wait * 1000.0,
                error_type=error,
                sandbox=self.sandbox,
            )
        )
        log.debug(
            "%s %s -> %s in %.1f ms (send %d, waited %.0f ms)%s",
            call.method,
            call.template,
            status if status is not None else "no response",
            latency_ms,
            max(1, trace.sends),
            trace.rate_wait * 1000.0,
            f" [{error}]" if error else "",
        )

    def _outcome(
        self, call: _Call, trace: _Trace, response: httpx2.Response, parse_json: bool
    ) -> tuple[Any, ApiError | None]:
        """(parsed body or None, None) on success, else (None, the typed error); records the attempt."""
        status = response.status_code
        nbytes = len(response.content)
        if response.is_success:
            value: Any = None
            if parse_json and status != 204 and response.content.strip():
                try:
                    value = loads_json(response.content)
                except ValueError:
                    invalid = InvalidResponse(
                        "the response body is not valid JSON (truncated or not JSON)",
                        status=status,
                        method=call.method,
                        url_template=call.template,
                        body_excerpt=body_excerpt(response),
                    )
                    self._record(call, trace, status, nbytes, type(invalid).__name__)
                    return None, invalid
            self._record(call, trace, status, nbytes, None)
            return value, None
        error = error_from_response(
            response,
            call.method,
            call.template,
            now=self._clock.utcnow(),
            env=self.env,
            client=self.credentials.masked_client_id,
        )
        self._record(call, trace, status, nbytes, type(error).__name__)
        if isinstance(error, RateLimited):
            self._bucket.penalize()
        return None, error

    def _transport_failure(self, call: _Call, trace: _Trace, exc: Exception) -> TransportError:
        if isinstance(exc, httpx2.TimeoutException):
            kind = "timeout"
        elif isinstance(exc, httpx2.ConnectError):
            kind = "connect"
        elif isinstance(exc, httpx2.DecodingError):
            kind = "invalid_response"
        elif isinstance(exc, httpx2.NetworkError | httpx2.RemoteProtocolError):
            kind = "network"
        else:
            kind = "other"
        self._record(call, trace, None, 0, type(exc).__name__)
        return TransportError(
            f"{type(exc).__name__} talking to {self.env}: {exc}" if str(exc) else f"{type(exc).__name__}",
            kind=kind,
            method=call.method,
            url_template=call.template,
        )

    def _decide(
        self, call: _Call, tries: int, waited: float, error: ApiError, response: httpx2.Response | None
    ) -> Decision:
        now = self._clock.utcnow()
        ask = functools.partial(
            decide, call.policy, attempt=tries, waited=waited, idempotent=call.idempotent, now=now
        )
        if isinstance(error, TransportError):
            decision = ask(transport_error=error.kind)
        else:
            retry_after = response.headers.get("Retry-After") if response is not None else None
            decision = ask(status=error.status, retry_after=retry_after, title=error.title)
        if decision.retry:
            log.debug("%s %s: %s", call.method, call.template, decision.reason)
        else:
            log.debug("%s %s failed, not retried: %s", call.method, call.template, decision.reason)
        return decision


_TRANSPORT_ERRORS = (httpx2.TransportError, httpx2.DecodingError)


def _verb(method: Any) -> str:
    if not isinstance(method, str):
        raise UsageTypeError(f"method must be text such as 'GET', got {type(method).__name__}")
    verb = method.strip().upper()
    if verb not in _METHODS:
        raise UsageError(f"method {method!r} is not one of {', '.join(sorted(_METHODS))}")
    return verb


def _check_flags(*, read_only: Any, allow_writes: Any, retry: Any, timeout: Any) -> None:
    for name, value in (("read_only", read_only), ("allow_writes", allow_writes)):
        if value is not None and not isinstance(value, bool):
            raise UsageTypeError(f"{name} must be True, False or None, got {value!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise UsageTypeError(f"retry must be a stnb._retry.RetryPolicy, got {type(retry).__name__}")
    check_timeout(timeout)


def check_timeout(timeout: Any, name: str = "timeout", unit: str = "seconds") -> None:
    """None (no limit) or a positive, finite number (of `unit`); `UsageError` otherwise."""
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise UsageTypeError(f"{name} must be a number of {unit} or None, got {type(timeout).__name__}")
    if not math.isfinite(timeout) or timeout <= 0:
        raise UsageError(
            f"{name} must be a positive number of {unit} (or None for no limit), got {timeout!r}"
        )


def _reads_by_post(verb: str, url: str) -> bool:
    return any(verb == method and pattern.fullmatch(url) for method, pattern in _READS_BY_POST)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _checked_params(params: Any) -> Any:
    if params is None or isinstance(params, Mapping):
        return params
    if isinstance(params, str | bytes) or not isinstance(params, Sequence | Iterable):
        raise UsageTypeError(
            f"params must be a dict or a list of (name, value) pairs, got {type(params).__name__}"
        )
    pairs = list(params)
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            raise UsageTypeError(f"params must be a dict or a list of (name, value) pairs, got item {pair!r}")
    return pairs


def _check_url(verb: str, base: str, url: str, template: str, params: Any, body: Any) -> None:
    """Fail here, before any request, on what httpx2 could not send: the request is built once as httpx2
    will, unless the parameters are plain short values (then the bound below holds without building)."""
    if body is None and _plain_length(params) + len(base) + len(url) * 3 <= MAX_URL_LENGTH:
        return
    try:
        request = httpx2.Request(verb, base.rstrip("/") + url, params=params, json=body)
    except httpx2.InvalidURL as exc:
        if "too long" in str(exc):
            raise _too_long(verb, template) from None
        raise InvalidRequest(
            f"{verb} {template}: the URL cannot be built ({exc})", errors={"params": [str(exc)]}
        ) from None
    except UnicodeError as exc:
        raise InvalidRequest(
            f"{verb} {template}: the URL cannot be built ({exc})", errors={"params": [str(exc)]}
        ) from None
    except (TypeError, ValueError) as exc:
        what = "json body" if body is not None else "params"
        raise UsageTypeError(f"{verb} {template}: the {what} cannot be sent: {exc}") from None
    if len(str(request.url)) > MAX_URL_LENGTH:
        raise _too_long(verb, template)


_PLAIN = (str, int, float)
_NOT_PLAIN = MAX_URL_LENGTH + 1


def _plain_length(params: Any) -> int:
    """An upper bound of the encoded query's length when every name and value is a plain, encodable
    str/int/float (or a list of them); more than MAX_URL_LENGTH otherwise, so the request gets built."""
    if params is None:
        return 0
    pairs = params.items() if isinstance(params, Mapping) else params
    total = 0
    for name, value in pairs:
        values = value if isinstance(value, list | tuple) else (value,)
        for item in values:
            if not isinstance(name, str) or not isinstance(item, _PLAIN) or isinstance(item, bool):
                return _NOT_PLAIN
            text = item if isinstance(item, str) else str(item)
            if not (name.isascii() and text.isascii()) or not text.isprintable() or not name.isprintable():
                return _NOT_PLAIN  # let httpx2 judge (and encode) anything beyond printable ASCII
            total += 3 * (len(name) + len(text)) + 2
    return total


def _too_long(verb: str, template: str) -> InvalidRequest:
    return InvalidRequest(
        f"{verb} {template}: the URL would be longer than {MAX_URL_LENGTH:,} characters, the most stnb "
        "sends (use shorter filter values, or fewer ids per call)",
        errors={"params": ["URL too long"]},
    )


class Client(_BaseClient[httpx2.BaseTransport]):
    """A synchronous client for one tenant of one environment. Thread-safe; share it between threads.

    `Client(environment, credentials, *, transport=None, retry=None, rate=None, timeout=30.0,
    allow_writes=False, clock=None, sandbox=False, timezone=None, max_connections=16)`.
    """

    _http: httpx2.Client

    def _open(self, **options: Any) -> httpx2.Client:
        return httpx2.Client(**options)

    def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> httpx2.Response:
        """Send `method path` (a template such as `jpm/v2/tenant/{tenant}/jobs/{id}`) and return the 2xx
        response; raises a `stnb.errors.ApiError` subclass otherwise, after retries per `retry`.

        Options (`RequestOptions`): `params`, `json`, `path_params`, `retry`, `read_only`, `timeout`,
        `allow_writes`. Writes (POST, PUT, PATCH, DELETE) are never retried; `read_only=True` marks a POST
        that only reads so it may be retried. On a read-only environment (production) writes are refused
        with `WriteForbidden` unless `allow_writes=True` was given to the client or to this call: no other
        flag opens them. Report data (POST-as-read) is not a write.
        """
        return self._send(self._call(method, path, options), parse_json=False)[0]

    def request_json(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """`request` and parse the body as JSON (None for an empty body); a truncated or non-JSON body
        raises `InvalidResponse` naming the URL template (after retries, for reads)."""
        return self._send(self._call(method, path, options), parse_json=True)[1]

    def _send(self, call: _Call, *, parse_json: bool) -> tuple[httpx2.Response, Any]:
        return run(self._attempts(call, parse_json), self._perform)

    def _pace(self) -> float:
        return self._bucket.acquire()

    def _wait(self, seconds: float) -> None:
        self._clock.sleep(seconds)

    def close(self) -> None:
        """Close the connection pool (clients made by `with_options` leave it to their parent)."""
        if self._owns_http:
            self._http.close()
            self._auth.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncClient(_BaseClient[httpx2.AsyncBaseTransport]):
    """The asyncio twin of `Client`: same constructor and methods, awaited."""

    _http: httpx2.AsyncClient

    def _open(self, **options: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(**options)

    async def request(self, method: str, path: str, **options: Unpack[RequestOptions]) -> httpx2.Response:
        """See `Client.request`."""
        return (await self._send(self._call(method, path, options), parse_json=False))[0]

    async def request_json(self, method: str, path: str, **options: Unpack[RequestOptions]) -> Any:
        """See `Client.request_json`."""
        return (await self._send(self._call(method, path, options), parse_json=True))[1]

    async def _send(self, call: _Call, *, parse_json: bool) -> tuple[httpx2.Response, Any]:
        return await arun(self._attempts(call, parse_json), self._perform)

    def _pace(self) -> Awaitable[float]:
        return self._bucket.aacquire()

    def _wait(self, seconds: float) -> Awaitable[None]:
        return self._clock.asleep(seconds)

    async def close(self) -> None:
        """Close the connection pool (clients made by `with_options` leave it to their parent)."""
        if self._owns_http:
            await self._http.aclose()
            await self._auth.aclose()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r}: use an IANA name like 'America/New_York'") from None
    return name
