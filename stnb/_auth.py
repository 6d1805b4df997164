"""OAuth2 client credentials as an `httpx2.Auth`: cached tokens, single-flight refresh, one retry on 401.

Tokens are cached process-wide per (environment, tenant, client id) and refreshed 60 s before they
expire. When many threads or tasks find the token missing at once, exactly one of them asks the token
endpoint; the rest wait for its answer. Failures are shared the same way: the one fetch retries a
transient failure (429, 5xx, unreachable) per the caller's retry policy, one attempt per retry step
however many callers wait, and every waiter gets its final error; for `FAILURE_HOLD` seconds after that,
new callers get the same error without asking again. Because the flow runs for every attempt, a retried
request always carries the current token. `TokenCache.clear()` makes every connection, open ones
included, fetch a new token.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import math
import threading
import weakref
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx2

from stnb._attempts import Attempt, notify
from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._config import Credentials, Environment
from stnb._flow import Effect, arun, run
from stnb._redact import get_logger, register_secret
from stnb._retry import DEFAULT_RETRY, RetryPolicy, decide
from stnb.errors import ApiError, AuthError, TransportError, body_excerpt

__all__ = [
    "HOOK_EXTENSION",
    "TOKEN_ENDPOINT",
    "ClientCredentialsAuth",
    "TokenCache",
    "clear_tokens",
    "default_token_cache",
]

log = get_logger("stnb._auth")

REFRESH_MARGIN = 60.0
FAILURE_HOLD = 1.0  # seconds a failed token fetch is answered from memory instead of asked again
_DEFAULT_EXPIRES_IN = 900.0  # ServiceTitan's documented token lifetime, if the response omits it
TOKEN_ENDPOINT = "/connect/token"
HOOK_EXTENSION = "stnb.attempt_hook"  # request extension through which the client follows each send


class AttemptHook(Protocol):
    """What the client hangs on a request (extension `HOOK_EXTENSION`) to see every send the flow makes."""

    @property
    def policy(self) -> RetryPolicy: ...

    def sending(self) -> None: ...

    def rejected(self, response: httpx2.Response) -> None: ...


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    refresh_at: float  # clock.monotonic() after which a new token is fetched


class _Entry:
    """One cache slot: the token, and the locks that make its refresh single-flight."""

    def __init__(self) -> None:
        self.token: _Token | None = None
        self.fetches = 0  # token fetches finished, successful or not
        self.failure: ApiError | None = None  # how the last fetch failed, for the callers that waited on it
        self.failure_until = 0.0  # clock.monotonic() until which new callers get `failure` too
        self.state_lock = threading.Lock()
        self.fetch_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def valid(self, now: float) -> _Token | None:
        token = self.token
        return token if token is not None and now < token.refresh_at else None

    def store(self, token: _Token) -> None:
        with self.state_lock:
            self.token = token
            self.fetches += 1
            self.failure = None

    def fail(self, error: ApiError, until: float) -> None:
        with self.state_lock:
            self.fetches += 1
            self.failure = error
            self.failure_until = until

    def shared_failure(self, seen: int, now: float) -> ApiError | None:
        """The failure to raise instead of fetching: the fetch this caller waited on (it finished after
        `seen`), or a recent one still held; a copy, since each caller's traceback differs."""
        with self.state_lock:
            failure = self.failure
            if failure is None or (self.fetches == seen and now >= self.failure_until):
                return None
        return copy.copy(failure)

    def reset(self) -> None:
        with self.state_lock:
            self.token = None
            self.failure = None
            self.failure_until = 0.0

    def invalidate(self, value: str) -> None:
        # Only the token that was rejected: 32 requests failing with it cause one refresh, not 32.
        with self.state_lock:
            if self.token is not None and self.token.value == value:
                self.token = None

    def async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self.state_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = asyncio.Lock()
                self._async_locks[loop] = lock
            return lock


_TRANSPORT_KEYS: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
_TRANSPORT_NUMBERS = itertools.count(1)
_TRANSPORT_LOCK = threading.Lock()


def _transport_key(transport: object | None) -> int:
    """A number per transport object that is never reused (an `id()` is, once its object is gone, and
    a new transport would then inherit a dead one's cached token)."""
    if transport is None:
        return 0
    with _TRANSPORT_LOCK:
        try:
            key = _TRANSPORT_KEYS.get(transport)
            if key is None:
                key = _TRANSPORT_KEYS[transport] = next(_TRANSPORT_NUMBERS)
        except TypeError:  # not weak-referenceable: fall back to the object's id
            return id(transport)
    return key


