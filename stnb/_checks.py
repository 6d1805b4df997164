"""Argument checks shared by the public surface: each raises one `UsageError` saying what was wrong and
what is accepted, before any request is sent and before any long pull starts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from stnb.errors import InvalidRequest, UsageError, UsageTypeError

__all__ = ["OUTPUT_SUFFIXES", "check_output_path", "check_record_id", "check_transport"]

OUTPUT_SUFFIXES = (".parquet", ".csv")


def check_output_path(path: Any, suffixes: tuple[str, ...] = OUTPUT_SUFFIXES) -> Path:
    """`path` as a Path that a pull can write: a known suffix, not a directory, its folder usable."""
    if not isinstance(path, str | os.PathLike) or isinstance(path, bytes):
        raise UsageTypeError(f"the output path must be text or a Path, got {type(path).__name__}")
    try:
        target = Path(path).expanduser()
    except (TypeError, ValueError) as exc:
        raise UsageError(f"the output path {path!r} is not usable: {exc}") from None
    try:
        str(target).encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(
            f"the output path {str(target)!r} holds bytes that are not valid text; choose another name"
        ) from None
    accepted = " or ".join(suffixes)
    if target.suffix.lower() not in suffixes:
        raise UsageError(f"the output file must end in {accepted}, got {target.name or str(target)!r}")
    if target.is_dir():
        raise UsageError(f"{target} is a directory; give a file name ending in {accepted}")
    folder = target.parent
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"cannot write {target}: {parent} is a file, not a folder")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise UsageError(f"cannot write {target}: no permission to write in {parent}")
            break
    return target


def check_record_id(value: Any, name: str = "id") -> int | str:
    """A record id: a whole number or non-empty text (None, True/False and other types are refused)."""
    if value is None:
        raise InvalidRequest(
            f"{name} is required: pass the record's id (e.g. 12345)", errors={name: ["missing"]}
        )
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageTypeError(f"{name} must be a whole number or text, got {type(value).__name__}")
    if isinstance(value, str) and not value.strip():
        raise InvalidRequest(f"{name} is empty: pass the record's id", errors={name: ["empty"]})
    return value


def check_transport(transport: Any) -> None:
    """`transport=` takes an httpx2 transport. An httpx (0.x) one, from code written before stnb moved to
    httpx2, would only fail later as an unreachable token endpoint: say so now, naming the httpx2 twin."""
    if transport is None:
        return
    kind = type(transport)
    if kind.__module__.partition(".")[0] == "httpx":
        raise UsageTypeError(
            f"transport= takes an httpx2 transport (stnb runs on httpx2), got httpx.{kind.__name__}: "
            f"pass httpx2.{kind.__name__} instead (same arguments; only the import changes)"
        )
