"""One table presentation for the package: a formatter by meaning, publication tables and browsing tables.

- `format_value(value, unit)`: counts with separators, percentages, money, milliseconds, dates.
- `publication_table` / `publication_html`: summaries (great_tables, as polars' `DataFrame.style`).
- `browse_html`: interactive tables (itables) that say in words how many rows they hold.
- `table(frame, "title")`: what a notebook cell ends with to show a frame as a table.
- `readable(frame)`: identity columns first, nested records on one line.
"""

from stnb.tables.browse import BROWSE_MAX_ROWS, browse_frame, browse_html, browse_note
from stnb.tables.format import MISSING, UNITS, Unit, format_value, unit_for, words
from stnb.tables.publish import publication_html, publication_table, table, units_of
from stnb.tables.readable import readable

__all__ = [
    "BROWSE_MAX_ROWS",
    "MISSING",
    "UNITS",
    "Unit",
    "browse_frame",
    "browse_html",
    "browse_note",
    "format_value",
    "publication_html",
    "publication_table",
    "readable",
    "table",
    "unit_for",
    "units_of",
    "words",
]
