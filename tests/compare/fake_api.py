"""A small scripted ServiceTitan for comparison tests: customers per environment, lists, ids, exports.

Each `FakeEnv` holds records and can be told to answer one path with an error status, or to fail
every request after a number of calls (a side failing mid-way).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2

from stnb._client import Client
from stnb._clock import FakeClock
from stnb._config import Credentials, sandbox_environment
from stnb._connection import Connection
from stnb._retry import RetryPolicy

BASE = "https://fake.invalid"
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
EXPORT = "/crm/v2/tenant/{tenant}/export/customers"
_SECRETS = {"integration": "cs1." + "i" * 50, "production": "cs1." + "p" * 50}


def customer(i: int, **overrides: Any) -> dict[str, Any]:
    record = {
        "id": i,
        "name": f"Customer {i}",
        "type": "Residential" if i % 3 else "Commercial",
        "active": True,
        "balance": float(i % 7) * 10,
        "address": {"street": f"{i} Main St", "city": "Springfield", "state": "NY", "zip": "10001"},
        "doNotMail": False,
        "createdOn": f"2025-{1 + i % 12:02d}-05T10:00:00Z",
        "modifiedOn": f"2025-{1 + i % 12:02d}-06T10:00:00Z",
    }
    record.update(overrides)
    return record


@dataclass
class FakeEnv:
    name: str
    tenant: int
    records: list[dict[str, Any]]
    fail_status: dict[str, int] = field(default_factory=dict)  # path suffix -> status
    fail_after: int | None = None  # API calls answered before every later one gets a 503
    batch: int = 100
    calls: list[str] = field(default_factory=list)

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        path = request.url.path
        if path == "/connect/token":
            return httpx2.Response(
                200,
                json={
                    "access_token": f"tok-{self.name}",
                    "expires_in": 900,
                    "token_type": "Bearer",
                    "scope": "",
                },
            )
        self.calls.append(f"{path}?{request.url.query.decode()}")
        if self.fail_after is not None and len(self.calls) > self.fail_after:
            return _problem(503, "Service Unavailable")
        for suffix, status in self.fail_status.items():
            if path.endswith(suffix):
                return _problem(
                    status, "Not found" if status == 404 else "Provided authentication is insufficient"
                )
        params = request.url.params
        if "/export/" in path:
            start = int(params.get("from") or 0)
            chunk = self.records[start : start + self.batch]
            end = start + len(chunk)
            return httpx2.Response(
                200, json={"hasMore": end < len(self.records), "continueFrom": str(end), "data": chunk}
            )
        rows = self.records
        if params.get("active", "True") != "Any":
            wanted = params.get("active", "True") == "True"
            rows = [r for r in rows if r["active"] == wanted]
        if params.get("ids"):
            ids = {int(x) for x in params["ids"].split(",")}
            rows = [r for r in rows if r["id"] in ids]
        if params.get("sort") in ("+Id", "-Id"):
            rows = sorted(rows, key=lambda r: r["id"], reverse=params["sort"] == "-Id")
        page, size = int(params.get("page", 1)), int(params.get("pageSize", 50))
        chunk = rows[(page - 1) * size : page * size]
        total = len(rows) if params.get("includeTotal") == "true" else None
        return httpx2.Response(
            200,
            json={
                "page": page,
                "pageSize": size,
                "hasMore": page * size < len(rows),
                "totalCount": total,
                "data": chunk,
            },
        )


def _problem(status: int, title: str) -> httpx2.Response:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "traceId": "00-fake-00",
        "errors": {},
        "data": {},
    }
    return httpx2.Response(status, content=json.dumps(body), headers={"content-type": "application/json"})


def connection(env: FakeEnv, clock: FakeClock | None = None) -> Connection:
    """A real Connection over the fake (no retries, so failures surface at once)."""
    credentials = Credentials("ak1." + "k" * 25, "cid." + env.name[0] * 25, _SECRETS[env.name], env.tenant)
    client = Client(
        sandbox_environment(env.name, BASE),
        credentials,
        transport=httpx2.MockTransport(env.handle),
        clock=clock or FakeClock(),
        rate=10_000.0,
        retry=RetryPolicy(max_attempts=1),
        sandbox=True,
    )
    return Connection(client, progress=False)
