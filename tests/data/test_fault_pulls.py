"""The fault test of issue 14, extended with 500s on reads: pulls and exports from the served sandbox on
loopback, under about 19 % injected faults (429, 500, 502, 503, dropped connections, revoked tokens),
lose, duplicate or alter no record. The client waits on a fake clock, so retries cost no real time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

import stnb
from stnb._clock import FakeClock
from stnb._retry import RetryPolicy
from stnb.sandbox import Sandbox
from stnb.sandbox.server import ServerHandle, serve_in_thread

ANCHOR = datetime(2026, 1, 15, tzinfo=UTC)
FAULTS = "429=0.04,500=0.05,502=0.03,503=0.03,drop=0.04,revoke_after=25,seed=9"  # 19 % of API requests
RESOURCES = ["jpm/jobs", "crm/customers", "accounting/invoices"]


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, ServerHandle]]:
    sandbox = Sandbox(seed=3, scale=0.2, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)
    handle = serve_in_thread(sandbox)
    try:
        yield sandbox, handle
    finally:
        handle.stop()


def pulls(handle: ServerHandle, folder: Path) -> dict[str, pl.DataFrame]:
    """Four pulls per resource: frame, export_frame, and both streamed to Parquet (12 in all)."""
    out: dict[str, pl.DataFrame] = {}
    patient = RetryPolicy(max_attempts=10)
    with stnb.connect(sandbox=handle, clock=FakeClock(ANCHOR), progress=False, retry=patient) as st:
        for name in RESOURCES:
            active = {"active": "any"} if st.resource(name).list.supports_active else {}  # type: ignore[union-attr]
            out[f"{name} frame"] = st.frame(name, page_size=200, **active)
            out[f"{name} export"] = st.export_frame(name)
            listed = st.to_parquet(
                name, folder / f"{name.replace('/', '_')}.parquet", page_size=200, **active
            )
            out[f"{name} parquet"] = pl.read_parquet(listed)
            exported = st.to_parquet(name, folder / f"{name.replace('/', '_')}-export.parquet", export=True)
            out[f"{name} export parquet"] = pl.read_parquet(exported)
    return out


def test_pulls_under_faults_with_500s_lose_and_duplicate_nothing(
    served: tuple[Sandbox, ServerHandle], tmp_path: Path
) -> None:
    sandbox, handle = served
    sandbox.faults = None
    clean = pulls(handle, tmp_path / "clean")
    statuses: list[int] = []
    sandbox.on_request = lambda request: statuses.append(request.status) if request.module != "auth" else None
    sandbox.faults = FAULTS
    try:
        faulty = pulls(handle, tmp_path / "faulty")
    finally:
        sandbox.faults = None
        sandbox.on_request = None
    failed = [s for s in statuses if s != 200]
    assert 500 in failed and {429, 502, 503, 0, 401} <= set(failed)  # 0: a dropped connection
    assert len(failed) / len(statuses) > 0.1
    for key, expected in clean.items():
        got = faulty[key]
        ids = got["id"].to_list()
        assert len(ids) == len(set(ids)), f"{key}: duplicated records"
        assert set(ids) == set(expected["id"].to_list()), f"{key}: lost records"
        assert got.sort("id").equals(expected.sort("id")), f"{key}: altered records"
    share = len(failed) / len(statuses)
    print(f"{len(clean)} pulls, {len(statuses)} API requests, {len(failed)} faults ({share:.0%})")
