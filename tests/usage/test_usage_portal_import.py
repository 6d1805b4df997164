"""import_portal_reports: good, malformed, empty and overlapping portal usage CSVs."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from stnb.usage.columns import PORTAL_SCHEMA
from stnb.usage.portal import (
    PortalOverlapWarning,
    PortalReportError,
    import_portal_reports,
    parse_report_file_name,
)

HEADER = "App ID,Tenant Name,Tenant ID,API Name,HTTP Method,Endpoint Name,Successful Calls"
APP = "abc123xyz789"


def write(folder: Path, name: str, *rows: str, header: str = HEADER, newline: str = "\n") -> Path:
    path = folder / name
    path.write_bytes(newline.join([header, *rows, ""]).encode())
    return path


def day_file(day: str, app_name: str = "Acme Dispatch Board") -> str:
    return f"{app_name}_{APP}_{day}0000_{day}2300.csv"


def row(
    tenant: str = "Comfort Pros",
    tid: str = "431848990",
    api: str = "Job Planning and Management",
    method: str = "GET",
    endpoint: str = "/tenant/{tenant}/jobs",
    calls: str = "10",
    app: str = APP,
) -> str:
    return ",".join((app, tenant, tid, api, method, endpoint, calls))


def test_reads_a_good_file_into_typed_rows(tmp_path: Path) -> None:
    write(
        tmp_path,
        day_file("20260601"),
        row(calls="120"),
        row(api="CRM", endpoint="/tenant/{tenant}/customers", calls="7"),
    )
    df = import_portal_reports(tmp_path)
    assert df.schema == pl.Schema(PORTAL_SCHEMA)
    assert df.height == 2
    jobs = df.filter(pl.col("module") == "jpm").row(0, named=True)
    assert jobs["app_id"] == APP and jobs["app_name"] == "Acme Dispatch Board"
    assert (jobs["tenant_id"], jobs["tenant_name"], jobs["calls"]) == ("431848990", "Comfort Pros", 120)
    assert jobs["method"] == "GET" and jobs["endpoint"] == "/tenant/{tenant}/jobs"
    # 2026-06-01 00:00 Pacific (PDT, UTC-7) to the next Pacific midnight.
    assert jobs["start"] == datetime(2026, 6, 1, 7, tzinfo=UTC)
    assert jobs["end"] == datetime(2026, 6, 2, 7, tzinfo=UTC)
    assert df.filter(pl.col("api") == "CRM")["module"].to_list() == ["crm"]


def test_range_follows_pacific_time_across_dst(tmp_path: Path) -> None:
    name = parse_report_file_name(f"A_{APP}_202611010000_202611012300.csv")  # 25-hour day: PDT -> PST
    assert name.start == datetime(2026, 11, 1, 7, tzinfo=UTC)
    assert name.end == datetime(2026, 11, 2, 8, tzinfo=UTC)
    monthly = parse_report_file_name(
        f"A_{APP}_202601010000_202601310000.csv"
    )  # daily bins: last bin = last day
    assert (monthly.start, monthly.end) == (
        datetime(2026, 1, 1, 8, tzinfo=UTC),
        datetime(2026, 2, 1, 8, tzinfo=UTC),
    )
    minute_bins = parse_report_file_name(f"A_{APP}_202601010000_202601012359.csv")
    assert minute_bins.end == datetime(2026, 1, 2, 8, tzinfo=UTC)


def test_file_names_with_underscores_spaces_and_punctuation() -> None:
    parsed = parse_report_file_name(f"My_App v2, Inc._{APP}_202606010000_202606012300.csv")
    assert (parsed.app_name, parsed.public_id) == ("My_App v2, Inc.", APP)
    for bad in (
        "usage.csv",
        f"Acme_{APP}_20260601_20260601.csv",
        f"Acme_{APP}_202606010000_202605312300.csv",
        f"Acme_{APP}_202613010000_202613012300.csv",
    ):
        with pytest.raises(PortalReportError) as info:
            parse_report_file_name(bad)
        assert bad in str(info.value)


def test_bom_crlf_blank_lines_and_commas_in_tenant_names(tmp_path: Path) -> None:
    path = tmp_path / day_file("20260601")
    text = "\r\n".join(
        [HEADER, row(tenant="Smith, Jones & Sons", calls="5"), "", row(tid="99", calls="6"), ""]
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    df = import_portal_reports(path)
    assert df.sort("calls")["tenant_name"].to_list() == ["Smith, Jones & Sons", "Comfort Pros"]
    assert df["calls"].sum() == 11


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        (row(calls="ten"), "Successful Calls 'ten' is not a whole number"),
        (row(calls="-3"), "Successful Calls '-3'"),
        (row(tid="43a"), "Tenant ID '43a' is not a number"),
        (row(method="FETCH"), "HTTP Method 'FETCH'"),
        (row(endpoint="tenant/jobs"), "does not start with '/'"),
        (row(app="zzz999"), "App ID 'zzz999' does not match"),
        (row(api=""), "API Name is empty"),
        (f"{APP},Comfort,431848990,CRM,GET", "expected 7 columns, found 5"),
    ],
)
def test_malformed_row_names_file_and_line(tmp_path: Path, line: str, problem: str) -> None:
    path = write(tmp_path, day_file("20260601"), row(), row(tid="2"), line)
    with pytest.raises(PortalReportError) as info:
        import_portal_reports(path)
    assert info.value.line == 4
    assert info.value.file == str(path)
    assert problem in str(info.value)
    assert f"{path}, line 4" in str(info.value)


def test_duplicate_row_and_bad_header(tmp_path: Path) -> None:
    dup = write(tmp_path, day_file("20260601"), row(), row())
    with pytest.raises(PortalReportError, match=r"line 3: a second row .* line 2"):
        import_portal_reports(dup)
    bad = write(tmp_path, day_file("20260602"), row(), header="App,Tenant,Calls")
    with pytest.raises(PortalReportError, match=r"line 1: expected the header"):
        import_portal_reports(bad)
    latin = tmp_path / day_file("20260603")
    latin.write_bytes(HEADER.encode() + b"\n" + row(tenant="Caf\xe9").encode("latin-1") + b"\n")
    with pytest.raises(PortalReportError, match="not UTF-8"):
        import_portal_reports(latin)


def test_empty_files_are_a_covered_zero(tmp_path: Path) -> None:
    write(tmp_path, day_file("20260601"))  # header only
    (tmp_path / day_file("20260602")).write_bytes(b"")  # no bytes at all
    write(tmp_path, day_file("20260603"), row(calls="4"))
    df = import_portal_reports(tmp_path)
    assert df["calls"].sum() == 4
    empty = df.filter(pl.col("tenant_id").is_null())
    assert empty.height == 2 and empty["calls"].to_list() == [0, 0]
    assert sorted(df["start"].dt.date().to_list()) == [datetime(2026, 6, d).date() for d in (1, 2, 3)]


def test_identical_ranges_are_counted_once(tmp_path: Path) -> None:
    for sub in ("a", "b"):  # the same download saved twice
        (tmp_path / sub).mkdir()
        write(tmp_path / sub, day_file("20260601"), row(calls="10"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an exact repeat is not worth a warning
        df = import_portal_reports(tmp_path)
    assert df["calls"].sum() == 10


def test_same_range_different_counts_keeps_the_larger_and_warns(tmp_path: Path) -> None:
    first = write(tmp_path, day_file("20260601", "Acme"), row(calls="10"))
    second = write(tmp_path, day_file("20260601", "Acme Dispatch Board"), row(calls="12"))
    with pytest.warns(PortalOverlapWarning) as record:
        df = import_portal_reports([first, second])
    assert df["calls"].sum() == 12
    message = str(record[0].message)
    assert first.name in message and second.name in message


def test_partial_overlap_is_excluded_never_double_counted(tmp_path: Path) -> None:
    day1 = write(tmp_path, day_file("20260601"), row(calls="10"))
    day2 = write(tmp_path, day_file("20260602"), row(calls="20"))
    week = write(tmp_path, f"Acme Dispatch Board_{APP}_202606010000_202606072300.csv", row(calls="500"))
    with pytest.warns(PortalOverlapWarning, match=week.name):
        df = import_portal_reports(tmp_path)
    assert df["calls"].sum() == 30
    assert set(df["file"]) == {day1.name, day2.name}
    with pytest.raises(PortalReportError) as info:
        import_portal_reports(tmp_path, on_overlap="error")
    assert week.name in str(info.value) and day1.name in str(info.value)


def test_other_apps_never_overlap(tmp_path: Path) -> None:
    write(tmp_path, day_file("20260601"), row(calls="10"))
    write(tmp_path, "Fleet_other1234567_202606010000_202606012300.csv", row(calls="3", app="other1234567"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        df = import_portal_reports(tmp_path)
    assert df.group_by("app_id").agg(pl.col("calls").sum()).sort("app_id").rows() == [
        (APP, 10),
        ("other1234567", 3),
    ]


def test_missing_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(PortalReportError, match="no such file or folder"):
        import_portal_reports(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("not a report")
    with pytest.raises(PortalReportError, match=r"holds no \.csv"):
        import_portal_reports(tmp_path)
    with pytest.raises(ValueError, match="on_overlap"):
        import_portal_reports(tmp_path, on_overlap="ignore")  # type: ignore[arg-type]
