"""Environments and credentials: which ServiceTitan answers, and who is asking.

`resolve_credentials(env)` takes each field from the first source that has it: explicit arguments,
then environment variables, then a `.env` file, then the profiles TOML file. The client id and secret
always come together from one source. Variables, per environment ENV (INTEGRATION, PRODUCTION):

- `STNB_ENV_APP_KEY`, `STNB_ENV_CLIENT_ID`, `STNB_ENV_CLIENT_SECRET`, `STNB_ENV_TENANT_ID`,
  `STNB_ENV_TIMEZONE`, `STNB_ENV_APP_NAME` (e.g. `STNB_PRODUCTION_CLIENT_ID`) for that environment;
- `STNB_CLIENT_ID` and `STNB_CLIENT_SECRET` for the environment named by `STNB_ENV` (default
  integration: client credentials are environment specific); `STNB_APP_KEY`, `STNB_TENANT_ID`,
  `STNB_TIMEZONE` and `STNB_APP_NAME` for every environment;
- servicepytan's `SERVICETITAN_CLIENT_ID` and `SERVICETITAN_CLIENT_SECRET` for the environment named by
  `SERVICETITAN_API_ENVIRONMENT` (default production, as in servicepytan); `SERVICETITAN_APP_KEY`,
  `SERVICETITAN_TENANT_ID`, `SERVICETITAN_TIMEZONE` and `SERVICETITAN_APP_ID` (used as the app name)
  for every environment.

Profiles live in `profiles.toml` under the platform's config directory (override: `STNB_PROFILES`);
one table per profile, environment and tenant, outer tables giving shared values::

    [acme]
    app_key = "ak1...."
    app_name = "Acme sync"

    [acme.production.431848990]
    client_id = "cid...."
    client_secret_env = "ACME_PROD_SECRET"   # or client_secret = "cs1...."
    timezone = "America/Chicago"
    tenant_name = "Acme HVAC"

`STNB_PROFILE` names the profile to use when `profile=` is not given.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from stnb._attempts import app_fingerprint
from stnb._redact import register_secret
from stnb.errors import ConfigError

__all__ = [
    "ENVIRONMENTS",
    "CredentialSource",
    "Credentials",
    "Environment",
    "default_env",
    "default_profiles_path",
    "discover",
    "get_environment",
    "mask_client_id",
    "parse_dotenv",
    "resolve_credentials",
    "sandbox_environment",
]

_DEFAULT_ENV = "integration"
_SERVICEPYTAN_DEFAULT_ENV = "production"


@dataclass(frozen=True, slots=True)
class Environment:
    """Where to get tokens and where the API lives; `writable` False means writes need allow_writes=True."""

    name: str
    auth_url: str
    api_url: str
    writable: bool


ENVIRONMENTS: MappingProxyType[str, Environment] = MappingProxyType(
    {
        "integration": Environment(
            "integration",
            "https://auth-integration.servicetitan.io/connect/token",
            "https://api-integration.servicetitan.io",
            writable=True,
        ),
        "production": Environment(
            "production",
            "https://auth.servicetitan.io/connect/token",
            "https://api.servicetitan.io",
            writable=False,
        ),
    }
)


def get_environment(name: str) -> Environment:
    """The real environment called `name` (case-insensitive); ConfigError naming the valid ones otherwise."""
    key = name.strip().lower()
    if key in ENVIRONMENTS:
        return ENVIRONMENTS[key]
    raise ConfigError(unknown_environment_message(name))


def unknown_environment_message(name: str) -> str:
    valid = ", ".join(ENVIRONMENTS)
    close = difflib.get_close_matches(name.strip().lower(), list(ENVIRONMENTS), n=1, cutoff=0.4)
    suggestion = f"; did you mean {close[0]!r}?" if close else ""
    return f"unknown environment {name!r} (valid: {valid}){suggestion}"


def sandbox_environment(name: str, url: str) -> Environment:
    """The Environment for a sandbox serving `name` at `url` (token endpoint at url + /connect/token).

    The sandbox's production is read-only like the real one, so a notebook behaves the same offline and live.
    """
    base = url.rstrip("/")
    real = ENVIRONMENTS.get(name)
    return Environment(name, f"{base}/connect/token", base, writable=real.writable if real else True)


def mask_client_id(client_id: str) -> str:
    """A recognisable but unusable form of a client id: 'cid.ab…xyz'."""
    head, dot, tail = client_id.partition(".")
    if dot and len(head) <= 4 and len(tail) >= 8:
        return f"{head}.{tail[:2]}…{tail[-3:]}"
    if len(client_id) >= 10:
        return f"{client_id[:2]}…{client_id[-3:]}"
    return f"{client_id[:1]}…"


@dataclass(frozen=True, slots=True, repr=False)
class Credentials:
    """One app's client credentials for one tenant in one environment. Secrets never appear in repr/str."""

    app_key: str
    client_id: str
    client_secret: str
    tenant_id: int
    app_name: str | None = None
    timezone: str | None = None
    source: str = "arguments"

    def __post_init__(self) -> None:
        for name in ("app_key", "client_id", "client_secret"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"Credentials.{name} must be a non-empty string")
        if isinstance(self.tenant_id, bool) or not isinstance(self.tenant_id, int) or self.tenant_id <= 0:
            raise ConfigError(f"Credentials.tenant_id must be a positive integer, got {self.tenant_id!r}")
        register_secret(self.client_secret)
        register_secret(self.app_key)
        register_secret(self.client_id, mask_client_id(self.client_id))

    @property
    def app(self) -> str:
        """The app key's fingerprint: safe to show and to log."""
        return app_fingerprint(self.app_key)

    @property
    def masked_client_id(self) -> str:
        return mask_client_id(self.client_id)

    def __repr__(self) -> str:
        name = f" app_name={self.app_name!r}" if self.app_name else ""
        zone = f" timezone={self.timezone!r}" if self.timezone else ""
        return (
            f"<Credentials tenant={self.tenant_id} client={self.masked_client_id} app={self.app}{name}{zone}"
            f" source={self.source!r}>"
        )

    __str__ = __repr__


