"""What every stnb page shares: the document around a body, writing it whole or not at all, and the
public functions that return an analysis result as its presentable subclass."""

from __future__ import annotations

import functools
import html
import os
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

__all__ = ["page", "presenting", "write_page"]

P = ParamSpec("P")
D = TypeVar("D")
R = TypeVar("R")

PAGE_STYLE = (
    "body{font-family:Inter,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#1F2937;"
    "margin:24px auto;max-width:1280px;padding:0 16px}section{margin:20px 0;overflow-x:auto}"
)


def page(title: str, body: str, *, style: str = PAGE_STYLE, head: str = "") -> str:
    """A whole HTML document: `body` under `title`, `style` inlined, `head` added to <head> as it is."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{style}</style>{head}</head><body>{body}</body></html>"
    )


def write_page(text: str, path: str | os.PathLike[str]) -> Path:
    """Write `text` to `path` (folders created), whole or not at all: a temporary file renamed over it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def presenting(run: Callable[P, D], present: Callable[[D], R]) -> Callable[P, R]:
    """`run` (an analysis function, frames in, a data object out) returning `present(result)` instead: same
    parameters, name and docstring (`stnb.compare` is `stnb._compare.compare` returning the `Comparison`
    that also draws and writes pages)."""

    @functools.wraps(run)
    def public(*args: P.args, **kwargs: P.kwargs) -> R:
        return present(run(*args, **kwargs))

    return public
