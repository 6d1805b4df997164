"""The response decoder (msgspec, `stnb._json.loads`) gives the same frames as `json.loads` did: same
schema, same values, same warnings, on the sandbox's jobs, customers and invoices and on the malformed
inputs the frames tests cover (plus JSON that only the standard library accepts)."""

from __future__ import annotations

import itertools
import json
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx2
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from stnb._connect import connect
from stnb._frames import SchemaDriftWarning, to_frame
from stnb._json import loads
from stnb.catalog import FieldType, load_catalog
from stnb.sandbox import Sandbox
from tests.data.test_frames import FIELDS, NESTED, item, record
from tests.data.test_frames_lossless import MONEYED
from tests.data.test_frames_lossless import NESTED as NESTED_OBJECTS

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
RESOURCES = [("jpm/jobs", {}), ("crm/customers", {"active": "any"}), ("accounting/invoices", {})]
_names = itertools.count()


@pytest.fixture(scope="module")
def sandbox() -> Sandbox:
    return Sandbox(seed=3, anchor=ANCHOR, rate_limit=0)


def raw_pages(sandbox: Sandbox, resource: str, filters: dict[str, str], pages: int) -> list[bytes]:
    """Response bodies exactly as the sandbox sends them, before any decoding."""
    endpoint = load_catalog().resolve(resource).endpoint("list")
    creds = sandbox.credentials["integration"]
    with httpx2.Client(base_url=sandbox.url, transport=sandbox.transport()) as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        }
        token = http.post("/connect/token", data=form).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key}
        path = endpoint.path.replace("{tenant}", str(creds.tenant_id))
        bodies = []
        for number in range(1, pages + 1):
            response = http.get(path, params={"page": number, "pageSize": 200, **filters}, headers=headers)
            response.raise_for_status()
            bodies.append(response.content)
    return bodies


def frame_and_warnings(
    decode: Callable[[bytes], Any], bodies: list[bytes], fields: dict[str, FieldType]
) -> tuple[pl.DataFrame, list[str]]:
    """The typed frame of the decoded bodies and its warnings, under a fresh resource name (warnings are
    once per resource) replaced by "R" in the messages."""
    name = f"test/decoder-{next(_names)}"
    records: list[Any] = []
    for body in bodies:
        value = decode(body)
        records.extend(value["data"] if isinstance(value, dict) else value)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = to_frame(records, fields, resource=name)
    messages = [str(w.message).replace(name, "R") for w in caught if w.category is SchemaDriftWarning]
    return frame, messages


@pytest.mark.parametrize(("resource", "filters"), RESOURCES)
def test_sandbox_pages_give_the_same_frame_with_either_decoder(
    sandbox: Sandbox, resource: str, filters: dict[str, str]
) -> None:
    bodies = raw_pages(sandbox, resource, filters, pages=3)
    fields = load_catalog().resolve(resource).fields_for("list")
    before, before_notes = frame_and_warnings(json.loads, bodies, fields)
    after, after_notes = frame_and_warnings(loads, bodies, fields)
    assert before.height == 600
    assert after.schema == before.schema
    assert_frame_equal(after, before, check_exact=True)
    assert after_notes == before_notes


@pytest.mark.parametrize(("resource", "filters"), RESOURCES)
def test_connection_frames_equal_frames_from_the_standard_library(
    sandbox: Sandbox, resource: str, filters: dict[str, str]
) -> None:
    """End to end: `Connection.frame` (which decodes with msgspec) against `json.loads` on the same pages."""
    bodies = raw_pages(sandbox, resource, filters, pages=2)
    fields = load_catalog().resolve(resource).fields_for("list")
    expected, _ = frame_and_warnings(json.loads, bodies, fields)
    with connect("integration", sandbox=sandbox, progress=False) as st, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = st.frame(resource, page_size=200, max_pages=2, **filters)
    assert_frame_equal(got, expected, check_exact=True)


