"""No process-wide side effects on import or on a call (issue 16): library code leaves the process's warning
filters, garbage collector, environment, signals and interpreter settings as it found them.

The applications (`stnb/cli`) own their process and may set signal handlers; the library may not.
"""

from __future__ import annotations

import ast
import threading
import warnings
from pathlib import Path

import stnb
from stnb._flow import collect_warnings, warn_caller

PACKAGE = Path(stnb.__file__).parent

# module.function calls that switch something for the whole process
SWITCHES = {
    "warnings": {"catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"},
    "gc": {"disable", "enable", "freeze", "unfreeze", "set_threshold"},
    "sys": {"setrecursionlimit", "setswitchinterval", "settrace", "setprofile"},
    "os": {"putenv", "unsetenv", "chdir", "umask"},
    "locale": {"setlocale"},
    "socket": {"setdefaulttimeout"},
    "logging": {"basicConfig", "disable"},
    "signal": {"signal"},
    "atexit": {"register"},
}
ENVIRON_WRITES = {"setdefault", "update", "pop", "clear", "__setitem__", "__delitem__"}
# Deliberate, documented: the usage ledger flushes what it still holds when the interpreter exits.
ALLOWED = {("_ledger/writer.py", "atexit.register")}


def switches_in(source: str) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = node.func.attr
            if isinstance(owner, ast.Name) and name in SWITCHES.get(owner.id, ()):
                found.append(f"{owner.id}.{name}")
            if _is_environ(owner) and name in ENVIRON_WRITES:
                found.append(f"os.environ.{name}")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, ast.AugAssign
        ) else node.targets if isinstance(node, ast.Delete) else []
        for target in targets:
            if isinstance(target, ast.Subscript) and _is_environ(target.value):
                found.append("os.environ[...] =")
            if (
                isinstance(target, ast.Attribute)
                and isinstance(target.value, ast.Name)
                and target.value.id == "sys"
                and target.attr in {"excepthook", "stdout", "stderr", "path"}
            ):
                found.append(f"sys.{target.attr} =")
    return found


def _is_environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and isinstance(node.value, ast.Name)


def test_library_code_switches_nothing_process_wide() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("cli/"):
            continue
        for switch in switches_in(path.read_text(encoding="utf-8")):
            if (relative, switch) not in ALLOWED:
                offenders.append(f"{relative}: {switch}")
    assert offenders == []


def test_the_scan_sees_each_kind_of_switch() -> None:
    source = (
        "import gc, os, sys, warnings\n"
        "def f():\n"
        "    with warnings.catch_warnings():\n"
        "        warnings.simplefilter('ignore')\n"
        "    gc.disable()\n"
        "    os.environ.setdefault('A', 'b')\n"
        "    os.environ['A'] = 'c'\n"
        "    sys.excepthook = print\n"
    )
    assert sorted(switches_in(source)) == sorted(
        [
            "warnings.catch_warnings",
            "warnings.simplefilter",
            "gc.disable",
            "os.environ.setdefault",
            "os.environ[...] =",
            "sys.excepthook =",
        ]
    )


def test_collected_warnings_are_kept_from_the_user_in_this_context_only() -> None:
    """A collecting block takes stnb's warnings raised in its own thread; another thread's warnings, raised
    while the block runs, still reach the warning machinery (`warnings.catch_warnings` would hide them)."""
    inside = threading.Event()
    raised = threading.Event()

    def other_thread() -> None:
        inside.wait(5)
        warn_caller("from another thread", UserWarning)
        raised.set()

    with warnings.catch_warnings(record=True) as shown:  # the test's observer, set before both threads run
        warnings.simplefilter("always")
        thread = threading.Thread(target=other_thread)
        thread.start()
        with collect_warnings() as caught:
            warn_caller("collected", UserWarning)
            inside.set()
            assert raised.wait(5)
        thread.join(5)
        warn_caller("after the block", UserWarning)
    assert [str(w) for w in caught] == ["collected"] and all(isinstance(w, UserWarning) for w in caught)
    assert [str(w.message) for w in shown] == ["from another thread", "after the block"]
