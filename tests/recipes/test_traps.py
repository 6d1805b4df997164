"""The traps planted in the demo world are there, identical in both environments, and each one is
handled and named by the recipe it concerns (the rows behind the cause include the planted record)."""

from __future__ import annotations

import calendar
import warnings
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from stnb import recipes
from stnb._connection import Connection
from stnb.sandbox import Sandbox
from stnb.sandbox import traps as T

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def planted(sandbox: Sandbox) -> pl.DataFrame:
    return T.trap_rows(sandbox.world("production"))


def _local(instant: datetime) -> datetime:
    return instant.astimezone(NEW_YORK)


def _month(day: date) -> tuple[str, str]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1).isoformat(), day.replace(day=last).isoformat()


def _run(st: Connection, name: str, period: tuple[str, str]) -> recipes.Reconciliation:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check = recipes.get(name).run(st, period).reconcile()
    assert check.ok
    return check


def test_every_kind_of_trap_is_planted_in_every_month_of_the_shared_history(planted: pl.DataFrame) -> None:
    counts = dict(planted.group_by("kind").len().iter_rows())
    months = counts["midnight_job"]
    assert months >= 20  # about two years of organic history, first and refresh months excepted
    assert counts["late_invoice"] == counts["early_invoice"] == counts["adjustment_invoice"] == months
    assert 0 < counts["inactive_job"] <= months


def test_traps_are_the_same_in_both_environments(sandbox: Sandbox, planted: pl.DataFrame) -> None:
    assert T.trap_rows(sandbox.world("integration")).equals(planted)


def test_the_planted_records_look_as_documented(sandbox: Sandbox, planted: pl.DataFrame) -> None:
    world = sandbox.world("production")
    invoices = world.invoices().select(
        "id", "invoiceDate", "adjustmentToId", "active", pl.col("job").struct.field("id").alias("job_id")
    )
    jobs = world.jobs().select("id", "completedOn", "active")
    done = dict(zip(jobs["id"].to_list(), jobs["completedOn"].to_list(), strict=True))
    for row in planted.filter(pl.col("kind").is_in(["late_invoice", "early_invoice"])).iter_rows(named=True):
        dated = invoices.filter(pl.col("id") == row["invoice_id"])["invoiceDate"].item()
        completed = done[row["job_id"]]
        days = T.LATE_INVOICE_DAYS if row["kind"] == "late_invoice" else -T.EARLY_INVOICE_DAYS
        assert dated - completed == timedelta(days=days)
        assert _local(dated).month != _local(completed).month  # another period than the job's completion
    for row in planted.filter(pl.col("kind") == "adjustment_invoice").iter_rows(named=True):
        adjustment = invoices.filter(pl.col("id") == row["invoice_id"]).row(0, named=True)
        original = invoices.filter(pl.col("id") == adjustment["adjustmentToId"]).row(0, named=True)
        assert adjustment["job_id"] == original["job_id"] == row["job_id"] and adjustment["active"]
        assert _local(adjustment["invoiceDate"]).day == 10
    appointments = world.appointments()
    for row in planted.filter(pl.col("kind") == "midnight_job").iter_rows(named=True):
        visit = appointments.filter(pl.col("jobId") == row["job_id"]).row(0, named=True)
        start, end = visit["start"], visit["end"]
        assert _local(start).date() != _local(end).date()  # crosses midnight in the tenant's zone ...
        assert start.astimezone(UTC).date() == end.astimezone(UTC).date()  # ... but not in UTC
        assert _local(end).day == 1 and end - start == timedelta(hours=T.MIDNIGHT_JOB_HOURS)
    for row in planted.filter(pl.col("kind") == "inactive_job").iter_rows(named=True):
        assert not jobs.filter(pl.col("id") == row["job_id"])["active"].item()
        assert invoices.filter(pl.col("job_id") == row["job_id"])["active"].to_list() == [True]


def _trap(planted: pl.DataFrame, kind: str, index: int = 3) -> dict[str, int]:
    return planted.filter(pl.col("kind") == kind).sort("job_id").row(index, named=True)


