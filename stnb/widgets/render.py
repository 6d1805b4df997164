"""Small HTML pieces every widget shows: where a result came from, banners, and errors without tracebacks.

Everything that could carry user or server text is escaped and passed through `stnb._redact.redact`, so
a secret that slipped into an exception message never reaches a widget's state.
"""

from __future__ import annotations

import html

from stnb._redact import get_logger, redact
from stnb.errors import ApiError

__all__ = [
    "banner_html",
    "button_layout",
    "error_html",
    "origin_html",
    "origin_text",
    "sandbox_banner_html",
    "text_html",
]

log = get_logger("stnb.widgets")

_BANNER_STYLES = {
    "sandbox": "background:#FFF4CE;border:1px solid #E69F00;color:#5C4400",
    "info": "background:#EFF6FF;border:1px solid #56B4E9;color:#0B3A5C",
    "ok": "background:#ECFDF5;border:1px solid #009E73;color:#064E3B",
    "error": "background:#FEF2F2;border:1px solid #B00020;color:#7F1D1D",
}


def text_html(text: str) -> str:
    """`text` escaped for HTML, with secrets scrubbed."""
    return html.escape(redact(text))


def origin_text(env: str, tenant: str | int, sandbox: bool) -> str:
    """`integration · tenant 1234` plus `· sandbox` when the built-in sandbox answered."""
    parts = [env, f"tenant {tenant}"]
    if sandbox:
        parts.append("sandbox")
    return " · ".join(parts)


def origin_html(env: str, tenant: str | int, sandbox: bool) -> str:
    """The origin as a small label, so every result says which environment and tenant produced it."""
    return (
        '<span class="stnb-origin" style="font-size:12px;color:#4B5563">'
        f"from {text_html(origin_text(env, tenant, sandbox))}</span>"
    )


def banner_html(message: str, kind: str = "info") -> str:
    """A one-line coloured banner; `kind` is sandbox, info, ok or error. `message` is plain text."""
    style = _BANNER_STYLES.get(kind, _BANNER_STYLES["info"])
    return (
        f'<div class="stnb-banner stnb-banner-{kind}" style="{style};padding:6px 10px;border-radius:4px">'
        f"{text_html(message)}</div>"
    )


def sandbox_banner_html(env: str) -> str:
    """The banner shown whenever the built-in sandbox, not ServiceTitan, answers."""
    return banner_html(
        f"Sandbox: the built-in ServiceTitan sandbox answers as {env} — demo data, not your tenant.",
        "sandbox",
    )


def error_html(exc: BaseException) -> str:
    """An error as a box: ServiceTitan's status, title, field errors and trace id; never a traceback."""
    if isinstance(exc, ApiError):
        headline = f"{exc.status} — {exc.title}" if exc.status is not None else exc.title
        details = [f"{name or '(request)'}: {'; '.join(messages)}" for name, messages in exc.errors.items()]
        where = " ".join(part for part in (exc.method, exc.url_template) if part)
        if where:
            details.append(f"request: {where}")
        if exc.trace_id:
            details.append(f"trace id: {exc.trace_id}")
        details += [line.strip() for line in str(exc).splitlines() if line.strip().startswith("hint:")]
    else:
        log.debug("widget error", exc_info=exc)  # the traceback goes to the log, never to the widget
        lines = str(exc).strip().splitlines() or [""]
        headline = f"{type(exc).__name__}: {lines[0]}".rstrip(": ")
        details = [line.strip() for line in lines[1:] if line.strip()]
    items = "".join(f"<li>{text_html(d)}</li>" for d in details if d not in headline)
    body = f'<ul style="margin:4px 0 0 16px;padding:0">{items}</ul>' if items else ""
    return (
        f'<div class="stnb-error" style="{_BANNER_STYLES["error"]};padding:6px 10px;border-radius:4px">'
        f"<b>{text_html(headline)}</b>{body}</div>"
    )


def button_layout() -> dict[str, str]:
    """A button as wide as its label (a fixed width cuts "Export HTML report" to "Export HTML re…")."""
    return {"width": "auto", "min_width": "120px"}
