"""Demo usage for the sandbox's apps, offline: the portal's usage CSVs plus a matching attempt ledger.

Used by `stnb usage report --demo`, the usage dashboard and the usage notebook; nothing here is real usage.

The portal reports (see `stnb.sandbox.portal`) carry growth, seasonality, a launch, an incident and a
churning tenant. The ledger adds what only the client sees, over the last `ledger_days` days, with
its own planted events (offsets count back from `end`):
- THROTTLE_DAYS_BEFORE_END: the first app's biggest tenant bursts past 60 requests/s: 429s and retries;
- ERROR_DAYS_BEFORE_END: the second app meets an upstream outage: 502/503 for three hours;
- SLOW_EXPORTS_DAYS_BEFORE_END: export endpoints answer about twice as slowly from that day on.
Everything is deterministic for (apps, days, ledger_days, end, seed). The demo ledger stands in for a
real one (its own file, never the user's ledger), so its rows are not flagged as sandbox attempts and
the usage reports count them as they would real traffic.
"""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from stnb._attempts import app_fingerprint
from stnb._ledger.store import INSERT_SQL, connect, ensure_schema, to_us
from stnb.catalog.portal import PACIFIC
from stnb.sandbox import portal as sandbox_portal

__all__ = [
    "ERROR_DAYS_BEFORE_END",
    "SLOW_EXPORTS_DAYS_BEFORE_END",
    "THROTTLE_DAYS_BEFORE_END",
    "DemoUsage",
    "build_demo_usage",
]

THROTTLE_DAYS_BEFORE_END = 9
ERROR_DAYS_BEFORE_END = 16
SLOW_EXPORTS_DAYS_BEFORE_END = 6

_ATTEMPTS_PER_DAY = (1500.0, 800.0, 500.0)  # per weekday, for a tenant of size 1
_WEEKDAY = (1.0, 1.03, 1.02, 1.0, 0.93, 0.45, 0.28)
# Local hour weights: business hours.
_HOURS = (
    0.1,
    0.08,
    0.08,
    0.08,
    0.1,
    0.2,
    0.5,
    0.9,
    1.0,
    1.0,
    1.0,
    1.0,
    0.9,
    1.0,
    1.0,
    1.0,
    0.9,
    0.8,
    0.6,
    0.45,
    0.35,
    0.25,
    0.2,
    0.15,
)
_HOURS_CUM = tuple(itertools.accumulate(_HOURS))
_TOKEN = ("POST", "auth", "/connect/token")
_LATENCY_MS = {"get": 85.0, "list": 160.0, "export": 600.0, "write": 220.0}
_BYTES = {"get": 2_500, "list": 40_000, "export": 350_000, "write": 800}
_BURST = (40, 25, 15)  # the nightly-sync burst per app, requests within one second
_LIMIT = 60


@dataclass(frozen=True, slots=True)
class DemoUsage:
    """Where `build_demo_usage` wrote its files, and the last day they cover."""

    portal_dir: Path
    ledger_path: Path
    end: date


@dataclass(frozen=True, slots=True)
class _App:
    name: str
    fingerprint: str
    index: int
    tenants: tuple[sandbox_portal.PortalTenant, ...]
    timezones: dict[int, str]
    endpoints: tuple[sandbox_portal.PortalEndpoint, ...]


def _apps(sandbox_or_apps: object) -> list[_App]:
    raw = list(getattr(sandbox_or_apps, "apps", sandbox_or_apps))  # type: ignore[call-overload]
    out = []
    for index, (app, portal_app) in enumerate(zip(raw, sandbox_portal.portal_apps(raw), strict=True)):
        key = getattr(app, "app_key", None) or portal_app.public_id
        zones = {int(t.tenant_id): str(getattr(t, "timezone", "America/New_York")) for t in app.tenants}
        regular, launched = sandbox_portal.app_endpoints(index, portal_app, launched=index == 1)
        out.append(
            _App(
                portal_app.name,
                app_fingerprint(key),
                index,
                portal_app.tenants,
                zones,
                tuple(regular + launched),
            )
        )
    return out


