"""Issue 14, items 3 and 10: token failures shared by every waiter; clearing the token cache reaches
connections that are already open."""

from __future__ import annotations

import asyncio
import threading

import httpx2
import pytest

from stnb._auth import FAILURE_HOLD, default_token_cache
from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import Credentials, Environment
from stnb._retry import RetryPolicy
from stnb.errors import AuthError, TransportError

from .conftest import FakeServiceTitan, page

JOBS = "/jpm/v2/tenant/431848990/jobs"
RACERS = 32
POLICY = RetryPolicy(max_attempts=4)


def failing_token_endpoint(server: FakeServiceTitan, everyone_waiting: threading.Event) -> None:
    def reply(_request: httpx2.Request) -> httpx2.Response:
        everyone_waiting.wait(timeout=10)  # the first attempt answers only once all 32 compete
        return httpx2.Response(500, json={"error": "server_error", "error_description": "token service down"})

    server.token_reply = reply


def test_3_token_500s_cost_one_attempt_per_retry_step_for_32_threads(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([{"id": 1}]))
    everyone_waiting = threading.Event()
    failing_token_endpoint(server, everyone_waiting)
    client = Client(env, creds, transport=server.transport(), clock=clock, retry=POLICY)
    arrived = threading.Semaphore(0)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        arrived.release()
        try:
            client.request("GET", "jpm/v2/tenant/{tenant}/jobs")
        except BaseException as exc:  # collected below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for _ in range(RACERS):
        assert arrived.acquire(timeout=10)
    everyone_waiting.set()
    for t in threads:
        t.join(timeout=30)
    client.close()
    # 4 attempts (one per retry step), not 32 x 4 = 128.
    assert len(server.token_requests) == POLICY.max_attempts
    assert len(errors) == RACERS
    assert all(isinstance(e, AuthError) and e.status == 500 for e in errors)
    assert {str(e) for e in errors} == {str(errors[0])}  # the same failure, told to each
    assert "token service down" in str(errors[0])
    assert not server.api_requests


def test_3_token_500s_are_shared_by_32_tasks_too(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    token_calls: list[int] = []

    async def main() -> list[BaseException | httpx2.Response]:
        started = asyncio.Event()

        async def handler(request: httpx2.Request) -> httpx2.Response:
            if request.url.path == "/connect/token":
                token_calls.append(1)
                await started.wait()
                return httpx2.Response(503, json={"error": "temporarily_unavailable"})
            return server.handle(request)

        async with AsyncClient(
            env, creds, transport=httpx2.MockTransport(handler), clock=clock, retry=POLICY
        ) as c:
            tasks = [
                asyncio.ensure_future(c.request("GET", "jpm/v2/tenant/{tenant}/jobs")) for _ in range(RACERS)
            ]
            await asyncio.sleep(0)
            started.set()
            return await asyncio.gather(*tasks, return_exceptions=True)

    results = asyncio.run(main())
    assert len(token_calls) == POLICY.max_attempts
    assert all(isinstance(r, AuthError) and r.status == 503 for r in results)


def test_3_a_held_failure_answers_late_callers_then_expires(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    down = [True]
    server.token_reply = lambda request: (
        httpx2.Response(503, json={"error": "temporarily_unavailable"})
        if down[0]
        else httpx2.Response(200, json={"access_token": server.issue_token(), "expires_in": 900})
    )
    with Client(
        env, creds, transport=server.transport(), clock=clock, retry=RetryPolicy(max_attempts=2)
    ) as c:
        with pytest.raises(AuthError):
            c.request("GET", JOBS)
        assert len(server.token_requests) == 2
        with pytest.raises(AuthError):  # within FAILURE_HOLD: answered from memory
            c.request("GET", JOBS)
        assert len(server.token_requests) == 2
        down[0] = False
        clock.advance(FAILURE_HOLD)
        assert c.request("GET", JOBS).status_code == 200
    assert len(server.token_requests) == 3


def test_3_unreachable_token_endpoint_is_shared_as_well(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    calls: list[int] = []

    def refuse(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/connect/token":
            calls.append(1)
            raise httpx2.ConnectError("connection refused")
        return server.handle(request)

    with Client(env, creds, transport=httpx2.MockTransport(refuse), clock=clock, retry=POLICY) as c:
        for _ in range(5):
            with pytest.raises(TransportError, match="could not reach the integration token endpoint"):
                c.request("GET", JOBS)
    assert len(calls) == POLICY.max_attempts  # the later calls were answered by the held failure


def test_10_clearing_the_token_cache_reaches_open_connections(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    first = Client(env, creds, transport=server.transport(), clock=clock)
    second = Client(env, creds, transport=first._auth._transport, clock=clock)  # type: ignore[arg-type]
    with first, second:
        first.request("GET", JOBS)
        second.request("GET", JOBS)
        assert len(server.token_requests) == 1  # shared
        default_token_cache().clear()
        first.request("GET", JOBS)
        second.request("GET", JOBS)
    assert len(server.token_requests) == 2  # one new token, shared again by both open connections
    tokens = [r.headers["Authorization"] for r in server.api_requests]
    assert tokens[0] == tokens[1] != tokens[2] == tokens[3]
