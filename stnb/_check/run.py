"""`stnb.check(conn)`: the live API against its documents, its observed behaviour, and the sandbox.

For each list and export resource the budget allows (known deviations first, then the most used, then
catalog order), page 1 with a small page size, then a few behaviour probes; the same calls go to a
reference sandbox (in-process, not budgeted) to compare shapes and behaviours. Only GET requests are
sent, one request each (no retries), paced as every other call; a 429 stops the check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl

from stnb._check.findings import (
    BREAKS,
    COSMETIC,
    FINDING_SCHEMA,
    LOSES_DATA,
    QUIRK_SCHEMA,
    UNCHECKED_SCHEMA,
    mask_example,
)
from stnb._check.probe import BudgetExhausted, Probe, Reply, StopCheck
from stnb._check.result import CheckResult
from stnb._check.shape import ShapeIssue, check_envelope, check_records, json_kind
from stnb._connection import Connection
from stnb._progress import open_progress
from stnb.catalog import Catalog, Endpoint, Resource
from stnb.catalog.model import EndpointKind
from stnb.catalog.quirks import QUIRKS, Quirk

__all__ = ["DEFAULT_BUDGET", "PAGE_SIZE", "check"]

DEFAULT_BUDGET = 200
PAGE_SIZE = 5
_FLAG_PAGE_SIZE = 50
PROBE_PARAM = "stnbCheckProbe"  # a parameter no document names: the live API should ignore it
# Behaviour seen on a probe -> the known deviation it belongs to.
_BEHAVIOUR_QUIRKS = {
    "page-base": "page-from-zero",
    "sorted": "unsorted-pages",
    "active-default": "active-by-default",
    "filter-flags": "ignored-flags",
}
# Deviations a read-only check of lists and exports cannot see, and why.
_UNOBSERVABLE = {
    "capacity-window": "needs the capacity POST with a long range (an error on purpose)",
    "report-still-running": "needs a report run (a POST) racing another",
    "sort-by-modified-on": "needs a sort the document does not allow (an error on purpose)",
}
_COMMON_FIRST = (
    "crm/customers",
    "jpm/jobs",
    "accounting/invoices",
    "crm/locations",
    "jpm/appointments",
    "accounting/payments",
    "settings/technicians",
    "settings/business-units",
)


@dataclass
class _Run:
    """What one check collects while it runs."""

    findings: list[dict[str, Any]] = field(default_factory=list)
    unchecked: list[dict[str, str]] = field(default_factory=list)
    # (quirk id, path) -> "confirmed" | "contradicted"; evidence text per quirk
    quirk_seen: dict[tuple[str, str], str] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)
    checked_paths: set[str] = field(default_factory=set)
    rate_headers: dict[str, str] = field(default_factory=dict)


def check(
    conn: Connection,
    budget: int = DEFAULT_BUDGET,
    resources: str | Sequence[str] | None = None,
    *,
    reference: Connection | bool = True,
    usage: Mapping[str, int] | None = None,
    progress: bool | None = None,
    interrupt: Callable[[int], bool] | None = None,
) -> CheckResult:
    """Measure `conn`'s API against the catalog's documents, its behaviour and a reference sandbox.

    `budget`: requests at most (every GET counts; the token request does not). `resources`: catalog
    names (a comma text or a list) to check, else every list and export resource, known deviations first,
    then by `usage` (resource key -> calls, e.g. from the usage ledger), then in catalog order.
    `reference`: the sandbox to compare with (True: the built-in sandbox; False: no comparison).
    `interrupt(spent)` returning True stops the check as Ctrl-C does: the result is partial and says
    what was not checked.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive number of requests, got {budget!r}")
    chosen = _chosen(conn.catalog, resources, usage)
    # Shown at once unless progress=False, counting requests against the budget on the connection's clock.
    bar = open_progress(
        progress is not False, "stnb check", unit="request", clock=conn.clock, eager=True, total=budget
    )
    probe = Probe(conn, budget, on_request=(lambda: bar.update(1)) if bar.shown else None)
    ref = _reference(conn, reference)
    ref_probe = Probe(ref, None) if ref is not None else None
    run = _Run()
    started = datetime.now(UTC)
    stopped: str | None = None
    todo: list[tuple[Resource, str]] = [(r, k) for r in chosen for k in ("list", "export") if getattr(r, k)]
    done = 0
    try:
        for resource, kind in todo:
            if interrupt is not None and interrupt(probe.spent):
                raise KeyboardInterrupt
            endpoint = resource.endpoint(kind)  # type: ignore[arg-type]
            params, why_not = _required_params(endpoint)
            if why_not:
                run.unchecked.append({"resource": resource.key, "endpoint": kind, "reason": why_not})
                done += 1
                continue
            if not probe.affordable(1):
                raise BudgetExhausted
            if kind == "list":
                _check_list(run, probe, ref_probe, resource, endpoint, params)
            else:
                _check_export(run, probe, ref_probe, resource, endpoint, params)
            done += 1
    except BudgetExhausted:
        stopped = f"the budget of {budget} requests was spent"
    except StopCheck as exc:
        stopped = str(exc)
    except KeyboardInterrupt:
        stopped = "interrupted"
    finally:
        bar.close()
        if ref is not None and ref is not reference:
            ref.close()
    for resource, kind in todo[done:]:
        run.unchecked.append(
            {"resource": resource.key, "endpoint": kind, "reason": f"not reached: {stopped or 'stopped'}"}
        )
    return CheckResult(
        findings=pl.DataFrame(run.findings, schema=FINDING_SCHEMA, orient="row")
        if run.findings
        else pl.DataFrame(schema=FINDING_SCHEMA),
        quirks=_quirk_frame(run),
        unchecked=pl.DataFrame(run.unchecked, schema=UNCHECKED_SCHEMA)
        if run.unchecked
        else pl.DataFrame(schema=UNCHECKED_SCHEMA),
        requests=probe.spent,
        budget=budget,
        env=conn.env,
        sandbox=conn.sandbox,
        started=started,
        stopped=stopped,
        rate_headers=dict(run.rate_headers),
        documents=sorted({str(s.get("file", "")).split("/")[0] for s in conn.catalog.sources} - {""}),
    )