class _Rows:
    """Accumulates ledger rows as SQLite-ready tuples (time as epoch microseconds)."""

    def __init__(self) -> None:
        self.rows: list[tuple[object, ...]] = []

    def add(
        self,
        at: datetime,
        env: str,
        app: _App,
        tenant: int,
        ep: tuple[str, str, str],
        status: int | None,
        latency_ms: float,
        nbytes: int,
        *,
        attempt: int = 1,
        wait_ms: float = 0.0,
        error: str | None = None,
    ) -> None:
        method, module, endpoint = ep
        self.rows.append(
            (
                len(self.rows) + 1,
                to_us(at),
                env,
                app.fingerprint,
                app.name,
                str(tenant),
                method,
                module,
                endpoint,
                status,
                round(latency_ms, 2),
                nbytes,
                attempt,
                round(wait_ms, 2),
                error,
                False,  # sandbox: demo rows stand for real traffic (see the module docstring)
            )
        )


def _outcome(rng: random.Random, error_rate: float, throttle_rate: float) -> tuple[int | None, str | None]:
    roll = rng.random()
    if roll < throttle_rate:
        return 429, "RateLimited"
    roll -= throttle_rate
    if roll < error_rate:
        pick = rng.random()
        if pick < 0.15:
            return None, "ReadTimeout"
        if pick < 0.45:
            return rng.choice((400, 404, 404)), rng.choice(("ValidationError", "NotFound"))
        return rng.choice((500, 502, 503, 503)), "ServerError"
    return 200, None


def _hour_starts(day: date, zone: ZoneInfo) -> list[datetime]:
    return [datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC) for hour in range(24)]


def _calls(
    rows: _Rows,
    rng: random.Random,
    app: _App,
    tenant: int,
    zone: ZoneInfo,
    env: str,
    day: date,
    n: int,
    back: int,
) -> None:
    """`n` ordinary attempts spread over business hours, with errors, 429s and the client's retries."""
    starts = _hour_starts(day, zone)
    cum = list(itertools.accumulate(e.weight for e in app.endpoints))
    outage = app.index == 1 and back == ERROR_DAYS_BEFORE_END and env == "production"
    slow_exports = back <= SLOW_EXPORTS_DAYS_BEFORE_END
    for hour in rng.choices(range(24), cum_weights=_HOURS_CUM, k=n):
        at = starts[hour] + timedelta(seconds=rng.random() * 3600)
        ep = rng.choices(app.endpoints, cum_weights=cum)[0]
        key = (ep.method, ep.module, ep.path)
        in_outage = outage and 14 <= hour < 17
        status, error = _outcome(rng, 0.35 if in_outage else 0.008, 0.002)
        slow = 2.2 if ep.kind == "export" and slow_exports else 1.0
        latency = 30_000.0 if status is None else _LATENCY_MS[ep.kind] * slow * math.exp(rng.gauss(0, 0.45))
        rows.add(
            at, env, app, tenant, key, status, latency, _BYTES[ep.kind] if status == 200 else 300, error=error
        )
        if status is None or status in (429, 500, 502, 503):  # what the client retries
            wait = rng.uniform(500, 2000) if status == 429 else rng.uniform(200, 900)
            again = at + timedelta(milliseconds=latency + wait)
            ok = not (in_outage and rng.random() < 0.5)
            status, size = (200, _BYTES[ep.kind]) if ok else (503, 300)
            rows.add(
                again,
                env,
                app,
                tenant,
                key,
                status,
                latency,
                size,
                attempt=2,
                wait_ms=wait,
                error=None if ok else "ServerError",
            )


def _tokens(
    rows: _Rows, rng: random.Random, app: _App, tenant: int, zone: ZoneInfo, env: str, day: date
) -> None:
    """A token every 15 minutes while the app runs (06:00-22:00 local; tokens last 15 minutes)."""
    start = datetime.combine(day, time(6), tzinfo=zone).astimezone(UTC)
    for quarter in range(64):
        at = start + timedelta(minutes=15 * quarter, seconds=rng.random() * 30)
        rows.add(at, env, app, tenant, _TOKEN, 200, 110 * math.exp(rng.gauss(0, 0.3)), 1200)


