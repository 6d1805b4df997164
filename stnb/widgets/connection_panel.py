"""ConnectionPanel: pick environment, profile and tenant, see which credentials apply, test the connection.

The panel only reads configuration until "Test connection" is clicked (one token request and one small
call). Secrets are never shown: client ids are masked and app keys appear as fingerprints.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from stnb._config import ENVIRONMENTS, default_env, resolve_credentials
from stnb._connect import connect, mark_sandbox_notice_shown
from stnb._connection import Connection
from stnb.errors import ConfigError
from stnb.widgets.choices import TenantChoice, profile_names, tenant_choices
from stnb.widgets.render import (
    banner_html,
    button_layout,
    error_html,
    origin_text,
    sandbox_banner_html,
    text_html,
)

__all__ = ["PROBE_PATH", "ConnectionPanel", "Connector"]

Connector = Callable[[str, str | None, str | None], Connection]
PROBE_PATH = "/settings/v2/tenant/{tenant}/business-units"  # small, and every demo app may read it
_AUTO = "(auto)"
_AUTO_VALUE = ""  # a dropdown whose value is None shows a blank box


def _connect(env: str, profile: str | None, tenant: str | None) -> Connection:
    return connect(env, profile, tenant)


class ConnectionPanel:
    """Environment, profile and tenant pickers, credential status, a test button and a sandbox banner.

    `panel.connect()` returns a `stnb.Connection` for the current choices (reused while they do not change);
    pass it to the other widgets. `connector(env, profile, tenant)` is `stnb.connect` unless injected.
    """

    def __init__(
        self,
        env: str | None = None,
        profile: str | None = None,
        tenant: str | int | None = None,
        *,
        connector: Connector | None = None,
        sandbox_tenants: Callable[[str], list[TenantChoice]] | None = None,
    ) -> None:
        self._connector = connector or _connect
        self._sandbox_tenants = sandbox_tenants
        self._connection: Connection | None = None
        self._connection_key: tuple[str, str | None, str | None] | None = None
        self._uses_sandbox = False
        self._quiet = False

        self.env = widgets.Dropdown(options=list(ENVIRONMENTS), value=env or default_env(), description="Env")
        profiles = profile_names()
        self.profile = widgets.Dropdown(
            options=[(_AUTO, _AUTO_VALUE), *[(name, name) for name in profiles]],
            value=profile if profile in profiles else _AUTO_VALUE,
            description="Profile",
        )
        self.tenant = widgets.Dropdown(
            options=[(_AUTO, _AUTO_VALUE)], value=_AUTO_VALUE, description="Tenant"
        )
        self.status = widgets.HTML()
        self.banner = widgets.HTML()
        self.test_button = widgets.Button(
            description="Test connection", icon="plug", button_style="primary", layout=button_layout()
        )
        self.result = widgets.HTML()
        self.widget = widgets.VBox(
            [
                widgets.HBox([self.env, self.profile, self.tenant]),
                self.status,
                self.banner,
                widgets.HBox([self.test_button]),
                self.result,
            ]
        )
        self._refresh_tenants(None if tenant is None else str(tenant))
        self.env.observe(self._on_env_or_profile, names="value")
        self.profile.observe(self._on_env_or_profile, names="value")
        self.tenant.observe(self._on_tenant, names="value")
        self.test_button.on_click(lambda _button: self.test())

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.widget._repr_mimebundle_(**kwargs)

    @property
    def choice(self) -> tuple[str, str | None, str | None]:
        """The current (environment, profile, tenant); None means "let stnb resolve it"."""
        return self.env.value, self.profile.value or None, self.tenant.value or None

    @property
    def uses_sandbox(self) -> bool:
        """True when no credentials exist for the current choice, so the built-in sandbox answers."""
        return self._uses_sandbox

    def connect(self) -> Connection:
        """A connection for the current choices; reused until a picker changes."""
        key = self.choice
        if self._connection is None or self._connection_key != key:
            self._connection = self._connector(*key)
            self._connection_key = key
            self._show_banner(self._connection)
        return self._connection

    def test(self) -> bool:
        """Connect and make one small call; show the outcome inline. True when it worked."""
        self.result.value = banner_html("Connecting…", "info")
        started = time.perf_counter()
        try:
            conn = self.connect()
            body = conn.request_json("GET", PROBE_PATH, params={"pageSize": 1, "includeTotal": "true"})
        except Exception as exc:  # any failure is shown inline, never as a traceback
            self.result.value = error_html(exc)
            return False
        elapsed_ms = (time.perf_counter() - started) * 1000
        total = body.get("totalCount") if isinstance(body, dict) else None
        units = f"{total} business units" if total is not None else "business units"
        self.result.value = banner_html(
            f"Connected: {origin_text(conn.env, conn.tenant, conn.sandbox)} answered ({units}) "
            f"in {elapsed_ms:.0f} ms.",
            "ok",
        )
        return True

    # -- refreshing ---------------------------------------------------------------------------------

    def _on_env_or_profile(self, _change: dict[str, Any]) -> None:
        self._refresh_tenants(self.tenant.value)

    def _on_tenant(self, _change: dict[str, Any]) -> None:
        if not self._quiet:
            self._refresh_status()

    def _refresh_tenants(self, keep: str | None) -> None:
        choices, from_sandbox = tenant_choices(
            self.env.value, self.profile.value or None, sandbox=self._sandbox_tenants
        )
        options: list[tuple[str, str]] = [(_AUTO, _AUTO_VALUE)]
        options += [(f"{c.label} · sandbox" if from_sandbox else c.label, c.tenant_id) for c in choices]
        keep = keep or _AUTO_VALUE
        if keep not in {value for _, value in options}:
            options.append((keep, keep))
        self._quiet = True  # one status refresh below, not one per intermediate dropdown value
        try:
            self.tenant.options = options
            self.tenant.value = keep
        finally:
            self._quiet = False
        self._refresh_status()

    def _refresh_status(self) -> None:
        env, profile, tenant = self.choice
        self.result.value = ""
        try:
            found = resolve_credentials(env, profile=profile, tenant=tenant)
        except ConfigError as exc:
            self._uses_sandbox = False
            self.status.value = error_html(exc)
            self.banner.value = ""
            return
        self._uses_sandbox = found is None
        if found is None:
            self.status.value = (
                f"<span>No credentials for <b>{text_html(env)}</b>: the built-in sandbox will answer.</span>"
            )
            self.banner.value = sandbox_banner_html(env)
            mark_sandbox_notice_shown()  # this banner is the notice: connecting adds no second one
            return
        app = f"{found.app_name} ({found.app})" if found.app_name else found.app
        self.status.value = (
            f"<span><b>{text_html(env)}</b> · tenant {found.tenant_id} · client "
            f"{text_html(found.masked_client_id)} · app {text_html(app)} · secret set · "
            f"from {text_html(found.source)}</span>"
        )
        self.banner.value = ""

    def _show_banner(self, conn: Connection) -> None:
        self.banner.value = sandbox_banner_html(conn.env) if conn.sandbox else ""
