"""The layers as the code shows them: every import in stnb/ points down (or within a layer), no cycles.

Each module of `stnb/` is read with `ast` (never imported). An *import* is any of:
- `import a.b` / `from a import b` at module level,
- the same inside a function, a method or a conditional block (imports moved into functions still count),
- `importlib.import_module("a.b")` (or `import_module(...)`) with a literal name, and its relative form
  `import_module(".b", __package__)`,
- imports under `if TYPE_CHECKING:`: *type-only* imports.

Type-only imports count for the layer direction: a lower layer that names an upper layer's type (even only
for the type checker) knows about that layer, so the arrow is drawn and must point down. They do not count
for cycles: a cycle is a runtime property (module A runs B's import while B runs A's), and a type-only
edge never executes. So `A -> B` at runtime plus `B -> A` under TYPE_CHECKING, with A below B, fails as an
upward arrow; with A and B in one layer it is allowed.

The layer table (`LAYERS`) is the picture docs/ARCHITECTURE.md draws. A module belongs to the layer of the
longest table entry that is its name or a package containing it; the root entry `stnb` (the package's
`__init__`, the facade) holds only itself, so a new top-level module fails
`test_every_module_of_stnb_is_in_a_layer` until it is placed. The sandbox stands beside the client: it
imports only the foundations, and neither the client nor the analysis imports it.

`stnb/__init__.py` maps the user's vocabulary (`stnb.connect`, `stnb.compare`, ...) onto the layers: it
belongs to the applications (the CLI and notebooks call it; nothing below may). Importing `stnb.x.y` also
runs `stnb/__init__` and `stnb/x/__init__`; those implicit edges are not drawn (the facade imports
nothing eagerly: tests/test_package.py and tests/test_startup.py check that).

`python tests/test_layers.py` prints the current problems.
"""

from __future__ import annotations

import ast
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[1] / "stnb"

# Lowest first. Each entry names a module or a package (everything under it).
LAYERS: dict[str, tuple[str, ...]] = {
    "foundations": (
        "stnb.errors",
        "stnb._clock",
        "stnb.catalog",
        "stnb._redact",
        "stnb._attempts",
        "stnb._json",
        "stnb._checks",
        "stnb._flow",  # the sans-IO driver (generators and their drivers): no I/O, no stnb import
        "stnb._progress",  # the one progress implementation, on the caller's clock (tqdm imported when drawn)
        "stnb._ledger",  # the usage ledger's file and writer: every connection records without `stnb.usage`
        "stnb._accessors",  # `st.reports` and the like, registered from above
        "stnb.tenant_time",
        "stnb._text",  # wording for messages ("1 record", "2 records"), used by every layer
    ),
    # Environments and credentials (`_config`) are what a client is built from.
    "client": ("stnb._config", "stnb._auth", "stnb._retry", "stnb._pacing", "stnb._client"),
    "sandbox": ("stnb.sandbox",),
    "data": (
        "stnb._query",
        "stnb._paging",
        "stnb._frames",
        "stnb._connection",
        "stnb._connect",
        "stnb._capacity",
        "stnb._seen",  # an export's record of handed-out ids (uses `_query`'s timestamp parser)
    ),
    "analysis": ("stnb.reports", "stnb.usage", "stnb._compare", "stnb._check", "stnb.recipes"),
    "presentation": ("stnb.charts", "stnb.tables", "stnb.widgets", "stnb.pages"),
    # `_snapshot` records a live tenant (data layer) into the sandbox's snapshot format (`stnb sandbox
    # record`): a tool over both, not an analysis. The facade (`stnb/__init__`) is the entry point.
    "applications": ("stnb.cli", "stnb._snapshot", "stnb"),
}

# Rank of each layer: an import may point to a lower or equal rank. The sandbox has the client's rank (data
# and above may use it to serve `connect(sandbox=True)`), but see FORBIDDEN and RESTRICTED.
RANK: dict[str, int] = {
    "foundations": 0,
    "client": 1,
    "sandbox": 1,
    "data": 2,
    "analysis": 3,
    "presentation": 4,
    "applications": 5,
}

