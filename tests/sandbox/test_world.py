"""The demo world: determinism, referential integrity, time, seasonality, money, volumes, laziness."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox
from stnb.sandbox.gen_base import CUSTOMERS_BASE, JOBS_BASE, GenContext
from stnb.sandbox.identity import TENANT_PROFILES
from stnb.sandbox.world import World

from .conftest import ANCHOR, make_api

PATHS = (
    "/crm/v2/tenant/{tenant}/customers?pageSize=200&active=Any",
    "/jpm/v2/tenant/{tenant}/export/jobs",
    "/accounting/v2/tenant/{tenant}/invoices?pageSize=100&page=3",
    "/telecom/v2/tenant/{tenant}/calls?pageSize=50",
    "/inventory/v2/tenant/{tenant}/vendors?pageSize=20",
    "/memberships/v2/tenant/{tenant}/memberships?pageSize=50&active=Any",
)


def _bodies(sandbox: Sandbox, env: str) -> list[bytes]:
    api = make_api("embedded", sandbox, None)
    creds = sandbox.credentials[env]
    out = []
    for path in PATHS:
        response = api.client.get(api.url(path, creds), headers=api.headers(creds))
        assert response.status_code == 200, response.text
        out.append(response.content)
    return out


@pytest.mark.parametrize("env", ["integration", "production"])
def test_same_seed_scale_and_anchor_give_byte_identical_responses(env: str) -> None:
    first = _bodies(Sandbox(seed=4, scale=0.2, anchor=ANCHOR, rate_limit=0), env)
    second = _bodies(Sandbox(seed=4, scale=0.2, anchor=ANCHOR, rate_limit=0), env)
    other = _bodies(Sandbox(seed=5, scale=0.2, anchor=ANCHOR, rate_limit=0), env)
    assert first == second
    assert all(a != b for a, b in zip(first, other, strict=True))


def test_anchor_defaults_to_today_so_data_looks_recent() -> None:
    sandbox = Sandbox(rate_limit=0)
    today = datetime.now(UTC).date()
    assert sandbox.anchor == datetime(today.year, today.month, today.day, tzinfo=UTC)
    clocked = Sandbox(clock=FakeClock(datetime(2026, 3, 9, 17, 30, tzinfo=UTC)))
    assert clocked.anchor == datetime(2026, 3, 9, tzinfo=UTC)
    newest = sandbox.world("production").customers()["createdOn"].max()
    assert isinstance(newest, datetime) and sandbox.anchor - newest < timedelta(days=30)


@pytest.fixture(scope="module", params=["integration", "production"])
def world(request: pytest.FixtureRequest, sandbox: Sandbox) -> World:
    return sandbox.world(request.param)


def _missing(child: pl.Series, parent: pl.Series) -> int:
    values = child.drop_nulls()
    return int((~values.is_in(parent.implode())).sum())


def test_references_point_at_existing_records(world: World) -> None:
    customers, locations, jobs = world.customers()["id"], world.locations()["id"], world.jobs()
    invoices, appointments = world.invoices(), world.appointments()
    technicians = world.technicians()["id"]
    assert _missing(world.locations()["customerId"], customers) == 0
    assert _missing(jobs["customerId"], customers) == 0
    assert _missing(jobs["locationId"], locations) == 0
    assert _missing(jobs["invoiceId"], invoices["id"]) == 0
    assert _missing(jobs["firstAppointmentId"], appointments["id"]) == 0
    assert _missing(jobs["lastAppointmentId"], appointments["id"]) == 0
    assert _missing(jobs["businessUnitId"], world.business_units()["id"]) == 0
    assert _missing(jobs["jobTypeId"], world.job_types()["id"]) == 0
    assert _missing(jobs["campaignId"], world.campaigns()["id"]) == 0
    assert _missing(jobs["soldById"], technicians) == 0
    assert _missing(jobs["projectId"], world.projects()["id"]) == 0
    assert _missing(appointments["jobId"], jobs["id"]) == 0
    assert _missing(invoices["job"].struct.field("id"), jobs["id"]) == 0
    assert _missing(invoices["customer"].struct.field("id"), customers) == 0
    applied = world.payments()["appliedTo"].explode().struct.field("appliedTo")
    assert _missing(applied, invoices["id"]) == 0
    assignments = world.appointment_assignments()
    assert _missing(assignments["technicianId"], technicians) == 0
    assert _missing(assignments["appointmentId"], appointments["id"]) == 0
    assert _missing(world.calls()["_job"], jobs["id"]) == 0
    assert _missing(world.calls()["_customer"], customers) == 0
    assert _missing(world.estimates()["jobId"], jobs["id"]) == 0
    assert _missing(world.memberships()["customerId"], customers) == 0
    assert _missing(world.installed_equipment()["locationId"], locations) == 0
    assert _missing(world.projects()["jobIds"].explode(), jobs["id"]) == 0
    assert _missing(world.invoice_items()["invoiceId"], invoices["id"]) == 0


def test_modified_on_is_never_before_created_on(world: World) -> None:
    tables = ("customers", "locations", "jobs", "appointments", "invoices", "payments", "calls", "estimates")
    tables += ("memberships", "installed_equipment", "leads", "bookings", "projects", "technicians")
    for name in tables:
        frame = world.base(name)
        bad = frame.filter(pl.col("modifiedOn") < pl.col("createdOn")).height
        assert bad == 0, name


def test_two_years_of_history_before_the_anchor(world: World) -> None:
    jobs = world.jobs()
    first, last = jobs["createdOn"].min(), jobs["createdOn"].max()
    assert isinstance(first, datetime) and isinstance(last, datetime)
    assert timedelta(days=715) < ANCHOR - first <= timedelta(days=730)
    assert last < ANCHOR
    months = jobs.group_by(pl.col("createdOn").dt.strftime("%Y-%m")).len()
    assert months.height >= 24


def test_hvac_demand_peaks_in_summer_and_plumbing_stays_steady(world: World) -> None:
    units = world.business_units().select(
        pl.col("id").alias("businessUnitId"), pl.col("_trade").alias("trade")
    )
    jobs = world.jobs().join(units, on="businessUnitId")
    by_month = jobs.group_by("trade", pl.col("createdOn").dt.month().alias("month")).len()

    def count(trade: str, month: int) -> int:
        return int(by_month.filter((pl.col("trade") == trade) & (pl.col("month") == month))["len"].sum())

    assert count("HVAC", 7) > 1.6 * count("HVAC", 4)
    assert count("HVAC", 1) > 1.3 * count("HVAC", 4)
    assert count("Plumbing", 7) < 1.3 * count("Plumbing", 4)


def test_every_status_and_inactive_records_are_present(world: World) -> None:
    statuses = set(world.jobs()["jobStatus"].unique())
    assert {"Scheduled", "Dispatched", "InProgress", "Hold", "Completed", "Canceled"} <= statuses
    assert world.customers().filter(~pl.col("active")).height > 0
    assert world.customers()["mergedToId"].drop_nulls().len() > 0
    assert world.jobs().filter(~pl.col("active")).height > 0
    assert {"Active", "Expired", "Canceled"} <= set(world.memberships()["status"].unique())
    appointment_statuses = set(world.appointments()["status"].unique())
    assert {"Done", "Canceled", "Scheduled"} <= appointment_statuses


def test_invoice_money_adds_up(world: World) -> None:
    invoices = world.invoices()

    def cents(column: str) -> pl.Expr:
        whole = pl.col(column).str.split(".").list.first().cast(pl.Int64)
        return whole * 100 + pl.col(column).str.split(".").list.last().cast(pl.Int64)

    checked = invoices.with_columns(
        sub=cents("subTotal"), tax=cents("salesTax"), total=cents("total"), balance=cents("balance")
    )
    assert checked.filter(pl.col("sub") + pl.col("tax") != pl.col("total")).height == 0
    assert checked.filter((pl.col("balance") < 0) | (pl.col("balance") > pl.col("total"))).height == 0
    items = world.invoice_items().group_by("invoiceId").agg(pl.col("_cents").sum().alias("item_cents"))
    joined = checked.join(items, left_on="id", right_on="invoiceId")
    assert joined.height > 1000
    assert joined.filter(pl.col("item_cents") != pl.col("sub")).height == 0
    paid = checked.filter(pl.col("paidOn").is_not_null())
    assert paid.filter(pl.col("balance") != 0).height == 0
    jobs = world.jobs().join(checked.select(pl.col("id").alias("invoiceId"), "total"), on="invoiceId")
    assert jobs.filter((pl.col("total") * 100).round(0).cast(pl.Int64) != pl.col("total_right")).height == 0


def test_default_scale_volumes_and_scale_growth() -> None:
    sandbox = Sandbox(seed=0, anchor=ANCHOR, rate_limit=0)
    world = sandbox.world("integration")
    assert 2500 <= world.customers().height <= 3500
    assert 9500 <= world.jobs().height <= 10500
    tenant = TENANT_PROFILES[0]
    big = GenContext(0, 100.0, ANCHOR, tenant, 1)
    assert big.count(JOBS_BASE) >= 1_000_000 and big.count(CUSTOMERS_BASE) == 300_000
    bigger = Sandbox(seed=0, scale=3, anchor=ANCHOR, rate_limit=0).world("integration")
    organic = bigger.history.get("jobs").height
    assert organic == GenContext(0, 3.0, ANCHOR, tenant, 1).count(JOBS_BASE) == 30_000


def test_construction_is_cheap_and_requests_build_only_what_they_need() -> None:
    sandbox = Sandbox(seed=8, anchor=ANCHOR, rate_limit=0)
    assert sandbox._endpoints is None
    api = make_api("embedded", sandbox, None)
    assert api.get("/crm/v2/tenant/{tenant}/customers", pageSize=5).status_code == 200
    built = sandbox.world("integration").history.built()
    assert "customers" in built and "jobs" not in built and "invoices" not in built


def test_smaller_tenants_have_their_own_smaller_worlds(sandbox: Sandbox) -> None:
    default = sandbox.world("integration").jobs().height
    for tenant in sandbox.default_app.tenants[1:]:
        world = sandbox.world("integration", tenant.tenant_id)
        assert world.timezone == tenant.timezone
        assert world.jobs().height < default
        states = set(world.customers()["address"].struct.field("state").unique())
        assert states.isdisjoint({"NY", "NJ", "CT"})