# --- choosing what to check ---------------------------------------------------------------------------


def _chosen(
    catalog: Catalog, resources: str | Sequence[str] | None, usage: Mapping[str, int] | None
) -> list[Resource]:
    if resources is not None:
        names = [n.strip() for n in resources.split(",")] if isinstance(resources, str) else list(resources)
        names = [n for n in names if n]
        if not names:
            raise ValueError("resources names no resource; leave it out to check every resource")
        picked = [catalog.resolve(n) for n in names]  # UnknownResourceError with suggestions
        for r in picked:
            if r.list is None and r.export is None:
                raise ValueError(f"{r.key} has neither a list nor an export endpoint to check")
        return list({r.key: r for r in picked}.values())
    quirk_paths = {p for q in QUIRKS for p in q.where}
    counts = usage or {}
    everything = [r for r in catalog if r.list is not None or r.export is not None]

    def rank(item: tuple[int, Resource]) -> tuple[int, int, int, int]:
        index, r = item
        paths = {e.path for e in (r.list, r.export) if e is not None}
        common = _COMMON_FIRST.index(r.key) if r.key in _COMMON_FIRST else len(_COMMON_FIRST)
        return (0 if paths & quirk_paths else 1, -counts.get(r.key, 0), common, index)

    return [r for _, r in sorted(enumerate(everything), key=rank)]


def _required_params(endpoint: Endpoint) -> tuple[dict[str, Any], str | None]:
    """Values for the parameters a call must have, or why the endpoint cannot be called blind."""
    if endpoint.parent_params:
        return {}, f"needs a parent id ({', '.join(endpoint.parent_params)})"
    params: dict[str, Any] = {}
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for p in endpoint.params.values():
        if not p.required or p.name in ("page", "pageSize", "includeTotal"):
            continue
        if p.type == "datetime":
            start = p.name.lower().startswith(("from", "start", "created", "modified"))
            moment = today - timedelta(days=30) if start else today
            params[p.name] = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        elif p.type == "date":
            start = p.name.lower().startswith(("from", "start"))
            params[p.name] = (today - timedelta(days=30) if start else today).date().isoformat()
        elif p.enum:
            params[p.name] = p.enum[0]
        elif p.type == "bool":
            params[p.name] = False
        else:
            return {}, f"needs a value for {p.name} ({p.type})"
    return params, None


def _reference(conn: Connection, reference: Connection | bool) -> Connection | None:
    if reference is False:
        return None
    if isinstance(reference, Connection):
        return reference
    from stnb._connect import connect_builtin_sandbox

    return connect_builtin_sandbox(conn.env, progress=False)


