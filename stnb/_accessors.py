"""Named accessors of a connection (`st.reports`), filled by the layers above the data layer.

A connection offers `st.reports` without importing the analysis layer that implements it: the layer
above registers a factory here, and the connection builds the accessor from it on first use (one per
connection). The package root (`stnb/__init__.py`), which Python runs before any `stnb.*` module however
stnb is imported, registers the built-in ones, so they always exist; nothing here imports upward.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Factory", "build", "register", "registered"]

Factory = Callable[[Any], Any]  # called with the connection; returns the accessor

_factories: dict[str, Factory] = {}
_lock = threading.Lock()


def register(name: str, factory: Factory) -> None:
    """Make `factory(connection)` build the accessor `name` (a later registration replaces it)."""
    if not name.isidentifier():
        raise ValueError(f"an accessor name must be an identifier, got {name!r}")
    with _lock:
        _factories[name] = factory


def registered() -> frozenset[str]:
    """The names that have a factory."""
    with _lock:
        return frozenset(_factories)


def build(name: str, owner: Any) -> Any:
    """The accessor `name` for `owner` (a connection); `LookupError` when no layer registered it."""
    with _lock:
        factory = _factories.get(name)
    if factory is None:
        raise LookupError(f"no accessor {name!r} is registered (the stnb package registers its own)")
    return factory(owner)
