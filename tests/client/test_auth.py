"""OAuth2 client credentials: single-flight tokens under races, early refresh, 401 handling, token errors."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import httpx2
import pytest

import stnb._auth
from stnb._attempts import Attempt
from stnb._auth import ClientCredentialsAuth, TokenCache
from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import Credentials, Environment
from stnb._retry import RetryPolicy
from stnb.errors import AuthError, TransportError
from stnb.sandbox import Sandbox

from .conftest import CLIENT_ID, CLIENT_SECRET, FakeServiceTitan, from_sandbox, page

JOBS = "/jpm/v2/tenant/431848990/jobs"
RACERS = 32


def count_arrivals(auth: ClientCredentialsAuth, name: str, arrived: Callable[[], None]) -> None:
    """Wrap auth.token / auth.atoken to note each caller arriving before it competes for the token."""
    original = getattr(auth, name)
    if asyncio.iscoroutinefunction(original):

        async def wrapped_async(*args: Any) -> str:
            arrived()
            return str(await original(*args))

        setattr(auth, name, wrapped_async)
    else:

        def wrapped(*args: Any) -> str:
            arrived()
            return str(original(*args))

        setattr(auth, name, wrapped)


def test_token_race_32_threads_one_token_request(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([{"id": 1}]))
    client = Client(env, creds, transport=server.transport(), clock=clock)
    everyone_waiting = threading.Event()
    arrivals = []
    arrivals_lock = threading.Lock()

    def arrived() -> None:
        with arrivals_lock:
            arrivals.append(1)
            if len(arrivals) == RACERS:
                everyone_waiting.set()

    count_arrivals(client._auth, "token", arrived)
    # The token endpoint answers only once all 32 threads are competing for the missing token.
    server.before_token = lambda: everyone_waiting.wait(timeout=10)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            results.append(client.request("GET", "jpm/v2/tenant/{tenant}/jobs").status_code)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    client.close()
    assert not errors
    assert everyone_waiting.is_set()
    assert results == [200] * RACERS
    assert len(server.token_requests) == 1
    assert {r.headers["Authorization"] for r in server.api_requests} == {"Bearer tok-001-abcdefghijklmnop"}


def test_token_race_32_tasks_one_token_request(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([{"id": 1}]))

    async def main() -> list[int]:
        everyone_waiting = asyncio.Event()
        arrivals: list[int] = []

        def arrived() -> None:
            arrivals.append(1)
            if len(arrivals) == RACERS:
                everyone_waiting.set()

        async def handler(request: httpx2.Request) -> httpx2.Response:
            if request.url.path == "/connect/token":
                await asyncio.wait_for(everyone_waiting.wait(), timeout=10)
            return server.handle(request)

        async with AsyncClient(env, creds, transport=httpx2.MockTransport(handler), clock=clock) as client:
            count_arrivals(client._auth, "atoken", arrived)
            responses = await asyncio.gather(
                *(client.request("GET", "jpm/v2/tenant/{tenant}/jobs") for _ in range(RACERS))
            )
        assert everyone_waiting.is_set()
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * RACERS
    assert len(server.token_requests) == 1


def test_token_refreshed_60_seconds_before_expiry(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        client.request("GET", JOBS)
        clock.advance(900 - 61)
        client.request("GET", JOBS)
        assert len(server.token_requests) == 1  # still more than 60 s left
        clock.advance(2)
        client.request("GET", JOBS)
        assert len(server.token_requests) == 2  # inside the last minute: refreshed before use
    assert server.api_requests[-1].headers["Authorization"] == "Bearer tok-002-abcdefghijklmnop"


def test_short_lived_tokens_are_used_for_half_their_life(
    env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server = FakeServiceTitan(expires_in=40)
    server.reply(JOBS, page([]))
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        client.request("GET", JOBS)
        clock.advance(19)
        client.request("GET", JOBS)
        assert len(server.token_requests) == 1
        clock.advance(2)
        client.request("GET", JOBS)
        assert len(server.token_requests) == 2


def test_401_mid_pull_refreshes_once_and_resends(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock, attempts: list[Attempt]
) -> None:
    server.reply(JOBS, page([{"id": 1}], has_more=True), page([{"id": 2}], has_more=True), page([{"id": 3}]))
    ids = []
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        for number in (1, 2, 3):
            if number == 3:
                server.revoke_tokens()  # e.g. the secret was rotated or the token revoked mid-pull
            body = client.request_json("GET", JOBS, params={"page": number})
            ids += [row["id"] for row in body["data"]]
    assert ids == [1, 2, 3]
    assert len(server.token_requests) == 2
    api = [a for a in attempts if a.module == "jpm"]
    assert [(a.status, a.attempt, a.error_type) for a in api] == [
        (200, 1, None),
        (200, 1, None),
        (401, 1, "AuthError"),
        (200, 2, None),
    ]


def test_401_on_async_client_too(server: FakeServiceTitan, env: Environment, creds: Credentials) -> None:
    server.reply(JOBS, page([{"id": 1}]))

    async def main() -> None:
        async with AsyncClient(env, creds, transport=server.transport(), clock=FakeClock()) as client:
            await client.request("GET", JOBS)
            server.revoke_tokens()
            assert (await client.request_json("GET", JOBS))["data"] == [{"id": 1}]

    asyncio.run(main())
    assert len(server.token_requests) == 2


def test_persistent_401_raises_after_a_single_refresh(
    env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server = FakeServiceTitan()
    server.reply(JOBS, page([]))
    server.issue_token = lambda: "tok-never-valid-0000000"  # type: ignore[method-assign]
    with (
        Client(env, creds, transport=server.transport(), clock=clock) as client,
        pytest.raises(AuthError) as info,
    ):
        client.request("GET", JOBS)
    assert len(server.token_requests) == 2
    assert len(server.api_requests) == 2
    assert info.value.status == 401
    assert "environment integration" in str(info.value)
    assert "refreshed once" in str(info.value)


def test_oauth_error_becomes_auth_error_naming_env_and_masked_client(
    server: FakeServiceTitan, production: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.token_reply = httpx2.Response(
        400, json={"error": "invalid_client", "error_description": "Client authentication failed"}
    )
    client = Client(production, creds, transport=server.transport(), clock=clock)
    with client, pytest.raises(AuthError) as info:
        client.request("GET", JOBS)
    text = str(info.value)
    assert "invalid_client: Client authentication failed" in text
    assert "environment production" in text
    assert "client cid.cl…0xy" in text
    assert CLIENT_ID not in text and CLIENT_SECRET not in text
    assert info.value.url_template == "/connect/token"
    assert not server.api_requests


def test_non_json_token_error_still_explains(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.token_reply = httpx2.Response(502, text="<html>Bad gateway from the identity server</html>")
    client = Client(env, creds, transport=server.transport(), clock=clock)
    with client, pytest.raises(AuthError, match="Bad gateway from the identity server") as info:
        client.request("GET", JOBS)
    assert info.value.status == 502


@pytest.mark.parametrize(
    "reply",
    [
        httpx2.Response(200, text="<html>login page</html>"),
        httpx2.Response(200, json={"token_type": "Bearer"}),
        httpx2.Response(200, json=["not", "an", "object"]),
    ],
)
def test_unusable_token_response(
    reply: httpx2.Response, server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.token_reply = reply
    client = Client(env, creds, transport=server.transport(), clock=clock)
    with client, pytest.raises(AuthError, match="no usable access_token"):
        client.request("GET", JOBS)


def test_token_request_is_form_encoded_client_credentials(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        client.request("GET", JOBS)
    request = server.token_requests[0]
    assert request.method == "POST"
    assert str(request.url) == "https://st.invalid/connect/token"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["client_credentials"],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }


def test_token_attempts_are_reported(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock, attempts: list[Attempt]
) -> None:
    server.reply(JOBS, page([]))
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        client.request("GET", JOBS)
    token = [a for a in attempts if a.module == "auth"]
    assert len(token) == 1
    assert token[0].endpoint == "/connect/token"
    assert token[0].method == "POST" and token[0].status == 200
    assert token[0].tenant == "431848990" and token[0].env == "integration"
    assert token[0].app == creds.app


def test_clients_on_one_transport_share_the_token(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    transport = server.transport()
    with (
        Client(env, creds, transport=transport, clock=clock) as a,
        Client(env, creds, transport=transport, clock=clock) as b,
    ):
        a.request("GET", JOBS)
        b.request("GET", JOBS)
    assert len(server.token_requests) == 1


def test_unreachable_token_endpoint_is_retried_even_for_writes(
    server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock
) -> None:
    server.reply(JOBS, page([]))
    failures = [httpx2.ConnectError("connection refused")]

    def flaky(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/connect/token" and failures:
            raise failures.pop()
        return server.handle(request)

    with Client(env, creds, transport=httpx2.MockTransport(flaky), clock=clock) as client:
        assert client.request("GET", JOBS).status_code == 200
        client._auth.invalidate()
        failures.append(httpx2.ConnectError("connection refused"))
        # The API request was never sent, so retrying the write cannot duplicate it.
        assert client.request("POST", JOBS, json={}).status_code == 200
        assert len(server.api_requests) == 2
        client._auth.invalidate()
        failures.extend([httpx2.ConnectError("connection refused")] * 4)
        with pytest.raises(TransportError, match="could not reach the integration token endpoint") as info:
            client.request("GET", JOBS)
    assert info.value.kind == "connect"
    assert info.value.url_template == "/connect/token"
    assert isinstance(info.value.__cause__, httpx2.ConnectError)


@pytest.mark.parametrize(("status", "retried"), [(503, True), (500, True), (429, True), (400, False)])
def test_token_endpoint_failures_retried_only_when_transient(
    status: int,
    retried: bool,
    server: FakeServiceTitan,
    env: Environment,
    creds: Credentials,
    clock: FakeClock,
) -> None:
    server.reply(JOBS, page([]))
    replies = [httpx2.Response(status, json={"error": "temporarily_unavailable"})]
    server.token_reply = lambda request: replies.pop() if replies else server_token(server)
    client = Client(env, creds, transport=server.transport(), clock=clock)
    with client:
        if retried:
            assert client.request("GET", JOBS).status_code == 200
        else:
            with pytest.raises(AuthError, match="temporarily_unavailable"):
                client.request("GET", JOBS)
    assert len(server.token_requests) == (2 if retried else 1)


def server_token(server: FakeServiceTitan) -> httpx2.Response:
    return httpx2.Response(200, json={"access_token": server.issue_token(), "expires_in": 900})


def test_separate_caches_do_not_share(server: FakeServiceTitan, env: Environment, creds: Credentials) -> None:
    transport = server.transport()
    first = ClientCredentialsAuth(env, creds, token_cache=TokenCache(), transport=transport)
    second = ClientCredentialsAuth(env, creds, token_cache=TokenCache(), transport=transport)
    assert first.token() != second.token()
    assert len(server.token_requests) == 2
    assert "cl13nt1d" not in repr(first)


# -- over the sandbox ---------------------------------------------------------------------------------


def test_sandbox_revocations_mid_pull_cost_one_refresh_each(
    clock: FakeClock, attempts: list[Attempt]
) -> None:
    sandbox = Sandbox(seed=5, scale=0.1, anchor=datetime(2026, 1, 15, tzinfo=UTC), clock=clock)
    sandbox.faults = "revoke_after=4"
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    pages = []
    with Client(env, creds, transport=sandbox.transport(), clock=clock) as client:
        for number in range(1, 11):
            body = client.request_json(
                "GET", "crm/v2/tenant/{tenant}/customers", params={"page": number, "pageSize": 2}
            )
            pages.append(body["page"])
    assert pages == list(range(1, 11))
    rejected = [a for a in attempts if a.status == 401]
    tokens = [a for a in attempts if a.module == "auth"]
    assert rejected, "the fault should have revoked tokens"
    assert len(tokens) == 1 + len(rejected)  # exactly one refresh per revocation


def test_sandbox_tokens_refreshed_before_they_expire(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = Sandbox(seed=5, scale=0.1, anchor=datetime(2026, 1, 15, tzinfo=UTC), clock=clock, token_ttl=300)
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    with Client(env, creds, transport=sandbox.transport(), clock=clock) as client:
        for _ in range(12):
            client.request("GET", "crm/v2/tenant/{tenant}/customers", params={"pageSize": 1})
            clock.advance(100)
    assert not [a for a in attempts if a.status == 401]
    # Tokens live 300 s and are replaced from 240 s on: new ones at 0, 300, 600 and 900 s.
    assert len([a for a in attempts if a.module == "auth"]) == 4


def test_sandbox_rejects_wrong_secret_with_auth_error(clock: FakeClock) -> None:
    sandbox = Sandbox(seed=5, scale=0.1, anchor=datetime(2026, 1, 15, tzinfo=UTC), clock=clock)
    env, good = from_sandbox(sandbox.url, sandbox.credentials)
    bad = Credentials(good.app_key, good.client_id, "cs1." + "x" * 50, good.tenant_id)
    client = Client(env, bad, transport=sandbox.transport(), clock=clock)
    with client, pytest.raises(AuthError) as info:
        client.request("GET", "crm/v2/tenant/{tenant}/customers")
    assert "environment integration" in str(info.value)
    assert good.masked_client_id in str(info.value)
    assert "x" * 50 not in str(info.value)


def test_sandbox_token_endpoint_outages_are_ridden_out(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = Sandbox(seed=5, scale=0.1, anchor=datetime(2026, 1, 15, tzinfo=UTC), clock=clock, token_ttl=120)
    sandbox.faults = "token500=0.5"
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    with Client(
        env, creds, transport=sandbox.transport(), clock=clock, retry=RetryPolicy(max_attempts=10)
    ) as client:
        for _ in range(10):
            client.request("GET", "crm/v2/tenant/{tenant}/customers", params={"pageSize": 1})
            clock.advance(100)
    token_statuses = [a.status for a in attempts if a.module == "auth"]
    assert 500 in token_statuses and token_statuses.count(200) == 10
    assert len([a for a in attempts if a.module == "crm" and a.status == 200]) == 10


def test_a_new_transport_never_inherits_a_dead_ones_token(
    server: FakeServiceTitan, env: Environment, creds: Credentials, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CPython reuses a freed object's id; a cache keyed by id() handed a new transport a dead fake's token
    (a 401 and a repeated request: seen as a flaky export test in a full run). Every id collides here."""
    monkeypatch.setattr(stnb._auth, "id", lambda _obj: 42, raising=False)
    cache = TokenCache()
    for _ in range(2):
        ClientCredentialsAuth(env, creds, token_cache=cache, transport=server.transport()).token()
    assert len(server.token_requests) == 2  # each transport fetched its own token
