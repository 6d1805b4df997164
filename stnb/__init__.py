"""stnb: explore the ServiceTitan API from Jupyter."""

__version__ = "0.1.0"
