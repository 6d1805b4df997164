"""The demo usage's frame cache: the same frames as the files, read back instead of rebuilt, keyed so that
other parameters or other demo code never get stale frames, and a cache that fails is never an error."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from stnb.usage.ledger import read_ledger
from stnb.usage.portal import import_portal_reports
from stnb.widgets import demo_cache
from stnb.widgets.demo_cache import CACHE_ENV, DemoFrames, cache_dir, demo_cache_key, demo_frames

END = date(2026, 6, 30)


def small(demo_dir: Path, cache: Path) -> DemoFrames:
    """A two-week demo (quick to build)."""
    return demo_frames(demo_dir, cache=cache, days=14, ledger_days=3, end=END)


def test_the_first_call_builds_and_caches_the_frames_the_files_hold(tmp_path: Path) -> None:
    built = small(tmp_path / "demo", tmp_path / "cache")
    assert not built.cached and built.end == END
    assert_frame_equal(built.portal, import_portal_reports(tmp_path / "demo" / "portal"))
    assert_frame_equal(built.ledger, read_ledger(tmp_path / "demo" / "ledger.sqlite3"))
    assert len(list((tmp_path / "cache").glob("demo-usage-*.arrow"))) == 2

    again = small(tmp_path / "elsewhere", tmp_path / "cache")
    assert again.cached and not (tmp_path / "elsewhere").exists()  # nothing rebuilt
    assert_frame_equal(again.portal, built.portal)
    assert_frame_equal(again.ledger, built.ledger)


def test_other_parameters_make_another_entry_and_replace_the_old_one(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = small(tmp_path / "a", cache)
    other = demo_frames(tmp_path / "b", cache=cache, days=14, ledger_days=3, end=END, seed=1)
    assert not other.cached and other.ledger.height != first.ledger.height
    names = {p.name for p in cache.glob("demo-usage-*.arrow")}
    key = demo_cache_key(end=END, days=14, ledger_days=3, seed=1)
    assert names == {f"{key}.portal.arrow", f"{key}.ledger.arrow"}  # one entry: the cache does not grow


def test_the_key_names_every_parameter_and_the_demo_code(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {
        demo_cache_key(end=END, days=180, ledger_days=28, seed=0),
        demo_cache_key(end=date(2026, 7, 1), days=180, ledger_days=28, seed=0),
        demo_cache_key(end=END, days=90, ledger_days=28, seed=0),
        demo_cache_key(end=END, days=180, ledger_days=14, seed=0),
        demo_cache_key(end=END, days=180, ledger_days=28, seed=1),
    }
    assert len(keys) == 5
    before = demo_cache_key(end=END, days=180, ledger_days=28, seed=0)
    monkeypatch.setattr(demo_cache, "_version", lambda: "99.0")
    assert demo_cache_key(end=END, days=180, ledger_days=28, seed=0) != before


def test_a_changed_generator_is_a_new_entry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "pkg"
    (fake / "usage").mkdir(parents=True)
    (fake / "sandbox").mkdir()
    (fake / "usage" / "demo.py").write_text("A = 1\n")
    monkeypatch.setattr(demo_cache, "_ROOT", fake)
    before = demo_cache_key(end=END, days=180, ledger_days=28, seed=0)
    (fake / "usage" / "demo.py").write_text("A = 2\n")
    assert demo_cache_key(end=END, days=180, ledger_days=28, seed=0) != before


def test_an_unreadable_entry_is_rebuilt(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    small(tmp_path / "demo", cache)
    for entry in cache.glob("*.ledger.arrow"):
        entry.write_bytes(b"not arrow")
    rebuilt = small(tmp_path / "demo", cache)
    assert not rebuilt.cached and rebuilt.ledger.height > 0
    assert small(tmp_path / "demo", cache).cached


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    frames = small(tmp_path / "demo", blocker / "cache")
    assert not frames.cached and frames.portal.height > 0
    assert not list(tmp_path.glob("**/.tmp-*"))


def test_the_cache_dir_is_stnb_cache_dir_else_the_platforms() -> None:
    assert cache_dir({CACHE_ENV: "/tmp/x"}) == Path("/tmp/x")
    default = cache_dir({})
    assert default.name == "stnb" and default != Path("/tmp/x")
    assert os.environ[CACHE_ENV]  # the suite never writes to the user's cache (tests/conftest.py)
    assert demo_cache.cache_dir() == Path(os.environ[CACHE_ENV])
