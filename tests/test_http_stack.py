"""stnb's own code runs on httpx2, by explicit imports: nothing in stnb/ imports `httpx`, nothing installs an
alias or an import hook that would make `import httpx` answer with httpx2 (httpx2 ships one; it is never
called), and a pull through the CLI leaves `httpx` unimported. httpx stays in requirements.lock only
because JupyterLab brings it (tests/test_install.py checks the lock)."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "stnb"
ALIAS_HOOK = "alias_" + "httpx"  # httpx2's process-wide alias (spelled apart so this file does not match)


def _is_httpx(name: str) -> bool:
    return name == "httpx" or name.startswith("httpx.")


def httpx_imports(source: str) -> list[int]:
    """Lines of `source` that import httpx (not httpx2): import statements anywhere in the module, and
    `importlib.import_module` / `__import__` with a literal name."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            names = []
        if any(_is_httpx(name) for name in names):
            lines.append(node.lineno)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and _is_httpx(str(node.args[0].value)):
                lines.append(node.lineno)
    return lines


def test_the_reader_finds_every_form_of_importing_httpx() -> None:
    source = (
        "import httpx\nimport httpx2\nfrom httpx import Client\nfrom httpx2 import Client\n"
        "def f():\n    import httpx._transports as t\n"
        "import importlib\nimportlib.import_module('httpx')\n__import__('httpx2')\n"
    )
    assert httpx_imports(source) == [1, 3, 6, 8]


def test_nothing_in_stnb_imports_httpx() -> None:
    found = {
        str(path.relative_to(ROOT)): lines
        for path in sorted(PACKAGE.rglob("*.py"))
        if (lines := httpx_imports(path.read_text(encoding="utf-8")))
    }
    assert found == {}


def test_no_alias_or_import_hook_for_httpx() -> None:
    """Neither httpx2's alias nor a hand-made one (`sys.modules["httpx"] = ...`) anywhere in the project."""
    hand_made = ('sys.modules["httpx"]', "sys.modules['httpx']")
    offenders = []
    for folder in ("stnb", "tests", "benchmarks", "scripts", "notebooks"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix not in (".py", ".ipynb") or path == Path(__file__):
                continue
            text = path.read_text(encoding="utf-8")
            if ALIAS_HOOK in text or any(hook in text for hook in hand_made):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_a_pull_runs_on_httpx2_and_never_loads_httpx(tmp_path: Path) -> None:
    code = (
        "import contextlib, io, json, sys\n"
        "from stnb.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['pull', 'jpm/jobs', '--sandbox', '--max-pages', '1', '--out', 'jobs.parquet'])\n"
        "print(json.dumps([code, 'httpx' in sys.modules, 'httpx2' in sys.modules]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_"))}
    env.update(STNB_LEDGER="off", STNB_PROFILES=str(tmp_path / "profiles.toml"))
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [0, False, True]


def test_an_httpx_transport_is_refused_naming_its_httpx2_twin() -> None:
    """Code written before the move passes httpx objects: a clear error at once, not an unreachable
    token endpoint later."""
    import httpx
    import httpx2
    import pytest

    import stnb
    from stnb.errors import UsageTypeError

    credentials = {"app_key": "ak1.x", "client_id": "cid.x", "client_secret": "s", "tenant_id": "1"}
    old = httpx.MockTransport(lambda request: httpx.Response(200))
    expected = "transport= takes an httpx2 transport (stnb runs on httpx2), got httpx.MockTransport"
    with pytest.raises(UsageTypeError) as caught:
        stnb.connect(transport=old, **credentials)
    assert str(caught.value).startswith(expected)
    assert "pass httpx2.MockTransport instead" in str(caught.value)
    with pytest.raises(
        UsageTypeError, match=r"got httpx\.AsyncHTTPTransport: pass httpx2\.AsyncHTTPTransport"
    ):
        stnb.connect_async(transport=httpx.AsyncHTTPTransport(), **credentials)
    fine = stnb.connect(transport=httpx2.MockTransport(lambda request: httpx2.Response(200)), **credentials)
    fine.close()
