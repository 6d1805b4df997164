"""The README's code runs: every ```python block against the built-in sandbox, every CLI line parses.

Blocks run in order, each in a fresh namespace seeded with `stnb` and a pre-connected `st`, because
the README's later sections (reports, comparing environments) continue the tour without repeating
`import stnb` / `st = stnb.connect()`. A block with a top-level `async with` runs wrapped in an
`async def` under `asyncio.run`, as Jupyter's top-level await does.

The Reporting API allows one run per report per minute, so the reports block would wait real minutes.
The pre-connected `st` therefore talks to its own `Sandbox` sharing one `FakeClock` with the client:
the client's report limiter (keyed by the connection's clock) and the sandbox's run limit both wait on
that clock, so the limit is enforced exactly as documented, only without real sleeping (the test checks
that the waits happened). No process-wide default is changed. The tour block calls `stnb.connect()`
itself and so runs against the default sandbox on the real clock, credentials cleared, as a reader's
fresh notebook would.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import contextlib
import io
import logging
import os
import re
import shlex
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import stnb
from stnb._clock import SYSTEM_CLOCK, FakeClock
from stnb._connect import SANDBOX_NOTICE
from stnb.cli.main import build_parser
from stnb.sandbox import Sandbox
from stnb.usage.ledger import installed_ledger, uninstall_default_ledger

README = Path(__file__).resolve().parents[1] / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INLINE_CLI = re.compile(r"`(stnb [^`]+)`")
_CREDENTIAL_PREFIXES = ("STNB_", "SERVICETITAN_")


def _blocks(language: str) -> list[str]:
    return [body for lang, body in _FENCE.findall(README.read_text(encoding="utf-8")) if lang == language]


def _command_line_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Command line", 1)[1].split("\n## ", 1)[0]
    blocks = _FENCE.findall(section)
    assert len(blocks) == 1, "the Command line section should hold exactly one fenced block"
    return str(blocks[0][1])


def _parses_as_module(source: str) -> bool:
    try:
        compile(source, "<README>", "exec")
    except SyntaxError:
        return False
    return True


def _run_block(source: str, namespace: dict[str, Any], name: str) -> None:
    """Execute one README block; top-level `async with` runs inside an `async def` under asyncio.run."""
    if _parses_as_module(source):
        exec(compile(source, name, "exec"), namespace)
        return
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(source, name, "exec", flags=flags | ast.PyCF_ONLY_AST)
    assert any(isinstance(node, ast.AsyncWith) for node in tree.body), f"{name} does not compile"
    wrapped = "async def __readme_block__():\n" + textwrap.indent(source, "    ") + "    return locals()\n"
    exec(compile(wrapped, name, "exec"), namespace)
    namespace.update(asyncio.run(namespace["__readme_block__"]()))


@pytest.fixture
def readme_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A reader's fresh machine: no credentials, no profiles, the usage ledger in tmp_path."""
    for key in list(os.environ):
        if key.startswith(_CREDENTIAL_PREFIXES):
            monkeypatch.delenv(key)
    monkeypatch.setenv("STNB_LEDGER", str(tmp_path / "usage.sqlite3"))
    monkeypatch.setenv("STNB_PROFILES", str(tmp_path / "missing-profiles.toml"))
    monkeypatch.chdir(tmp_path)
    uninstall_default_ledger()  # the process ledger may point elsewhere; connect() reinstalls it here
    yield tmp_path
    uninstall_default_ledger()


