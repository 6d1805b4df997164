"""Export feeds (`from` -> `continueFrom`): the feed as a sans-IO flow (checkpoint, dedupe, parsing) and
its sync and async cursors."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, Self

from stnb._clock import SYSTEM_CLOCK, Clock
from stnb._flow import adrive, drive, warn_caller
from stnb._paging.checkpoint import load_checkpoint, save_checkpoint
from stnb._paging.errors import ExportTokenRejected, PagingWarning
from stnb._paging.prefetch import Tasks, Threads
from stnb._paging.steps import AsyncRequester, Get, Prefetch, Requester, SyncRequester
from stnb._progress import Progress, open_progress
from stnb._query import format_datetime
from stnb._seen import SeenVersions, micros
from stnb.catalog import Endpoint
from stnb.errors import ConfigError, InvalidRequest, InvalidResponse, UsageTypeError, ValidationError

__all__ = ["AsyncExportCursor", "ExportCursor"]


def _since_text(since: str | date | datetime) -> str:
    """`from` accepts a date string; datetimes are sent as RFC3339 UTC."""
    if isinstance(since, datetime):
        try:
            return format_datetime(since)
        except ValueError as exc:  # a naive datetime
            raise InvalidRequest(
                f"since={since!r}: {exc}", errors={"since": ["expected an aware datetime"]}, status=None
            ) from None
    if isinstance(since, date):
        return since.isoformat()
    if not isinstance(since, str):
        raise UsageTypeError(f"since must be a date, a datetime or text such as '2026-01-01', got {since!r}")
    text = since.strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return format_datetime(text)
    except ValueError as exc:
        raise InvalidRequest(
            f"since={since!r}: {exc}", errors={"since": ["expected a date or date-time"]}, status=None
        ) from None


@dataclass(slots=True)
class _Feed:
    """State and decisions of an export walk (no I/O): checkpoint, dedupe, parsing."""

    endpoint: Endpoint
    resource: str
    env: str
    tenant: str
    continue_from: str | None
    fetched: int
    clock: Clock
    base: dict[str, str]
    updated_at: str | None = None
    done: bool = False
    batches: int = 0
    seen: SeenVersions = field(default_factory=SeenVersions)
    repeated: set[Any] = field(default_factory=set)  # ids handed out again (a newer version)
    progress: Progress | None = None

    @property
    def checkpoint(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "env": self.env,
            "tenant": self.tenant,
            "continue_from": self.continue_from,
            "fetched": self.fetched,
            "updated_at": self.updated_at,
        }

    def params(self) -> dict[str, str]:
        params = dict(self.base)
        if self.continue_from:
            params["from"] = self.continue_from
        return params

    def rejected(self, error: ValidationError) -> ExportTokenRejected:
        token = self.continue_from
        return ExportTokenRejected(
            f"{self.resource}: the server rejected the export position from={token!r} ({error.title}). "
            "The checkpoint is unchanged; resume later, or restart with since=<date> to rebuild from a date",
            checkpoint=self.checkpoint,
            errors=error.errors,
            status=error.status,
            trace_id=error.trace_id,
            method="GET",
            url_template=self.endpoint.path,
        )

    def parse(self, body: Any) -> tuple[list[dict[str, Any]], bool, str | None]:
        if not isinstance(body, dict):
            raise self._invalid("expected a JSON object with data, hasMore and continueFrom")
        data = body.get("data")
        has_more = body.get("hasMore")
        token = body.get("continueFrom")
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise self._invalid("the data field is missing or not a list of objects")
        if not isinstance(has_more, bool):
            raise self._invalid("the hasMore field is missing or not true/false")
        if token is not None and not isinstance(token, str):
            raise self._invalid("continueFrom is not a string")
        return data, has_more, token

    def _invalid(self, what: str) -> InvalidResponse:
        return InvalidResponse(
            f"{self.resource} export: {what}; the checkpoint still points at the last good batch",
            method="GET",
            url_template=self.endpoint.path,
        )

    def dedupe(self, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Keep each id's newest version, and only if newer than what earlier batches delivered.

        `modifiedOn` is parsed only for ids that appear twice (in this batch, or in an earlier one)."""
        keys = [record.get("id") for record in data]
        chosen = list(zip(data, keys, strict=True))
        distinct = set(keys)
        distinct.discard(None)
        if len(distinct) + keys.count(None) < len(keys):
            chosen = _newest_in_batch(chosen)
        previous = self.seen.previous([key for _, key in chosen if key is not None])
        out: list[dict[str, Any]] = []
        for record, key in chosen:
            if key is None:
                out.append(record)
                continue
            again = key in previous
            if again:
                if not _newer(micros(record.get("modifiedOn")), previous[key]):
                    continue
                self.repeated.add(key)
            self.seen.add(key, record.get("modifiedOn"), again=again)
            out.append(record)
        return out

    def next_get(self, data: list[dict[str, Any]], has_more: bool, token: str | None) -> Get | None:
        """The request after this batch, when the feed will go on (so it can be sent while this batch is
        handed out); None when the feed ends or stalls here."""
        if not has_more or not data or not token or token == self.continue_from:
            return None
        params = dict(self.base)
        params["from"] = token
        return Get(params)

    def commit(self, batch: list[dict[str, Any]], token: str | None, has_more: bool) -> None:
        if token:
            self.continue_from = token
        self.fetched += len(batch)
        self.batches += 1
        self.updated_at = format_datetime(self.clock.utcnow())
        self.done = not has_more
        if self.progress is not None:
            self.progress.update(len(batch))

    def stalled(self, data: list[dict[str, Any]], has_more: bool, previous: str | None) -> bool:
        """True when the feed says hasMore but made no progress (empty batch or the same token)."""
        if not has_more:
            return False
        if not data or self.continue_from == previous:
            warn_caller(
                f"{self.resource} export: hasMore is true but the batch was empty or the position did not "
                "advance; stopping. The checkpoint keeps the last position, so resume later",
                PagingWarning,
            )
            return True
        return False

    def open_progress(self, setting: bool | float, description: str | None) -> None:
        self.progress = open_progress(
            setting, description or f"{self.resource} export", unit="rec", clock=self.clock
        )

    def close_progress(self) -> None:
        if self.progress is not None:
            self.progress.close()
            self.progress = None

    def steps(self, progress: bool | float) -> Generator[Get | Prefetch | list[dict[str, Any]], Any, None]:
        """The feed as a flow (see `stnb._flow`): yields the gets to run and the batches to hand out.

        As soon as a batch's position token is known, the next batch is announced (`Prefetch`), so the
        driver can fetch it while this one is deduplicated, handed out and stored."""
        self.open_progress(progress, None)
        try:
            while True:
                previous = self.continue_from
                try:
                    body = yield Get(self.params())
                except ValidationError as exc:
                    if previous and not isinstance(exc, ExportTokenRejected):
                        raise self.rejected(exc) from exc
                    raise
                data, has_more, token = self.parse(body)
                ahead = self.next_get(data, has_more, token)
                if ahead is not None:
                    yield Prefetch((ahead,))
                batch = self.dedupe(data)
                self.commit(batch, token, has_more)
                if batch:
                    yield batch
                if not has_more or self.stalled(data, has_more, previous):
                    return
        finally:
            self.close_progress()


