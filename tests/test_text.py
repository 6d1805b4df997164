"""Counts in messages read as words: "1 record", "2 records", never "record(s)"."""

from __future__ import annotations

import io
import json
import re
import tokenize
from pathlib import Path

from stnb._text import plural

REPO = Path(__file__).resolve().parents[1]


def test_plural_agrees_with_the_count_and_separates_thousands() -> None:
    assert plural(1, "record") == "1 record"
    assert plural(0, "record") == "0 records"
    assert plural(2, "record") == "2 records"
    assert plural(12345, "row") == "12,345 rows"
    assert plural(1, "category", "categories") == "1 category"
    assert plural(3, "category", "categories") == "3 categories"


def _strings(path: Path) -> list[str]:
    """The text a person may read in `path`: string literals of Python code, markdown of notebooks."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        cells = json.loads(text)["cells"]
        return ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"] + [
            s for c in cells if c["cell_type"] == "code" for s in _literals("".join(c["source"]))
        ]
    return _literals(text) if path.suffix == ".py" else [text]


def _literals(code: str) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return [t.string for t in tokens if t.type == tokenize.STRING]


def test_no_user_facing_text_says_s_in_parentheses() -> None:
    """No "record(s)" or "request(s)" in stnb's messages, notebooks or README ("http(s)" is a scheme)."""
    sources = [*(REPO / "stnb").rglob("*.py"), *(REPO / "notebooks").glob("*.ipynb"), REPO / "README.md"]
    found = [
        f"{path.relative_to(REPO)}: {match.group(0)}"
        for path in sources
        for text in _strings(path)
        for match in re.finditer(r"\b[a-z]+\(s\)", text)
        if match.group(0) != "http(s)"
    ]
    assert found == []
    assert "record(s)" in "".join(_literals('x = f"{n} record(s)"'))  # the scan sees f-strings
