"""What a report is: its parameters, its fields, its computation over a `ReportSource`, and the JSON
the Reporting API describes it with."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from stnb.sandbox.reports.source import ReportSource

__all__ = ["FROM", "TO", "UNITS", "Compute", "Field", "Param", "Report"]


@dataclass(frozen=True)
class Param:
    name: str
    label: str
    data_type: str
    required: bool = False
    is_array: bool = False
    dynamic_set: str | None = None
    values: tuple[tuple[Any, str], ...] | None = None

    def describe(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "dataType": self.data_type,
            "isArray": self.is_array,
            "isRequired": self.required,
        }
        if self.dynamic_set is not None or self.values is not None:
            accept: dict[str, Any] = {
                "fields": [{"name": "Value", "label": "Value"}, {"name": "Name", "label": "Name"}]
            }
            if self.dynamic_set is not None:
                accept["dynamicSetId"] = self.dynamic_set
            if self.values is not None:
                accept["values"] = [[value, label] for value, label in self.values]
            body["acceptValues"] = accept
        return body


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    data_type: str


Compute = Callable[[ReportSource, Mapping[str, Any]], pl.DataFrame]


@dataclass(frozen=True)
class Report:
    category: str
    id: int
    name: str
    description: str
    parameters: tuple[Param, ...]
    fields: tuple[Field, ...]
    compute: Compute
    modified_on: str = "2026-01-05T14:00:00Z"

    def summary(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "description": self.description}

    def describe(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "modifiedOn": self.modified_on,
            "parameters": [p.describe() for p in self.parameters],
            "fields": [{"name": f.name, "label": f.label, "dataType": f.data_type} for f in self.fields],
        }


FROM = Param("From", "From", "Date", required=True)
TO = Param("To", "To", "Date", required=True)
UNITS = Param("BusinessUnitIds", "Business Units", "Number", is_array=True, dynamic_set="business-units")
