"""Demo apps, tenants and credentials, all derived from the seed in the shapes real ones have.

A ServiceTitan app has one app key (`ak1.` + 25 chars, shared by environments and tenants), a short
public id, and a set of API scopes; each tenant connected to it gets a client id/secret pair per
environment (`cid.` + 25 chars, `cs1.` + 50 chars). Tenant ids are 9-10 digit integers.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from stnb.sandbox.planted import SCOPE_DENIALS

__all__ = [
    "ALL_MODULES",
    "ENVIRONMENTS",
    "TENANT_PROFILES",
    "SandboxApp",
    "SandboxCredentials",
    "SandboxTenant",
    "TenantProfile",
    "build_apps",
]

ENVIRONMENTS = ("integration", "production")

# Module slugs of the 24 current API documents; a scope grants one module.
ALL_MODULES = (
    "accounting",
    "crm",
    "customer-interactions",
    "dispatch",
    "equipmentsystems",
    "findings",
    "forms",
    "inventory",
    "jbce",
    "jpm",
    "marketing",
    "marketingads",
    "marketingreputation",
    "memberships",
    "payroll",
    "pricebook",
    "reporting",
    "sales",
    "schedulingpro",
    "service-agreements",
    "settings",
    "taskmanagement",
    "telecom",
    "timesheets",
)

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True, slots=True)
class TenantProfile:
    """A demo company: `size` scales every generated volume relative to the default tenant."""

    key: str
    name: str
    timezone: str
    size: float
    states: tuple[str, ...]


TENANT_PROFILES: tuple[TenantProfile, ...] = (
    TenantProfile("comfort", "Comfort Pros Home Services", "America/New_York", 1.0, ("NY", "NJ", "CT")),
    TenantProfile("pacific", "Pacific Breeze Plumbing & Air", "America/Los_Angeles", 0.25, ("CA", "NV")),
    TenantProfile("prairie", "Prairie Electric & Heating", "America/Chicago", 0.15, ("IL", "WI", "IN")),
)

# (app name, tenant keys it is connected to, modules it was granted)
_APP_SPECS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("Acme Dispatch Board", ("comfort", "pacific", "prairie"), ALL_MODULES),
    (
        "Fleet Insights",
        ("comfort", "pacific"),
        tuple(m for m in ALL_MODULES if m not in ("accounting", "payroll")),
    ),
)


def _mask(secret: str) -> str:
    return f"{secret[:4]}…" if secret else ""


@dataclass(frozen=True, slots=True)
class SandboxCredentials:
    """What a developer copies from the portal for one (app, tenant, environment); the secret is masked."""

    app_key: str
    client_id: str
    client_secret: str = field(repr=False)
    tenant_id: int
    app_name: str
    timezone: str
    env: str

    def __repr__(self) -> str:
        return (
            f"SandboxCredentials(env={self.env!r}, app_name={self.app_name!r}, tenant_id={self.tenant_id}, "
            f"client_id={self.client_id!r}, app_key={_mask(self.app_key)!r}, client_secret='***')"
        )

    __str__ = __repr__


@dataclass(frozen=True, slots=True)
class SandboxTenant:
    """A tenant connected to an app, with the app's credentials for it in each environment."""

    tenant_id: int
    name: str
    timezone: str
    credentials: Mapping[str, SandboxCredentials]
    size: float = 1.0


@dataclass(frozen=True, slots=True)
class SandboxApp:
    """A demo app: name, portal public id, app key, granted API modules and connected tenants."""

    name: str
    public_id: str
    app_key: str = field(repr=False)
    scopes: frozenset[str]
    tenants: tuple[SandboxTenant, ...]

    def scopes_in(self, env: str) -> frozenset[str]:
        """Modules this app may call in an environment (a tenant admin may grant fewer in production)."""
        denied = SCOPE_DENIALS.get(self.name, {}).get(env, ())
        return frozenset(m for m in self.scopes if m not in denied)

    def tenant(self, tenant_id: int) -> SandboxTenant | None:
        return next((t for t in self.tenants if t.tenant_id == tenant_id), None)

    def __repr__(self) -> str:
        tenants = ", ".join(str(t.tenant_id) for t in self.tenants)
        return f"SandboxApp(name={self.name!r}, public_id={self.public_id!r}, tenants=[{tenants}])"


def _digest(seed: int, *parts: str) -> bytes:
    return hashlib.sha256(":".join((str(seed), *parts)).encode()).digest()


def _chars(seed: int, n: int, *parts: str) -> str:
    out: list[str] = []
    block = 0
    while len(out) < n:
        for byte in _digest(seed, *parts, str(block)):
            out.append(_ALPHABET[byte % len(_ALPHABET)])
        block += 1
    return "".join(out[:n])


class DemoIdentities:
    """The demo apps of one seed and their defaults: what a sandbox and a client of a served one share."""

    apps: list[SandboxApp]

    @property
    def default_app(self) -> SandboxApp:
        return self.apps[0]

    @property
    def default_tenant(self) -> SandboxTenant:
        return self.apps[0].tenants[0]

    @property
    def credentials(self) -> dict[str, SandboxCredentials]:
        """Credentials of the default app for the default tenant, per environment."""
        return dict(self.default_tenant.credentials)


def tenant_id_for(seed: int, profile: TenantProfile) -> int:
    """A 9-10 digit tenant id, stable for a (seed, tenant)."""
    value = int.from_bytes(_digest(seed, "tenant", profile.key)[:8], "big")
    return 100_000_000 + value % 3_900_000_000


def build_apps(seed: int) -> list[SandboxApp]:
    """Every demo app with its tenants and per-environment credentials, derived from the seed."""
    profiles = {p.key: p for p in TENANT_PROFILES}
    apps = []
    for name, tenant_keys, modules in _APP_SPECS:
        app_key = "ak1." + _chars(seed, 25, "app-key", name)
        tenants = []
        for key in tenant_keys:
            profile = profiles[key]
            tid = tenant_id_for(seed, profile)
            creds = {
                env: SandboxCredentials(
                    app_key=app_key,
                    client_id="cid." + _chars(seed, 25, "client-id", name, key, env),
                    client_secret="cs1." + _chars(seed, 50, "client-secret", name, key, env),
                    tenant_id=tid,
                    app_name=name,
                    timezone=profile.timezone,
                    env=env,
                )
                for env in ENVIRONMENTS
            }
            tenants.append(SandboxTenant(tid, profile.name, profile.timezone, creds, profile.size))
        public_id = _chars(seed, 12, "public-id", name)
        apps.append(SandboxApp(name, public_id, app_key, frozenset(modules), tuple(tenants)))
    return apps


def all_credentials(apps: list[SandboxApp]) -> Iterator[tuple[SandboxApp, SandboxTenant, SandboxCredentials]]:
    for app in apps:
        for tenant in app.tenants:
            for creds in tenant.credentials.values():
                yield app, tenant, creds