# -- sources ---------------------------------------------------------------------------------------

_PAIR = ("client_id", "client_secret")
_FIELD_LABELS = {
    "app_key": "app key",
    "client_id": "client id",
    "client_secret": "client secret",
    "tenant_id": "tenant id",
    "app_name": "app name",
    "timezone": "time zone",
}
_SECRET_FIELDS = frozenset({"app_key", "client_id", "client_secret"})
_APP_FIELDS = ("app_key", "app_name")  # the same app in every environment
_SHARED_FIELDS = (*_APP_FIELDS, "tenant_id", "timezone")  # plain variables that apply to every environment
_VAR_SUFFIX = {f: f.upper() for f in _FIELD_LABELS}
_SERVICEPYTAN_VARS = {
    "app_key": "SERVICETITAN_APP_KEY",
    "app_name": "SERVICETITAN_APP_ID",
    "client_id": "SERVICETITAN_CLIENT_ID",
    "client_secret": "SERVICETITAN_CLIENT_SECRET",
    "tenant_id": "SERVICETITAN_TENANT_ID",
    "timezone": "SERVICETITAN_TIMEZONE",
}
_PROFILE_KEYS = frozenset({"app_key", "app_name", "timezone"})
_SECTION_KEYS = _PROFILE_KEYS | {"client_id", "client_secret", "client_secret_env", "tenant_name"}
_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_OURS = re.compile(r"\b(?:STNB|SERVICETITAN)")


@dataclass(slots=True)
class _Layer:
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
        have = [f for f in _PAIR if f in self.values]
        if len(have) == 1:
            other = "client_secret" if have[0] == "client_id" else "client_id"
            return (
                f"{_FIELD_LABELS[have[0]]} is set ({self.label(have[0])}) "
                f"but the {_FIELD_LABELS[other]} is not; both come from the same source"
            )
        return None


@dataclass(frozen=True, slots=True)
class _Section:
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


def parse_dotenv(text: str, where: str = ".env") -> dict[str, str]:
    """KEY=VALUE lines with optional `export`, quotes and # comments.

    Malformed lines that mention STNB_ or SERVICETITAN_ raise ConfigError (they are ours and would
    otherwise be silently lost); other malformed lines belong to other tools and are skipped.
    """
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, value = _dotenv_line(line)
        except ValueError as exc:
            if _OURS.search(line):
                raise ConfigError(f"{where}, line {number}: {exc}") from None
            continue
        result[key] = value
    return result


