"""The data layer over the real sandbox (in-process transport): typed frames, ids, exports under faults."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb._paging import ExportCursor, TruncationWarning
from stnb.cli import core
from stnb.sandbox import Sandbox

ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(ANCHOR)


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=7, anchor=ANCHOR, clock=clock)


@pytest.fixture
def st(sandbox: Sandbox, clock: FakeClock) -> Iterator[Connection]:
    sandbox.faults = None
    with stnb.connect("integration", sandbox=sandbox, clock=clock, progress=False) as connection:
        yield connection
    sandbox.faults = None


def test_typed_frames_from_the_sandbox(st: Connection) -> None:
    customers = st.frame("crm/customers", active="any")
    assert customers.height > 100
    assert customers.schema["id"] == pl.Int64
    assert customers.schema["createdOn"] == pl.Datetime("us", "UTC")
    assert customers["createdOn"].null_count() == 0
    assert customers["id"].n_unique() == customers.height
    assert set(customers["active"].unique()) == {True, False}
    assert st.last_query is not None and st.last_query.active == "Any" and st.last_query.sandbox

    with pytest.warns(TruncationWarning):
        invoices = st.frame("accounting/invoices", max_pages=2, pageSize=50)
    assert invoices.schema["total"] == pl.Decimal(18, 2)
    assert invoices.schema["items"].inner.to_schema()["price"] == pl.Decimal(18, 2)  # type: ignore[attr-defined]
    totals = [t for t in invoices["total"].to_list() if t is not None]
    assert totals and all(isinstance(t, Decimal) for t in totals)


def test_active_default_returns_only_active_rows(st: Connection) -> None:
    everything = st.frame("crm/customers", active="any")
    default = st.frame("crm/customers")
    assert st.last_query is not None and st.last_query.active == "True"
    assert default.height == everything.filter(pl.col("active")).height < everything.height


def test_ids_are_chunked_and_merged(st: Connection, sandbox: Sandbox) -> None:
    with pytest.warns(TruncationWarning):
        ids = st.frame("jpm/jobs", max_pages=1, pageSize=120)["id"].to_list()
    assert len(ids) == 120
    served: list[int] = []
    sandbox.on_request = lambda request: served.append(request.status) if request.module == "jpm" else None
    try:
        frame = st.frame("jpm/jobs", ids=ids)
    finally:
        sandbox.on_request = None
    assert sorted(frame["id"].to_list()) == sorted(ids)
    assert served == [200, 200, 200]  # 50 + 50 + 20; the sandbox answers 400 above 50 ids
    assert st.last_query is not None and st.last_query.pages == 3


def test_export_under_faults_has_no_duplicates_and_no_gaps(st: Connection, sandbox: Sandbox) -> None:
    sandbox.export_batch_size = 100
    clean = [r["id"] for r in st.export("crm/customers").items()]
    assert len(clean) == len(set(clean)) > 1000
    statuses: list[int] = []
    sandbox.on_request = lambda request: statuses.append(request.status)
    sandbox.faults = "429=0.08,500=0.04,502=0.04,503=0.04,409=0.02,drop=0.02,seed=3"
    faulty: list[int] = []
    resumed = 0
    cursor = st.export("crm/customers")
    try:
        while not cursor.done:
            try:
                faulty.extend(r["id"] for r in cursor.items())
            except stnb.ServerError:  # retries are bounded; the checkpoint covers what was received
                resumed += 1
                cursor = st.export("crm/customers", checkpoint=cursor.checkpoint)
    finally:
        sandbox.on_request = None
    assert faulty == clean
    assert any(status >= 400 for status in statuses)  # faults really happened and were retried
    assert 500 in statuses and resumed <= 1  # 500s on reads are retried like 502-504 (issue 14)


def test_export_resume_from_a_saved_checkpoint_under_faults_and_revoked_tokens(
    st: Connection, sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.export_batch_size = 200
    every = [r["id"] for r in st.export("crm/customers").items()]
    statuses: list[int] = []
    sandbox.on_request = lambda request: statuses.append(request.status)
    sandbox.faults = "429=0.05,502=0.05,503=0.03,drop=0.02,revoke_after=4,seed=11"
    try:
        cursor = st.export("crm/customers")
        first: list[int] = []
        for batch in cursor:
            first.extend(r["id"] for r in batch)
            cursor.save(tmp_path / "customers.json")
            if len(first) >= 1000:
                break
        checkpoint = json.loads((tmp_path / "customers.json").read_text())
        assert checkpoint["fetched"] == len(first) and checkpoint["tenant"] == st.tenant
        rest = [r["id"] for r in ExportCursor.resume(st, tmp_path / "customers.json").items()]
    finally:
        sandbox.on_request = None
    assert first + rest == every
    assert len(set(first + rest)) == len(every)
    assert 401 in statuses  # tokens were revoked mid-export, refreshed, and nothing was lost


def test_a_revoked_token_mid_pull_loses_nothing(st: Connection, sandbox: Sandbox) -> None:
    clean = st.frame("crm/customers", active="any", pageSize=200)["id"].to_list()
    statuses: list[tuple[str, int]] = []
    sandbox.on_request = lambda request: statuses.append((request.module, request.status))
    sandbox.faults = "revoke_after=5"
    try:
        again = st.frame("crm/customers", active="any", pageSize=200)["id"].to_list()
    finally:
        sandbox.on_request = None
    assert again == clean
    assert ("crm", 401) in statuses and ("auth", 200) in statuses


def test_to_parquet_round_trip_equals_frame(st: Connection, tmp_path: Path) -> None:
    frame = st.frame("crm/customers", active="any", pageSize=400)
    path = st.to_parquet("crm/customers", tmp_path / "customers.parquet", active="any", pageSize=400)
    assert pl.read_parquet(path).equals(frame)
    exported = st.to_parquet("crm/customers", tmp_path / "export.parquet", export=True)
    back = pl.read_parquet(exported)
    assert back["id"].n_unique() == back.height
    assert st.export_frame("crm/customers").equals(back)


def test_cli_pull_and_doctor_never_print_the_secret(
    sandbox: Sandbox, clock: FakeClock, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = sandbox.credentials["integration"].client_secret
    out = io.StringIO()
    assert core.pull("crm/customers", tmp_path / "c.csv", sandbox=sandbox, clock=clock, out=out) == 0
    assert "(sandbox)" in out.getvalue()
    assert core.doctor(env="integration", sandbox=True, clock=clock, out=out) in (0, 1)
    printed = capsys.readouterr()
    text = out.getvalue() + printed.out + printed.err
    assert "token: ok" in text
    assert secret not in text
    assert sandbox.credentials["integration"].app_key not in text


def test_sandbox_apps_and_tenants_by_profile_and_tenant(sandbox: Sandbox, clock: FakeClock) -> None:
    other = sandbox.apps[0].tenants[1]
    with stnb.connect(sandbox=sandbox, tenant=other.name, clock=clock) as st:
        assert st.tenant == str(other.tenant_id) and st.timezone == other.timezone
    with stnb.connect(sandbox=sandbox, profile="Fleet Insights", clock=clock) as st:
        with pytest.raises(stnb.PermissionDenied):
            st.frame("accounting/invoices", max_pages=1)
        with pytest.warns(TruncationWarning):
            assert st.frame("crm/customers", pageSize=5, max_pages=1).height == 5
    with pytest.raises(stnb.ConfigError, match="Acme Dispatch Board"):
        stnb.connect(sandbox=sandbox, profile="Nope")
    with pytest.raises(stnb.ConfigError, match="its tenants"):
        stnb.connect(sandbox=sandbox, tenant=42)


@pytest.mark.filterwarnings("ignore::stnb._frames.SchemaDriftWarning")  # production's extra job field
def test_a_served_sandbox_answers_over_loopback_http_sync_and_async() -> None:
    from stnb.sandbox import serve_in_thread

    with serve_in_thread(seed=3) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with stnb.connect(sandbox=server, progress=False) as st:
            frame = st.frame("settings/business-units")
            assert frame.height > 0 and st.sandbox

        async def run() -> int:
            async with stnb.connect_async("production", sandbox=server, progress=False) as ast:
                jobs = await ast.frame("jpm/jobs", pageSize=200, max_pages=3)
                return jobs.height

        with pytest.warns(TruncationWarning):
            assert asyncio.run(run()) == 600
