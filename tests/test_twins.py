"""No near-identical block of six lines or more between the sync and async twins in stnb/ (issue 16).

Twins are a class `X` and `AsyncX` in one module, and module-level functions `f` and `af` / `f_async` /
`async def` namesakes. Their source is compared line by line after normalising what makes a twin a twin:
`async` / `await`, the `Async` prefix, `__a*__` dunders, `a`-prefixed names whose sync name the other twin
uses (`aclose`, `arun`, `_atyped`), the `_async` suffix; then every identifier, string and number becomes a
placeholder (the same shape with other names still counts). Blank lines, comments, docstrings, decorators
and lines of punctuation alone are left out. A run of six or more equal lines is a block written twice:
share it (one helper, or one description both twins are generated from). `KNOWN` lists the blocks still
left, each with its reason; the test also fails when one of them is gone, so the list stays true.
"""

from __future__ import annotations

import ast
import difflib
import io
import keyword
import re
import tokenize
from pathlib import Path

STNB = Path(__file__).resolve().parents[1] / "stnb"
MIN_LINES = 6

# (file, sync twin, async twin): blocks still written twice, with the reason (none left).
KNOWN: dict[tuple[str, str, str], str] = {}


def _twins(tree: ast.Module) -> list[tuple[ast.AST, ast.AST]]:
    """Pairs at module level, and pairs of methods within one class (`token` / `atoken`)."""
    pairs = _pairs(tree.body)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            pairs += _pairs(node.body)
    return pairs


def _pairs(body: list[ast.stmt]) -> list[tuple[ast.AST, ast.AST]]:
    top = {
        node.name: node
        for node in body
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
    }
    pairs: list[tuple[ast.AST, ast.AST]] = []
    for name, node in top.items():
        for other in (
            f"Async{name}",
            f"a{name}",
            f"_a{name[1:]}" if name.startswith("_") else "",
            f"{name}_async",
        ):
            if other and other in top and other != name:
                pairs.append((node, top[other]))
    return pairs


def _docstring_lines(node: ast.AST) -> set[int]:
    lines: set[int] = set()
    for sub in ast.walk(node):
        if isinstance(sub, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef | ast.Module) and sub.body:
            first = sub.body[0]
            if (
                isinstance(first, ast.Expr)
                and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)
            ):
                lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
        if isinstance(sub, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            for dec in sub.decorator_list:
                lines.update(range(dec.lineno, (dec.end_lineno or dec.lineno) + 1))
    return lines


_DUNDER = re.compile(r"__a(enter|exit|iter|next)__")
_PUNCT = re.compile(r"^[\s()\[\]{}:,.\->]*$")


def _normalised(source: list[str], node: ast.AST, sync_names: set[str]) -> list[tuple[int, str]]:
    """(line number, normalised text) of the node's code lines."""
    skip = _docstring_lines(node)
    start, end = node.lineno, node.end_lineno or node.lineno  # type: ignore[attr-defined]
    out = []
    for number in range(start, end + 1):
        if number in skip:
            continue
        text = source[number - 1]
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(text.strip() + "\n").readline))
        except (tokenize.TokenError, IndentationError, SyntaxError):
            tokens = []
        words = []
        for tok in tokens:
            if tok.type == tokenize.COMMENT or tok.type in (
                tokenize.NEWLINE,
                tokenize.NL,
                tokenize.ENDMARKER,
            ):
                continue
            value = tok.string
            if tok.type == tokenize.NAME:
                if value in ("async", "await"):
                    continue
                value = _DUNDER.sub(r"__\1__", value)
                value = re.sub(r"^Async(?=[A-Z])", "", value)
                value = re.sub(r"_async$", "", value)
                for prefix in ("a", "_a"):
                    rest = ("_" if prefix == "_a" else "") + value[len(prefix) :]
                    if value.startswith(prefix) and rest in sync_names:
                        value = rest
                value = (
                    value if keyword.iskeyword(value) or value in ("self", "None", "True", "False") else "N"
                )
            elif tok.type in (tokenize.STRING, tokenize.NUMBER) or tok.type == getattr(
                tokenize, "FSTRING_START", -1
            ):
                value = "L"
            words.append(value)
        line = " ".join(words)
        if not line or _PUNCT.match(line):
            continue
        out.append((number, line))
    return out


def _names(source: list[str], node: ast.AST) -> set[str]:
    return (
        {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
        | {
            n.name
            for n in ast.walk(node)
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        }
    )


def twin_blocks(root: Path = STNB) -> dict[tuple[str, str, str], list[str]]:
    """Every block of MIN_LINES or more equal normalised lines between twins, by (file, sync, async)."""
    found: dict[tuple[str, str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        source = text.splitlines()
        tree = ast.parse(text)
        for sync, twin in _twins(tree):
            names = _names(source, sync)
            left = _normalised(source, sync, names)
            right = _normalised(source, twin, names)
            matcher = difflib.SequenceMatcher(
                None, [t for _, t in left], [t for _, t in right], autojunk=False
            )
            blocks = [
                f"{left[m.a][0]}-{left[m.a + m.size - 1][0]} ~ "
                f"{right[m.b][0]}-{right[m.b + m.size - 1][0]} ({m.size} lines)"
                for m in matcher.get_matching_blocks()
                if m.size >= MIN_LINES
            ]
            if blocks:
                rel = path.relative_to(root.parent).as_posix()
                found[(rel, sync.name, twin.name)] = blocks  # type: ignore[attr-defined]
    return found


def test_no_block_is_written_twice_between_sync_and_async_twins() -> None:
    found = twin_blocks()
    new = {key: blocks for key, blocks in found.items() if key not in KNOWN}
    listing = "\n".join(f"{f}: {s} / {a}: {', '.join(b)}" for (f, s, a), b in sorted(new.items()))
    assert not new, f"near-identical blocks between sync and async twins (share them):\n{listing}"
    gone = sorted(set(KNOWN) - set(found))
    assert not gone, f"these twins no longer repeat a block: take them off KNOWN: {gone}"


def test_the_check_finds_a_block_written_twice(tmp_path: Path) -> None:
    package = tmp_path / "stnb"
    package.mkdir()
    body = "\n".join(f"        total = total + step({i}) * {i}" for i in range(MIN_LINES))
    (package / "m.py").write_text(
        "class Walker:\n    def walk(self, step):\n        total = 0\n"
        + body
        + "\n        return total\n\n\n"
        "class AsyncWalker:\n    async def walk(self, step):\n        total = 0\n"
        + body.replace("step(", "await step(")
        + "\n        return total\n",
        encoding="utf-8",
    )
    assert list(twin_blocks(package)) == [("stnb/m.py", "Walker", "AsyncWalker")]
    (package / "m.py").write_text(
        "class Walker:\n    pass\n\n\nclass AsyncWalker:\n    pass\n", encoding="utf-8"
    )
    assert twin_blocks(package) == {}