# Arrows the ranks allow but the picture forbids: the sandbox is a stand-in for ServiceTitan, not a part of
# the client (the client knows it only as an httpx2 transport it is given); analysis works on any
# connection's frames, never on the fake API (shared file formats live in the foundations).
FORBIDDEN: frozenset[tuple[str, str]] = frozenset(
    {("client", "sandbox"), ("sandbox", "client"), ("analysis", "sandbox")}
)

# Layers that may import only the listed layers (besides themselves).
RESTRICTED: dict[str, frozenset[str]] = {"sandbox": frozenset({"foundations"})}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module (a module of the package)
    line: int
    type_only: bool
    how: str  # "module level", "in a function", "importlib", "TYPE_CHECKING"


def module_names(package_dir: Path, package: str) -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its __init__.py)."""
    names: dict[str, Path] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join([package, *parts])] = path
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(module: str | None, level: int, current: str, is_package: bool) -> str:
    """The absolute name of `from <level dots><module> import ...` written in module `current`."""
    if level == 0:
        return module or ""
    base = current.split(".") if is_package else current.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, module] if module else base)


class _Reader(ast.NodeVisitor):
    """Collects (name, line, type_only, how) for every import in one module."""

    def __init__(self, current: str, is_package: bool) -> None:
        self.current = current
        self.is_package = is_package
        self.found: list[tuple[str, list[str], int, bool, str]] = []
        self._depth = 0  # inside a function
        self._type_only = 0

    def _how(self) -> str:
        if self._type_only:
            return "TYPE_CHECKING"
        return "in a function" if self._depth else "module level"

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            self._type_only += 1
            for child in node.body:
                self.visit(child)
            self._type_only -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        self._depth += 1
        self.generic_visit(node)
        self._depth -= 1

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function
    visit_Lambda = _function

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.found.append((alias.name, [], node.lineno, self._type_only > 0, self._how()))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _absolute(node.module, node.level, self.current, self.is_package)
        names = [alias.name for alias in node.names]
        self.found.append((base, names, node.lineno, self._type_only > 0, self._how()))

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
        if name == "import_module" and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                target = first.value
                if target.startswith("."):
                    level = len(target) - len(target.lstrip("."))
                    target = _absolute(target.lstrip(".") or None, level, self.current, self.is_package)
                self.found.append((target, [], node.lineno, self._type_only > 0, "importlib"))
        self.generic_visit(node)


def read_imports(package_dir: Path, package: str) -> list[Import]:
    """Every import of a package module by a package module."""
    modules = module_names(package_dir, package)
    imports: list[Import] = []
    for name, path in modules.items():
        reader = _Reader(name, path.name == "__init__.py")
        reader.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        for base, names, line, type_only, how in reader.found:
            # `from a import b` imports the module a.b when there is one, else a name defined in a.
            targets = [f"{base}.{n}" for n in names if f"{base}.{n}" in modules] or [base]
            if names and len(targets) < len(names) and targets[0] != base:
                targets.append(base)  # some names are modules, others are defined in `base`
            for target in targets:
                while target and target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]  # `import a.b.c` where c is a name, or a module outside
                if target in modules and target != name:
                    imports.append(Import(name, target, line, type_only, how))
    return imports


def layer_of(module: str, layers: dict[str, tuple[str, ...]]) -> str:
    """The layer of the longest entry naming the module or a package holding it. The root package (an entry
    without a dot: the facade) holds only itself, so a new module must be placed in the table."""
    best, best_len = "", -1
    for layer, entries in layers.items():
        for entry in entries:
            inside = "." in entry and module.startswith(entry + ".")
            if (module == entry or inside) and len(entry) > best_len:
                best, best_len = layer, len(entry)
    if not best:
        raise AssertionError(f"{module} is in no layer: add it to the layer table")
    return best


def upward(
    imports: Iterable[Import],
    layers: dict[str, tuple[str, ...]],
    rank: dict[str, int],
    forbidden: frozenset[tuple[str, str]] = frozenset(),
    restricted: dict[str, frozenset[str]] | None = None,
) -> list[str]:
    """One readable line per import that points up (or sideways where the table forbids it)."""
    problems = []
    for imp in imports:
        src, dst = layer_of(imp.source, layers), layer_of(imp.target, layers)
        if src == dst:
            continue
        allowed = (restricted or {}).get(src)
        if rank[dst] > rank[src]:
            why = f"{src} -> {dst} points up"
        elif (src, dst) in forbidden:
            why = f"{src} -> {dst} is not an arrow of the picture"
        elif allowed is not None and dst not in allowed:
            why = f"{src} may import only {', '.join(sorted(allowed))}, not {dst}"
        else:
            continue
        problems.append(f"{imp.source}:{imp.line} imports {imp.target} ({imp.how}): {why}")
    return sorted(set(problems))


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def cycles(imports: Iterable[Import]) -> list[str]:
    """One readable line per import cycle (runtime imports only), naming the imports that close it."""
    graph: dict[str, set[str]] = {}
    lines: dict[tuple[str, str], list[Import]] = {}
    for imp in imports:
        if imp.type_only:
            continue
        graph.setdefault(imp.source, set()).add(imp.target)
        lines.setdefault((imp.source, imp.target), []).append(imp)
    problems = []
    for component in strongly_connected(graph):
        members = set(component)
        edges = sorted(
            f"{a}:{imp.line} -> {b} ({imp.how})"
            for (a, b), imps in lines.items()
            if a in members and b in members
            for imp in imps[:1]
        )
        problems.append(f"cycle between {', '.join(component)}: " + "; ".join(edges))
    return problems


def _report(title: str, problems: list[str]) -> str:
    return f"{len(problems)} {title}:\n  " + "\n  ".join(problems)


# --- stnb itself ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stnb_imports() -> list[Import]:
    return read_imports(PACKAGE_DIR, "stnb")


def test_every_module_of_stnb_is_in_a_layer() -> None:
    for module in module_names(PACKAGE_DIR, "stnb"):
        layer_of(module, LAYERS)  # raises with the module's name


def test_every_layer_entry_names_a_module() -> None:
    modules = module_names(PACKAGE_DIR, "stnb")
    stale = [e for entries in LAYERS.values() for e in entries if e not in modules]
    assert stale == [], f"layer table names modules that do not exist: {stale}"


def test_no_import_in_stnb_points_up(stnb_imports: list[Import]) -> None:
    problems = upward(stnb_imports, LAYERS, RANK, FORBIDDEN, RESTRICTED)
    assert not problems, _report("imports point up a layer (see docs/ARCHITECTURE.md)", problems)


def test_no_import_cycle_in_stnb(stnb_imports: list[Import]) -> None:
    problems = cycles(stnb_imports)
    assert not problems, _report("import cycles", problems)


def test_the_reader_sees_the_imports_stnb_is_known_to_use(stnb_imports: list[Import]) -> None:
    """Guards the reader itself: a module-level import, a lazy one and a type-only one it must find."""
    edges = {(i.source, i.target, i.how) for i in stnb_imports}
    assert ("stnb._client", "stnb.errors", "module level") in edges
    assert any(s == "stnb" and h == "TYPE_CHECKING" for s, _, h in edges)
    assert any(h == "in a function" for _, _, h in edges)


def architecture_picture(text: str) -> dict[str, set[str]]:
    """The layer picture in docs/ARCHITECTURE.md (its first code block): layer -> the modules it names.

    A line starting with a layer's name opens that layer; indented lines continue it."""
    block = text.split("```\n", 2)[1]
    picture: dict[str, set[str]] = {}
    current = ""
    for line in block.splitlines():
        words = line.split()
        if line[:1].isalpha() and words:
            current = words[0]
            picture.setdefault(current, set())
        if current:
            picture[current] |= set(re.findall(r"\bstnb(?:\.\w+)*", line))
    return picture


