"""Shared fixtures: one sandbox per test module, reachable through both adapters.

`api` is parametrised over the in-process transport ("embedded") and a uvicorn server on 127.0.0.1:0
("served") started once per module and stopped after it; both answer from the same Sandbox instance.
The sandbox runs on a FakeClock and without a rate limit unless a test turns one on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx2
import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox, SandboxCredentials
from stnb.sandbox.server import ServerHandle, serve_in_thread

SEED = 7
ANCHOR = datetime(2026, 6, 15, tzinfo=UTC)


@dataclass
class Api:
    """A thin HTTP client for one adapter with token caching per client id."""

    adapter: str
    sandbox: Sandbox
    client: httpx2.Client
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def creds(self) -> SandboxCredentials:
        return self.sandbox.credentials["integration"]

    def token_response(self, creds: SandboxCredentials, **overrides: str) -> httpx2.Response:
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
        form.update(overrides)
        return self.client.post("/connect/token", data=form)

    def token(self, creds: SandboxCredentials | None = None) -> str:
        creds = creds or self.creds
        if creds.client_id not in self.tokens:
            response = self.token_response(creds)
            assert response.status_code == 200, response.text
            self.tokens[creds.client_id] = response.json()["access_token"]
        return self.tokens[creds.client_id]

    def headers(self, creds: SandboxCredentials | None = None) -> dict[str, str]:
        creds = creds or self.creds
        return {"Authorization": f"Bearer {self.token(creds)}", "ST-App-Key": creds.app_key}

    def url(self, path: str, creds: SandboxCredentials | None = None) -> str:
        return path.replace("{tenant}", str((creds or self.creds).tenant_id))

    def get(self, path: str, creds: SandboxCredentials | None = None, **params: Any) -> httpx2.Response:
        return self.client.get(self.url(path, creds), params=params, headers=self.headers(creds))

    def json(self, path: str, creds: SandboxCredentials | None = None, **params: Any) -> Any:
        response = self.get(path, creds, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def send(
        self, method: str, path: str, creds: SandboxCredentials | None = None, **kwargs: Any
    ) -> httpx2.Response:
        headers = {**self.headers(creds), **kwargs.pop("headers", {})}
        return self.client.request(method, self.url(path, creds), headers=headers, **kwargs)


def make_api(adapter: str, sandbox: Sandbox, server: ServerHandle | None) -> Api:
    if adapter == "embedded":
        client = httpx2.Client(transport=sandbox.transport(), base_url=sandbox.url)
    else:
        assert server is not None
        client = httpx2.Client(base_url=server.url, timeout=30.0)
    return Api(adapter, sandbox, client)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(ANCHOR)


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=SEED, anchor=ANCHOR, clock=clock, rate_limit=0)


@pytest.fixture(scope="module")
def server(sandbox: Sandbox) -> Iterator[ServerHandle]:
    handle = serve_in_thread(sandbox)
    yield handle
    handle.stop()


@pytest.fixture(params=["embedded", "served"])
def api(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[Api]:
    server = request.getfixturevalue("server") if request.param == "served" else None
    client = make_api(request.param, sandbox, server)
    yield client
    client.client.close()
