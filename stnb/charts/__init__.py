"""Plotly figures built from stnb frames, all sharing one template (`stnb.charts.theme`)."""

from stnb.charts.theme import TEMPLATE, themed, titled

__all__ = ["TEMPLATE", "themed", "titled"]
