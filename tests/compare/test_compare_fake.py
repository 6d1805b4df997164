"""`compare()` and `compare_all()` end to end over a scripted API: methods, failures, bad input, budget."""

from __future__ import annotations

import polars as pl
import pytest

from stnb._compare import compare, compare_all
from stnb.catalog import UnknownResourceError
from stnb.errors import ValidationError
from tests.compare.fake_api import FakeEnv, connection, customer

BASE_IDS = range(1, 301)


def envs(**b_options: object) -> tuple[FakeEnv, FakeEnv]:
    """a: 300 customers (250 active); b: the same plus 10 new ones, one renamed, one deactivated."""
    a = FakeEnv("integration", 111, [customer(i, active=i > 50 or i % 2 == 0) for i in BASE_IDS])
    changed = {5: {"name": "Renamed"}, 8: {"active": False, "modifiedOn": "2026-01-02T00:00:00Z"}}
    b_records = [customer(i, **{"active": i > 50 or i % 2 == 0, **changed.get(i, {})}) for i in BASE_IDS]
    b_records += [customer(i, type="Multifamily", nationalAccount=True) for i in range(400, 410)]
    b = FakeEnv("production", 222, b_records, **b_options)  # type: ignore[arg-type]
    return a, b


def assert_planted(cmp: object) -> None:
    from stnb._compare import Comparison

    assert isinstance(cmp, Comparison) and cmp.ok
    assert cmp.fields_only_in("b") == {"nationalAccount"} and cmp.fields_only_in("a") == set()
    assert cmp.new_values_in("b") == {"type": {"Multifamily"}} and cmp.new_values_in("a") == {}
    rd = cmp.record_diff
    assert rd.only_in_a.is_empty()
    assert rd.only_in_b["id"].to_list() == list(range(400, 410))
    assert dict(rd.changed.select("id", "fields").iter_rows()) == {5: ["name"], 8: ["active"]}


@pytest.mark.parametrize(
    ("kwargs", "method"),
    [
        ({}, "full list"),
        ({"threshold": 100}, "export"),
        ({"method": "export"}, "export"),
    ],
)
def test_list_and_export_find_the_same_differences(kwargs: dict[str, object], method: str) -> None:
    a, b = envs()
    cmp = compare("crm/customers", connection(a), connection(b), page_size=100, **kwargs)  # type: ignore[arg-type]
    assert cmp.method == method
    assert_planted(cmp)
    counts = {r["metric"]: (r["a"], r["b"]) for r in cmp.counts.iter_rows(named=True)}
    assert counts["total"] == (300, 310) and counts["inactive"] == (25, 26)
    assert cmp.filters == {"active": "Any"}
    if method == "export":
        assert any("/export/customers" in call for call in b.calls)
        assert not any("page=2" in call for call in b.calls)
    else:
        assert not any("/export/" in call for call in b.calls)


def test_large_filtered_resource_is_sampled_and_ids_are_looked_up_on_the_other_side() -> None:
    a, b = envs()
    cmp = compare(
        "crm/customers",
        connection(a),
        connection(b),
        threshold=100,
        page_size=50,
        sample_pages=7,
        name="Customer",  # a filter: the export cannot apply it, so pages are sampled
    )
    assert cmp.method == "sample(310)"  # 7 pages of 50: every record of b
    assert not any("/export/" in call for call in a.calls + b.calls)
    lookups = [call for call in a.calls if "ids=" in call]
    assert len(lookups) == 1 and "ids=400%2C401" in lookups[0]  # b's new ids, asked of a
    counts = {r["metric"]: (r["a"], r["b"]) for r in cmp.counts.iter_rows(named=True)}
    assert counts["total"] == (300, 310)
    assert any("sample of every page (a 6, b 7 pages of 50)" in note for note in cmp.notes)
    assert not any("not read in full" in note for note in cmp.notes)
    assert_planted(cmp)


def sampled_pages(env: FakeEnv) -> list[str]:
    """The query strings of the page requests (not the count) `env` answered, in order."""
    return [call.split("?", 1)[1] for call in env.calls if "page=" in call and "pageSize=1&" not in call]


def test_a_small_sample_stays_small_is_reproducible_and_reads_the_same_pages_on_both_sides() -> None:
    a, b = envs()  # 6 pages of 50 on a, 7 on b: page 7 exists on b only
    first = compare(
        "crm/customers", connection(a), connection(b), method="sample", page_size=50, sample_pages=2
    )
    again = compare(
        "crm/customers", connection(a), connection(b), method="sample", page_size=50, sample_pages=2
    )
    assert first.method == again.method == "sample(100)"
    assert first.counts.equals(again.counts)
    pages_a, pages_b = sampled_pages(a), sampled_pages(b)
    assert pages_a == pages_b and len(pages_a) == 4  # the same two positions, twice
    assert not any("&page=7&" in query for query in pages_b)
    sampled = {r["metric"]: (r["a"], r["b"]) for r in first.counts.iter_rows(named=True)}["rows"]
    assert sampled == (100, 100)
    assert first.record_diff.only_in_b.is_empty() and first.record_diff.compared == 100
    assert any("sample of 2 pages of 50 per side (seed 0), at the same positions" in n for n in first.notes)
    assert any("sides a and b were not read in full" in note for note in first.notes)


