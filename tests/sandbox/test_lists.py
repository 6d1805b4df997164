"""List endpoints: paging, common filters, sort, resource-specific filters and bad input."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .conftest import Api

CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
JOBS = "/jpm/v2/tenant/{tenant}/jobs"
INVOICES = "/accounting/v2/tenant/{tenant}/invoices"


def _dt(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_envelope_defaults(api: Api) -> None:
    body = api.json(JOBS)
    assert list(body) == ["page", "pageSize", "hasMore", "totalCount", "data"]
    assert body["page"] == 1 and body["pageSize"] == 50 and len(body["data"]) == 50
    assert body["hasMore"] is True and body["totalCount"] is None


def test_pages_from_one_tile_the_whole_list_without_overlap(api: Api) -> None:
    total = api.json(CUSTOMERS, pageSize=1, includeTotal="true")["totalCount"]
    seen: list[int] = []
    page = 1
    while True:
        body = api.json(CUSTOMERS, page=page, pageSize=1000)
        seen.extend(row["id"] for row in body["data"])
        if not body["hasMore"]:
            break
        page += 1
    assert len(seen) == len(set(seen)) == total
    assert seen == sorted(seen)


def test_page_size_bounds(api: Api) -> None:
    assert len(api.json(JOBS, pageSize=5000)["data"]) == 5000
    for bad in (0, 5001, -3):
        response = api.get(JOBS, pageSize=bad)
        assert response.status_code == 400
        assert "pageSize" in response.json()["errors"]


def test_include_total_counts_the_filtered_records(api: Api) -> None:
    everything = api.json(JOBS, includeTotal="true", pageSize=1)["totalCount"]
    completed = api.json(JOBS, includeTotal="true", pageSize=1, jobStatus="Completed")["totalCount"]
    assert 0 < completed < everything


def test_ids_filter_and_its_limit_of_50(api: Api) -> None:
    ids = [row["id"] for row in api.json(JOBS, pageSize=60)["data"]]
    body = api.json(JOBS, ids=",".join(map(str, ids[:50])), pageSize=100)
    assert sorted(row["id"] for row in body["data"]) == sorted(ids[:50])
    response = api.get(JOBS, ids=",".join(map(str, ids[:51])))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["Ids"]


def test_active_defaults_to_true_and_accepts_any_and_false(api: Api) -> None:
    default = api.json(CUSTOMERS, pageSize=1, includeTotal="true")["totalCount"]
    true = api.json(CUSTOMERS, pageSize=1, includeTotal="true", active="True")["totalCount"]
    inactive = api.json(CUSTOMERS, pageSize=5000, includeTotal="true", active="False")
    every = api.json(CUSTOMERS, pageSize=1, includeTotal="true", active="Any")["totalCount"]
    assert default == true
    assert inactive["totalCount"] > 0 and all(row["active"] is False for row in inactive["data"])
    assert every == true + inactive["totalCount"]
    assert api.get(CUSTOMERS, active="maybe").status_code == 400


def test_created_and_modified_filters_are_half_open_in_utc(api: Api) -> None:
    rows = api.json(CUSTOMERS, pageSize=200, active="Any")["data"]
    pivot = rows[100]["createdOn"]
    after = api.json(CUSTOMERS, createdOnOrAfter=pivot, pageSize=5000, active="Any")["data"]
    before = api.json(CUSTOMERS, createdBefore=pivot, pageSize=5000, active="Any")["data"]
    assert all(_dt(r["createdOn"]) >= _dt(pivot) for r in after)
    assert all(_dt(r["createdOn"]) < _dt(pivot) for r in before)
    assert rows[100]["id"] in {r["id"] for r in after} and rows[100]["id"] not in {r["id"] for r in before}
    offset = pivot.replace("Z", "-04:00")
    shifted = api.json(CUSTOMERS, createdOnOrAfter=offset, pageSize=1, active="Any", includeTotal="true")
    assert shifted["totalCount"] < len(after) + len(before)
    modified = api.json(JOBS, modifiedOnOrAfter="2026-01-01", modifiedBefore="2026-02-01", pageSize=5000)[
        "data"
    ]
    assert modified and all("2026-01" in r["modifiedOn"][:7] for r in modified)


def test_sort_ascending_and_descending(api: Api) -> None:
    ascending = api.json(JOBS, sort="+ModifiedOn", pageSize=300)["data"]
    descending = api.json(JOBS, sort="-Id", pageSize=300)["data"]
    modified = [r["modifiedOn"] for r in ascending]
    assert modified == sorted(modified)
    assert [r["id"] for r in descending] == sorted((r["id"] for r in descending), reverse=True)
    total = api.json(JOBS, pageSize=1, includeTotal="true")["totalCount"]
    last_page = api.json(JOBS, pageSize=1000, page=(total + 999) // 1000)["data"]
    assert descending[0]["id"] == last_page[-1]["id"]
    raw = api.client.get(api.url(JOBS) + "?sort=+CreatedOn&pageSize=20", headers=api.headers())
    created = [r["createdOn"] for r in raw.json()["data"]]
    assert created == sorted(created)
    bad = api.get(JOBS, sort="-Color")
    assert bad.status_code == 400 and "sort" in bad.json()["errors"]


def test_resource_specific_filters(api: Api) -> None:
    completed = api.json(JOBS, jobStatus="Completed", pageSize=500)["data"]
    assert completed and {r["jobStatus"] for r in completed} == {"Completed"}
    customer_id = completed[0]["customerId"]
    theirs = api.json(JOBS, customerId=customer_id, pageSize=500)["data"]
    assert theirs and all(r["customerId"] == customer_id for r in theirs)
    invoices = api.json(
        INVOICES, invoicedOnOrAfter="2026-03-01", invoicedOnBefore="2026-03-08", pageSize=5000
    )
    dates = [r["invoiceDate"] for r in invoices["data"]]
    assert dates and all("2026-03-01" <= d[:10] < "2026-03-08" for d in dates)
    ny = api.json(CUSTOMERS, state="NY", pageSize=500)["data"]
    assert ny and {r["address"]["state"] for r in ny} == {"NY"}
    assert api.get(JOBS, jobStatus="Exploded").status_code == 400


def test_unknown_parameters_are_silently_ignored(api: Api) -> None:
    plain = api.get(JOBS, pageSize=10)
    ignored = api.get(JOBS, pageSize=10, jobstatus_typo="Completed", color="red")
    assert ignored.status_code == 200
    assert ignored.content == plain.content


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "abc"}, "page"),
        ({"page": "99999999999"}, "page"),
        ({"pageSize": "1e3"}, "pageSize"),
        ({"includeTotal": "yes please"}, "includeTotal"),
        ({"customerId": "twelve"}, "customerId"),
        ({"createdOnOrAfter": "yesterday"}, "createdOnOrAfter"),
    ],
)
def test_wrong_types_in_query_parameters_give_400(api: Api, params: dict[str, str], field: str) -> None:
    response = api.get(JOBS, **params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and field in body["errors"]


def test_huge_page_numbers_answer_an_empty_page(api: Api) -> None:
    body = api.json(JOBS, page=2_000_000_000)
    assert body["data"] == [] and body["hasMore"] is False and body["page"] == 2_000_000_000


def test_unknown_module_and_resource_give_404(api: Api) -> None:
    for path in ("/nosuchmodule/v2/tenant/{tenant}/jobs", "/jpm/v2/tenant/{tenant}/flying-cars", "/jpm/v9/x"):
        response = api.get(path)
        assert response.status_code == 404
        assert response.json()["status"] == 404


def test_wrong_method_gives_405(api: Api) -> None:
    response = api.send("DELETE", CUSTOMERS)
    assert response.status_code == 405


def test_sub_lists_use_the_parent_id(api: Api) -> None:
    customer = api.json(CUSTOMERS, pageSize=1)["data"][0]
    contacts = api.json(f"{CUSTOMERS}/{customer['id']}/contacts")["data"]
    assert contacts and all("customerId" not in c for c in contacts)
    every = api.json(
        "/crm/v2/tenant/{tenant}/customers/contacts", customerIds=str(customer["id"]), pageSize=50
    )
    assert sorted(c["id"] for c in contacts) == sorted(c["id"] for c in every["data"])


def test_single_record_by_id_and_404_envelope(api: Api) -> None:
    job = api.json(JOBS, pageSize=1)["data"][0]
    assert api.json(f"{JOBS}/{job['id']}") == job
    missing = api.get(f"{JOBS}/123")
    assert missing.status_code == 404
    body = missing.json()
    assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
    assert body["title"] == "Job not found"
    assert api.get(f"{JOBS}/not-a-number").status_code == 404


def test_datetimes_are_rfc3339_utc_and_money_is_text(api: Api) -> None:
    invoice = api.json(INVOICES, pageSize=200)["data"]
    billed = next(r for r in invoice if r["total"] != "0.00")
    assert billed["createdOn"].endswith("Z") and _dt(billed["createdOn"]).tzinfo == UTC
    for field in ("subTotal", "salesTax", "total", "balance"):
        assert isinstance(billed[field], str)
        whole, cents = billed[field].split(".")
        assert whole.isdigit() and len(cents) == 2
