"""Where the live ServiceTitan API does not do what its documents say: one table, with sources.

These are facts about ServiceTitan learned from the live API by other clients (mostly
MeltanoLabs/tap-service-titan, see `source`), not designs. The sandbox reproduces each of them by default
and serves exactly what the documents say with `Sandbox(quirks="none")` (`stnb.sandbox.quirks`); the
client and the frames survive every one of them (first page 0, capacity window, 409 still running, values
of another type than documented). `where` holds the URL templates the entry applies to, as the catalog
spells them; `fields` the record fields it changes (dotted for nested objects), for entries a response
validation can see (`schema=True`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

__all__ = [
    "CAPACITY_MAX_DAYS",
    "QUIRKS",
    "Quirk",
    "first_page",
    "quirk",
]

CAPACITY_MAX_DAYS = 14


@dataclass(frozen=True, slots=True)
class Quirk:
    """One known deviation of the live API from its documents."""

    id: str
    where: tuple[str, ...]  # URL templates ("/pricebook/v2/tenant/{tenant}/categories")
    documents: str  # what the documents say
    live: str  # what the live API does
    source: str  # where this was learned
    fields: tuple[str, ...] = ()  # record fields whose values deviate (schema entries)
    schema: bool = False  # a validation of the response against the documents sees it
    switchable: bool = True  # False: the documents and the live API agree; reproduced in both modes


def _t(module: str, tail: str) -> str:
    return f"/{module}/v2/tenant/{{tenant}}/{tail}"


QUIRKS: tuple[Quirk, ...] = (
    Quirk(
        id="enum-as-integer",
        where=(
            _t("inventory", "purchase-order-types"),
            _t("inventory", "receipts"),
            _t("accounting", "inventory-bills"),
            _t("accounting", "export/inventory-bills"),
        ),
        fields=("landedCostMethod",),
        documents="`landedCostMethod` is a string enum (None, ByValue)",
        live="sends the enum's position as an integer (0 for None, 1 for ByValue)",
        source="MeltanoLabs/tap-service-titan#359 (openapi_specs/__init__.py)",
        schema=True,
    ),
    Quirk(
        id="ads-status-as-integer",
        where=(_t("marketingads", "performance"),),
        fields=("campaign.status", "adGroup.status", "keyword.status"),
        documents="`status` of campaign, ad group and keyword is a string enum (None, Live, Stopped)",
        live="sends the enum's position as an integer",
        source="archdotdev/tap-service-titan#163",
        schema=True,
    ),
    Quirk(
        id="date-with-time",
        where=(_t("accounting", "journal-entries"),),
        fields=("postDate",),
        documents="`postDate` has format `date` (2025-10-13)",
        live="sends a date-time without zone (2025-10-13T00:00:00)",
        source="MeltanoLabs/tap-service-titan openapi_specs/__init__.py",
        schema=True,
    ),
    Quirk(
        id="missing-modified-on",
        where=(_t("pricebook", "categories"), _t("pricebook", "export/categories")),
        fields=("modifiedOn",),
        documents="`modifiedOn` is required",
        live="some records come without `modifiedOn` (here: every fifth category by id)",
        source="MeltanoLabs/tap-service-titan openapi_specs/__init__.py",
        schema=True,
    ),
    Quirk(
        id="sort-by-modified-on",
        where=(_t("pricebook", "categories"),),
        documents="`sort` takes Id and Name (the resource has modifiedOn, which other lists sort by)",
        live="`sort=ModifiedOn` is refused (400)",
        source="MeltanoLabs/tap-service-titan#282",
        switchable=False,
    ),
    Quirk(
        id="unsorted-pages",
        where=(
            _t("pricebook", "services"),
            _t("pricebook", "materials"),
            _t("marketing", "campaigns"),
            _t("dispatch", "technician-shifts"),
        ),
        documents="no order stated; other lists come in id order",
        live="without `sort`, pages come in no stable key order (neither id nor modifiedOn); the order is "
        "consistent from page to page, so paging neither loses nor repeats records",
        source="MeltanoLabs/tap-service-titan#286-#289",
    ),
    Quirk(
        id="page-from-zero",
        where=(_t("settings", "business-units/intacct"),),
        documents="`page` is the page to return, starting from 1",
        live="pages start at 0: page=1 is the second page, a client starting at 1 misses the first one",
        source="MeltanoLabs/tap-service-titan#329",
    ),
    Quirk(
        id="capacity-window",
        where=(_t("dispatch", "capacity"),),
        documents="POST with startsOnOrAfter and endsOnOrBefore, no limit stated",
        live=f"a range of at most {CAPACITY_MAX_DAYS} days (longer: 400); a start before today answers only "
        "up to start + 14 days, so a client must clamp the start to today or it misses current and future "
        "slots",
        source="MeltanoLabs/tap-service-titan#137, #311",
    ),
    Quirk(
        id="ignored-flags",
        where=(_t("marketingreputation", "reviews"),),
        documents="`includeReviewsWithoutLocation`, `...WithoutCampaign`, `...WithoutTechnician` filter "
        "reviews that lack a location, campaign or technician",
        live="the flags have no effect on the response",
        source="MeltanoLabs/tap-service-titan#300",
    ),
    Quirk(
        id="active-by-default",
        where=(
            _t("accounting", "credit-memos"),
            _t("accounting", "credit-memos/{id}/items"),
            _t("accounting", "credit-memos/credit-memo-items"),
            _t("customer-interactions", "technician-ratings"),
            _t("forms", "forms"),
            _t("forms", "submissions"),
            _t("jpm", "job-cancel-reasons"),
            _t("jpm", "job-hold-reasons"),
            _t("payroll", "jobs/splits"),
            _t("payroll", "jobs/{job}/splits"),
            _t("pricebook", "clientspecificpricing"),
            _t("sales", "estimate-templates"),
            _t("sales", "proposal-templates"),
            _t("sales", "proposal-types"),
            _t("taskmanagement", "tasks"),
        ),
        documents="`active` is optional and the document says all items are returned by default, or says "
        "nothing (other lists document 'only active items will be returned by default')",
        live="without `active`, inactive records are hidden as everywhere else; send active=Any to see them",
        source="MeltanoLabs/tap-service-titan#262, #295, #356, #397, #399",
    ),
    Quirk(
        id="report-still-running",
        where=("/reporting/v2/tenant/{tenant}/report-category/{report_category}/reports/{reportId}/data",),
        documents="429 when the run limit is reached",
        live="also 409 while the same report is still running; retrying later returns the data",
        source="MeltanoLabs/tap-service-titan#332",
    ),
)


def quirk(quirk_id: str) -> Quirk:
    """The table's entry with this id (KeyError with the known ids otherwise)."""
    for entry in QUIRKS:
        if entry.id == quirk_id:
            return entry
    raise KeyError(f"no quirk {quirk_id!r}; known: {', '.join(q.id for q in QUIRKS)}")


@functools.cache
def _zero_based() -> frozenset[str]:
    return frozenset(quirk("page-from-zero").where)


def first_page(path: str) -> int:
    """The number of the first page of a list endpoint on the live API (0 where its paging starts at 0)."""
    return 0 if path in _zero_based() else 1