class TokenCache:
    """Access tokens keyed by (environment, token URL, tenant, client id, transport)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, int, str, int], _Entry] = {}

    def entry(self, key: tuple[str, str, int, str, int]) -> _Entry:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                found = self._entries[key] = _Entry()
            return found

    def clear(self) -> None:
        """Forget every token and held failure; connections already open fetch a new token too."""
        with self._lock:
            entries = list(self._entries.values())
        for entry in entries:
            entry.reset()

    def __repr__(self) -> str:
        return f"<TokenCache entries={len(self._entries)}>"


_DEFAULT_CACHE = TokenCache()


def default_token_cache() -> TokenCache:
    """The process-wide cache every client uses unless given its own."""
    return _DEFAULT_CACHE


def clear_tokens() -> None:
    """Forget every cached token: each connection, open ones included, fetches a new one on its next call."""
    _DEFAULT_CACHE.clear()


@dataclass(frozen=True, slots=True)
class _TokenStep:
    """A token the auth flow needs; `refused`: the request, its 401 and the token it was refused with."""

    policy: RetryPolicy | None
    refused: tuple[httpx2.Request, httpx2.Response, str] | None = None


class _Fetch(Effect):
    """Fetch a token from the token endpoint."""


_FETCH = _Fetch()


@dataclass(frozen=True, slots=True)
class _Wait(Effect):
    """Wait before the next token attempt."""

    seconds: float


def _send(
    steps: Generator[_TokenStep | httpx2.Request, object, None], reply: object
) -> _TokenStep | httpx2.Request | None:
    """The flow's next step after `reply`, or None when it is done."""
    try:
        return steps.send(reply)
    except StopIteration:
        return None


