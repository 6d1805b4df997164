"""`stnb resources`, `stnb pull` and `stnb doctor`: the catalog, a pull to a file, a credentials check.

Output never contains secrets: credentials are shown masked (client id `cid.ab…xyz`, app key as its
fingerprint), tokens and client secrets never.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, cast

from stnb._text import plural
from stnb.catalog import Catalog, Resource, UnknownResourceError, load_catalog
from stnb.cli.common import MAX_PAGE_SIZE, add_connection_arguments, bounded_int, one_line
from stnb.errors import ApiError, AuthError, PermissionDenied, StnbError, TransportError, UsageError

if TYPE_CHECKING:
    from stnb._clock import Clock
    from stnb.catalog.model import EndpointKind

__all__ = ["doctor", "pull", "register", "resources", "skipped_paths"]

_KINDS = ("list", "export", "get")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `resources`, `pull` and `doctor`."""
    res = subparsers.add_parser("resources", help="list the catalog's resources (filterable)")
    res.add_argument("text", nargs="?", default="", help="only resources whose key contains TEXT")
    res.add_argument("--module", help="only this API module (e.g. jpm, crm, accounting)")
    res.add_argument("--kind", choices=_KINDS, help="only resources with this kind of endpoint")
    res.add_argument(
        "--skipped",
        action="store_true",
        help="list the documented GET paths that are not resources (downloads, singletons), with why",
    )
    res.set_defaults(
        func=lambda args: (
            skipped_paths(args.text, module=args.module)
            if args.skipped
            else resources(args.text, module=args.module, kind=args.kind)
        )
    )

    pl = subparsers.add_parser("pull", help="pull a resource into a Parquet or CSV file")
    pl.add_argument("resource", help="catalog name, e.g. jpm/jobs or customers")
    add_connection_arguments(pl)
    pl.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a filter, repeatable (e.g. --filter active=any --filter modifiedOnOrAfter=2026-01-01)",
    )
    pl.add_argument(
        "--export",
        action="store_true",
        help="read the export feed instead of the list (no pages: --max-pages/--page-size are refused)",
    )
    pl.add_argument("--since", help="with --export: start from this date (YYYY-MM-DD)")
    pl.add_argument(
        "--max-pages",
        type=bounded_int(1),
        metavar="N",
        help="list only: stop after N pages (the summary then says TRUNCATED)",
    )
    pl.add_argument(
        "--page-size",
        type=bounded_int(1, MAX_PAGE_SIZE),
        metavar="N",
        help=f"list only: records per page (1 to {MAX_PAGE_SIZE})",
    )
    pl.add_argument("--out", required=True, type=Path, help="FILE.parquet or FILE.csv")
    pl.set_defaults(func=_pull_command)

    doc = subparsers.add_parser(
        "doctor",
        help="which credentials were found, can a token be had, which APIs 403",
        description="Show the credential sources (masked), get a token and send one cheap request per "
        "API module, per environment. Exit code 1 when a checked environment has a problem.",
    )
    add_connection_arguments(doc, env_help="only this environment (default: integration and production)")
    doc.set_defaults(
        func=lambda args: doctor(env=args.env, profile=args.profile, tenant=args.tenant, sandbox=args.sandbox)
    )


# -- resources ---------------------------------------------------------------------------------------


def resources(
    text: str = "",
    *,
    module: str | None = None,
    kind: str | None = None,
    catalog: Catalog | None = None,
    out: TextIO | None = None,
) -> int:
    """Print the matching catalog resources as a table; returns the exit code."""
    out = out or sys.stdout
    catalog = catalog or load_catalog()
    if module and module not in catalog.modules:
        print(
            f"stnb resources: error: unknown module {module!r}; modules: {', '.join(catalog.modules)}",
            file=sys.stderr,
        )
        return 2
    wanted = cast("EndpointKind | None", kind)
    found = [r for r in catalog.search(text, kind=wanted) if module is None or r.module == module]
    if not found and text:
        return _fail("resources", _no_match(catalog, text, module, kind))
    rows = [("RESOURCE", "ENDPOINTS", "FILTERS", "ACTIVE")]
    rows += [(r.key, _endpoints(r), str(_filter_count(r)), _active(r)) for r in found]
    width = [max(len(row[i]) for row in rows) for i in range(3)]
    for row in rows:
        print(f"{row[0]:<{width[0]}}  {row[1]:<{width[1]}}  {row[2]:>{width[2]}}  {row[3]}", file=out)
    print(f"{len(found)} of {plural(len(catalog), 'resource')}", file=out)
    if not text and module is None and kind is None and catalog.skipped:
        kinds = Counter(s.kind for s in catalog.skipped)
        listed = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(
            f"{len(catalog.skipped)} documented GET paths are not resources ({listed}): "
            "stnb resources --skipped",
            file=out,
        )
    return 0


