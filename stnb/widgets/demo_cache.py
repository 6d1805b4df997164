"""The demo usage as frames, cached on disk so a dashboard that opens again does not rebuild it.

`demo_frames()` returns the portal and ledger frames `import_portal_reports` and `read_ledger` would read
from `build_demo_usage`'s files. The first call for a set of demo parameters builds those files and
keeps both frames as Arrow IPC files in the cache directory: `$STNB_CACHE_DIR`, else the platform's
user cache directory for stnb (e.g. ~/.cache/stnb on Linux). Later calls read the frames back in
milliseconds. An entry is keyed by the demo's parameters (last day, days, ledger days, seed), stnb's
version and a fingerprint of the code that builds the demo, so a changed generator never serves old
data; building a new entry removes the older demo entries. A cache that cannot be read or written is
rebuilt or skipped, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import platformdirs
import polars as pl

__all__ = ["CACHE_ENV", "DemoFrames", "cache_dir", "demo_cache_key", "demo_frames"]

CACHE_ENV = "STNB_CACHE_DIR"
_PREFIX = "demo-usage-"
_FORMAT = 1  # bump when the cached files' layout changes
# The code that decides what the demo holds (the sandbox's apps and traffic, the readers): a change to any
# of its files makes a new cache entry.
_ROOT = Path(__file__).resolve().parents[1]  # the stnb package
_GENERATORS = ("usage", "sandbox", "_ledger", "catalog/portal.py", "widgets/demo_cache.py")


@dataclass(frozen=True, slots=True)
class DemoFrames:
    """The demo's portal report frame and ledger frame, the last day they cover, and whether the cache
    answered (`cached`) or they were built now."""

    portal: pl.DataFrame
    ledger: pl.DataFrame
    end: date
    cached: bool


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`$STNB_CACHE_DIR`, else the platform's user cache directory for stnb."""
    env = os.environ if environ is None else environ
    override = env.get(CACHE_ENV, "").strip()
    return Path(override).expanduser() if override else Path(platformdirs.user_cache_dir("stnb"))


def _version() -> str:
    try:
        return importlib.metadata.version("stnb")
    except importlib.metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _fingerprint() -> str:
    digest = hashlib.sha256(f"{_version()}:{_FORMAT}".encode())
    root = _ROOT
    for name in _GENERATORS:  # ~0.6 MB of source: a few milliseconds
        found = root / name
        for source in sorted(found.rglob("*.py")) if found.is_dir() else [found]:
            with contextlib.suppress(OSError):  # unreadable: the version and the other files decide
                digest.update(source.relative_to(root).as_posix().encode() + source.read_bytes())
    return digest.hexdigest()[:16]


def demo_cache_key(*, end: date, days: int, ledger_days: int, seed: int) -> str:
    """The cache entry's name for these demo parameters (and this stnb's demo code)."""
    return f"{_PREFIX}{end.isoformat()}-{days}d-{ledger_days}l-s{seed}-{_fingerprint()}"


def _default_end() -> date:
    from stnb.catalog.portal import PACIFIC

    return datetime.now(UTC).astimezone(PACIFIC).date() - timedelta(days=1)


def demo_frames(
    demo_dir: str | os.PathLike[str],
    *,
    days: int = 180,
    ledger_days: int = 28,
    end: date | None = None,
    seed: int = 0,
    cache: Path | None = None,
) -> DemoFrames:
    """The default sandbox's demo usage as frames, from the cache when it holds them.

    On a miss the demo files are built in `demo_dir` (`build_demo_usage(..., reuse=True)`), read, and
    cached. `cache`: the cache directory (default: `cache_dir()`).
    """
    last = end or _default_end()
    folder = cache if cache is not None else cache_dir()
    key = demo_cache_key(end=last, days=days, ledger_days=ledger_days, seed=seed)
    portal_file, ledger_file = folder / f"{key}.portal.arrow", folder / f"{key}.ledger.arrow"
    try:
        portal, ledger = (pl.read_ipc(path.read_bytes()) for path in (portal_file, ledger_file))
        return DemoFrames(portal, ledger, last, cached=True)
    except (OSError, pl.exceptions.PolarsError):
        pass  # not cached yet, or unreadable: build it
    from stnb.sandbox.demo_usage import build_demo_usage
    from stnb.usage.ledger import read_ledger
    from stnb.usage.portal import import_portal_reports

    demo = build_demo_usage(
        Path(demo_dir), days=days, ledger_days=ledger_days, end=last, seed=seed, reuse=True
    )
    portal = import_portal_reports(demo.portal_dir)
    ledger = read_ledger(demo.ledger_path)
    _store(folder, key, {portal_file: portal, ledger_file: ledger})
    return DemoFrames(portal, ledger, last, cached=False)


def _store(folder: Path, key: str, frames: dict[Path, pl.DataFrame]) -> None:
    """Write the entry's files atomically and drop older demo entries."""
    with contextlib.suppress(OSError):  # a read-only or full disk: the next call builds again
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob(f"{_PREFIX}*.arrow"):
            if not old.name.startswith(key + "."):
                old.unlink(missing_ok=True)
        for path, frame in frames.items():  # each file whole or absent: a reader needs both or rebuilds
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".arrow")
            os.close(handle)
            try:
                frame.write_ipc(temporary)
                os.replace(temporary, path)
            finally:
                Path(temporary).unlink(missing_ok=True)
