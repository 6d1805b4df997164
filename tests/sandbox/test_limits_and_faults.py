"""Rate limit (token bucket on the injected clock), seeded faults and the latency model."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx2
import pytest

from stnb._clock import FakeClock
from stnb.sandbox import FaultSpec, FaultSpecError, Sandbox
from stnb.sandbox.server import ServerHandle, serve_in_thread

from .conftest import ANCHOR, Api, make_api

JOBS = "/jpm/v2/tenant/{tenant}/jobs"


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=21, anchor=ANCHOR, clock=clock, rate_limit=60)


@pytest.fixture(scope="module")
def server(sandbox: Sandbox) -> Iterator[ServerHandle]:
    handle = serve_in_thread(sandbox)
    yield handle
    handle.stop()


@pytest.fixture
def fresh(api: Api, clock: FakeClock) -> Iterator[Api]:
    """Full buckets and no faults before and after each test."""
    clock.advance(5)
    api.sandbox.faults = None
    yield api
    api.sandbox.faults = None
    api.sandbox.rate_limit = 60
    clock.advance(5)


def test_rate_limit_is_60_per_second_per_app_and_tenant(fresh: Api, clock: FakeClock) -> None:
    api = fresh
    api.token()
    statuses = [api.get(JOBS, pageSize=1).status_code for _ in range(61)]
    assert statuses[:60] == [200] * 60 and statuses[60] == 429
    limited = api.get(JOBS, pageSize=1)
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["title"] == "Rate limit is exceeded. Try again in 1 seconds."
    other_app = api.sandbox.app("Fleet Insights").tenants[0].credentials["integration"]
    other_tenant = api.sandbox.default_app.tenants[1].credentials["integration"]
    assert api.get(JOBS, other_app, pageSize=1).status_code == 200
    assert api.get(JOBS, other_tenant, pageSize=1).status_code == 200
    assert api.token_response(api.creds).status_code == 200
    clock.advance(1.0)
    assert api.get(JOBS, pageSize=1).status_code == 200


def test_rate_limit_is_configurable(fresh: Api, clock: FakeClock) -> None:
    api = fresh
    api.token()
    api.sandbox.rate_limit = 10
    statuses = [api.get(JOBS, pageSize=1).status_code for _ in range(12)]
    assert statuses.count(200) == 10 and statuses[-1] == 429
    clock.advance(0.5)
    assert [api.get(JOBS, pageSize=1).status_code for _ in range(6)].count(200) == 5


@pytest.mark.parametrize(
    ("spec", "status", "retry_after"),
    [
        ("429=1", 429, "1"),
        ("500=1", 500, None),
        ("502=1", 502, None),
        ("503=1", 503, "1"),
        ("409=1", 409, None),
    ],
)
def test_status_faults(fresh: Api, spec: str, status: int, retry_after: str | None) -> None:
    api = fresh
    api.token()
    api.sandbox.faults = spec
    response = api.get(JOBS, pageSize=1)
    assert response.status_code == status
    assert response.headers.get("retry-after") == retry_after
    assert set(response.json()) == {"type", "title", "status", "traceId", "errors", "data"}
    assert api.token_response(api.creds).status_code == 200


def test_dropped_connections_raise_like_a_real_connection(fresh: Api) -> None:
    api = fresh
    api.token()
    api.sandbox.faults = "drop=1"
    with pytest.raises(httpx2.RemoteProtocolError):
        api.get(JOBS, pageSize=1)
    if api.adapter == "embedded":

        async def call() -> None:
            async with httpx2.AsyncClient(
                transport=api.sandbox.transport(), base_url=api.sandbox.url
            ) as client:
                await client.get(api.url(JOBS), headers=api.headers())

        with pytest.raises(httpx2.ReadError):
            asyncio.run(call())


def test_slow_responses_wait_on_the_clock(fresh: Api, clock: FakeClock) -> None:
    api = fresh
    api.token()
    api.sandbox.faults = "slow=1:2.5"
    before = len(clock.sleeps)
    assert api.get(JOBS, pageSize=1).status_code == 200
    assert clock.sleeps[before:] == [2.5]


def test_token_revoked_mid_run(fresh: Api) -> None:
    api = fresh
    api.tokens.clear()
    api.sandbox.faults = "revoke_after=3"
    statuses = [api.get(JOBS, pageSize=1).status_code for _ in range(3)]
    assert statuses[:2] == [200, 200] and statuses[2] == 401
    assert api.get(JOBS, pageSize=1).status_code == 401
    api.tokens.clear()
    assert api.get(JOBS, pageSize=1).status_code == 200


def test_token_faults_only_when_asked(fresh: Api) -> None:
    api = fresh
    api.sandbox.faults = "token500=1"
    assert api.token_response(api.creds).status_code == 500
    api.sandbox.faults = "500=1"
    assert api.token_response(api.creds).status_code == 200


def test_faults_are_seeded_and_reproducible() -> None:
    def run(seed: int) -> list[int]:
        sandbox = Sandbox(seed=seed, anchor=ANCHOR, rate_limit=0, faults="429=0.2,500=0.1,503=0.1")
        api = make_api("embedded", sandbox, None)
        return [api.get("/settings/v2/tenant/{tenant}/business-units").status_code for _ in range(40)]

    first, again, other = run(1), run(1), run(2)
    assert first == again
    assert first != other
    assert {200, 429} <= set(first)


def test_latency_model_sleeps_about_the_configured_time() -> None:
    clock = FakeClock(ANCHOR)
    sandbox = Sandbox(seed=2, anchor=ANCHOR, clock=clock, latency_ms=50, rate_limit=0)
    api = make_api("embedded", sandbox, None)
    api.token()
    clock.sleeps.clear()
    for _ in range(20):
        api.get(JOBS, pageSize=50)
    assert len(clock.sleeps) == 20
    assert all(0.04 <= s <= 0.065 for s in clock.sleeps)
    assert len(set(clock.sleeps)) > 1


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("429", "name=value"),
        ("418=0.1", "unknown fault"),
        ("500=2", "between 0 and 1"),
        ("slow=0.1:fast", "not a number"),
        ("revoke_after=0", "at least 1"),
        ("429=0.6,500=0.6", "more than 1"),
    ],
)
def test_bad_fault_specs_are_rejected_clearly(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        FaultSpec.parse(spec)


def test_fault_spec_round_trips() -> None:
    spec = FaultSpec.parse(
        "429=0.05,500=0.01,502=0.01,503=0.01,409=0.01,slow=0.02:2.0,drop=0.01,revoke_after=200"
    )
    assert FaultSpec.parse(str(spec)) == spec
    assert dict(spec.status_shares) == {429: 0.05, 500: 0.01, 502: 0.01, 503: 0.01, 409: 0.01}
    assert (spec.slow_share, spec.slow_seconds, spec.drop_share, spec.revoke_after) == (0.02, 2.0, 0.01, 200)
