"""The client over resources the 2026-05 documents added: frames typed from the new field lists, filter
validation and suggestions from the new parameters, lists in `{data}`, records in `{data}`, sub-lists
under two parents."""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
import pytest

import stnb
from stnb.errors import ValidationError
from stnb.sandbox import Sandbox

from .paths import CATALOG

pytestmark = pytest.mark.filterwarnings("ignore::stnb._paging.TruncationWarning")  # max_pages=1 is meant


@pytest.fixture(scope="module")
def st(sandbox: Sandbox) -> Iterator[stnb.Connection]:
    with stnb.connect(sandbox=sandbox, progress=False) as conn:
        yield conn


@pytest.mark.parametrize(
    "key",
    [
        "accounting/ap-bills",
        "timesheets/activities",
        "marketingreputation/reviews",
        "payroll/payroll-settings",
    ],
)
def test_frames_of_new_resources_follow_their_documented_fields(st: stnb.Connection, key: str) -> None:
    frame = st.frame(key, max_pages=1)
    assert frame.height > 0
    assert set(frame.columns) == set(CATALOG.resolve(key).fields_for("list"))


def test_integer_enum_fields_are_integers_within_their_values(st: stnb.Connection) -> None:
    reviews = st.frame("marketingreputation/reviews", max_pages=2)
    allowed = CATALOG.resolve("marketingreputation/reviews").int_enums
    for name, values in allowed.items():
        assert reviews.schema[name].is_integer()
        assert set(reviews[name].drop_nulls().to_list()) <= set(values), name


def test_filters_of_new_resources_are_validated_with_suggestions(st: stnb.Connection) -> None:
    with pytest.raises(ValidationError) as info:
        st.frame("marketingreputation/reviews", fromRatng=4)
    assert "fromRating" in str(info.value)
    frame = st.frame("marketingreputation/reviews", fromRating=4, max_pages=1)
    assert frame.height > 0


def test_a_list_wrapped_in_data_reads_whole(st: stnb.Connection) -> None:
    warnings = st.frame("marketingads/capacity-warnings")
    types = st.frame("sales/proposal-types")
    assert warnings.height > 0 and types.height > 0
    assert st.last_query is not None and st.last_query.pages == 1


def test_a_record_wrapped_in_data_is_unwrapped(st: stnb.Connection, sandbox: Sandbox) -> None:
    markup = sandbox.world("integration").table("pricebook/materialsmarkup", "get")
    record = st.get("pricebook/materialsmarkup", int(markup["id"][0]))
    assert record["id"] == markup["id"][0]
    assert set(record) == set(CATALOG.resolve("pricebook/materialsmarkup").fields_for("get"))


def test_a_sub_list_under_two_parents_needs_both_ids(st: stnb.Connection, sandbox: Sandbox) -> None:
    key = "crm/contacts/{id}/contact-methods/{id}/preferences"
    with pytest.raises(ValidationError, match="contactId"):
        st.frame(key, contactMethodId="x")
    preferences = sandbox.world("integration").table(key)
    method = preferences.filter(pl.col("_parent").is_not_null())["_parent"][0]
    frame = st.frame(key, contactId="c1", contactMethodId=method)
    assert frame.height == preferences.filter(pl.col("_parent") == method).height > 0
