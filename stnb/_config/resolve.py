"""`resolve_credentials`: each field from the first source that has it, explained when incomplete."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from stnb._config.credentials import Credentials
from stnb._config.dotenv import read_dotenv
from stnb._config.environments import DEFAULT_ENV, get_environment
from stnb._config.profiles import Section, choose_section, default_profiles_path, load_sections
from stnb._config.sources import (
    APP_FIELDS,
    FIELD_LABELS,
    PAIR,
    SECRET_FIELDS,
    Layer,
    section_layer,
    variable_layers,
)
from stnb.errors import ConfigError

__all__ = ["default_env", "resolve_credentials"]


def default_env(environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")) -> str:
    """`STNB_ENV` (process environment, then `.env`), else integration."""
    env = os.environ if environ is None else environ
    name = env.get("STNB_ENV", "").strip()
    if not name:
        name = read_dotenv(env_file)[0].get("STNB_ENV", "").strip()
    return get_environment(name).name if name else DEFAULT_ENV


def resolve_credentials(
    env: str,
    *,
    profile: str | None = None,
    tenant: str | int | None = None,
    app_key: str | None = None,
    client_id: str | None = None,
    client_secret: str | None = None,
    tenant_id: str | int | None = None,
    env_file: Path | None = Path(".env"),
    profiles_path: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials | None:
    """The credentials for environment `env`, or None when nothing at all is configured for it.

    `profile` and `tenant` (a tenant id or a profile's `tenant_name`) choose among profile sections;
    sources holding another tenant's credentials are skipped. Raises ConfigError when something is
    configured but malformed or incomplete, saying what is missing and where it was looked up.
    """
    env_name = get_environment(env).name
    variables = os.environ if environ is None else environ
    dotenv, dotenv_where = read_dotenv(env_file)
    stnb_env = (variables.get("STNB_ENV") or dotenv.get("STNB_ENV") or DEFAULT_ENV).strip().lower()
    path = profiles_path if profiles_path is not None else default_profiles_path(variables)
    wanted_tenant = None if tenant is None else str(tenant).strip()

    arguments = Layer("arguments")
    for name, value in (
        ("app_key", app_key),
        ("client_id", client_id),
        ("client_secret", client_secret),
        ("tenant_id", tenant_id),
    ):
        arguments.set(name, f"{name}=", value)
    if tenant_id is None and wanted_tenant and wanted_tenant.isdigit():
        arguments.set("tenant_id", "tenant=", wanted_tenant)
    if "tenant_id" in arguments.values and not arguments.values["tenant_id"].isdigit():
        raise ConfigError(f"the tenant id {arguments.values['tenant_id']!r} is not an integer")

    layers = [arguments, *variable_layers(variables, env_name, "environment variables", stnb_env)]
    layers += variable_layers(dotenv, env_name, dotenv_where, stnb_env)

    explicit_profile = profile is not None
    profile = profile or variables.get("STNB_PROFILE", "").strip() or None
    sections = load_sections(path)
    section, ambiguity = choose_section(sections, env_name, profile, wanted_tenant, explicit_profile, path)
    if section is not None:
        layers.append(section_layer(section, [variables, dotenv]))
    elif wanted_tenant and not wanted_tenant.isdigit():
        has_pair = any("client_id" in la.values for la in layers)
        if has_pair or any(s.env == env_name for s in sections):
            raise ConfigError(f"tenant {wanted_tenant!r} matches no {env_name} profile section in {path}")

    # Client credentials are per tenant: once the tenant is known, other tenants' sources only lend
    # their app-wide values (app key, app name).
    target = _target_tenant(layers, section if wanted_tenant else None)
    skipped: list[str] = []
    if target is not None:
        skipped = sorted(
            {
                la.values["tenant_id"]
                for la in layers
                if "client_id" in la.values and la.values.get("tenant_id", target) != target
            }
        )
        layers = [la if la is arguments else _for_tenant(la, target) for la in layers]

    # A half-configured source is an error when it would have been used; lower ones are ignored.
    for layer in layers:
        problem = layer.pair_problem()
        if problem:
            raise ConfigError(f"{env_name} credentials: {problem}")
        if "client_id" in layer.values:
            return _build(env_name, layers, layer, dotenv_where, path)
    if ambiguity is not None:
        raise ConfigError(ambiguity)
    if skipped:
        raise ConfigError(
            f"no {env_name} credentials for tenant {target} (found some for tenant {', '.join(skipped)})"
        )
    if arguments.values.keys() - {"tenant_id"} or explicit_profile:
        raise ConfigError(
            f"{env_name} credentials are incomplete: no client id and secret "
            f"(looked in {_looked_in(env_name, dotenv_where, path)})"
        )
    return None


def _target_tenant(layers: list[Layer], named: Section | None) -> str | None:
    """The tenant asked for (arguments, or a section chosen by tenant name), else the first pair's tenant."""
    asked = layers[0].values.get("tenant_id")
    if asked is not None:
        return asked
    if named is not None:
        return named.tenant
    with_pair = next((la for la in layers if "client_id" in la.values and "tenant_id" in la.values), None)
    return with_pair.values["tenant_id"] if with_pair is not None else None


def _for_tenant(layer: Layer, tenant: str) -> Layer:
    """The layer, or only its app-wide values when it holds another tenant's credentials."""
    if layer.values.get("tenant_id", tenant) == tenant:
        return layer
    kept = Layer(layer.where)
    for name in APP_FIELDS:
        kept.set(name, layer.names.get(name, name), layer.values.get(name))
    return kept


def _build(env: str, layers: list[Layer], pair_layer: Layer, dotenv_where: str, path: Path) -> Credentials:
    chosen: dict[str, str] = {f: pair_layer.values[f] for f in PAIR}
    origin: dict[str, Layer] = dict.fromkeys(PAIR, pair_layer)
    for name in ("app_key", "tenant_id", "app_name", "timezone"):
        for layer in layers:
            if name in layer.values:
                chosen[name], origin[name] = layer.values[name], layer
                break
    missing = [FIELD_LABELS[f] for f in ("app_key", "tenant_id") if f not in chosen]
    if missing:
        raise ConfigError(
            f"{env} credentials are incomplete: no {' and no '.join(missing)} "
            f"(client id from {pair_layer.where}; looked in {_looked_in(env, dotenv_where, path)})"
        )
    for name in SECRET_FIELDS:
        if re.search(r"[\s\"'<>]", chosen[name]):
            raise ConfigError(
                f"{env} credentials: the {FIELD_LABELS[name]} from {origin[name].label(name)} contains "
                "spaces, quotes or angle brackets; paste the value exactly as the developer portal shows it"
            )
    raw_tenant = chosen["tenant_id"]
    if not raw_tenant.isdigit() or int(raw_tenant) <= 0:
        raise ConfigError(
            f"{env} credentials: the tenant id {raw_tenant!r} from {origin['tenant_id'].label('tenant_id')} "
            "is not a positive integer"
        )
    zone = chosen.get("timezone")
    if zone is not None:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"{env} credentials: unknown time zone {zone!r} from {origin['timezone'].label('timezone')}"
                " (use an IANA name like 'America/New_York')"
            ) from None
    sources = list(dict.fromkeys(layer.where for layer in origin.values()))
    return Credentials(
        app_key=chosen["app_key"],
        client_id=chosen["client_id"],
        client_secret=chosen["client_secret"],
        tenant_id=int(raw_tenant),
        app_name=chosen.get("app_name"),
        timezone=zone,
        source=" + ".join(sources),
    )


def _looked_in(env: str, dotenv_where: str, path: Path) -> str:
    upper = env.upper()
    return (
        f"arguments, environment variables STNB_{upper}_* / STNB_* / SERVICETITAN_*, "
        f"{dotenv_where}, profiles {path}"
    )
