"""ipywidgets front ends over the package layers: they collect choices, call the layers, and show results.

Every widget keeps its root container in `.widget` and displays itself in a notebook; its callbacks are
plain methods (`run()`, `test()`, ...) so they can be driven without a browser.
"""

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
