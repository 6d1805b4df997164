"""The order people read a record's fields in: identity first, then status, links, dates, the rest.

`field_order(["address", "createdOn", "id", "jobNumber", "jobStatus", "customerId"])` gives
`["id", "jobNumber", "jobStatus", "customerId", "createdOn", "address"]`: the catalog lists fields
alphabetically (as the OpenAPI documents do), which puts `appointmentCount` before `id`.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["field_order", "field_rank"]

_NAMES = ("number", "name", "displayName", "title", "code")
_STATUS = ("status", "active", "type")
_DATES = ("On", "Date", "At", "Time")


def field_rank(name: str) -> int:
    """0 id, 1 number or name, 2 status, 3 foreign keys (…Id), 4 dates (…On, …Date), 5 everything else."""
    if name == "id":
        return 0
    if name in _NAMES or name.endswith(("Number", "Name")):
        return 1
    if name in _STATUS or name.endswith("Status"):
        return 2
    if name.endswith("Id") and len(name) > 2:
        return 3
    if name in ("date", "start", "end") or name.endswith(_DATES):
        return 4
    return 5


def field_order(names: Iterable[str]) -> list[str]:
    """`names` with identity fields first (see `field_rank`): the plain `number`, `name`, ... before other
    numbers (`jobNumber` before `corporateContractNumber` only by their given order); other ties keep
    their given order."""
    listed = list(names)

    def key(name: str) -> tuple[int, int]:
        rank = field_rank(name)
        return (rank, _NAMES.index(name) if name in _NAMES else len(_NAMES))

    return sorted(listed, key=key)
