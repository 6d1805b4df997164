"""`compare()`: ask two environments the same question and explain what differs."""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import polars as pl

from stnb._compare.analyse import SideData, analyse
from stnb._compare.comparison import Comparison, Failure, Side, SideInfo
from stnb._compare.fetch import Fetched, SideReader, sample_page_numbers, with_active
from stnb._compare.records import DEFAULT_IGNORED
from stnb._compare.service import AttemptLog, SideService, service_frame
from stnb._compare.sides import SideSpec, check_connect_arguments, describe_side, open_side, side_arguments
from stnb._connection import Connection
from stnb._query import QueryParams, build_query, split_path_params
from stnb.catalog import Resource, load_catalog
from stnb.errors import ApiError, StnbError, UsageError, UsageTypeError

__all__ = ["DEFAULT_PAGE_SIZE", "DEFAULT_SAMPLE_PAGES", "DEFAULT_THRESHOLD", "Method", "compare"]

DEFAULT_THRESHOLD = 20_000  # records per side above which the full list is not read
DEFAULT_PAGE_SIZE = 1000
DEFAULT_SAMPLE_PAGES = 10
Method = Literal["auto", "list", "export", "sample"]


def _error_text(exc: BaseException) -> str:
    first = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {first}".rstrip(": ")


@dataclass
class _Side:
    """One side during a comparison: its connection, reader, service log and what it answered."""

    name: Side
    spec: SideSpec
    conn: Connection | None = None
    reader: SideReader | None = None
    service: SideService | None = None
    total: int | None = None
    fetched: Fetched | None = None
    failure: Failure | None = None
    keys: set[str] = field(default_factory=set)

    @property
    def env(self) -> str:
        return self.conn.env if self.conn is not None else describe_side(self.spec)

    @property
    def alive(self) -> bool:
        return self.failure is None and self.reader is not None

    def info(self) -> SideInfo:
        conn = self.conn
        return SideInfo(
            side=self.name,
            env=self.env,
            tenant=conn.tenant if conn is not None else "",
            sandbox=conn.sandbox if conn is not None else False,
            rows=self.fetched.rows if self.fetched is not None else 0,
            total=self.total,
            app=conn.client.credentials.app_name if conn is not None else None,
        )

    def fail(self, stage: str, exc: BaseException) -> None:
        status = exc.status if isinstance(exc, ApiError) else None
        if self.service is not None and stage in ("count", "fetch"):
            self.service.record(status)
        self.failure = Failure(self.name, self.env, stage, _error_text(exc), status)


class _Run:
    """Runs each step on each side, turning a side's `StnbError` into a named failure."""

    def __init__(self, log: AttemptLog) -> None:
        self.log = log

    @contextmanager
    def step(self, side: _Side, stage: str) -> Iterator[None]:
        assert side.service is not None
        try:
            with self.log.observing(side.service):
                yield
        except StnbError as exc:
            side.fail(stage, exc)

    def each(self, sides: list[_Side], stage: str, action: Callable[[_Side], None]) -> None:
        for side in sides:
            if side.alive:
                with self.step(side, stage):
                    action(side)


@dataclass(frozen=True)
class _Options:
    """How to read and compare, as given to `compare()`."""

    method: Method
    threshold: int
    page_size: int
    sample_pages: int
    seed: int
    ignore: Collection[str]
    null_rate_threshold: float


def _choose(options: _Options, resource: Resource, totals: list[int | None], filtered: bool) -> str:
    if options.method != "auto":
        return options.method
    known = [t for t in totals if t is not None]
    if not known or max(known) <= options.threshold:
        return "list"
    if resource.export is not None and not filtered:
        return "export"
    return "sample"


def _check_arguments(a: Any, b: Any, options: _Options, connect_options: Any) -> None:
    """Mistakes in the arguments as one `UsageError` each, before any connection or request."""
    for spec in (a, b):
        if not isinstance(spec, Connection):
            side_arguments(spec)
    if connect_options is not None:
        if not isinstance(connect_options, Mapping):
            raise UsageTypeError(f"connect_options must be a dict, got {type(connect_options).__name__}")
        check_connect_arguments(connect_options, "connect_options")
    if options.method not in ("auto", "list", "export", "sample"):
        raise UsageError(f"method must be 'auto', 'list', 'export' or 'sample', got {options.method!r}")
    for name, low, high in (("threshold", 0, None), ("page_size", 1, 5000), ("sample_pages", 1, None)):
        value = getattr(options, name)
        if isinstance(value, bool) or not isinstance(value, int):
            raise UsageTypeError(f"{name} must be a whole number, got {value!r}")
        if value < low or (high is not None and value > high):
            raise UsageError(
                f"{name} must be {f'between {low} and {high}' if high else f'at least {low}'}, got {value}"
            )
    if isinstance(options.seed, bool) or not isinstance(options.seed, int):
        raise UsageTypeError(f"seed must be a whole number, got {options.seed!r}")
    rate = options.null_rate_threshold
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise UsageError(f"null_rate_threshold must be a share between 0 and 1, got {rate!r}")
    ignore = options.ignore
    if (
        isinstance(ignore, str)
        or not isinstance(ignore, Collection)
        or not all(isinstance(i, str) for i in ignore)
    ):
        raise UsageTypeError(f"ignore must be a collection of field names, got {ignore!r}")


