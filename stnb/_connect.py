"""`stnb.connect()` / `stnb.connect_async()`: one line from nothing to a working connection.

Credentials come from arguments, then environment variables, then `.env`, then the profiles TOML
(`stnb._config.resolve_credentials`). `sandbox=None` (the default) uses the built-in sandbox exactly when
no credentials exist for the asked environment, so the same notebook runs offline and live; a one-line
notice says so. `sandbox=True` forces the sandbox, `sandbox=False` requires real credentials, and a
`Sandbox` instance or a `ServerHandle` (from `stnb.sandbox.serve_in_thread`) picks that sandbox. A URL
(or `STNB_SANDBOX_URL`) picks a sandbox another process serves (`stnb sandbox serve`; its `--seed`, if not
0, in `STNB_SANDBOX_SEED`). A folder path (or `STNB_SANDBOX`) serves a snapshot `stnb sandbox record` wrote.
When the sandbox answers, `profile=` may name one of its demo apps (e.g. "Fleet Insights", which lacks
some API scopes) and `tenant=` one of its demo tenants, by id or name.
"""

from __future__ import annotations

import html
import inspect
import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx2

from stnb._attempts import mark_sandbox_app
from stnb._config import (
    Credentials,
    Environment,
    default_env,
    get_environment,
    resolve_credentials,
    sandbox_environment,
)
from stnb._connection import AsyncConnection, Connection
from stnb._ledger.writer import install_default_ledger
from stnb.errors import ConfigError, UsageTypeError

if TYPE_CHECKING:
    from stnb._clock import Clock
    from stnb._retry import RetryPolicy

__all__ = ["SANDBOX_NOTICE", "connect", "connect_async", "mark_sandbox_notice_shown"]

SANDBOX_NOTICE = (
    "stnb: no credentials for {env!r} — using the built-in sandbox (demo data). "
    "Pass sandbox=False (CLI: --no-sandbox) to require real credentials."
)

log = logging.getLogger("stnb")
P = ParamSpec("P")
_Conn = TypeVar("_Conn", Connection, AsyncConnection)


@dataclass(frozen=True, slots=True)
class _Target:
    """Who answers: the environment, the credentials, and how to reach it."""

    environment: Environment
    credentials: Credentials
    transport: Any
    sandbox: bool
    timezone: str | None


def connect(
    env: str | None = None,
    profile: str | None = None,
    tenant: str | int | None = None,
    *,
    sandbox: Any = None,
    allow_writes: bool = False,
    app_key: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    tenant_id: str | int | None = None,
    timezone: str | None = None,
    progress: bool | None = None,
    transport: httpx2.BaseTransport | httpx2.AsyncBaseTransport | None = None,
    retry: RetryPolicy | None = None,
    rate: float | None = None,
    timeout: float | None = 30.0,
    clock: Clock | None = None,
) -> Connection:
    """Connect to one tenant of `env` ("integration" by default, or `STNB_ENV`).

    Production is read-only unless `allow_writes=True`. `progress`: True always shows progress bars,
    False never, None shows them for pulls that take more than a couple of seconds. `transport`: an
    `httpx2.BaseTransport` (an `httpx2.AsyncBaseTransport` for `connect_async`).
    """
    from stnb._client import Client

    return _connected(Client, Connection, locals())


def _asyncio_twin(sync: Callable[P, Connection]) -> Callable[P, AsyncConnection]:
    """`connect_async`, generated from `connect`'s one description: the same parameters, defaults and
    checks, an `AsyncClient` and an `AsyncConnection`."""
    signature = inspect.signature(sync)

    def connect_async(*args: P.args, **kwargs: P.kwargs) -> AsyncConnection:
        from stnb._client import AsyncClient

        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return _connected(AsyncClient, AsyncConnection, bound.arguments)

    connect_async.__signature__ = signature.replace(return_annotation="AsyncConnection")  # type: ignore[attr-defined]
    connect_async.__qualname__ = "connect_async"
    connect_async.__doc__ = (
        "The asyncio twin of `connect` (same parameters): "
        "`async with stnb.connect_async() as st: await st.frame(...)`."
    )
    return connect_async


connect_async = _asyncio_twin(connect)