def test_an_invoice_dated_in_another_period_is_named_date_basis(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    world = sandbox.world("production")
    for kind in ("late_invoice", "early_invoice"):
        trap = _trap(planted, kind)
        completed = world.jobs().filter(pl.col("id") == trap["job_id"])["completedOn"].item()
        check = _run(production, "revenue_by_business_unit", _month(_local(completed).date()))
        rows = check.rows("date basis", figure="CompletedRevenue")
        assert f"invoice {trap['invoice_id']}" in rows["record"].to_list()
        added = rows.filter(pl.col("record") == f"invoice {trap['invoice_id']}")["amount"].item()
        assert added > 0  # counted in the month its job was completed, though dated in another one


def test_an_adjustment_invoice_is_named_and_kept_out_of_completed_revenue(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    trap = _trap(planted, "adjustment_invoice")
    dated = (
        sandbox.world("production")
        .invoices()
        .filter(pl.col("id") == trap["invoice_id"])["invoiceDate"]
        .item()
    )
    check = _run(production, "revenue_by_business_unit", _month(_local(dated).date()))
    record = f"invoice {trap['invoice_id']}"
    assert record in check.rows("adjustments", figure="CompletedRevenue")["record"].to_list()
    totals = check.totals().filter(pl.col("figure") == "AdjustmentRevenue")
    assert totals["report"].item() > 0 and totals["recipe"].item() == totals["report"].item()


def test_an_inactive_job_is_named_inactive_records(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    trap = _trap(planted, "inactive_job", 0)
    world = sandbox.world("production")
    completed = world.jobs().filter(pl.col("id") == trap["job_id"])["completedOn"].item()
    invoice = world.invoices().filter(pl.col("job").struct.field("id") == trap["job_id"])["id"].item()
    check = _run(production, "revenue_by_business_unit", _month(_local(completed).date()))
    rows = check.rows("inactive records", figure="TotalRevenue")
    assert f"invoice {invoice}" in rows["record"].to_list()
    assert rows.filter(pl.col("record") == f"invoice {invoice}")["amount"].item() < 0


def test_a_job_across_local_midnight_is_split_there_and_named_time_zone(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    trap = _trap(planted, "midnight_job")
    visit = (
        sandbox.world("production")
        .appointments()
        .filter(pl.col("jobId") == trap["job_id"])
        .row(0, named=True)
    )
    last_day = _local(visit["start"]).date()
    before = _run(production, "technician_utilization", _month(last_day))
    after = _run(production, "technician_utilization", _month(last_day + timedelta(days=1)))
    record = f"appointment {visit['id']}"
    local_before = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=NEW_YORK)
    expected = (local_before - visit["start"]).total_seconds() / 3600
    moved = before.rows("time zone", figure="BookedHours").filter(pl.col("record") == record)["amount"]
    assert moved.to_list() and moved.sum() == pytest.approx(expected * moved.len())
    back = after.rows("time zone", figure="BookedHours").filter(pl.col("record") == record)["amount"]
    assert back.to_list() and back.sum() == pytest.approx(-expected * back.len())


def test_payments_applied_after_the_period_keep_balances_open(
    production: Connection, sandbox: Sandbox
) -> None:
    check = _run(production, "receivables_aging", ("2026-06-01", "2026-06-30"))
    rows = check.rows("payments after the period", figure="Total")
    assert rows.height > 0 and (rows["amount"] > 0).all()
    payments = sandbox.world("production").payments()
    end = datetime(2026, 7, 1, tzinfo=NEW_YORK).astimezone(UTC)
    paid_later = (
        payments.filter(pl.col("date") >= end)
        .select(pl.col("appliedTo").list.first().struct.field("appliedTo").alias("invoice"))["invoice"]
        .to_list()
    )
    ids = [int(r.removeprefix("invoice ")) for r in rows["record"].to_list()]
    assert set(ids) <= set(paid_later)
    totals = check.totals().filter(pl.col("figure") == "Total").row(0, named=True)
    assert totals["report"] == pytest.approx(
        totals["baseline"] + totals["time zone"] + totals["payments after the period"]
    )


def test_membership_active_flag_is_not_status(production: Connection) -> None:
    check = _run(production, "membership_retention", ("2026-06-01", "2026-06-30"))
    rows = check.rows("inactive records", figure="ActiveAtEnd")
    assert rows.height > 0 and set(rows["amount"].to_list()) == {-1.0}
    assert all("status Active" not in d for d in rows["detail"].to_list())


def test_a_non_job_invoice_counts_as_non_job_revenue(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    trap = _trap(planted, "non_job_invoice")
    invoice = (
        sandbox.world("production").invoices().filter(pl.col("id") == trap["invoice_id"]).row(0, named=True)
    )
    assert invoice["job"] is None and invoice["adjustmentToId"] is None and trap["job_id"] is None
    check = _run(production, "revenue_by_business_unit", _month(_local(invoice["invoiceDate"]).date()))
    record = f"invoice {trap['invoice_id']}"
    assert record in check.rows("non-job invoices", figure="CompletedRevenue")["record"].to_list()
    totals = check.totals().filter(pl.col("figure") == "NonJobRevenue").row(0, named=True)
    assert totals["report"] == totals["recipe"] == T.NON_JOB_CENTS / 100


def test_an_item_posted_to_another_unit_is_named_business_unit_attribution(
    production: Connection, sandbox: Sandbox, planted: pl.DataFrame
) -> None:
    trap = _trap(planted, "adjustment_invoice")
    invoice = (
        sandbox.world("production").invoices().filter(pl.col("id") == trap["invoice_id"]).row(0, named=True)
    )
    item_units = {item["businessUnit"]["id"] for item in invoice["items"]}
    assert invoice["businessUnit"]["id"] not in item_units
    check = _run(production, "revenue_by_business_unit", _month(_local(invoice["invoiceDate"]).date()))
    rows = check.rows("business unit attribution", figure="AdjustmentRevenue")
    moved = rows.filter(pl.col("record") == f"invoice {trap['invoice_id']}")
    # each item moves out of the invoice's unit and into its own: two rows per item, netting to zero
    assert moved["amount"].sum() == pytest.approx(0, abs=1e-6) and moved.height == 2 * len(invoice["items"])
    assert set(moved["key"].to_list()) == {invoice["businessUnit"]["id"], *item_units}
