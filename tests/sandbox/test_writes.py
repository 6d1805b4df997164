"""Writes persist in the sandbox instance; bad bodies give the 400 envelope, never a 500."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox
from stnb.sandbox.server import ServerHandle, serve_in_thread

from .conftest import ANCHOR, Api, make_api

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
JOBS = "/jpm/v2/tenant/{tenant}/jobs"
ADDRESS = {"street": "12 Harbor Way", "city": "Rye", "state": "NY", "zip": "10580", "country": "USA"}


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    """A sandbox of its own: these tests change data."""
    return Sandbox(seed=11, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)


@pytest.fixture(scope="module")
def server(sandbox: Sandbox) -> Iterator[ServerHandle]:
    handle = serve_in_thread(sandbox)
    yield handle
    handle.stop()


def _new_customer(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "Commercial",
        "address": ADDRESS,
        "locations": [{"name": "Main", "address": ADDRESS}],
    }


def test_create_customer_persists_and_is_listed(api: Api) -> None:
    response = api.send("POST", CUSTOMERS, json=_new_customer(f"Harbor Dental {api.adapter}"))
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["name"] == f"Harbor Dental {api.adapter}" and created["active"] is True
    assert [loc["customerId"] for loc in created["locations"]] == [created["id"]]
    fetched = api.json(f"{CUSTOMERS}/{created['id']}")
    assert fetched == {k: v for k, v in created.items() if k not in ("locations", "contacts")}
    assert fetched["createdOn"] >= ANCHOR.strftime("%Y-%m-%dT%H:%M:%SZ")
    newest = api.json(CUSTOMERS, sort="-Id", pageSize=1)["data"][0]
    assert newest["id"] == created["id"]
    sites = api.json("/crm/v2/tenant/{tenant}/locations", customerId=created["id"])["data"]
    assert [s["name"] for s in sites] == ["Main"]


def test_writes_are_per_environment(api: Api) -> None:
    created = api.send("POST", CUSTOMERS, json=_new_customer("Only In Integration")).json()
    production = api.sandbox.credentials["production"]
    assert api.get(f"{CUSTOMERS}/{created['id']}", production).status_code == 404


def test_add_a_job_note_then_list_it(api: Api) -> None:
    job = api.json(JOBS, pageSize=1)["data"][0]
    response = api.send(
        "POST", f"{JOBS}/{job['id']}/notes", json={"text": "Bring a ladder", "pinToTop": True}
    )
    assert response.status_code == 200
    assert response.json()["text"] == "Bring a ladder" and response.json()["isPinned"] is True
    notes = api.json(f"{JOBS}/{job['id']}/notes", pageSize=200)["data"]
    assert "Bring a ladder" in [n["text"] for n in notes]
    after = api.json(f"{JOBS}/{job['id']}")
    assert after["modifiedOn"] > job["modifiedOn"]


def test_update_a_job(api: Api) -> None:
    job = api.json(JOBS, pageSize=1, page=2)["data"][0]
    campaign = api.json("/marketing/v2/tenant/{tenant}/campaigns", pageSize=1)["data"][0]["id"]
    response = api.send(
        "PATCH",
        f"{JOBS}/{job['id']}",
        json={"priority": "High", "summary": "Upstairs unit", "campaignId": campaign},
    )
    assert response.status_code == 200
    updated = api.json(f"{JOBS}/{job['id']}")
    assert (updated["priority"], updated["summary"], updated["campaignId"]) == (
        "High",
        "Upstairs unit",
        campaign,
    )
    assert updated["modifiedOn"] > job["modifiedOn"]
    assert {
        k: v for k, v in updated.items() if k not in ("priority", "summary", "campaignId", "modifiedOn")
    } == {k: v for k, v in job.items() if k not in ("priority", "summary", "campaignId", "modifiedOn")}


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("POST", CUSTOMERS, b"{not json", "$"),
        ("POST", CUSTOMERS, b"", "body"),
        ("POST", CUSTOMERS, b"[1, 2]", "$"),
        ("POST", CUSTOMERS, b'{"name": "", "address": {}, "locations": []}', "name"),
        ("POST", CUSTOMERS, b'{"name": "A", "address": {"street": "x"}, "locations": [{}]}', "address.city"),
        ("POST", CUSTOMERS, b'{"name": "A", "type": "Castle"}', "type"),
        ("PATCH", JOBS + "/{job}", b'{"priority": "Emergency"}', "priority"),
        ("PATCH", JOBS + "/{job}", b'{"campaignId": "seven"}', "campaignId"),
        ("PATCH", JOBS + "/{job}", b'{"businessUnitId": 42}', "businessUnitId"),
        ("POST", JOBS + "/{job}/notes", b'{"text": 5}', "text"),
    ],
)
def test_malformed_or_invalid_bodies_give_400(
    api: Api, method: str, path: str, body: bytes, field: str
) -> None:
    job = api.json(JOBS, pageSize=1)["data"][0]["id"]
    response = api.send(
        method, path.replace("{job}", str(job)), content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400, response.text
    problem = response.json()
    assert problem["status"] == 400 and field in problem["errors"]


def test_writes_to_a_missing_job_give_404(api: Api) -> None:
    response = api.send("PATCH", f"{JOBS}/42", json={"summary": "x"})
    assert response.status_code == 404 and response.json()["title"] == "Job not found"


def test_emergency_priority_exists_only_in_production() -> None:
    sandbox = Sandbox(seed=12, anchor=ANCHOR, rate_limit=0)
    api = make_api("embedded", sandbox, None)
    production = sandbox.credentials["production"]
    job = api.json(JOBS, production, pageSize=1)["data"][0]["id"]
    response = api.send("PATCH", f"{JOBS}/{job}", production, json={"priority": "Emergency"})
    assert response.status_code == 200 and response.json()["priority"] == "Emergency"
