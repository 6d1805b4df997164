"""The developer portal's API Usage Report format: what ServiceTitan writes, what stnb reads and fakes.

Format (reference §7, from the portal's own source): one CSV per app and date range with the header
`PORTAL_HEADER`, one row per (tenant, endpoint) with a count > 0, values joined by commas without
quoting, tenants in ascending id order, and the name `<AppName>_<AppPublicId>_<firstBin yyyyMMddHHmm>_
<lastBin yyyyMMddHHmm>.csv` (`report_file_name`), where the app name has every character outside
`[- .,0-9A-Za-z]` replaced by `_`. Times are Pacific (`PACIFIC`). The API column holds the API's name in
the portal (`API_NAMES`), the endpoint column the path relative to its API's base URL
(`portal_endpoint_name`).

Bin convention (the portal aggregates into time bins and names a file by the start of its first and last
bin): bins are one hour, so the file for one Pacific day D is `..._D0000_D2300.csv`. Readers should not
rely on the bin width: a file covers [first bin, the Pacific midnight after the last bin), which holds
for hourly, minute or daily bins because the portal only offers whole days.

Owned here (a description of ServiceTitan, like the rest of the catalog) so that the usage importer
(`stnb.usage.portal`) and the sandbox's synthetic reports (`stnb.sandbox.portal`) share it without either
depending on the other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["API_NAMES", "PACIFIC", "PORTAL_HEADER", "portal_endpoint_name", "report_file_name"]

PACIFIC = ZoneInfo("America/Los_Angeles")
PORTAL_HEADER = (
    "App ID",
    "Tenant Name",
    "Tenant ID",
    "API Name",
    "HTTP Method",
    "Endpoint Name",
    "Successful Calls",
)

# Module slug -> the API's name in the portal (the title of its OpenAPI document).
API_NAMES: Mapping[str, str] = {
    "accounting": "Accounting",
    "crm": "CRM",
    "customer-interactions": "Customer Interactions",
    "dispatch": "Dispatch",
    "equipmentsystems": "Equipment Systems",
    "findings": "Findings",
    "forms": "Forms",
    "inventory": "Inventory",
    "jbce": "Job Booking",
    "jpm": "Job Planning and Management",
    "marketing": "Marketing",
    "marketingads": "Marketing Ads",
    "marketingreputation": "Marketing Reputation",
    "memberships": "Memberships",
    "payroll": "Payroll",
    "pricebook": "Pricebook",
    "reporting": "Reporting",
    "sales": "Sales & Estimates",
    "schedulingpro": "Scheduling Pro",
    "service-agreements": "Service Agreements",
    "settings": "Settings",
    "taskmanagement": "Task Management",
    "telecom": "Telecom",
    "timesheets": "Timesheets",
}

_VERSION_IN_PATH = frozenset({"telecom"})  # APIs whose base URL stops before the version


def report_file_name(app_name: str, public_id: str, first_bin: datetime, last_bin: datetime) -> str:
    """`<AppName>_<AppPublicId>_<yyyyMMddHHmm>_<yyyyMMddHHmm>.csv` with the portal's name sanitising."""
    safe = re.sub(r"[^- .,0-9A-Za-z]", "_", app_name)
    return f"{safe}_{public_id}_{first_bin:%Y%m%d%H%M}_{last_bin:%Y%m%d%H%M}.csv"


def portal_endpoint_name(path: str) -> str:
    """The path relative to its API's base URL, as the portal names endpoints.

    `/jpm/v2/tenant/{tenant}/jobs` -> `/tenant/{tenant}/jobs`; telecom's base URL is `/telecom` (its paths
    carry the version), so `/telecom/v2/tenant/{tenant}/calls` -> `/v2/tenant/{tenant}/calls`.
    """
    module = path.strip("/").split("/", 1)[0]
    if module in _VERSION_IN_PATH:
        return path[len(module) + 1 :]
    return re.sub(r"^/[^/]+/v\d+(?=/)", "", path)
