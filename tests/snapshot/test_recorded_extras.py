"""Sub-lists under a parent id, the Reporting API and capacity in a snapshot: recorded from a served
sandbox of another seed (production: report data and capacity are POSTs that only read), served, and
compared with the original for the recorded ids and parameters; scrubbed; bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import stnb
from stnb._clock import FakeClock
from stnb._snapshot import RecordSummary, Scrubber, record
from stnb._snapshot.extras import report_cell_kind
from stnb.cli.main import main
from stnb.errors import NotFound, Unprocessable, ValidationError
from stnb.sandbox import Sandbox
from stnb.sandbox.remote import RemoteSandbox
from stnb.sandbox.server import serve_in_thread
from stnb.sandbox.snapshot import SnapshotError, read_manifest, snapshot_sandbox

ORIGIN_SEED = 9
FAST_REPORTS = 10_000.0  # report runs a minute: the tests run each report several times
SUB_LISTS = ["crm/customers/{id}/contacts", "crm/locations/{id}/contacts", "jpm/jobs/{id}/notes"]
RESOURCES = ["crm/customers", "settings/technicians", "settings/business-units", *SUB_LISTS]
REPORTING = "reporting/v2/tenant/{tenant}"
CAPACITY = "dispatch/v2/tenant/{tenant}/capacity"


@pytest.fixture(scope="module")
def origin() -> Sandbox:
    return Sandbox(seed=ORIGIN_SEED, quirks="none", report_runs_per_minute=FAST_REPORTS)


@pytest.fixture(scope="module")
def recorded(origin: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordSummary]:
    handle = serve_in_thread(origin, port=0)
    try:
        with stnb.connect(
            "production", sandbox=RemoteSandbox(handle.url, ORIGIN_SEED), progress=False
        ) as conn:
            out = tmp_path_factory.mktemp("extras") / "acme.stnb"
            yield record(
                conn,
                out,
                RESOURCES,
                max_records=30,
                reports=True,
                capacity=True,
                max_reports=40,
                progress=False,
            )
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def served(recorded: RecordSummary) -> Sandbox:
    return snapshot_sandbox(recorded.path, report_runs_per_minute=FAST_REPORTS)


def _scrubbed(summary: RecordSummary) -> set[str]:
    return {p.split(".")[0].split("[")[0] for p in summary.scrubbed_fields}


def test_sub_lists_answer_like_the_original_for_the_recorded_parents(
    origin: Sandbox, recorded: RecordSummary, served: Sandbox
) -> None:
    manifest = read_manifest(recorded.path)
    scrubbed = _scrubbed(recorded)
    with (
        stnb.connect("production", sandbox=served, progress=False) as snap,
        stnb.connect("production", sandbox=origin, progress=False) as orig,
    ):
        customers = set(snap.frame("crm/customers", active="Any")["id"])
        for key in SUB_LISTS:
            entry = manifest.resources[key]["list"]
            assert entry["parents"] == 10, key
            stored = pl.read_parquet(manifest.path_of(key, "list"))  # type: ignore[arg-type]
            parents = sorted(set(stored["_parent"].to_list()))
            assert parents and stored.height == recorded.rows[key]["list"], key
            for parent in parents:
                mine = snap.frame(key, id=parent)
                theirs = orig.frame(key, id=parent)
                assert mine.height == theirs.height > 0, (key, parent)
                kept = [c for c in mine.columns if c not in scrubbed]
                left, right = mine.select(kept).sort(kept[0]), theirs.select(kept).sort(kept[0])
                assert left.equals(right), (key, parent)
            if key == "crm/customers/{id}/contacts":  # parents come from the recorded sample: they resolve
                assert set(parents) <= customers
        assert snap.frame("crm/customers/{id}/contacts", id=1).height == 0  # a parent never recorded
    assert {"value"} & scrubbed  # contact values (e-mails, phones) were scrubbed


def _post(conn: stnb.Connection, path: str, body: Any, params: Any = None, **path_params: Any) -> Any:
    return conn.request_json(
        "POST", path, json=body, params=params, path_params=path_params or None, read_only=True
    )


def test_reporting_answers_like_the_original_for_the_recorded_parameters(
    origin: Sandbox, recorded: RecordSummary, served: Sandbox
) -> None:
    data = json.loads((recorded.path / "reporting.json").read_text())
    assert recorded.reports == len(data["descriptions"]) > 0 and recorded.report_runs == len(data["runs"]) > 0
    scrubber = Scrubber()
    with (
        stnb.connect("production", sandbox=served, progress=False) as snap,
        stnb.connect("production", sandbox=origin, progress=False) as orig,
    ):
        page = {"pageSize": 100}
        categories = snap.request_json("GET", f"{REPORTING}/report-categories", params=page)
        assert categories == orig.request_json("GET", f"{REPORTING}/report-categories", params=page)
        for category in categories["data"]:
            path = f"{REPORTING}/report-category/{{c}}/reports"
            mine = snap.request_json("GET", path, params=page, path_params={"c": category["id"]})
            assert mine == orig.request_json("GET", path, params=page, path_params={"c": category["id"]})
        with_rows = 0
        for run in data["runs"]:
            ids = {"c": run["category"], "r": run["report"]}
            described = f"{REPORTING}/report-category/{{c}}/reports/{{r}}"
            assert snap.request_json("GET", described, path_params=ids) == orig.request_json(
                "GET", described, path_params=ids
            )
            body = {"parameters": run["parameters"]}
            # A run is one page of at most max_records (30) rows: the same page of the original.
            mine = _post(snap, described + "/data", body, {"pageSize": 30}, **ids)
            theirs = _post(orig, described + "/data", body, {"pageSize": 30}, **ids)
            assert mine["fields"] == theirs["fields"] and len(mine["data"]) == len(theirs["data"])
            assert run["complete"] == (not theirs["hasMore"])
            for index, field in enumerate(theirs["fields"]):
                left = [row[index] for row in mine["data"]]
                right = [row[index] for row in theirs["data"]]
                if report_cell_kind(scrubber, field["name"]) is None:
                    assert left == right, (run["report"], field["name"])
                else:  # scrubbed: no original value is left
                    assert not [a for a, b in zip(left, right, strict=True) if a == b and b], field["name"]
            with_rows += bool(theirs["data"])
        assert with_rows >= 3
        # Parameters never recorded: a clear 422 naming the recorded ones; a report never recorded: 404.
        run = next(r for r in data["runs"] if any(p["name"] == "From" for p in r["parameters"]))
        ids = {"c": run["category"], "r": run["report"]}
        other = [{**p, "value": "2020-01-01"} if p["name"] == "From" else p for p in run["parameters"]]
        with pytest.raises(Unprocessable) as exc:
            _post(snap, f"{REPORTING}/report-category/{{c}}/reports/{{r}}/data", {"parameters": other}, **ids)
        assert "recorded offline with" in str(exc.value.errors) and "From=" in str(exc.value.errors)
        with pytest.raises(NotFound, match="not recorded"):
            snap.request_json(
                "GET", f"{REPORTING}/report-category/{{c}}/reports/999999", path_params={"c": ids["c"]}
            )


def test_capacity_answers_from_the_recorded_frames(
    origin: Sandbox, recorded: RecordSummary, served: Sandbox
) -> None:
    data = json.loads((recorded.path / "capacity.json").read_text())
    request = data["request"]
    assert recorded.capacity_frames == len(data["availabilities"]) > 0
    start = datetime.fromisoformat(request["startsOnOrAfter"])
    first_day = {**request, "endsOnOrBefore": (start + timedelta(days=1)).isoformat()}
    with (
        stnb.connect("production", sandbox=served, progress=False) as snap,
        stnb.connect("production", sandbox=origin, progress=False) as orig,
    ):
        for body in (
            request,
            first_day,
            {**request, "businessUnitIds": [data["availabilities"][0]["businessUnitIds"][0]]},
        ):
            mine = _post(snap, CAPACITY, body)["availabilities"]
            theirs = _post(orig, CAPACITY, body)["availabilities"]
            assert len(mine) == len(theirs) > 0
            for a, b in zip(mine, theirs, strict=True):
                names = {t["id"]: t["name"] for t in b["technicians"]}
                assert not [t for t in a["technicians"] if t["name"] == names[t["id"]]]
                strip = [{k: v for k, v in t.items() if k != "name"} for t in a["technicians"]]
                assert strip == [{k: v for k, v in t.items() if k != "name"} for t in b["technicians"]]
                assert {k: v for k, v in a.items() if k != "technicians"} == {
                    k: v for k, v in b.items() if k != "technicians"
                }
        later = {
            **request,
            "startsOnOrAfter": (start + timedelta(days=8)).isoformat(),
            "endsOnOrBefore": (start + timedelta(days=9)).isoformat(),
        }
        assert _post(snap, CAPACITY, later)["availabilities"] == []  # never recorded: no frames
        too_long = {**request, "endsOnOrBefore": (start + timedelta(days=20)).isoformat()}
        with pytest.raises(ValidationError, match=r"validation|14"):
            _post(snap, CAPACITY, too_long)  # the capacity-window deviation, as the built-in sandbox


def test_no_original_personal_data_in_the_recorded_extras(origin: Sandbox, recorded: RecordSummary) -> None:
    text = (recorded.path / "reporting.json").read_text() + (recorded.path / "capacity.json").read_text()
    for key in SUB_LISTS:
        text += json.dumps(
            pl.read_parquet(read_manifest(recorded.path).path_of(key, "list")).to_dicts(), default=str
        )  # type: ignore[arg-type]
    world = origin.world("production")
    values = [v for v in world.table("crm/customers/contacts")["value"].to_list() if v]
    values += [v for v in world.table("crm/locations/contacts")["value"].to_list() if v]
    assert [v for v in values if v in text] == []
    # Technicians' names, id by id, in capacity and in the technician reports.
    names = dict(world.technicians().select("id", "name").iter_rows())
    capacity = json.loads((recorded.path / "capacity.json").read_text())
    techs = [t for row in capacity["availabilities"] for t in row["technicians"]]
    assert techs and not [t for t in techs if t["name"] == names.get(t["id"])]
    reporting = json.loads((recorded.path / "reporting.json").read_text())
    checked = 0
    for run in reporting["runs"]:
        columns = [f["name"] for f in run["fields"]]
        if "TechnicianId" in columns and "Name" in columns:
            i, n = columns.index("TechnicianId"), columns.index("Name")
            assert not [row for row in run["rows"] if row[n] == names.get(row[i])]
            checked += len(run["rows"])
    assert checked > 0


def test_the_cli_records_reports_and_capacity_and_bad_input(
    tmp_path: Path, capsys: Any, recorded: RecordSummary
) -> None:
    out = tmp_path / "cli.stnb"
    args = ["sandbox", "record", "--sandbox", "--env", "production", "--resources", "settings/business-units"]
    code = main([*args, "--reports", "--max-reports", "2", "--capacity", "--out", str(out), "--no-progress"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "reporting: 2 reports described" in printed and "capacity:" in printed
    manifest = read_manifest(out)
    assert manifest.data["reporting"]["reports"] == 2 and manifest.data["capacity"]["frames"] > 0
    assert any("beyond max_reports" in item["reason"] for item in manifest.data["not_recorded"])
    with pytest.raises(SystemExit):
        main([*args, "--max-reports", "-1", "--out", str(tmp_path / "x.stnb")])
    capsys.readouterr()
    # Without --reports/--capacity, a recording of chosen resources holds neither: the snapshot answers
    # no report category and no capacity frame.
    plain = tmp_path / "plain.stnb"
    assert main([*args, "--out", str(plain), "--no-progress"]) == 0
    assert "reporting" not in read_manifest(plain).data
    with stnb.connect("production", sandbox=snapshot_sandbox(plain), progress=False) as snap:
        assert snap.request_json("GET", f"{REPORTING}/report-categories")["data"] == []
        with pytest.raises(NotFound, match="not recorded"):
            snap.request_json("GET", f"{REPORTING}/report-category/accounting/reports")
    # A damaged or missing extra file.
    (out / "capacity.json").unlink()
    with pytest.raises(SnapshotError, match=r"capacity\.json is missing"):
        read_manifest(out)
    (out / "capacity.json").write_text("[1, 2")
    with pytest.raises(SnapshotError, match="cannot be read"):
        read_manifest(out).extra("capacity")
    with (
        stnb.connect(sandbox=Sandbox(seed=1), progress=False) as conn,
        pytest.raises(ValueError, match="max_parents"),
    ):
        record(conn, tmp_path / "y.stnb", "crm/customers", max_parents=-1, progress=False)


def test_a_report_still_running_is_asked_again_on_the_connection_s_clock(tmp_path: Path) -> None:
    """The live API answers 409 while a big report runs: the recorder waits (on the injected clock, no real
    sleep) and asks again, as `stnb.reports` does, instead of leaving the report out."""
    clock = FakeClock()
    origin = Sandbox(
        seed=ORIGIN_SEED, quirks="report-still-running", report_runs_per_minute=FAST_REPORTS, clock=clock
    )
    refused: list[int] = []
    origin.on_request = lambda seen: refused.append(seen.status) if seen.status == 409 else None
    handle = serve_in_thread(origin, port=0)
    try:
        remote = RemoteSandbox(handle.url, ORIGIN_SEED)
        with stnb.connect("production", sandbox=remote, progress=False, clock=clock) as conn:
            summary = record(
                conn,
                tmp_path / "slow.stnb",
                "settings/business-units",
                max_records=30,
                reports=True,
                max_reports=40,
                progress=False,
            )
    finally:
        handle.stop()
    assert refused, "no report was big enough to be still running"
    assert not [n for n in summary.not_recorded if "run failed" in n["reason"]], summary.not_recorded
    without_data = [n for n in summary.not_recorded if n["what"].endswith(" data")]
    assert summary.report_runs == summary.reports - len(without_data) > 0


def test_a_recording_holds_to_its_budget_and_keeps_what_it_got(tmp_path: Path, capsys: Any) -> None:
    origin = Sandbox(seed=ORIGIN_SEED, quirks="none", report_runs_per_minute=FAST_REPORTS)
    seen: list[Any] = []
    origin.on_request = seen.append
    handle = serve_in_thread(origin, port=0)
    try:
        remote = RemoteSandbox(handle.url, ORIGIN_SEED)
        with stnb.connect("production", sandbox=remote, progress=False) as conn:
            before = len([r for r in seen if r.module != "auth"])
            summary = record(
                conn, tmp_path / "b.stnb", RESOURCES, max_records=30, reports=True, budget=4, progress=False
            )
            sent = len([r for r in seen if r.module != "auth"]) - before
    finally:
        handle.stop()
    assert summary.requests == sent == 4  # counted by the server
    assert summary.stopped == "the budget of 4 requests was spent"
    manifest = read_manifest(summary.path)
    assert manifest.data["stopped"] == summary.stopped
    missing = {item["what"]: item["reason"] for item in manifest.data["not_recorded"]}
    assert missing["the Reporting API"].startswith("not reached: the budget of 4")
    assert all(f"{key}" in missing for key in SUB_LISTS)
    assert summary.rows["crm/customers"]["list"] > 0  # the first endpoint, recorded before the budget ran out
    with stnb.connect("production", sandbox=summary.path, progress=False) as snap:
        assert snap.frame("crm/customers", active="Any").height == summary.rows["crm/customers"]["list"]
    with (
        stnb.connect(sandbox=Sandbox(seed=1), progress=False) as other,
        pytest.raises(ValueError, match="budget"),
    ):
        record(other, tmp_path / "c.stnb", "crm/customers", budget=0, progress=False)
    with pytest.raises(SystemExit):
        main(["sandbox", "record", "--sandbox", "--budget", "0", "--out", str(tmp_path / "d")])
    assert "at least 1" in capsys.readouterr().err


def test_recorded_reports_keep_the_run_limit(recorded: RecordSummary) -> None:
    """One run per report a minute, as the built-in sandbox: a second run at once answers 429 with
    Retry-After; the client waits it out (on the injected clock) and gets the same recorded rows."""
    clock = FakeClock()
    snap = snapshot_sandbox(recorded.path, clock=clock)  # the default limit: 1 run a minute
    statuses: list[int] = []
    snap.on_request = lambda seen: statuses.append(seen.status)
    data = json.loads((recorded.path / "reporting.json").read_text())
    run = next(r for r in data["runs"] if r["rows"])
    ids = {"c": run["category"], "r": run["report"]}
    path = f"{REPORTING}/report-category/{{c}}/reports/{{r}}/data"
    with stnb.connect("production", sandbox=snap, progress=False, clock=clock) as conn:
        first = _post(conn, path, {"parameters": run["parameters"]}, {"pageSize": 30}, **ids)
        started = clock.monotonic()
        second = _post(conn, path, {"parameters": run["parameters"]}, {"pageSize": 30}, **ids)
    assert 429 in statuses and first == second and first["data"] == run["rows"]
    assert clock.monotonic() - started >= 1  # the client waited (Retry-After) on the fake clock
