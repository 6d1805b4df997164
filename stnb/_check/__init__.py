"""The live check: `stnb.check(conn)` measures an API against its documents, behaviour and the sandbox.

Analysis layer: frames in, frames out; figures and pages come from `stnb.charts.check` on demand.
"""

from stnb._check.findings import BREAKS, COSMETIC, LOSES_DATA, SEVERITIES
from stnb._check.result import CheckResult
from stnb._check.run import DEFAULT_BUDGET, check

__all__ = ["BREAKS", "COSMETIC", "DEFAULT_BUDGET", "LOSES_DATA", "SEVERITIES", "CheckResult", "check"]
