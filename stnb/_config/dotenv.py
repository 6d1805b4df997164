"""`.env` files: KEY=VALUE lines as a shell would read them, our own malformed lines reported."""

from __future__ import annotations

import re
from pathlib import Path

from stnb.errors import ConfigError

__all__ = ["parse_dotenv", "read_dotenv"]


_DOTENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_OURS = re.compile(r"\b(?:STNB|SERVICETITAN)")


def parse_dotenv(text: str, where: str = ".env") -> dict[str, str]:
    """KEY=VALUE lines with optional `export`, quotes and # comments.

    Malformed lines that mention STNB_ or SERVICETITAN_ raise ConfigError (they are ours and would
    otherwise be silently lost); other malformed lines belong to other tools and are skipped.
    """
    result: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            key, value = _dotenv_line(line)
        except ValueError as exc:
            if _OURS.search(line):
                raise ConfigError(f"{where}, line {number}: {exc}") from None
            continue
        result[key] = value
    return result


def _dotenv_line(line: str) -> tuple[str, str]:
    if line.startswith("export "):
        line = line[len("export ") :].lstrip()
    key, sep, value = line.partition("=")
    key = key.strip()
    if not sep:
        raise ValueError("expected KEY=VALUE")
    if not _DOTENV_KEY.fullmatch(key):
        raise ValueError("the name before '=' is not a valid variable name")
    value = value.strip()
    if value[:1] in ("'", '"'):
        quote = value[0]
        end = _closing_quote(value, quote)
        if end < 0:
            raise ValueError(f"unterminated {quote} quote (multi-line values are not supported)")
        rest = value[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError("unexpected text after the closing quote")
        inner = value[1:end]
        return key, _unescape(inner) if quote == '"' else inner
    for marker in (" #", "\t#"):
        at = value.find(marker)
        if at >= 0:
            value = value[:at].rstrip()
    return key, value


def _closing_quote(value: str, quote: str) -> int:
    index = 1
    while index < len(value):
        char = value[index]
        if char == "\\" and quote == '"':
            index += 2
            continue
        if char == quote:
            return index
        index += 1
    return -1


def _unescape(text: str) -> str:
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), "\\" + m.group(1)), text)


def read_dotenv(env_file: Path | None) -> tuple[dict[str, str], str]:
    if env_file is None:
        return {}, ".env"
    path = env_file.expanduser()
    where = f".env file {path.resolve() if path.exists() else path}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return {}, where
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {where}: {type(exc).__name__}") from None
    return parse_dotenv(text, where), where
