"""The ledger's SQLite file, as the usage layer sees it: the storage itself belongs to the foundations
(`stnb._ledger.store`, so that every connection records without importing this layer); these are its names."""

from stnb._ledger.store import *  # noqa: F403  # every name of the file's module, under its usage-layer name
from stnb._ledger.store import __all__ as __all__