# --- one list endpoint --------------------------------------------------------------------------------


def _finding(
    run: _Run,
    resource: Resource,
    endpoint: Endpoint,
    category: str,
    check_name: str,
    field_path: str,
    documented: str,
    observed: str,
    severity: str,
    example: str = "",
    known: str | None = None,
    note: str | None = None,
) -> None:
    run.findings.append(
        {
            "resource": resource.key,
            "endpoint": endpoint.kind,
            "path": endpoint.path,
            "category": category,
            "check": check_name,
            "field": field_path,
            "documented": documented,
            "observed": observed,
            "example": example,
            "severity": severity,
            "known": known,
            "note": note,
        }
    )
    if known is not None:
        _saw(
            run,
            known,
            endpoint.path,
            "confirmed",
            f"{resource.key} {endpoint.kind}: {field_path or check_name} {observed}",
        )


def _saw(run: _Run, quirk_id: str, path: str, status: str, evidence: str) -> None:
    key = (quirk_id, path)
    if run.quirk_seen.get(key) != "confirmed":
        run.quirk_seen[key] = status
    run.evidence.setdefault(quirk_id, []).append(evidence)


def _quirk_for(path: str, check_name: str, field_path: str) -> Quirk | None:
    bare = field_path.replace("[]", "")
    for q in QUIRKS:
        if path not in q.where:
            continue
        if (
            q.schema
            and bare in q.fields
            and check_name
            in ("type", "format", "enum", "sometimes-missing", "missing-field", "required-missing")
        ):
            return q
        if _BEHAVIOUR_QUIRKS.get(check_name) == q.id:
            return q
    return None


_SEVERITY = {
    "undocumented-field": LOSES_DATA,
    "required-missing": BREAKS,  # a client that relies on the document's required list breaks
    "missing-field": BREAKS,  # optional fields (required=False) are cosmetic; not known: breaks
    "sometimes-missing": BREAKS,
    "type": BREAKS,
    "format": BREAKS,
    "enum": BREAKS,
    "envelope": BREAKS,
}


# A required field absent from every record of an integration environment: integration is a copy of
# production taken at its last refresh, so a field the documents added since is not there yet.
INTEGRATION_NOTE = (
    "integration is a copy of production taken at its last refresh: a field newer than the copy is absent "
    "there until the next refresh; check production before relying on it"
)


def _severity(issue: ShapeIssue) -> str:
    if issue.kind in ("missing-field", "sometimes-missing") and issue.required is False:
        return COSMETIC  # an optional field the API does not send: nothing a client may rely on
    return _SEVERITY[issue.kind]


def _document_findings(
    run: _Run, resource: Resource, endpoint: Endpoint, issues: Iterable[ShapeIssue], env: str
) -> None:
    for issue in issues:
        quirk = _quirk_for(endpoint.path, issue.kind, issue.path)
        every = issue.observed == "absent from every record"
        note = INTEGRATION_NOTE if env == "integration" and every and quirk is None else None
        _finding(
            run,
            resource,
            endpoint,
            "document",
            issue.kind,
            issue.path,
            issue.documented,
            issue.observed,
            _severity(issue),
            mask_example(issue.example, plain=issue.kind == "enum"),
            quirk.id if quirk else None,
            note,
        )


def _schema_quirks(run: _Run, resource: Resource, endpoint: Endpoint, records: list[Any]) -> None:
    """Known value deviations at this endpoint that its records show as documented (contradicted)."""
    kinds = _kinds(records)
    for q in QUIRKS:
        if not q.schema or endpoint.path not in q.where:
            continue
        if run.quirk_seen.get((q.id, endpoint.path)) == "confirmed":
            continue
        present = [f for f in q.fields if kinds.get(f, {"null"}) - {"null"}]
        if present:
            _saw(
                run,
                q.id,
                endpoint.path,
                "contradicted",
                f"{resource.key} {endpoint.kind}: {', '.join(present)} as documented",
            )


def _failed(run: _Run, resource: Resource, endpoint: Endpoint, reply: Reply) -> None:
    error = reply.error
    title = error.title if error is not None else ""
    if reply.status == 404:
        observed = "404: the endpoint is gone"
    elif reply.status in (401, 403):
        observed = f"{reply.status}: {title} (no access: not checked)"
        run.unchecked.append({"resource": resource.key, "endpoint": endpoint.kind, "reason": observed})
        return
    else:
        observed = f"{reply.status or 'no answer'}: {title}"
    _finding(run, resource, endpoint, "document", "endpoint", "", "answers 200", observed, BREAKS)


