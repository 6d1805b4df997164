"""Filter validation against the catalog: names, values, page size, ids chunks; caller dicts untouched."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from stnb._query import (
    build_query,
    effective_active,
    format_datetime,
    normalize_active,
    split_path_params,
)
from stnb.catalog import load_catalog
from stnb.errors import ValidationError

CATALOG = load_catalog()
JOBS = CATALOG.resolve("jpm/jobs").endpoint("list")
CUSTOMERS = CATALOG.resolve("crm/customers").endpoint("list")
INVOICES = CATALOG.resolve("accounting/invoices").endpoint("list")


def test_unknown_filter_names_the_closest_valid_one() -> None:
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"jobstatus": "Completed"}, resource="jpm/jobs")
    assert "jobStatus" in str(info.value)
    assert "jobstatus" in info.value.errors
    assert "did you mean jobStatus" in info.value.errors["jobstatus"][0]
    assert "jpm/jobs" in str(info.value)


def test_unknown_filter_with_a_typo_suggests_by_similarity() -> None:
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"modifedOnOrAfter": "2026-01-01"})
    assert "modifiedOnOrAfter" in info.value.errors["modifedOnOrAfter"][0]


def test_all_problems_are_reported_at_once() -> None:
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"nope": 1, "pageSize": 6000, "customerId": "abc"})
    assert set(info.value.errors) == {"nope", "pageSize", "customerId"}


@pytest.mark.parametrize("size", [6000, 0, -1, 5001])
def test_page_size_outside_1_to_5000_is_rejected(size: int) -> None:
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"pageSize": size})
    assert "pageSize" in info.value.errors
    assert "5000" in info.value.errors["pageSize"][0]


def test_page_size_at_the_maximum_is_accepted() -> None:
    assert build_query(JOBS, {"pageSize": 5000}) == [{"pageSize": "5000"}]


def test_caller_filters_are_never_mutated() -> None:
    filters = {"ids": list(range(1, 121)), "jobStatus": "completed", "pageSize": 100}
    before = copy.deepcopy(filters)
    queries = build_query(JOBS, filters)
    queries[0]["jobStatus"] = "changed"
    assert filters == before


def test_ids_are_chunked_by_50_and_deduplicated() -> None:
    ids = [*range(1, 121), 5, 6]
    queries = build_query(JOBS, {"ids": ids, "jobStatus": "Completed"})
    assert len(queries) == 3
    sent = [q["ids"] for q in queries]
    assert all(isinstance(s, str) for s in sent)
    assert [len(str(s).split(",")) for s in sent] == [50, 50, 20]
    assert ",".join(str(s) for s in sent) == ",".join(str(i) for i in range(1, 121))
    assert all(q["jobStatus"] == "Completed" for q in queries)


def test_ids_accept_a_comma_separated_string() -> None:
    assert build_query(JOBS, {"ids": "3, 4,5"}) == [{"ids": "3,4,5"}]


def test_empty_ids_are_an_error_not_an_unfiltered_pull() -> None:
    with pytest.raises(ValidationError):
        build_query(JOBS, {"ids": []})


def test_enum_values_match_case_insensitively_and_list_allowed_values() -> None:
    assert build_query(JOBS, {"jobStatus": "inprogress"}) == [{"jobStatus": "InProgress"}]
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"jobStatus": "Done"})
    assert "Scheduled" in info.value.errors["jobStatus"][0]


@pytest.mark.parametrize(
    ("value", "sent"),
    [(True, "True"), (False, "False"), ("any", "Any"), ("Any", "Any"), ("true", "True"), ("FALSE", "False")],
)
def test_active_is_normalised(value: object, sent: str) -> None:
    assert normalize_active(value) == sent
    assert build_query(CUSTOMERS, {"active": value}) == [{"active": sent}]


def test_active_rejects_other_values() -> None:
    with pytest.raises(ValidationError):
        build_query(CUSTOMERS, {"active": "maybe"})


def test_effective_active_is_the_api_default_when_omitted() -> None:
    assert effective_active(CUSTOMERS, {}) == "True"
    assert effective_active(CUSTOMERS, {"active": "any"}) == "Any"
    assert effective_active(JOBS, {}) is None  # jobs have no active filter


def test_datetimes_become_rfc3339_utc() -> None:
    eastern = timezone(timedelta(hours=-5))
    assert format_datetime(datetime(2026, 1, 1, 3, 0, tzinfo=eastern)) == "2026-01-01T08:00:00Z"
    assert format_datetime(date(2026, 1, 1)) == "2026-01-01T00:00:00Z"
    assert format_datetime("2026-01-01") == "2026-01-01T00:00:00Z"
    assert format_datetime("2026-01-01T10:00:00") == "2026-01-01T10:00:00Z"
    assert format_datetime("2026-01-01T10:00:00.1234567+01:00") == "2026-01-01T09:00:00.123456Z"
    query = build_query(JOBS, {"modifiedOnOrAfter": datetime(2026, 1, 1, tzinfo=UTC)})
    assert query == [{"modifiedOnOrAfter": "2026-01-01T00:00:00Z"}]


def test_naive_datetimes_are_rejected_with_a_hint() -> None:
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"modifiedOnOrAfter": datetime(2026, 1, 1)})
    assert "time zone" in info.value.errors["modifiedOnOrAfter"][0]


def test_bad_date_text_is_rejected() -> None:
    with pytest.raises(ValidationError):
        build_query(JOBS, {"createdBefore": "yesterday-ish"})


def test_integers_and_booleans_are_checked() -> None:
    assert build_query(JOBS, {"customerId": "42", "hasUnusedAppointments": "yes"}) == [
        {"customerId": "42", "hasUnusedAppointments": "true"}
    ]
    with pytest.raises(ValidationError):
        build_query(JOBS, {"customerId": True})
    with pytest.raises(ValidationError):
        build_query(JOBS, {"hasUnusedAppointments": "perhaps"})


def test_none_values_count_as_not_given() -> None:
    assert build_query(JOBS, {"jobStatus": None, "customerId": 3}) == [{"customerId": "3"}]


def test_array_parameters_are_sent_repeated() -> None:
    query = build_query(INVOICES, {"reviewStatuses": ["needsreview", "Reviewed"]})
    enum = INVOICES.params["reviewStatuses"].enum
    assert enum is not None
    assert query == [{"reviewStatuses": ["NeedsReview", "Reviewed"]}]


def test_map_parameters_become_bracketed_names() -> None:
    query = build_query(INVOICES, {"customField.Fields": {"Color": "red"}})
    assert query == [{"customField.Fields[Color]": "red"}]
    with pytest.raises(ValidationError):
        build_query(INVOICES, {"customField.Fields": "Color=red"})


def test_sort_uses_documented_fields() -> None:
    assert build_query(JOBS, {"sort": "-modifiedon"}) == [{"sort": "-ModifiedOn"}]
    assert build_query(JOBS, {"sort": "Id"}) == [{"sort": "+Id"}]
    with pytest.raises(ValidationError) as info:
        build_query(JOBS, {"sort": "+Total"})
    assert "Priority" in info.value.errors["sort"][0]


def test_parent_path_parameter_is_split_off() -> None:
    notes = CATALOG.resolve("crm/customers/{id}/notes").endpoint("list")
    path, rest = split_path_params(notes, {"id": 7, "pageSize": 10})
    assert path == {"id": 7}
    assert rest == {"pageSize": 10}
    with pytest.raises(ValidationError):
        split_path_params(notes, {"pageSize": 10})