def _dotenv_line(line: str) -> tuple[str, str]:
    if line.startswith("export "):
        line = line[len("export ") :].lstrip()
    key, sep, value = line.partition("=")
    key = key.strip()
    if not sep:
        raise ValueError("expected KEY=VALUE")
    if not _DOTENV_KEY.fullmatch(key):
        raise ValueError("the name before '=' is not a valid variable name")
    value = value.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = _closing_quote(value, quote)
        if end < 0:
            raise ValueError(f"unterminated {quote} quote (multi-line values are not supported)")
        rest = value[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError("unexpected text after the closing quote")
        inner = value[1:end]
        return key, _unescape(inner) if quote == '"' else inner
    for marker in (" #", "\t#"):
        at = value.find(marker)
        if at >= 0:
            value = value[:at].rstrip()
    return key, value


def _closing_quote(value: str, quote: str) -> int:
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and quote == '"':
            index += 2
            continue
        if char == quote:
            return index
        index += 1
    return -1


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), text)


def _read_dotenv(env_file: Path | None) -> tuple[dict[str, str], str]:
    if env_file is None:
        return {}, ".env"
    path = env_file.expanduser()
    where = f".env file {path.resolve() if path.exists() else path}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}, where
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {where}: {type(exc).__name__}") from None
    return parse_dotenv(text, where), where


def _variable_layers(variables: Mapping[str, str], env: str, where: str, stnb_env: str) -> list[_Layer]:
    """Layers from a set of variables (the process environment or a .env), most specific first."""
    qualified = _Layer(f"{where} (STNB_{env.upper()}_*)")
    for name, suffix in _VAR_SUFFIX.items():
        qualified.set(name, f"STNB_{env.upper()}_{suffix}", variables.get(f"STNB_{env.upper()}_{suffix}"))
    plain = _Layer(f"{where} (STNB_*)")
    plain_fields = _SHARED_FIELDS + (_PAIR if stnb_env == env else ())
    for name in plain_fields:
        plain.set(name, f"STNB_{_VAR_SUFFIX[name]}", variables.get(f"STNB_{_VAR_SUFFIX[name]}"))
    servicepytan = _Layer(f"{where} (SERVICETITAN_*)")
    spy_env = variables.get("SERVICETITAN_API_ENVIRONMENT", "").strip().lower() or _SERVICEPYTAN_DEFAULT_ENV
    spy_fields = _SHARED_FIELDS + (_PAIR if spy_env == env else ())
    for name in spy_fields:
        servicepytan.set(name, _SERVICEPYTAN_VARS[name], variables.get(_SERVICEPYTAN_VARS[name]))
    return [layer for layer in (qualified, plain, servicepytan) if layer.values]


def _load_sections(path: Path) -> list[_Section]:
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
    sections: list[_Section] = []
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
                sections.append(_Section(profile, env_name, tenant, {**env_shared, **own}, path))
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


def _section_layer(section: _Section, secret_sources: list[Mapping[str, str]]) -> _Layer:
    layer = _Layer(section.where)
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


def _tenant_matches(section: _Section, tenant: str) -> bool:
    name = str(section.values.get("tenant_name", "")).strip().lower()
    return section.tenant == tenant or (bool(name) and name == tenant.lower())


def _choose_section(
    sections: list[_Section],
    env: str,
    profile: str | None,
    tenant: str | None,
    explicit_profile: bool,
    path: Path,
) -> tuple[_Section | None, str | None]:
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


# -- resolution ------------------------------------------------------------------------------------