def _first_reply(
    run: _Run,
    probe: Probe,
    resource: Resource,
    endpoint: Endpoint,
    params: dict[str, Any],
    kind: EndpointKind,
) -> tuple[Reply, list[Any] | None]:
    """The endpoint's first answer, checked against the document; records None when it has none to read."""
    reply = probe.get(endpoint.path, params)
    run.checked_paths.add(endpoint.path)
    run.rate_headers.update(reply.rate_headers)
    if not reply.ok:
        _failed(run, resource, endpoint, reply)
        return reply, None
    records, issues = check_envelope(reply.body, endpoint)
    if records is not None:
        issues += check_records(
            records, resource.fields_for(kind), resource.int_enums, resource.required_for(kind)
        )
    _document_findings(run, resource, endpoint, issues, probe.conn.env)
    if records is not None:
        _schema_quirks(run, resource, endpoint, records)
    return reply, records


def _check_list(
    run: _Run, probe: Probe, ref: Probe | None, resource: Resource, endpoint: Endpoint, params: dict[str, Any]
) -> None:
    paged = endpoint.envelope == "page"
    first = {**params, "pageSize": PAGE_SIZE, "includeTotal": True} if paged else dict(params)
    reply, records = _first_reply(run, probe, resource, endpoint, first, "list")
    if records is None:
        return
    ref_reply = ref.get(endpoint.path, first) if ref is not None else None
    behaviour = _behaviour(run, probe, resource, endpoint, params, reply.body, records, budgeted=True)
    if ref is not None and ref_reply is not None and ref_reply.ok:
        ref_records, _ = check_envelope(ref_reply.body, endpoint)
        if ref_records is not None:
            ref_behaviour = _behaviour(
                None, ref, resource, endpoint, params, ref_reply.body, ref_records, budgeted=False
            )
            _compare(run, resource, endpoint, records, ref_records, behaviour, ref_behaviour)
    elif ref is not None and ref_reply is not None:
        _finding(
            run,
            resource,
            endpoint,
            "sandbox",
            "endpoint",
            "",
            "the sandbox answers like the API",
            f"the sandbox answered {ref_reply.status}",
            COSMETIC,
        )


def _behaviour(
    run: _Run | None,
    probe: Probe,
    resource: Resource,
    endpoint: Endpoint,
    params: dict[str, Any],
    body: Any,
    records: list[Any],
    *,
    budgeted: bool,
) -> dict[str, str]:
    """Observed behaviours of one list (name -> outcome); records findings when `run` is given."""
    seen: dict[str, str] = {}
    paged = endpoint.envelope == "page" and isinstance(body, dict)
    path = endpoint.path

    def report(check_name: str, documented: str, observed: str, severity: str, as_documented: bool) -> None:
        seen[check_name] = "as documented" if as_documented else observed
        if run is None:
            return
        quirk = _quirk_for(path, check_name, "")
        if as_documented:
            if quirk is not None:
                _saw(run, quirk.id, path, "contradicted", f"{resource.key}: {documented}")
            return
        _finding(
            run,
            resource,
            endpoint,
            "behaviour",
            check_name,
            "",
            documented,
            observed,
            severity,
            known=quirk.id if quirk else None,
        )

    # Paging from 0: the first page (no `page` sent) says which page it is.
    if paged and isinstance(body.get("page"), int):
        page = body["page"]
        report(
            "page-base", "the first page is page 1", f"the first page is page {page}", LOSES_DATA, page == 1
        )
    # Sorted: ids of the first page in ascending order.
    ids = [r["id"] for r in records if isinstance(r, dict) and isinstance(r.get("id"), int)]
    if len(ids) >= 2 and len(ids) == len(records):
        ordered = ids == sorted(ids)
        report("sorted", "records in id order", "records not in id order", COSMETIC, ordered)
    total = body.get("totalCount") if paged else None
    if paged:
        if total is None:
            report("total-count", "totalCount with includeTotal=true", "totalCount is null", COSMETIC, False)
        # One more call: without includeTotal, with a parameter nobody documents.
        if probe.affordable(1):
            plain = probe.get(path, {**params, "pageSize": PAGE_SIZE, PROBE_PARAM: 1})
            if plain.ok and isinstance(plain.body, dict):
                same = _fingerprints(plain.body.get("data")) == _fingerprints(records)
                report(
                    "unknown-parameter",
                    "an unknown parameter is ignored",
                    "an unknown parameter changed the records",
                    BREAKS,
                    same,
                )
                seen["total-without-include"] = json_kind(plain.body.get("totalCount"))
    if paged and endpoint.supports_active and isinstance(total, int):
        _active_default(report, probe, endpoint, params, records, total)
    flags = [
        p.name
        for p in endpoint.params.values()
        if p.type == "bool" and "Without" in p.name and p.name.startswith("include")
    ]
    if paged and flags and isinstance(total, int) and probe.affordable(1):
        _filter_flags(report, probe, endpoint, params, flags, total)
    return seen


