"""Demo usage: fast, deterministic, and the analytics find what was planted."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from stnb.sandbox import demo_usage as demo
from stnb.sandbox import portal
from stnb.sandbox.identity import build_apps
from stnb.usage import analytics as A
from stnb.usage.columns import LEDGER_SCHEMA
from stnb.usage.ledger import read_ledger
from stnb.usage.portal import import_portal_reports

END = date(2026, 11, 27)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> demo.DemoUsage:
    return demo.build_demo_usage(tmp_path_factory.mktemp("demo"), end=END)


def test_builds_in_under_three_seconds(tmp_path: Path) -> None:
    started = time.process_time()  # CPU time: other work on a shared machine does not count
    out = demo.build_demo_usage(tmp_path, end=END)
    assert time.process_time() - started < 3.0
    assert out.end == END
    assert len(list(out.portal_dir.glob("*.csv"))) == 360
    assert out.ledger_path.exists()


def test_rebuild_replaces_and_is_deterministic(tmp_path: Path) -> None:
    first = demo.build_demo_usage(tmp_path, end=END, days=20, ledger_days=2)
    frame_a = read_ledger(first.ledger_path)
    second = demo.build_demo_usage(tmp_path, end=END, days=20, ledger_days=2)
    assert len(list(second.portal_dir.glob("*.csv"))) == 40
    assert read_ledger(second.ledger_path).equals(frame_a)


def test_anomaly_detection_finds_the_planted_incident(built: demo.DemoUsage) -> None:
    planted = portal.planted_usage(portal.portal_apps(build_apps(0)), END)
    found = A.anomalies(import_portal_reports(built.portal_dir))
    top = found.row(0, named=True)
    assert (top["app"], top["day"], top["kind"]) == ("Acme Dispatch Board", planted.incident_day, "drop")
    assert top["z"] < -10
    assert top["deviation_pct"] == pytest.approx((portal.INCIDENT_FACTOR - 1) * 100, abs=8)
    others = found.filter(pl.col("day") != planted.incident_day)
    assert others["z"].abs().max() is None or others["z"].abs().max() < abs(top["z"]) / 3


def test_the_ledger_carries_errors_throttling_latency_and_bursts(built: demo.DemoUsage) -> None:
    ledger = read_ledger(built.ledger_path)
    assert ledger.schema == pl.Schema(LEDGER_SCHEMA)
    assert ledger["at"].min().date() == END - timedelta(days=27)  # type: ignore[union-attr]
    assert set(ledger["env"].unique()) == {"production", "integration"}
    assert set(ledger["app_name"].unique()) == {"Acme Dispatch Board", "Fleet Insights"}
    assert ledger.filter(pl.col("module") == "auth").height > 0

    daily = A.rates(ledger, every="1d")
    storm_day = END - timedelta(days=demo.THROTTLE_DAYS_BEFORE_END)
    storm = daily.filter(pl.col("throttled") == pl.col("throttled").max()).row(0, named=True)
    assert (storm["app"], storm["period"].date()) == ("Acme Dispatch Board", storm_day)
    outage_day = END - timedelta(days=demo.ERROR_DAYS_BEFORE_END)
    outage = daily.filter(pl.col("error_rate") == pl.col("error_rate").max()).row(0, named=True)
    assert (outage["app"], outage["period"].date()) == ("Fleet Insights", outage_day)

    peaks = A.peak_rps_headroom(ledger)
    worst = peaks.row(0, named=True)
    assert (worst["app"], worst["peak_at"].date(), worst["peak_rps"]) == (
        "Acme Dispatch Board",
        storm_day,
        90,
    )
    assert worst["headroom"] == -30

    exports = ledger.filter(pl.col("endpoint").str.contains("/export/"), pl.col("status") == 200)
    weekly = A.latency_percentiles(exports, by=None, every="1w")
    assert weekly["p50"][-1] > 1.6 * weekly["p50"][0]  # the export slowdown at the end


def test_secrets_never_reach_the_demo_ledger(built: demo.DemoUsage) -> None:
    raw = built.ledger_path.read_bytes()
    for app in build_apps(0):
        assert app.app_key.encode() not in raw
        for tenant in app.tenants:
            for creds in tenant.credentials.values():
                assert creds.client_secret.encode() not in raw
                assert creds.client_id.encode() not in raw


def test_reuse_keeps_a_demo_built_for_the_same_days(tmp_path: Path) -> None:
    first = demo.build_demo_usage(tmp_path, days=20, ledger_days=3, end=date(2026, 6, 30), reuse=True)
    written = first.ledger_path.stat().st_mtime_ns
    again = demo.build_demo_usage(tmp_path, days=20, ledger_days=3, end=date(2026, 6, 30), reuse=True)
    assert again == first and again.ledger_path.stat().st_mtime_ns == written  # not rebuilt
    later = demo.build_demo_usage(tmp_path, days=20, ledger_days=3, end=date(2026, 7, 1), reuse=True)
    assert later.end == date(2026, 7, 1) and later.ledger_path.stat().st_mtime_ns != written
    kept = later.ledger_path.stat().st_mtime_ns
    rebuilt = demo.build_demo_usage(tmp_path, days=20, ledger_days=3, end=date(2026, 7, 1))  # reuse off
    assert rebuilt.end == date(2026, 7, 1) and rebuilt.ledger_path.stat().st_mtime_ns != kept