def _connected(
    client_class: Any, connection_class: Callable[..., _Conn], arguments: Mapping[str, Any]
) -> _Conn:
    """What both `connect` and `connect_async` do with their arguments: check them, find who answers,
    build the client and the connection, record attempts in the ledger."""
    _check_arguments(**arguments)
    target = _target(**arguments)
    client = client_class(
        target.environment,
        target.credentials,
        transport=target.transport,
        retry=arguments["retry"],
        rate=arguments["rate"],
        timeout=arguments["timeout"],
        allow_writes=arguments["allow_writes"],
        clock=arguments["clock"],
        sandbox=target.sandbox,
        timezone=arguments["timezone"] or target.timezone,
    )
    _install_ledger(target)
    return connection_class(client, progress=arguments["progress"], clock=arguments["clock"])


def _check_arguments(
    *,
    env: Any,
    profile: Any,
    tenant: Any,
    allow_writes: Any,
    timeout: Any,
    rate: Any,
    retry: Any,
    progress: Any,
    **_: Any,
) -> None:
    """Mistakes in the arguments, as one `UsageError` each, before any credentials are looked up."""
    from stnb._client import check_timeout
    from stnb._retry import RetryPolicy

    for name, value in (("env", env), ("profile", profile)):
        if value is not None and not isinstance(value, str):
            raise UsageTypeError(f"{name} must be text or None, got {type(value).__name__}")
    if tenant is not None and (isinstance(tenant, bool) or not isinstance(tenant, str | int)):
        raise UsageTypeError(f"tenant must be a tenant id or name, got {type(tenant).__name__}")
    if not isinstance(allow_writes, bool):
        raise UsageTypeError(f"allow_writes must be True or False, got {allow_writes!r}")
    if progress is not None and not isinstance(progress, bool):
        raise UsageTypeError(f"progress must be True, False or None, got {progress!r}")
    if retry is not None and not isinstance(retry, RetryPolicy):
        raise UsageTypeError(f"retry must be a stnb._retry.RetryPolicy, got {type(retry).__name__}")
    check_timeout(timeout)
    check_timeout(rate, "rate", "requests per second")


def _target(
    *,
    env: str | None,
    profile: str | None,
    tenant: str | int | None,
    sandbox: Any,
    app_key: str | None,
    client_id: str | None,
    client_secret: str | None,
    tenant_id: str | int | None,
    transport: Any,
    **_: Any,
) -> _Target:
    name = get_environment(env).name if env is not None else default_env()
    if sandbox is None or sandbox is False:
        credentials = resolve_credentials(
            name,
            profile=profile,
            tenant=tenant,
            app_key=app_key,
            client_id=client_id,
            client_secret=client_secret,
            tenant_id=tenant_id,
        )
        if credentials is not None:
            return _Target(get_environment(name), credentials, transport, False, None)
        if sandbox is False:
            raise ConfigError(
                f"no credentials for {name!r} and sandbox=False. Set STNB_{name.upper()}_CLIENT_ID, "
                f"STNB_{name.upper()}_CLIENT_SECRET, STNB_TENANT_ID and STNB_APP_KEY (or a profile); "
                "`stnb doctor` shows what was found where"
            )
        _sandbox_notice(SANDBOX_NOTICE.format(env=name))
        sandbox = True
    instance = _sandbox_instance(sandbox)
    credentials = _sandbox_credentials(instance, name, tenant, profile)
    embedded = callable(getattr(instance, "transport", None))
    if transport is None and embedded:
        transport = instance.transport()
    return _Target(
        sandbox_environment(name, str(instance.url)),
        credentials,
        transport,
        True,
        credentials.timezone,
    )


_notebook_notice_shown = False


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (a notebook, Voila), where stderr shows as an alarming pink box."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    kernel = get() if callable(get) else None
    return kernel is not None and getattr(kernel, "kernel", None) is not None


def _sandbox_notice(text: str) -> None:
    """The sandbox notice: a warning on the log (terminals, scripts), or once per kernel a banner in the
    notebook (later connections in the same kernel say nothing more; the log still gets it at INFO)."""
    global _notebook_notice_shown
    if not _in_notebook():
        log.warning(text)
        return
    log.info(text)
    if _notebook_notice_shown:
        return
    _notebook_notice_shown = True
    from IPython.display import HTML, display

    style = "background:#FFF4CE;border:1px solid #E69F00;color:#5C4400;padding:6px 10px;border-radius:4px"
    banner = f'<div class="stnb-banner stnb-banner-sandbox" style="{style}">{html.escape(text)}</div>'
    display(HTML(banner))  # type: ignore[no-untyped-call]


