"""The KPI reports `stnb.recipes` reconcile against, computed over the sandbox world
(`stnb.sandbox.kpi_reports`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import polars as pl

from stnb.sandbox import kpi_reports
from stnb.sandbox.reports.model import FROM, TO, UNITS, Compute, Field, Param, Report
from stnb.sandbox.reports.source import ReportSource

__all__ = ["KPI_REPORTS"]


def _on_world(
    compute: Callable[[Any, Mapping[str, Any]], pl.DataFrame], fields: tuple[Field, ...]
) -> Compute:
    """A KPI report's computation over the source's world; no rows when the source has no world."""

    def run(source: ReportSource, params: Mapping[str, Any]) -> pl.DataFrame:
        if source.world is None:
            types = {"Number": pl.Float64, "String": pl.String, "Date": pl.Date}
            return pl.DataFrame(schema={f.name: types.get(f.data_type, pl.String) for f in fields})
        return compute(source.world, params)

    return run


def _kpi(
    category: str,
    report_id: int,
    name: str,
    description: str,
    params: tuple[Param, ...],
    fields: tuple[tuple[str, str, str], ...],
    compute: Callable[[Any, Mapping[str, Any]], pl.DataFrame],
) -> Report:
    declared = tuple(Field(*f) for f in fields)
    return Report(category, report_id, name, description, params, declared, _on_world(compute, declared))


_N, _S = "Number", "String"
# The reports `stnb.recipes` reconcile against (definitions in `stnb.sandbox.kpi_reports`).
KPI_REPORTS: tuple[Report, ...] = (
    _kpi(
        "business-unit-dashboard",
        3170,
        "Business Unit Performance",
        "Completed, non-job, adjustment and total revenue (income items), completed jobs, per business unit.",
        (FROM, TO, UNITS),
        (
            ("BusinessUnitId", "Business Unit ID", _N),
            ("Name", "Business Unit", _S),
            ("CompletedRevenue", "Completed Revenue", _N),
            ("NonJobRevenue", "Non-Job Revenue", _N),
            ("AdjustmentRevenue", "Adjustment Revenue", _N),
            ("TotalRevenue", "Total Revenue", _N),
            ("CompletedJobs", "Completed Jobs", _N),
        ),
        kpi_reports.business_unit_performance,
    ),
    _kpi(
        "technician-dashboard",
        3171,
        "Technician Revenue",
        "Completed revenue per technician, split between the technicians assigned to each job.",
        (FROM, TO, UNITS),
        (
            ("TechnicianId", "Technician ID", _N),
            ("Name", "Technician", _S),
            ("CompletedRevenue", "Completed Revenue", _N),
            ("CompletedJobs", "Completed Jobs", _N),
        ),
        kpi_reports.technician_revenue,
    ),
    _kpi(
        "technician-dashboard",
        3172,
        "Technician Utilization",
        "Hours booked on assigned appointments against available hours, per technician.",
        (FROM, TO, UNITS),
        (
            ("TechnicianId", "Technician ID", _N),
            ("Name", "Technician", _S),
            ("BookedHours", "Booked Hours", _N),
            ("AvailableHours", "Available Hours", _N),
            ("Utilization", "Utilization", _N),
        ),
        kpi_reports.technician_utilization,
    ),
    _kpi(
        "marketing",
        3184,
        "Campaign Performance",
        "Leads and booked leads by call date; completed jobs and revenue by completion date; per campaign.",
        (FROM, TO),
        (
            ("CampaignId", "Campaign ID", _N),
            ("Campaign", "Campaign", _S),
            ("Leads", "Leads", _N),
            ("BookedLeads", "Booked Leads", _N),
            ("CompletedJobs", "Completed Jobs", _N),
            ("CompletedRevenue", "Completed Revenue", _N),
        ),
        kpi_reports.campaign_performance,
    ),
    _kpi(
        "marketing",
        3185,
        "Membership Summary",
        "Memberships active at start and end, new sales, cancellations and expirations per membership type.",
        (FROM, TO),
        (
            ("MembershipTypeId", "Membership Type ID", _N),
            ("MembershipType", "Membership Type", _S),
            ("ActiveAtStart", "Active At Start", _N),
            ("NewSales", "New Sales", _N),
            ("Canceled", "Canceled", _N),
            ("Expired", "Expired", _N),
            ("ActiveAtEnd", "Active At End", _N),
        ),
        kpi_reports.membership_summary,
    ),
    _kpi(
        "accounting",
        3167,
        "AR Aging Summary",
        "Open balances as of a date per business unit, aged by days since the invoice date.",
        (Param("AsOf", "As Of", "Date", required=True), UNITS),
        (
            ("BusinessUnitId", "Business Unit ID", _N),
            ("BusinessUnit", "Business Unit", _S),
            ("Current", "0-30", _N),
            ("Days31To60", "31-60", _N),
            ("Days61To90", "61-90", _N),
            ("Days91To120", "91-120", _N),
            ("Over120", "Over 120", _N),
            ("Total", "Total", _N),
        ),
        kpi_reports.ar_aging_summary,
    ),
)
