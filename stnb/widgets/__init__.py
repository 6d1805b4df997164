"""ipywidgets front ends over the package layers: they collect choices, call the layers, and show results.

Every widget keeps its root container in `.widget` and displays itself in a notebook; its callbacks are
plain methods (`run()`, `test()`, ...) so they can be driven without a browser. Each widget's module is
imported on first use (the usage dashboard needs none of the API client's modules).

The widgets need the lab extra (`pip install 'stnb[lab]'`: ipywidgets, itables, JupyterLab); without it,
`import stnb.widgets` raises `stnb.errors.MissingExtra` saying so. `import stnb` never imports them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from stnb.errors import require_extra

require_extra("lab", "stnb.widgets", ("ipywidgets", "itables"))

if TYPE_CHECKING:
    from stnb.widgets.connection_panel import ConnectionPanel
    from stnb.widgets.environment_diff import EnvironmentDiff
    from stnb.widgets.explorer import ResourceExplorer
    from stnb.widgets.recipe_view import RecipeView
    from stnb.widgets.report_runner import ReportRunner
    from stnb.widgets.usage_dashboard import UsageDashboard

__all__ = [
    "ConnectionPanel",
    "EnvironmentDiff",
    "RecipeView",
    "ReportRunner",
    "ResourceExplorer",
    "UsageDashboard",
]

_MODULES = {
    "ConnectionPanel": "connection_panel",
    "EnvironmentDiff": "environment_diff",
    "RecipeView": "recipe_view",
    "ReportRunner": "report_runner",
    "ResourceExplorer": "explorer",
    "UsageDashboard": "usage_dashboard",
}


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return getattr(importlib.import_module(f"stnb.widgets.{_MODULES[name]}"), name)
    raise AttributeError(f"module 'stnb.widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
