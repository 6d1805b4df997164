"""Response bodies to Python values: msgspec's decoder, with the standard library's semantics.

Chosen on measurements (README, benchmarks/frames.py): msgspec and orjson both decode ServiceTitan pages
about 2x faster than `json.loads`; msgspec keeps integers beyond 64 bits exact as `json.loads` does, where
orjson turns them into floats. Bodies msgspec refuses but `json.loads` accepts (NaN, Infinity, a lone
surrogate, a byte-order mark) are decoded by `json.loads`, so every body decodes to the same value as before.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

__all__ = ["loads"]

_decoder = msgspec.json.Decoder()


def loads(data: bytes | str) -> Any:
    """The JSON value of `data`; `ValueError` when it is not JSON (as `json.loads`)."""
    try:
        return _decoder.decode(data)
    except msgspec.DecodeError:
        return json.loads(data)
