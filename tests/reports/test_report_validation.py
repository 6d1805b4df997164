"""Parameter validation before sending: unknown, missing, wrong type, value not allowed."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

import pytest

from stnb.errors import ValidationError
from stnb.reports.model import Choice, ReportDescription, ReportParameter
from stnb.reports.validation import build_parameters, describe_choices

UNITS = (Choice(11, "HVAC"), Choice(12, "Plumbing"), Choice(13, "Electrical"))

REPORT = ReportDescription(
    category="business-unit-dashboard",
    id=175,
    name="Revenue",
    description=None,
    modified_on=None,
    parameters=(
        ReportParameter("From", "From", "Date", is_required=True),
        ReportParameter("To", "To", "Date", is_required=True),
        ReportParameter("BusinessUnitIds", "Business Units", "Number", is_array=True, choices=UNITS),
        ReportParameter("IncludeInactive", "Include inactive", "Boolean"),
        ReportParameter("StartTime", "Start time", "Time"),
        ReportParameter(
            "Status", "Status", "String", choices=(Choice("Open", "Open"), Choice("Paid", "Paid"))
        ),
        ReportParameter("Threshold", "Threshold", "Number"),
        ReportParameter("Memo", "Memo", "String"),
    ),
    fields=(),
)


def errors_of(**params: Any) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as info:
        build_parameters(REPORT, params)
    assert "invalid parameters for report 175 (Revenue)" in str(info.value)
    assert info.value.status is None  # raised before sending, not an HTTP 400
    return info.value.errors


def test_valid_parameters_become_the_request_body_in_declared_order() -> None:
    body = build_parameters(
        REPORT,
        {
            "Threshold": "12.50",
            "To": date(2026, 1, 31),
            "From": "2026-01-01",
            "BusinessUnitIds": [11, "Plumbing", "13"],
            "IncludeInactive": "true",
            "StartTime": "8:05",
            "Status": "paid",
            "Memo": None,
        },
    )
    assert body == [
        {"name": "From", "value": "2026-01-01"},
        {"name": "To", "value": "2026-01-31"},
        {"name": "BusinessUnitIds", "value": [11, 12, 13]},
        {"name": "IncludeInactive", "value": True},
        {"name": "StartTime", "value": "08:05:00"},
        {"name": "Status", "value": "Paid"},
        {"name": "Threshold", "value": 12.5},
    ]


def test_scalar_for_array_parameter_is_wrapped_and_names_match_case_insensitively() -> None:
    body = build_parameters(REPORT, {"from": "2026-01-01", "TO": "2026-01-02", "businessunitids": 12})
    assert body[2] == {"name": "BusinessUnitIds", "value": [12]}


def test_time_objects_and_whole_floats() -> None:
    body = build_parameters(
        REPORT, {"From": "2026-01-01", "To": "2026-01-01", "StartTime": time(7, 30, 5, 99), "Threshold": 3.0}
    )
    assert {"name": "StartTime", "value": "07:30:05"} in body
    assert {"name": "Threshold", "value": 3} in body


def test_unknown_parameter_suggests_the_closest_and_lists_all() -> None:
    errors = errors_of(Form="2026-01-01", To="2026-01-31")
    message = errors["Form"][0]
    assert "unknown parameter (did you mean 'From'?)" in message
    assert "From (Date, required)" in message and "BusinessUnitIds (Number[])" in message


def test_missing_required_parameters_are_all_named() -> None:
    errors = errors_of()
    assert errors == {
        "From": ["required (Date) but not given"],
        "To": ["required (Date) but not given"],
    }


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("From", "01/02/2026", "expects a Date as 'YYYY-MM-DD'"),
        ("From", "2026-02-30", "is not a calendar date"),
        ("From", datetime(2026, 1, 1, 12), "expects a tenant-local date"),
        ("Threshold", "lots", "expects a Number, got str 'lots'"),
        ("Threshold", True, "expects a Number"),
        ("Threshold", float("inf"), "finite"),
        ("IncludeInactive", "maybe", "expects a Boolean"),
        ("StartTime", "25:00", "expects a Time"),
        ("Memo", 42, "expects a String, got int"),
        ("Memo", ["a"], "expects one String, got a list"),
        ("BusinessUnitIds", [], "at least one value"),
    ],
)
def test_wrong_types_are_explained(name: str, value: Any, message: str) -> None:
    params = {"From": "2026-01-01", "To": "2026-01-31", name: value}
    errors = errors_of(**params)
    assert message in errors[name][0]


def test_value_not_allowed_lists_the_valid_choices() -> None:
    errors = errors_of(From="2026-01-01", To="2026-01-31", BusinessUnitIds=[11, 99, "Roofing"])
    assert errors["BusinessUnitIds"][0] == (
        "99 is not allowed; valid choices: 11 (HVAC), 12 (Plumbing), 13 (Electrical)"
    )
    errors = errors_of(From="2026-01-01", To="2026-01-31", Status="Void")
    assert errors["Status"][0] == "'Void' is not allowed; valid choices: Open, Paid"


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(From="soon", Statuss="Open", Threshold="x")
    assert set(errors) == {"From", "To", "Statuss", "Threshold"}


def test_long_choice_lists_are_shortened() -> None:
    choices = tuple(Choice(i, f"Unit {i}") for i in range(30))
    text = describe_choices(choices, limit=3)
    assert text == "0 (Unit 0), 1 (Unit 1), 2 (Unit 2), … and 27 more"


def test_a_date_range_that_starts_after_it_ends_names_both_parameters() -> None:
    errors = errors_of(From="2026-02-01", To=date(2026, 1, 31))
    assert errors == {
        "From": ["the date range starts after it ends: From=2026-02-01 is later than To=2026-01-31"]
    }


def test_a_one_day_range_is_valid() -> None:
    body = build_parameters(REPORT, {"From": "2026-01-31", "To": "2026-01-31"})
    assert body == [{"name": "From", "value": "2026-01-31"}, {"name": "To", "value": "2026-01-31"}]


@pytest.mark.parametrize(("start", "end"), [("DateFrom", "DateTo"), ("StartDate", "EndDate")])
def test_other_range_spellings_are_checked_too(start: str, end: str) -> None:
    report = ReportDescription(
        category="operations",
        id=1,
        name="Jobs",
        description=None,
        modified_on=None,
        parameters=(ReportParameter(start, start, "Date"), ReportParameter(end, end, "Date")),
        fields=(),
    )
    with pytest.raises(ValidationError) as info:
        build_parameters(report, {start: "2026-03-02", end: "2026-03-01"})
    assert f"{start}=2026-03-02 is later than {end}=2026-03-01" in str(info.value)
    assert build_parameters(report, {end: "2026-03-01"}) == [{"name": end, "value": "2026-03-01"}]
