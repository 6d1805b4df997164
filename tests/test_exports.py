"""No dead exports: every name a module of stnb/ lists in `__all__` is used somewhere.

A name is *used* when some text mentions it beyond its own bookkeeping: the module that defines it (its
definition and its `__all__` entry) and package `__init__` modules that only re-export it (an import line
and an `__all__` entry). Uses count anywhere a user or the code can see them: stnb/ itself, tests/,
scripts/, benchmarks/, README.md, docs/ and the notebooks. Dunder names (`__version__`) are exempt.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stnb"


def _all_names(tree: ast.Module) -> list[str]:
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            assert isinstance(node, ast.Assign) and isinstance(node.value, (ast.List, ast.Tuple))
            return [e.value for e in node.value.elts if isinstance(e, ast.Constant) and type(e.value) is str]
    return []


def _reexports(tree: ast.Module, name: str) -> bool:
    """The module imports `name` and lists it in `__all__`: bookkeeping worth two mentions."""
    imported = any(
        isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names)
        for node in ast.walk(tree)
    )
    return imported and name in _all_names(tree)


def dead_exports(package: Path, corpus: dict[Path, str]) -> list[str]:
    trees = {p: ast.parse(corpus[p]) for p in corpus if p.is_relative_to(package) and p.suffix == ".py"}
    words = Counter(w for text in corpus.values() for w in re.findall(r"\w+", text))
    dead = []
    for path, tree in sorted(trees.items()):
        for name in _all_names(tree):
            if name.startswith("__"):
                continue
            mentions = words[name]
            bookkeeping = 2 + sum(
                2 for p, t in trees.items() if p != path and p.name == "__init__.py" and _reexports(t, name)
            )
            if mentions <= bookkeeping:
                dead.append(f"{path.relative_to(package.parent)}: {name}")
    return dead


def _corpus() -> dict[Path, str]:
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "tests").rglob("*.py"), *(ROOT / "scripts").glob("*.py")]
    files += [*(ROOT / "benchmarks").glob("*.py"), ROOT / "README.md", *(ROOT / "docs").glob("*.md")]
    files += [*(ROOT / "notebooks").glob("*.ipynb")]
    this = Path(__file__).resolve()
    return {p: p.read_text(encoding="utf-8") for p in files if p.resolve() != this}


def test_no_dead_exports() -> None:
    dead = dead_exports(PACKAGE, _corpus())
    assert not dead, "names exported and used nowhere (remove them, or drop them from __all__):\n  " + (
        "\n  ".join(dead)
    )


def test_the_check_finds_a_dead_export_and_spares_a_used_one(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    files = {
        package / "__init__.py": (
            'from pkg.mod import used, reexported_only\n__all__ = ["used", "reexported_only"]\n'
        ),
        package / "mod.py": (
            '__all__ = ["used", "reexported_only", "unused", "__version__"]\n__version__ = "1"\n'
            "def used(): ...\ndef reexported_only(): ...\ndef unused(): ...\n"
        ),
        tmp_path / "README.md": "Call `pkg.used()`.\n",
    }
    corpus = {path: text for path, text in files.items()}
    assert dead_exports(package, corpus) == ["pkg/mod.py: reexported_only", "pkg/mod.py: unused"]
