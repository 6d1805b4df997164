"""FilterForm: inputs generated from catalog filters, the active tri-state, tenant-local date presets."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from stnb._clock import FakeClock
from stnb.catalog import load_catalog
from stnb.widgets.filter_form import CUSTOM, FilterForm, date_stems

CATALOG = load_catalog()
JOBS = CATALOG.resolve("jpm/jobs").list
INVOICES = CATALOG.resolve("accounting/invoices").list
# 2026-03-09 03:30 UTC is still Sunday 8 March in New York, the day clocks spring forward.
DST_CLOCK = datetime(2026, 3, 9, 3, 30, tzinfo=UTC)


def form_for(endpoint: object, tz: str = "America/New_York") -> FilterForm:
    assert endpoint is not None
    return FilterForm(endpoint, tz, clock=FakeClock(DST_CLOCK))  # type: ignore[arg-type]


def test_date_pairs_become_one_date_row_with_modified_first() -> None:
    assert JOBS is not None
    stems = date_stems(JOBS)
    assert stems[:2] == ["modified", "created"]
    assert {"completed", "appointmentStarts", "firstAppointmentStarts"} <= set(stems)
    form = form_for(JOBS)
    assert form.date_field.value == "modified"
    assert (form.date_preset.label, form.sort.label) == ("no date filter", "(server order)")
    assert form.inputs["jobStatus"].label == "(not set)"
    for paired in ("modifiedOnOrAfter", "modifiedBefore", "completedBefore", "createdOnOrAfter"):
        assert paired not in form.inputs
    assert {"jobStatus", "customerId", "ids", "priority", "technicianId"} <= set(form.inputs)
    assert "active" not in form.inputs and "sort" not in form.inputs


def test_irregular_invoice_date_filters_are_paired() -> None:
    assert INVOICES is not None
    assert "invoiced" in date_stems(INVOICES)
    form = form_for(INVOICES)
    assert "invoicedOnBefore" not in form.inputs
    assert form.unsupported == ["customField.Fields"]


def test_active_is_visible_where_it_filters_and_defaults_to_any() -> None:
    form = form_for(CATALOG.resolve("crm/customers").list)
    assert form.active.options == ("True", "Any", "False")
    assert not form.active.disabled
    assert form.values() == {"active": "Any"}
    form.active.value = "False"
    assert form.values()["active"] == "False"


def test_a_resource_without_active_shows_it_disabled_and_sends_nothing() -> None:
    assert JOBS is not None and not JOBS.supports_active
    form = form_for(JOBS)
    assert form.active.disabled and form.active.layout.display == "none"
    assert "no active filter" in form.active_note.value
    assert "active" not in form.values()


def test_presets_are_tenant_local_days_in_utc_across_dst() -> None:
    form = form_for(JOBS)
    form.date_preset.value = "today"
    assert form.values() == {
        "modifiedOnOrAfter": "2026-03-08T05:00:00Z",  # midnight EST
        "modifiedBefore": "2026-03-09T04:00:00Z",  # next midnight is EDT: a 23-hour day
    }
    assert form.describe() == "modified: today (America/New_York)"
    form.date_field.value = "completed"
    form.date_preset.value = "yesterday"
    assert form.date_filters() == {
        "completedOnOrAfter": "2026-03-07T05:00:00Z",
        "completedBefore": "2026-03-08T05:00:00Z",
    }


def test_custom_dates_are_inclusive_local_days_and_checked() -> None:
    form = form_for(JOBS, "America/Los_Angeles")
    assert form.date_from.layout.display == "none"
    form.date_preset.value = CUSTOM
    assert form.date_from.layout.display == "flex"
    form.date_from.value = date(2026, 1, 1)
    form.date_to.value = date(2026, 1, 31)
    assert form.date_filters() == {
        "modifiedOnOrAfter": "2026-01-01T08:00:00Z",
        "modifiedBefore": "2026-02-01T08:00:00Z",
    }
    form.date_to.value = None
    assert form.date_filters() == {"modifiedOnOrAfter": "2026-01-01T08:00:00Z"}
    form.date_to.value = date(2025, 12, 31)
    with pytest.raises(ValueError, match=r"ends .* before it starts"):
        form.date_filters()


def test_inputs_pass_text_through_trimmed_and_skip_blanks() -> None:
    form = form_for(JOBS)
    form.inputs["jobStatus"].value = "Completed"  # an enum: a dropdown
    form.inputs["number"].value = "  J-100 "
    form.inputs["customerId"].value = "   "
    form.inputs["priority"].value = "High"
    form.sort.value = "-ModifiedOn"
    assert form.values() == {
        "jobStatus": "Completed",
        "number": "J-100",
        "priority": "High",
        "sort": "-ModifiedOn",
    }
    assert form.inputs["ids"].placeholder.endswith("several separated by commas")
