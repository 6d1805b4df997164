"""One tenant's organic history (everything before the refresh date, shared by both environments).

Tables are built on first use and cached; builders ask for the tables they depend on, so a request for
customers never builds jobs. Thread-safe: one re-entrant lock per tenant serialises building.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import polars as pl

from stnb.catalog import Resource
from stnb.sandbox import (
    gen_accounting,
    gen_calls,
    gen_crm,
    gen_feeds,
    gen_jobs,
    gen_leads,
    gen_pricebook,
    gen_reference,
    gen_sales,
    traps,
)
from stnb.sandbox.gen_base import GenContext
from stnb.sandbox.gen_generic import generic_table

__all__ = ["TenantHistory"]

Builder = Callable[["TenantHistory"], pl.DataFrame]


def _sorted_by_id(frame: pl.DataFrame) -> pl.DataFrame:
    """Tables are kept in id order: the lists' default order, and what their paging relies on."""
    if "id" in frame.columns and not frame["id"].is_sorted():
        return frame.sort("id", maintain_order=True)
    return frame


def _ordered(frame: pl.DataFrame, first: list[str]) -> pl.DataFrame:
    """`first` columns (those present) in that order, then the rest as they are."""
    head = [c for c in first if c in frame.columns]
    return frame.select(head + [c for c in frame.columns if c not in head])


INVOICE_ORDER = [
    "id", "syncStatus", "summary", "referenceNumber", "invoiceDate", "dueDate", "subTotal", "salesTax",
    "salesTaxCode", "total", "balance", "invoiceType", "customer", "customerAddress", "location",
    "locationAddress", "businessUnit", "termName", "createdBy", "batch", "depositedOn", "createdOn",
    "modifiedOn", "adjustmentToId", "job", "projectId", "employeeInfo", "commissionEligibilityDate",
    "sentStatus", "reviewStatus", "assignedTo", "items", "customFields", "active", "discountTotal",
    "importId", "exportId", "materialSkuId", "membershipId", "paidOn",
]  # fmt: skip


class TenantHistory:
    """The organic tables of one tenant; `get(name)` builds on first use."""

    def __init__(self, ctx: GenContext) -> None:
        self.ctx = ctx
        self._tables: dict[str, pl.DataFrame] = {}
        self._lock = threading.RLock()
        self.cancel_reason_ids: list[int] = []  # set by the world from jpm/job-cancel-reasons

    def get(self, name: str) -> pl.DataFrame:
        table = self._tables.get(name)
        if table is not None:
            return table
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                table = _sorted_by_id(_BUILDERS[name](self))
                self._tables[name] = table
        return table

    def generic(self, resource: Resource, parent_ids: list[int] | list[str] | None) -> pl.DataFrame:
        name = f"generic:{resource.key}"
        table = self._tables.get(name)
        if table is not None:
            return table
        with self._lock:
            table = self._tables.get(name)
            if table is None:
                table = _sorted_by_id(generic_table(self.ctx, resource, parent_ids))
                self._tables[name] = table
        return table

    def built(self) -> list[str]:
        """Names of the tables built so far."""
        return sorted(self._tables)

    def ids(self, name: str) -> list[int]:
        return self.get(name)["id"].to_list()

    def staff_ids(self, *roles: str) -> list[int]:
        employees = self.get("employees")
        ids = employees.filter(pl.col("role").is_in(roles))["id"].to_list()
        return ids or employees["id"].to_list()

    def job_inputs(self) -> gen_jobs.JobInputs:
        return gen_jobs.JobInputs(
            customers=self.get("customers"),
            locations=self.get("locations"),
            bu_ids=self.ids("business_units"),
            job_type_ids=self.ids("job_types"),
            campaign_ids=self.ids("campaigns"),
            campaign_weights=[w for _n, _c, w in gen_reference.CAMPAIGN_SPECS],
            technicians=self.get("technicians"),
            csr_ids=self.staff_ids("CSR"),
            dispatcher_ids=self.staff_ids("Dispatch"),
        )


def _invoices_base(h: TenantHistory) -> pl.DataFrame:
    frame = gen_accounting.invoices(
        h.ctx,
        h.get("jobs"),
        h.get("customers"),
        h.get("locations"),
        h.get("business_units"),
        h.get("technicians"),
    )
    return traps.plant_invoice_traps(h.ctx, frame, h.get("jobs"))


def _invoices(h: TenantHistory) -> pl.DataFrame:
    frame = gen_accounting.apply_payments(h.get("invoices_base"), h.get("payments"))
    frame = gen_accounting.attach_items(frame, h.get("invoice_items"))
    return _ordered(frame, INVOICE_ORDER)


def _jobs(h: TenantHistory) -> pl.DataFrame:
    inputs = h.job_inputs()
    core = gen_jobs.jobs_core(h.ctx, inputs)
    return traps.plant_job_traps(h.ctx, gen_jobs.jobs_public(h.ctx, core, inputs))


