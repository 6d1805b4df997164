"""`stnb.check` and `stnb check` against served sandboxes standing in for the live API.

The sandbox with its deviations on is "today's ServiceTitan": the check must find exactly the deviation
table's entries a read-only check can see, and nothing else; with `quirks="none"` it must find nothing.
A sandbox with planted drift (test-only subclass) must show every planted change with its severity.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import polars as pl
import pytest

import stnb
from stnb import check
from stnb._check import BREAKS, COSMETIC, LOSES_DATA
from stnb._check.run import INTEGRATION_NOTE
from stnb.catalog import UnknownResourceError, load_catalog
from stnb.catalog.quirks import QUIRKS
from stnb.cli.main import main
from stnb.sandbox import Sandbox, ServedRequest
from stnb.sandbox.messages import SandboxRequest, SandboxResponse, problem
from stnb.sandbox.planted import PRODUCTION_ONLY_FIELDS
from stnb.sandbox.remote import RemoteSandbox
from stnb.sandbox.server import serve_in_thread

SEED = 5
# What a read-only check of lists and exports can see in the sandbox's data.
OBSERVABLE = {
    "enum-as-integer",
    "ads-status-as-integer",
    "date-with-time",
    "missing-modified-on",
    "unsorted-pages",
    "page-from-zero",
    "active-by-default",
    "ignored-flags",
}
# Needs a POST, or an error on purpose.
NOT_OBSERVABLE = {"capacity-window", "report-still-running", "sort-by-modified-on"}


def quirk_resources() -> list[str]:
    paths = {p for q in QUIRKS for p in q.where}
    keys = [
        r.key
        for r in load_catalog()
        if any(e is not None and e.path in paths and not e.parent_params for e in (r.list, r.export))
    ]
    return [*keys, "crm/customers", "jpm/jobs"]


class Served:
    """A served sandbox and what its server saw (API requests only; the token request is not one)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.seen: list[ServedRequest] = []
        sandbox.on_request = self.seen.append
        self.handle = serve_in_thread(sandbox)

    @property
    def api(self) -> list[ServedRequest]:
        return [r for r in self.seen if r.module != "auth"]

    def connect(self) -> stnb.Connection:
        remote = RemoteSandbox(self.handle.url, self.sandbox.seed)  # over HTTP, as the live API
        return stnb.connect("production", sandbox=remote, progress=False)


@pytest.fixture(scope="module")
def today() -> Iterator[Served]:
    served = Served(Sandbox(seed=SEED))
    yield served
    served.handle.stop()


@pytest.fixture(scope="module")
def documented() -> Iterator[Served]:
    served = Served(Sandbox(seed=SEED, quirks="none"))
    yield served
    served.handle.stop()


def test_today_s_api_shows_exactly_the_observable_known_deviations(today: Served) -> None:
    before = len(today.api)
    with today.connect() as conn:
        result = check(conn, budget=400, resources=quirk_resources(), progress=False)
    assert result.complete, result.stopped
    assert result.findings.height > 0
    unknown = result.findings.filter(pl.col("known").is_null())
    assert unknown.height == 0, unknown.to_dicts()
    assert set(result.findings["known"].to_list()) == OBSERVABLE
    status = dict(result.quirks.select("quirk", pl.col("status").cast(pl.String)).iter_rows())
    assert {q for q, s in status.items() if s == "confirmed"} == OBSERVABLE
    assert {q for q, s in status.items() if s == "not observable"} == NOT_OBSERVABLE
    assert result.ok and result.exit_code == 0  # known deviations do not fail a scheduled check
    # Severity follows the effect: wrong types break a client, a hidden first page loses data.
    by_known = {
        k: s for k, s in result.findings.select("known", pl.col("severity").cast(pl.String)).iter_rows()
    }
    assert by_known["enum-as-integer"] == BREAKS
    assert by_known["page-from-zero"] == LOSES_DATA
    assert by_known["unsorted-pages"] == COSMETIC
    # Budget counted by the server, read-only, nothing pushed past the rate limit.
    served = today.api[before:]
    assert len(served) == result.requests <= 400
    assert {r.method for r in served} == {"GET"}
    assert all(r.status != 429 for r in served)