def test_a_sample_reports_a_value_missing_only_from_a_side_read_in_full() -> None:
    a, b = envs()
    b.records[0]["type"] = "Mixed"  # b's page 1
    a.records[1]["type"] = "Vacant"  # a's page 1
    cmp = compare(
        "crm/customers", connection(a), connection(b), method="sample", page_size=50, sample_pages=6
    )
    # every page of a was read, so "Mixed" is missing there; b's page 7 was not, so "Vacant" may exist
    assert cmp.new_values_in("b") == {"type": {"Mixed"}}
    assert cmp.new_values_in("a") == {}
    vacant = cmp.value_diff.filter(pl.col("field") == "type", pl.col("value") == "Vacant")
    assert vacant.select("a", "b").row(0) == (1, 0)  # still counted, just not claimed missing
    assert any("side b was not read in full" in note for note in cmp.notes)


def test_a_sample_never_claims_a_value_is_missing_from_a_sampled_side() -> None:
    a, b = envs()
    cmp = compare(
        "crm/customers", connection(a), connection(b), method="sample", page_size=50, sample_pages=2
    )
    seen = {
        r["value"]: (r["a"], r["b"])
        for r in cmp.value_diff.filter(pl.col("field") == "type").iter_rows(named=True)
    }
    assert seen  # the sample read types on both sides
    assert cmp.new_values.is_empty()


def test_same_environment_reports_no_differences() -> None:
    a, _ = envs()
    conn = connection(a)
    cmp = compare("crm/customers", conn, conn)
    assert cmp.ok and not cmp.has_differences
    assert cmp.record_diff.compared == 300 and cmp.record_diff.n_changed == 0
    assert "no differences" in repr(cmp)


def test_a_resource_missing_on_one_side_is_a_named_failure() -> None:
    a, b = envs(fail_status={"/customers": 404})
    cmp = compare("crm/customers", connection(a), connection(b))
    assert not cmp.ok
    (failure,) = cmp.failures
    assert (failure.side, failure.stage, failure.status) == ("b", "count", 404)
    assert failure.error.startswith("NotFound: 404")
    assert cmp.statuses() == {"a": 200, "b": 404}
    counts = {r["metric"]: (r["a"], r["b"]) for r in cmp.counts.iter_rows(named=True)}
    assert counts["total"] == (300, None)
    assert cmp.has_differences
    assert not any("/customers?" in c and "page=1&pageSize=1000" in c for c in b.calls)


def test_a_scope_denied_on_one_side_shows_403() -> None:
    a, b = envs()
    a.fail_status = {"/customers": 403}
    cmp = compare("crm/customers", connection(a), connection(b))
    assert [(f.side, f.status) for f in cmp.failures] == [("a", 403)]
    assert cmp.service.filter(pl.col("side") == "a")["errors"].to_list() == [1]


def test_a_side_failing_mid_way_gives_a_partial_result() -> None:
    a, b = envs(fail_after=3)  # the count and two pages answer, then 503s
    cmp = compare("crm/customers", connection(a), connection(b), page_size=50)
    (failure,) = cmp.failures
    assert (failure.side, failure.stage, failure.status) == ("b", "fetch", 503)
    assert "ServerError" in failure.error
    assert cmp.schema_diff.is_empty() and cmp.record_diff.compared == 0
    assert cmp.counts.filter(pl.col("metric") == "total").row(0) == ("total", 300, 310, None)
    assert "partial result: side b (production) failed during fetch [503]" in repr(cmp)


def test_a_side_that_cannot_connect_is_a_named_failure() -> None:
    a, _ = envs()
    cmp = compare("crm/customers", connection(a), "production", connect_options={"sandbox": False})
    (failure,) = cmp.failures
    assert (failure.side, failure.stage, failure.env) == ("b", "connect", "production")
    assert "ConfigError" in failure.error


def test_bad_input_raises_before_any_request() -> None:
    a, b = envs()
    with pytest.raises(UnknownResourceError, match="custmers"):
        compare("crm/custmers", connection(a), connection(b))
    with pytest.raises(ValidationError, match="nam"):
        compare("crm/customers", connection(a), connection(b), nam="x")
    with pytest.raises(ValueError, match="unknown environment 'staging'"):
        compare("crm/customers", "staging", connection(b))
    assert a.calls == [] and b.calls == []


def test_compare_all_orders_by_difference_and_respects_the_budget() -> None:
    a, b = envs(fail_status={"/locations": 403})
    sweep = compare_all(
        connection(a), connection(b), resources=["crm/customers", "crm/locations", "crm/leads"], budget=4
    )
    assert sweep["resource"].to_list() == ["crm/locations", "crm/customers", "crm/leads"]
    locations, customers, leads = sweep.iter_rows(named=True)
    assert (locations["status_a"], locations["status_b"], locations["scope_problem"]) == (
        200,
        403,
        "403 on b",
    )
    assert locations["score"] >= 100
    assert (customers["count_a"], customers["count_b"], customers["scope_problem"]) == (300, 310, None)
    assert leads["note"] == "skipped: request budget (4) spent" and leads["status_a"] is None
    assert len(a.calls) == 2 and len(b.calls) == 2


def test_compare_all_skips_sub_lists_that_need_a_parent() -> None:
    a, b = envs()
    sweep = compare_all(connection(a), connection(b), resources=["crm/customers/{id}/notes"])
    assert sweep.select("resource", "note").rows() == [
        ("crm/customers/{id}/notes", "skipped: needs a parent id (use compare())")
    ]