def test_docs_architecture_draws_the_same_layers() -> None:
    text = (PACKAGE_DIR.parent / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    assert architecture_picture(text) == {layer: set(entries) for layer, entries in LAYERS.items()}


# --- the checker on a synthetic package ----------------------------------------------------------------

SYNTHETIC = {
    "__init__.py": "",
    "base.py": """
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from demo.top import Page  # type-only, and upward
    """,
    "mid/__init__.py": "from .one import f\n",
    "mid/one.py": """
        from demo import base

        def f():
            from demo.mid import two  # lazy: still an import, and it closes a cycle
            return two
    """,
    "mid/two.py": "from . import one\n",
    "side.py": """
        import importlib

        def g():
            return importlib.import_module("demo.mid.one")  # sideways into a layer it may not use
    """,
    "top.py": "import demo.mid\nclass Page: ...\n",
    "sneaky.py": """
        def h():
            import demo.top  # in a function, and upward
    """,
}

SYNTHETIC_LAYERS: dict[str, tuple[str, ...]] = {
    "low": ("demo.base", "demo.sneaky"),
    "side": ("demo.side",),
    "mid": ("demo.mid",),
    "high": ("demo.top",),
    "facade": ("demo",),
}
SYNTHETIC_RANK = {"low": 0, "side": 1, "mid": 1, "high": 2, "facade": 3}


def _write(root: Path, files: dict[str, str]) -> Path:
    package = root / "demo"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return package


def test_the_checker_catches_an_upward_import_of_each_kind(tmp_path: Path) -> None:
    imports = read_imports(_write(tmp_path, SYNTHETIC), "demo")
    problems = upward(
        imports,
        SYNTHETIC_LAYERS,
        SYNTHETIC_RANK,
        frozenset({("side", "mid")}),
        {"side": frozenset({"low"})},
    )
    assert problems == [
        "demo.base:4 imports demo.top (TYPE_CHECKING): low -> high points up",
        "demo.side:5 imports demo.mid.one (importlib): side -> mid is not an arrow of the picture",
        "demo.sneaky:3 imports demo.top (in a function): low -> high points up",
    ]


def test_the_checker_catches_a_cycle_but_not_a_type_only_one(tmp_path: Path) -> None:
    imports = read_imports(_write(tmp_path, SYNTHETIC), "demo")
    assert cycles(imports) == [
        "cycle between demo.mid.one, demo.mid.two: "
        "demo.mid.one:5 -> demo.mid.two (in a function); "
        "demo.mid.two:1 -> demo.mid.one (module level)"
    ]
    # base -> top only for the type checker, top -> mid -> base at runtime: no runtime cycle through base.
    assert not any("demo.base" in p for p in cycles(imports))


def test_the_checker_passes_a_package_that_keeps_its_layers(tmp_path: Path) -> None:
    clean = {
        "__init__.py": "",
        "base.py": "import json\n",
        "mid/__init__.py": "",
        "mid/one.py": "from demo import base\nfrom . import two\n",
        "mid/two.py": "import importlib\nX = importlib.import_module('demo.base')\n",
        "top.py": """
            from demo.mid.one import base
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                import demo.mid
        """,
        "side.py": "from demo.base import json\n",
        "sneaky.py": "",
    }
    imports = read_imports(_write(tmp_path, clean), "demo")
    assert len(imports) >= 5
    forbidden, restricted = frozenset({("side", "mid")}), {"side": frozenset({"low"})}
    assert upward(imports, SYNTHETIC_LAYERS, SYNTHETIC_RANK, forbidden, restricted) == []
    assert cycles(imports) == []


def test_a_module_outside_the_table_is_named(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"demo\.extra is in no layer"):
        layer_of("demo.extra", SYNTHETIC_LAYERS)  # the root entry "demo" holds only the package itself


if __name__ == "__main__":  # `python tests/test_layers.py`: print the current problems
    found = read_imports(PACKAGE_DIR, "stnb")
    print(_report("upward", upward(found, LAYERS, RANK, FORBIDDEN, RESTRICTED)))
    print(_report("cycles", cycles(found)))
    sys.exit(0)
