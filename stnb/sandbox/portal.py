"""The developer portal's API Usage Report, synthesised for the sandbox's apps: the offline usage source.

The format (header, file names, API and endpoint names, Pacific times) is `stnb.catalog.portal`'s.

The synthetic usage is deterministic for (apps, days, end, seed) and carries: growth, weekly seasonality
(weekdays busier than weekends), a launch (LAUNCH_MODULE's endpoints start on LAUNCH_APP_INDEX's app
LAUNCH_DAYS_BEFORE_END days before `end`, ramping up over LAUNCH_RAMP_DAYS), one incident (the app at
INCIDENT_APP_INDEX makes INCIDENT_FACTOR of its usual calls on the day INCIDENT_DAYS_BEFORE_END days
before `end`), and a churning tenant (the last tenant of the first app makes no calls from
CHURN_DAYS_BEFORE_END days before `end` on). Modules an app may not call in production make no
successful calls, so they never appear.
"""

from __future__ import annotations

import math
import random
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from stnb.catalog import load_catalog
from stnb.catalog.portal import API_NAMES, PACIFIC, PORTAL_HEADER, portal_endpoint_name, report_file_name

__all__ = [
    "CHURN_DAYS_BEFORE_END",
    "INCIDENT_APP_INDEX",
    "INCIDENT_DAYS_BEFORE_END",
    "INCIDENT_FACTOR",
    "LAUNCH_APP_INDEX",
    "LAUNCH_DAYS_BEFORE_END",
    "LAUNCH_MODULE",
    "LAUNCH_RAMP_DAYS",
    "DailyReport",
    "PlantedUsage",
    "PortalApp",
    "PortalEndpoint",
    "PortalTenant",
    "app_endpoints",
    "daily_reports",
    "planted_usage",
    "portal_apps",
    "write_usage_reports",
]

INCIDENT_APP_INDEX = 0
INCIDENT_DAYS_BEFORE_END = 47
INCIDENT_FACTOR = 0.15
LAUNCH_APP_INDEX = 1
LAUNCH_MODULE = "sales"
LAUNCH_DAYS_BEFORE_END = 70
LAUNCH_RAMP_DAYS = 7
CHURN_DAYS_BEFORE_END = 30

# Mon..Sun: field-service offices run lighter on Saturdays and lightest on Sundays.
_WEEKDAY = (1.0, 1.03, 1.02, 1.0, 0.93, 0.45, 0.28)
_TENANT_SIZES = (1.0, 0.4, 0.22, 0.15)

# (catalog resource key, endpoint kind or "METHOD path-suffix" for writes, share of the app's calls)
_Mix = tuple[tuple[str, str, float], ...]
_DISPATCH_MIX: _Mix = (
    ("jpm/jobs", "list", 18),
    ("jpm/jobs", "get", 10),
    ("jpm/appointments", "list", 12),
    ("dispatch/appointment-assignments", "list", 10),
    ("dispatch/technician-shifts", "list", 3),
    ("settings/technicians", "list", 4),
    ("settings/business-units", "list", 1),
    ("crm/customers", "get", 6),
    ("crm/customers", "list", 3),
    ("crm/locations", "get", 5),
    ("telecom/calls", "list", 3),
    ("jpm/job-types", "list", 1),
    ("jpm/jobs", "PATCH /jpm/v2/tenant/{tenant}/jobs/{id}", 2),
    ("jpm/jobs", "POST /jpm/v2/tenant/{tenant}/jobs/{id}/notes", 2),
    ("crm/customers", "POST /crm/v2/tenant/{tenant}/customers", 0.5),
)
_INSIGHTS_MIX: _Mix = (
    ("jpm/jobs", "export", 10),
    ("crm/customers", "export", 6),
    ("crm/locations", "export", 3),
    ("jpm/appointments", "export", 5),
    ("accounting/invoices", "export", 8),
    ("accounting/payments", "export", 4),
    ("telecom/calls", "export", 3),
    ("memberships/memberships", "export", 3),
    ("pricebook/services", "export", 1),
    ("settings/technicians", "export", 1),
    ("equipmentsystems/installed-equipment", "export", 2),
    ("marketing/campaigns", "list", 1),
)
_LAUNCH_MIX: _Mix = (
    ("sales/estimates", "export", 6),
    ("sales/estimates", "list", 3),
    ("sales/estimates", "get", 2),
)
_MIXES = (_DISPATCH_MIX, _INSIGHTS_MIX)
_BASE_CALLS = (30_000.0, 6_000.0, 3_000.0)  # per weekday at the start, for a tenant of size 1
_GROWTH = (0.0025, 0.005, 0.003)  # per day, compounding


