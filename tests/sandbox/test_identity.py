"""Demo apps, tenants and credentials: real shapes, derived from the seed, secrets masked."""

from __future__ import annotations

import re

from stnb.sandbox import Sandbox
from stnb.sandbox.identity import ALL_MODULES, build_apps

from .conftest import ANCHOR


def test_credentials_have_the_real_shapes() -> None:
    apps = build_apps(0)
    for app in apps:
        assert re.fullmatch(r"ak1\.[a-z0-9]{25}", app.app_key)
        assert re.fullmatch(r"[a-z0-9]{12}", app.public_id)
        for tenant in app.tenants:
            assert 9 <= len(str(tenant.tenant_id)) <= 10
            for env, creds in tenant.credentials.items():
                assert (
                    creds.env == env and creds.app_key == app.app_key and creds.tenant_id == tenant.tenant_id
                )
                assert re.fullmatch(r"cid\.[a-z0-9]{25}", creds.client_id)
                assert re.fullmatch(r"cs1\.[a-z0-9]{50}", creds.client_secret)
            assert tenant.credentials["integration"].client_id != tenant.credentials["production"].client_id


def test_apps_tenants_and_scopes() -> None:
    sandbox = Sandbox(seed=0, anchor=ANCHOR)
    names = [app.name for app in sandbox.apps]
    assert names[:2] == ["Acme Dispatch Board", "Fleet Insights"]
    acme, fleet = sandbox.apps[0], sandbox.apps[1]
    assert acme.scopes == frozenset(ALL_MODULES)
    assert {"accounting", "payroll"}.isdisjoint(fleet.scopes)
    assert "telecom" in fleet.scopes_in("integration") and "telecom" not in fleet.scopes_in("production")
    tenants = {t.tenant_id: t for app in sandbox.apps for t in app.tenants}
    assert len(tenants) >= 3
    zones = {t.name: t.timezone for t in tenants.values()}
    assert zones["Comfort Pros Home Services"] == "America/New_York"
    assert set(zones.values()) == {"America/New_York", "America/Los_Angeles", "America/Chicago"}
    default = sandbox.credentials
    assert set(default) == {"integration", "production"}
    assert default["integration"].app_name == "Acme Dispatch Board"
    assert default["integration"].timezone == "America/New_York"
    assert default["integration"].tenant_id == sandbox.default_tenant.tenant_id


def test_credentials_follow_the_seed() -> None:
    assert build_apps(1)[0].app_key == build_apps(1)[0].app_key
    assert build_apps(1)[0].app_key != build_apps(2)[0].app_key


def test_secrets_never_show_in_reprs() -> None:
    sandbox = Sandbox(seed=0, anchor=ANCHOR)
    creds = sandbox.credentials["production"]
    for text in (repr(creds), str(creds), repr(sandbox.apps), repr(sandbox), repr(sandbox.credentials)):
        assert creds.client_secret not in text
        assert creds.app_key not in text
    assert "***" in repr(creds) and creds.client_id in repr(creds)
