"""What the connection pickers offer: profiles and tenants known for an environment, secrets never included.

Reads the same sources as `stnb._config` (profiles TOML, environment variables, `.env` through
`discover()`), and the sandbox's demo tenants when no credentials exist at all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stnb._config import ENVIRONMENTS, default_profiles_path, discover

__all__ = ["TenantChoice", "profile_names", "sandbox_tenants", "side_choices", "tenant_choices"]


@dataclass(frozen=True, slots=True)
class TenantChoice:
    """A tenant the pickers can offer: its id and a label such as `431848990 (Acme HVAC)`."""

    tenant_id: str
    label: str


def _profiles_document(path: Path) -> dict[str, Any]:
    """The profiles file as a dict; empty when absent or unreadable (resolution reports the problem)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return {}


def profile_names(path: Path | None = None) -> list[str]:
    """The profile names in the profiles file, sorted."""
    document = _profiles_document(path or default_profiles_path())
    return sorted(name for name, value in document.items() if isinstance(value, dict))


def side_choices(path: Path | None = None) -> list[str]:
    """Comparison sides: each environment, then `profile.environment` for every profile section."""
    sides = list(ENVIRONMENTS)
    for name, envs in sorted(_profiles_document(path or default_profiles_path()).items()):
        if isinstance(envs, dict):
            sides += [f"{name}.{env}" for env in ENVIRONMENTS if isinstance(envs.get(env), dict)]
    return sides


def _profile_tenants(path: Path, env: str, profile: str | None) -> list[TenantChoice]:
    found: list[TenantChoice] = []
    for name, envs in _profiles_document(path).items():
        if not isinstance(envs, dict) or (profile is not None and name != profile):
            continue
        tenants = envs.get(env)
        if not isinstance(tenants, dict):
            continue
        for tenant, values in tenants.items():
            if isinstance(values, dict) and tenant.isdigit():
                label = str(values.get("tenant_name") or f"profile {name}")
                found.append(TenantChoice(tenant, f"{tenant} ({label})"))
    return found


def tenant_choices(
    env: str,
    profile: str | None = None,
    *,
    profiles_path: Path | None = None,
    sandbox: Callable[[str], Sequence[TenantChoice]] | None = None,
) -> tuple[list[TenantChoice], bool]:
    """Tenants configured for `env` (profiles, variables, `.env`), or the sandbox's when none are.

    Returns the choices and whether they are the sandbox's.
    """
    if env not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {env!r}")
    path = profiles_path or default_profiles_path()
    choices = _profile_tenants(path, env, profile)
    if profile is None:
        for source in discover(profiles_path=path):
            if source.env == env and source.tenant_id and source.tenant_id.isdigit() and source.client:
                choices.append(TenantChoice(source.tenant_id, f"{source.tenant_id} ({source.where})"))
    unique: dict[str, TenantChoice] = {}
    for choice in choices:
        unique.setdefault(choice.tenant_id, choice)
    if unique:
        return list(unique.values()), False
    return list((sandbox or sandbox_tenants)(env)), True


def sandbox_tenants(env: str) -> list[TenantChoice]:
    """The demo tenants of the sandbox's default app in `env`."""
    from stnb.sandbox import default_sandbox

    apps = list(default_sandbox().apps)
    tenants = getattr(apps[0], "tenants", []) if apps else []
    return [
        TenantChoice(str(t.tenant_id), f"{t.tenant_id} ({t.name})") for t in tenants if env in t.credentials
    ]
