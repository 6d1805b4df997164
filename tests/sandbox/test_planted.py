"""The planted differences between integration and production are exactly those in `planted.py`."""

from __future__ import annotations

from datetime import timedelta

import polars as pl
import pytest

from stnb.sandbox import Sandbox, planted
from stnb.sandbox.world import World

from .conftest import ANCHOR, make_api

REFRESH = ANCHOR - timedelta(days=planted.REFRESH_DAYS)


@pytest.fixture(scope="module")
def worlds(sandbox: Sandbox) -> tuple[World, World]:
    return sandbox.world("integration"), sandbox.world("production")


def _after(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.filter(pl.col("createdOn") >= REFRESH)


def test_refresh_date_is_sixty_days_before_the_anchor(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    assert integration.refresh_date == production.refresh_date == REFRESH


def test_records_created_after_the_refresh(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    new_customers = _after(production.customers())
    testers = _after(integration.customers())
    assert new_customers.height == planted.PRODUCTION_NEW_CUSTOMERS == 210
    assert testers.height == planted.INTEGRATION_TEST_CUSTOMERS == 12
    assert all(name.startswith(planted.TEST_NAME_PREFIX) for name in testers["name"])
    assert not any(name.startswith(planted.TEST_NAME_PREFIX) for name in new_customers["name"])
    assert _after(production.jobs()).height == planted.PRODUCTION_NEW_JOBS == 1000
    assert _after(integration.jobs()).height == planted.INTEGRATION_TEST_JOBS == 30
    assert set(testers["id"]).isdisjoint(new_customers["id"])
    assert set(_after(integration.jobs())["id"]).isdisjoint(_after(production.jobs())["id"])
    assert set(_after(integration.jobs())["customerId"]) <= set(testers["id"])


def test_everything_before_the_refresh_is_identical_except_the_edits(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    columns = [c for c in integration.customers().columns if not c.startswith("_")]
    old_i = integration.customers().filter(pl.col("createdOn") < REFRESH).select(columns).sort("id")
    old_p = production.customers().filter(pl.col("createdOn") < REFRESH).select(columns).sort("id")
    assert old_i["id"].to_list() == old_p["id"].to_list()
    changed = old_i.join(old_p, on="id", suffix="_p").filter(
        pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_p")) for c in columns if c != "id"])
    )
    assert (
        changed.height
        == planted.PRODUCTION_MODIFIED_CUSTOMERS + planted.PRODUCTION_DEACTIVATED_CUSTOMERS
        == 35
    )
    assert (changed["modifiedOn_p"] >= REFRESH).all() and (changed["modifiedOn"] < REFRESH).all()
    deactivated = changed.filter(pl.col("active") & ~pl.col("active_p"))
    renamed_or_moved = changed.filter(
        (pl.col("name") != pl.col("name_p")) | (pl.col("address").ne_missing(pl.col("address_p")))
    )
    assert deactivated.height == 10 and renamed_or_moved.height == 25
    assert set(deactivated["id"]).isdisjoint(renamed_or_moved["id"])
    job_columns = [c for c in integration.jobs().columns if not c.startswith("_")]
    old_jobs_i = integration.jobs().filter(pl.col("createdOn") < REFRESH).select(job_columns)
    old_jobs_p = production.jobs().filter(pl.col("createdOn") < REFRESH).select(job_columns)
    assert old_jobs_i.equals(old_jobs_p)


def test_fields_and_enum_values_only_in_production(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    assert "nationalAccount" in production.customers().columns
    assert "nationalAccount" not in integration.customers().columns
    assert "isAutoDispatched" in production.jobs().columns
    assert "isAutoDispatched" not in integration.jobs().columns
    assert (
        production.jobs().filter(pl.col("priority") == "Emergency").height
        == planted.PRODUCTION_EMERGENCY_JOBS
    )
    assert integration.jobs().filter(pl.col("priority") == "Emergency").height == 0
    multifamily = production.customers().filter(pl.col("type") == "Multifamily")
    assert multifamily.height == planted.PRODUCTION_MULTIFAMILY_CUSTOMERS
    assert integration.customers().filter(pl.col("type") == "Multifamily").height == 0


def test_fields_only_in_production_over_http(sandbox: Sandbox) -> None:
    api = make_api("embedded", sandbox, None)
    for env, present in (("integration", False), ("production", True)):
        creds = sandbox.credentials[env]
        customer = api.json("/crm/v2/tenant/{tenant}/customers", creds, pageSize=1)["data"][0]
        job = api.json("/jpm/v2/tenant/{tenant}/export/jobs", creds)["data"][0]
        assert ("nationalAccount" in customer) is present
        assert ("isAutoDispatched" in job) is present


def test_derived_records_and_nothing_else_differ(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    for table, per_customer in (("locations", planted.DERIVED_PER_NEW_CUSTOMER["crm/locations"]),):
        assert production.base(table).height - integration.base(table).height == per_customer * (
            planted.PRODUCTION_NEW_CUSTOMERS - planted.INTEGRATION_TEST_CUSTOMERS
        )
    for table, key in (("appointments", "jpm/appointments"), ("invoices", "accounting/invoices")):
        per_job = planted.DERIVED_PER_NEW_JOB[key]
        assert _after(production.base(table)).height == per_job * planted.PRODUCTION_NEW_JOBS
        assert _after(integration.base(table)).height == per_job * planted.INTEGRATION_TEST_JOBS
    for table in ("payments", "assignments", "calls", "memberships", "estimates", "technicians", "leads"):
        assert production.base(table).equals(integration.base(table)), table


def test_everything_else_answers_identically_in_both_environments(sandbox: Sandbox) -> None:
    api = make_api("embedded", sandbox, None)
    paths = (
        "/dispatch/v2/tenant/{tenant}/appointment-assignments?pageSize=500&active=Any",
        "/accounting/v2/tenant/{tenant}/payments?pageSize=500",
        "/settings/v2/tenant/{tenant}/technicians?active=Any",
        "/inventory/v2/tenant/{tenant}/vendors?pageSize=100",
        "/sales/v2/tenant/{tenant}/estimates?pageSize=300&includeTotal=true",
    )
    for path in paths:
        bodies = []
        for env in ("integration", "production"):
            creds = sandbox.credentials[env]
            bodies.append(api.client.get(api.url(path, creds), headers=api.headers(creds)).content)
        assert bodies[0] == bodies[1], path


def test_planted_counts_scale_with_scale_and_tenant_size() -> None:
    half = Sandbox(seed=3, scale=0.5, anchor=ANCHOR, rate_limit=0)
    assert _after(half.world("production").customers()).height == 105
    assert _after(half.world("integration").jobs()).height == 15
    small_tenant = half.default_app.tenants[1]
    world = half.world("production", small_tenant.tenant_id)
    assert _after(world.customers()).height == planted.planted_count(210, 0.5, small_tenant.size) == 26
    assert planted.planted_count(6, 0.01) == 1


def _created_between(frame: pl.DataFrame, first: object, last: object) -> pl.DataFrame:
    return frame.filter(pl.col("createdOn").is_between(first, last, closed="left"))


def test_production_keeps_the_organic_pace_after_the_refresh(worlds: tuple[World, World]) -> None:
    integration, production = worlds
    window = timedelta(days=planted.REFRESH_DAYS)
    before = _created_between(production.jobs(), REFRESH - window, REFRESH).height
    after = _created_between(production.jobs(), REFRESH, ANCHOR).height
    assert 0.8 < after / before < 1.25
    customers_before = _created_between(production.customers(), REFRESH - window, REFRESH).height
    assert 0.8 < planted.PRODUCTION_NEW_CUSTOMERS / customers_before < 1.25
    last_month = _created_between(production.jobs(), ANCHOR - timedelta(days=30), ANCHOR).height
    assert 0.35 < last_month / after < 0.65  # no collapse at the end of the history
    weekdays = _after(production.jobs())["createdOn"].dt.weekday()
    assert (weekdays == 7).sum() * 3 < (weekdays == 3).sum()  # Sundays stay quiet, as organically
    assert _created_between(integration.jobs(), REFRESH, ANCHOR).height == planted.INTEGRATION_TEST_JOBS


def test_new_jobs_statuses_depend_on_their_age(worlds: tuple[World, World]) -> None:
    _integration, production = worlds
    new_jobs = _after(production.jobs())
    recent = new_jobs.filter(pl.col("createdOn") >= ANCHOR - timedelta(days=3))["jobStatus"]
    older = new_jobs.filter(pl.col("createdOn") < ANCHOR - timedelta(days=30))["jobStatus"]
    assert recent.len() > 10 and older.len() > 100
    open_statuses = recent.is_in(["Scheduled", "Dispatched", "InProgress", "Hold"]).mean()
    assert open_statuses is not None and open_statuses > 0.45
    completed = older.is_in(["Completed"]).mean()
    assert completed is not None and completed > 0.8
    assert set(older) <= {"Completed", "Canceled"}
    invoices = _after(production.invoices()).join(
        new_jobs.select(pl.col("id").alias("_job_id"), "jobStatus"), on="_job_id"
    )
    assert invoices.height == new_jobs.height  # one invoice per new job
    assert (invoices.filter(pl.col("jobStatus") != "Completed")["_total_cents"] == 0).all()
    appointments = _after(production.appointments())
    assert appointments.height == new_jobs.height
    assert (appointments["start"] >= appointments["createdOn"]).all()
