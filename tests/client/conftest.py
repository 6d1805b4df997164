"""Fixtures for the HTTP layer tests: credentials, a scripted fake ServiceTitan, captured attempts."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import pytest

from stnb._attempts import Attempt, add_observer, remove_observer
from stnb._auth import default_token_cache
from stnb._clock import FakeClock
from stnb._config import Credentials, Environment, sandbox_environment

APP_KEY = "ak1.k3y0fth3app1234567890ab"
CLIENT_ID = "cid.cl13nt1d0000000000000xy"
CLIENT_SECRET = "cs1.s3cr3t000000000000000000000000000000000000000000zz"
TENANT = 431848990

Reply = httpx2.Response | Callable[[httpx2.Request], httpx2.Response]


class FakeServiceTitan:
    """A scripted ServiceTitan: a token endpoint handing out numbered tokens and per-path reply queues.

    Replies for a path are consumed in order; the last one repeats. Every request is recorded.
    """

    def __init__(self, *, expires_in: int = 900) -> None:
        self.expires_in = expires_in
        self.lock = threading.Lock()
        self.token_requests: list[httpx2.Request] = []
        self.api_requests: list[httpx2.Request] = []
        self.replies: dict[str, list[Reply]] = {}
        self.valid_tokens: set[str] = set()
        self.issued: list[str] = []
        self.token_reply: Reply | None = None
        self.before_token: Callable[[], None] | None = None

    def reply(self, path: str, *replies: Reply) -> None:
        self.replies[path] = list(replies)

    def revoke_tokens(self) -> None:
        with self.lock:
            self.valid_tokens.clear()

    def issue_token(self) -> str:
        with self.lock:
            value = f"tok-{len(self.token_requests):03d}-abcdefghijklmnop"
            self.valid_tokens.add(value)
            self.issued.append(value)
            return value

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path.endswith("/connect/token"):
            with self.lock:
                self.token_requests.append(request)
            if self.before_token is not None:
                self.before_token()
            if self.token_reply is not None:
                return self.token_reply(request) if callable(self.token_reply) else self.token_reply
            return httpx2.Response(
                200,
                json={
                    "access_token": self.issue_token(),
                    "expires_in": self.expires_in,
                    "token_type": "Bearer",
                },
            )
        with self.lock:
            self.api_requests.append(request)
        bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if bearer not in self.valid_tokens:
            return httpx2.Response(401, json=_problem(401, "Unauthorized"))
        with self.lock:
            queue = self.replies.get(request.url.path)
            if not queue:
                return httpx2.Response(404, json=_problem(404, "No such path in this fake"))
            reply = queue.pop(0) if len(queue) > 1 else queue[0]
        return reply(request) if callable(reply) else reply

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handle)


def _problem(status: int, title: str, errors: dict[str, list[str]] | None = None) -> dict[str, Any]:
    return {
        "type": "https://example.invalid",
        "title": title,
        "status": status,
        "traceId": "00-trace-01",
        "errors": errors or {},
        "data": {},
    }


def problem(
    status: int, title: str, errors: dict[str, list[str]] | None = None, **headers: str
) -> httpx2.Response:
    """A ServiceTitan RFC 7807 error response."""
    return httpx2.Response(status, json=_problem(status, title, errors), headers=headers)


def page(data: list[Any], *, has_more: bool = False, number: int = 1) -> httpx2.Response:
    return httpx2.Response(
        200,
        content=json.dumps(
            {"page": number, "pageSize": len(data), "hasMore": has_more, "totalCount": None, "data": data}
        ).encode(),
        headers={"Content-Type": "application/json"},
    )


@pytest.fixture(autouse=True)
def _fresh_token_cache() -> Iterator[None]:
    default_token_cache().clear()
    yield
    default_token_cache().clear()


@pytest.fixture
def creds() -> Credentials:
    return Credentials(APP_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, app_name="Demo app", source="test")


@pytest.fixture
def env() -> Environment:
    return sandbox_environment("integration", "https://st.invalid")


@pytest.fixture
def production() -> Environment:
    return Environment("production", "https://st.invalid/connect/token", "https://st.invalid", writable=False)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server() -> FakeServiceTitan:
    return FakeServiceTitan()


@pytest.fixture
def attempts() -> Iterator[list[Attempt]]:
    seen: list[Attempt] = []
    add_observer(seen.append)
    yield seen
    remove_observer(seen.append)


def from_sandbox(url: str, creds: Any, env: str = "integration") -> tuple[Environment, Credentials]:
    """The Environment and Credentials a user would build from a sandbox's demo credentials."""
    demo = creds[env]
    return sandbox_environment(env, url), Credentials(
        demo.app_key,
        demo.client_id,
        demo.client_secret,
        demo.tenant_id,
        app_name=demo.app_name,
        timezone=demo.timezone,
        source="sandbox",
    )
