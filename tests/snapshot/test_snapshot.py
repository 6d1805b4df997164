"""Private sandboxes: record a served sandbox of another seed (standing in for a real tenant), serve the
snapshot, and compare; scrubbing; relations; bad input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb._snapshot import DEFAULT_RULES, RecordSummary, Scrubber, ScrubRule, record
from stnb.catalog import UnknownResourceError
from stnb.cli.main import main
from stnb.errors import ConfigError
from stnb.sandbox import Sandbox
from stnb.sandbox.remote import RemoteSandbox
from stnb.sandbox.server import serve_in_thread
from stnb.sandbox.snapshot import SnapshotError, read_manifest, snapshot_sandbox

ORIGIN_SEED = 7
RESOURCES = [
    "crm/customers",
    "crm/locations",
    "jpm/jobs",
    "accounting/invoices",
    "settings/business-units",
    "crm/customers/contacts",
]


@pytest.fixture(scope="module")
def origin() -> Iterator[Sandbox]:
    sandbox = Sandbox(seed=ORIGIN_SEED, quirks="none")
    yield sandbox


@pytest.fixture(scope="module")
def recorded(origin: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RecordSummary]:
    handle = serve_in_thread(origin, port=0)  # the "real tenant", over HTTP
    try:
        remote = RemoteSandbox(handle.url, ORIGIN_SEED)
        with stnb.connect("integration", sandbox=remote, progress=False) as conn:
            out = tmp_path_factory.mktemp("snap") / "acme.stnb"
            yield record(conn, out, RESOURCES, max_records=40, progress=False)
    finally:
        handle.stop()


def _scrubbed_columns(summary: RecordSummary) -> set[str]:
    return {p.split(".")[0].split("[")[0] for p in summary.scrubbed_fields}


def _all_pages(conn: stnb.Connection, key: str) -> pl.DataFrame:
    resource = conn.resource(key)
    filters = {"active": "Any"} if resource.list is not None and resource.list.supports_active else {}
    return conn.frame(key, **filters)


def test_the_snapshot_answers_like_the_original_except_scrubbed_fields(
    origin: Sandbox, recorded: RecordSummary
) -> None:
    manifest = read_manifest(recorded.path)
    assert manifest.env == "integration" and manifest.timezone and manifest.data["documents"] == ["2026-05"]
    assert set(manifest.resources) == set(RESOURCES)
    scrubbed = _scrubbed_columns(recorded)
    assert {"name", "address"} <= scrubbed
    with (
        stnb.connect("integration", sandbox=recorded.path, progress=False) as snap,
        stnb.connect("integration", sandbox=origin, progress=False) as orig,
    ):
        for key in RESOURCES:
            mine = _all_pages(snap, key)
            assert mine.height == recorded.rows[key]["list"] > 0, key
            theirs = _all_pages(orig, key).filter(pl.col("id").is_in(mine["id"].implode()))
            kept = [c for c in mine.columns if c not in scrubbed]
            assert theirs.height == mine.height, key
            left = mine.select(kept).sort("id")
            right = theirs.select(kept).sort("id")
            assert left.equals(right), (key, [c for c in kept if not left[c].equals(right[c])])
            if "name" in mine.columns and key != "crm/customers/contacts":
                same = mine.sort("id")["name"] == theirs.sort("id")["name"]
                assert not same.any(), f"{key}: names must be scrubbed"


def test_relations_resolve(origin: Sandbox, recorded: RecordSummary) -> None:
    with stnb.connect("integration", sandbox=recorded.path, progress=False) as snap:
        customers = set(_all_pages(snap, "crm/customers")["id"])
        locations = set(_all_pages(snap, "crm/locations")["id"])
        jobs = _all_pages(snap, "jpm/jobs")
        invoices = _all_pages(snap, "accounting/invoices")
    assert set(jobs["customerId"]) <= customers
    assert set(jobs["locationId"]) <= locations
    assert set(invoices["job"].struct.field("id").drop_nulls()) <= set(jobs["id"])
    # A sampled job brings every invoice it has in the original.
    original = origin.world("integration").table("accounting/invoices")
    of_jobs = original.filter(pl.col("job").struct.field("id").is_in(jobs["id"].implode()))
    assert set(of_jobs["id"]) <= set(invoices["id"])
    # Deterministic scrubbing keeps joins on scrubbed values: an invoice's customer name is its customer's.
    with stnb.connect("integration", sandbox=recorded.path, progress=False) as snap:
        names = dict(_all_pages(snap, "crm/customers").select("id", "name").iter_rows())
    pairs = invoices.select(pl.col("customer").struct.field("id"), pl.col("customer").struct.field("name"))
    assert all(names[i] == n for i, n in pairs.iter_rows() if i in names)


def test_no_original_personal_data_is_in_the_snapshot(origin: Sandbox, recorded: RecordSummary) -> None:
    text = "\n".join(
        json.dumps(pl.read_parquet(f).to_dicts(), default=str)
        for f in sorted(recorded.path.glob("*.parquet"))
    )
    text += (recorded.path / "manifest.json").read_text()
    world = origin.world("integration")
    customers = world.customers()
    contacts = world.table("crm/customers/contacts")
    # Streets, e-mails and phone numbers are specific enough to scan for anywhere.
    streets = [s for s in customers["address"].struct.field("street").to_list() if s]
    streets += [s for s in world.locations()["address"].struct.field("street").to_list() if s]
    values = [v for v in contacts["value"].to_list() if v]
    assert any("@" in v for v in values) and any(v[-4:].isdigit() for v in values)
    assert [v for v in (*streets, *values) if v in text] == []
    assert origin.default_tenant.name not in text  # ids (the tenant's too, where a record holds it) are kept
    # Names come from a small pool, so a fake may equal another person's name: compare record by record.
    original = dict(customers.select("id", "name").iter_rows())
    for file in ("crm__customers.list.parquet", "crm__customers.export.parquet"):
        rows = pl.read_parquet(recorded.path / file).select("id", "name").iter_rows()
        assert [i for i, name in rows if name == original[i]] == []
    invoices = pl.read_parquet(recorded.path / "accounting__invoices.list.parquet")
    pairs = invoices.select(pl.col("customer").struct.field("id"), pl.col("customer").struct.field("name"))
    assert [i for i, name in pairs.iter_rows() if name == original.get(i)] == []


def test_served_snapshot_keeps_the_sandbox_semantics(
    recorded: RecordSummary, monkeypatch: pytest.MonkeyPatch, no_credentials: Path
) -> None:
    monkeypatch.setenv("STNB_SANDBOX", str(recorded.path))
    with stnb.connect(progress=False) as st:  # no credentials: the sandbox, here the snapshot
        assert st.sandbox
        every = st.frame("crm/customers", active="Any")
        default = st.frame("crm/customers")
        assert default.height <= every.height and default["active"].all()
        pages = list(st.pages("crm/customers", active="Any", page_size=7))
        assert len(pages) == -(-every.height // 7)
        first = every.sort("id")["id"][0]
        assert st.get("crm/customers", first)["id"] == first
        exported = st.export_frame("jpm/jobs")
        assert exported.height == recorded.rows["jpm/jobs"]["export"]
    sandbox = snapshot_sandbox(recorded.path, rate_limit=60.0)
    handle = serve_in_thread(sandbox)
    try:
        with stnb.connect(sandbox=RemoteSandbox(handle.url, 0), progress=False) as remote:
            assert remote.frame("jpm/jobs").height == recorded.rows["jpm/jobs"]["list"]
    finally:
        handle.stop()


def test_the_cli_records_shows_the_scrub_list_and_serves(
    recorded: RecordSummary, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert main(["sandbox", "record", "--show-scrub", "--scrub", "gateCode=text"]) == 0
    shown = capsys.readouterr().out
    assert (
        "customFields[].value\tvalue" in shown
        and "gateCode\ttext" in shown
        and "format:email\temail" in shown
    )
    assert main(["sandbox", "record", "--show-scrub", "--scrub", "gateCode"]) == 2
    assert "FIELD=KIND" in capsys.readouterr().err
    out = tmp_path / "mini.stnb"
    code = main(
        [
            "sandbox",
            "record",
            "--sandbox",
            "--resources",
            "settings/business-units",
            "--max-records",
            "5",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0 and read_manifest(out).resources["settings/business-units"]["list"]["rows"] == 5
    assert "serve it: stnb sandbox serve --snapshot" in capsys.readouterr().out
    assert (
        main(
            [
                "sandbox",
                "record",
                "--sandbox",
                "--resources",
                "settings/business-units",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "exists" in capsys.readouterr().err


def test_scrubbing_is_deterministic_and_extensible() -> None:
    a = Scrubber(extra=[ScrubRule("gateCode", "text")])
    b = Scrubber()
    record_ = {
        "id": 1,
        "name": "Jane Roe",
        "gateCode": "1234#",
        "total": "10.00",
        "contacts": [
            {"type": "Email", "value": "jane@roe.org"},
            {"type": "Phone", "value": "(555) 123-9876"},
        ],
    }
    one = a.scrub([json.loads(json.dumps(record_))])[0]
    two = b.scrub([json.loads(json.dumps(record_))])[0]
    assert one["name"] == two["name"] != "Jane Roe"
    assert one["gateCode"] != "1234#" and two["gateCode"] == "1234#"
    assert one["id"] == 1 and one["total"] == "10.00" and one["contacts"][0]["type"] == "Email"
    assert "@example.com" in one["contacts"][0]["value"] and one["contacts"][1]["value"].startswith("555")
    assert any(r.field == "customFields[].value" for r in DEFAULT_RULES)


def test_bad_input(tmp_path: Path, recorded: RecordSummary) -> None:
    with pytest.raises(SnapshotError, match="no snapshot"):
        read_manifest(tmp_path / "missing.stnb")
    (tmp_path / "file.stnb").write_text("hello")
    with pytest.raises(SnapshotError, match="not a snapshot"):
        read_manifest(tmp_path / "file.stnb")
    empty = tmp_path / "empty.stnb"
    empty.mkdir()
    with pytest.raises(SnapshotError, match=r"no manifest\.json"):
        read_manifest(empty)
    (empty / "manifest.json").write_text('{"format": "something-else"}')
    with pytest.raises(SnapshotError, match="not an stnb snapshot"):
        read_manifest(empty)
    (empty / "manifest.json").write_text('{"format": "stnb-snapshot", "version": 99, "resources": {}}')
    with pytest.raises(SnapshotError, match="version 99"):
        read_manifest(empty)
    (empty / "manifest.json").write_text("{not json")
    with pytest.raises(SnapshotError, match="cannot be read"):
        read_manifest(empty)
    (empty / "manifest.json").write_text(
        json.dumps(
            {
                "format": "stnb-snapshot",
                "version": 1,
                "resources": {"crm/customers": {"list": {"file": "x.parquet"}}},
            }
        )
    )
    with pytest.raises(SnapshotError, match=r"x\.parquet is missing"):
        read_manifest(empty)
    with pytest.raises(ConfigError, match=r"not an stnb snapshot|missing"):
        stnb.connect(sandbox=str(empty))
    assert main(["sandbox", "serve", "--snapshot", str(empty), "--port", "0"]) == 2
    with stnb.connect(sandbox=Sandbox(seed=1), progress=False) as conn:
        with pytest.raises(ValueError, match="max_records"):
            record(conn, tmp_path / "a.stnb", "crm/customers", max_records=0, progress=False)
        with pytest.raises(UnknownResourceError):
            record(conn, tmp_path / "a.stnb", "crm/custmers", progress=False)
        with pytest.raises(FileExistsError):
            record(conn, recorded.path, "crm/customers", progress=False)
    assert not (tmp_path / "a.stnb").exists()
