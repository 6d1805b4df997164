"""JupyterLab in headless Chromium: run the explorer and usage notebooks, click their widgets, see results.

JupyterLab is started with the command `stnb lab` builds, on a copy of notebooks/ (so outputs and
downloads stay in tmp_path), on the embedded sandbox (no credentials in its environment).
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from stnb.cli.lab import free_port, lab_command, lab_environment
from tests.browser.pages import notebook_screenshot

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
START_TIMEOUT_S = 90.0
RUN_ALL_TIMEOUT_MS = 240_000
WIDGET_TIMEOUT_MS = 120_000
TEST_FLAGS = (
    "--IdentityProvider.token=",
    "--ServerApp.password=",
    "--ServerApp.disable_check_xsrf=True",
    "--LabApp.expose_app_in_browser=True",
)
NEWS_QUESTION = "official Jupyter news"  # JupyterLab's pop-up: "Would you like to get notified about ..."


def _lab_environment(tmp_path: Path) -> dict[str, str]:
    """`stnb lab`'s environment (its lab config: no news pop-up) with fresh, empty user settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_", "JUPYTER"))}
    env = lab_environment(env)
    settings = tmp_path / "lab-settings"  # empty: JupyterLab's defaults, as on a first start
    settings.mkdir()
    env.update(
        STNB_PROFILES=str(tmp_path / "no-profiles.toml"),
        STNB_LEDGER=str(tmp_path / "ledger.sqlite"),
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"),
        JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    return env


def _wait_for_server(process: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"JupyterLab exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}api/status", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"JupyterLab did not answer within {START_TIMEOUT_S:.0f} s")


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """JupyterLab on a copy of the notebooks, started with `stnb lab`'s command line."""
    tmp_path = tmp_path_factory.mktemp("lab")
    notebooks = tmp_path / "notebooks"
    shutil.copytree(
        REPO / "notebooks", notebooks, ignore=shutil.ignore_patterns("output", ".ipynb_checkpoints")
    )
    port = free_port()
    command = [*lab_command(notebooks, port, open_browser=False), *TEST_FLAGS]
    log = (tmp_path / "lab.log").open("wb")
    process = subprocess.Popen(command, env=_lab_environment(tmp_path), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_for_server(process, url)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0


_ALL_RUN = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const cells = w.content.model.cells;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code' && !cell.executionCount) return false;
  }
  return w.sessionContext.session.kernel.status === 'idle';
}"""
_ERRORS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type !== 'code') continue;
    for (let j = 0; j < cell.outputs.length; j++) {
      const out = cell.outputs.get(j).toJSON();
      if (out.output_type === 'error') found.push(out.ename + ': ' + out.evalue);
    }
  }
  return found;
}"""


def _run_all_cells(page: Any, lab_url: str, notebook: str) -> None:
    """Open `notebook` alone (fresh workspace), run every cell, wait until all ran; fail on error outputs."""
    page.goto(f"{lab_url}lab/tree/{notebook}?reset", wait_until="domcontentloaded")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=WIDGET_TIMEOUT_MS)
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
        " && w.sessionContext.session.kernel.status === 'idle'; }",
        timeout=WIDGET_TIMEOUT_MS,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RUN, timeout=RUN_ALL_TIMEOUT_MS)
    errors = page.evaluate(_ERRORS)
    assert not errors, f"{notebook} raised: {errors[:2]}"


