"""Helpers shared by the widget tests."""

from __future__ import annotations

import json
from typing import Any

from ipywidgets.embed import embed_data


def widget_state(root: Any) -> str:
    """Everything a front end would receive for `root` and its children, as JSON text."""
    return json.dumps(embed_data(views=[root])["manager_state"])
