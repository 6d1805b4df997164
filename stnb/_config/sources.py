"""Where each credential field can come from: variables (STNB_ENV_*, STNB_*, SERVICETITAN_*) and profile
sections, as layers of values that remember their origin."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from stnb._config.profiles import Section
from stnb.errors import ConfigError

__all__ = [
    "APP_FIELDS",
    "FIELD_LABELS",
    "PAIR",
    "SECRET_FIELDS",
    "Layer",
    "section_layer",
    "variable_layers",
]


_SERVICEPYTAN_DEFAULT_ENV = "production"


PAIR = ("client_id", "client_secret")
FIELD_LABELS = {
    "app_key": "app key",
    "client_id": "client id",
    "client_secret": "client secret",
    "tenant_id": "tenant id",
    "app_name": "app name",
    "timezone": "time zone",
}
SECRET_FIELDS = frozenset({"app_key", "client_id", "client_secret"})
APP_FIELDS = ("app_key", "app_name")  # the same app in every environment
_SHARED_FIELDS = (*APP_FIELDS, "tenant_id", "timezone")  # plain variables that apply to every environment
_VAR_SUFFIX = {f: f.upper() for f in FIELD_LABELS}
_SERVICEPYTAN_VARS = {
    "app_key": "SERVICETITAN_APP_KEY",
    "app_name": "SERVICETITAN_APP_ID",
    "client_id": "SERVICETITAN_CLIENT_ID",
    "client_secret": "SERVICETITAN_CLIENT_SECRET",
    "tenant_id": "SERVICETITAN_TENANT_ID",
    "timezone": "SERVICETITAN_TIMEZONE",
}


@dataclass(slots=True)
class Layer:
    """Field values from one source, with the name each came from (a variable or a TOML key)."""

    where: str
    values: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def set(self, name: str, key: str, value: Any) -> None:
        if value is None:
            return
        text = str(value).strip()
        if text:
            self.values[name] = text
            self.names[name] = key

    def label(self, name: str) -> str:
        key = self.names.get(name)
        return f"{key} in {self.where}" if key and key != name else self.where

    def pair_problem(self) -> str | None:
        have = [f for f in PAIR if f in self.values]
        if len(have) == 1:
            other = "client_secret" if have[0] == "client_id" else "client_id"
            return (
                f"{FIELD_LABELS[have[0]]} is set ({self.label(have[0])}) "
                f"but the {FIELD_LABELS[other]} is not; both come from the same source"
            )
        return None


def variable_layers(variables: Mapping[str, str], env: str, where: str, stnb_env: str) -> list[Layer]:
    """Layers from a set of variables (the process environment or a .env), most specific first."""
    qualified = Layer(f"{where} (STNB_{env.upper()}_*)")
    for name, suffix in _VAR_SUFFIX.items():
        qualified.set(name, f"STNB_{env.upper()}_{suffix}", variables.get(f"STNB_{env.upper()}_{suffix}"))
    plain = Layer(f"{where} (STNB_*)")
    plain_fields = _SHARED_FIELDS + (PAIR if stnb_env == env else ())
    for name in plain_fields:
        plain.set(name, f"STNB_{_VAR_SUFFIX[name]}", variables.get(f"STNB_{_VAR_SUFFIX[name]}"))
    servicepytan = Layer(f"{where} (SERVICETITAN_*)")
    spy_env = variables.get("SERVICETITAN_API_ENVIRONMENT", "").strip().lower() or _SERVICEPYTAN_DEFAULT_ENV
    spy_fields = _SHARED_FIELDS + (PAIR if spy_env == env else ())
    for name in spy_fields:
        servicepytan.set(name, _SERVICEPYTAN_VARS[name], variables.get(_SERVICEPYTAN_VARS[name]))
    return [layer for layer in (qualified, plain, servicepytan) if layer.values]


def section_layer(section: Section, secret_sources: list[Mapping[str, str]]) -> Layer:
    layer = Layer(section.where)
    for name in ("app_key", "app_name", "client_id", "client_secret", "timezone"):
        layer.set(name, name, section.values.get(name))
    layer.set("tenant_id", "tenant", section.tenant)
    variable = section.values.get("client_secret_env")
    if variable and "client_secret" not in layer.values:
        found = next((s[variable] for s in secret_sources if s.get(variable, "").strip()), None)
        if found is None:
            raise ConfigError(f"{section.where}: client_secret_env names {variable}, which is not set")
        layer.set("client_secret", f"${variable}", found)
    return layer
