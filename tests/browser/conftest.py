"""Shared fixtures for tests that drive headless Chromium through Playwright.

- `chromium_executable` (session): the path of the system Chromium (`$STNB_CHROMIUM`, else
  /usr/bin/chromium, else `chromium` on PATH). Tests skip when it is absent, unless
  `STNB_REQUIRE_BROWSER=1` (CI), where absence fails them. Never `playwright install`.
- `browser` (session): a Playwright `Browser` launched from that executable with CHROMIUM_ARGS.
- `watched_page` (function): a fresh context and page that collect console errors, page errors and
  failed requests in `WatchedPage.errors`; pass `offline=True` through `watched_page.go(url, offline=True)`
  to abort and record every request that leaves the page's own file.
Every test in this folder is marked `browser` (the unit test run deselects them).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.browser.pages import KNOWN_WIDGETS, OVERFLOW_JS

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_HERE = Path(__file__).parent
LEAVING_LOOPBACK = re.compile(r"^(?!(?:http|ws)://127\.0\.0\.1[:/]|data:|blob:|about:)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _HERE in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


def _find_chromium() -> str | None:
    for candidate in (os.environ.get("STNB_CHROMIUM"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def chromium_executable() -> str:
    path = _find_chromium()
    if path is None:
        message = "Chromium not found (install Debian's chromium package; never `playwright install`)"
        if os.environ.get("STNB_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{message}; STNB_REQUIRE_BROWSER=1 requires it")
        pytest.skip(message)
    return path


# Per module, not per session: Playwright's sync API keeps an event loop running in the main thread until it
# stops, which would break later tests in the same session that call asyncio.run().
@pytest.fixture(scope="module")
def browser(chromium_executable: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield launched
        finally:
            launched.close()


@dataclass
class WatchedPage:
    """A page plus everything that went wrong on it (console errors, page errors, failed requests)."""

    page: Any
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def loopback_only(self) -> None:
        """Abort and list (in `blocked`) every request that leaves 127.0.0.1 (a CDN font, news, analytics)."""

        def guard(route: Any) -> None:
            self.blocked.append(route.request.url)
            route.abort()

        # Only requests that leave are intercepted (the pattern is matched inside the browser): routing every
        # loopback request through Python would add its round trip to each of a page's ~100 scripts.
        self.page.context.route(LEAVING_LOOPBACK, guard)

    def overflowing(self, selectors: tuple[str, ...] = KNOWN_WIDGETS) -> list[str]:
        """Visible elements among `selectors` whose text is wider (or taller) than their box: cut labels."""
        return list(self.page.evaluate(OVERFLOW_JS, list(selectors)))

    def go(self, url: str, *, offline: bool = False, wait_until: str = "load") -> None:
        """Open `url`; with `offline`, every request to anything but `url` itself is aborted and listed."""
        if offline:

            def guard(route: Any) -> None:
                if route.request.url == url or route.request.url.startswith("data:"):
                    route.continue_()
                else:
                    self.blocked.append(route.request.url)
                    route.abort()

            self.page.route("**/*", guard)
        self.page.goto(url, wait_until=wait_until)


@pytest.fixture
def watched_page(browser: Any) -> Iterator[WatchedPage]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    watched = WatchedPage(page)
    page.on(
        "console", lambda msg: watched.errors.append(f"console: {msg.text}") if msg.type == "error" else None
    )
    page.on("pageerror", lambda exc: watched.errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: watched.errors.append(f"request failed: {req.url} {req.failure}"))
    try:
        yield watched
    finally:
        context.close()
