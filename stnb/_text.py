"""Small wording helpers for messages people read (no dependencies: any layer may use them)."""

from __future__ import annotations

__all__ = ["plural"]


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """`count` and the noun in the number it takes: "1 record", "0 records", "2,345 categories".

    `plural_form`: for nouns that do not just add an "s" (default: `singular + "s"`).
    """
    noun = singular if count == 1 else plural_form or f"{singular}s"
    return f"{count:,} {noun}"
