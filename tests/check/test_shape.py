"""The response-against-document rules of `stnb.check` on hand-made records."""

from __future__ import annotations

from stnb._check.findings import mask_example
from stnb._check.shape import check_envelope, check_records
from stnb.catalog import Endpoint

FIELDS = {
    "id": "int64",
    "status": {"enum": ["None", "Live", "Stopped"]},
    "postDate": "date",
    "modifiedOn": "datetime",
    "total": "money",
    "customer": {"struct": {"id": "int64", "name": "string"}},
    "items": {"list": {"struct": {"skuId": "int64"}}},
}


def _record(**changes: object) -> dict[str, object]:
    record: dict[str, object] = {
        "id": 1,
        "status": "Live",
        "postDate": "2026-01-02",
        "modifiedOn": "2026-01-02T10:00:00Z",
        "total": "12.50",
        "customer": {"id": 3, "name": "x"},
        "items": [{"skuId": 4}],
    }
    record.update(changes)
    return record


def _kinds(records: list[dict[str, object]]) -> set[tuple[str, str]]:
    return {(i.kind, i.path) for i in check_records(records, FIELDS)}


def test_documented_records_have_no_issue_and_null_is_accepted() -> None:
    assert _kinds([_record(), _record(id=2, customer=None, postDate=None)]) == set()


def test_each_deviation_is_named_with_its_field_path() -> None:
    assert _kinds([_record(status=1)]) == {("type", "status")}
    assert _kinds([_record(status="Frozen")]) == {("enum", "status")}
    assert _kinds([_record(postDate="2026-01-02T00:00:00")]) == {("format", "postDate")}
    assert _kinds([_record(extra=1)]) == {("undocumented-field", "extra")}
    assert _kinds([_record(customer={"id": 3})]) == {("missing-field", "customer.name")}
    assert _kinds([_record(items=[{"skuId": "4"}])]) == {("type", "items[].skuId")}
    partial = _record()
    del partial["modifiedOn"]
    assert _kinds([_record(), partial]) == {("sometimes-missing", "modifiedOn")}
    gone = [{k: v for k, v in _record().items() if k != "total"}]
    assert _kinds(gone) == {("missing-field", "total")}


def test_integer_enums_reject_values_the_document_does_not_list() -> None:
    issues = check_records([{"leadType": 9}], {"leadType": "int32"}, {"leadType": (1, 2, 3)})
    assert [(i.kind, i.path, i.example) for i in issues] == [("enum", "leadType", 9)]


def test_envelopes() -> None:
    page = Endpoint("list", "GET", "/x/v2/tenant/{tenant}/y", "page")
    records, issues = check_envelope(
        {"page": 1, "pageSize": 5, "hasMore": False, "totalCount": 0, "data": []}, page
    )
    assert records == [] and issues == []
    records, issues = check_envelope({"page": 1, "items": []}, page)
    assert records is None and {i.kind for i in issues} == {"envelope"}
    array = Endpoint("list", "GET", "/x/v2/tenant/{tenant}/y", "array")
    assert check_envelope([{"id": 1}], array) == ([{"id": 1}], [])
    assert check_envelope({"data": []}, array)[1][0].observed == "a JSON object"


def test_examples_are_masked_except_numbers_dates_and_enum_words() -> None:
    assert mask_example("Jane Doe") == "<text, 8 characters>"
    assert mask_example("+15551234567") == "<text, 12 characters>"  # a phone number is no amount
    assert mask_example("jane@example.com") == "<text, 16 characters>"
    assert mask_example("12.50") == '"12.50"'
    assert mask_example("2026-01-02T00:00:00") == '"2026-01-02T00:00:00"'
    assert mask_example("Frozen", plain=True) == '"Frozen"'
    assert mask_example({"name": "Jane"}) == "<object with name>"
    assert mask_example(3) == "3" and mask_example(None) == "null"


def test_required_fields_missing_are_told_apart_from_optional_ones_never_sent() -> None:
    required = {"id", "status", "modifiedOn"}

    def issues(records: list[dict[str, object]]) -> set[tuple[str, str, bool | None]]:
        return {(i.kind, i.path, i.required) for i in check_records(records, FIELDS, required=required)}

    without = [{k: v for k, v in _record().items() if k not in ("status", "total")}]
    assert issues(without) == {("required-missing", "status", True), ("missing-field", "total", False)}
    partial = _record()
    del partial["modifiedOn"]
    del partial["postDate"]
    found = {i.path: i for i in check_records([_record(), partial], FIELDS, required=required)}
    assert (found["modifiedOn"].kind, found["modifiedOn"].observed) == (
        "required-missing",
        "absent from 1 of 2 records",
    )
    assert found["modifiedOn"].documented.startswith("required")
    assert (found["postDate"].kind, found["postDate"].required) == ("sometimes-missing", False)
    assert found["postDate"].documented.startswith("optional")
    # Nested objects have no required list in the catalog: unknown, as before.
    nested = check_records([_record(customer={"id": 3})], FIELDS, required=required)
    assert [(i.kind, i.path, i.required) for i in nested] == [("missing-field", "customer.name", None)]
    # A present field that is null is not missing.
    assert issues([_record(status=None)]) == set()
