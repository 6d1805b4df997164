"""The live API's known deviations from its documents (`stnb.catalog.quirks.QUIRKS`).

For each: the sandbox reproduces it by default and not with `quirks="none"`, and `st.frame` /
`st.export_frame` / `st.reports.run` handle it in both modes without losing a record. Plus the table
itself (every place it names is a documented operation) and the switch.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
import pytest

import stnb
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb.catalog import load_catalog
from stnb.catalog.quirks import QUIRKS, first_page, quirk
from stnb.sandbox import Sandbox, ServedRequest
from stnb.sandbox.quirks import Quirks
from stnb.sandbox.reports import REPORT_RUN_SECONDS, STILL_RUNNING_TITLE

from .conftest import Api, make_api
from .openapi import SPECS, validator

ANCHOR = datetime(2026, 6, 15, tzinfo=UTC)
LATEST = SPECS / "2026-05"
CATALOG = load_catalog()
SERVICES = "/pricebook/v2/tenant/{tenant}/services"
CANCEL_REASONS = "/jpm/v2/tenant/{tenant}/job-cancel-reasons"
CATEGORIES = "/pricebook/v2/tenant/{tenant}/categories"
JOURNAL = "/accounting/v2/tenant/{tenant}/journal-entries"
AGING = "/reporting/v2/tenant/{tenant}/report-category/accounting/reports/166/data"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(ANCHOR)


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=7, anchor=ANCHOR, clock=clock, rate_limit=0)


@pytest.fixture(params=["all", "none"])
def mode(request: pytest.FixtureRequest, sandbox: Sandbox) -> Iterator[str]:
    sandbox.quirks = request.param
    yield str(request.param)
    sandbox.quirks = "all"


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    client = make_api("embedded", sandbox, None)
    yield client
    client.client.close()


@pytest.fixture
def st(sandbox: Sandbox, clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Connection]:
    monkeypatch.setenv("STNB_LEDGER", "off")
    with stnb.connect("integration", sandbox=sandbox, clock=clock, progress=False) as connection:
        yield connection


def walk(api: Api, path: str, **params: Any) -> list[list[dict[str, Any]]]:
    """Every page of a list, as a naive client reads it (page 1, 2, ... until hasMore is false)."""
    pages = []
    for number in range(1, 1000):
        body = api.json(path, page=number, **params)
        if isinstance(body, list):  # a bare-array list: one answer holds everything
            return [body]
        pages.append(body["data"])
        if not body["hasMore"]:
            return pages
    raise AssertionError("no end")


# --- the table --------------------------------------------------------------------------------------


def _documented_operations() -> set[str]:
    """Every operation of the current documents as the catalog spells its path ("/module/v2/tenant/...")."""
    paths = set()
    for document in LATEST.glob("*.json"):
        doc = json.loads(document.read_text(encoding="utf-8"))
        base = "/" + doc["servers"][0]["url"].split("://", 1)[1].split("/", 1)[1]
        paths.update(base + path for path in doc["paths"])
    return paths


def _lists_not_documented_as_active_only() -> set[str]:
    """GET lists with an `active` parameter whose document does not say inactive items are hidden."""
    found = set()
    for document in LATEST.glob("*.json"):
        doc = json.loads(document.read_text(encoding="utf-8"))
        base = "/" + doc["servers"][0]["url"].split("://", 1)[1].split("/", 1)[1]
        for path, operations in doc["paths"].items():
            get = operations.get("get")
            if get is None or "/export/" in path:
                continue
            for param in get.get("parameters", []):
                text = (param.get("description") or "").replace("\n", " ").lower()
                hidden = ("only active" in text and "by default" in text) or (
                    "active items will be returned by default" in text and "and inactive" not in text
                )
                if param.get("name") == "active" and not hidden:
                    found.add(base + path)
    return found


def test_the_table_names_each_deviation_once_with_its_source() -> None:
    ids = [q.id for q in QUIRKS]
    assert len(ids) == len(set(ids))
    for entry in QUIRKS:
        assert entry.where and entry.documents and entry.live and entry.source, entry.id
        assert entry.schema == bool(entry.fields), entry.id  # schema entries name the fields they change
    assert {q.id for q in QUIRKS if not q.switchable} == {"sort-by-modified-on"}


@pytest.mark.skipif(not LATEST.is_dir(), reason=f"current documents not found at {LATEST}")
def test_every_place_the_table_names_is_a_documented_operation() -> None:
    documented = _documented_operations()
    for entry in QUIRKS:
        missing = [w for w in entry.where if w not in documented]
        assert not missing, f"{entry.id}: not in the current documents: {missing}"


@pytest.mark.skipif(not LATEST.is_dir(), reason=f"current documents not found at {LATEST}")
def test_active_by_default_covers_exactly_the_lists_documented_otherwise() -> None:
    assert set(quirk("active-by-default").where) == _lists_not_documented_as_active_only()


def test_quirk_specs_parse_and_round_trip() -> None:
    switchable = {q.id for q in QUIRKS if q.switchable}
    assert Quirks.parse(None).ids == switchable == Quirks.parse("all").ids
    assert Quirks.parse("none").ids == frozenset()
    assert Quirks.parse("unsorted-pages,page-from-zero").ids == {"unsorted-pages", "page-from-zero"}
    assert Quirks.parse("-unsorted-pages").ids == switchable - {"unsorted-pages"}
    for spec in ("all", "none", "page-from-zero", "-unsorted-pages"):
        assert Quirks.parse(Quirks.parse(spec).spec) == Quirks.parse(spec)
    with pytest.raises(ValueError, match="unknown quirk nope; known: enum-as-integer"):
        Quirks.parse("nope")
    with pytest.raises(ValueError, match="unknown quirk nope"):
        Quirks.parse("-nope")
    assert Sandbox(quirks="none").quirks.spec == "none" and Sandbox().quirks.spec == "all"


# --- unsorted pages ---------------------------------------------------------------------------------


def test_unsorted_pages_lose_and_repeat_nothing(mode: str, api: Api, st: Connection) -> None:
    pages = walk(api, SERVICES, pageSize=20, active="Any")
    ids = [r["id"] for page in pages for r in page]
    everything = [
        r["id"] for page in walk(api, SERVICES, pageSize=40, active="Any", sort="+Id") for r in page
    ]
    assert len(ids) == len(set(ids)) and set(ids) == set(everything) and len(pages) > 2
    rows = [r for page in pages for r in page]
    by_id = [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    by_modified = [r["modifiedOn"] for r in rows] == sorted(r["modifiedOn"] for r in rows)
    if mode == "all":
        assert not by_id and not by_modified
    else:
        assert by_id
    frame = st.frame("pricebook/services", active="any", page_size=20)
    assert frame.height == len(everything) and frame["id"].n_unique() == frame.height


# --- active hidden by default -----------------------------------------------------------------------


def test_inactive_records_hidden_by_default_where_documents_say_otherwise(
    mode: str, api: Api, st: Connection
) -> None:
    assert CANCEL_REASONS in quirk("active-by-default").where
    omitted = [r["active"] for page in walk(api, CANCEL_REASONS, pageSize=100) for r in page]
    every = [r["active"] for page in walk(api, CANCEL_REASONS, pageSize=100, active="Any") for r in page]
    assert False in every
    assert (False in omitted) == (mode == "none")
    # stnb sends active explicitly: the same answer whatever the server's default
    frame = st.frame("jpm/job-cancel-reasons")
    assert frame.height == every.count(True) and frame["active"].all()
    assert st.last_query is not None and st.last_query.filters["active"] == "True"
    assert st.frame("jpm/job-cancel-reasons", active="any").height == len(every)


# --- sort by ModifiedOn on pricebook categories -----------------------------------------------------


def test_sort_by_modified_on_is_refused_on_categories_in_both_modes(
    mode: str, api: Api, st: Connection
) -> None:
    response = api.get(CATEGORIES, sort="+ModifiedOn")
    assert response.status_code == 400 and "ModifiedOn" in response.text
    with pytest.raises(stnb.ValidationError, match="cannot sort by 'ModifiedOn'"):
        st.frame("pricebook/categories", sort="+ModifiedOn")
    assert st.frame("pricebook/categories", sort="-Name", active="any").height > 0


# --- a date-time without zone in a date field ---------------------------------------------------------


def test_post_date_comes_as_a_date_time_without_zone(mode: str, api: Api, st: Connection) -> None:
    rows = [r for page in walk(api, JOURNAL, pageSize=200) for r in page]
    dated = [r["postDate"] for r in rows if r.get("postDate")]
    assert dated
    zoneless = [re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00", v) is not None for v in dated]
    assert all(zoneless) if mode == "all" else not any(zoneless)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = st.frame("accounting/journal-entries", page_size=200)
    assert frame.height == len(rows) and frame["postDate"].null_count() == len(rows) - len(dated)
    days = frame["postDate"].drop_nulls()
    days = days.dt.date() if days.dtype != pl.Date else days
    assert sorted(str(d) for d in days.to_list()) == sorted(v[:10] for v in dated)
    if mode == "all" and CATALOG.resolve("accounting/journal-entries").fields["postDate"] == "date":
        assert any("date-times where the document says date" in str(w.message) for w in caught)


# --- 409 while a report is still running ------------------------------------------------------------


def test_report_still_running_answers_409_and_the_client_waits_for_it(
    mode: str, api: Api, st: Connection, clock: FakeClock, sandbox: Sandbox
) -> None:
    # A parameter value of its own per mode, so each run is a first run of a big result.
    as_of, raw_as_of = ("2026-06-01", "2026-06-02") if mode == "all" else ("2026-06-03", "2026-06-04")
    clock.advance(61)  # past the run limit of earlier tests
    statuses: list[int] = []
    sandbox.on_request = lambda served: statuses.append(served.status)
    try:
        report = st.reports.run("accounting", 166, AsOf=as_of, use_query=False)  # /data, as the tap
    finally:
        sandbox.on_request = None
    assert (409 in statuses) == (mode == "all") and 401 not in statuses
    clock.advance(61)
    first = api.send("POST", AGING, json={"parameters": [{"name": "AsOf", "value": raw_as_of}]})
    if mode == "all":
        assert first.status_code == 409 and first.json()["title"] == STILL_RUNNING_TITLE
        clock.advance(REPORT_RUN_SECONDS)
        first = api.send("POST", AGING, json={"parameters": [{"name": "AsOf", "value": raw_as_of}]})
    assert first.status_code == 200
    clock.advance(61)
    same = api.send(
        "POST", AGING, json={"parameters": [{"name": "AsOf", "value": as_of}]}, params={"pageSize": 5000}
    )
    assert same.status_code == 200  # finished runs answer at once
    assert report.height == len(same.json()["data"]) > 500


def test_after_a_long_wait_the_report_client_renews_the_token_first(
    api: Api, st: Connection, clock: FakeClock, sandbox: Sandbox
) -> None:
    sandbox.token_ttl = 90  # shorter than the run limit's 60 s wait plus the client's renewal margin
    served: list[ServedRequest] = []
    sandbox.on_request = served.append
    try:
        clock.advance(120)
        first = st.reports.run("business-unit-dashboard", 175, From="2026-01-01", To="2026-03-31")
        again = st.reports.run("business-unit-dashboard", 175, From="2026-01-01", To="2026-03-31")
    finally:
        sandbox.on_request = None
        sandbox.token_ttl = 900
    assert again.equals(first)
    assert 401 not in [s.status for s in served]
    tokens = [s for s in served if s.module == "auth"]
    assert len(tokens) >= 1 and all(s.status == 200 for s in tokens)
    runs = [s for s in served if s.endpoint.endswith("/data") or s.endpoint.endswith("/data/query")]
    assert len(runs) >= 2
    # the second run came after the limit's wait, which outlived the token: a new one was fetched between
    assert any(t.at > runs[0].at for t in tokens)


def test_every_place_in_the_table_is_served_by_the_sandbox() -> None:
    served = {e.path for r in CATALOG for e in (r.list, r.export, r.get) if e is not None}
    served |= {CAPACITY, AGING.replace("accounting", "{report_category}").replace("166", "{reportId}")}
    for entry in QUIRKS:
        assert set(entry.where) <= served, (entry.id, set(entry.where) - served)


# --- the first page is 0 ------------------------------------------------------------------------------


def test_paging_from_zero_loses_the_first_page_for_a_naive_client_but_not_for_stnb(
    mode: str, api: Api, st: Connection
) -> None:
    (path,) = quirk("page-from-zero").where
    assert first_page(path) == 0 and first_page(SERVICES) == 1
    zero = api.json(path, page=0, pageSize=10, includeTotal=True)
    naive = [r["id"] for page in walk(api, path, pageSize=10) for r in page]  # pages 1, 2, ...
    total = zero["totalCount"]
    assert total > 20
    if mode == "all":
        assert zero["page"] == 0 and len(naive) == total - 10  # the first ten are never seen
        assert not {r["id"] for r in zero["data"]} & set(naive)
    else:
        assert zero["page"] == 1 and len(naive) == total
    for size in (10, 7):
        frame = st.frame("settings/business-units/intacct", page_size=size)
        assert frame.height == total and frame["id"].n_unique() == total
        assert st.last_query is not None and st.last_query.total_count == total


# --- flags with no effect -------------------------------------------------------------------------------

REVIEWS = "/marketingreputation/v2/tenant/{tenant}/reviews"
FLAG = "includeReviewsWithoutTechnician"


def test_reviews_without_flags_have_no_effect_live(
    mode: str, api: Api, st: Connection, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = sandbox.world("integration")
    resource = CATALOG.resolve("marketingreputation/reviews")
    reviews = world.resource_frame(resource, "list")
    assert FLAG in resource.list.params  # type: ignore[union-attr]
    # more reviews without a technician than the modelled ones (about one in seven)
    lacking = reviews.with_columns(
        technicianId=pl.when(pl.int_range(pl.len()) % 3 == 0).then(None).otherwise(pl.col("technicianId"))
    )
    original = world.resource_frame
    monkeypatch.setattr(
        world, "resource_frame", lambda r, kind: lacking if r.key == resource.key else original(r, kind)
    )
    without = lacking["technicianId"].null_count()
    assert 0 < without < lacking.height
    flagged = api.json(REVIEWS, pageSize=5000, **{FLAG: "false"})["data"]
    assert len(flagged) == (lacking.height if mode == "all" else lacking.height - without)
    assert all(r["technicianId"] is not None for r in flagged) == (mode == "none")
    assert len(api.json(REVIEWS, pageSize=5000, **{FLAG: "true"})["data"]) == lacking.height
    assert st.frame("marketingreputation/reviews").height == lacking.height  # nothing lost either way


# --- value quirks on every list and export that has them ------------------------------------------------

VALUE_CASES = [
    pytest.param(entry.id, resource.key, kind, id=f"{entry.id}:{kind}:{resource.key}")
    for entry in QUIRKS
    if entry.schema
    for resource in CATALOG
    for kind in ("list", "export")
    if getattr(resource, kind) is not None and getattr(resource, kind).path in entry.where
]


def _rows(api: Api, resource_key: str, kind: str) -> list[dict[str, Any]]:
    endpoint = CATALOG.resolve(resource_key).endpoint(kind)  # type: ignore[arg-type]
    if kind == "list":
        params = {"active": "Any"} if endpoint.supports_active else {}
        return [r for page in walk(api, endpoint.path, pageSize=500, **params) for r in page]
    rows: list[dict[str, Any]] = []
    token = None
    while True:
        body = api.json(endpoint.path, **({"from": token} if token else {}))
        rows.extend(body["data"])
        token = body["continueFrom"]
        if not body["hasMore"]:
            return rows


def _value(row: dict[str, Any], dotted: str) -> Any:
    holder: Any = row
    for part in dotted.split("."):
        holder = holder.get(part) if isinstance(holder, dict) else None
    return holder


@pytest.mark.parametrize(("quirk_id", "resource_key", "kind"), VALUE_CASES)
def test_value_quirks_are_reproduced_and_survived(
    quirk_id: str,
    resource_key: str,
    kind: str,
    sandbox: Sandbox,
    api: Api,
    st: Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    entry = quirk(quirk_id)
    sandbox.quirks = "none"
    documented = _rows(api, resource_key, kind)
    sandbox.quirks = "all"
    live = _rows(api, resource_key, kind)
    assert [r.get("id") for r in live] == [r.get("id") for r in documented] and live
    changed = [
        (d, lv)
        for d, lv in zip(documented, live, strict=True)
        for f in entry.fields
        if _value(d, f) != _value(lv, f)
    ]
    assert changed, f"{quirk_id} changed nothing on {resource_key} {kind}"
    for name in entry.fields:
        for d, lv in zip(documented, live, strict=True):
            before, after = _value(d, name), _value(lv, name)
            if quirk_id in ("enum-as-integer", "ads-status-as-integer") and before is not None:
                assert isinstance(after, int) and not isinstance(after, bool)
            elif quirk_id == "missing-modified-on" and lv.get("id", 1) % 5 == 0:
                assert name.split(".")[-1] not in lv
    monkeypatch.setattr("stnb._frames.drift._reported", set())  # a fresh process: every report is a first one
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        params = (
            {"active": "any"} if kind == "list" and CATALOG.resolve(resource_key).list.supports_active else {}
        )
        frame = st.frame(resource_key, **params) if kind == "list" else st.export_frame(resource_key)
    assert frame.height == len(live)  # nothing lost, nothing repeated
    if "id" in frame.columns:
        assert frame["id"].n_unique() == frame.height
    drift = [str(w.message) for w in caught if issubclass(w.category, stnb.SchemaDriftWarning)]
    if quirk_id in ("enum-as-integer", "ads-status-as-integer"):
        # kept as text ("0"), reported once per field
        assert any("another type than documented were kept as text" in m for m in drift), drift
        for name in entry.fields:
            values = (
                frame[name] if "." not in name else frame[name.split(".")[0]].struct.field(name.split(".")[1])
            )
            assert values.drop_nulls().str.contains(r"^\d+$").all()
    if quirk_id == "date-with-time":
        assert any("date-times where the document says date" in m for m in drift), drift


# --- the capacity query's 14-day window -----------------------------------------------------------------

CAPACITY = "/dispatch/v2/tenant/{tenant}/capacity"


def _capacity_schema() -> dict[str, Any]:
    from .openapi import _convert, definitions, document

    relative = "2026-05/tenant-dispatch-v2.json"
    operation = document(relative)["paths"]["/tenant/{tenant}/capacity"]["post"]
    schema = _convert(operation["responses"]["200"]["content"]["application/json"]["schema"], False)
    return {
        **schema,
        "definitions": definitions(relative),
        "$schema": "http://json-schema.org/draft-07/schema#",
    }


@pytest.mark.skipif(not LATEST.is_dir(), reason=f"current documents not found at {LATEST}")
def test_capacity_answers_at_most_14_days_and_st_capacity_clamps_and_splits(
    mode: str, api: Api, st: Connection, clock: FakeClock
) -> None:
    now = clock.utcnow()
    body = {
        "startsOnOrAfter": now.isoformat(),
        "endsOnOrBefore": (now + timedelta(days=20)).isoformat(),
        "skillBasedAvailability": False,
    }
    response = api.send("POST", CAPACITY, json=body)
    if mode == "all":
        assert response.status_code == 400 and "14 days" in response.text
        body["endsOnOrBefore"] = (now + timedelta(days=14)).isoformat()
        response = api.send("POST", CAPACITY, json=body)
    assert response.status_code == 200
    answer = response.json()
    assert not list(validator(_capacity_schema()).iter_errors(answer))
    assert answer["availabilities"]
    # From 10 days ago to 20 days ahead: clamped to now, asked in windows of at most 14 days.
    frame = st.capacity(now - timedelta(days=10), now + timedelta(days=20))
    assert frame.height > 0 and frame["startUtc"].min() >= now  # type: ignore[operator]
    assert frame["endUtc"].max() <= now + timedelta(days=20)  # type: ignore[operator]
    sandbox_none = Sandbox(seed=7, anchor=ANCHOR, clock=clock, rate_limit=0, quirks="none")
    whole = make_api("embedded", sandbox_none, None)
    body["endsOnOrBefore"] = (now + timedelta(days=20)).isoformat()
    expected = whole.send("POST", CAPACITY, json=body).json()["availabilities"]
    assert frame.height == len(expected)  # every time frame of the 20 days, none twice
    assert frame["openAvailability"].sum() == sum(a["openAvailability"] for a in expected)


def test_async_capacity_matches_the_sync_one(sandbox: Sandbox, st: Connection, clock: FakeClock) -> None:
    import asyncio

    now = clock.utcnow()

    async def pull() -> pl.DataFrame:
        async with stnb.connect_async("integration", sandbox=sandbox, clock=clock, progress=False) as ast:
            return await ast.capacity(now, now + timedelta(days=16), business_unit_ids=[1001])

    frame = asyncio.run(pull())
    assert frame.height > 0 and frame.equals(
        st.capacity(now, now + timedelta(days=16), business_unit_ids=[1001])
    )
    assert set(frame["businessUnitIds"].explode().to_list()) == {1001}
