"""Page-based lists and export feeds as iterators, sync and async.

`PageIterator` walks `page`/`pageSize`/`hasMore` lists. When the first page reports `totalCount`
(asked with `includeTotal=true`), the remaining pages are fetched concurrently by a small pool and
still come out in order; the client's shared pacer keeps the pool under the rate limit. `max_pages`
stops early with a `TruncationWarning`; a page that is empty although `hasMore` is true stops the walk
with a `PagingWarning` instead of looping forever.

`ExportCursor` follows an export feed (`from` -> `continueFrom`) until `hasMore` is false, drops
duplicate ids (keeping the newest `modifiedOn`) and keeps a JSON-able checkpoint that covers every
batch already handed out: save it after storing a batch, resume later with `ExportCursor.resume`.

The walk and the feed are written once, as sans-IO flows (`stnb._flow`); the sync and async classes only
run the requests they ask for. Their warnings point at the caller's line that iterates (`_flow.warn_caller`).
A progress bar (`stnb._progress`) appears only once a walk has run for its delay (on the injected clock)
and is removed when the walk ends, so quick pulls leave no trace in terminals or notebook outputs.

One module per concept: `pages` (the page walk and its iterators), `export` (the export feed and its
cursors), `prefetch` (running gets ahead: threads or tasks), `checkpoint` (saving and loading an
export's position), `steps` (what the flows ask for, what they need from a client), `errors`.
"""

from __future__ import annotations

from stnb._paging.checkpoint import load_checkpoint
from stnb._paging.errors import ExportTokenRejected, PagingOptionError, PagingWarning, TruncationWarning
from stnb._paging.export import AsyncExportCursor, ExportCursor
from stnb._paging.pages import (
    DEFAULT_CONCURRENCY,
    PROBE_FROM_PAGE_SIZE,
    AsyncPageIterator,
    Page,
    PageIterator,
)

__all__ = [
    "DEFAULT_CONCURRENCY",
    "PROBE_FROM_PAGE_SIZE",
    "AsyncExportCursor",
    "AsyncPageIterator",
    "ExportCursor",
    "ExportTokenRejected",
    "Page",
    "PageIterator",
    "PagingOptionError",
    "PagingWarning",
    "TruncationWarning",
    "load_checkpoint",
]