@dataclass(frozen=True, slots=True)
class PortalTenant:
    tenant_id: int
    name: str
    size: float


@dataclass(frozen=True, slots=True)
class PortalApp:
    """What the usage report needs about an app: names, tenants and the modules it may call in production."""

    name: str
    public_id: str
    tenants: tuple[PortalTenant, ...]
    modules: frozenset[str] | None  # None: every module


@dataclass(frozen=True, slots=True)
class PortalEndpoint:
    module: str
    api: str
    method: str
    endpoint: str  # as the portal shows it: /tenant/{tenant}/jobs
    weight: float  # relative share of the app's calls
    path: str  # the URL template: /jpm/v2/tenant/{tenant}/jobs
    kind: str  # "list" | "export" | "get" | "write"


@dataclass(frozen=True, slots=True)
class PlantedUsage:
    """Where the planted events fall for a given `end` day and app list (tests assert these)."""

    incident_app: str  # public id
    incident_day: date
    launch_app: str  # public id
    launch_day: date
    churn_tenant: int
    churn_day: date


@dataclass(frozen=True, slots=True)
class DailyReport:
    """One app's report for one Pacific day: the content of one CSV file."""

    app: PortalApp
    day: date
    rows: tuple[tuple[PortalTenant, PortalEndpoint, int], ...]

    @property
    def first_bin(self) -> datetime:
        return datetime.combine(self.day, time(0, 0))

    @property
    def last_bin(self) -> datetime:
        return datetime.combine(self.day, time(23, 0))

    @property
    def file_name(self) -> str:
        return report_file_name(self.app.name, self.app.public_id, self.first_bin, self.last_bin)

    def csv_text(self) -> str:
        """The file's text, exactly as the portal builds it (no quoting, trailing newline)."""
        lines = [",".join(PORTAL_HEADER)]
        for tenant, ep, calls in self.rows:
            fields = (self.app.public_id, tenant.name, str(tenant.tenant_id), ep.api, ep.method, ep.endpoint)
            lines.append(",".join((*fields, str(calls))))
        return "\n".join([*lines, ""])


def portal_apps(sandbox_or_apps: object) -> list[PortalApp]:
    """The apps of a `Sandbox` (its `.apps`) or of a sequence of app-like objects.

    An app needs `name`, `public_id` and `tenants` (each with `tenant_id`, `name`, optionally `size`);
    `scopes_in("production")`, when present, limits the modules it calls (as `SandboxApp` does).
    """
    apps = getattr(sandbox_or_apps, "apps", sandbox_or_apps)
    if not isinstance(apps, Iterable):
        raise TypeError(f"expected a Sandbox or a sequence of apps, got {type(sandbox_or_apps).__name__}")
    out = []
    for app in apps:
        if isinstance(app, PortalApp):
            out.append(app)
            continue
        tenants = tuple(
            PortalTenant(
                int(t.tenant_id),
                str(t.name),
                float(getattr(t, "size", _TENANT_SIZES[min(i, len(_TENANT_SIZES) - 1)])),
            )
            for i, t in enumerate(app.tenants)
        )
        scopes_in = getattr(app, "scopes_in", None)
        modules: Collection[str] | None = scopes_in("production") if callable(scopes_in) else None
        allowed = frozenset(modules) if modules else None
        out.append(PortalApp(str(app.name), str(app.public_id), tenants, allowed))
    if not out:
        raise ValueError("no apps to write usage reports for")
    return out


def _endpoints(mix: _Mix, allowed: frozenset[str] | None) -> list[PortalEndpoint]:
    catalog = load_catalog()
    out = []
    for key, kind, weight in mix:
        resource = catalog.resolve(key)
        if allowed is not None and resource.module not in allowed:
            continue
        if kind in ("list", "export", "get"):
            ep = getattr(resource, kind)
            if ep is None:
                raise LookupError(f"the catalog has no {kind} endpoint for {key}")
            method, path = ep.method, ep.path
        else:
            method, path = kind.split(" ", 1)
            kind = "write"
        module = resource.module
        name = portal_endpoint_name(path)
        out.append(PortalEndpoint(module, API_NAMES[module], method, name, weight, path, kind))
    return out


