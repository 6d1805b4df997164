"""The formatter per unit, headers in words, readable frames, publication and browsing tables."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from stnb.catalog.order import field_order
from stnb.tables import (
    browse_frame,
    browse_html,
    browse_note,
    format_value,
    publication_html,
    readable,
    unit_for,
    words,
)


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (1234567, "count", "1,234,567"),
        (1234567.6, "count", "1,234,568"),
        (0, "count", "0"),
        (1234.5, "number", "1,234.5"),
        (-85.619835, "number", "-85.62"),
        (-5.82e-11, "number", "0"),
        (-85.619835, "pct", "-85.6%"),
        (6.54, "pct", "+6.5%"),
        (-0.04, "pct", "0%"),
        (0.0312, "share", "3.1%"),
        (0.0025, "share", "0.25%"),
        (0.00001, "share", "<0.01%"),
        (0.0, "share", "0%"),
        (1.0, "share", "100.0%"),
        (469432.19999999995, "money", "$469,432.20"),
        (-5.82e-11, "money", "$0.00"),
        (-12.5, "money", "-$12.50"),
        (Decimal("19.999"), "money", "$20.00"),
        (-54.09999999999991, "ms", "-54 ms"),
        (1234.4, "ms", "1,234 ms"),
        (5.44, "ms", "5.4 ms"),
        (-17.238363, "score", "-17.2"),
        (date(2026, 6, 1), "date", "2026-06-01"),
        (datetime(2026, 6, 1, tzinfo=UTC), "date", "2026-06-01"),
        (datetime(2026, 6, 1, 14, 5, 9, tzinfo=UTC), "datetime", "2026-06-01 14:05 UTC"),
        (
            datetime(2026, 6, 1, 14, 5, tzinfo=timezone(timedelta(hours=-7))),
            "datetime",
            "2026-06-01 14:05 -0700",
        ),
        (431848990, "id", "431848990"),
        ("Norwalk", "text", "Norwalk"),
        (True, "text", "yes"),
        (None, "money", "–"),
        (float("nan"), "number", "–"),
        (["a", "b"], "text", "a, b"),
        ([1, 2, 3, 4], "text", "4 items"),
        (
            {"street": "12 Main St", "city": "Norwalk", "state": "CT", "zip": "06850", "country": "USA"},
            "text",
            "12 Main St, Norwalk, CT 06850",
        ),
        ({"id": 7, "name": "Plumbing"}, "text", "Plumbing"),
    ],
)
def test_format_value_per_unit(value: object, unit: str, expected: str) -> None:
    assert format_value(value, unit) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "dtype", "unit"),
    [
        ("calls", pl.Int64(), "count"),
        ("deviation_pct", pl.Float64(), "pct"),
        ("wow_pct", pl.Float64(), "pct"),
        ("error_rate", pl.Float64(), "share"),
        ("p95_ms", pl.Float64(), "ms"),
        ("p95", pl.Float64(), "ms"),
        ("latency_ms", pl.Float64(), "ms"),
        ("TotalRevenue", pl.Float64(), "money"),
        ("total", pl.Decimal(12, 2), "money"),
        ("z", pl.Float64(), "score"),
        ("customerId", pl.Int64(), "id"),
        ("id", pl.Int64(), "id"),
        ("day", pl.Date(), "date"),
        ("createdOn", pl.Datetime("us", "UTC"), "datetime"),
        ("name", pl.String(), "text"),
        ("expected", pl.Float64(), "number"),
    ],
)
def test_unit_for_reads_names_and_dtypes(name: str, dtype: pl.DataType, unit: str) -> None:
    assert unit_for(name, dtype) == unit


def test_headers_in_words() -> None:
    assert words("deviation_pct") == "Deviation"
    assert words("jobNumber") == "Job number"
    assert words("customerId") == "Customer ID"
    assert words("wow_pct") == "Week over week"
    assert words("last_7_days") == "Last 7 days"
    assert words("p95_ms") == "p95 latency"
    assert words("calls", {"calls": "API calls"}) == "API calls"


def test_field_order_puts_identity_first() -> None:
    names = [
        "address",
        "appointmentCount",
        "createdOn",
        "customerId",
        "id",
        "jobNumber",
        "jobStatus",
        "notes",
    ]
    assert field_order(names) == [
        "id",
        "jobNumber",
        "jobStatus",
        "customerId",
        "createdOn",
        "address",
        "appointmentCount",
        "notes",
    ]


def test_readable_summarises_structs_and_lists() -> None:
    frame = pl.DataFrame(
        {
            "address": [
                {"street": "1 Elm St", "city": "Norwalk", "state": "CT", "zip": "06850", "country": "USA"}
            ],
            "name": ["Ann"],
            "id": [3],
            "tags": [["vip", "hvac"]],
        }
    )
    shown = readable(frame)
    assert shown.columns == ["id", "name", "address", "tags"]
    assert shown.row(0) == (3, "Ann", "1 Elm St, Norwalk, CT 06850", "vip, hvac")
    assert frame.schema["address"] != pl.String()  # the caller's frame is unchanged


@pytest.fixture
def summary() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "app": ["Acme Dispatch Board", "Beta"],
            "calls": [469432, 7],
            "wow_pct": [-6.54321, None],
            "error_rate": [0.0312, 0.0],
            "p95_ms": [-54.09999999999991, 3.2],
            "revenue": [469432.19999999995, -5.82e-11],
        }
    )


def test_publication_html_formats_every_cell(summary: pl.DataFrame) -> None:
    page = publication_html(
        summary, title="Summary per app", subtitle="portal · production", notes=["a note"]
    )
    cells = re.findall(r"<td headers=[^>]*class=\"gt_row[^>]*>(.*?)</td>", page, flags=re.S)
    texts = [c.strip() for c in cells]
    assert texts[:6] == ["Acme Dispatch Board", "469,432", "-6.5%", "3.1%", "-54 ms", "$469,432.20"]
    assert texts[6:] == ["Beta", "7", "–", "0%", "3.2 ms", "$0.00"]
    for header in ("App", "Calls", "Week over week", "Error rate", "p95 latency", "Revenue"):
        assert f">{header}<" in page
    assert "Summary per app" in page and "portal · production" in page and "a note" in page
    assert "shape:" not in page and "f64" not in page and '"Acme' not in page
    assert not re.search(r"(?:src|href)=\"https?://|@import|url\(https?:", page)  # nothing fetched


def test_browse_frame_sorts_as_numbers_and_keeps_units(summary: pl.DataFrame) -> None:
    shown = browse_frame(summary, reorder=False)
    assert shown.columns == ["App", "Calls", "Week over week", "Error rate", "p95 latency (ms)", "Revenue"]
    assert shown.row(0) == ("Acme Dispatch Board", "469,432", "-6.5%", "3.1%", "-54", "$469,432.20")
    assert shown.row(1)[2] == ""  # blank, so DataTables still reads the column as numbers


def test_browse_html_says_how_many_rows_it_holds() -> None:
    frame = pl.DataFrame({"id": range(25), "name": [f"n{i}" for i in range(25)]})
    page = browse_html(frame, caption="jobs", max_rows=10)
    assert "Showing the first 10 of 25 rows" in page and "save the frame to parquet" in page.lower()
    assert "downsampled" not in page and "maxBytes" not in page
    assert browse_note(12, 12) == "12 rows"
    assert "n9" in page and "n10" not in page


def test_publication_cells_and_titles_are_escaped() -> None:
    page = publication_html(
        pl.DataFrame({"<b>": ["<script>x</script>"]}), title="<i>t</i>", notes=["<u>n</u>"]
    )
    assert "<script>x" not in page and "&lt;script&gt;x" in page
    assert "<i>t</i>" not in page and "<u>n</u>" not in page and "<b>" not in page


def test_no_page_or_widget_writes_its_own_html_table() -> None:
    """One table presentation for the package: every table on a page, in the dashboard or in a widget comes
    from stnb.tables (great_tables for publication, itables for browsing), never from hand-written HTML."""
    import stnb

    package = Path(stnb.__file__).parent
    hand_written = [
        f"{path.relative_to(package)}:{number}"
        for path in sorted(package.rglob("*.py"))
        if path.parent.name != "tables"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "<table" in line or "<td" in line or "<th>" in line
    ]
    assert hand_written == []
