"""The differences planted between the sandbox's two environments; the world is generated from these.

Integration is a copy of production taken at the refresh date (anchor - REFRESH_DAYS). Before that date
both environments hold exactly the same records (same ids, same values). After it:

- production gained PRODUCTION_NEW_CUSTOMERS customers and PRODUCTION_NEW_JOBS jobs (its normal pace of
  business over REFRESH_DAYS days, with the organic seasonality; recent jobs mostly still open or
  scheduled, older ones completed or canceled), changed the name or address of
  PRODUCTION_MODIFIED_CUSTOMERS customers and deactivated PRODUCTION_DEACTIVATED_CUSTOMERS others (the
  two groups are disjoint; both get a modifiedOn after the refresh);
- integration gained INTEGRATION_TEST_CUSTOMERS customers and INTEGRATION_TEST_JOBS jobs created by
  testers, every tester customer named with TEST_NAME_PREFIX; their ids come from a block that never
  collides with production's new ids (production continues the id sequence, testers use
  TESTER_ID_OFFSET above each entity's id base). Integration has no other activity after the refresh,
  so its volumes drop there while production's go on;
- production carries fields and enum values the copy lacks (PRODUCTION_ONLY_FIELDS,
  PRODUCTION_ONLY_ENUM_VALUES): the Emergency priority is on the PRODUCTION_EMERGENCY_JOBS newest of the
  new jobs and the Multifamily type on the PRODUCTION_MULTIFAMILY_CUSTOMERS newest of the new customers
  (production introduced them lately, so a page of the most recently modified records shows them).

Records that come with the planted ones (DERIVED_PER_NEW_CUSTOMER / DERIVED_PER_NEW_JOB): every new
customer has one location, every new job one appointment and one invoice (of 0.00 until the job is
completed), in the same environment; the feeds derived from jobs (job history, job-canceled logs) carry
the new jobs' entries too.
Nothing else differs (PLANTED_RESOURCES lists the resources that do): every other resource, including
the references its records make to customers, jobs and the like, is generated from the organic history
alone and is byte-identical in both environments.

Counts are for the default tenant at scale 1. For scale `s` and a tenant of relative size `f` (see
`stnb.sandbox.identity.TENANT_PROFILES`) each count is `planted_count(count, s, f)` =
`max(1, round(count * s * f))`.

Scopes: SCOPE_DENIALS lists, per app and environment, the API modules that answer 403.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = [
    "DERIVED_PER_NEW_CUSTOMER",
    "DERIVED_PER_NEW_JOB",
    "INTEGRATION_TEST_CUSTOMERS",
    "INTEGRATION_TEST_JOBS",
    "PLANTED_RESOURCES",
    "PRODUCTION_DEACTIVATED_CUSTOMERS",
    "PRODUCTION_EMERGENCY_JOBS",
    "PRODUCTION_MODIFIED_CUSTOMERS",
    "PRODUCTION_MULTIFAMILY_CUSTOMERS",
    "PRODUCTION_NEW_CUSTOMERS",
    "PRODUCTION_NEW_JOBS",
    "PRODUCTION_ONLY_ENUM_VALUES",
    "PRODUCTION_ONLY_FIELDS",
    "REFRESH_DAYS",
    "SCOPE_DENIALS",
    "TESTER_ID_OFFSET",
    "TEST_NAME_PREFIX",
    "planted_count",
]

REFRESH_DAYS = 60

PRODUCTION_ONLY_FIELDS: Mapping[str, tuple[str, ...]] = {
    "crm/customers": ("nationalAccount",),
    "jpm/jobs": ("isAutoDispatched",),
}
PRODUCTION_ONLY_ENUM_VALUES: Mapping[tuple[str, str], tuple[str, ...]] = {
    ("jpm/jobs", "priority"): ("Emergency",),
    ("crm/customers", "type"): ("Multifamily",),
}

# About the organic volume of REFRESH_DAYS days at scale 1: production keeps its pace after the refresh.
PRODUCTION_NEW_CUSTOMERS = 210
PRODUCTION_NEW_JOBS = 1000
PRODUCTION_MODIFIED_CUSTOMERS = 25
PRODUCTION_DEACTIVATED_CUSTOMERS = 10
PRODUCTION_EMERGENCY_JOBS = 8
PRODUCTION_MULTIFAMILY_CUSTOMERS = 6

INTEGRATION_TEST_CUSTOMERS = 12
INTEGRATION_TEST_JOBS = 30
TEST_NAME_PREFIX = "TEST "
TESTER_ID_OFFSET = 90_000_000

DERIVED_PER_NEW_CUSTOMER: Mapping[str, int] = {"crm/locations": 1}
DERIVED_PER_NEW_JOB: Mapping[str, int] = {"jpm/appointments": 1, "accounting/invoices": 1}

# The only catalog resources whose records differ between the environments.
PLANTED_RESOURCES: tuple[str, ...] = (
    "crm/customers",
    "jpm/jobs",
    *DERIVED_PER_NEW_CUSTOMER,
    *DERIVED_PER_NEW_JOB,
)

SCOPE_DENIALS: Mapping[str, Mapping[str, tuple[str, ...]]] = {
    "Fleet Insights": {
        "integration": ("accounting", "payroll"),
        "production": ("accounting", "payroll", "telecom"),
    },
}


def planted_count(count: int, scale: float, tenant_size: float = 1.0) -> int:
    """A planted count at a given scale and relative tenant size: round(count * scale * size), at least 1."""
    return max(1, round(count * scale * tenant_size))
