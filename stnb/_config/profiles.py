"""The profiles TOML file: one table per profile, environment and tenant; choosing a section."""

from __future__ import annotations

import difflib
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from stnb._config.environments import ENVIRONMENTS, unknown_environment_message
from stnb.errors import ConfigError

__all__ = ["Section", "choose_section", "default_profiles_path", "load_sections"]


_PROFILE_KEYS = frozenset({"app_key", "app_name", "timezone"})
_SECTION_KEYS = _PROFILE_KEYS | {"client_id", "client_secret", "client_secret_env", "tenant_name"}


@dataclass(frozen=True, slots=True)
class Section:
    """One [profile.environment.tenant] table of the profiles file, with its outer tables' values."""

    profile: str
    env: str
    tenant: str
    values: dict[str, Any]
    path: Path

    @property
    def where(self) -> str:
        return f"profile {self.profile}.{self.env}.{self.tenant} in {self.path}"


def default_profiles_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$STNB_PROFILES`, else profiles.toml in the platform's config directory for stnb."""
    env = os.environ if environ is None else environ
    override = env.get("STNB_PROFILES", "").strip()
    if override:
        return Path(override).expanduser()
    return Path(platformdirs.user_config_dir("stnb")) / "profiles.toml"


def load_sections(path: Path) -> list[Section]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise ConfigError(f"cannot read the profiles file {path}: {type(exc).__name__}") from None
    try:
        document = tomllib.loads(raw.decode("utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the profiles file {path} is not valid TOML: {exc}") from None
    sections: list[Section] = []
    for profile, envs in document.items():
        if not isinstance(envs, dict):
            raise ConfigError(f"{path}: top-level key {profile!r} must be a [profile] table")
        shared = _plain_values(envs, _PROFILE_KEYS, f"[{profile}]", path)
        for env_name, tenants in envs.items():
            if not isinstance(tenants, dict):
                continue
            if env_name not in ENVIRONMENTS:
                raise ConfigError(f"{path}: [{profile}.{env_name}]: {unknown_environment_message(env_name)}")
            env_shared = {**shared, **_plain_values(tenants, _PROFILE_KEYS, f"[{profile}.{env_name}]", path)}
            for tenant, values in tenants.items():
                if not isinstance(values, dict):
                    continue
                label = f"[{profile}.{env_name}.{tenant}]"
                if not tenant.isdigit():
                    raise ConfigError(f"{path}: {label}: the tenant id {tenant!r} is not an integer")
                own = _plain_values(values, _SECTION_KEYS, label, path, nested_ok=False)
                sections.append(Section(profile, env_name, tenant, {**env_shared, **own}, path))
    return sections


def _plain_values(
    table: dict[str, Any], allowed: frozenset[str], label: str, path: Path, *, nested_ok: bool = True
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            if not nested_ok:
                raise ConfigError(f"{path}: {label}: unexpected table {key!r} inside a tenant section")
            continue
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (allowed: {', '.join(sorted(allowed))})"
            raise ConfigError(f"{path}: {label}: unknown key {key!r}{hint}")
        if not isinstance(value, str):
            raise ConfigError(f"{path}: {label}: {key} must be a string")
        values[key] = value
    return values


def _tenant_matches(section: Section, tenant: str) -> bool:
    name = str(section.values.get("tenant_name", "")).strip().lower()
    return section.tenant == tenant or (bool(name) and name == tenant.lower())


def choose_section(
    sections: list[Section],
    env: str,
    profile: str | None,
    tenant: str | None,
    explicit_profile: bool,
    path: Path,
) -> tuple[Section | None, str | None]:
    """The section to use, or (None, why-it-is-ambiguous) when several fit and none was asked for."""
    candidates = [s for s in sections if s.env == env]
    if profile is not None:
        names = sorted({s.profile for s in sections})
        if profile not in names:
            choices = ", ".join(names) or "none"
            raise ConfigError(f"no profile {profile!r} in {path} (profiles: {choices})")
        candidates = [s for s in candidates if s.profile == profile]
        if not candidates and explicit_profile:
            envs = ", ".join(sorted({s.env for s in sections if s.profile == profile})) or "none"
            raise ConfigError(f"profile {profile!r} in {path} has no {env} section (it has: {envs})")
    if tenant is not None:
        candidates = [s for s in candidates if _tenant_matches(s, tenant)]
    if len(candidates) <= 1:
        return (candidates[0] if candidates else None), None
    defaults = [s for s in candidates if s.profile == "default"]
    if len(defaults) == 1:
        return defaults[0], None
    listed = ", ".join(f"{s.profile}.{s.env}.{s.tenant}" for s in candidates)
    return None, f"several profiles fit {env} in {path} ({listed}); pass profile= or tenant="
