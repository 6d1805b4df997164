"""Export checkpoints: the JSON-able position of a feed, saved atomically and loaded back checked."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from stnb.errors import ConfigError, UsageTypeError

__all__ = ["load_checkpoint", "save_checkpoint"]


def load_checkpoint(source: str | os.PathLike[str] | Mapping[str, Any]) -> dict[str, Any]:
    """A checkpoint dict from a saved JSON file or a mapping, checked for the expected keys."""
    if isinstance(source, Mapping):
        data = dict(source)
        where = "checkpoint"
    else:
        if not isinstance(source, str | os.PathLike):
            raise UsageTypeError(f"checkpoint must be a dict or a file path, got {type(source).__name__}")
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"cannot read export checkpoint {path}: {exc}") from None
        where = str(path)
        if not isinstance(data, dict):
            raise ConfigError(f"{path} does not hold an export checkpoint (expected a JSON object)")
    missing = [k for k in ("resource", "env", "tenant", "continue_from") if k not in data]
    if missing:
        raise ConfigError(f"{where} is not an export checkpoint: missing {', '.join(missing)}")
    return data


def save_checkpoint(checkpoint: Mapping[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write a checkpoint as JSON, atomically (a temporary file renamed over `path`); returns the path."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        tmp.write_text(json.dumps(checkpoint, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target
