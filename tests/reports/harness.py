"""A connection whose reporting requests are answered by the sandbox's ReportingService over a fake
source, sharing one FakeClock with the client; `override` rewrites answers to stage bad servers."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2

from stnb._client import Client
from stnb._clock import FakeClock
from stnb._config import Credentials, sandbox_environment
from stnb._connection import Connection
from stnb.sandbox.messages import SandboxRequest
from stnb.sandbox.reports import ReportingService, ReportSource

TENANT = 431848990
PREFIX = f"/reporting/v2/tenant/{TENANT}/"

Override = Callable[[str, str, httpx2.Request], httpx2.Response | None]


@dataclass
class Seen:
    method: str
    tail: str
    query: dict[str, str]
    status: int


@dataclass
class ReportServer:
    source: ReportSource
    clock: FakeClock
    runs_per_minute: float = 1.0
    override: Override | None = None
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.service = ReportingService(self.source, clock=self.clock, runs_per_minute=self.runs_per_minute)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/connect/token":
            body = {"access_token": "token-abc", "token_type": "Bearer", "expires_in": 900, "scope": "all"}
            return httpx2.Response(200, json=body)
        assert path.startswith(PREFIX), path
        tail = path[len(PREFIX) :]
        response = self.override(request.method, tail, request) if self.override else None
        if response is None:
            answer = self.service.handle(
                SandboxRequest(
                    request.method, path, list(request.url.params.multi_items()), {}, request.content
                ),
                "integration",
                TENANT,
                tail,
            )
            response = (
                httpx2.Response(404, json={"title": "Not Found", "status": 404})
                if answer is None
                else httpx2.Response(answer.status, headers=dict(answer.headers), content=answer.body)
            )
        self.seen.append(Seen(request.method, tail, dict(request.url.params), response.status_code))
        return response

    def calls(self, suffix: str, method: str = "POST") -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.tail.endswith(suffix)]

    def connect(self, tz: str = "America/New_York") -> Connection:
        environment = sandbox_environment("integration", "https://reports.invalid")
        credentials = Credentials(
            app_key="ak1.harnessappkey00000000000",
            client_id="cid.harnessclientid0000000",
            client_secret="cs1.harness-secret-" + "x" * 31,
            tenant_id=TENANT,
            timezone=tz,
        )
        client = Client(
            environment,
            credentials,
            transport=httpx2.MockTransport(self.handler),
            clock=self.clock,
            sandbox=True,
        )
        return Connection(client, progress=False)


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> httpx2.Response:
    return httpx2.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": "application/json", **(headers or {})},
    )
