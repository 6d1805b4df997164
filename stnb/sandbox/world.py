"""One environment's view of one tenant: the organic history plus what the environment gained since the
refresh (planted records), plus the writes made through this sandbox.

World accessors (for the Reporting API and other consumers; all return polars DataFrames, one row per
record, top-level datetimes as `Datetime("us", "UTC")`; columns whose names start with `_` are internal
and may change):

- `customers()`: id, active, name, type, address{street,unit,city,state,zip,country,latitude,longitude},
  balance, createdOn, modifiedOn, ... (production also has nationalAccount).
- `locations()`: id, customerId, name, address, zoneId, ...
- `jobs()`: id, jobNumber, customerId, locationId, jobStatus, completedOn, businessUnitId, jobTypeId,
  priority, campaignId, soldById, total (float), createdOn, modifiedOn, active, `_subtotal_cents`,
  `_tax_cents` (production also has isAutoDispatched).
- `appointments()`, `appointment_assignments()` (technicianId, technicianName, jobId, appointmentId).
- `invoices()`: id, invoiceDate, total/subTotal/salesTax/balance (money strings), customer{id,name},
  businessUnit{id,name}, job{id,number,type}, items (list of structs), paidOn, active, plus `customerId`,
  `locationId`, `businessUnitId`, `_total_cents`, `_subtotal_cents`, `_tax_cents`, `_paid_cents`.
- `invoice_items()`: one row per item: id, invoiceId, type, skuName, total (money string), `_cents`,
  businessUnit{id,name}, technicianId.
- `payments()`: id, date, type, total, appliedTo[{appliedTo (invoice id), appliedAmount, ...}].
- `business_units()` (id, name, `_trade`), `technicians()` (id, name, businessUnitId, active),
  `employees()` (id, name, role), `job_types()` (id, name, businessUnitIds, class), `campaigns()`
  (id, name, category{id,name,active}), `tag_types()`, `zones()`, `membership_types()`,
  `payment_types()`.
- `calls()`: the list shape (id, jobNumber, businessUnit{...}, type{id,name}, leadCall{id, receivedOn
  (RFC 3339 text), duration ("HH:MM:SS"), callType, direction, campaign{id,name}, customer{id,name,...},
  agent{id,name}}) plus `_received`, `_campaign`, `_customer`, `_job`, `_call_type`, `_seconds`.
- `memberships()`: id, customerId, locationId, membershipTypeId, businessUnitId, soldById, status,
  billingFrequency, from, to, initialDeferredRevenue (float dollars), createdOn, modifiedOn, active.
- `estimates()` (jobId, status{value,name}, soldOn, soldBy, subtotal, items), `installed_equipment()`,
  `leads()`, `bookings()`, `projects()` (jobIds).
- `table(resource_key, kind="list")`: any catalog resource's records as the endpoint sends them
  (e.g. `world.table("telecom/calls")`).

`env`, `tenant_id`, `tenant_name`, `timezone`, `anchor` (the world's now) and `refresh_date` describe it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import polars as pl

from stnb.catalog import Catalog, Resource
from stnb.sandbox import gen_feeds, planted
from stnb.sandbox.history import TenantHistory
from stnb.sandbox.planting import EnvPlan, plan_for
from stnb.sandbox.rng import Draws, pick
from stnb.sandbox.shapes import DATETIME, conform

__all__ = ["RICH_TABLES", "SUB_LISTS", "World", "append_rows", "label_of"]

# Catalog resources backed by a hand-modelled table (catalog key -> history table).
RICH_TABLES: Mapping[str, str] = {
    "crm/customers": "customers",
    "crm/locations": "locations",
    "crm/customers/contacts": "customer_contacts",
    "crm/locations/contacts": "location_contacts",
    "jpm/jobs": "jobs",
    "jpm/appointments": "appointments",
    "jpm/job-notes": "job_notes",
    "dispatch/appointment-assignments": "assignments",
    "settings/business-units": "business_units",
    "settings/technicians": "technicians",
    "settings/employees": "employees",
    "jpm/job-types": "job_types",
    "marketing/campaigns": "campaigns",
    "settings/tag-types": "tag_types",
    "dispatch/zones": "zones",
    "memberships/membership-types": "membership_types",
    "accounting/payment-types": "payment_types",
    "accounting/invoices": "invoices",
    "accounting/invoice-items": "invoice_items",
    "accounting/payments": "payments",
    "telecom/calls": "calls",
    "telecom/v3/calls": "calls",
    "sales/estimates": "estimates",
    "memberships/memberships": "memberships",
    "pricebook/categories": "pricebook_categories",
    "pricebook/services": "pricebook_services",
    "pricebook/materials": "pricebook_materials",
    "pricebook/equipment": "pricebook_equipment",
    "equipmentsystems/installed-equipment": "installed_equipment",
    "crm/leads": "leads",
    "crm/bookings": "bookings",
    "jpm/projects": "projects",
    "jpm/job-history": "job_history",
    "jpm/job-canceled-logs": "job_canceled_logs",
    "memberships/membership-status-changes": "membership_status_changes",
    "marketingreputation/reviews": "reviews",
}

# Feeds derived from jobs: the jobs an environment gained after the refresh bring their entries.
_JOB_FEEDS = ("job_history", "job_canceled_logs")

# Endpoints whose records have another shape than the resource's list (same records, other table).
KIND_TABLES: Mapping[tuple[str, str], str] = {("telecom/calls", "export"): "calls_export"}

# Sub-lists served from another resource's records: key -> (resource key, column holding the parent id).
SUB_LISTS: Mapping[str, tuple[str, str]] = {
    "crm/customers/{id}/contacts": ("crm/customers/contacts", "customerId"),
    "crm/locations/{id}/contacts": ("crm/locations/contacts", "locationId"),
    "jpm/jobs/{id}/notes": ("jpm/job-notes", "jobId"),
    "jpm/jobs/{id}/canceled-log": ("jpm/job-canceled-logs", "jobId"),
    "memberships/memberships/{id}/status-changes": ("memberships/membership-status-changes", "membershipId"),
}

# Where placeholder `...Id` fields of generic records point (field name -> history table).
_POOL_TABLES: Mapping[str, str] = {
    "customerId": "customers",
    "locationId": "locations",
    "jobId": "jobs",
    "appointmentId": "appointments",
    "invoiceId": "invoices",
    "technicianId": "technicians",
    "businessUnitId": "business_units",
    "employeeId": "employees",
    "createdById": "employees",
    "modifiedById": "employees",
    "soldById": "technicians",
    "campaignId": "campaigns",
    "jobTypeId": "job_types",
    "zoneId": "zones",
    "tagTypeId": "tag_types",
    "membershipTypeId": "membership_types",
    "paymentTypeId": "payment_types",
    "projectId": "projects",
    "estimateId": "estimates",
    "membershipId": "memberships",
    "leadId": "leads",
    "bookingId": "bookings",
    "callId": "calls",
    "installedEquipmentId": "installed_equipment",
}
_POOL_LIMIT = 2000


class _Pools(Mapping[str, list[int]]):
    """Id pools built only when a placeholder asks for one.

    Pools hold only records from before the refresh (the organic history both environments share), so
    generated references are identical in integration and production.
    """

    def __init__(self, world: World) -> None:
        self._world = world
        self._cache: dict[str, list[int]] = {}

    def __getitem__(self, name: str) -> list[int]:
        if name not in _POOL_TABLES:
            raise KeyError(name)
        if name not in self._cache:
            ids = self._world.history.get(_POOL_TABLES[name])["id"]
            step = max(1, len(ids) // _POOL_LIMIT)
            self._cache[name] = ids.gather_every(step).to_list()
        return self._cache[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_POOL_TABLES)

    def __len__(self) -> int:
        return len(_POOL_TABLES)


class World:
    """The records of one tenant in one environment; see the module docstring for the accessors."""

    def __init__(self, history: TenantHistory, env: str, catalog: Catalog, tenant_name: str) -> None:
        self.history = history
        self.env = env
        self.catalog = catalog
        self.tenant_name = tenant_name
        self._lock = threading.RLock()
        self.write_lock = threading.Lock()  # writes read, change and swap tables: one at a time
        self._plan: EnvPlan | None = None
        self._bases: dict[str, pl.DataFrame] = {}
        self._versions: dict[str, int] = {}
        self._conformed: dict[tuple[str, str], tuple[int, pl.DataFrame]] = {}
        self._pools = _Pools(self)

    @property
    def tenant_id(self) -> int:
        return self.history.ctx.tenant_id

    @property
    def timezone(self) -> str:
        return self.history.ctx.profile.timezone

    @property
    def anchor(self) -> datetime:
        return self.history.ctx.anchor

    @property
    def refresh_date(self) -> datetime:
        return self.history.ctx.refresh

    # --- tables -------------------------------------------------------------------------------------

    def plan(self) -> EnvPlan:
        with self._lock:
            if self._plan is None:
                self._plan = plan_for(self.history, self.env)
            return self._plan

    def base(self, table: str) -> pl.DataFrame:
        """An internal table as this environment holds it (organic + planted + writes)."""
        frame = self._bases.get(table)
        if frame is not None:
            return frame
        with self._lock:
            frame = self._bases.get(table)
            if frame is None:
                frame = self._env_table(table)
                self._bases[table] = frame
            return frame

    def replace(self, table: str, frame: pl.DataFrame) -> None:
        """Swap in a table after a write (readers holding the old frame keep a consistent snapshot)."""
        with self._lock:
            self._bases[table] = frame
            self._versions[table] = self._versions.get(table, 0) + 1

    def version(self, table: str) -> int:
        return self._versions.get(table, 0)

    @property
    def pools(self) -> Mapping[str, list[int]]:
        """Ids that placeholder `...Id` fields draw from (records that exist before the refresh)."""
        return self._pools

    def _env_table(self, table: str) -> pl.DataFrame:
        if table == "job_canceled_logs" and not self.history.cancel_reason_ids:
            reasons = self.table("jpm/job-cancel-reasons")
            self.history.cancel_reason_ids = reasons.filter(pl.col("active"))["id"].to_list()
        organic = self.history.get(table)
        plan = (
            self.plan() if table in ("customers", "locations", "jobs", "appointments", "invoices") else None
        )
        frame = organic
        if plan is not None and table == "customers" and plan.customer_changes:
            frame = _apply_customer_changes(frame, plan.customer_changes)
        if plan is not None and plan.rows(table):
            frame = append_rows(frame, plan.rows(table))
        if table in _JOB_FEEDS:
            frame = self._with_new_jobs(table, frame)
        if self.env == "production":
            frame = _production_fields(frame, table, self.history)
        return frame

    def _with_new_jobs(self, table: str, organic: pl.DataFrame) -> pl.DataFrame:
        """A job feed plus the entries of the jobs this environment gained after the refresh."""
        jobs = self.base("jobs")
        new = jobs.filter(~pl.col("id").is_in(self.history.get("jobs")["id"].implode()))
        if new.height == 0:
            return organic
        ctx = self.history.ctx
        if table == "job_history":
            extra = gen_feeds.job_history(ctx, new, self.base("appointments"))
        else:
            extra = gen_feeds.job_canceled_logs(ctx, new, self.history.cancel_reason_ids)
        return pl.concat([organic, extra.select(organic.columns)], how="vertical")

    def resource_frame(self, resource: Resource, kind: str) -> pl.DataFrame:
        """Records of a catalog resource with every field its endpoint of `kind` sends."""
        key = resource.key
        fields = dict(resource.fields_for(kind))  # type: ignore[arg-type]
        for extra in planted.PRODUCTION_ONLY_FIELDS.get(key, ()):
            if self.env == "production":
                fields.setdefault(extra, "bool")
            else:
                fields.pop(extra, None)  # the integration copy predates these fields
        source_key, _parent_col = SUB_LISTS.get(key, (key, ""))
        table = KIND_TABLES.get((source_key, kind)) or RICH_TABLES.get(source_key)
        cache_key = (key, kind if resource.endpoint(kind).fields is not None else "*")  # type: ignore[arg-type]
        version = self.version(table) if table else 0
        cached = self._conformed.get(cache_key)
        if cached is not None and cached[0] == version:
            return cached[1]
        with self._lock:
            if table is not None:
                base = self.base(table)
            else:
                base = self.history.generic(resource, self._parent_ids(resource))
            ctx = self.history.ctx
            frame = conform(
                base,
                fields,
                ctx.draws("conform", key),
                label=label_of(resource),
                start=ctx.start,
                end=ctx.refresh,
                pools=self._pools,
            )
            frame = _documented_values(frame, resource, ctx.draws("int-enums", key))
            self._conformed[cache_key] = (version, frame)
            return frame

    def _parent_ids(self, resource: Resource) -> list[int] | list[str] | None:
        """Ids of the records a sub-list hangs under: its innermost parent resource's, when known."""
        endpoint = resource.list or resource.export or resource.get
        if endpoint is None or endpoint.parent_param is None:
            return None
        inner = resource.key.rsplit("/{id}", 1)[0]  # crm/contacts/{id}/contact-methods
        literal = f"{resource.module}/{inner.rsplit('/', 1)[-1]}"  # crm/contact-methods
        outer = resource.key.split("/{", 1)[0]  # crm/contacts
        for parent_key in dict.fromkeys((inner, literal, outer)):
            if parent_key in RICH_TABLES:
                return list(self.history.get(RICH_TABLES[parent_key])["id"].head(40).to_list())
            try:
                parent = self.catalog.resolve(parent_key)
            except LookupError:
                continue
            if parent.key == resource.key or (parent.list or parent.get) is None:
                continue
            frame = self.resource_frame(parent, "list" if parent.list else "get")
            return list(frame["id"].head(40).to_list())
        return [1, 2, 3]

    def table(self, key: str, kind: str = "list") -> pl.DataFrame:
        """Any catalog resource's records with the fields its `kind` endpoint sends."""
        return self.resource_frame(self.catalog.resolve(key), kind)

    # --- accessors ----------------------------------------------------------------------------------

    def customers(self) -> pl.DataFrame:
        return self.base("customers")

    def locations(self) -> pl.DataFrame:
        return self.base("locations")

    def jobs(self) -> pl.DataFrame:
        return self.base("jobs")

    def appointments(self) -> pl.DataFrame:
        return self.base("appointments")

    def appointment_assignments(self) -> pl.DataFrame:
        return self.base("assignments")

    def invoices(self) -> pl.DataFrame:
        return self.base("invoices")

    def invoice_items(self) -> pl.DataFrame:
        return self.base("invoice_items")

    def payments(self) -> pl.DataFrame:
        return self.base("payments")

    def business_units(self) -> pl.DataFrame:
        return self.base("business_units")

    def technicians(self) -> pl.DataFrame:
        return self.base("technicians")

    def employees(self) -> pl.DataFrame:
        return self.base("employees")

    def job_types(self) -> pl.DataFrame:
        return self.base("job_types")

    def campaigns(self) -> pl.DataFrame:
        return self.base("campaigns")

    def tag_types(self) -> pl.DataFrame:
        return self.base("tag_types")

    def zones(self) -> pl.DataFrame:
        return self.base("zones")

    def membership_types(self) -> pl.DataFrame:
        return self.base("membership_types")

    def payment_types(self) -> pl.DataFrame:
        return self.base("payment_types")

    def calls(self) -> pl.DataFrame:
        return self.base("calls")

    def memberships(self) -> pl.DataFrame:
        return self.base("memberships")

    def estimates(self) -> pl.DataFrame:
        return self.base("estimates")

    def installed_equipment(self) -> pl.DataFrame:
        return self.base("installed_equipment")

    def leads(self) -> pl.DataFrame:
        return self.base("leads")

    def bookings(self) -> pl.DataFrame:
        return self.base("bookings")

    def projects(self) -> pl.DataFrame:
        return self.base("projects")

    def job_history(self) -> pl.DataFrame:
        """One row per job: jobId, history (events: id, employeeId, eventType, date, usedSchedulingTool,
        memo), `_changedOn` (the last event). Jobs created in this environment after the refresh get
        theirs from the same rules."""
        return self.base("job_history")

    def job_canceled_logs(self) -> pl.DataFrame:
        return self.base("job_canceled_logs")

    def membership_status_changes(self) -> pl.DataFrame:
        return self.base("membership_status_changes")


