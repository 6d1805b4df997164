"""Rows as positional arrays -> typed frames; bad cells become null and are counted, never fatal."""

from __future__ import annotations

from datetime import date, datetime, time

import polars as pl
import pytest

from stnb.reports.casting import ReportCastWarning, cast_frame, column_names, string_frame, warn_bad_cells
from stnb.reports.model import ReportMetadataError

TYPES = {"Name": "String", "Jobs": "Number", "Revenue": "Number", "Member": "Boolean", "Day": "Date"}


def test_cells_are_loaded_as_text_and_cast_per_declared_type() -> None:
    rows = [
        ["HVAC", 12, 1500.25, True, "2026-01-02"],
        ["Plumbing", "7", "980", "false", "2026-01-03T00:00:00"],
        [None, None, None, None, None],
    ]
    frame, bad = cast_frame(string_frame(list(TYPES), rows, where="r"), TYPES)
    assert bad == {}
    assert frame.schema == pl.Schema(
        {"Name": pl.String, "Jobs": pl.Int64, "Revenue": pl.Float64, "Member": pl.Boolean, "Day": pl.Date}
    )
    assert frame.row(0) == ("HVAC", 12, 1500.25, True, date(2026, 1, 2))
    assert frame.row(1) == ("Plumbing", 7, 980.0, False, date(2026, 1, 3))
    assert frame.row(2) == (None, None, None, None, None)


def test_a_cell_that_does_not_parse_becomes_null_and_is_counted() -> None:
    rows = [
        ["HVAC", "twelve", "1,500.25", "yes", "2026-02-30"],
        ["Plumbing", "3", "10.5", "perhaps", "2026-01-03"],
        ["Electrical", "", "  ", "", ""],  # empty text is null, not a bad cell
    ]
    frame, bad = cast_frame(string_frame(list(TYPES), rows, where="r"), TYPES)
    assert bad == {"Jobs": 1, "Revenue": 1, "Member": 1, "Day": 1}
    assert frame.get_column("Jobs").to_list() == [None, 3, None]
    assert frame.get_column("Revenue").to_list() == [None, 10.5, None]
    assert frame.get_column("Member").to_list() == [True, None, None]
    assert frame.get_column("Day").to_list() == [None, date(2026, 1, 3), None]


def test_warning_names_count_and_columns_once() -> None:
    with pytest.warns(ReportCastWarning) as record:
        warn_bad_cells({"Jobs": 2, "Day": 1}, "report 175 (Revenue)")
    assert len(record) == 1
    assert str(record[0].message) == (
        "report 175 (Revenue): 3 cells did not parse as the declared type and became null: Jobs (2), Day (1)"
    )


def test_no_warning_without_bad_cells(recwarn: pytest.WarningsRecorder) -> None:
    warn_bad_cells({}, "report")
    assert len(recwarn) == 0


def test_dates_with_times_keep_the_time_in_tenant_local_wall_time() -> None:
    rows = [["2026-03-08T10:15:00"], ["2026-03-08T15:30:00Z"], ["2026-03-08"]]
    frame, bad = cast_frame(string_frame(["At"], rows, where="r"), {"At": "Date"}, tz="America/New_York")
    assert bad == {}
    assert frame.schema["At"] == pl.Datetime("us")
    assert frame.get_column("At").to_list() == [
        datetime(2026, 3, 8, 10, 15),
        datetime(2026, 3, 8, 11, 30),  # 15:30Z is 11:30 EDT, the day clocks sprang forward
        datetime(2026, 3, 8),
    ]


def test_times_and_unknown_columns() -> None:
    frame, bad = cast_frame(
        string_frame(["T", "Extra"], [["08:30", 1], ["17:45:10", {"a": 1}], ["7pm", None]], where="r"),
        {"T": "Time"},
    )
    assert frame.get_column("T").to_list() == [time(8, 30), time(17, 45, 10), None]
    assert bad == {"T": 1}
    assert frame.get_column("Extra").to_list() == ["1", '{"a":1}', None]  # unknown type stays String


def test_number_column_with_any_fraction_is_float() -> None:
    frame, _ = cast_frame(string_frame(["N"], [[1], [2.5], [None]], where="r"), {"N": "Number"})
    assert frame.schema["N"] == pl.Float64


@pytest.mark.parametrize("row", [["only one"], ["a", "b", "c"], "not a list"])
def test_rows_misaligned_with_fields_are_an_error(row: object) -> None:
    with pytest.raises(
        ReportMetadataError, match=r"report 9, page 2: row 1 has .* but the report has 2 fields"
    ):
        string_frame(["A", "B"], [["x", "y"], row], where="report 9, page 2")


def test_repeated_field_names_get_suffixes() -> None:
    assert column_names(["Name", "Total", "Name", "Name"]) == ["Name", "Total", "Name_2", "Name_3"]


def test_empty_report_keeps_its_columns() -> None:
    frame, bad = cast_frame(string_frame(["A", "N"], [], where="r"), {"N": "Number"})
    assert frame.columns == ["A", "N"] and frame.height == 0 and bad == {}