class ClientCredentialsAuth(httpx2.Auth):
    """Adds `Authorization: Bearer <token>` to each request, fetching tokens with the client credentials.

    The token request uses a separate small httpx2 client on the same `transport` (so the sandbox and
    `httpx2.MockTransport` work); its failures raise `AuthError` naming the environment and a masked
    client id.
    """

    def __init__(
        self,
        environment: Environment,
        credentials: Credentials,
        *,
        clock: Clock | None = None,
        token_cache: TokenCache | None = None,
        transport: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.environment = environment
        self.credentials = credentials
        self._clock = clock or SYSTEM_CLOCK
        self._cache = token_cache or _DEFAULT_CACHE
        self._transport = transport
        self._timeout = timeout
        # Explicit transports are shared per test or sandbox: keep their tokens apart from real ones.
        where = _transport_key(transport)
        self._entry = self._cache.entry(
            (environment.name, environment.auth_url, credentials.tenant_id, credentials.client_id, where)
        )
        self._sync_http: httpx2.Client | None = None
        self._async_http: httpx2.AsyncClient | None = None
        self._http_lock = threading.Lock()

    def __repr__(self) -> str:
        return (
            f"<ClientCredentialsAuth env={self.environment.name} tenant={self.credentials.tenant_id}"
            f" client={self.credentials.masked_client_id}>"
        )

    # -- the flows ---------------------------------------------------------------------------------
    # One flow (`_steps`) for both: it yields the request for httpx to send, or a `_TokenStep` its driver
    # answers with a token (sync: `token`; async: `atoken`).

    def sync_auth_flow(self, request: httpx2.Request) -> Generator[httpx2.Request, httpx2.Response, None]:
        steps = self._steps(request)
        step = next(steps, None)
        while step is not None:
            reply = self._token_for(step) if isinstance(step, _TokenStep) else (yield step)
            step = _send(steps, reply)

    async def async_auth_flow(
        self, request: httpx2.Request
    ) -> AsyncGenerator[httpx2.Request, httpx2.Response]:
        steps = self._steps(request)
        step = next(steps, None)
        while step is not None:
            reply = await self._atoken_for(step) if isinstance(step, _TokenStep) else (yield step)
            step = _send(steps, reply)

    def _steps(self, request: httpx2.Request) -> Generator[_TokenStep | httpx2.Request, object, None]:
        """Authorize and send; on a 401, refresh the token once (the refused one is dropped) and resend."""
        policy = _policy(request)
        token = yield _TokenStep(policy)
        assert isinstance(token, str)
        for attempt in range(2):
            _authorize(request, token)
            _hook(request, "sending")
            response = yield request
            if attempt or not isinstance(response, httpx2.Response) or response.status_code != 401:
                return
            token = yield _TokenStep(policy, refused=(request, response, token))
            assert isinstance(token, str)

    def _token_for(self, step: _TokenStep) -> str:
        if step.refused is not None:
            step.refused[1].read()  # the 401's body, for the hooks
            self._forget(step.refused)
        return self.token(step.policy)

    async def _atoken_for(self, step: _TokenStep) -> str:
        if step.refused is not None:
            await step.refused[1].aread()
            self._forget(step.refused)
        return await self.atoken(step.policy)

    def _forget(self, refused: tuple[httpx2.Request, httpx2.Response, str]) -> None:
        request, response, token = refused
        _hook(request, "rejected", response)
        log.debug("401 from %s: refreshing the token once and resending", self.environment.name)
        self._entry.invalidate(token)

    # -- tokens ------------------------------------------------------------------------------------

    def token(self, policy: RetryPolicy | None = None) -> str:
        """A valid access token, fetching one if needed (one fetch however many threads ask; a failed
        fetch is retried per `policy` and its error shared by every thread that waited on it)."""
        cached = self._entry.valid(self._clock.monotonic())
        if cached is not None:
            return cached.value
        seen = self._entry.fetches
        with self._entry.fetch_lock:
            return run(self._fetch_flow(seen, policy), self._perform)

    async def atoken(self, policy: RetryPolicy | None = None) -> str:
        """`token` for asyncio: tasks wait on an asyncio.Lock, never blocking the loop."""
        cached = self._entry.valid(self._clock.monotonic())
        if cached is not None:
            return cached.value
        seen = self._entry.fetches
        async with self._entry.async_lock():
            return await arun(self._fetch_flow(seen, policy), self._aperform)

    def _fetch_flow(self, seen: int, policy: RetryPolicy | None) -> Generator[Effect | str, object, None]:
        """What the one caller holding the fetch lock does, written once for `token` and `atoken`: the
        token another caller fetched meanwhile, or the failure it shared, or a fetch retried per `policy`."""
        entry = self._entry
        now = self._clock.monotonic()
        cached = entry.valid(now)
        if cached is not None:
            yield cached.value
            return
        shared = entry.shared_failure(seen, now)
        if shared is not None:
            raise shared
        tries, waited = 0, 0.0
        while True:
            tries += 1
            try:
                fresh = yield _FETCH
            except (AuthError, TransportError) as exc:
                wait = self._retry_wait(policy, tries, waited, exc)
                if wait is None:
                    raise
                yield _Wait(wait)
                waited += wait
                continue
            assert isinstance(fresh, _Token)
            entry.store(fresh)
            yield fresh.value
            return

    def _perform(self, effect: Effect) -> _Token | None:
        if isinstance(effect, _Wait):
            self._clock.sleep(effect.seconds)
            return None
        return self._fetch_sync()

    async def _aperform(self, effect: Effect) -> _Token | None:
        if isinstance(effect, _Wait):
            await self._clock.asleep(effect.seconds)
            return None
        return await self._fetch_async()

    def _retry_wait(
        self, policy: RetryPolicy | None, tries: int, waited: float, error: ApiError
    ) -> float | None:
        """Seconds to wait before the next token attempt, or None: then `error` is final and shared."""
        chosen = policy or DEFAULT_RETRY
        now = self._clock.utcnow()
        if isinstance(error, TransportError):
            # The API request was never sent, so even a write's token may be asked for again.
            decision = decide(
                chosen, attempt=tries, waited=waited, idempotent=True, now=now, transport_error=error.kind
            )
        else:
            decision = decide(
                chosen,
                attempt=tries,
                waited=waited,
                idempotent=True,
                now=now,
                status=error.status,
                title=error.title,
            )
        if decision.retry:
            log.debug("token endpoint of %s failed: %s", self.environment.name, decision.reason)
            return decision.wait
        transient = isinstance(error, TransportError) or (
            error.status is not None and (error.status == 429 or error.status >= 500)
        )
        hold = FAILURE_HOLD if transient else 0.0
        self._entry.fail(error, self._clock.monotonic() + hold)
        return None

    def invalidate(self) -> None:
        """Forget the cached token (the next request fetches a new one)."""
        current = self._entry.token
        if current is not None:
            self._entry.invalidate(current.value)

    def _form(self) -> dict[str, str]:
        return {
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        }

    def _fetch_sync(self) -> _Token:
        http = self._sync_client()
        started, at = self._clock.monotonic(), self._clock.utcnow()
        try:
            response = http.post(self.environment.auth_url, data=self._form(), headers=_TOKEN_HEADERS)
        except httpx2.TransportError as exc:
            self._notify(at, started, None, 0, type(exc).__name__)
            raise self._transport_error(exc) from exc
        return self._accept(response, at, started)

    async def _fetch_async(self) -> _Token:
        http = self._async_client()
        started, at = self._clock.monotonic(), self._clock.utcnow()
        try:
            response = await http.post(self.environment.auth_url, data=self._form(), headers=_TOKEN_HEADERS)
        except httpx2.TransportError as exc:
            self._notify(at, started, None, 0, type(exc).__name__)
            raise self._transport_error(exc) from exc
        return self._accept(response, at, started)

    def _accept(self, response: httpx2.Response, at: datetime, started: float) -> _Token:
        nbytes = len(response.content)
        token = self._parse(response) if response.is_success else None
        if token is not None:
            self._notify(at, started, response.status_code, nbytes, None)
            log.debug(
                "token for %s tenant %s client %s obtained",
                self.environment.name,
                self.credentials.tenant_id,
                self.credentials.masked_client_id,
            )
            return token
        problem = "the token endpoint returned no usable access_token" if response.is_success else None
        error = self._auth_error(response, problem)
        self._notify(at, started, response.status_code, nbytes, type(error).__name__)
        raise error

    def _parse(self, response: httpx2.Response) -> _Token | None:
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        value = body.get("access_token")
        if not isinstance(value, str) or not value:
            return None
        register_secret(value)
        try:
            expires_in = float(body.get("expires_in", _DEFAULT_EXPIRES_IN))
        except (TypeError, ValueError):
            expires_in = _DEFAULT_EXPIRES_IN
        if not math.isfinite(expires_in):
            expires_in = _DEFAULT_EXPIRES_IN
        # Short-lived tokens still get used: never refresh sooner than half their life.
        margin = min(REFRESH_MARGIN, expires_in / 2)
        return _Token(value, self._clock.monotonic() + expires_in - margin)

    def _auth_error(self, response: httpx2.Response, problem: str | None) -> AuthError:
        title = problem or _oauth_message(response)
        excerpt = None if problem is None and _is_json(response) else body_excerpt(response)
        return AuthError(
            response.status_code,
            title,
            env=self.environment.name,
            client=self.credentials.masked_client_id,
            method="POST",
            url_template=TOKEN_ENDPOINT,
            body_excerpt=excerpt,
        )

    def _transport_error(self, exc: httpx2.TransportError) -> TransportError:
        kind = "timeout" if isinstance(exc, httpx2.TimeoutException) else "connect"
        return TransportError(
            f"could not reach the {self.environment.name} token endpoint ({type(exc).__name__})",
            kind=kind,
            method="POST",
            url_template=TOKEN_ENDPOINT,
        )

    def _notify(
        self, at: datetime, started: float, status: int | None, nbytes: int, error: str | None
    ) -> None:
        notify(
            Attempt(
                at=at,
                env=self.environment.name,
                app=self.credentials.app,
                app_name=self.credentials.app_name,
                tenant=str(self.credentials.tenant_id),
                method="POST",
                module="auth",
                endpoint=TOKEN_ENDPOINT,
                status=status,
                latency_ms=(self._clock.monotonic() - started) * 1000.0,
                bytes=nbytes,
                attempt=1,
                rate_wait_ms=0.0,
                error_type=error,
                sandbox=self.credentials.source == "sandbox",
            )
        )

    # -- the small clients for the token endpoint ----------------------------------------------------

    def _sync_client(self) -> httpx2.Client:
        with self._http_lock:
            if self._sync_http is None:
                transport = self._transport if isinstance(self._transport, httpx2.BaseTransport) else None
                self._sync_http = httpx2.Client(transport=transport, timeout=self._timeout)
            return self._sync_http

    def _async_client(self) -> httpx2.AsyncClient:
        with self._http_lock:
            if self._async_http is None:
                transport = self._transport
                if not isinstance(transport, httpx2.AsyncBaseTransport):
                    transport = None
                self._async_http = httpx2.AsyncClient(transport=transport, timeout=self._timeout)
            return self._async_http

    def close(self) -> None:
        """Close the token client's own connections (a shared transport is left to its owner)."""
        with self._http_lock:
            http, self._sync_http = self._sync_http, None
        if http is not None and self._transport is None:
            http.close()

    async def aclose(self) -> None:
        with self._http_lock:
            http, self._async_http = self._async_http, None
        if http is not None and self._transport is None:
            await http.aclose()


_TOKEN_HEADERS = {"Accept": "application/json"}


def _policy(request: httpx2.Request) -> RetryPolicy | None:
    hook = request.extensions.get(HOOK_EXTENSION)
    policy = getattr(hook, "policy", None)
    return policy if isinstance(policy, RetryPolicy) else None


def _authorize(request: httpx2.Request, token: str) -> None:
    request.headers["Authorization"] = f"Bearer {token}"


def _hook(request: httpx2.Request, event: str, *args: httpx2.Response) -> None:
    hook = request.extensions.get(HOOK_EXTENSION)
    if hook is not None:
        getattr(hook, event)(*args)


def _is_json(response: httpx2.Response) -> bool:
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


def _oauth_message(response: httpx2.Response) -> str:
    """The OAuth error (`error`/`error_description`), ServiceTitan's `title`, or the status phrase."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if isinstance(body, dict):
        error, description = body.get("error"), body.get("error_description")
        if error and description:
            return f"{error}: {description}"
        for key in ("error", "error_description", "title", "message"):
            if body.get(key):
                return str(body[key])
    return f"the token endpoint refused the client credentials (HTTP {response.status_code})"
