"""Start-up stays quick: `import stnb` and the CLI's argument parsing load none of the heavy libraries;
they load when a command or a name first needs them. Each probe runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY = ("polars", "plotly", "ipywidgets", "uvicorn", "httpx2", "pandas", "msgspec", "tqdm")

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))
"""


def loaded_after(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE.format(code=code, heavy=HEAVY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**os.environ, "STNB_LEDGER": "off"},
    )
    loaded: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_import_stnb_loads_no_heavy_library() -> None:
    assert loaded_after("import stnb") == []


def test_the_cli_builds_its_parser_and_help_without_heavy_libraries() -> None:
    code = (
        "import contextlib, io\n"
        "from stnb.cli.main import build_parser, main\n"
        "build_parser()\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
    )
    assert loaded_after(code) == []


def test_stnb_resources_needs_only_the_catalog() -> None:
    code = (
        "import contextlib, io\n"
        "from stnb.cli.main import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['resources', 'jobs']) == 0\n"
    )
    assert loaded_after(code) == []


def test_names_load_their_module_on_first_use() -> None:
    assert "polars" in loaded_after("import stnb\nstnb.Connection")
    assert "httpx2" in loaded_after("import stnb\nstnb.connect")
    assert loaded_after("import stnb\nstnb.StnbError") == []


def test_compare_help_names_the_sweeps_default_budget_without_importing_it() -> None:
    """`--budget` defaults to the sweep's own default, named in the help (the CLI cannot import it early)."""
    import argparse

    from stnb._compare.sweep import DEFAULT_BUDGET
    from stnb.cli.main import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    budget = next(a for a in sub.choices["compare"]._actions if a.dest == "budget")
    assert budget.default is None
    assert f"DEFAULT_BUDGET, {DEFAULT_BUDGET})" in (budget.help or "")