def app_endpoints(
    index: int, app: PortalApp, *, launched: bool
) -> tuple[list[PortalEndpoint], list[PortalEndpoint]]:
    """The endpoints the app at `index` calls: (regular ones, the launched family or [])."""
    regular = _endpoints(_MIXES[index % len(_MIXES)], app.modules)
    return regular, (_endpoints(_LAUNCH_MIX, app.modules) if launched else [])


def planted_usage(apps: Sequence[PortalApp], end: date) -> PlantedUsage:
    """The planted incident, launch and churn for these apps and this last day."""
    return PlantedUsage(
        incident_app=apps[min(INCIDENT_APP_INDEX, len(apps) - 1)].public_id,
        incident_day=end - timedelta(days=INCIDENT_DAYS_BEFORE_END),
        launch_app=apps[min(LAUNCH_APP_INDEX, len(apps) - 1)].public_id,
        launch_day=end - timedelta(days=LAUNCH_DAYS_BEFORE_END),
        churn_tenant=apps[0].tenants[-1].tenant_id,
        churn_day=end - timedelta(days=CHURN_DAYS_BEFORE_END),
    )


def _bounded_gauss(rng: random.Random) -> float:
    """A standard normal draw cut at +-2: ordinary days stay ordinary, only planted events stand out."""
    return max(-2.0, min(2.0, rng.gauss(0.0, 1.0)))


def _noise(rng: random.Random, spread: float) -> float:
    """A day-to-day factor, uniform within +-`spread`: busy and quiet days, none extreme by chance."""
    return 1.0 + rng.uniform(-spread, spread)


def _yesterday_pacific() -> date:
    return datetime.now(UTC).astimezone(PACIFIC).date() - timedelta(days=1)


def daily_reports(
    sandbox_or_apps: object, *, days: int = 180, end: date | None = None, seed: int = 0
) -> Iterator[DailyReport]:
    """Every app's report for each of the `days` Pacific days ending with `end` (default: yesterday)."""
    if days < 1:
        raise ValueError(f"days must be >= 1, got {days}")
    apps = portal_apps(sandbox_or_apps)
    last = end or _yesterday_pacific()
    first = last - timedelta(days=days - 1)
    planted = planted_usage(apps, last)
    for index, app in enumerate(apps):
        regular, launched = app_endpoints(index, app, launched=app.public_id == planted.launch_app)
        ordered = sorted(regular + launched, key=lambda e: (e.api, e.endpoint, e.method))
        base = _BASE_CALLS[min(index, len(_BASE_CALLS) - 1)]
        growth = _GROWTH[min(index, len(_GROWTH) - 1)]
        total_weight = sum(e.weight for e in regular)
        tenants = sorted(app.tenants, key=lambda t: t.tenant_id)  # the portal lists tenants by id
        for offset in range(days):
            day = first + timedelta(days=offset)
            rng = random.Random(f"stnb-portal:{seed}:{app.public_id}:{day.isoformat()}")
            # Levels are anchored at `end` so a shorter run reproduces the same last days.
            trend = (1 + growth) ** (day - last).days
            level = base * trend * _WEEKDAY[day.weekday()] * _noise(rng, 0.08)
            if app.public_id == planted.incident_app and day == planted.incident_day:
                level *= INCIDENT_FACTOR
            ramp = min(1.0, ((day - planted.launch_day).days + 1) / LAUNCH_RAMP_DAYS)
            rows = []
            for tenant in tenants:
                if tenant.tenant_id == planted.churn_tenant and day >= planted.churn_day:
                    continue
                for ep in ordered:
                    share = ep.weight / total_weight
                    if ep in launched:
                        if ramp <= 0:
                            continue
                        share *= ramp
                    mean = level * tenant.size * share
                    calls = round(mean + math.sqrt(mean) * _bounded_gauss(rng))  # counting noise
                    if calls > 0:
                        rows.append((tenant, ep, calls))
            if rows:  # the portal produces no file for a range without data
                yield DailyReport(app, day, tuple(rows))


def write_usage_reports(
    sandbox_or_apps: object,
    out_dir: str | Path,
    *,
    days: int = 180,
    end: date | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write one portal CSV per app and Pacific day for the last `days` days; returns the files written."""
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for report in daily_reports(sandbox_or_apps, days=days, end=end, seed=seed):
        path = folder / report.file_name
        path.write_text(report.csv_text(), encoding="utf-8", newline="")
        written.append(path)
    return written
