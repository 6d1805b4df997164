"""Private sandboxes from a real tenant: `record` pulls a bounded, scrubbed sample into a snapshot that
`stnb.connect(sandbox="acme.stnb")` serves (the format: `stnb.sandbox.snapshot`)."""

from stnb._snapshot.observed import ObservedQuirks, observed_quirks
from stnb._snapshot.record import DEFAULT_MAX_RECORDS, RELATIONS, RecordSummary, Relation, record
from stnb._snapshot.scrub import DEFAULT_RULES, KINDS, Scrubber, ScrubRule, parse_rule

__all__ = [
    "DEFAULT_MAX_RECORDS",
    "DEFAULT_RULES",
    "KINDS",
    "RELATIONS",
    "ObservedQuirks",
    "RecordSummary",
    "Relation",
    "ScrubRule",
    "Scrubber",
    "observed_quirks",
    "parse_rule",
    "record",
]