def _calls_base(h: TenantHistory) -> pl.DataFrame:
    return gen_calls.calls(
        h.ctx,
        h.get("jobs"),
        h.get("customers"),
        h.get("locations"),
        h.get("campaigns"),
        h.get("business_units"),
        h.get("job_types"),
        h.staff_ids("CSR"),
    )


_BUILDERS: dict[str, Builder] = {
    "business_units": lambda h: gen_reference.business_units(h.ctx),
    "zones": lambda h: gen_reference.zones(h.ctx, h.ids("business_units")),
    "technicians": lambda h: gen_reference.technicians(h.ctx, h.ids("business_units"), h.ids("zones")),
    "employees": lambda h: gen_reference.employees(h.ctx, h.ids("business_units")),
    "job_types": lambda h: gen_reference.job_types(h.ctx, h.ids("business_units")),
    "campaigns": lambda h: gen_reference.campaigns(h.ctx),
    "tag_types": lambda h: gen_reference.tag_types(h.ctx),
    "membership_types": lambda h: gen_reference.membership_types(h.ctx),
    "payment_types": lambda h: gen_reference.payment_types(h.ctx),
    "customers": lambda h: gen_crm.customers(h.ctx, h.ids("tag_types"), h.staff_ids("CSR")),
    "locations": lambda h: gen_crm.locations(h.ctx, h.get("customers"), h.ids("zones")),
    "customer_contacts": lambda h: gen_crm.customer_contacts(h.ctx, h.get("customers")),
    "location_contacts": lambda h: gen_crm.location_contacts(h.ctx, h.get("locations")),
    "jobs": _jobs,
    "appointments": lambda h: gen_jobs.appointments(h.ctx, h.get("jobs")),
    "assignments": lambda h: gen_jobs.appointment_assignments(
        h.ctx, h.get("appointments"), h.get("jobs"), h.job_inputs()
    ),
    "job_notes": lambda h: gen_jobs.job_notes(h.ctx, h.get("jobs")),
    "invoices_base": _invoices_base,
    "invoices": _invoices,
    "invoice_items": lambda h: traps.plant_item_traps(
        gen_accounting.invoice_items(h.ctx, h.get("invoices_base"), h.ids("pricebook_services")),
        h.get("invoices_base"),
    ),
    "payments": lambda h: gen_accounting.payments(h.ctx, h.get("invoices_base"), h.ids("payment_types")),
    "calls_base": _calls_base,
    "calls": lambda h: gen_calls.calls_list(
        h.get("calls_base"),
        h.get("customers"),
        h.get("campaigns"),
        h.get("business_units"),
        h.get("job_types"),
        h.get("employees"),
    ),
    "calls_export": lambda h: gen_calls.calls_export(
        h.get("calls_base"), h.get("customers"), h.get("locations"), h.get("campaigns"), h.get("employees")
    ),
    "estimates": lambda h: gen_sales.estimates(h.ctx, h.get("jobs"), h.get("business_units")),
    "memberships": lambda h: gen_sales.memberships(
        h.ctx,
        h.get("customers"),
        h.get("locations"),
        h.get("membership_types"),
        h.get("business_units"),
        h.get("technicians"),
        h.staff_ids("CSR"),
    ),
    "pricebook_categories": lambda h: gen_pricebook.categories(h.ctx, h.ids("business_units")),
    "pricebook_services": lambda h: gen_pricebook.services(
        h.ctx, h.ids("pricebook_categories"), h.ids("business_units")
    ),
    "pricebook_materials": lambda h: gen_pricebook.materials(
        h.ctx, h.ids("pricebook_categories"), h.ids("business_units")
    ),
    "pricebook_equipment": lambda h: gen_pricebook.equipment(h.ctx, h.ids("pricebook_categories")),
    "installed_equipment": lambda h: gen_pricebook.installed_equipment(
        h.ctx, h.get("jobs"), h.get("pricebook_equipment")
    ),
    "leads": lambda h: gen_leads.leads(
        h.ctx,
        h.get("customers"),
        h.get("locations"),
        h.ids("campaigns"),
        h.ids("business_units"),
        h.ids("job_types"),
        h.staff_ids("CSR"),
    ),
    "bookings": lambda h: gen_leads.bookings(
        h.ctx, h.get("jobs"), h.ids("campaigns"), h.ids("business_units"), h.ids("job_types")
    ),
    "projects": lambda h: gen_leads.projects(h.ctx, h.get("jobs"), h.get("customers")),
    "job_history": lambda h: gen_feeds.job_history(h.ctx, h.get("jobs"), h.get("appointments")),
    "job_canceled_logs": lambda h: gen_feeds.job_canceled_logs(h.ctx, h.get("jobs"), h.cancel_reason_ids),
    "reviews": lambda h: gen_feeds.reviews(
        h.ctx, h.get("jobs"), h.get("customers"), h.get("technicians"), h.get("assignments")
    ),
    "membership_status_changes": lambda h: gen_feeds.membership_status_changes(
        h.ctx, h.get("memberships"), h.ctx.refresh
    ),
}