def test_the_documented_api_shows_nothing_and_contradicts_the_table(documented: Served) -> None:
    with documented.connect() as conn:
        result = check(conn, budget=400, resources=quirk_resources(), progress=False)
    assert result.findings.height == 0, result.findings.to_dicts()
    status = dict(result.quirks.select("quirk", pl.col("status").cast(pl.String)).iter_rows())
    assert {q for q, s in status.items() if s == "contradicted"} == OBSERVABLE
    assert result.exit_code == 0


def test_the_integration_copy_lacks_fields_its_documents_name() -> None:
    """The sandbox's integration environment predates two documented fields: a check finds them, the one
    the document requires (`nationalAccount`) as breaking, the optional one as cosmetic, both explained as
    an environment difference."""
    with stnb.connect("integration", sandbox=Sandbox(seed=SEED, quirks="none"), progress=False) as conn:
        result = check(conn, budget=50, resources="crm/customers,jpm/jobs", progress=False)
    found = set(
        result.findings.select("resource", "field", "check", pl.col("severity").cast(pl.String)).iter_rows()
    )
    assert found == {
        ("crm/customers", "nationalAccount", "required-missing", BREAKS),
        ("jpm/jobs", "isAutoDispatched", "missing-field", COSMETIC),
    }
    assert set(result.findings["note"].to_list()) == {INTEGRATION_NOTE}
    assert result.findings["known"].is_null().all()
    assert result.exit_code == 1


def test_the_default_sandbox_shows_the_known_deviations_and_its_environment_difference() -> None:
    """The default sandbox (integration, deviations on) is today's ServiceTitan seen from an integration
    copy: the deviation table's observable entries, plus exactly the fields production gained after the
    copy (`planted.PRODUCTION_ONLY_FIELDS`), reported with the note that explains them. The required one
    breaks a client, so the check exits 1 there; on production (the test above this one) it exits 0."""
    with stnb.connect("integration", sandbox=Sandbox(seed=SEED), progress=False) as conn:
        result = check(conn, budget=400, resources=quirk_resources(), progress=False)
    assert result.complete, result.stopped
    assert set(result.findings["known"].drop_nulls().to_list()) == OBSERVABLE
    unexplained = result.findings.filter(pl.col("known").is_null())
    planted = {(key, name) for key, names in PRODUCTION_ONLY_FIELDS.items() for name in names}
    assert set(unexplained.select("resource", "field").iter_rows()) == planted
    assert set(unexplained["note"].to_list()) == {INTEGRATION_NOTE}
    catalog = load_catalog()
    for resource, endpoint, name, check_name in unexplained.select(
        "resource", "endpoint", "field", "check"
    ).iter_rows():
        required = name in (catalog.resolve(resource).required_for(endpoint) or set())
        assert check_name == ("required-missing" if required else "missing-field"), (resource, name)
    breaking = set(result.breaking.select("resource", "endpoint", "field").iter_rows())
    assert breaking == {("crm/customers", kind, "nationalAccount") for kind in ("list", "export")}
    assert result.exit_code == 1


# --- planted drift --------------------------------------------------------------------------------------


class DriftedSandbox(Sandbox):
    """Test-only: the API after a breaking release (a field renamed, a type changed, an endpoint gone, a new
    enum value)."""

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        if request.path.startswith("/settings/") and request.path.endswith("/tag-types"):
            return problem(404, "Not Found", "drift")
        if request.path.endswith("/export/customers") and request.query_values("from"):
            request = SandboxRequest(request.method, request.path, (("pageSize", "25"),), request.headers)
        response = super().handle(request)
        if response.status != 200 or "/export/" in request.path:
            return response
        if request.path.endswith("/customers"):
            return _rewrite(response, _rename)
        if request.path.endswith("/jobs"):
            return _rewrite(response, _retype)
        return response


def _rename(record: dict[str, Any]) -> None:
    record["fullName"] = record.pop("name", None)
    record["type"] = "Industrial"