def compare(
    resource: str,
    a: SideSpec = "integration",
    b: SideSpec = "production",
    *,
    method: Method = "auto",
    threshold: int = DEFAULT_THRESHOLD,
    page_size: int = DEFAULT_PAGE_SIZE,
    sample_pages: int = DEFAULT_SAMPLE_PAGES,
    seed: int = 0,
    ignore: Collection[str] = DEFAULT_IGNORED,
    null_rate_threshold: float = 0.05,
    connect_options: Mapping[str, Any] | None = None,
    **filters: Any,
) -> Comparison:
    """Run the same query on sides `a` and `b` and compare counts, schema, values, records and service.

    Sides are connections, environment names or profile sections (see `stnb._compare.sides`). Records
    are fetched with `active=Any` unless `active` is given. Up to `threshold` records per side the full
    list is read; above it the export feed (when the resource has one and no filters are given),
    otherwise `sample_pages` pages chosen by `seed` among those both sides have, at the same positions on
    each side (ids seen on one side are then looked up on the other). A value counts as seen on one side
    only when the other side was read in full. `method` forces "list", "export" or "sample". A side that
    fails (403, 404, an error mid-way) yields a partial result whose `failures` name it; bad input
    (unknown resource or filter) raises before any request.
    """
    options = _Options(method, threshold, page_size, sample_pages, seed, ignore, null_rate_threshold)
    _check_arguments(a, b, options, connect_options)
    sides = [_Side("a", a), _Side("b", b)]
    owned: list[Connection] = []
    try:
        for side in sides:
            try:
                side.conn, mine = open_side(side.spec, connect_options)
            except StnbError as exc:
                side.fail("connect", exc)
                continue
            if mine:
                owned.append(side.conn)
        with tempfile.TemporaryDirectory(prefix="stnb-compare-") as workdir:
            return _compare(sides, resource, filters, options, Path(workdir))
    finally:
        for conn in owned:
            conn.close()


def _compare(
    sides: list[_Side], resource: str, filters: Mapping[str, Any], options: _Options, workdir: Path
) -> Comparison:
    catalog = next((s.conn.catalog for s in sides if s.conn is not None), None) or load_catalog()
    res = catalog.resolve(resource)
    query = with_active(res, filters)
    endpoint = res.endpoint("list")
    parent, rest = split_path_params(endpoint, query)
    sent = build_query(endpoint, rest, resource=res.key)  # bad filters fail here, before any request
    for side in sides:
        if side.conn is not None and side.failure is None:
            side.reader = SideReader(side.conn, res, query)
            side.service = SideService(
                side.name, side.conn.env, side.conn.tenant, app=side.conn.client.credentials.app
            )
    run = _Run(AttemptLog())

    def count(side: _Side) -> None:
        assert side.reader is not None and side.service is not None
        side.total = side.reader.count()
        side.service.record(200)

    run.each(sides, "count", count)
    filtered = bool(set(rest) - {"active"})
    chosen = _choose(options, res, [s.total for s in sides], filtered)
    notes: list[str] = []
    if chosen == "sample":
        label, complete = _sample(run, sides, options, notes)
    else:
        label = _read(run, sides, chosen, options, workdir, notes)
        complete = {s.name for s in sides if s.fetched is not None and not s.fetched.truncated}
    partial = [s.name for s in sides if s.alive and s.name not in complete]
    if partial:
        notes.append(
            f"{'sides a and b were' if len(partial) == 2 else f'side {partial[0]} was'} not read in full: "
            f"no value is reported as missing from {'them' if len(partial) == 2 else 'it'} "
            "(value_diff holds the counts of what was read)"
        )
    cmp = analyse(
        res.key,
        *(_data(s) for s in sides),
        info_a=sides[0].info(),
        info_b=sides[1].info(),
        method=label,
        filters=_shown_filters(parent, sent),
        enums=[n for n, t in res.fields_for("list").items() if isinstance(t, dict) and "enum" in t],
        service=service_frame([s.service for s in sides if s.service is not None]),
        failures=[s.failure for s in sides if s.failure is not None],
        notes=notes,
        ignore=options.ignore,
        null_rate_threshold=options.null_rate_threshold,
    )
    return _proven_values(cmp, complete)


