"""A snapshot reproduces the deviations a check observed: record with `--quirks-from check.json` (or
`--check`) from a served sandbox whose deviations are a chosen subset, serve the snapshot, check it again:
every deviation the first check could see has the same status on the snapshot."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import stnb
from stnb._check import check
from stnb._snapshot import observed_quirks, record
from stnb.catalog.quirks import QUIRKS
from stnb.cli.main import main
from stnb.sandbox import Sandbox
from stnb.sandbox.quirks import Quirks, documented_form
from stnb.sandbox.remote import RemoteSandbox
from stnb.sandbox.server import serve_in_thread
from stnb.sandbox.snapshot import read_manifest, snapshot_sandbox

SEED = 11
CHOSEN = ("enum-as-integer", "missing-modified-on", "page-from-zero")  # the "live API" does only these
NOT_OBSERVABLE = {"capacity-window", "report-still-running"}  # switchable, needs a POST: kept on
# Endpoints where the chosen and some of the switched-off deviations show, that a recorder can sample.
RESOURCES = [
    "inventory/purchase-order-types",
    "inventory/receipts",
    "accounting/inventory-bills",
    "accounting/journal-entries",
    "pricebook/categories",
    "pricebook/services",
    "pricebook/materials",
    "settings/business-units/intacct",
    "jpm/job-cancel-reasons",
    "forms/forms",
]


@pytest.fixture(scope="module")
def live() -> Iterator[Any]:
    handle = serve_in_thread(Sandbox(seed=SEED, quirks=",".join(CHOSEN)), port=0)
    yield handle
    handle.stop()


def _statuses(result: Any) -> dict[str, str]:
    return dict(result.quirks.select("quirk", pl.col("status").cast(pl.String)).iter_rows())


@pytest.fixture(scope="module")
def check_json(live: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    with stnb.connect("integration", sandbox=RemoteSandbox(live.url, SEED), progress=False) as conn:
        result = check(conn, budget=300, resources=RESOURCES, progress=False, reference=False)
    assert result.complete, result.stopped
    path = tmp_path_factory.mktemp("check") / "check.json"
    path.write_text(result.to_json(), encoding="utf-8")
    return path


def test_observed_quirks_follow_the_check(check_json: Path) -> None:
    data = json.loads(check_json.read_text())
    statuses = {row["quirk"]: row["status"] for row in data["known_deviations"]}
    assert {q for q, s in statuses.items() if s == "confirmed"} == set(CHOSEN)
    contradicted = {q for q, s in statuses.items() if s == "contradicted"}
    assert {"unsorted-pages", "active-by-default"} <= contradicted
    observed = observed_quirks(check_json)
    switchable = {q.id for q in QUIRKS if q.switchable}
    # Confirmed on, contradicted off, what the check could not see (or did not reach) on.
    expected = switchable - contradicted
    assert observed.quirks.ids == expected
    assert set(CHOSEN) | NOT_OBSERVABLE <= expected
    assert observed.statuses == statuses and observed.env == "integration"
    assert observed_quirks(data) == observed


def test_record_with_quirks_from_a_check_reproduces_exactly_what_it_observed(
    live: Any, check_json: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    monkeypatch.setenv("STNB_SANDBOX_URL", live.url)
    monkeypatch.setenv("STNB_SANDBOX_SEED", str(SEED))
    out = tmp_path / "observed.stnb"
    args = ["sandbox", "record", "--sandbox", "--env", "integration", "--no-progress"]
    args += ["--resources", ",".join(RESOURCES), "--max-records", "40", "--out", str(out)]
    assert main([*args, "--quirks-from", str(check_json)]) == 0
    printed = capsys.readouterr().out
    manifest = read_manifest(out)
    first = json.loads(check_json.read_text())
    statuses = {row["quirk"]: row["status"] for row in first["known_deviations"]}
    assert manifest.data["quirks_observed"]["statuses"] == dict(sorted(statuses.items()))
    assert Quirks.parse(manifest.quirks) == observed_quirks(check_json).quirks
    assert f"reproduced when served: {manifest.quirks}" in printed
    # Served, the snapshot shows each deviation the first check could see exactly as it saw it.
    handle = serve_in_thread(snapshot_sandbox(out, seed=3), port=0)
    try:
        with stnb.connect("integration", sandbox=RemoteSandbox(handle.url, 3), progress=False) as conn:
            again = check(conn, budget=300, resources=RESOURCES, progress=False, reference=False)
    finally:
        handle.stop()
    seen = {q: s for q, s in statuses.items() if s in ("confirmed", "contradicted")}
    assert {q: _statuses(again)[q] for q in seen} == seen
    assert set(again.findings["known"].drop_nulls().to_list()) == set(CHOSEN)
    assert again.findings.filter(pl.col("known").is_null()).height == 0
    # The records are stored as documented: served with no deviations, the snapshot shows none.
    handle = serve_in_thread(snapshot_sandbox(out, seed=3, quirks="none"), port=0)
    try:
        with stnb.connect("integration", sandbox=RemoteSandbox(handle.url, 3), progress=False) as conn:
            plain = check(conn, budget=300, resources=RESOURCES, progress=False, reference=False)
    finally:
        handle.stop()
    assert plain.findings.height == 0, plain.findings.to_dicts()
    # `--check` runs the check itself (deviation endpoints first, over the whole catalog) and stores what
    # it saw: the same for what the first check saw, and more (the ads endpoint needs dates to record).
    again_out = tmp_path / "checked.stnb"
    assert main([*args[:-1], str(again_out), "--check", "--check-budget", "300"]) == 0
    checked = read_manifest(again_out)
    by_check = checked.data["quirks_observed"]["statuses"]
    assert {q: by_check[q] for q in seen} == seen
    switchable = {q.id for q in QUIRKS if q.switchable}
    contradicted = {q for q, s in by_check.items() if s == "contradicted"}
    assert Quirks.parse(checked.quirks).ids == switchable - contradicted
    assert {q for q, s in by_check.items() if s == "confirmed"} == set(CHOSEN)


def test_bad_quirk_sources(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "x.json").write_text('{"findings": []}')
    with pytest.raises(ValueError, match="known_deviations"):
        observed_quirks(tmp_path / "x.json")
    with pytest.raises(ValueError, match="no check output"):
        observed_quirks(tmp_path / "missing.json")
    bad_status = {"known_deviations": [{"quirk": "page-from-zero", "status": "maybe"}]}
    with pytest.raises(ValueError, match="unknown status"):
        observed_quirks(bad_status)
    with pytest.raises(ValueError, match="cannot read"):
        observed_quirks(42)
    code = main(
        [
            "sandbox",
            "record",
            "--sandbox",
            "--out",
            str(tmp_path / "s"),
            "--quirks-from",
            str(tmp_path / "x.json"),
        ]
    )
    assert code == 2 and "known_deviations" in capsys.readouterr().err
    with (
        stnb.connect(sandbox=Sandbox(seed=1), progress=False) as conn,
        pytest.raises(ValueError, match="unknown quirk"),
    ):
        record(conn, tmp_path / "q.stnb", "settings/business-units", quirks="no-such", progress=False)
    assert not (tmp_path / "q.stnb").exists()


def test_documented_form_undoes_value_deviations() -> None:
    fields = {"landedCostMethod": {"enum": ["None", "ByValue"]}, "postDate": "date"}
    rows: list[Any] = [{"landedCostMethod": 1}, {"landedCostMethod": "None"}, {"landedCostMethod": 7}]
    documented_form("/inventory/v2/tenant/{tenant}/receipts", fields, rows)
    assert [r["landedCostMethod"] for r in rows] == ["ByValue", "None", 7]  # out of range: left to see
    dates = [{"postDate": "2025-10-13T00:00:00"}, {"postDate": "2025-10-14"}]
    documented_form("/accounting/v2/tenant/{tenant}/journal-entries", fields, dates)
    assert [r["postDate"] for r in dates] == ["2025-10-13", "2025-10-14"]
    elsewhere = [{"postDate": "2025-10-13T00:00:00"}]
    documented_form("/accounting/v2/tenant/{tenant}/invoices", fields, elsewhere)  # no deviation known there
    assert elsewhere[0]["postDate"] == "2025-10-13T00:00:00"
