"""Helpers for browser tests: screenshots for a person to look at, and the check for cut-off widget text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

# gitignored (tests/artifacts/): for a person to look at
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
# Widgets whose text must fit their box (ipywidgets cuts it with an ellipsis): labels and buttons.
KNOWN_WIDGETS = (".widget-label", "button.jupyter-button", ".widget-toggle-button", ".widget-dropdown select")
OVERFLOW_JS = """(selectors) => {
  const found = [];
  for (const sel of selectors) {
    for (const e of document.querySelectorAll(sel)) {
      if (!e.offsetParent) continue;
      if (e.tagName === 'SELECT') {  // a select cuts its chosen option without any scroll width to see
        const text = e.selectedIndex >= 0 ? e.options[e.selectedIndex].text : '';
        const ctx = document.createElement('canvas').getContext('2d');
        const style = getComputedStyle(e);
        ctx.font = `${style.fontSize} ${style.fontFamily}`;
        const room = e.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight) - 16;
        if (text && ctx.measureText(text).width > room) found.push(`${sel}: "${text}" (cut)`);
        continue;
      }
      if (!e.textContent.trim()) continue;
      if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 2) {
        const size = `${e.scrollWidth}x${e.scrollHeight} in ${e.clientWidth}x${e.clientHeight}`;
        found.push(`${sel}: "${e.textContent.trim().slice(0, 60)}" (${size})`);
      }
    }
  }
  return found;
}"""


def screenshot(page: Any, name: str, element: Any | None = None) -> Path:
    """Write `SCREENSHOTS/name`: the whole page, or the window made tall enough to hold `element` whole."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    if element is None:
        page.screenshot(path=str(path), full_page=True)
        return path
    element.evaluate("e => e.scrollIntoView({block: 'start'})")
    box = element.bounding_box() or {"height": 700}
    # An element that scrolls inside itself (Voila's #rendered_cells is as tall as the window) is as tall
    # as its content: the window grows to hold all of it, from its top.
    height = max(box["height"], float(element.evaluate("e => e.scrollHeight")))
    page.set_viewport_size({"width": 1400, "height": int(min(6000, max(900, height + 40)))})
    element.evaluate("e => { e.scrollTop = 0; e.scrollIntoView({block: 'start'}); }")
    element.screenshot(path=str(path))
    return path


_NOTEBOOK_HEIGHT = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-WindowedPanel-outer')
    || document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook');
  panel.scrollTop = 0;
  return panel.scrollHeight;
}"""


_ALL_CELLS_SHOWN = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const cells = [...panel.querySelectorAll('.jp-Notebook .jp-Cell')];
  const wanted = window.jupyterapp.shell.currentWidget.content.model.cells.length;
  const last = cells[cells.length - 1];
  const full = cells.length === wanted || (last && last.getBoundingClientRect().bottom >= window.innerHeight);
  const plots = [...panel.querySelectorAll('.js-plotly-plot')];
  return full && plots.every(p => p.querySelector('.main-svg'));
}"""


def notebook_screenshot(page: Any, name: str, max_height: int = 9000) -> Path:
    """The open notebook from its top, in a window tall enough for all of it (up to `max_height` px)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = int(page.evaluate(_NOTEBOOK_HEIGHT))
    page.set_viewport_size({"width": 1400, "height": min(max_height, height + 160)})
    # cells entering the window render (a cell below the window is not in the page until then)
    page.wait_for_function(_ALL_CELLS_SHOWN, timeout=60_000)
    page.evaluate(_NOTEBOOK_HEIGHT)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path))
    return path
