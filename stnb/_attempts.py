"""One record per HTTP attempt the client makes, and the observers that receive them.

The client builds an `Attempt` for every try (token requests, retries and 429s included) and hands it
to every registered observer; the usage ledger is one. Observers must be fast and must not raise.
Attempts made with an app key registered by `mark_sandbox_app` (`stnb.connect()` registers the
sandbox's apps) reach observers with `sandbox=True`, so usage analytics can tell demo traffic apart.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

__all__ = [
    "Attempt",
    "AttemptObserver",
    "add_observer",
    "app_fingerprint",
    "mark_sandbox_app",
    "notify",
    "remove_observer",
]


@dataclass(frozen=True, slots=True)
class Attempt:
    at: datetime  # UTC, tz-aware, when the attempt was sent
    env: str  # "integration" | "production" | sandbox env names
    app: str  # app_fingerprint(app_key), never the key itself
    app_name: str | None  # optional friendly name from the profile
    tenant: str  # tenant id as text ("" for token requests made before a tenant is known)
    method: str
    module: str  # API family: "jpm", "crm", ... ; "auth" for token requests
    endpoint: str  # URL template: "/jpm/v2/tenant/{tenant}/jobs/{id}"
    status: int | None  # None when no response arrived (transport error)
    latency_ms: float
    bytes: int  # response body size
    attempt: int  # 1 for the first try, 2 for the first retry, ...
    rate_wait_ms: float  # time spent waiting for the client-side pacer or a 429 before this attempt
    error_type: str | None  # exception class name or None
    sandbox: bool = False  # True when the built-in sandbox answered (demo data, not real usage)


AttemptObserver = Callable[[Attempt], None]

_observers: list[AttemptObserver] = []
_sandbox_apps: set[str] = set()
_lock = threading.Lock()


def app_fingerprint(app_key: str) -> str:
    """A short, stable, non-reversible name for an app key (8 hex chars of SHA-256)."""
    return hashlib.sha256(app_key.encode("utf-8")).hexdigest()[:8]


def add_observer(observer: AttemptObserver) -> None:
    with _lock:
        if observer not in _observers:
            _observers.append(observer)


def remove_observer(observer: AttemptObserver) -> None:
    with _lock:
        if observer in _observers:
            _observers.remove(observer)


def mark_sandbox_app(app: str) -> None:
    """Flag every later attempt made with app fingerprint `app` as a sandbox attempt."""
    with _lock:
        _sandbox_apps.add(app)


def notify(attempt: Attempt) -> None:
    """Hand `attempt` to every observer, flagged as a sandbox attempt when its app is a sandbox app."""
    with _lock:
        observers = list(_observers)
        if not attempt.sandbox and attempt.app in _sandbox_apps:
            attempt = replace(attempt, sandbox=True)
    for observer in observers:
        with contextlib.suppress(Exception):  # an observer must never break a request
            observer(attempt)