def _documented_values(frame: pl.DataFrame, resource: Resource, draws: Draws) -> pl.DataFrame:
    """Integer fields whose document lists their values hold one of those values."""
    exprs = []
    for name, values in resource.int_enums.items():
        if name not in frame.columns or not values:
            continue
        column = pl.col(name)
        row = pl.int_range(0, pl.len(), dtype=pl.Int64)
        chosen = pick(values, draws.index(row, name, len(values))).cast(frame.schema[name])
        exprs.append(pl.when(column.is_in(list(values))).then(column).otherwise(chosen).alias(name))
    return frame.with_columns(exprs) if exprs else frame


def label_of(resource: Resource) -> str:
    last = resource.name.rsplit("/", 1)[-1].replace("-", " ").strip("{}")
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith("s") and not last.endswith("ss"):
        last = last[:-1]
    return last.title()


def append_rows(frame: pl.DataFrame, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """`frame` plus rows given as dicts (missing columns null, unknown keys ignored), without copying it."""
    columns = set(frame.columns)
    known = [{k: v for k, v in row.items() if k in columns} for row in rows]
    extra = pl.DataFrame(known, schema=frame.schema)
    return pl.concat([frame, extra], how="vertical")


def _apply_customer_changes(frame: pl.DataFrame, changes: Mapping[int, Mapping[str, Any]]) -> pl.DataFrame:
    """Production's edits after the refresh: new names/addresses, deactivations, later modifiedOn."""
    rows = []
    for customer_id, change in changes.items():
        rows.append({"id": customer_id, **{f"_new_{k}": v for k, v in change.items()}})
    schema: dict[str, pl.DataType] = {"id": pl.Int64()}
    for name in ("name", "address", "active", "modifiedOn"):
        schema[f"_new_{name}"] = frame.schema[name] if name != "modifiedOn" else DATETIME
    updates = pl.DataFrame(rows, schema=schema)
    joined = frame.join(updates, on="id", how="left", maintain_order="left")
    return joined.with_columns(
        name=pl.coalesce("_new_name", "name"),
        address=pl.coalesce("_new_address", "address"),
        active=pl.coalesce("_new_active", "active"),
        modifiedOn=pl.coalesce("_new_modifiedOn", "modifiedOn"),
    ).drop([c for c in schema if c != "id"])


def _production_fields(frame: pl.DataFrame, table: str, history: TenantHistory) -> pl.DataFrame:
    """Fields production carries and the integration copy lacks (see planted.PRODUCTION_ONLY_FIELDS)."""
    d = history.ctx.draws("production-fields", table)
    key = pl.col("id")
    if table == "customers":
        national = pl.col("type").is_in(["Commercial", "Multifamily"]) & d.bernoulli(key, "national", 0.2)
        return frame.with_columns(nationalAccount=national)
    if table == "jobs":
        recent = pl.col("createdOn") >= pl.lit(history.ctx.start).dt.cast_time_unit("us") + pl.duration(
            days=365
        )
        return frame.with_columns(isAutoDispatched=recent & d.bernoulli(key, "auto", 0.35))
    return frame