def skipped_paths(
    text: str = "", *, module: str | None = None, catalog: Catalog | None = None, out: TextIO | None = None
) -> int:
    """Print the documented GET paths that are not resources, with their kind and reason."""
    out = out or sys.stdout
    catalog = catalog or load_catalog()
    found = [
        s
        for s in catalog.skipped
        if text.lower() in s.path.lower() and (module is None or s.module == module)
    ]
    rows = [("PATH", "KIND", "REASON")] + [(s.path, s.kind, s.reason) for s in found]
    width = [max(len(row[i]) for row in rows) for i in range(2)]
    for row in rows:
        print(f"{row[0]:<{width[0]}}  {row[1]:<{width[1]}}  {row[2]}", file=out)
    print(f"{len(found)} of {len(catalog.skipped)} documented GET paths that are not resources", file=out)
    return 0


def _no_match(catalog: Catalog, text: str, module: str | None, kind: str | None) -> str:
    """Why nothing matched, with the closest resource names (by key or short name)."""
    import difflib

    keys = [r.key for r in catalog]
    names = {part: r.key for r in catalog for part in (r.key, r.key.split("/")[-1])}
    close = difflib.get_close_matches(text.strip().lower(), list(names), n=5, cutoff=0.6)
    suggestions = list(dict.fromkeys(names[c] for c in close))
    where = "".join(f" --{k} {v}" for k, v in (("module", module), ("kind", kind)) if v)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else "; `stnb resources` lists them all"
    return f"no resource of the {len(keys)} contains {text!r}{where}{hint}"


def _endpoints(resource: Resource) -> str:
    return ",".join(k for k in _KINDS if getattr(resource, k) is not None)


def _filter_count(resource: Resource) -> int:
    return len(resource.list.filters) if resource.list is not None else 0


def _active(resource: Resource) -> str:
    return "yes" if resource.list is not None and resource.list.supports_active else "-"


# -- pull --------------------------------------------------------------------------------------------


def _pull_command(args: argparse.Namespace) -> int:
    return pull(
        args.resource,
        args.out,
        env=args.env,
        profile=args.profile,
        tenant=args.tenant,
        sandbox=args.sandbox,
        filters=args.filter,
        export=args.export,
        since=args.since,
        max_pages=args.max_pages,
        page_size=args.page_size,
    )


