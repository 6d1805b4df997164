"""The live check: `stnb.check(conn)` measures an API against its documents, behaviour and the sandbox.

Analysis layer: frames in, frames out; figures and pages come from `stnb.charts.check` on demand.
"""

from stnb.check.findings import BREAKS, COSMETIC, LOSES_DATA, SEVERITIES
from stnb.check.result import CheckResult
from stnb.check.run import DEFAULT_BUDGET, check

__all__ = ["BREAKS", "COSMETIC", "DEFAULT_BUDGET", "LOSES_DATA", "SEVERITIES", "CheckResult", "check"]
