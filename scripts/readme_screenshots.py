"""Regenerate the README's two screenshots (docs/images/dashboard.png and compare.png) on the sandbox.

Needs Debian's chromium (`make chromium`). Run from the repository root: `.venv/bin/python
scripts/readme_screenshots.py`. The dashboard is served by `stnb dashboard usage` itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from stnb import compare
from stnb.cli.lab import free_port

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
        env = {**_clean_environment(tmp), "STNB_CACHE_DIR": str(tmp / "cache")}
        command = [sys.executable, "-m", "stnb.cli.main", "dashboard", "usage", "--no-browser"]
        command += ["--port", str(port), "--notebooks", str(notebooks)]
        server = subprocess.Popen(
            command, env=env, cwd=notebooks, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            assert server.stdout is not None
            for line in server.stdout:  # the address comes once the dashboard has drawn
                if f"127.0.0.1:{port}" in line:
                    break
            page = browser.new_page(viewport={"width": 1100, "height": 720})
            page.goto(f"http://127.0.0.1:{port}/")
            page.locator(".gt_table").first.wait_for(timeout=180_000)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(IMAGES / "dashboard.png"))
        finally:
            server.terminate()
            server.wait(timeout=30)
        browser.close()
    print("wrote", *(str(p.relative_to(ROOT)) for p in sorted(IMAGES.glob("*.png"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
