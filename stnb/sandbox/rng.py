"""Seeded randomness as polars expressions: a hashed Weyl sequence over (seed, stream, name, row key).

Every draw is a pure function of its inputs, so a column can be generated vectorised for a million rows
and any single row can be recomputed alone. The arithmetic wraps on UInt64 exactly like the Python
reference `uniform_py`, so the output is identical on every platform (polars' own `hash` is only stable
within one build). The mixer is one xorshift-multiply-xorshift round: plenty for demo data, and about
six vectorised operations per draw.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import polars as pl

__all__ = ["Draws", "pick", "pick_grouped", "pick_weighted", "salt_of", "uniform_py"]

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_MULT = 0xBF58476D1CE4E5B9
_BELOW_ONE = 1.0 - float(2.0**-53)
_TWO_POW_MINUS_64 = float(2.0**-64)


def salt_of(*parts: object) -> int:
    """A 64-bit salt from any labels (stable across runs and platforms, unlike `hash()`)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big")


def _u64(value: int) -> pl.Expr:
    return pl.lit(value & _MASK, dtype=pl.UInt64)


def uniform_py(salt: int, key: int) -> float:
    """The Python reference of `Draws.uniform` for one row."""
    z = (key * _GOLDEN + salt) & _MASK
    z = ((z ^ (z >> 31)) * _MULT) & _MASK
    z ^= z >> 29
    return min(float(z) * _TWO_POW_MINUS_64, _BELOW_ONE)


class Draws:
    """Random columns for one stream; `key` is an integer expression that identifies the row."""

    def __init__(self, seed: int, *stream: object) -> None:
        self._stream = (seed, *stream)
        self._salts: dict[str, int] = {}

    def salt(self, name: str) -> int:
        salt = self._salts.get(name)
        if salt is None:
            salt = self._salts[name] = salt_of(*self._stream, name)
        return salt

    def uniform(self, key: pl.Expr, name: str) -> pl.Expr:
        """Float64 in [0, 1)."""
        z = key.cast(pl.UInt64) * _u64(_GOLDEN) + _u64(self.salt(name))
        z = (z ^ (z // _u64(1 << 31))) * _u64(_MULT)
        z = z ^ (z // _u64(1 << 29))
        return (z.cast(pl.Float64) * _TWO_POW_MINUS_64).clip(upper_bound=_BELOW_ONE)

    def uniform_py(self, key: int, name: str) -> float:
        return uniform_py(self.salt(name), key)

    def integers(self, key: pl.Expr, name: str, low: int, high: int) -> pl.Expr:
        """Int64 in [low, high] inclusive."""
        return (self.uniform(key, name) * (high - low + 1)).floor().cast(pl.Int64) + low

    def integers_py(self, key: int, name: str, low: int, high: int) -> int:
        return int(self.uniform_py(key, name) * (high - low + 1)) + low

    def bernoulli(self, key: pl.Expr, name: str, p: float | pl.Expr) -> pl.Expr:
        return self.uniform(key, name) < p

    def choice(
        self, key: pl.Expr, name: str, values: Sequence[Any], weights: Sequence[float] | None = None
    ) -> pl.Expr:
        """One of `values` per row, with optional relative weights."""
        return pick_weighted(self.uniform(key, name), values, weights)

    def index(self, key: pl.Expr, name: str, n: int, weights: Sequence[float] | None = None) -> pl.Expr:
        """A (weighted) index in [0, n) per row."""
        return weighted_index(self.uniform(key, name), n, weights)


def weighted_index(u: pl.Expr, n: int, weights: Sequence[float] | None = None) -> pl.Expr:
    """Map a uniform draw to an index in [0, n), proportionally to `weights` when given."""
    if weights is None:
        return (u * n).floor().cast(pl.Int64)
    total = float(sum(weights))
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    cumulative[-1] = 1.0
    edges = pl.lit(pl.Series(cumulative, dtype=pl.Float64))
    return edges.search_sorted(u, side="right").cast(pl.Int64).clip(0, n - 1)


def pick_weighted(u: pl.Expr, values: Sequence[Any], weights: Sequence[float] | None = None) -> pl.Expr:
    """values[i] where i is the (weighted) index a uniform draw falls on."""
    return pick(values, weighted_index(u, len(values), weights))


def pick_grouped(
    group: pl.Expr, u: pl.Expr, choices: Sequence[tuple[Sequence[Any], Sequence[float] | None]]
) -> pl.Expr:
    """values[i] from the row's group: `choices[group]` is (values, weights or None for uniform).

    One search over all groups' cumulative weights laid end to end (group g spans [g, g + 1)), instead
    of one search per group.
    """
    edges: list[float] = []
    flat: list[Any] = []
    for g, (values, weights) in enumerate(choices):
        shares = list(weights) if weights is not None else [1.0] * len(values)
        total, running = float(sum(shares)), 0.0
        for value, share in zip(values, shares, strict=True):
            running += share / total
            edges.append(g + min(running, 1.0))
            flat.append(value)
        edges[-1] = g + 1.0
    target = group.cast(pl.Float64) + u
    position = pl.lit(pl.Series(edges, dtype=pl.Float64)).search_sorted(target, side="right")
    return pick(flat, position.cast(pl.Int64).clip(0, len(flat) - 1))


def pick(values: Sequence[Any], index: pl.Expr) -> pl.Expr:
    """values[index] per row."""
    return pl.lit(pl.Series(list(values))).gather(index)