def mark_sandbox_notice_shown() -> None:
    """Say the sandbox notice was shown (a widget's own banner did): connections made in this kernel
    from now on add no banner of their own."""
    global _notebook_notice_shown
    _notebook_notice_shown = True


def _sandbox_instance(sandbox: Any) -> Any:
    """The sandbox to use: a served one (a URL, or `STNB_SANDBOX_URL`), else the embedded default."""
    if sandbox is True:
        from stnb.sandbox import default_sandbox
        from stnb.sandbox.remote import remote_from_environment
        from stnb.sandbox.snapshot import snapshot_from_environment

        return remote_from_environment() or snapshot_from_environment() or default_sandbox()
    if isinstance(sandbox, os.PathLike) or (isinstance(sandbox, str) and _is_snapshot_path(sandbox)):
        from stnb.sandbox.snapshot import SnapshotError, snapshot_sandbox

        try:
            return snapshot_sandbox(os.fspath(sandbox))
        except SnapshotError as exc:
            raise ConfigError(f"sandbox={str(sandbox)!r}: {exc}") from exc
    if isinstance(sandbox, str):
        from stnb.sandbox.remote import RemoteSandbox, seed_from_environment

        return RemoteSandbox(sandbox, seed_from_environment())
    if hasattr(sandbox, "url") and hasattr(sandbox, "credentials"):
        return sandbox
    raise ConfigError(
        f"sandbox={sandbox!r} is not understood: pass None (auto), True, False, a stnb.sandbox.Sandbox, "
        "the handle returned by stnb.sandbox.serve_in_thread(), the URL `stnb sandbox serve` prints, or a "
        "snapshot "
        "folder written by `stnb sandbox record`"
    )


def _is_snapshot_path(text: str) -> bool:
    """A folder path (existing, or named *.stnb) rather than a URL."""
    if "://" in text:
        return False
    return text.rstrip("/").endswith(".stnb") or os.path.isdir(os.path.expanduser(text))


def _sandbox_credentials(
    instance: Any, env: str, tenant: str | int | None, profile: str | None
) -> Credentials:
    chosen = instance.credentials[env]
    if profile is not None or (tenant is not None and str(tenant) != str(chosen.tenant_id)):
        chosen = _sandbox_choice(instance, env, profile, None if tenant is None else str(tenant))
    return Credentials(
        app_key=chosen.app_key,
        client_id=chosen.client_id,
        client_secret=chosen.client_secret,
        tenant_id=int(chosen.tenant_id),
        app_name=getattr(chosen, "app_name", None),
        timezone=getattr(chosen, "timezone", None),
        source="sandbox",
    )


def _sandbox_choice(instance: Any, env: str, app_name: str | None, tenant: str | None) -> Any:
    """A demo app's credentials for a demo tenant: `profile=` names the app, `tenant=` its id or name."""
    sandbox = getattr(instance, "sandbox", instance)  # a ServerHandle wraps its Sandbox
    apps = list(getattr(sandbox, "apps", None) or [])
    if not apps:
        raise ConfigError("this sandbox offers only its default app and tenant")
    app = apps[0]
    if app_name is not None:
        matches = [a for a in apps if str(a.name).lower() == app_name.strip().lower()]
        if not matches:
            names = ", ".join(repr(a.name) for a in apps)
            raise ConfigError(f"the sandbox has no app {app_name!r}; its apps: {names}")
        app = matches[0]
    tenants = list(app.tenants)
    if tenant is None:
        return tenants[0].credentials[env]
    for t in tenants:
        if tenant in (str(t.tenant_id), str(t.name)):
            return t.credentials[env]
    known = ", ".join(f"{t.tenant_id} ({t.name})" for t in tenants)
    raise ConfigError(f"the sandbox app {app.name!r} has no tenant {tenant!r}; its tenants: {known}")


def _install_ledger(target: _Target) -> None:
    """Record every attempt in the usage ledger, sandbox attempts flagged so analytics can leave them out.

    The ledger's file and writer belong to the foundations (`stnb._ledger`), so every connection records
    whether or not the usage layer is ever imported.
    """
    if target.sandbox:
        mark_sandbox_app(target.credentials.app)
    install_default_ledger()


def connect_builtin_sandbox(env: str, **options: Any) -> Connection:
    """A connection to the process's built-in sandbox itself, never a served one named by
    `STNB_SANDBOX_URL` or a snapshot (`stnb.check`'s reference: the served one may be the checked API)."""
    from stnb.sandbox import default_sandbox

    return connect(env, sandbox=default_sandbox(), **options)