def _newer(moment: int | None, than: int | None) -> bool:
    if moment is None:
        return False
    return than is None or moment > than


def _newest_in_batch(chosen: list[tuple[dict[str, Any], Any]]) -> list[tuple[dict[str, Any], Any]]:
    """One record per id that appears more than once: the first with the newest modifiedOn."""
    counts: dict[Any, int] = {}
    for _, key in chosen:
        if key is not None:
            counts[key] = counts.get(key, 0) + 1
    best: dict[Any, tuple[int | None, int]] = {}
    for index, (record, key) in enumerate(chosen):
        if key is not None and counts[key] > 1:
            moment = micros(record.get("modifiedOn"))
            if key not in best or _newer(moment, best[key][0]):
                best[key] = (moment, index)
    keep = {index for _, index in best.values()}
    return [
        (record, key)
        for index, (record, key) in enumerate(chosen)
        if key is None or counts[key] == 1 or index in keep
    ]


def _new_feed(
    client: SyncRequester | AsyncRequester,
    endpoint: Endpoint,
    resource: str,
    since: str | date | datetime | None,
    checkpoint: Mapping[str, Any] | None,
    include_recent_changes: bool,
    params: Mapping[str, str] | None,
    clock: Clock | None,
) -> _Feed:
    if since is not None and checkpoint is not None:
        raise InvalidRequest(
            "pass since= or checkpoint=, not both (the checkpoint already holds the position)",
            errors={"since": ["conflicts with checkpoint"]},
            status=None,
        )
    start: str | None = _since_text(since) if since is not None else None
    fetched = 0
    if checkpoint is not None:
        data = load_checkpoint(checkpoint)
        mismatch = [
            f"{key} {data[key]!r} (this cursor: {mine!r})"
            for key, mine in (("resource", resource), ("env", client.env), ("tenant", client.tenant))
            if str(data[key]) != mine
        ]
        if mismatch:
            raise ConfigError(f"the checkpoint belongs to another export: {'; '.join(mismatch)}")
        start = data["continue_from"]
        fetched = int(data.get("fetched") or 0)
    base = dict(params or {})
    if include_recent_changes:
        base["includeRecentChanges"] = "true"
    feed = _Feed(endpoint, resource, client.env, client.tenant, start, fetched, clock or SYSTEM_CLOCK, base)
    if checkpoint is not None:
        feed.updated_at = checkpoint.get("updated_at") if isinstance(checkpoint, Mapping) else None
    return feed