def _active_default(
    report: Callable[[str, str, str, str, bool], None],
    probe: Probe,
    endpoint: Endpoint,
    params: dict[str, Any],
    records: list[Any],
    total: int,
) -> None:
    from stnb.catalog.quirks import quirk

    shows_all_documented = endpoint.path in quirk("active-by-default").where
    documented = "without active, inactive records are " + ("returned" if shows_all_documented else "hidden")
    if any(isinstance(r, dict) and r.get("active") is False for r in records):
        hides: bool | None = False
    elif probe.affordable(1):
        every = probe.get(endpoint.path, {**params, "pageSize": 1, "includeTotal": True, "active": "Any"})
        every_total = every.body.get("totalCount") if every.ok and isinstance(every.body, dict) else None
        if not isinstance(every_total, int):
            return
        if every_total > total:
            hides = True
        elif every_total == 0 or not probe.affordable(1):
            return
        else:
            inactive = probe.get(
                endpoint.path, {**params, "pageSize": 1, "includeTotal": True, "active": "False"}
            )
            count = (
                inactive.body.get("totalCount") if inactive.ok and isinstance(inactive.body, dict) else None
            )
            if not isinstance(count, int) or not 0 < count < every_total:
                return  # no inactive records, or a filter without effect: nothing to see
            hides = False
    else:
        return
    observed = "without active, inactive records are " + ("hidden" if hides else "returned")
    report("active-default", documented, observed, LOSES_DATA, hides is not shows_all_documented)


def _filter_flags(
    report: Callable[[str, str, str, str, bool], None],
    probe: Probe,
    endpoint: Endpoint,
    params: dict[str, Any],
    flags: list[str],
    total: int,
) -> None:
    reply = probe.get(
        endpoint.path,
        {**params, **dict.fromkeys(flags, False), "pageSize": _FLAG_PAGE_SIZE, "includeTotal": True},
    )
    if not reply.ok or not isinstance(reply.body, dict):
        return
    filtered = reply.body.get("totalCount")
    if not isinstance(filtered, int):
        return
    documented = f"{', '.join(flags)}=false leave out records without them"
    if filtered < total:
        report("filter-flags", documented, "", LOSES_DATA, True)
        return
    lacking = [
        r for r in reply.body.get("data") or [] if isinstance(r, dict) and any(_lacks(r, f) for f in flags)
    ]
    if lacking:
        report(
            "filter-flags",
            documented,
            "the flags had no effect (records without them returned)",
            LOSES_DATA,
            False,
        )


def _lacks(record: Mapping[str, Any], flag: str) -> bool:
    thing = flag.split("Without", 1)[1]
    name = thing[:1].lower() + thing[1:]
    for key in (name, f"{name}Id", f"{name}Ids"):
        if key in record:
            value = record[key]
            return value is None or value == [] or value == 0
    return False


def _fingerprints(data: Any) -> list[str]:
    """Each record as canonical JSON: export records need not carry an `id` (job history is keyed by
    `jobId`, and one job's entries come back in a later batch when it changes), so a batch repeats
    another only when its records are the same records, not the same ids."""
    if not isinstance(data, list):
        return []
    return [json.dumps(r, sort_keys=True, default=str) for r in data if isinstance(r, dict)]


# --- one export endpoint ------------------------------------------------------------------------------