# The malformed records of tests/data/test_frames*.py, as JSON text, and JSON only json.loads accepts.
MALFORMED: list[tuple[str, bytes, dict[str, FieldType]]] = [
    (
        "bad cells",
        json.dumps(
            [
                record(),
                record(
                    id="abc",
                    count="x",
                    ok="maybe",
                    when=12,
                    total="lots",
                    tags=[1, "x"],
                    customer={"id": "?"},
                ),
            ]
        ).encode(),
        FIELDS,
    ),
    (
        "nested bad cells",
        json.dumps(
            [
                {"id": 1, "items": [item(1), item(2)], "lead": {"jobId": 7, "on": "2025-01-02"}, "tags": [3]},
                {"id": 2, "items": [], "lead": None, "tags": []},
                {"id": 3, "items": None, "lead": "oops", "tags": None},
                {"id": 4, "items": "oops", "lead": {"jobId": "x"}, "tags": [1, "x", 2]},
                {"id": 5, "items": [item(5, account=None, price="lots", at=None)], "lead": {}, "tags": [9]},
            ]
        ).encode(),
        NESTED,
    ),
    (
        "wrong containers",
        json.dumps([{"tags": {"a": 1}, "customer": [1, 2], "name": {"x": 1}}, {"tags": [4]}]).encode(),
        FIELDS,
    ),
    ("not objects", json.dumps([record(id=1), "junk", None, record(id=2)]).encode(), FIELDS),
    (
        "key orders and missing keys",
        json.dumps([dict(reversed(list(record(id=1).items()))), {"id": 2, "zNew": "b"}]).encode(),
        FIELDS,
    ),
    (
        "integers never truncated",
        json.dumps([{"id": 3.7}, {"id": "4.5"}, {"id": 1}, {"id": 2.0}, {"id": " 7 "}]).encode(),
        {"id": "int64"},
    ),
    (
        "money beyond its scale",
        json.dumps(
            [
                {
                    "id": 1,
                    "total": "12.345",
                    "items": [{"id": 7, "price": "-0.005", "quantity": "1.2345678"}],
                },
                {"id": 2, "total": "99999999999999999.99", "items": []},
                {"id": 3, "total": "n/a", "items": None},
                {"id": 4, "total": "1.12345678912", "items": []},
            ]
        ).encode(),
        MONEYED,
    ),
    (
        "unknown fields, nested and mixed",
        json.dumps(
            [
                {"id": 1, "address": {"city": 12, "county": "W"}, "tags": [{"name": "a", "color": "red"}]},
                {"id": 2, "address": {"city": "Y"}, "tags": [], "x": {"a": 1}, "n": 1},
                {"id": 3, "x": [1, "a"], "n": 2.5},
            ]
        ).encode(),
        NESTED_OBJECTS,
    ),
    (
        "datetime variants",
        json.dumps(
            [
                {"when": t}
                for t in (
                    "2025-06-01T12:00:00Z",
                    "2025-06-01T12:00:00.5Z",
                    "2025-06-01T12:00:00-05:00",
                    "2025-06-01T12:00:00",
                    "2025-06-01T12:00:00.1234567",
                    "2025-06-01",
                    "not a date",
                )
            ]
        ).encode(),
        {"when": "datetime"},
    ),
    # Integers beyond 64 bits stay exact (orjson would turn them into floats).
    (
        "integers beyond 64 bits",
        b'[{"id": 123456789012345678901234567890, "name": 18446744073709551616, "n": 99999999999999999999}]',
        {"id": "int64", "name": "string"},
    ),
    # Accepted by json.loads only: msgspec refuses them, so the decoder falls back to the standard library.
    (
        "NaN and Infinity",
        b'[{"ratio": NaN, "x": Infinity}, {"ratio": -Infinity, "x": 1.5}]',
        {"ratio": "float64"},
    ),
    ("lone surrogate", b'[{"name": "a\\ud800b"}]', {"name": "string"}),
    ("byte-order mark", b'\xef\xbb\xbf[{"name": "bom"}]', {"name": "string"}),
    ("out-of-range float", b'[{"ratio": 1e400}]', {"ratio": "float64"}),
]


@pytest.mark.parametrize(("case", "body", "fields"), MALFORMED, ids=[c[0] for c in MALFORMED])
def test_malformed_inputs_give_the_same_frame_and_warnings(
    case: str, body: bytes, fields: dict[str, FieldType]
) -> None:
    try:
        before, before_notes = frame_and_warnings(json.loads, [body], fields)
    except ValueError:  # the standard library refuses it (a BOM in bytes is accepted, in str refused)
        with pytest.raises(ValueError):
            loads(body)
        return
    after, after_notes = frame_and_warnings(loads, [body], fields)
    assert after.schema == before.schema
    assert_frame_equal(after, before, check_exact=True)
    assert after_notes == before_notes


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1', b"nul", b"[1,]", b"\xff\xfe", b"<html>502</html>"])
def test_what_is_not_json_raises_value_error_as_before(body: bytes) -> None:
    with pytest.raises(ValueError):
        json.loads(body)
    with pytest.raises(ValueError):
        loads(body)
