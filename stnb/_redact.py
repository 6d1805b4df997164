"""Defence in depth against leaking secrets: scrub known secret values and token-shaped text.

Code never logs or formats secrets on purpose; this catches the accidents (a server echoing a token, an
exception carrying a form body). Secrets in use are registered so their exact values are scrubbed too.
"""

from __future__ import annotations

import logging
import re
import threading

__all__ = ["MASK", "RedactingFilter", "get_logger", "redact", "register_secret"]

MASK = "***"
_MIN_SECRET_LEN = 6  # shorter values would scrub ordinary words

_PATTERNS = (
    # Authorization header values (with their scheme), then any other bearer token.
    re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+)?[^\s,;\"']+"),
    re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]+=*"),
    # OAuth fields in JSON bodies, form bodies and reprs.
    re.compile(
        r"(?i)([\"']?(?:access_token|client_secret|refresh_token|st-app-key)[\"']?\s*[:=]\s*[\"']?)[^\s&,;\"']+"
    ),
    # ServiceTitan's credential shapes: secrets cs1./cs2., app keys ak1.
    re.compile(r"()\b(?:cs[0-9]|ak[0-9])\.[A-Za-z0-9]{8,}"),
)

_secrets: dict[str, str] = {}
_lock = threading.Lock()


def register_secret(value: str | None, replacement: str = MASK) -> None:
    """Replace this exact value by `replacement` in everything `redact` sees from now on."""
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets[value] = replacement


def redact(text: str) -> str:
    """`text` with registered secrets and token-shaped substrings replaced by *** (or their mask)."""
    with _lock:
        secrets = sorted(_secrets.items(), key=lambda item: len(item[0]), reverse=True)
    for secret, replacement in secrets:
        if secret in text:
            text = text.replace(secret, replacement)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message (and traceback) through `redact` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not break logging
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """`logging.getLogger(name)` with the redacting filter attached (filters are not inherited)."""
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger
