"""Client/AsyncClient: URL templates, typed errors, retries on an injected clock, pacing, write safety."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from urllib.parse import unquote

import httpx2
import pytest

from stnb._attempts import Attempt
from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import Credentials, Environment
from stnb._retry import NO_RETRY, RetryPolicy
from stnb.errors import (
    ConfigError,
    Conflict,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    ValidationError,
    WriteForbidden,
)
from stnb.sandbox import Sandbox, serve_in_thread

from .conftest import APP_KEY, FakeServiceTitan, from_sandbox, page, problem

JOBS = "/jpm/v2/tenant/431848990/jobs"
JOB = "/jpm/v2/tenant/431848990/jobs/77"
MAINTENANCE = "The API is down for scheduled maintenance"


@pytest.fixture
def client(server: FakeServiceTitan, env: Environment, creds: Credentials, clock: FakeClock) -> Client:
    return Client(env, creds, transport=server.transport(), clock=clock)


def api_attempts(attempts: list[Attempt]) -> list[Attempt]:
    return [a for a in attempts if a.module != "auth"]


# -- the request itself -------------------------------------------------------------------------------


def test_fills_tenant_and_quoted_path_params(server: FakeServiceTitan, client: Client) -> None:
    server.reply("/jpm/v2/tenant/431848990/jobs/a/b", page([]))  # the fake sees the decoded path
    response = client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": "a/b"})
    assert response.status_code == 200
    sent = server.api_requests[0]
    assert sent.url.raw_path == b"/jpm/v2/tenant/431848990/jobs/a%2Fb"
    assert sent.headers["ST-App-Key"] == APP_KEY
    assert sent.headers["Authorization"].startswith("Bearer tok-")
    assert unquote(sent.url.raw_path.decode()) == "/jpm/v2/tenant/431848990/jobs/a/b"


def test_leading_slash_optional_and_params_untouched(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, page([{"id": 1}]))
    params = {"page": 2, "pageSize": 50, "active": "Any"}
    snapshot = dict(params)
    client.request_json("GET", "/jpm/v2/tenant/{tenant}/jobs", params=params)
    client.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params=params)
    assert params == snapshot
    assert [r.url.params["page"] for r in server.api_requests] == ["2", "2"]


def test_attributes(client: Client) -> None:
    assert client.env == "integration"
    assert client.tenant == "431848990" and client.tenant_id == 431848990
    assert client.timezone == "UTC"
    assert client.sandbox is False
    assert repr(client) == "<stnb.Client env=integration tenant=431848990>"


def test_timezone_from_argument_or_credentials(
    server: FakeServiceTitan, env: Environment, creds: Credentials
) -> None:
    zoned = Credentials(creds.app_key, creds.client_id, creds.client_secret, 1, timezone="America/Chicago")
    with Client(env, zoned, transport=server.transport()) as client:
        assert client.timezone == "America/Chicago"
    with Client(env, zoned, transport=server.transport(), timezone="Europe/Paris") as client:
        assert client.timezone == "Europe/Paris"
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        Client(env, creds, transport=server.transport(), timezone="Mars/Olympus")


@pytest.mark.parametrize(
    ("path", "path_params", "problem_field"),
    [
        ("jpm/v2/tenant/{tenant}/jobs/{id}", None, "id"),
        ("jpm/v2/tenant/{tenant}/jobs", {"id": 3}, "id"),
        ("jpm/v2/tenant/{tenant}/jobs", {"tenant": 5}, "tenant"),
        ("jpm/v2/tenant/{tenant}/jobs/{id}", {"id": ""}, "id"),
        ("https://evil.invalid/jpm/v2/tenant/{tenant}/jobs", None, "path"),
        ("jpm/v2/tenant/{tenant}/jobs?page=2", None, "path"),
        ("", None, "path"),
    ],
)
def test_bad_paths_fail_before_sending(
    server: FakeServiceTitan,
    client: Client,
    path: str,
    path_params: dict[str, object] | None,
    problem_field: str,
) -> None:
    with pytest.raises(ValidationError) as info:
        client.request("GET", path, path_params=path_params)
    assert problem_field in info.value.errors
    assert not server.api_requests and not server.token_requests


def test_typed_error_keeps_details(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOB, problem(404, "Job not found"))
    with pytest.raises(NotFound) as info:
        client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 77})
    assert info.value.url_template == "/jpm/v2/tenant/{tenant}/jobs/{id}"
    assert info.value.trace_id == "00-trace-01"
    assert len(server.api_requests) == 1  # 404 is not retried


# -- retries on the fake clock ------------------------------------------------------------------------


def test_429_retry_after_seconds_honoured(server: FakeServiceTitan, client: Client, clock: FakeClock) -> None:
    server.reply(JOBS, problem(429, "Too many requests", **{"Retry-After": "3"}), page([{"id": 1}]))
    assert client.request_json("GET", JOBS)["data"] == [{"id": 1}]
    assert 3.0 in clock.sleeps
    assert len(server.api_requests) == 2


def test_429_retry_after_http_date_honoured(
    server: FakeServiceTitan, client: Client, clock: FakeClock
) -> None:
    # FakeClock's wall time starts at 2026-01-15 12:00:00 UTC.
    server.reply(
        JOBS, problem(429, "Too many", **{"Retry-After": "Thu, 15 Jan 2026 12:00:05 GMT"}), page([{"id": 1}])
    )
    client.request("GET", JOBS)
    assert 5.0 in clock.sleeps


def test_429_title_seconds_honoured(server: FakeServiceTitan, client: Client, clock: FakeClock) -> None:
    server.reply(JOBS, problem(429, "Rate limit is exceeded. Try again in 2 seconds."), page([]))
    client.request("GET", JOBS)
    assert 2.0 in clock.sleeps


def test_429_slows_the_shared_pacer(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, problem(429, "Too many", **{"Retry-After": "0"}), page([]))
    before = client.bucket.rate
    client.request("GET", JOBS)
    assert client.bucket.rate < before


def test_retries_bounded_by_attempts(
    server: FakeServiceTitan, client: Client, clock: FakeClock, attempts: list[Attempt]
) -> None:
    server.reply(JOBS, problem(503, "Service Unavailable"))
    with pytest.raises(ServerError) as info:
        client.request("GET", JOBS)
    assert info.value.status == 503
    assert len(server.api_requests) == 4  # RetryPolicy() default max_attempts
    retry_sleeps = [s for s in clock.sleeps if s > 0]
    assert len(retry_sleeps) <= 3 and all(s <= 8.0 for s in retry_sleeps)
    assert [(a.status, a.attempt) for a in api_attempts(attempts)] == [(503, 1), (503, 2), (503, 3), (503, 4)]


def test_retries_bounded_by_total_wait(env: Environment, creds: Credentials, clock: FakeClock) -> None:
    server = FakeServiceTitan()
    server.reply(JOBS, problem(429, "Too many", **{"Retry-After": "40"}))
    client = Client(env, creds, transport=server.transport(), clock=clock, retry=RetryPolicy(max_wait=60))
    with pytest.raises(RateLimited) as info:
        client.request("GET", JOBS)
    assert info.value.retry_after == 40.0
    assert len(server.api_requests) == 2  # a second 40 s wait would pass max_wait
    assert [s for s in clock.sleeps if s >= 1] == [40.0]


def test_per_call_retry_policy(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, problem(503, "Service Unavailable"))
    with pytest.raises(ServerError):
        client.request("GET", JOBS, retry=NO_RETRY)
    assert len(server.api_requests) == 1


def test_409_maintenance_retried_on_get_not_on_post(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, problem(409, MAINTENANCE), page([]))
    assert client.request("GET", JOBS).status_code == 200
    assert len(server.api_requests) == 2
    server.api_requests.clear()
    server.reply(JOBS, problem(409, MAINTENANCE), page([]))
    with pytest.raises(Conflict):
        client.request("POST", JOBS, json={"summary": "x"})
    assert len(server.api_requests) == 1


def test_post_never_retried_unless_read_only(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, problem(503, "Service Unavailable"), page([]))
    with pytest.raises(ServerError):
        client.request("POST", JOBS, json={})
    assert len(server.api_requests) == 1
    server.api_requests.clear()
    server.reply(JOBS, problem(503, "Service Unavailable"), page([]))
    assert client.request("POST", JOBS, json={}, read_only=True).status_code == 200
    assert len(server.api_requests) == 2


def test_timeouts_retried_on_get_not_on_post(
    server: FakeServiceTitan, env: Environment, creds: Credentials
) -> None:
    server.reply(JOBS, page([{"id": 9}]))
    timeouts = [httpx2.ReadTimeout("read timed out")]

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == JOBS and timeouts:
            raise timeouts.pop()
        return server.handle(request)

    clock = FakeClock()
    with Client(env, creds, transport=httpx2.MockTransport(handler), clock=clock) as client:
        assert client.request_json("GET", JOBS)["data"] == [{"id": 9}]
        timeouts.append(httpx2.ReadTimeout("read timed out"))
        with pytest.raises(TransportError) as info:
            client.request("POST", JOBS, json={})
    assert info.value.kind == "timeout"
    assert info.value.url_template == JOBS
    assert isinstance(info.value.__cause__, httpx2.ReadTimeout)


def test_attempts_report_number_template_and_waits(
    server: FakeServiceTitan, client: Client, attempts: list[Attempt]
) -> None:
    server.reply(JOB, problem(429, "Too many", **{"Retry-After": "2"}), page([]))
    client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 77})
    first, second = api_attempts(attempts)
    assert (first.attempt, second.attempt) == (1, 2)
    assert (first.status, first.error_type, second.status, second.error_type) == (
        429,
        "RateLimited",
        200,
        None,
    )
    assert first.endpoint == second.endpoint == "/jpm/v2/tenant/{tenant}/jobs/{id}"
    assert first.module == "jpm" and first.method == "GET" and first.tenant == "431848990"
    assert second.rate_wait_ms >= 2000.0  # the 429 wait is carried by the attempt that waited
    assert first.app_name == "Demo app" and first.app != APP_KEY
    assert second.bytes > 0


# -- bodies -------------------------------------------------------------------------------------------


def test_truncated_json_is_a_clear_error_after_retries(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, httpx2.Response(200, content=b'{"page": 1, "data": [{"id": 1}, {"i'))
    with pytest.raises(InvalidResponse) as info:
        client.request_json("GET", JOBS)
    assert "/jpm/v2/tenant/431848990/jobs" in str(info.value)
    assert "not valid JSON" in str(info.value)
    assert len(server.api_requests) == 4


def test_non_json_success_body(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, httpx2.Response(200, text="<html>maintenance page</html>"))
    with pytest.raises(InvalidResponse, match="maintenance page"):
        client.request_json("GET", JOBS, retry=NO_RETRY)


def test_empty_success_body_is_none(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOB, httpx2.Response(204))
    assert client.request_json("DELETE", JOB) is None


# -- write safety -------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_production_writes_refused(
    server: FakeServiceTitan, production: Environment, creds: Credentials, method: str
) -> None:
    client = Client(production, creds, transport=server.transport(), clock=FakeClock())
    with pytest.raises(WriteForbidden, match="allow_writes=True"):
        client.request(method, JOBS, json={})
    assert not server.api_requests and not server.token_requests


def test_production_writes_only_with_allow_writes_report_data_is_a_read(
    server: FakeServiceTitan, production: Environment, creds: Credentials
) -> None:
    data = "/reporting/v2/tenant/431848990/report-category/operations/reports/7/data"
    server.reply(JOBS, page([]))
    server.reply(data, page([]))
    reader = Client(production, creds, transport=server.transport(), clock=FakeClock())
    with pytest.raises(WriteForbidden, match="allow_writes=True") as refused:
        reader.request("POST", JOBS, json={}, read_only=True)  # read_only does not open production
    assert "read_only" not in str(refused.value)
    assert reader.request("POST", data, json={"parameters": []}).status_code == 200  # POST-as-read
    assert reader.request("PATCH", JOBS, json={}, allow_writes=True).status_code == 200  # per call
    writer = Client(production, creds, transport=server.transport(), clock=FakeClock(), allow_writes=True)
    assert writer.request("PATCH", JOBS, json={}).status_code == 200


# -- options and lifecycle ----------------------------------------------------------------------------


def test_with_options_shares_pool_token_and_pacer(server: FakeServiceTitan, client: Client) -> None:
    server.reply(JOBS, problem(503, "Service Unavailable"), page([]))
    strict = client.with_options(retry=NO_RETRY, timeout=5.0)
    with pytest.raises(ServerError):
        strict.request("GET", JOBS)
    assert client.request("GET", JOBS).status_code == 200
    assert len(server.token_requests) == 1
    assert strict.bucket is client.bucket
    assert strict.timeout == 5.0 and client.timeout == 30.0
    strict.close()  # the parent's pool stays open
    assert client.request("GET", JOBS).status_code == 200


def test_wrong_argument_types(env: Environment, creds: Credentials) -> None:
    with pytest.raises(TypeError, match="Environment"):
        Client("integration", creds)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Credentials"):
        Client(env, {"client_id": "x"})  # type: ignore[arg-type]


# -- the async twin -----------------------------------------------------------------------------------


def test_async_client_mirrors_retries_errors_and_safety(
    server: FakeServiceTitan, env: Environment, production: Environment, creds: Credentials
) -> None:
    clock = FakeClock()
    server.reply(JOBS, problem(429, "Too many", **{"Retry-After": "4"}), page([{"id": 5}]))
    server.reply(JOB, problem(404, "Job not found"))

    async def main() -> None:
        async with AsyncClient(env, creds, transport=server.transport(), clock=clock) as client:
            assert (client.env, client.tenant, client.timezone) == ("integration", "431848990", "UTC")
            assert (await client.request_json("GET", "jpm/v2/tenant/{tenant}/jobs"))["data"] == [{"id": 5}]
            with pytest.raises(NotFound):
                await client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 77})
            quick = client.with_options(retry=NO_RETRY)
            assert quick.retry is NO_RETRY
        async with AsyncClient(production, creds, transport=server.transport(), clock=clock) as prod:
            with pytest.raises(WriteForbidden):
                await prod.request("POST", JOBS, json={})

    asyncio.run(main())
    assert 4.0 in clock.sleeps


def test_async_truncated_body_and_timeouts(
    server: FakeServiceTitan, env: Environment, creds: Credentials
) -> None:
    server.reply(JOBS, httpx2.Response(200, content=b'{"data": ['))
    calls = {"n": 0}

    def handler(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == JOBS:
            calls["n"] += 1
            if calls["n"] == 1:
                raise httpx2.ConnectTimeout("connect timed out")
        return server.handle(request)

    async def main() -> None:
        async with AsyncClient(
            env, creds, transport=httpx2.MockTransport(handler), clock=FakeClock()
        ) as client:
            with pytest.raises(InvalidResponse):
                await client.request_json("GET", JOBS)

    asyncio.run(main())
    assert calls["n"] == 4  # one timeout, then three truncated bodies


# -- over the sandbox ---------------------------------------------------------------------------------


def small_sandbox(clock: FakeClock, **options: object) -> Sandbox:
    return Sandbox(seed=3, scale=0.1, anchor=datetime(2026, 1, 15, tzinfo=UTC), clock=clock, **options)  # type: ignore[arg-type]


def test_sandbox_lists_gets_and_typed_errors(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = small_sandbox(clock)
    env, creds = from_sandbox(sandbox.url, sandbox.credentials, "production")
    with Client(env, creds, transport=sandbox.transport(), clock=clock, sandbox=True) as client:
        assert client.timezone == creds.timezone and client.sandbox
        body = client.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params={"pageSize": 3})
        assert len(body["data"]) == 3 and body["hasMore"]
        job_id = body["data"][0]["id"]
        job = client.request_json("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": job_id})
        assert job["id"] == job_id
        with pytest.raises(NotFound) as missing:
            client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 1})
        with pytest.raises(ValidationError) as too_many:
            client.request(
                "GET", "jpm/v2/tenant/{tenant}/jobs", params={"ids": ",".join(map(str, range(60)))}
            )
    assert missing.value.trace_id and missing.value.url_template == "/jpm/v2/tenant/{tenant}/jobs/{id}"
    assert "Ids" in too_many.value.errors
    assert {(a.env, a.tenant, a.module) for a in attempts if a.module != "auth"} == {
        ("production", str(creds.tenant_id), "jpm")
    }


def test_sandbox_faults_are_retried_on_reads(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = small_sandbox(clock, faults="503=0.2,502=0.1,409=0.1,429=0.1")
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    patient = RetryPolicy(max_attempts=8)
    with Client(env, creds, transport=sandbox.transport(), clock=clock, retry=patient) as client:
        for _ in range(40):
            client.request_json("GET", "crm/v2/tenant/{tenant}/customers", params={"page": 1, "pageSize": 1})
    statuses = [a.status for a in attempts if a.module == "crm"]
    assert statuses.count(200) == 40
    assert {409, 429, 502, 503} & set(statuses)  # faults happened and were waited out
    assert any(s > 0 for s in clock.sleeps)


def test_pacing_keeps_under_the_sandbox_limit(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = small_sandbox(clock, rate_limit=20.0)
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    start = clock.monotonic()
    with Client(env, creds, transport=sandbox.transport(), clock=clock, rate=18.0) as client:
        for _ in range(100):
            client.request("GET", "crm/v2/tenant/{tenant}/customers", params={"pageSize": 1})
    assert not [a for a in attempts if a.status == 429]
    assert clock.monotonic() - start == pytest.approx(90 / 18.0)  # 10 burst tokens, then 18/s


def test_sandbox_429s_are_honoured_and_slow_the_pacer(clock: FakeClock, attempts: list[Attempt]) -> None:
    sandbox = small_sandbox(clock, rate_limit=5.0)
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)
    with Client(env, creds, transport=sandbox.transport(), clock=clock) as client:
        for _ in range(30):
            client.request("GET", "crm/v2/tenant/{tenant}/customers", params={"pageSize": 1})
        assert client.bucket.rate < 55.0 / 2
    limited = [a for a in attempts if a.status == 429]
    assert limited and all(a.error_type == "RateLimited" for a in limited)
    assert len([a for a in attempts if a.status == 200 and a.module == "crm"]) == 30


def test_async_client_over_the_sandbox(clock: FakeClock) -> None:
    sandbox = small_sandbox(clock, faults="503=0.3")
    env, creds = from_sandbox(sandbox.url, sandbox.credentials)

    async def main() -> list[int]:
        async with AsyncClient(env, creds, transport=sandbox.transport(), clock=clock) as client:
            bodies = await asyncio.gather(
                *(
                    client.request_json(
                        "GET", "crm/v2/tenant/{tenant}/customers", params={"page": n, "pageSize": 5}
                    )
                    for n in range(1, 9)
                )
            )
        return [b["page"] for b in bodies]

    assert asyncio.run(main()) == list(range(1, 9))


def test_real_http_on_loopback() -> None:
    with serve_in_thread(seed=4, scale=0.1) as handle:
        env, creds = from_sandbox(handle.url, handle.credentials)
        with Client(env, creds, sandbox=True) as client:
            assert (
                client.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params={"pageSize": 2})["page"] == 1
            )
            with pytest.raises(NotFound):
                client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": 1})

        async def main() -> int:
            async with AsyncClient(env, creds) as aclient:
                body = await aclient.request_json(
                    "GET", "crm/v2/tenant/{tenant}/customers", params={"pageSize": 2}
                )
                return len(body["data"])

        assert asyncio.run(main()) == 2