def default_env(environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")) -> str:
    """`STNB_ENV` (process environment, then `.env`), else integration."""
    env = os.environ if environ is None else environ
    name = env.get("STNB_ENV", "").strip()
    if not name:
        name = _read_dotenv(env_file)[0].get("STNB_ENV", "").strip()
    return get_environment(name).name if name else _DEFAULT_ENV


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
    dotenv, dotenv_where = _read_dotenv(env_file)
    stnb_env = (variables.get("STNB_ENV") or dotenv.get("STNB_ENV") or _DEFAULT_ENV).strip().lower()
    path = profiles_path if profiles_path is not None else default_profiles_path(variables)
    wanted_tenant = None if tenant is None else str(tenant).strip()

    arguments = _Layer("arguments")
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

    layers = [arguments, *_variable_layers(variables, env_name, "environment variables", stnb_env)]
    layers += _variable_layers(dotenv, env_name, dotenv_where, stnb_env)

    explicit_profile = profile is not None
    profile = profile or variables.get("STNB_PROFILE", "").strip() or None
    sections = _load_sections(path)
    section, ambiguity = _choose_section(sections, env_name, profile, wanted_tenant, explicit_profile, path)
    if section is not None:
        layers.append(_section_layer(section, [variables, dotenv]))
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


def _target_tenant(layers: list[_Layer], named: _Section | None) -> str | None:
    """The tenant asked for (arguments, or a section chosen by tenant name), else the first pair's tenant."""
    asked = layers[0].values.get("tenant_id")
    if asked is not None:
        return asked
    if named is not None:
        return named.tenant
    with_pair = next((la for la in layers if "client_id" in la.values and "tenant_id" in la.values), None)
    return with_pair.values["tenant_id"] if with_pair is not None else None


def _for_tenant(layer: _Layer, tenant: str) -> _Layer:
    """The layer, or only its app-wide values when it holds another tenant's credentials."""
    if layer.values.get("tenant_id", tenant) == tenant:
        return layer
    kept = _Layer(layer.where)
    for name in _APP_FIELDS:
        kept.set(name, layer.names.get(name, name), layer.values.get(name))
    return kept


def _build(env: str, layers: list[_Layer], pair_layer: _Layer, dotenv_where: str, path: Path) -> Credentials:
    chosen: dict[str, str] = {f: pair_layer.values[f] for f in _PAIR}
    origin: dict[str, _Layer] = dict.fromkeys(_PAIR, pair_layer)
    for name in ("app_key", "tenant_id", "app_name", "timezone"):
        for layer in layers:
            if name in layer.values:
                chosen[name], origin[name] = layer.values[name], layer
                break
    missing = [_FIELD_LABELS[f] for f in ("app_key", "tenant_id") if f not in chosen]
    if missing:
        raise ConfigError(
            f"{env} credentials are incomplete: no {' and no '.join(missing)} "
            f"(client id from {pair_layer.where}; looked in {_looked_in(env, dotenv_where, path)})"
        )
    for name in _SECRET_FIELDS:
        if re.search(r"[\s\"'<>]", chosen[name]):
            raise ConfigError(
                f"{env} credentials: the {_FIELD_LABELS[name]} from {origin[name].label(name)} contains "
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


# -- discovery (for `stnb doctor`) -----------------------------------------------------------------


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
        dotenv, dotenv_where = _read_dotenv(env_file)
    except ConfigError as exc:
        found.append(_problem_source(str(env_file), str(exc)))
        dotenv, dotenv_where = {}, ".env"
    try:
        sections = _load_sections(path)
    except ConfigError as exc:
        found.append(_problem_source(str(path), str(exc)))
        sections = []
    stnb_env = (variables.get("STNB_ENV") or dotenv.get("STNB_ENV") or _DEFAULT_ENV).strip().lower()
    for env in ENVIRONMENTS:
        layers = _variable_layers(variables, env, "environment variables", stnb_env)
        layers += _variable_layers(dotenv, env, dotenv_where, stnb_env)
        for layer in layers:
            if any(f in layer.values for f in _PAIR):
                found.append(_describe(env, layer, layer.pair_problem()))
        for section in (s for s in sections if s.env == env):
            problem: str | None
            try:
                layer = _section_layer(section, [variables, dotenv])
            except ConfigError as exc:
                layer, problem = _Layer(section.where), str(exc)
                layer.set("tenant_id", "tenant", section.tenant)
            else:
                problem = layer.pair_problem()
            found.append(_describe(env, layer, problem))
    return found


def _describe(env: str, layer: _Layer, problem: str | None) -> CredentialSource:
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