def _check_export(
    run: _Run, probe: Probe, ref: Probe | None, resource: Resource, endpoint: Endpoint, params: dict[str, Any]
) -> None:
    reply, records = _first_reply(run, probe, resource, endpoint, params, "export")
    if records is None or not isinstance(reply.body, dict):
        return
    token = reply.body.get("continueFrom")
    if isinstance(token, str) and token and probe.affordable(1):
        again = probe.get(endpoint.path, {**params, "from": token})
        if not again.ok:
            _finding(
                run,
                resource,
                endpoint,
                "behaviour",
                "continue-from",
                "",
                "continueFrom is accepted as from",
                f"{again.status}: {again.error.title if again.error else ''}",
                BREAKS,
            )
        elif isinstance(again.body, dict):
            repeated = _fingerprints(again.body.get("data"))
            if reply.body.get("hasMore") and repeated and set(repeated) <= set(_fingerprints(records)):
                _finding(
                    run,
                    resource,
                    endpoint,
                    "behaviour",
                    "continue-from",
                    "",
                    "from=continueFrom gives the next batch",
                    "the same records again",
                    BREAKS,
                )
    if ref is not None:
        ref_reply = ref.get(endpoint.path, params)
        if ref_reply.ok:
            ref_records, _ = check_envelope(ref_reply.body, endpoint)
            if ref_records is not None:
                _compare(run, resource, endpoint, records, ref_records, {}, {})


# --- the sandbox comparison ---------------------------------------------------------------------------


def _compare(
    run: _Run,
    resource: Resource,
    endpoint: Endpoint,
    live: list[Any],
    sandbox: list[Any],
    live_behaviour: Mapping[str, str],
    sandbox_behaviour: Mapping[str, str],
) -> None:
    """Where the sandbox's answer has another shape or behaviour than the live one (known deviations the
    sandbox reproduces and the live API does not are counted as contradicted, not reported twice)."""
    if not live or not sandbox:
        return
    live_kinds = _kinds(live)
    sandbox_kinds = _kinds(sandbox)
    for path in sorted(set(live_kinds) | set(sandbox_kinds)):
        a, b = live_kinds.get(path), sandbox_kinds.get(path)
        if a is None or b is None:
            observed = "only the live API sends it" if b is None else "only the sandbox sends it"
        else:
            a_types, b_types = a - {"null"}, b - {"null"}
            if not a_types or not b_types or a_types == b_types:
                continue
            observed = f"live {'/'.join(sorted(a_types))}, sandbox {'/'.join(sorted(b_types))}"
        quirk = _quirk_for(endpoint.path, "type", path)
        if quirk is not None:
            continue  # explained by a known deviation one side reproduces
        _finding(
            run,
            resource,
            endpoint,
            "sandbox",
            "shape",
            path,
            "the sandbox sends what the API sends",
            observed,
            COSMETIC,
        )
    for name, outcome in live_behaviour.items():
        other = sandbox_behaviour.get(name)
        if other is None or other == outcome or name == "total-without-include":
            continue
        if _BEHAVIOUR_QUIRKS.get(name) in {q.id for q in QUIRKS if endpoint.path in q.where}:
            continue
        _finding(
            run, resource, endpoint, "sandbox", name, "", f"sandbox: {other}", f"live: {outcome}", COSMETIC
        )


def _kinds(records: list[Any], prefix: str = "") -> dict[str, set[str]]:
    """Field path -> JSON kinds seen (top level and inside objects)."""
    kinds: dict[str, set[str]] = {}
    for record in records:
        if not isinstance(record, dict):
            continue
        for key, value in record.items():
            path = prefix + key
            kinds.setdefault(path, set()).add(json_kind(value))
            if isinstance(value, dict):
                for sub, found in _kinds([value], path + ".").items():
                    kinds.setdefault(sub, set()).update(found)
    return kinds


# --- known deviations ---------------------------------------------------------------------------------


def _quirk_frame(run: _Run) -> pl.DataFrame:
    rows = []
    for q in QUIRKS:
        statuses = [s for (qid, _), s in run.quirk_seen.items() if qid == q.id]
        evidence = "; ".join(dict.fromkeys(run.evidence.get(q.id, [])))[:400]
        if "confirmed" in statuses:
            status = "confirmed"
        elif statuses:
            status = "contradicted"
        elif q.id in _UNOBSERVABLE:
            status, evidence = "not observable", _UNOBSERVABLE[q.id]
        elif set(q.where) & run.checked_paths:
            status, evidence = "not observable", "checked, but the records showed nothing either way"
        else:
            status, evidence = "not checked", "none of its endpoints was checked"
        rows.append(
            {"quirk": q.id, "status": status, "evidence": evidence, "documents": q.documents, "live": q.live}
        )
    return pl.DataFrame(rows, schema=QUIRK_SCHEMA)