class _CursorBase(Generic[Requester]):
    """What both export cursors share; only running the feed's gets differs."""

    def __init__(
        self,
        client: Requester,
        endpoint: Endpoint,
        *,
        resource: str,
        since: str | date | datetime | None = None,
        checkpoint: Mapping[str, Any] | None = None,
        include_recent_changes: bool = False,
        params: Mapping[str, str] | None = None,
        progress: bool | float = False,
        clock: Clock | None = None,
    ) -> None:
        self._client: Requester = client
        self._feed = _new_feed(
            client, endpoint, resource, since, checkpoint, include_recent_changes, params, clock
        )
        self._progress = progress

    @property
    def checkpoint(self) -> dict[str, Any]:
        """`{resource, env, tenant, continue_from, fetched, updated_at}`, covers batches handed out."""
        return self._feed.checkpoint

    @property
    def done(self) -> bool:
        """True once the server said hasMore=false (caught up; poll again later from the checkpoint)."""
        return self._feed.done

    @property
    def fetched(self) -> int:
        """Records handed out so far, including those before the checkpoint this cursor resumed from."""
        return self._feed.fetched

    @property
    def batches(self) -> int:
        """Batches (export requests) this cursor has made."""
        return self._feed.batches

    @property
    def repeated_ids(self) -> frozenset[Any]:
        """Ids handed out more than once (a newer version in a later batch): rows stored for them earlier
        are out of date."""
        return frozenset(self._feed.repeated)

    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the checkpoint as JSON, atomically; returns the path."""
        return save_checkpoint(self.checkpoint, path)

    _RESUME_NEEDS = ""  # what `resume` says when the connection is of the other kind

    @classmethod
    def resume(cls, conn: Any, source: str | os.PathLike[str] | Mapping[str, Any], **kwargs: Any) -> Self:
        """Continue a saved export: `ExportCursor.resume(conn, "jobs.checkpoint.json")` (an
        `AsyncExportCursor` resumes on an `AsyncConnection`)."""
        data = load_checkpoint(source)
        cursor = conn.export(data["resource"], checkpoint=data, **kwargs)
        if not isinstance(cursor, cls):
            raise TypeError(f"{cls.__name__}.resume needs {cls._RESUME_NEEDS}")
        return cursor


class ExportCursor(_CursorBase[SyncRequester]):
    """Iterate an export feed batch by batch (`for batch in cur`), or record by record (`cur.items()`)."""

    _RESUME_NEEDS = "a stnb.Connection; use AsyncExportCursor.resume"

    def items(self) -> Iterator[dict[str, Any]]:
        """Every record of every batch."""
        for batch in self:
            yield from batch

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        runner = Threads(self._get, 1)  # one worker: the next batch travels while this one is used
        try:
            yield from drive(self._feed.steps(self._progress), runner.perform)
        finally:
            runner.close()

    def _get(self, step: Get) -> Any:
        return self._client.request_json("GET", self._feed.endpoint.path, params=step.params)


class AsyncExportCursor(_CursorBase[AsyncRequester]):
    """The asyncio twin of `ExportCursor`: `async for batch in cur`."""

    _RESUME_NEEDS = "a stnb.AsyncConnection"

    async def items(self) -> AsyncIterator[dict[str, Any]]:
        """Every record of every batch."""
        async for batch in self:
            for record in batch:
                yield record

    async def __aiter__(self) -> AsyncIterator[list[dict[str, Any]]]:
        runner = Tasks(self._get, 1)
        try:
            async with contextlib.aclosing(adrive(self._feed.steps(self._progress), runner.perform)) as feed:
                async for batch in feed:
                    yield batch
        finally:
            await runner.aclose()

    async def _get(self, step: Get) -> Any:
        return await self._client.request_json("GET", self._feed.endpoint.path, params=step.params)
