"""ConnectionPanel driven without a browser: pickers, credential status, test button, sandbox banner."""

from __future__ import annotations

from pathlib import Path

import pytest

from stnb._client import Client
from stnb._config import resolve_credentials, sandbox_environment
from stnb._connection import Connection
from stnb.sandbox import default_sandbox
from stnb.widgets import ConnectionPanel

from .helpers import widget_state

FAKE_SECRET = "cs1.fakesecretfakesecretfakesecret00"
FAKE_APP_KEY = "ak1.fakeappkeyfakeappkey0000"
FAKE_CLIENT = "cid.fakeclientfakeclient000abc"


def sandbox_connector(env: str, profile: str | None, tenant: str | None) -> Connection:
    """Configured credentials, answered by the sandbox (so wrong ones fail the way ServiceTitan fails)."""
    sandbox = default_sandbox()
    creds = resolve_credentials(env, profile=profile, tenant=tenant)
    assert creds is not None
    client = Client(sandbox_environment(env, sandbox.url), creds, transport=sandbox.transport(), sandbox=True)
    return Connection(client)


def set_fake_credentials(monkeypatch: pytest.MonkeyPatch, tenant: int) -> None:
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_ID", FAKE_CLIENT)
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_SECRET", FAKE_SECRET)
    monkeypatch.setenv("STNB_INTEGRATION_TENANT_ID", str(tenant))
    monkeypatch.setenv("STNB_APP_KEY", FAKE_APP_KEY)
    monkeypatch.setenv("STNB_APP_NAME", "Fake app")


def test_without_credentials_the_sandbox_is_announced_and_answers() -> None:
    panel = ConnectionPanel()
    assert panel.choice == ("integration", None, None)
    assert panel.uses_sandbox
    assert "the built-in sandbox will answer" in panel.status.value
    assert "Sandbox:" in panel.banner.value
    sandbox = default_sandbox()
    expected = [str(t.tenant_id) for t in sandbox.default_app.tenants]
    assert [value for _, value in panel.tenant.options] == ["", *expected]
    assert panel.tenant.label == "(auto)"
    assert all(label.endswith("· sandbox") for label, value in panel.tenant.options if value)

    panel.test_button.click()

    assert "Connected: integration · tenant" in panel.result.value
    assert "· sandbox answered (6 business units)" in panel.result.value
    conn = panel.connect()
    assert (conn.env, conn.sandbox, conn.tenant) == (
        "integration",
        True,
        str(sandbox.default_tenant.tenant_id),
    )


def test_changing_environment_and_tenant_gives_a_new_connection() -> None:
    panel = ConnectionPanel()
    first = panel.connect()
    assert panel.connect() is first, "unchanged choices reuse the connection"
    panel.env.value = "production"
    other_tenant = str(default_sandbox().default_app.tenants[1].tenant_id)
    panel.tenant.value = other_tenant
    conn = panel.connect()
    assert conn is not first
    assert (conn.env, conn.tenant) == ("production", other_tenant)
    assert panel.test()
    assert f"production · tenant {other_tenant} · sandbox" in panel.result.value
    assert "sandbox answers as production" in panel.banner.value


def test_configured_credentials_are_shown_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    set_fake_credentials(monkeypatch, 431848990)
    panel = ConnectionPanel(connector=sandbox_connector)
    assert not panel.uses_sandbox
    assert panel.banner.value == ""
    status = panel.status.value
    assert "tenant 431848990" in status and "cid.fa…abc" in status and "secret set" in status
    assert "app Fake app (" in status and "environment variables" in status
    assert "431848990" in [value for _, value in panel.tenant.options]
    state = widget_state(panel.widget)
    for secret in (FAKE_SECRET, FAKE_APP_KEY, FAKE_CLIENT):
        assert secret not in state


def test_a_failed_test_shows_servicetitans_title_inline_without_the_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    set_fake_credentials(monkeypatch, 431848990)
    panel = ConnectionPanel(connector=sandbox_connector)
    assert panel.test() is False
    result = panel.result.value
    assert 'class="stnb-error"' in result
    assert "400 — invalid_client: The client id or client secret is not valid." in result
    assert "hint: check the client id and secret" in result
    assert "Traceback" not in result
    assert FAKE_SECRET not in widget_state(panel.widget)


def test_an_api_error_shows_the_trace_id(monkeypatch: pytest.MonkeyPatch) -> None:
    real = default_sandbox().credentials["integration"]
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_ID", real.client_id)
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_SECRET", real.client_secret)
    monkeypatch.setenv("STNB_INTEGRATION_TENANT_ID", "123456789")  # a tenant the app is not connected to
    monkeypatch.setenv("STNB_APP_KEY", real.app_key)
    panel = ConnectionPanel(connector=sandbox_connector)
    assert panel.test() is False
    result = panel.result.value
    assert "403 — The credentials do not grant access to this tenant." in result
    assert "trace id: 00-" in result
    assert "tenant: Tenant 123456789 is not connected to these credentials." in result
    state = widget_state(panel.widget)
    assert real.client_secret not in state and real.app_key not in state


def test_half_configured_credentials_are_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_ID", FAKE_CLIENT)
    panel = ConnectionPanel()
    assert 'class="stnb-error"' in panel.status.value
    assert "but the client secret is not" in panel.status.value
    assert panel.banner.value == ""
    assert panel.test() is False
    assert "ConfigError" in panel.result.value


def test_profiles_feed_the_profile_and_tenant_pickers(tmp_path: Path) -> None:
    (tmp_path / "profiles.toml").write_text(
        f"""
[acme]
app_key = "{FAKE_APP_KEY}"
[acme.integration.111111111]
client_id = "{FAKE_CLIENT}"
client_secret = "{FAKE_SECRET}"
tenant_name = "Acme HVAC"
[zeta]
app_key = "{FAKE_APP_KEY}"
[zeta.integration.222222222]
client_id = "{FAKE_CLIENT}"
client_secret = "{FAKE_SECRET}"
"""
    )
    panel = ConnectionPanel()
    assert [value for _, value in panel.profile.options] == ["", "acme", "zeta"]
    assert "several profiles fit integration" in panel.status.value
    panel.profile.value = "acme"
    assert [label for label, _ in panel.tenant.options] == ["(auto)", "111111111 (Acme HVAC)"]
    assert (
        "tenant 111111111" in panel.status.value
        and "profile acme.integration.111111111" in panel.status.value
    )
    panel.profile.value = "zeta"
    assert [value for _, value in panel.tenant.options] == ["", "222222222"]
    assert FAKE_SECRET not in widget_state(panel.widget)
