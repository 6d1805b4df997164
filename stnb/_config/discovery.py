"""Every place holding credentials, masked, with its problem if any (for `stnb doctor` and the widgets)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stnb._attempts import app_fingerprint
from stnb._config.credentials import mask_client_id
from stnb._config.dotenv import read_dotenv
from stnb._config.environments import DEFAULT_ENV, ENVIRONMENTS
from stnb._config.profiles import default_profiles_path, load_sections
from stnb._config.sources import PAIR, Layer, section_layer, variable_layers
from stnb.errors import ConfigError

__all__ = ["CredentialSource", "discover"]


@dataclass(frozen=True, slots=True)
class CredentialSource:
    """A place where (part of) an environment's credentials were found; secrets masked."""

    env: str
    where: str
    tenant_id: str | None
    client: str | None  # masked client id
    app: str | None  # app key fingerprint
    app_name: str | None
    has_secret: bool
    problem: str | None

    def __str__(self) -> str:
        parts = [f"{self.env}: {self.where}"]
        if self.tenant_id:
            parts.append(f"tenant {self.tenant_id}")
        if self.client:
            parts.append(f"client {self.client}")
        parts.append("secret set" if self.has_secret else "no secret")
        if self.app:
            parts.append(f"app {self.app}" + (f" ({self.app_name})" if self.app_name else ""))
        if self.problem:
            parts.append(f"PROBLEM: {self.problem}")
        return ", ".join(parts)


def discover(
    environ: Mapping[str, str] | None = None,
    *,
    env_file: Path | None = Path(".env"),
    profiles_path: Path | None = None,
) -> list[CredentialSource]:
    """Every source holding client credentials, per environment, masked; problems are reported, not raised."""
    variables = os.environ if environ is None else environ
    path = profiles_path if profiles_path is not None else default_profiles_path(variables)
    found: list[CredentialSource] = []
    try:
        dotenv, dotenv_where = read_dotenv(env_file)
    except ConfigError as exc:
        found.append(_problem_source(str(env_file), str(exc)))
        dotenv, dotenv_where = {}, ".env"
    try:
        sections = load_sections(path)
    except ConfigError as exc:
        found.append(_problem_source(str(path), str(exc)))
        sections = []
    stnb_env = (variables.get("STNB_ENV") or dotenv.get("STNB_ENV") or DEFAULT_ENV).strip().lower()
    for env in ENVIRONMENTS:
        layers = variable_layers(variables, env, "environment variables", stnb_env)
        layers += variable_layers(dotenv, env, dotenv_where, stnb_env)
        for layer in layers:
            if any(f in layer.values for f in PAIR):
                found.append(_describe(env, layer, layer.pair_problem()))
        for section in (s for s in sections if s.env == env):
            problem: str | None
            try:
                layer = section_layer(section, [variables, dotenv])
            except ConfigError as exc:
                layer, problem = Layer(section.where), str(exc)
                layer.set("tenant_id", "tenant", section.tenant)
            else:
                problem = layer.pair_problem()
            found.append(_describe(env, layer, problem))
    return found


def _describe(env: str, layer: Layer, problem: str | None) -> CredentialSource:
    values = layer.values
    tenant = values.get("tenant_id")
    if problem is None and tenant is not None and not tenant.isdigit():
        problem = f"tenant id {tenant!r} is not an integer"
    return CredentialSource(
        env=env,
        where=layer.where,
        tenant_id=tenant,
        client=mask_client_id(values["client_id"]) if "client_id" in values else None,
        app=app_fingerprint(values["app_key"]) if "app_key" in values else None,
        app_name=values.get("app_name"),
        has_secret="client_secret" in values,
        problem=problem,
    )


def _problem_source(where: str, problem: str) -> CredentialSource:
    return CredentialSource("*", where, None, None, None, None, has_secret=False, problem=problem)
