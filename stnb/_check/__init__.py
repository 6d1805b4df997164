"""The live check: `stnb.check(conn)` measures an API against its documents, behaviour and the sandbox.

Analysis layer: frames in, frames out. `stnb.check` returns `stnb.pages.check_report.CheckResult`, the
subclass that adds figures (`stnb.charts.check`) and the page.
"""

from stnb._check.findings import BREAKS, COSMETIC, LOSES_DATA, SEVERITIES
from stnb._check.result import CheckResult
from stnb._check.run import DEFAULT_BUDGET, check

__all__ = ["BREAKS", "COSMETIC", "DEFAULT_BUDGET", "LOSES_DATA", "SEVERITIES", "CheckResult", "check"]
