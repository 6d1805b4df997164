"""Every aggregate against numbers computed by hand on small fixtures."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest

from stnb.usage import analytics as A
from stnb.usage.columns import LEDGER_SCHEMA, PORTAL_SCHEMA


def ts(day: int, hour: int, minute: int = 0, second: int = 0, ms: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, ms * 1000, tzinfo=UTC)


JOBS = "/jpm/v2/tenant/{tenant}/jobs"
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"
# (at, app fingerprint, app name, tenant, module, method, endpoint, status, latency)
ROWS = [
    (ts(1, 10, 0, 0, 100), "aaaa1111", "Alpha", "1", "jpm", "GET", JOBS, 200, 10.0),
    (ts(1, 10, 0, 0, 200), "aaaa1111", "Alpha", "1", "jpm", "GET", JOBS, 200, 20.0),
    (ts(1, 10, 0, 0, 900), "aaaa1111", "Alpha", "1", "crm", "GET", CUSTOMERS, 429, 30.0),
    (ts(1, 10, 0, 1, 0), "aaaa1111", "Alpha", "1", "crm", "GET", CUSTOMERS, 200, 40.0),
    (ts(1, 11, 30), "aaaa1111", "Alpha", "2", "jpm", "GET", JOBS, 500, 50.0),
    (ts(2, 9), "aaaa1111", "Alpha", "1", "jpm", "GET", JOBS, None, 1000.0),
    (ts(1, 9, 59), "aaaa1111", "Alpha", "1", "auth", "POST", "/connect/token", 200, 100.0),
    (ts(1, 12, 0, 0, 500), "bbbb0000", None, "1", "jpm", "GET", JOBS, 200, 5.0),
    (ts(2, 12, 0, 0, 600), "bbbb0000", None, "1", "jpm", "GET", JOBS, 404, 15.0),
]


@pytest.fixture
def ledger() -> pl.DataFrame:
    data = {name: [] for name in LEDGER_SCHEMA}  # type: dict[str, list[object]]
    for i, (at, app, name, tenant, module, method, endpoint, status, latency) in enumerate(ROWS):
        values = {
            "id": i,
            "at": at,
            "env": "production",
            "app": app,
            "app_name": name,
            "tenant": tenant,
            "method": method,
            "module": module,
            "endpoint": endpoint,
            "status": status,
            "latency_ms": latency,
            "bytes": 100,
            "attempt": 1,
            "rate_wait_ms": 0.0,
            "error_type": None if status in (200, None) else "ApiError",
            "sandbox": False,
        }
        for key, value in values.items():
            data[key].append(value)
    return pl.DataFrame(data, schema=LEDGER_SCHEMA)


def test_calls_per_day_and_app(ledger: pl.DataFrame) -> None:
    out = A.calls_over_time(ledger, "1d")
    assert out.rows() == [
        (ts(1, 0), "Alpha", 6),
        (ts(2, 0), "Alpha", 1),
        (ts(1, 0), "bbbb0000", 1),  # no app name: the fingerprint stands in
        (ts(2, 0), "bbbb0000", 1),
    ]


def test_calls_per_hour_fills_quiet_hours_with_zero(ledger: pl.DataFrame) -> None:
    out = A.calls_over_time(ledger, "1h", by="app")
    alpha = out.filter(pl.col("app") == "Alpha")
    # From the first busy hour (June 1, 09:00) to the last (June 2, 12:00): 28 hours for every app.
    assert alpha.height == 28 and out.filter(pl.col("app") == "bbbb0000").height == 28
    busy = alpha.filter(pl.col("calls") > 0).rows()
    assert busy == [
        (ts(1, 9), "Alpha", 1),
        (ts(1, 10), "Alpha", 4),
        (ts(1, 11), "Alpha", 1),
        (ts(2, 9), "Alpha", 1),
    ]
    assert A.calls_over_time(ledger, "1h", fill=False).height == 6  # 4 busy hours for Alpha, 2 for bbbb0000


def test_calls_by_tenant_family_endpoint_method_week_month(ledger: pl.DataFrame) -> None:
    by_tenant = A.calls_over_time(ledger, "1mo", by=["app", "tenant"])
    assert by_tenant.rows() == [
        (ts(1, 0), "Alpha", "1", 6),
        (ts(1, 0), "Alpha", "2", 1),
        (ts(1, 0), "bbbb0000", "1", 2),
    ]
    by_api = A.calls_over_time(ledger, "1w", by="api")
    monday = datetime(2026, 6, 1, tzinfo=UTC)  # June 1, 2026 is a Monday: the week starts there
    assert by_api.rows() == [
        (monday, "Authentication", 1),
        (monday, "CRM", 2),
        (monday, "Job Planning and Management", 6),
    ]
    by_method = A.calls_over_time(ledger, "1mo", by=["method", "endpoint"], fill=False)
    assert by_method.rows() == [
        (ts(1, 0), "GET", CUSTOMERS, 2),
        (ts(1, 0), "GET", JOBS, 6),
        (ts(1, 0), "POST", "/connect/token", 1),
    ]


def test_periods_in_a_time_zone(ledger: pl.DataFrame) -> None:
    out = A.calls_over_time(ledger, "1d", by=None, tz="America/Los_Angeles", fill=False)
    # 09:00-12:00 UTC on June 1 is 02:00-05:00 PDT on June 1; June 2 09:00-12:00 UTC is June 2 PDT.
    assert [(p.date(), n) for p, n in out.rows()] == [(date(2026, 6, 1), 7), (date(2026, 6, 2), 2)]
    assert str(out.schema["period"]) == "Datetime(time_unit='us', time_zone='America/Los_Angeles')"


def test_rates(ledger: pl.DataFrame) -> None:
    out = A.rates(ledger).select(
        "app", "attempts", "ok", "throttled", "errors", "success_rate", "error_rate", "throttle_rate"
    )
    assert out.rows() == [
        ("Alpha", 7, 4, 1, 2, 4 / 7, 2 / 7, 1 / 7),  # errors: the 500 and the attempt without a response
        ("bbbb0000", 2, 1, 0, 1, 1 / 2, 1 / 2, 0.0),
    ]
    daily = A.rates(ledger, by="app", every="1d").filter(pl.col("app") == "Alpha")
    assert daily.select("attempts", "errors").rows() == [(6, 1), (1, 1)]


def test_latency_percentiles_linear(ledger: pl.DataFrame) -> None:
    out = A.latency_percentiles(ledger)
    alpha = out.filter(pl.col("app") == "Alpha").row(0, named=True)
    # Responses only (the 1000 ms attempt got none). Sorted: 10 20 30 40 50 100; position q*(n-1).
    assert alpha["attempts"] == 6
    assert alpha["p50"] == pytest.approx(35.0)
    assert alpha["p95"] == pytest.approx(50 + 0.75 * 50)
    assert alpha["p99"] == pytest.approx(50 + 0.95 * 50)
    everything = (
        A.latency_percentiles(ledger, responses_only=False)
        .filter(pl.col("app") == "Alpha")
        .row(0, named=True)
    )
    # Sorted: 10 20 30 40 50 100 1000: p50 -> 40, p95 -> position 5.7, p99 -> 5.94.
    assert everything["attempts"] == 7
    assert everything["p50"] == pytest.approx(40.0)
    assert everything["p95"] == pytest.approx(100 + 0.7 * 900)
    assert everything["p99"] == pytest.approx(100 + 0.94 * 900)
    other = out.filter(pl.col("app") == "bbbb0000").row(0, named=True)
    assert (other["p50"], other["p95"]) == (pytest.approx(10.0), pytest.approx(14.5))
    assert "p99_9" in A.latency_percentiles(ledger, quantiles=(0.999,)).columns


def test_peak_rps_headroom(ledger: pl.DataFrame) -> None:
    out = A.peak_rps_headroom(ledger, limit=60)
    assert out.select("app", "tenant", "peak_rps", "peak_at", "headroom", "utilisation").rows() == [
        ("Alpha", "1", 3, ts(1, 10), 57.0, 0.05),  # three calls in 10:00:00; the token request is not counted
        ("Alpha", "2", 1, ts(1, 11, 30), 59.0, 1 / 60),
        ("bbbb0000", "1", 1, ts(1, 12), 59.0, 1 / 60),  # ties: the earliest second
    ]


def test_ledger_only_metrics_refuse_portal_data() -> None:
    portal = pl.DataFrame(
        {
            "app_id": ["p1"],
            "app_name": ["P"],
            "tenant_id": ["1"],
            "tenant_name": ["T"],
            "api": ["CRM"],
            "module": ["crm"],
            "method": ["GET"],
            "endpoint": ["/tenant/{tenant}/customers"],
            "start": [ts(1, 7)],
            "end": [ts(2, 7)],
            "calls": [5],
            "file": ["f.csv"],
        },
        schema=PORTAL_SCHEMA,
    )
    for fn in (A.rates, A.latency_percentiles, A.peak_rps_headroom):
        with pytest.raises(ValueError, match="needs ledger data"):
            fn(portal)
    with pytest.raises(ValueError, match="expected a usage ledger frame"):
        A.calls_over_time(pl.DataFrame({"x": [1]}))


def _portal_rows(*rows: tuple[str, str | None, int, int]) -> pl.DataFrame:
    """(app id, tenant or None for an empty file, June day, calls) -> a portal frame of daily files."""
    data = {
        "app_id": [r[0] for r in rows],
        "app_name": [r[0].upper() for r in rows],
        "tenant_id": [r[1] for r in rows],
        "tenant_name": [None if r[1] is None else f"T{r[1]}" for r in rows],
        "api": [None if r[1] is None else "CRM" for r in rows],
        "module": [None if r[1] is None else "crm" for r in rows],
        "method": [None if r[1] is None else "GET" for r in rows],
        "endpoint": [None if r[1] is None else "/tenant/{tenant}/customers" for r in rows],
        "start": [datetime(2026, 6, r[2], 7, tzinfo=UTC) for r in rows],
        "end": [datetime(2026, 6, r[2] + 1, 7, tzinfo=UTC) for r in rows],
        "calls": [r[3] for r in rows],
        "file": [f"{r[0]}-{r[2]}.csv" for r in rows],
    }
    return pl.DataFrame(data, schema=PORTAL_SCHEMA)


def test_portal_zero_fill_only_where_a_report_covers() -> None:
    # App a: files for June 1, 2 (empty: a covered zero), 3 and 5; June 4 was never downloaded.
    frame = _portal_rows(
        ("a", "1", 1, 10),
        ("a", "2", 1, 5),
        ("a", None, 2, 0),
        ("a", "1", 3, 7),
        ("a", "1", 5, 4),
        ("b", "1", 4, 9),
    )
    per_app = A.daily_calls(frame)
    assert per_app["covered"].to_list() == [1.0] * 5  # portal days are whole days
    assert per_app.drop("covered").rows() == [
        (date(2026, 6, 1), "A", 15),
        (date(2026, 6, 2), "A", 0),
        (date(2026, 6, 3), "A", 7),
        (date(2026, 6, 5), "A", 4),
        (date(2026, 6, 4), "B", 9),
    ]
    per_tenant = A.daily_calls(frame, by=["app", "tenant"]).filter(pl.col("app") == "A").drop("covered")
    assert per_tenant.rows() == [
        (date(2026, 6, 1), "A", "1", 10),
        (date(2026, 6, 2), "A", "1", 0),
        (date(2026, 6, 3), "A", "1", 7),
        (date(2026, 6, 5), "A", "1", 4),
        (date(2026, 6, 1), "A", "2", 5),
        (date(2026, 6, 2), "A", "2", 0),  # tenant 2 vanished: zeros on the covered days
        (date(2026, 6, 3), "A", "2", 0),
        (date(2026, 6, 5), "A", "2", 0),
    ]


def _daily(values: dict[str, list[int]], start: date = date(2026, 6, 1)) -> pl.DataFrame:
    rows = [(start + timedelta(days=i), app, v) for app, vs in values.items() for i, v in enumerate(vs)]
    return pl.DataFrame(rows, schema={"day": pl.Date, "app": pl.String, "calls": pl.Int64}, orient="row")


def test_week_over_week_and_top_movers() -> None:
    daily = _daily({"X": [10] * 7 + [15] * 7, "Y": [0] * 7 + [1] * 7, "Z": [5] * 14})
    wow = A.week_over_week(daily)
    assert wow.rows() == [("X", 105, 70, 35, 50.0), ("Y", 7, 0, 7, None), ("Z", 35, 35, 0, 0.0)]
    earlier = A.week_over_week(daily, as_of=date(2026, 6, 10))  # June 4-10 against May 28-June 3
    assert earlier.filter(pl.col("app") == "X").row(0) == (
        "X",
        10 * 4 + 15 * 3,
        30,
        55,
        pytest.approx(183.333, 1e-3),
    )
    movers = A.top_movers(daily, by="app", within=None, n=2)
    assert movers["app"].to_list() == ["X", "Y"]  # Z did not move


def test_anomaly_z_hand_computed() -> None:
    values = [100] * 28
    values[10], values[17], values[20] = 104, 96, 20
    scores = A.anomaly_scores(_daily({"X": values}))
    assert scores["expected"].to_list() == [100.0] * 28
    # Residuals r: 0 except +0.04, -0.04, -0.8; the MAD is 0, so the scale is 1.2533 x mean |r - median r|.
    scale = 1.2533 * (0.04 + 0.04 + 0.8) / 28
    assert scores["z"][20] == pytest.approx(-0.8 / scale)
    assert scores["z"][10] == pytest.approx(0.04 / scale)
    flagged = A.anomalies(_daily({"X": values}))
    assert flagged.select("app", "day", "calls", "kind").rows() == [("X", date(2026, 6, 21), 20, "drop")]
    assert flagged["deviation"][0] == pytest.approx(-80.0)
    assert flagged["deviation_pct"][0] == pytest.approx(-80.0)


def test_anomalies_ignore_weekly_seasonality_growth_and_level_shifts() -> None:
    pattern = (1.0, 1.03, 1.02, 1.0, 0.93, 0.45, 0.28)  # June 1, 2026 is a Monday
    base = [1000 * 1.005**i * pattern[i % 7] * (1 + 0.03 * math.sin(i * 1.7)) for i in range(84)]
    shifted = [v * (0.75 if i >= 50 else 1.0) for i, v in enumerate(base)]  # a big tenant churns on day 50
    shifted[30] *= 3.0  # one spike
    calls = [round(v) for v in shifted]
    flagged = A.anomalies(_daily({"X": calls}))
    assert flagged.select("day", "kind").rows() == [(date(2026, 7, 1), "spike")]
    scaled = A.anomaly_scores(_daily({"X": [v * 10 for v in calls]}))
    assert scaled["z"].to_list() == pytest.approx(A.anomaly_scores(_daily({"X": calls}))["z"].to_list())


def test_projection_of_a_straight_line_is_exact() -> None:
    out = A.projection(_daily({"X": [100 + 2 * t for t in range(28)]}), days=30)
    assert out.height == 30
    assert out["day"][0] == date(2026, 6, 29) and out["day"][29] == date(2026, 7, 28)
    assert out["forecast"][0] == pytest.approx(156.0) and out["forecast"][29] == pytest.approx(214.0)
    assert out["lower"].to_list() == pytest.approx(out["forecast"].to_list())
    assert out["upper"].to_list() == pytest.approx(out["forecast"].to_list())


def test_projection_band_widens_with_the_horizon() -> None:
    noisy = [1000 + 5 * t + (37 * t % 23 - 11) * 4 for t in range(70)]  # 10 weeks; the last 8 are fitted
    out = A.projection(_daily({"X": noisy}), days=30, weeks=8)
    width = (out["upper"] - out["lower"]).to_list()
    assert all(u >= f >= lo for lo, f, u in out.select("lower", "forecast", "upper").rows())
    n, t_mean = 56, 27.5
    sxx = n * (n * n - 1) / 12

    def widen(h: int) -> float:
        return math.sqrt(1 + 1 / n + (n - 1 + h - t_mean) ** 2 / sxx)

    # Days 1 and 29 ahead fall on the same weekday, so only the prediction-interval factor differs.
    assert width[28] / width[0] == pytest.approx(widen(29) / widen(1))
    assert width[28] > width[0] > 0


def test_projection_needs_two_weeks_and_valid_arguments() -> None:
    assert A.projection(_daily({"X": [5] * 13})).height == 0
    with pytest.raises(ValueError, match="projection needs"):
        A.projection(_daily({"X": [5] * 30}), coverage=1.5)


def test_lazy_input_gives_the_same_answers(ledger: pl.DataFrame) -> None:
    lazy = ledger.lazy()
    assert A.calls_over_time(lazy).equals(A.calls_over_time(ledger))
    assert A.rates(lazy).equals(A.rates(ledger))
    assert A.latency_percentiles(lazy).equals(A.latency_percentiles(ledger))
    assert A.peak_rps_headroom(lazy).equals(A.peak_rps_headroom(ledger))
    assert A.week_over_week(lazy).equals(A.week_over_week(ledger))