def test_readme_python_blocks_run_against_the_sandbox(
    readme_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tour, reports, recipes, tables, compare, live = _blocks("python")
    clock = FakeClock(start=SYSTEM_CLOCK.utcnow())
    st = stnb.connect(sandbox=Sandbox(clock=clock), clock=clock, progress=False)

    def namespace() -> dict[str, Any]:
        return {"__name__": "__readme__", "stnb": stnb, "st": st}

    tour_ns = namespace()
    with caplog.at_level(logging.WARNING, logger="stnb"), pytest.warns(stnb.TruncationWarning):
        _run_block(tour, tour_ns, "README.md:tour")  # ends with max_pages=2, which warns as documented
    assert SANDBOX_NOTICE.format(env="integration") in caplog.messages
    tour_st = tour_ns["st"]
    assert tour_st is not st, "the tour connects by itself"
    assert (tour_st.env, tour_st.tenant) == (st.env, st.tenant)
    assert isinstance(tour_ns["df"], pl.DataFrame) and tour_ns["df"].height > 0
    page = tour_ns["page"]
    assert isinstance(page.items, list) and page.number >= 1 and page.has_more is False
    assert tour_ns["job"]["id"] == 500000001
    last = tour_st.last_query  # describes the block's last frame()/to_parquet()
    assert (last.resource, last.env, last.tenant) == ("jpm/jobs", "integration", tour_st.tenant)
    assert last.pages > 0 and last.rows > 0
    assert isinstance(tour_ns["jobs"], pl.DataFrame) and tour_ns["jobs"].height == 1000
    assert (readme_env / "jobs.checkpoint.json").is_file()
    assert pl.read_parquet(readme_env / "jobs.parquet").height > 0

    reports_ns = namespace()
    _run_block(reports, reports_ns, "README.md:reports")
    assert isinstance(reports_ns["df"], pl.DataFrame) and reports_ns["df"].height > 0
    assert (readme_env / "ops-backfill" / "manifest.json").is_file()
    assert sum(clock.sleeps) >= 60.0, "the backfill's runs should have waited for the run limit"

    recipes_ns = namespace()
    _run_block(recipes, recipes_ns, "README.md:recipes")
    assert isinstance(recipes_ns["result"].frame, pl.DataFrame) and recipes_ns["result"].requests > 0
    assert recipes_ns["check"].ok  # the recipe agrees with the sandbox's report once causes are named

    tables_ns = namespace()
    _run_block(tables, tables_ns, "README.md:tables")
    shown = tables_ns["table"](tables_ns["units"], "Business units", max_rows=5).as_raw_html()
    assert "Business units" in shown and "shape:" not in shown
    assert tables_ns["readable"](tables_ns["units"]).columns[:2] == ["id", "name"]

    compare_ns = namespace()
    _run_block(compare, compare_ns, "README.md:compare")
    assert compare_ns["cmp"].resource == "crm/customers"
    summary = compare_ns["summary"]
    assert isinstance(summary, pl.DataFrame) and "crm/customers" in summary["resource"].to_list()

    live_ns = namespace()
    _run_block(live, live_ns, "README.md:going-live")
    result = live_ns["result"]
    assert result.requests <= 40 and "page-from-zero" not in result.findings["known"].to_list()
    assert "missing-modified-on" in result.findings["known"].to_list()
    assert live_ns["page"].startswith("<!DOCTYPE html>")

    ledger = installed_ledger()
    assert ledger is not None and ledger.path == readme_env / "usage.sqlite3"
    recorded = ledger.flush() and ledger.read(include_sandbox=True).height > 0
    assert recorded, "every attempt should be in the usage ledger (sandbox rows included)"


def test_readme_has_the_python_blocks_this_test_expects() -> None:
    blocks = _blocks("python")
    assert len(blocks) == 6, "update test_readme_python_blocks_run_against_the_sandbox for new blocks"
    assert [_parses_as_module(b) for b in blocks] == [False, True, True, True, True, True]


# ---------------------------------------------------------------------------------------------
# Command line


def _help(argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*argv, "--help"])
    assert exited.value.code == 0, f"`stnb {' '.join(argv)} --help` failed"
    return out.getvalue()


def _synopsis(line: str) -> tuple[list[list[str]], list[tuple[str, list[str]]]]:
    """Command paths (`a|b` alternatives expanded) and (option, choices) pairs of one synopsis line."""
    words = shlex.split(line.replace("[", " ").replace("]", " "))
    assert words[0] == "stnb", line
    paths: list[list[str]] = [[]]
    rest = words[1:]
    while rest and re.fullmatch(r"[a-z][a-z|]*", rest[0]):
        paths = [[*p, alt] for p in paths for alt in rest.pop(0).split("|")]
    options: list[tuple[str, list[str]]] = []
    for i, word in enumerate(rest):
        if word.startswith("--"):
            value = rest[i + 1] if i + 1 < len(rest) else ""
            choices = value.split("|") if re.fullmatch(r"[a-z]+(\|[a-z]+)+", value) else []
            options.append((word, choices))
    return paths, options


def _command_lines() -> list[str]:
    return [line.strip() for line in _command_line_block().splitlines() if line.strip()]


@pytest.mark.parametrize("line", _command_lines())
def test_command_line_synopsis_is_accepted(line: str) -> None:
    paths, options = _synopsis(line)
    for path in paths:
        text = _help(path)
        for option, choices in options:
            assert re.search(rf"{re.escape(option)}\b", text), f"`stnb {' '.join(path)}` lacks {option}"
            offered = re.findall(r"\{([^}]*)\}", text)
            for choice in choices:
                assert any(choice in group.split(",") for group in offered), (
                    f"`stnb {' '.join(path)} {option}` does not offer {choice}"
                )


def _concrete_commands() -> list[str]:
    """Full commands from the README's bash blocks and inline code (synopses with `|` excluded)."""
    commands = [
        shlex.join(shlex.split(line, comments=True))
        for block in _blocks("bash")
        for line in block.splitlines()
        if line.strip().startswith("stnb ")
    ]
    text = README.read_text(encoding="utf-8")
    commands += [c for c in _INLINE_CLI.findall(text) if "|" not in c and "..." not in c]
    return list(dict.fromkeys(commands))


@pytest.mark.parametrize("command", _concrete_commands())
def test_readme_commands_parse(command: str) -> None:
    args = build_parser().parse_args(shlex.split(command)[1:])
    assert isinstance(args, argparse.Namespace)
    assert callable(getattr(args, "func", None)), f"`{command}` names no runnable subcommand"


def test_the_readme_shows_two_small_committed_screenshots() -> None:
    """What stnb looks like before installing it: the dashboard and the comparison page, small PNGs in git
    (scripts/readme_screenshots.py makes them; the browser tests write their own to tests/artifacts/)."""
    root = Path(__file__).resolve().parents[1]
    shown = re.findall(r"!\[[^\]]+\]\((docs/images/[^)]+\.png)\)", (root / "README.md").read_text("utf-8"))
    assert sorted(shown) == ["docs/images/compare.png", "docs/images/dashboard.png"]
    for name in shown:
        data = (root / name).read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) < 200_000, name
