"""Compare environments: the same question asked of two sides, the differences explained.

`compare(resource, a, b, **filters) -> Comparison` reads one resource from both sides;
`compare_all(a, b, resources=None, budget=300) -> pl.DataFrame` sweeps the catalog one page per
resource. The pure analyses on polars frames live in `counts`, `schema`, `values` and `records`.
"""

from stnb._compare.comparison import Comparison, Failure, SideInfo
from stnb._compare.records import RecordDiff, record_diff
from stnb._compare.run import compare
from stnb._compare.sides import SideSpec
from stnb._compare.sweep import compare_all

__all__ = [
    "Comparison",
    "Failure",
    "RecordDiff",
    "SideInfo",
    "SideSpec",
    "compare",
    "compare_all",
    "record_diff",
]
