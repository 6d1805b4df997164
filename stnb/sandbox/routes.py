"""Which endpoint a path names: the catalog's list/export/get paths compiled into one lookup per module."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from stnb.catalog import Catalog, Resource, Skipped

__all__ = ["API_PATH", "Match", "Route", "Router"]

# /{module}/{version}/tenant/{tenant}/{tail}
API_PATH = re.compile(
    r"^/(?P<module>[A-Za-z][A-Za-z0-9-]*)/(?P<version>v\d+)/tenant/(?P<tenant>[^/]+)(?:/(?P<tail>.*))?$"
)
_PARAM = re.compile(r"\{([^}]+)\}")

Kind = Literal["list", "export", "get", "skipped", "create_customer", "add_job_note", "update_job"]


@dataclass(frozen=True, slots=True)
class Route:
    """One endpoint: the resource it serves (None for writes without one), its kind and URL template;
    a documented GET that is not a resource (`Catalog.skipped`) has kind "skipped" and `skipped` set."""

    kind: Kind
    method: str
    template: str
    resource: Resource | None
    skipped: Skipped | None = None


@dataclass(frozen=True, slots=True)
class Match:
    route: Route
    path_params: Mapping[str, str]


# Writes the sandbox supports (method, path template, kind, resource key for the response shape).
WRITE_ROUTES: tuple[tuple[str, str, Kind, str], ...] = (
    ("POST", "/crm/v2/tenant/{tenant}/customers", "create_customer", "crm/customers"),
    ("POST", "/jpm/v2/tenant/{tenant}/jobs/{id}/notes", "add_job_note", "jpm/jobs/{id}/notes"),
    ("PATCH", "/jpm/v2/tenant/{tenant}/jobs/{id}", "update_job", "jpm/jobs"),
)


def _compile(template: str) -> re.Pattern[str]:
    pattern = ""
    last = 0
    for match in _PARAM.finditer(template):
        pattern += re.escape(template[last : match.start()])
        name = match.group(1)
        pattern += "(?P<tenant>[^/]+)" if name == "tenant" else f"(?P<p_{_group(name)}>[^/]+)"
        last = match.end()
    pattern += re.escape(template[last:])
    return re.compile(f"^{pattern}/?$")


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)


class Router:
    """Resolves (method, path) to a route; `allowed` lists the methods a path accepts (for 405)."""

    def __init__(self, catalog: Catalog) -> None:
        self._by_module: dict[str, list[tuple[re.Pattern[str], Route, dict[str, str]]]] = {}
        for resource in catalog:
            for kind in ("list", "export", "get"):
                endpoint = getattr(resource, kind)
                if endpoint is None:
                    continue
                self._add(Route(kind, endpoint.method, endpoint.path, resource), endpoint.path)
        for skipped in catalog.skipped:
            if skipped.kind != "rows":  # value rows belong to the Reporting API, answered elsewhere
                self._add(Route("skipped", "GET", skipped.path, None, skipped), skipped.path)
        for method, template, write_kind, key in WRITE_ROUTES:
            shape = catalog.resolve(key) if key in catalog else None
            self._add(Route(write_kind, method, template, shape), template)
        # Literal paths first, so `customers/contacts` never matches `customers/{id}`.
        for routes in self._by_module.values():
            routes.sort(key=lambda entry: (entry[1].template.count("{"), -len(entry[1].template)))

    def _add(self, route: Route, template: str) -> None:
        module = template.split("/")[1]
        names = {_group(n): n for n in _PARAM.findall(template) if n != "tenant"}
        self._by_module.setdefault(module, []).append((_compile(template), route, names))

    def modules(self) -> set[str]:
        return set(self._by_module)

    def match(self, method: str, path: str) -> tuple[Match | None, list[str]]:
        """The route for this method and path, or None plus the methods the path does accept."""
        module = path.split("/")[1] if path.count("/") > 1 else ""
        allowed: list[str] = []
        for pattern, route, names in self._by_module.get(module, []):
            found = pattern.match(path)
            if found is None:
                continue
            if route.method != method:
                allowed.append(route.method)
                continue
            params = {names[g[2:]]: v for g, v in found.groupdict().items() if g.startswith("p_")}
            return Match(route, params), allowed
        return None, allowed