def _proven_values(cmp: Comparison, complete: Collection[Side]) -> Comparison:
    """Keep the values seen on one side only where the other side, read in full, shows they are missing."""
    other: dict[Side, Side] = {"a": "b", "b": "a"}
    proven = [side for side in other if other[side] in complete]
    return replace(cmp, new_values=cmp.new_values.filter(pl.col("side").is_in(proven)))


def _shown_filters(parent: Mapping[str, Any], sent: list[QueryParams]) -> dict[str, str]:
    """The filters as the API receives them (normalised values, every `ids` chunk together)."""
    shown = {k: str(v) for k, v in parent.items()}
    for name, value in sent[0].items():
        shown[name] = ",".join(value) if isinstance(value, list) else str(value)
    if len(sent) > 1:
        shown["ids"] = ",".join(str(q["ids"]) for q in sent)
    return shown


def _data(side: _Side) -> SideData | None:
    if side.failure is not None or side.fetched is None:
        return None
    return SideData(side.info(), side.fetched.frame, side.fetched.fields)


def _read(
    run: _Run, sides: list[_Side], chosen: str, options: _Options, workdir: Path, notes: list[str]
) -> str:
    def read(side: _Side) -> None:
        assert side.reader is not None
        if chosen == "export":
            side.fetched = side.reader.export(workdir / f"{side.name}.parquet")
        else:
            cap = options.threshold if side.total is None else None
            side.fetched = side.reader.full_list(page_size=options.page_size, max_rows=cap)
            if side.fetched.truncated:
                notes.append(
                    f"side {side.name}: no total known; read stopped at {side.fetched.rows:,} records"
                )

    run.each(sides, "fetch", read)
    return "export" if chosen == "export" else "full list"


def _page_count(total: int | None, page_size: int) -> int | None:
    return None if total is None else math.ceil(total / page_size)


def _sample_plan(sides: list[_Side], options: _Options) -> tuple[dict[Side, list[int]], str]:
    """Page numbers per side and how to describe them: every page of each side when the sample can
    afford it, otherwise the same positions on both sides, drawn from the pages both sides have."""
    pages = {s.name: _page_count(s.total, options.page_size) for s in sides if s.alive}
    known = [p for p in pages.values() if p is not None]
    size = options.page_size
    if pages and len(known) == len(pages) and options.sample_pages >= max(known):
        counts = ", ".join(f"{name} {p}" for name, p in pages.items())
        return (
            {name: list(range(1, (p or 0) + 1)) or [1] for name, p in pages.items()},
            f"sample of every page ({counts} pages of {size}): counts and distributions cover all "
            "records; totals are the servers'",
        )
    shared = min((s.total for s in sides if s.alive and s.total is not None), default=0)
    numbers = sample_page_numbers(shared, size, options.sample_pages, options.seed)
    return (
        {name: numbers for name in pages},
        f"sample of {len(numbers)} pages of {size} per side (seed {options.seed}), at the same positions "
        "on both sides; totals are the servers', other counts and distributions describe the sample",
    )


def _sample(run: _Run, sides: list[_Side], options: _Options, notes: list[str]) -> tuple[str, set[Side]]:
    """Read sampled pages on each side; returns the label and the sides whose every page was read."""
    plan, description = _sample_plan(sides, options)
    frames: dict[Side, pl.DataFrame] = {}

    def read(side: _Side) -> None:
        assert side.reader is not None
        frames[side.name], side.keys = side.reader.sample(plan[side.name], page_size=options.page_size)

    run.each(sides, "fetch", read)
    size = max((f.height for f in frames.values()), default=0)
    if all(s.alive for s in sides):
        if all(s.reader is not None and s.reader.can_lookup for s in sides):
            _look_up_missing(run, sides, frames)
        else:
            notes.append(
                "this endpoint cannot look records up by id: 'only on one side' holds within the sample"
            )
    for side in sides:
        if side.alive and side.name in frames:
            frame = frames[side.name]
            side.fetched = Fetched(frame.lazy(), frozenset(side.keys), frame.height)
    notes.append(description)
    complete = {
        s.name
        for s in sides
        if s.alive
        and (count := _page_count(s.total, options.page_size)) is not None
        and set(range(1, count + 1)) <= set(plan[s.name])
    }
    return f"sample({size})", complete


def _look_up_missing(run: _Run, sides: list[_Side], frames: dict[Side, pl.DataFrame]) -> None:
    """Ask each side for the ids only the other side's sample holds, so "only in" means only in."""
    ids = {name: set(frame["id"].to_list()) for name, frame in frames.items() if "id" in frame.columns}
    if len(ids) != 2:
        return
    wanted = {"a": ids["b"] - ids["a"], "b": ids["a"] - ids["b"]}

    def look_up(side: _Side) -> None:
        assert side.reader is not None
        found, keys = side.reader.lookup(sorted(wanted[side.name]))
        frames[side.name] = pl.concat([frames[side.name], found], how="diagonal_relaxed")
        side.keys |= keys

    run.each(sides, "lookup", look_up)
