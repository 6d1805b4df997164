"""Every notebook, executed on the embedded sandbox, shows no secret: not in outputs, widget states or files.

Each notebook runs (serially, one kernel at a time) on a copy of notebooks/ in tmp_path, with no
credentials in the environment and the ledger in tmp_path. Then every output, the saved widget state
and every text file the notebook wrote are searched for each demo app's client secrets, app key and
client ids, and for anything shaped like an access token (a JWT).
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from stnb._clock import SYSTEM_CLOCK
from stnb.sandbox import default_sandbox
from stnb.sandbox.tokens import TokenIssuer

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT_S = 60
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")
TEXT_SUFFIXES = {".html", ".json", ".csv", ".txt", ".md"}


def _secrets() -> dict[str, str]:
    """Every credential the sandbox hands out, by a label that does not contain it."""
    found: dict[str, str] = {}
    for app in default_sandbox().apps:
        found[f"app key of {app.name}"] = app.app_key
        for tenant in app.tenants:
            for env, creds in tenant.credentials.items():
                where = f"{app.name}, tenant {tenant.tenant_id}, {env}"
                found[f"client secret ({where})"] = creds.client_secret
                found[f"client id ({where})"] = creds.client_id
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of notebooks/ and an environment without credentials, for the kernels started here."""
    root = tmp_path_factory.mktemp("notebooks")
    shutil.copytree(REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("output"))
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(("STNB_", "SERVICETITAN_")):
            del os.environ[name]
    os.environ["STNB_LEDGER"] = str(root / "ledger.sqlite")
    os.environ["STNB_PROFILES"] = str(root / "no-profiles.toml")
    try:
        yield root / "notebooks"
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _texts(notebook: nbformat.NotebookNode) -> Iterator[tuple[str, str]]:
    """(where, text) for every output of every cell and for the saved widget state."""
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            yield f"cell {index} {output.get('output_type')}", json.dumps(output)
    yield "widget state", json.dumps(notebook.metadata.get("widgets", {}))


def _written(folder: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every text file the notebook wrote under `folder`."""
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.suffix in TEXT_SUFFIXES:
                yield str(path), path.read_text(encoding="utf-8", errors="replace")


def find_leaks(texts: list[tuple[str, str]]) -> list[str]:
    """Which secret (by label) or token shape appears where."""
    leaks = [
        f"{label} in {where}"
        for where, text in texts
        for label, secret in _secrets().items()
        if secret in text
    ]
    return leaks + [f"an access token in {where}" for where, text in texts if JWT.search(text)]


def test_the_scan_finds_secrets_and_tokens() -> None:
    sandbox = default_sandbox()
    creds = sandbox.credentials["production"]
    token = TokenIssuer(0, SYSTEM_CLOCK, 900).issue(creds)
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print(secret)")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=f"secret={creds.client_secret}")]
    notebook.cells = [cell]
    notebook.metadata["widgets"] = {"state": {"model": {"value": f"Bearer {token}"}}}
    leaks = find_leaks(list(_texts(notebook)))
    assert any(leak.startswith("client secret (") and leak.endswith("in cell 0 stream") for leak in leaks)
    assert "an access token in widget state" in leaks
    assert find_leaks([("clean", "masked: cid.ab…xyz, app 1a2b3c4d, secret set")]) == []


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_an_executed_notebook_shows_no_secret(path: Path, workdir: Path) -> None:
    notebook = nbformat.read(workdir / path.name, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(workdir)}},
    )
    client.execute()

    errors = [
        f"cell {i}: {o['ename']}: {o['evalue']}"
        for i, cell in enumerate(notebook.cells)
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors
    texts = list(_texts(notebook))
    assert len(texts) > 1 and notebook.metadata.get("widgets"), "the notebook produced outputs and widgets"
    texts += list(_written(workdir / "output"))
    assert not find_leaks(texts)