def _retype(record: dict[str, Any]) -> None:
    record["jobNumber"] = int(record.get("id") or 0)


def _rewrite(response: SandboxResponse, change: Any) -> SandboxResponse:
    body = json.loads(response.body)
    for record in body.get("data", []):
        change(record)
    return SandboxResponse(response.status, response.headers, json.dumps(body).encode(), response.delay)


@pytest.fixture(scope="module")
def drifted() -> Iterator[Served]:
    served = Served(DriftedSandbox(seed=0, quirks="none"))
    yield served
    served.handle.stop()


def test_planted_drift_is_found_with_its_severity_and_the_cli_exits_1(
    drifted: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    monkeypatch.setenv("STNB_SANDBOX_URL", drifted.handle.url)
    monkeypatch.delenv("STNB_SANDBOX_SEED", raising=False)
    out = tmp_path / "check.html"
    code = main(
        [
            "check",
            "--sandbox",
            "--env",
            "production",
            "--resources",
            "crm/customers,jpm/jobs,settings/tag-types",
            "--json",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 1
    report = json.loads(capsys.readouterr().out)
    found = {
        (f["resource"], f["endpoint"], f["check"], f["field"], f["severity"])
        for f in report["findings"]
        if f["category"] == "document"
    }
    assert found == {
        ("crm/customers", "list", "undocumented-field", "fullName", LOSES_DATA),
        ("crm/customers", "list", "required-missing", "name", BREAKS),
        ("jpm/jobs", "list", "type", "jobNumber", BREAKS),
        ("crm/customers", "list", "enum", "type", BREAKS),
        ("settings/tag-types", "list", "endpoint", "", BREAKS),
        ("settings/tag-types", "export", "endpoint", "", BREAKS),
    }
    enum = next(f for f in report["findings"] if f["check"] == "enum")
    assert enum["example"] == '"Industrial"' and "Industrial" in enum["observed"]
    # An export whose continueFrom hands out the first batch again (the planted drift above).
    repeats = [f for f in report["findings"] if f["check"] == "continue-from"]
    assert [(f["resource"], f["observed"], f["severity"]) for f in repeats] == [
        ("crm/customers", "the same records again", BREAKS)
    ]
    # The sandbox comparison sees the same renamed field.
    sandbox_fields = {f["field"] for f in report["findings"] if f["category"] == "sandbox"}
    assert {"fullName", "name"} <= sandbox_fields
    assert not report["ok"] and report["requests"] <= 200
    # The page is self-contained and safe to attach: no script, no secret, no customer name.
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page and "Industrial" in page
    creds = drifted.sandbox.credentials["production"]
    for secret in (creds.client_secret, creds.app_key, creds.client_id):
        assert secret not in page and secret not in json.dumps(report)
    names = drifted.sandbox.world("production").customers()["name"].head(200).to_list()
    assert not [n for n in names if n and n in page]


# --- budget, interruption, bad input --------------------------------------------------------------------


def test_an_export_whose_records_have_no_id_is_not_taken_for_a_repeat() -> None:
    """Job history is keyed by `jobId` (its records have no `id`): the next batch is new records, not a
    repeat, even though every id-less record looks alike by id."""
    conn = stnb.connect("production", sandbox=Sandbox(seed=SEED, quirks="none"), progress=False)
    result = check(conn, budget=20, resources=["jpm/job-history"])
    assert result.requests >= 2 and result.unchecked.height == 0  # page 1 and the continueFrom round trip
    assert [f for f in result.findings.iter_rows(named=True) if f["check"] == "continue-from"] == []


def test_the_budget_holds_to_the_request_and_the_rest_is_listed(documented: Served) -> None:
    before = len(documented.api)
    with documented.connect() as conn:
        result = check(conn, budget=7, progress=False, reference=False)
    assert result.requests == 7 == len(documented.api) - before
    assert not result.complete and "budget of 7" in (result.stopped or "")
    reasons = result.unchecked["reason"].to_list()
    assert any(r.startswith("not reached: the budget of 7 requests was spent") for r in reasons)


def test_an_interrupted_check_is_a_partial_result_saying_what_was_not_checked() -> None:
    with stnb.connect("production", sandbox=Sandbox(seed=SEED), progress=False) as conn:
        result = check(
            conn,
            budget=200,
            resources="crm/customers,jpm/jobs,accounting/invoices",
            progress=False,
            interrupt=lambda spent: spent >= 3,
        )
    assert result.stopped == "interrupted" and not result.complete
    assert 3 <= result.requests < 200
    not_reached = result.unchecked.filter(pl.col("reason") == "not reached: interrupted")
    assert not_reached.height >= 1
    assert "partial (interrupted)" in result.summary()
    assert "accounting/invoices" in not_reached["resource"].to_list()
    pairs = set(result.unchecked.select("resource", "endpoint").iter_rows())
    assert ("crm/customers", "list") not in pairs  # checked before the interruption
    assert ("crm/customers", "export") in pairs


def test_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    with stnb.connect("production", sandbox=Sandbox(seed=SEED), progress=False) as conn:
        for budget in (0, -1, True, 2.5):
            with pytest.raises(ValueError, match="budget"):
                check(conn, budget=budget, progress=False)  # type: ignore[arg-type]
        with pytest.raises(UnknownResourceError, match="customers"):
            check(conn, resources="crm/custmers", progress=False)
        with pytest.raises(ValueError, match="no resource"):
            check(conn, resources=" , ", progress=False)
    with pytest.raises(SystemExit) as exc:
        main(["check", "--sandbox", "--budget", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err
    assert main(["check", "--sandbox", "--resources", "nosuchthing", "--no-progress"]) == 1
    assert "Unknown resource 'nosuchthing'" in capsys.readouterr().err


def test_notebook_display_figures_and_json() -> None:
    with stnb.connect("production", sandbox=Sandbox(seed=SEED), progress=False) as conn:
        result = check(
            conn, budget=30, resources="pricebook/categories,settings/business-units/intacct", progress=False
        )
    fragment = result._repr_html_()
    assert "loses data silently" in fragment and "Known deviations" in fragment
    # Publication tables (great_tables) as on every stnb page, the severity in colour, headers in words.
    assert fragment.count('class="gt_table"') == 1 and ">Severity<" in fragment
    assert "color: #C2410C" in fragment.replace("color:#C2410C", "color: #C2410C")
    assert set(result.figures()) == {"findings", "known_deviations"}
    data = json.loads(result.to_json())
    assert {f["known"] for f in data["findings"]} == {"missing-modified-on", "page-from-zero"}
    assert data["documents"] == ["2026-05"]
    assert "stnb check of production (sandbox)" in repr(result)


def test_the_check_counts_its_requests_on_a_bar_that_is_gone_at_the_end(
    documented: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    with documented.connect() as conn:
        check(conn, budget=7, progress=True, reference=False)
    err = capsys.readouterr().err
    drawn = [part.rstrip() for part in err.split("\r") if part.strip()]
    assert drawn[0].startswith("stnb check:   0%") and "0/7" in drawn[0]  # shown at once, with the budget
    assert err.rstrip("\r").split("\r")[-1].strip() == ""  # the line is blanked when the check ends


def test_the_analysis_returns_data_and_stnb_check_adds_the_presentation() -> None:
    """Layers: `stnb._check.check` returns frames only; `stnb.check` returns the `CheckResult` that draws."""
    from stnb._check import CheckResult as PlainResult
    from stnb._check import check as plain_check

    with stnb.connect("production", sandbox=Sandbox(seed=SEED), progress=False) as conn:
        plain = plain_check(conn, budget=3, resources="pricebook/categories", progress=False, reference=False)
        shown = check(conn, budget=3, resources="pricebook/categories", progress=False, reference=False)
    assert type(plain) is PlainResult and not hasattr(plain, "figures") and not hasattr(plain, "to_html")
    assert type(shown) is stnb.CheckResult and isinstance(shown, PlainResult)
    assert shown.findings.equals(plain.findings) and set(shown.figures()) == {"findings", "known_deviations"}
    assert stnb.CheckResult.of(plain).to_dict()["findings"] == plain.to_dict()["findings"]
