"""Fixtures for the data layer: a small scripted ServiceTitan behind httpx2.MockTransport, and connections."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import httpx2
import pytest

from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import Credentials, sandbox_environment
from stnb._connection import AsyncConnection, Connection

APP_KEY = "ak1.d4t4l4y3rt3st00000000ab"
CLIENT_ID = "cid.d4t4l4y3rc113nt0000000xy"
CLIENT_SECRET = "cs1.d4t4s3cr3t0000000000000000000000000000000000000zz"
TENANT = 987654321
BASE = "https://fake.invalid"

Override = Callable[[httpx2.Request, dict[str, str]], httpx2.Response | None]


def job(i: int, modified: str = "2025-03-01T10:00:00Z") -> dict[str, Any]:
    """A job record shaped like the API's (the catalog's jpm/jobs fields)."""
    return {
        "id": i,
        "jobNumber": str(1000 + i),
        "customerId": 10 + i % 7,
        "jobStatus": "Completed" if i % 2 else "Scheduled",
        "createdOn": "2025-01-01T08:00:00Z",
        "modifiedOn": modified,
        "completedOn": "2025-02-01T09:30:00.1234567Z" if i % 2 else None,
        "tagTypeIds": [1, 2] if i % 3 else [],
        "customFields": [{"typeId": 5, "name": "Color", "value": "red"}],
        "total": 120.5,
    }


def problem(status: int, title: str, errors: dict[str, list[str]] | None = None) -> httpx2.Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "traceId": "00-abc",
        "errors": errors or {},
    }
    return httpx2.Response(status, json=body)


class FakeApi:
    """Token endpoint, page-based lists, export feeds and gets over in-memory records; every request logged.

    `lists`/`exports`/`gets` are keyed by the API path with the tenant filled in. `override(request,
    params)` may answer any request first (edge cases); returning None falls through.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lists: dict[str, list[dict[str, Any]]] = {}
        self.exports: dict[str, list[dict[str, Any]]] = {}
        self.export_batch = 4
        self.requests: list[tuple[str, dict[str, str], list[tuple[str, str]]]] = []
        self.token_requests = 0
        self.tokens: set[str] = set()
        self.override: Override | None = None

    def path(self, template: str) -> str:
        return template.replace("{tenant}", str(TENANT))

    def api_requests(self, path_template: str) -> list[dict[str, str]]:
        path = self.path(path_template)
        with self.lock:
            return [params for p, params, _ in self.requests if p == path]

    def revoke(self) -> None:
        with self.lock:
            self.tokens.clear()

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/connect/token":
            with self.lock:
                self.token_requests += 1
                token = f"token-{self.token_requests}-zzzzzzzzzzzz"
                self.tokens.add(token)
            return httpx2.Response(
                200, json={"access_token": token, "expires_in": 900, "token_type": "Bearer"}
            )
        pairs = parse_qsl(request.url.query.decode(), keep_blank_values=True)
        params = dict(pairs)
        with self.lock:
            self.requests.append((request.url.path, params, pairs))
            authorised = request.headers.get("Authorization", "").removeprefix("Bearer ") in self.tokens
        if not authorised:
            return problem(401, "Unauthorized")
        if self.override is not None:
            answer = self.override(request, params)
            if answer is not None:
                return answer
        path = request.url.path
        if path in self.lists:
            return self._page(self.lists[path], params)
        if path in self.exports:
            return self._export(self.exports[path], params)
        return problem(404, "Not found")

    def _page(self, records: list[dict[str, Any]], params: dict[str, str]) -> httpx2.Response:
        if "ids" in params:
            wanted = {int(x) for x in params["ids"].split(",")}
            if len(wanted) > 50:
                return problem(400, "Validation", {"Ids": ["Simple IDs lookup should not exceed 50"]})
            records = [r for r in records if r["id"] in wanted]
        page = int(params.get("page", 1))
        size = int(params.get("pageSize", 50))
        chunk = records[(page - 1) * size : page * size]
        total = len(records) if params.get("includeTotal") == "true" else None
        body = {"page": page, "pageSize": size, "hasMore": page * size < len(records), "totalCount": total}
        return httpx2.Response(200, json={**body, "data": chunk})

    def _export(self, records: list[dict[str, Any]], params: dict[str, str]) -> httpx2.Response:
        token = params.get("from", "")
        if token and not token.startswith("pos:"):
            start = 0 if token[:4].isdigit() else -1
        else:
            start = int(token[4:]) if token else 0
        if start < 0:
            return problem(400, "Invalid continuation token", {"from": ["not a valid token"]})
        chunk = records[start : start + self.export_batch]
        end = start + len(chunk)
        body = {"hasMore": end < len(records), "continueFrom": f"pos:{end}", "data": chunk}
        return httpx2.Response(200, json=body)


@pytest.fixture(autouse=True)
def _no_ledger(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep tests from writing the user's usage ledger or reading their credentials."""
    monkeypatch.setenv("STNB_LEDGER", "off")
    monkeypatch.setenv("STNB_PROFILES", str(tmp_path_factory.mktemp("profiles") / "profiles.toml"))
    for name in list(__import__("os").environ):
        if name.startswith(("STNB_INTEGRATION", "STNB_PRODUCTION", "SERVICETITAN_")) or name in (
            "STNB_CLIENT_ID",
            "STNB_CLIENT_SECRET",
            "STNB_TENANT_ID",
            "STNB_APP_KEY",
            "STNB_ENV",
            "STNB_PROFILE",
        ):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> FakeApi:
    return FakeApi()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def credentials() -> Credentials:
    return Credentials(APP_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, timezone="America/New_York")


@pytest.fixture
def conn(fake: FakeApi, clock: FakeClock) -> Iterator[Connection]:
    client = Client(
        sandbox_environment("integration", BASE),
        credentials(),
        transport=httpx2.MockTransport(fake.handle),
        clock=clock,
        rate=1000.0,
    )
    with Connection(client, progress=False) as connection:
        yield connection


@pytest.fixture
def aconn(fake: FakeApi, clock: FakeClock) -> AsyncConnection:
    client = AsyncClient(
        sandbox_environment("integration", BASE),
        credentials(),
        transport=httpx2.MockTransport(fake.handle),
        clock=clock,
        rate=1000.0,
    )
    return AsyncConnection(client, progress=False)


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