def pull(
    resource: str,
    out_path: Path,
    *,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: Any = None,
    filters: Sequence[str] = (),
    export: bool = False,
    since: str | None = None,
    max_pages: int | None = None,
    page_size: int | None = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Pull `resource` into `out_path` (.parquet or .csv); prints one summary line; returns the exit code."""
    import stnb
    from stnb._checks import check_output_path
    from stnb._connection import ACTIVE_HINT

    out = out or sys.stdout
    try:  # the arguments alone, before connecting: exit code 2 as for argparse's own checks
        check_output_path(out_path)
        parsed = _parse_filters(filters)
    except StnbError as exc:
        return _fail("pull", str(exc), code=2)
    if since is not None and not export:
        return _fail("pull", "--since needs --export (list endpoints take modifiedOnOrAfter=...)", code=2)
    if export and (max_pages is not None or page_size is not None):
        return _fail(
            "pull",
            "--max-pages and --page-size apply to list endpoints; the export feed has no pages "
            "(use --since to read less)",
            code=2,
        )
    hint = ACTIVE_HINT.set("pass --filter active=any")
    try:
        with stnb.connect(env, profile, tenant, sandbox=sandbox, transport=transport, clock=clock) as st:
            started = time.perf_counter()
            kwargs: dict[str, Any] = dict(parsed)
            if export:
                path = st.to_parquet(resource, out_path, export=True, since=since, **kwargs)
            else:
                path = st.to_parquet(resource, out_path, max_pages=max_pages, page_size=page_size, **kwargs)
            info = st.last_query
            elapsed = time.perf_counter() - started
    except (StnbError, UnknownResourceError) as exc:
        return _fail("pull", str(exc))
    finally:
        ACTIVE_HINT.reset(hint)
    assert info is not None
    where = f"{info.env} tenant {info.tenant}" + (" (sandbox)" if info.sandbox else "")
    active = f", active={info.active}" if info.active is not None else ""
    truncated = ", TRUNCATED by --max-pages" if info.truncated else ""
    print(
        f"wrote {plural(info.rows, 'row')} of {info.resource} ({info.kind}{active}{truncated}) from {where} "
        f"to {path} in {elapsed:.1f} s",
        file=out,
    )
    return 0


def _parse_filters(pairs: Sequence[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--filter {pair!r} is not NAME=VALUE")
        parsed[name.strip()] = value.strip()
    return parsed


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"stnb {command}: error: {one_line(message)}", file=sys.stderr)
    return code


# -- doctor ------------------------------------------------------------------------------------------


def doctor(
    *,
    env: str | None = None,
    profile: str | None = None,
    tenant: str | None = None,
    sandbox: bool | None = None,
    transport: Any = None,
    clock: Clock | None = None,
    out: TextIO | None = None,
) -> int:
    """Report credential sources (masked), whether a token can be obtained, and which modules answer 403.

    `sandbox`: True checks the built-in sandbox (`profile` names a demo app), False requires real
    credentials, None checks real credentials where found. Returns 0 when every checked environment
    works, 1 otherwise; an unknown `env` raises ConfigError.
    """
    from stnb._config import ENVIRONMENTS, default_env, discover, get_environment

    out = out or sys.stdout
    default_env()  # a bad STNB_ENV is an error here as in `stnb pull`, not silently ignored
    envs = [get_environment(env).name] if env else list(ENVIRONMENTS)
    print("Credential sources (secrets masked):", file=out)
    sources = discover()
    for source in sources:
        print(f"  {source}", file=out)
    if not sources:
        print("  none found (environment variables, .env, profiles TOML)", file=out)
    healthy = True
    for name in envs:
        print(f"\n{name}:", file=out)
        try:
            st = _doctor_connect(name, profile, tenant, sandbox, transport, clock, out)
        except StnbError as exc:
            print(f"  PROBLEM: {exc}", file=out)
            healthy = False
            continue
        if st is None:
            continue
        with st:
            healthy = _sweep(st, out) and healthy
    return 0 if healthy else 1


def _doctor_connect(
    env: str,
    profile: str | None,
    tenant: str | None,
    sandbox: bool | None,
    transport: Any,
    clock: Clock | None,
    out: TextIO,
) -> Any:
    """The connection to check, or None when there is nothing to check (no credentials, sandbox allowed)."""
    import stnb
    from stnb._config import resolve_credentials

    if sandbox is not True:
        credentials = resolve_credentials(env, profile=profile, tenant=tenant)
        if credentials is None and sandbox is None:
            print(
                "  no credentials: stnb.connect() would use the built-in sandbox "
                "(`stnb doctor --sandbox` checks it)",
                file=out,
            )
            return None
        if credentials is not None:
            print(f"  using {credentials!r}", file=out)
    st = stnb.connect(env, profile, tenant, sandbox=sandbox, transport=transport, clock=clock)
    if sandbox is True:
        print(f"  using the built-in sandbox: {st.client.credentials!r}", file=out)
    return st


def _sweep(st: Any, out: TextIO) -> bool:
    """One cheap GET per module; the first call also proves that a token can be obtained."""
    forbidden: list[str] = []
    healthy = True
    for number, resource in enumerate(_probes(st.catalog)):
        endpoint = resource.endpoint("list")
        params = {"pageSize": "1"} if "pageSize" in endpoint.params else None
        started = time.perf_counter()
        try:
            st.client.request_json("GET", endpoint.path, params=params)
        except AuthError as exc:
            token_step = bool(exc.url_template and "/connect/token" in exc.url_template)
            print(f"  {'token' if token_step else 'authentication'}: FAILED — {exc}", file=out)
            return False
        except TransportError as exc:
            print(f"  cannot reach the API: {exc}", file=out)
            return False
        except PermissionDenied:
            forbidden.append(resource.module)
            status = "403 forbidden (the app lacks this API scope, or the tenant did not grant it)"
        except ApiError as exc:
            healthy = False
            status = f"error: {exc.status or ''} {exc.title or type(exc).__name__}".replace("  ", " ")
        else:
            status = f"ok ({(time.perf_counter() - started) * 1000:.0f} ms)"
        if number == 0:
            print(f"  token: ok ({st!r})", file=out)
        print(f"  {resource.module:<22} {resource.key:<44} {status}", file=out)
    if forbidden:
        print(f"  403 on: {', '.join(forbidden)}", file=out)
    return healthy


def _probes(catalog: Catalog) -> list[Resource]:
    """Per module, the first plain list resource (no parent id needed)."""
    chosen: dict[str, Resource] = {}
    for resource in sorted(catalog, key=lambda r: (r.module, r.key.count("/"), r.key)):
        endpoint = resource.list
        if endpoint is None or endpoint.parent_param is not None or resource.module in chosen:
            continue
        if any(p.required for p in endpoint.params.values()):
            continue
        chosen[resource.module] = resource
    return list(chosen.values())
