"""Regenerate the README's two screenshots (docs/images/dashboard.png and compare.png) on the sandbox.

Needs Debian's chromium (`make chromium`). Run from the repository root: `.venv/bin/python
scripts/readme_screenshots.py`. The dashboard is served as `stnb dashboard usage` serves it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from stnb import compare
from stnb.cli.lab import DASHBOARDS, dashboard_environment, free_port, voila_command

ROOT = Path(__file__).resolve().parents[1]
IMAGES = ROOT / "docs" / "images"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def _clean_environment(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_", "JUPYTER"))}
    env.update(STNB_PROFILES=str(tmp / "none.toml"), STNB_LEDGER=str(tmp / "ledger.sqlite"))
    return env


def compare_page(tmp: Path) -> Path:
    """The comparison page of crm/customers on the sandbox (no credentials in this process from now on)."""
    clean = _clean_environment(tmp)
    os.environ.clear()
    os.environ.update(clean)
    return compare("crm/customers", "integration", "production").to_html(tmp / "compare.html")


def main() -> int:
    IMAGES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        tmp = Path(folder)
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"), args=ARGS)
        page = browser.new_page(viewport={"width": 900, "height": 520})
        page.goto(compare_page(tmp).as_uri())
        page.get_by_text("Changed records: field").first.evaluate(
            "e => { e.scrollIntoView({block: 'start'}); window.scrollBy(0, -40); }"
        )
        page.screenshot(path=str(IMAGES / "compare.png"))

        notebooks = tmp / "notebooks"
        shutil.copytree(ROOT / "notebooks", notebooks, ignore=shutil.ignore_patterns("output"))
        port = free_port()
        command = voila_command(notebooks / DASHBOARDS["usage"], port, open_browser=False)
        server = subprocess.Popen(
            command,
            env=dashboard_environment(_clean_environment(tmp)),
            cwd=notebooks,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(600):
                try:
                    urllib.request.urlopen(
                        f"http://127.0.0.1:{port}/voila/static/voila.js", timeout=2
                    ).close()
                    break
                except urllib.error.HTTPError:
                    break
                except OSError:
                    time.sleep(0.2)
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".gt_table").first.wait_for(timeout=180_000)
            page.wait_for_timeout(1500)
            page.screenshot(path=str(IMAGES / "dashboard.png"))
        finally:
            server.terminate()
            server.wait(timeout=30)
        browser.close()
    print("wrote", *(str(p.relative_to(ROOT)) for p in sorted(IMAGES.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
