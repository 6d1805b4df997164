"""The pure analyses on hand-made frames: counts, schema, values, records, service."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from stnb._attempts import Attempt, notify
from stnb._compare.counts import count_summary, monthly_counts
from stnb._compare.records import record_diff
from stnb._compare.schema import schema_diff
from stnb._compare.service import AttemptLog, SideService, service_frame
from stnb._compare.values import categorical_columns, distributions, new_values, numeric_summary

JAN = datetime(2026, 1, 10, tzinfo=UTC)
FEB = datetime(2026, 2, 3, tzinfo=UTC)
MAR = datetime(2026, 3, 20, tzinfo=UTC)


def side_a() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 6],
            "name": ["Ann", "Bo", "Cy", "Di", "Ed", "TEST Fay"],
            "type": ["Residential", "Commercial", "Residential", "Residential", "Commercial", "Residential"],
            "active": [True, True, True, False, True, True],
            "balance": [10.0, 20.0, 30.0, None, 50.0, 0.0],
            "address": [{"city": c, "zip": "10001"} for c in ("NY", "NY", "LA", "SF", "NY", "LA")],
            "tags": [[1], [], [2, 3], [], [1], []],
            "customerId": [11, 12, 13, 14, 15, 16],
            "createdOn": [JAN, JAN, JAN, FEB, FEB, MAR],
            "modifiedOn": [JAN, JAN, JAN, FEB, FEB, MAR],
        }
    )


def side_b() -> pl.DataFrame:
    """Like a, but: 6 gone, 7 and 8 new, 2 renamed, 3 moved, 5 deactivated, 1 touched (modifiedOn only)."""
    return pl.DataFrame(
        {
            "id": [1, 2, 3, 4, 5, 7, 8],
            "name": ["Ann", "Bob", "Cy", "Di", "Ed", "Gus", "Hal"],
            "type": [
                "Residential",
                "Commercial",
                "Residential",
                "Residential",
                "Commercial",
                "Multifamily",
                "Residential",
            ],
            "active": [True, True, True, False, False, True, True],
            "balance": [10.0, 20.0, 30.0, None, 50.0, 70.0, 80.0],
            "address": [{"city": c, "zip": "10001"} for c in ("NY", "NY", "SF", "SF", "NY", "NY", "LA")],
            "tags": [[1], [], [2, 3], [], [1], [4], []],
            "customerId": [11, 12, 13, 14, 15, 17, 18],
            "createdOn": [JAN, JAN, JAN, FEB, FEB, MAR, MAR],
            "modifiedOn": [MAR, MAR, MAR, FEB, MAR, MAR, MAR],
            "nationalAccount": [False, False, False, False, False, True, False],
        }
    )


def test_count_summary_counts_totals_active_and_inactive() -> None:
    counts = count_summary(side_a(), side_b().lazy(), totals=(None, 900))
    as_dict = {r["metric"]: (r["a"], r["b"], r["delta"]) for r in counts.iter_rows(named=True)}
    assert as_dict == {
        "rows": (6, 7, 1),
        "total": (6, 900, 894),
        "active": (5, 5, 0),
        "inactive": (1, 2, 1),
    }


def test_count_summary_without_active_values_reports_null() -> None:
    never_sent = pl.DataFrame(
        {"id": [1, 2], "active": [None, None]}, schema={"id": pl.Int64, "active": pl.Boolean}
    )
    counts = count_summary(pl.DataFrame({"id": [1]}), never_sent)
    for metric in ("active", "inactive"):
        row = counts.filter(pl.col("metric") == metric).row(0, named=True)
        assert (row["a"], row["b"]) == (None, None)


def test_monthly_counts_created_and_modified_per_month() -> None:
    monthly = monthly_counts(side_a(), side_b())
    created = {
        (r["month"].month, r["a"], r["b"])
        for r in monthly.filter(pl.col("kind") == "created").iter_rows(named=True)
    }
    modified = {
        (r["month"].month, r["a"], r["b"])
        for r in monthly.filter(pl.col("kind") == "modified").iter_rows(named=True)
    }
    assert created == {(1, 3, 3), (2, 2, 2), (3, 1, 2)}
    assert modified == {(1, 3, 0), (2, 2, 1), (3, 1, 6)}


def test_schema_diff_fields_dtypes_and_null_rates() -> None:
    a = side_a().with_columns(pl.col("customerId").cast(pl.String))
    b = side_b().with_columns(pl.lit(None, dtype=pl.Float64).alias("balance"))
    diff = schema_diff(a, b)
    rows = {(r["field"], r["change"]) for r in diff.iter_rows(named=True)}
    assert rows == {("nationalAccount", "only in b"), ("customerId", "dtype"), ("balance", "null rate")}
    balance = diff.filter(pl.col("field") == "balance").row(0, named=True)
    assert balance["null_rate_a"] == pytest.approx(1 / 6)
    assert balance["null_rate_b"] == 1.0


def test_schema_diff_uses_the_fields_the_api_sent() -> None:
    b = side_b()
    a = side_a().with_columns(pl.lit(None, dtype=pl.Boolean).alias("nationalAccount"))
    typed_only = schema_diff(a, b)
    assert typed_only.filter(pl.col("field") == "nationalAccount")["change"].to_list() == ["null rate"]
    sent = schema_diff(a, b, fields_a=set(side_a().columns), fields_b=set(b.columns))
    assert sent.select("field", "change").rows() == [("nationalAccount", "only in b")]


def test_schema_diff_of_a_frame_with_itself_is_empty() -> None:
    assert schema_diff(side_a(), side_a()).is_empty()


def test_categorical_columns_pick_categories_not_names_or_ids() -> None:
    kinds = categorical_columns(side_a(), side_b(), max_values=5)
    assert kinds == {"type": "string", "active": "bool"}
    blank_mostly = pl.DataFrame({"po": [""] * 20 + ["PO-1", "PO-2"]})
    assert categorical_columns(blank_mostly, blank_mostly) == {}  # "" is no category
    assert categorical_columns(side_a(), side_b(), enums={"type"})["type"] == "enum"


def test_distributions_and_new_values() -> None:
    a, b = side_a(), side_b()
    dist = distributions(a, b, categorical_columns(a, b, enums={"type"}))
    types = {
        r["value"]: (r["a"], r["b"]) for r in dist.filter(pl.col("field") == "type").iter_rows(named=True)
    }
    assert types == {"Residential": (4, 4), "Commercial": (2, 2), "Multifamily": (0, 1)}
    shares = (
        dist.filter(pl.col("field") == "type")
        .group_by(pl.lit(1))
        .agg(pl.col("share_a").sum(), pl.col("share_b").sum())
    )
    assert shares["share_a"][0] == pytest.approx(1.0) and shares["share_b"][0] == pytest.approx(1.0)
    assert new_values(dist).rows() == [("type", "Multifamily", "b")]


def test_new_values_ignore_booleans_nulls_and_fields_empty_on_one_side() -> None:
    a = pl.DataFrame({"flag": [True, True], "kind": ["x", None], "po": ["PO-1", "PO-1"]})
    b = pl.DataFrame(
        {"flag": [False, True], "kind": ["x", "x"], "po": [None, None]}, schema_overrides={"po": pl.String}
    )
    assert new_values(distributions(a, b, {"flag": "bool", "kind": "enum", "po": "string"})).is_empty()


def test_numeric_summary_skips_ids_and_summarises_quantities() -> None:
    summary = numeric_summary(side_a(), side_b())
    assert set(summary["field"]) == {"balance"}
    stats = {r["stat"]: (r["a"], r["b"]) for r in summary.iter_rows(named=True)}
    assert stats["sum"] == (110.0, 260.0)
    assert stats["count"] == (5.0, 6.0)
    assert stats["max"] == (50.0, 80.0)
    assert set(stats) == {"count", "sum", "mean", "min", "p50", "p95", "max"}


def test_numeric_summary_handles_decimals() -> None:
    a = pl.DataFrame({"total": ["1.50", "2.25"]}).with_columns(pl.col("total").cast(pl.Decimal(18, 2)))
    b = pl.DataFrame({"total": ["1.50"]}).with_columns(pl.col("total").cast(pl.Decimal(18, 2)))
    sums = numeric_summary(a, b).filter(pl.col("stat") == "sum")
    assert sums.select("a", "b").row(0) == (3.75, 1.5)


def test_record_diff_ids_changes_and_modified_only() -> None:
    diff = record_diff(side_a(), side_b())
    assert diff.compared == 5
    assert diff.only_in_a["id"].to_list() == [6]
    assert diff.only_in_b["id"].to_list() == [7, 8]
    assert dict(diff.changed.select("id", "fields").iter_rows()) == {
        2: ["name"],
        3: ["address"],
        5: ["active"],
    }
    assert dict(diff.changed_fields.iter_rows()) == {"name": 1, "address": 1, "active": 1}
    assert diff.modified_only == 1  # id 1: only modifiedOn moved
    assert "nationalAccount" not in diff.fields and "modifiedOn" not in diff.fields
    detail = {(r["id"], r["field"]): (r["a"], r["b"]) for r in diff.changes.iter_rows(named=True)}
    assert detail == {
        (2, "name"): ('"Bo"', '"Bob"'),
        (3, "address"): ('{"city":"LA","zip":"10001"}', '{"city":"SF","zip":"10001"}'),
        (5, "active"): ("true", "false"),
    }


def test_record_diff_in_partitions_gives_the_same_answer() -> None:
    whole = record_diff(side_a(), side_b())
    parted = record_diff(side_a().lazy(), side_b().lazy(), partition_rows=2)  # 4 id partitions
    assert parted.changed.equals(whole.changed) and parted.changes.equals(whole.changes)
    assert parted.changed_fields.equals(whole.changed_fields)
    assert (parted.compared, parted.modified_only) == (whole.compared, whole.modified_only) == (5, 1)


def test_record_diff_compares_mismatched_dtypes_as_text_and_caps_detail() -> None:
    a = pl.DataFrame({"id": [1, 2, 3], "v": [1, 2, 3], "s": ["1", "2", "3"]})
    b = pl.DataFrame({"id": [1, 2, 3], "v": [1.0, 2.5, 3.5], "s": [1, 2, 3]})
    diff = record_diff(a, b, fields={"v"}, max_detail=1)
    assert diff.changed["id"].to_list() == [2, 3]
    assert diff.changes.rows() == [(2, "v", "2", "2.5")]
    as_text = record_diff(a, b, fields={"s"})
    assert as_text.n_changed == 3  # "1" and 1 are different JSON


def test_record_diff_of_a_frame_with_itself_is_empty() -> None:
    diff = record_diff(side_a(), side_a().lazy())
    assert (diff.compared, diff.n_changed, diff.modified_only) == (6, 0, 0)
    assert diff.only_in_a.is_empty() and diff.only_in_b.is_empty() and diff.changed_fields.is_empty()


def test_record_diff_needs_ids() -> None:
    with pytest.raises(ValueError, match="'id' column"):
        record_diff(pl.DataFrame({"x": [1]}), pl.DataFrame({"id": [1]}))


def _attempt(env: str, tenant: str, status: int | None, latency: float, module: str = "crm") -> Attempt:
    return Attempt(
        at=JAN,
        env=env,
        app="abcd1234",
        app_name=None,
        tenant=tenant,
        method="GET",
        module=module,
        endpoint="/crm/v2/tenant/{tenant}/customers",
        status=status,
        latency_ms=latency,
        bytes=10,
        attempt=1,
        rate_wait_ms=0.0,
        error_type=None,
    )


def test_attempt_log_attributes_attempts_to_the_active_side() -> None:
    log = AttemptLog()
    a, b = SideService("a", "integration", "1"), SideService("b", "production", "1")
    notify(_attempt("integration", "1", 200, 5.0))  # before observing: ignored
    with log.observing(a):
        for ms in (10.0, 20.0, 30.0):
            notify(_attempt("integration", "1", 200, ms))
        notify(_attempt("integration", "1", 200, 1.0, module="auth"))  # token requests are not API calls
        notify(_attempt("production", "1", 200, 99.0))  # someone else's traffic
    with log.observing(b):
        notify(_attempt("production", "1", 503, 40.0))
        notify(_attempt("production", "1", None, 50.0))
    notify(_attempt("production", "1", 200, 5.0))  # after observing: ignored
    b.record(200)
    b.record(403)
    b.record(200)
    frame = service_frame([a, b])
    rows = {r["side"]: r for r in frame.iter_rows(named=True)}
    assert (rows["a"]["requests"], rows["a"]["errors"], rows["a"]["p50_ms"]) == (3, 0, 20.0)
    assert (rows["b"]["requests"], rows["b"]["errors"], rows["b"]["status"]) == (2, 2, 403)
    assert rows["a"]["status"] is None