def _burst(
    rows: _Rows, rng: random.Random, app: _App, tenant: int, zone: ZoneInfo, day: date, storm: bool
) -> None:
    """The nightly sync: many requests inside one second; on the storm day more than the limit allows."""
    size = 90 if storm else _BURST[min(app.index, len(_BURST) - 1)]
    second = datetime.combine(day, time(2, 0, 5), tzinfo=zone).astimezone(UTC)
    ep = max(app.endpoints, key=lambda e: e.weight)
    key = (ep.method, ep.module, ep.path)
    for i in range(size):
        at = second + timedelta(microseconds=rng.randrange(1_000_000))
        latency = _LATENCY_MS[ep.kind] * math.exp(rng.gauss(0, 0.3))
        if i < _LIMIT:
            rows.add(at, "production", app, tenant, key, 200, latency, _BYTES[ep.kind])
            continue
        rows.add(at, "production", app, tenant, key, 429, 12.0, 300, error="RateLimited")
        wait = rng.uniform(1000, 2000)
        rows.add(
            at + timedelta(milliseconds=wait + 12),
            "production",
            app,
            tenant,
            key,
            200,
            latency,
            _BYTES[ep.kind],
            attempt=2,
            wait_ms=wait,
        )


def _day(rows: _Rows, rng: random.Random, app: _App, day: date, end: date) -> None:
    back = (end - day).days
    per_day = _ATTEMPTS_PER_DAY[min(app.index, len(_ATTEMPTS_PER_DAY) - 1)] * _WEEKDAY[day.weekday()]
    for t_index, tenant in enumerate(app.tenants):
        zone = ZoneInfo(app.timezones.get(tenant.tenant_id, "America/New_York"))
        for env, share in (("production", 0.85), ("integration", 0.15)):
            n = round(per_day * tenant.size * share * (1 + rng.uniform(-0.1, 0.1)))
            _calls(rows, rng, app, tenant.tenant_id, zone, env, day, n, back)
            _tokens(rows, rng, app, tenant.tenant_id, zone, env, day)
        if t_index == 0:
            storm = app.index == 0 and back == THROTTLE_DAYS_BEFORE_END
            _burst(rows, rng, app, tenant.tenant_id, zone, day, storm)


def _ledger_rows(sandbox_or_apps: object, days: int, end: date, seed: int) -> _Rows:
    rows = _Rows()
    for app in _apps(sandbox_or_apps):
        for offset in range(days):
            day = end - timedelta(days=days - 1 - offset)
            rng = random.Random(f"stnb-ledger:{seed}:{app.fingerprint}:{day.isoformat()}")
            _day(rows, rng, app, day, end)
    return rows


def _write_ledger(rows: _Rows, path: Path) -> None:
    for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = connect(path)
    try:
        ensure_schema(conn, path)
        conn.execute("BEGIN")
        conn.executemany(INSERT_SQL, rows.rows)
        conn.execute("COMMIT")
    finally:
        conn.close()


def build_demo_usage(
    out_dir: str | Path,
    *,
    sandbox: object | None = None,
    days: int = 180,
    ledger_days: int = 28,
    end: date | None = None,
    seed: int = 0,
    reuse: bool = False,
) -> DemoUsage:
    """Write the sandbox apps' portal CSVs (under out_dir/portal) and a demo ledger (out_dir/ledger.sqlite3).

    `sandbox`: a `Sandbox` or a list of its apps (default: the apps of a sandbox with this seed); `end`:
    the last day covered (default: yesterday, Pacific time). Rebuilding replaces earlier demo files;
    with `reuse`, files this function wrote earlier for the same days and seed (default sandbox only)
    are kept as they are (a dashboard that opens again starts sooner).
    """
    default_apps = sandbox is None
    if sandbox is None:
        from stnb.sandbox.identity import build_apps

        sandbox = build_apps(seed)
    last = end or (datetime.now(UTC).astimezone(PACIFIC).date() - timedelta(days=1))
    folder = Path(out_dir)
    portal_dir = folder / "portal"
    ledger_path = folder / "ledger.sqlite3"
    stamp = folder / ".stnb-demo"
    built = f"end={last.isoformat()} days={days} ledger_days={ledger_days} seed={seed}\n"
    fresh = stamp.is_file() and stamp.read_text(encoding="utf-8") == built and ledger_path.is_file()
    if reuse and default_apps and fresh and any(portal_dir.glob("*.csv")):
        return DemoUsage(portal_dir, ledger_path, last)
    stamp.unlink(missing_ok=True)
    if portal_dir.exists():
        for old in portal_dir.glob("*.csv"):
            old.unlink()
    sandbox_portal.write_usage_reports(sandbox, portal_dir, days=days, end=last, seed=seed)
    _write_ledger(_ledger_rows(sandbox, ledger_days, last, seed), ledger_path)
    if default_apps:
        stamp.write_text(built, encoding="utf-8")  # written last: a half-built demo is never reused
    return DemoUsage(portal_dir, ledger_path, last)
