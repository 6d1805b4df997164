"""Compare environments: the same question asked of two sides, the differences explained.

Pure analyses on polars frames live in `counts`, `schema`, `values` and `records`; `Comparison`
holds their results.
"""

from stnb.compare.comparison import Comparison, Failure, SideInfo
from stnb.compare.records import RecordDiff, record_diff

__all__ = ["Comparison", "Failure", "RecordDiff", "SideInfo", "record_diff"]
