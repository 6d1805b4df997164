"""Extension points: the request recorder, the Reporting API route, and the async transport."""

from __future__ import annotations

import asyncio

import httpx2

from stnb.sandbox import Sandbox, ServedRequest

from .conftest import ANCHOR, Api, make_api

JOBS = "/jpm/v2/tenant/{tenant}/jobs"


def test_on_request_records_every_answer_with_its_endpoint_template(api: Api) -> None:
    seen: list[ServedRequest] = []
    api.tokens.clear()
    api.sandbox.on_request = seen.append
    try:
        api.token()
        job = api.json(JOBS, pageSize=1)["data"][0]
        api.get(f"{JOBS}/{job['id']}")
        api.client.get(api.url(JOBS))
        fleet = api.sandbox.app("Fleet Insights").tenants[0].credentials["production"]
        api.get("/telecom/v2/tenant/{tenant}/calls", fleet)
    finally:
        api.sandbox.on_request = None
    token, listing, single, anonymous, *rest = seen
    assert (token.module, token.endpoint, token.status, token.app) == (
        "auth",
        "/connect/token",
        200,
        "Acme Dispatch Board",
    )
    assert (listing.module, listing.method, listing.endpoint, listing.status) == ("jpm", "GET", JOBS, 200)
    assert listing.env == "integration" and listing.tenant_id == api.creds.tenant_id
    assert listing.app_public_id == api.sandbox.default_app.public_id
    assert single.endpoint == JOBS + "/{id}"
    assert (anonymous.status, anonymous.app, anonymous.tenant_id) == (401, None, None)
    denied = rest[-1]
    assert (denied.app, denied.env, denied.status) == ("Fleet Insights", "production", 403)
    assert all(api.creds.app_key not in repr(record) for record in seen)


def test_a_failing_recorder_never_breaks_a_request(api: Api) -> None:
    def broken(_record: ServedRequest) -> None:
        raise RuntimeError("recorder down")

    api.sandbox.on_request = broken
    try:
        assert api.get(JOBS, pageSize=1).status_code == 200
    finally:
        api.sandbox.on_request = None


def test_reporting_requests_reach_the_reporting_service(api: Api) -> None:
    seen: list[ServedRequest] = []
    api.token()
    api.sandbox.on_request = seen.append
    try:
        response = api.get("/reporting/v2/tenant/{tenant}/report-categories")
        missing = api.get("/reporting/v2/tenant/{tenant}/no-such-thing")
    finally:
        api.sandbox.on_request = None
    assert response.status_code == 200 and response.json()["data"]
    assert missing.status_code == 404 and missing.json()["status"] == 404
    assert seen[0].endpoint == "/reporting/v2/tenant/{tenant}/report-categories"


def test_async_transport_serves_lists_exports_and_writes() -> None:
    sandbox = Sandbox(seed=9, anchor=ANCHOR, rate_limit=0)
    headers = make_api("embedded", sandbox, None).headers()
    tenant = sandbox.credentials["integration"].tenant_id

    async def run() -> tuple[int, int, int, int]:
        async with httpx2.AsyncClient(
            transport=sandbox.transport(), base_url=sandbox.url, headers=headers
        ) as client:
            pages = await asyncio.gather(
                *(
                    client.get(f"/jpm/v2/tenant/{tenant}/jobs", params={"page": p, "pageSize": 100})
                    for p in (1, 2, 3)
                )
            )
            export = await client.get(f"/jpm/v2/tenant/{tenant}/export/jobs")
            job = pages[0].json()["data"][0]["id"]
            note = await client.post(f"/jpm/v2/tenant/{tenant}/jobs/{job}/notes", json={"text": "async"})
            ids = {row["id"] for page in pages for row in page.json()["data"]}
            return len(ids), export.status_code, note.status_code, pages[2].json()["page"]

    assert asyncio.run(run()) == (300, 200, 200, 3)
