"""Report metadata parsing: well-formed descriptions, dynamic value sets, and malformed metadata."""

from __future__ import annotations

from typing import Any

import pytest

from stnb.reports.model import (
    Choice,
    ReportMetadataError,
    ReportMetadataWarning,
    dynamic_set_ids,
    parse_categories,
    parse_description,
    parse_reports,
    parse_value_set,
)


def description(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": 175,
        "name": "Revenue",
        "description": "Revenue by business unit",
        "modifiedOn": "2026-01-01T00:00:00Z",
        "parameters": [
            {"name": "From", "label": "From", "dataType": "Date", "isArray": False, "isRequired": True},
            {"name": "To", "label": "To", "dataType": "Date", "isArray": False, "isRequired": True},
            {
                "name": "BusinessUnitIds",
                "label": "Business Units",
                "dataType": "Number",
                "isArray": True,
                "isRequired": False,
                "acceptValues": {
                    "fields": [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}],
                    "dynamicSetId": "business-units",
                },
            },
            {
                "name": "DateType",
                "label": "Date Type",
                "dataType": "Number",
                "isArray": False,
                "isRequired": False,
                "acceptValues": {
                    "fields": [{"name": "Name", "label": "Name"}, {"name": "Value", "label": "Value"}],
                    "values": [["Completed", 1], ["Invoiced", 2]],
                },
            },
        ],
        "fields": [
            {"name": "Name", "label": "Business Unit", "dataType": "String"},
            {"name": "TotalRevenue", "label": "Total Revenue", "dataType": "Number"},
        ],
    }
    body.update(overrides)
    return body


def test_description_parses_parameters_fields_and_choices() -> None:
    sets = {"business-units": (Choice(1, "HVAC"), Choice(2, "Plumbing"))}
    report = parse_description("business-unit-dashboard", 175, description(), sets)
    assert report.name == "Revenue"
    assert report.required == ("From", "To")
    units = report.parameter("BusinessUnitIds")
    assert units is not None
    assert units.type_text == "Number[]"
    assert units.dynamic_set_id == "business-units"
    assert units.choices == sets["business-units"]
    # The value column is found by name even when it is not the first column.
    date_type = report.parameter("DateType")
    assert date_type is not None and date_type.choices == (Choice(1, "Completed"), Choice(2, "Invoiced"))
    assert report.field_types() == {"Name": "String", "TotalRevenue": "Number"}
    assert report.unresolved_sets == ()


def test_unfetched_dynamic_set_is_reported_unresolved() -> None:
    report = parse_description("c", 175, description())
    units = report.parameter("BusinessUnitIds")
    assert units is not None and units.choices is None
    assert report.unresolved_sets == ("business-units",)


def test_dynamic_set_ids_are_collected_once() -> None:
    body = description()
    body["parameters"].append({**body["parameters"][2], "name": "Other"})
    assert dynamic_set_ids(body) == ["business-units"]
    assert dynamic_set_ids({"parameters": "nope"}) == []


def test_value_set_without_field_names_uses_first_column_as_value() -> None:
    assert parse_value_set("s", None, [[7, "Seven"], ["x"]]) == (Choice(7, "Seven"), Choice("x", "x"))


def test_categories_and_reports() -> None:
    assert [c.id for c in parse_categories([{"id": "operations", "name": "Operations"}])] == ["operations"]
    reports = parse_reports("operations", [{"id": "162", "name": "Jobs", "description": None}])
    assert reports[0].id == 162 and reports[0].category == "operations"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "expected a JSON object, got list"),
        (description(parameters={"From": "Date"}), "'parameters' must be a list"),
        (description(fields="Name"), "'fields' must be a list"),
        (description(parameters=[{"label": "From", "dataType": "Date"}]), r"parameters\[0\]: 'name' must be"),
        (description(parameters=[{"name": "From", "dataType": "Date", "isRequired": "yes"}]), "'isRequired'"),
        (
            description(parameters=[{"name": "A", "dataType": "Date"}, {"name": "A", "dataType": "Date"}]),
            "twice",
        ),
        (description(fields=[{"name": "", "dataType": "Number"}]), r"fields\[0\]: 'name'"),
        (description(fields=[None]), r"fields\[0\]: expected a JSON object"),
        (description(id=True), "'id' must be an integer id"),
        (
            description(parameters=[{"name": "X", "dataType": "Number", "acceptValues": {"values": "1,2"}}]),
            "acceptValues.values must be a list",
        ),
        (
            description(parameters=[{"name": "X", "dataType": "Number", "acceptValues": {"values": [[]]}}]),
            "row 0 is empty",
        ),
    ],
)
def test_malformed_metadata_names_the_report_and_place(body: Any, message: str) -> None:
    with pytest.raises(ReportMetadataError, match=message) as info:
        parse_description("operations", 162, body)
    assert "report 162 of category 'operations'" in str(info.value)


def test_unknown_data_type_is_read_as_string_with_a_warning() -> None:
    body = description(fields=[{"name": "Revenue", "label": "Revenue", "dataType": "Currency"}])
    with pytest.warns(ReportMetadataWarning, match="unknown dataType 'Currency'"):
        report = parse_description("c", 175, body)
    assert report.fields[0].data_type == "String"


def test_data_type_case_is_normalised() -> None:
    body = description(fields=[{"name": "N", "label": "N", "dataType": "number"}])
    assert parse_description("c", 1, body).fields[0].data_type == "Number"


def test_malformed_category_and_report_lists() -> None:
    with pytest.raises(ReportMetadataError, match="report category #1"):
        parse_categories([{"id": "a", "name": "A"}, {"name": "no id"}])
    with pytest.raises(ReportMetadataError, match="must be an integer id"):
        parse_reports("operations", [{"id": "abc", "name": "x"}])
