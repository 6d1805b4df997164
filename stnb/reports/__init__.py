"""The Reporting API: discover, describe and run ServiceTitan reports into polars frames (`st.reports`)."""

from stnb._progress import ProgressSink
from stnb.reports.backfill import BackfillCheckpointError
from stnb.reports.casting import ReportCastWarning
from stnb.reports.client import ReportNotFound, Reports, ReportTimeout, RunInfo
from stnb.reports.limiter import ReportLimiter, shared_limiter
from stnb.reports.model import (
    Choice,
    ReportCategory,
    ReportDescription,
    ReportField,
    ReportMetadataError,
    ReportMetadataWarning,
    ReportParameter,
    ReportSummary,
)

__all__ = [
    "BackfillCheckpointError",
    "Choice",
    "ProgressSink",
    "ReportCastWarning",
    "ReportCategory",
    "ReportDescription",
    "ReportField",
    "ReportLimiter",
    "ReportMetadataError",
    "ReportMetadataWarning",
    "ReportNotFound",
    "ReportParameter",
    "ReportSummary",
    "ReportTimeout",
    "Reports",
    "RunInfo",
    "shared_limiter",
]