NOTEBOOKS = sorted(p.name for p in (REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_every_notebook_runs_clean_in_the_browser(lab_url: str, watched_page: Any, notebook: str) -> None:
    """Each notebook: every cell runs, no console errors, nothing fetched from outside 127.0.0.1, widget
    labels fit, no test assertions or reprs in sight; a screenshot for a person to look at."""
    page = watched_page.page
    watched_page.loopback_only()
    started = time.monotonic()
    _run_all_cells(page, lab_url, notebook)
    charts = page.locator(".jp-Notebook .js-plotly-plot .main-svg")
    if charts.count():
        charts.first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    print(f"\n{notebook}: all cells ran in {time.monotonic() - started:.1f} s, {charts.count()} charts")
    page.wait_for_function(_RENDERED, timeout=WIDGET_TIMEOUT_MS)  # late renderers have run (and erred, if so)
    sources = page.evaluate(_SOURCES)
    assert not [s for s in sources if s.lstrip().startswith("assert ") or "\nassert " in s], "test asserts"
    outputs = page.locator(".jp-Notebook .jp-OutputArea").all_inner_texts()
    text = "\n".join(outputs)
    for leaked in ("shape: (", "PosixPath(", "Traceback", "/tmp/ipykernel"):
        assert leaked not in text, leaked
    assert re.findall(r"\b[a-z]+\(s\)", text) == []  # "1 record", "2 records": never "record(s)"
    stderr = '.jp-Notebook .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
    for shown in page.locator(stderr).all_inner_texts():  # warnings only, each naming the user's cell
        assert re.match(r"cell \[\d+\]:\d+: \w+Warning: ", shown) and "sandbox" not in shown, shown
    assert text.count("using the built-in sandbox") <= 1, "the sandbox notice is shown once"
    assert page.get_by_text(NEWS_QUESTION).count() == 0, "JupyterLab's news pop-up"
    assert watched_page.blocked == [], watched_page.blocked
    assert watched_page.errors == [], watched_page.errors
    assert watched_page.overflowing() == []
    notebook_screenshot(page, notebook.replace(".ipynb", ".png"))


# Every plotly figure drawn and every browsing table (itables) made a DataTable: the renderers that run after
# the cells did have run, so their console errors (if any) are in already.
_RENDERED = """() =>
  [...document.querySelectorAll('.jp-Notebook .js-plotly-plot')].every(p => p.querySelector('.main-svg'))
  && [...document.querySelectorAll('.jp-Notebook table[id^="itables_"]')]
    .every(t => t.classList.contains('dataTable'))
"""
_SOURCES = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const found = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells.get(i);
    if (cell.type === 'code') found.push(cell.sharedModel.getSource());
  }
  return found;
}"""


def _button(page: Any, label: str) -> Any:
    return page.locator("button.jupyter-button", has_text=re.compile(rf"^\s*{re.escape(label)}\s*$")).first


def test_explorer_notebook_runs_and_the_run_button_shows_rows_and_a_chart(
    lab_url: str, watched_page: Any
) -> None:
    page = watched_page.page
    _run_all_cells(page, lab_url, "01_explore_demo_data.ipynb")
    explorer = page.locator(".jp-Cell", has=_button(page, "Run")).first
    run = _button(page, "Run")
    run.scroll_into_view_if_needed()
    run.click()
    rows = explorer.locator("table.dataTable tbody tr")
    rows.first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    assert rows.count() >= 5
    assert "rows ×" in explorer.locator(".stnb-origin").first.locator("xpath=..").text_content()
    assert "from integration · tenant" in explorer.text_content()
    chart = explorer.locator(".js-plotly-plot").first
    chart.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    assert chart.bounding_box()["height"] > 100
    revenue = page.locator(".js-plotly-plot", has_text="Revenue by business unit per month")
    revenue.first.wait_for(state="attached", timeout=WIDGET_TIMEOUT_MS)
    _screenshot(page, explorer, "lab_explorer.png")


def _screenshot(page: Any, element: Any, name: str) -> None:
    """The window, made tall enough for `element`, scrolled so that `element` starts at the top."""
    box = element.bounding_box()
    page.set_viewport_size({"width": 1400, "height": int(min(4000, max(1000, box["height"] + 300)))})
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_usage_notebook_runs_and_the_dashboard_redraws_when_grouping_changes(
    lab_url: str, watched_page: Any
) -> None:
    page = watched_page.page
    _run_all_cells(page, lab_url, "03_api_usage_trends.ipynb")
    group_by = page.locator(".widget-dropdown", has_text="group by").locator("select").first
    group_by.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    dashboard = page.locator(".jp-Cell", has=group_by).first
    first = dashboard.locator(".js-plotly-plot", has_text="Calls per day by app").first
    first.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    group_by.select_option(label="endpoint")
    redrawn = dashboard.locator(".js-plotly-plot", has_text="Calls per day by endpoint").first
    redrawn.wait_for(state="visible", timeout=WIDGET_TIMEOUT_MS)
    assert redrawn.bounding_box()["height"] > 100
    assert dashboard.locator(".js-plotly-plot", has_text="Calls per day by app").count() == 0
    assert "calls" in dashboard.text_content() and "portal · production" in dashboard.text_content()
    _screenshot(page, dashboard, "lab_usage_dashboard.png")
