"""`import stnb` alone reaches every submodule the README names as `stnb.<module>.…`, loading each lazily.

Runs in a fresh interpreter: in this one, other tests have imported the submodules already.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import stnb

README = Path(__file__).resolve().parents[1] / "README.md"

PROBE = """
import json, sys
import stnb
before = sorted(m for m in sys.modules if m.startswith("stnb."))
names = json.loads(sys.argv[1])
reached = {name: getattr(stnb, name).__name__ for name in names}
print(json.dumps({"before": before, "reached": reached}))
"""


def readme_submodules() -> list[str]:
    """`stnb.<name>` in the README where <name> is a module (not a call such as `stnb.connect(...)`)."""
    package = Path(stnb.__file__).parent
    names = set(re.findall(r"\bstnb\.([a-z][a-z_]*)\b(?!\()", README.read_text(encoding="utf-8")))
    return sorted(n for n in names if (package / f"{n}.py").exists() or (package / n).is_dir())


def test_the_readme_uses_submodules_through_the_package() -> None:
    assert {"tenant_time", "sandbox", "usage"} <= set(readme_submodules())


def test_the_readme_names_no_internal_module() -> None:
    """Users are shown the public vocabulary only: `stnb._x` modules are internals whose names may change."""
    assert re.findall(r"\bstnb\._[a-z]\w*", README.read_text(encoding="utf-8")) == []


def test_submodules_named_in_the_readme_are_reachable_after_import_stnb() -> None:
    names = readme_submodules()
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(names)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "STNB_LEDGER": "off"},
    )
    probe = json.loads(result.stdout)
    assert probe["reached"] == {name: f"stnb.{name}" for name in names}
    heavy = {"stnb.sandbox", "stnb.usage", "stnb.reports", "stnb.widgets", "stnb.charts", "stnb.tenant_time"}
    assert heavy.isdisjoint(probe["before"])  # nothing is imported before it is used


def test_unknown_attributes_still_fail_and_dir_lists_the_submodules() -> None:
    try:
        stnb.no_such_module  # noqa: B018
    except AttributeError as exc:
        assert "no attribute 'no_such_module'" in str(exc)
    else:
        raise AssertionError("stnb.no_such_module did not raise AttributeError")
    assert {"tenant_time", "sandbox", "usage", "connect", "RetryPolicy"} <= set(dir(stnb))
    assert not [name for name in dir(stnb) if name.startswith("_") and not name.startswith("__")]


PUBLIC_MODULES = {"catalog", "charts", "cli", "errors", "recipes", "reports", "sandbox", "tables"}
PUBLIC_MODULES |= {"pages", "tenant_time", "usage", "widgets"}


def test_internal_modules_are_underscored_and_the_public_ones_are_the_vocabulary() -> None:
    package = Path(stnb.__file__).parent
    modules = {p.stem for p in package.glob("*.py")}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").exists()}
    public = {m for m in modules if not m.startswith("_")}
    assert public == PUBLIC_MODULES


def test_no_function_shadows_a_module() -> None:
    """`stnb.connect`, `stnb.compare` and `stnb.check` are functions, and importing every internal module
    (as the import system binds submodules on the package) leaves them functions."""
    probe = (
        "import importlib, pkgutil, stnb\n"
        "for m in pkgutil.iter_modules(stnb.__path__):\n"
        "    importlib.import_module('stnb.' + m.name)\n"
        "print(' '.join(n for n in ('connect', 'compare', 'check', 'connect_async', 'compare_all')"
        " if callable(getattr(stnb, n)) and not isinstance(getattr(stnb, n), type(stnb))))\n"
        "print(' '.join(sorted(n for n in dir(stnb) if not n.startswith('_') and n not in stnb.__all__)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "STNB_LEDGER": "off"},
    ).stdout.splitlines()
    assert out[0].split() == ["connect", "compare", "check", "connect_async", "compare_all"]
    public_names = set(stnb.__all__)
    for name in out[1].split() if len(out) > 1 else []:
        assert name in PUBLIC_MODULES | public_names, name
