"""`stnb.connect()`: environment and credential choice, the sandbox fallback and its notice, metadata."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

import stnb
from stnb._clock import FakeClock
from stnb.errors import ConfigError

from .conftest import APP_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


@dataclass(frozen=True)
class DemoCredentials:
    app_key: str
    client_id: str
    client_secret: str
    tenant_id: int
    app_name: str
    timezone: str


class DuckSandbox:
    """The parts of `stnb.sandbox.Sandbox` that connect() uses, over the scripted fake."""

    url = "https://sandbox.invalid"

    def __init__(self, fake: FakeApi) -> None:
        self.fake = fake
        creds = DemoCredentials(APP_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, "Demo app", "America/Chicago")
        self.credentials = {"integration": creds, "production": creds}

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.fake.handle)


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_unknown_environment_lists_the_valid_ones(isolated: None) -> None:
    with pytest.raises(ConfigError, match="integration, production"):
        stnb.connect("staging")


def test_sandbox_false_without_credentials_is_an_error(isolated: None) -> None:
    with pytest.raises(ConfigError, match="sandbox=False"):
        stnb.connect("integration", sandbox=False)


def test_no_credentials_falls_back_to_the_sandbox_with_one_notice(
    isolated: None, fake: FakeApi, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    duck = DuckSandbox(fake)
    monkeypatch.setattr("stnb.sandbox.default_sandbox", lambda: duck, raising=False)
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 4)]
    with caplog.at_level(logging.WARNING, logger="stnb"):
        st = stnb.connect(clock=FakeClock())
    notices = [r.getMessage() for r in caplog.records if "built-in sandbox" in r.getMessage()]
    assert notices == [
        "stnb: no credentials for 'integration' — using the built-in sandbox (demo data). "
        "Pass sandbox=False (CLI: --no-sandbox) to require real credentials."
    ]
    with st:
        assert st.sandbox and st.env == "integration" and st.tenant == str(TENANT)
        assert st.timezone == "America/Chicago"
        assert repr(st) == f"<stnb.Connection env=integration tenant={TENANT} (sandbox)>"
        assert st.frame("jpm/jobs").height == 3


def test_an_explicit_sandbox_instance_is_used_without_a_notice(
    isolated: None, fake: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake.lists[fake.path(JOBS)] = [job(1)]
    with (
        caplog.at_level(logging.WARNING, logger="stnb"),
        stnb.connect("production", sandbox=DuckSandbox(fake)) as st,
    ):
        assert st.env == "production" and st.sandbox
        assert [r["id"] for r in st.items("jpm/jobs")] == [1]
    assert not [r for r in caplog.records if "built-in sandbox" in r.getMessage()]


def test_credentials_from_the_environment_answer_live(
    isolated: None, fake: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STNB_APP_KEY", APP_KEY)
    monkeypatch.setenv("STNB_PRODUCTION_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STNB_PRODUCTION_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("STNB_PRODUCTION_TENANT_ID", str(TENANT))
    fake.lists[fake.path(JOBS)] = [job(1)]
    with stnb.connect("production", transport=httpx2.MockTransport(fake.handle), clock=FakeClock()) as st:
        assert not st.sandbox and st.env == "production"
        assert repr(st) == f"<stnb.Connection env=production tenant={TENANT}>"
        assert st.frame("jobs").height == 1
        assert CLIENT_SECRET not in repr(st) + repr(st.client)
        with pytest.raises(stnb.WriteForbidden):
            st.request_json("POST", "crm/v2/tenant/{tenant}/customers", json={"name": "x"})


def test_last_query_shows_the_effective_active_and_source(
    isolated: None, fake: FakeApi, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("stnb._connection._active_noted", set())
    fake.lists[fake.path(CUSTOMERS)] = [{"id": i, "active": True} for i in range(1, 4)]
    with stnb.connect(sandbox=DuckSandbox(fake), clock=FakeClock()) as st:
        with caplog.at_level(logging.WARNING, logger="stnb"):
            with pytest.raises(stnb.ValidationError):
                st.frame("crm/customers", colour="blue")  # refused: says why, no note about active
            assert not [r for r in caplog.records if "active not given" in r.getMessage()]
            st.frame("crm/customers", modifiedOnOrAfter="2026-01-01")
            st.frame("crm/customers")
        info = st.last_query
        assert info is not None
        assert info.resource == "crm/customers" and info.env == "integration" and info.tenant == str(TENANT)
        assert info.active == "True" and info.filters["active"] == "True" and info.sandbox
        # sent explicitly: the live API's default, also where the documents say otherwise (active-by-default)
        assert fake.api_requests(CUSTOMERS)[0]["active"] == "True"
        notes = [r.getMessage() for r in caplog.records if "active not given" in r.getMessage()]
        assert notes == [
            "stnb: crm/customers: active not given, so active=True is sent and only active records come "
            "back, as ServiceTitan does when it is omitted; pass active='any' to include inactive ones"
        ]
        st.frame("crm/customers", active="any", modifiedOnOrAfter="2026-01-01")
        assert st.last_query is not None and st.last_query.active == "Any"
        assert st.last_query.filters["modifiedOnOrAfter"] == "2026-01-01T00:00:00Z"
        assert fake.api_requests(CUSTOMERS)[-1]["active"] == "Any"


def test_get_and_request(isolated: None, fake: FakeApi) -> None:
    def single(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if request.url.path == fake.path("/jpm/v2/tenant/{tenant}/jobs/7"):
            return httpx2.Response(200, json=job(7))
        return None

    fake.override = single
    fake.lists[fake.path(JOBS)] = [job(1)]
    with stnb.connect(sandbox=DuckSandbox(fake), clock=FakeClock()) as st:
        assert st.get("jpm/jobs", 7)["id"] == 7
        body = st.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params={"pageSize": 1})
        assert body["data"][0]["id"] == 1
        with pytest.raises(stnb.NotFound):
            st.get("jpm/jobs", 8)


def test_to_parquet_round_trip_equals_frame(isolated: None, fake: FakeApi, tmp_path: Path) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 251)]
    with stnb.connect(sandbox=DuckSandbox(fake), clock=FakeClock()) as st:
        frame = st.frame("jpm/jobs", pageSize=40)
        path = st.to_parquet("jpm/jobs", tmp_path / "jobs.parquet", pageSize=40)
        assert st.last_query is not None and st.last_query.rows == 250
    import polars as pl

    assert pl.read_parquet(path).equals(frame)


def test_connect_async_twin(isolated: None, fake: FakeApi) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 31)]

    async def run() -> tuple[str, int, int]:
        async with stnb.connect_async(sandbox=DuckSandbox(fake), clock=FakeClock()) as ast:
            df = await ast.frame("jpm/jobs", pageSize=10)
            ids = [r["id"] async for r in ast.items("jpm/jobs", pageSize=7)]
            return repr(ast), df.height, len(ids)

    text, height, count = asyncio.run(run())
    assert text == f"<stnb.AsyncConnection env=integration tenant={TENANT} (sandbox)>"
    assert (height, count) == (30, 30)


def test_reports_is_the_reporting_api_of_this_connection(isolated: None, fake: FakeApi) -> None:
    from stnb.reports import Reports

    with stnb.connect(sandbox=DuckSandbox(fake), clock=FakeClock()) as st:
        assert isinstance(st.reports, Reports)
        assert st.reports is st.reports
