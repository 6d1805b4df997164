"""The sandbox's API Usage Report CSVs: exact format, naming, determinism and the planted events."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from stnb.catalog import load_catalog
from stnb.catalog import portal as portal_format
from stnb.sandbox import portal
from stnb.sandbox.identity import build_apps
from stnb.usage.portal import import_portal_reports, parse_report_file_name

END = date(2026, 11, 27)
SPECS = Path(__file__).resolve().parents[3] / "shared" / "servicetitan-specs"


@pytest.fixture(scope="module")
def apps() -> list[portal.PortalApp]:
    return portal.portal_apps(build_apps(0))


@pytest.fixture(scope="module")
def reports(apps: list[portal.PortalApp]) -> list[portal.DailyReport]:
    return list(portal.daily_reports(apps, end=END))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, apps: list[portal.PortalApp]) -> Path:
    out = tmp_path_factory.mktemp("portal")
    portal.write_usage_reports(apps, out, end=END)
    return out


def _totals(reports: list[portal.DailyReport]) -> dict[tuple[str, date], int]:
    return {(r.app.name, r.day): sum(c for *_, c in r.rows) for r in reports}


def test_one_file_per_app_and_day_named_like_the_portal(folder: Path, apps: list[portal.PortalApp]) -> None:
    names = sorted(p.name for p in folder.iterdir())
    assert len(names) == 180 * len(apps)
    first = END - timedelta(days=179)
    acme = apps[0]
    assert f"Acme Dispatch Board_{acme.public_id}_{first:%Y%m%d}0000_{first:%Y%m%d}2300.csv" in names
    assert f"Acme Dispatch Board_{acme.public_id}_{END:%Y%m%d}0000_{END:%Y%m%d}2300.csv" in names
    pattern = re.compile(r"^[- .,0-9A-Za-z_]+_[a-z0-9]{12}_\d{8}0000_\d{8}2300\.csv$")
    assert all(pattern.match(n) for n in names)


def test_file_content_is_the_portal_format(folder: Path) -> None:
    path = sorted(folder.glob("Fleet Insights_*.csv"))[-1]
    raw = path.read_bytes()
    assert raw.startswith(
        b"App ID,Tenant Name,Tenant ID,API Name,HTTP Method,Endpoint Name,Successful Calls\n"
    )
    assert raw.endswith(b"\n") and not raw.endswith(b"\n\n") and b"\r" not in raw and b'"' not in raw
    lines = raw.decode().splitlines()[1:]
    app_id = parse_report_file_name(path).public_id
    tenant_ids = []
    for line in lines:
        fields = line.split(",")
        assert len(fields) == 7
        assert fields[0] == app_id
        assert fields[4] in {"GET", "POST", "PATCH"}
        assert fields[5].startswith("/") and "{tenant}" in fields[5]
        assert int(fields[6]) > 0
        tenant_ids.append(int(fields[2]))
    assert tenant_ids == sorted(tenant_ids)  # the portal lists tenants by id


def test_app_names_are_sanitised_like_the_portal() -> None:
    from datetime import datetime

    name = portal_format.report_file_name(
        "Acme/Dispatch_Board (v2)!", "abc123", datetime(2026, 6, 1), datetime(2026, 6, 1, 23)
    )
    assert name == "Acme_Dispatch_Board _v2___abc123_202606010000_202606012300.csv"
    parsed = parse_report_file_name(name)
    assert (parsed.app_name, parsed.public_id) == ("Acme_Dispatch_Board _v2__", "abc123")


def test_deterministic_and_anchored_at_the_end(apps: list[portal.PortalApp], tmp_path: Path) -> None:
    a = portal.write_usage_reports(apps, tmp_path / "a", end=END, seed=3)
    b = portal.write_usage_reports(apps, tmp_path / "b", end=END, seed=3, days=30)
    c = portal.write_usage_reports(apps, tmp_path / "c", end=END, seed=4, days=30)
    by_name = {p.name: p.read_bytes() for p in a}
    assert len(b) == 30 * len(apps)
    assert all(by_name[p.name] == p.read_bytes() for p in b)  # a shorter run repeats the same last days
    assert any(by_name[p.name] != p.read_bytes() for p in c)  # another seed, other numbers


def test_weekdays_are_busier_than_weekends_and_usage_grows(reports: list[portal.DailyReport]) -> None:
    totals = _totals(reports)
    acme = {d: n for (a, d), n in totals.items() if a == "Acme Dispatch Board"}
    weekday = [n for d, n in acme.items() if d.weekday() < 5]
    weekend = [n for d, n in acme.items() if d.weekday() >= 5]
    assert sum(weekday) / len(weekday) > 2 * sum(weekend) / len(weekend)
    first_weeks = [n for d, n in acme.items() if d <= END - timedelta(days=152)]
    last_weeks = [n for d, n in acme.items() if d > END - timedelta(days=28)]
    assert len(first_weeks) == len(last_weeks) == 28
    assert sum(last_weeks) > 1.2 * sum(first_weeks)


def test_planted_incident(reports: list[portal.DailyReport], apps: list[portal.PortalApp]) -> None:
    planted = portal.planted_usage(apps, END)
    assert planted.incident_day == END - timedelta(days=portal.INCIDENT_DAYS_BEFORE_END)
    assert planted.incident_app == apps[portal.INCIDENT_APP_INDEX].public_id
    totals = _totals(reports)
    day = planted.incident_day
    same_weekday = [totals[("Acme Dispatch Board", day + timedelta(days=k))] for k in (-14, -7, 7, 14)]
    ratio = totals[("Acme Dispatch Board", day)] / (sum(same_weekday) / 4)
    assert ratio == pytest.approx(portal.INCIDENT_FACTOR, abs=0.05)


def test_planted_launch(reports: list[portal.DailyReport], apps: list[portal.PortalApp]) -> None:
    planted = portal.planted_usage(apps, END)
    launch_app = next(a for a in apps if a.public_id == planted.launch_app)
    sales_by_day: dict[date, int] = defaultdict(int)
    for r in reports:
        if r.app is launch_app or r.app.public_id == launch_app.public_id:
            for _, ep, calls in r.rows:
                if ep.module == portal.LAUNCH_MODULE:
                    sales_by_day[r.day] += calls
    assert min(sales_by_day) == planted.launch_day
    ramped = planted.launch_day + timedelta(days=portal.LAUNCH_RAMP_DAYS + 7)
    assert sales_by_day[ramped] > 5 * sales_by_day[planted.launch_day]
    assert not any(
        ep.module == portal.LAUNCH_MODULE
        for r in reports
        if r.app.public_id != planted.launch_app
        for _, ep, _ in r.rows
    )


def test_planted_churn(reports: list[portal.DailyReport], apps: list[portal.PortalApp]) -> None:
    planted = portal.planted_usage(apps, END)
    days_with_tenant = {r.day for r in reports for t, _, _ in r.rows if t.tenant_id == planted.churn_tenant}
    assert max(days_with_tenant) == planted.churn_day - timedelta(days=1)
    assert min(days_with_tenant) == END - timedelta(days=179)


def test_scopes_denied_in_production_never_appear(reports: list[portal.DailyReport]) -> None:
    fleet_modules = {ep.module for r in reports if r.app.name == "Fleet Insights" for _, ep, _ in r.rows}
    assert fleet_modules.isdisjoint({"accounting", "payroll", "telecom"})
    acme_modules = {ep.module for r in reports if r.app.name == "Acme Dispatch Board" for _, ep, _ in r.rows}
    assert "telecom" in acme_modules


@pytest.mark.skipif(not SPECS.exists(), reason="the official OpenAPI documents are not in ../shared")
def test_api_names_and_endpoints_match_the_official_documents(reports: list[portal.DailyReport]) -> None:
    catalog = load_catalog()
    docs: dict[str, dict[str, object]] = {}
    for resource in catalog:
        if resource.source and resource.module not in docs:
            text = (SPECS / resource.source).read_text(encoding="utf-8")
            docs[resource.module] = (
                yaml.safe_load(text) if resource.source.endswith(".yml") else json.loads(text)
            )
    for module, doc in docs.items():
        info = doc["info"]
        assert isinstance(info, dict)
        assert portal_format.API_NAMES[module] == info["title"], module
    used = {(ep.module, ep.method, ep.endpoint) for r in reports for _, ep, _ in r.rows}
    for module, method, endpoint in used:
        paths = docs[module]["paths"]
        assert isinstance(paths, dict)
        assert endpoint in paths, (module, endpoint)
        assert method.lower() in paths[endpoint], (module, method, endpoint)


def test_round_trip_through_the_importer(folder: Path, reports: list[portal.DailyReport]) -> None:
    frame = import_portal_reports(folder)
    assert frame["calls"].sum() == sum(c for r in reports for *_, c in r.rows)
    assert frame["file"].n_unique() == len(reports)
    assert frame["module"].null_count() == 0


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="days"):
        list(portal.daily_reports(build_apps(0), days=0, end=END))
    with pytest.raises(ValueError, match="no apps"):
        portal.portal_apps([])
    with pytest.raises(TypeError, match="Sandbox or a sequence"):
        portal.portal_apps(42)
