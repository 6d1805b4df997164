"""What a walk or a feed tells its caller: warnings when it stopped early, errors for bad options and
rejected export positions."""

from __future__ import annotations

from typing import Any

from stnb.errors import InvalidRequest, ValidationError

__all__ = ["ExportTokenRejected", "PagingOptionError", "PagingWarning", "TruncationWarning"]


class TruncationWarning(UserWarning):
    """A walk stopped at `max_pages` although the server had more records."""


class PagingWarning(UserWarning):
    """The server's paging was inconsistent (e.g. `hasMore` true on an empty page); the walk stopped."""


class PagingOptionError(InvalidRequest):
    """A paging option is out of range (e.g. `max_pages=0`); raised before any request.

    Also a `ValueError`, which these checks raised before they became `ValidationError`s."""


class ExportTokenRejected(ValidationError):
    """The server refused an export continuation token; `checkpoint` is the unchanged last good state."""

    checkpoint: dict[str, Any]

    def __init__(self, message: str, *, checkpoint: dict[str, Any], **kwargs: Any) -> None:
        self.checkpoint = checkpoint
        super().__init__(message, **kwargs)
