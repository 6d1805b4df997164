"""`stnb lab` and `stnb dashboard usage`: command lines, notebook discovery, and real servers on loopback."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import nbformat
import pytest

from stnb.cli.lab import (
    DASHBOARDS,
    READY_ENV,
    WELCOME_NOTEBOOK,
    credential_summary,
    find_notebooks_dir,
    free_port,
    lab_command,
    voila_command,
    wait_until_ready,
)
from stnb.cli.main import build_parser, main
from stnb.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
SERVER_START_TIMEOUT_S = 60.0
VOILA_RENDER_TIMEOUT_S = 150.0  # Voila runs the whole notebook before answering


def _write_notebook(path: Path, *sources: str) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(notebook, path)


@pytest.fixture
def notebooks_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "nb"
    folder.mkdir()
    _write_notebook(folder / WELCOME_NOTEBOOK, "print('welcome')")
    return folder


def test_parser_knows_lab_and_dashboard() -> None:
    parser = build_parser()
    lab = parser.parse_args(["lab", "--no-browser", "--port", "9123"])
    assert (lab.no_browser, lab.port, lab.notebooks) == (True, 9123, None)
    dashboard = parser.parse_args(["dashboard", "usage"])
    assert (dashboard.name, dashboard.no_browser, dashboard.port) == ("usage", False, None)
    with pytest.raises(SystemExit):
        parser.parse_args(["dashboard", "nope"])


def test_lab_command_roots_jupyterlab_at_the_notebooks_on_loopback(notebooks_dir: Path) -> None:
    command = lab_command(notebooks_dir, 9123, open_browser=False)
    assert command[:4] == [sys.executable, "-m", "stnb.cli._server", "jupyterlab"]
    assert f"--ServerApp.root_dir={notebooks_dir}" in command
    assert "--ServerApp.ip=127.0.0.1" in command
    assert "--ServerApp.port=9123" in command
    assert f"--LabApp.default_url=/lab/tree/{WELCOME_NOTEBOOK}" in command
    assert "--no-browser" in command
    assert "--no-browser" not in lab_command(notebooks_dir, 9123, open_browser=True)


def test_voila_command_hides_code_and_tracebacks(tmp_path: Path) -> None:
    notebook = tmp_path / DASHBOARDS["usage"]
    command = voila_command(notebook, 9124, open_browser=True)
    assert command[:5] == [sys.executable, "-m", "stnb.cli._server", "voila", str(notebook)]
    assert {"--Voila.ip=127.0.0.1", "--port=9124", "--strip_sources=True", "--show_tracebacks=False"} <= set(
        command
    )
    assert "--no-browser" not in command
    assert "--no-browser" in voila_command(notebook, 9124, open_browser=False)


def test_find_notebooks_dir_prefers_explicit_then_cwd(notebooks_dir: Path, tmp_path: Path) -> None:
    assert find_notebooks_dir(notebooks_dir) == notebooks_dir.resolve()
    cwd = tmp_path / "project"
    (cwd / "notebooks").mkdir(parents=True)
    _write_notebook(cwd / "notebooks" / WELCOME_NOTEBOOK, "1")
    assert find_notebooks_dir(cwd=cwd) == (cwd / "notebooks").resolve()


def test_find_notebooks_dir_falls_back_to_the_checkout(tmp_path: Path) -> None:
    assert find_notebooks_dir(cwd=tmp_path) == NOTEBOOKS.resolve()


def test_find_notebooks_dir_rejects_a_folder_without_the_welcome_notebook(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=WELCOME_NOTEBOOK):
        find_notebooks_dir(tmp_path)


def test_lab_reports_a_wrong_notebooks_dir_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lab", "--no-browser", "--notebooks", str(tmp_path)]) == 2
    assert "no 00_welcome.ipynb" in capsys.readouterr().err


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_credential_summary_says_sandbox_without_credentials(tmp_path: Path) -> None:
    environ = {"STNB_PROFILES": str(tmp_path / "none.toml")}
    summary = credential_summary(environ, env_file=tmp_path / ".env")
    assert summary.splitlines() == [
        "integration: no credentials, the notebooks use the embedded sandbox",
        "production: no credentials, the notebooks use the embedded sandbox",
    ]


def test_credential_summary_masks_what_it_finds(tmp_path: Path) -> None:
    secret = "cs1.supersecretvalue123456"
    environ = {
        "STNB_PROFILES": str(tmp_path / "none.toml"),
        "STNB_INTEGRATION_CLIENT_ID": "cid.abcdefghijklmnop",
        "STNB_INTEGRATION_CLIENT_SECRET": secret,
        "STNB_INTEGRATION_TENANT_ID": "12345",
        "STNB_APP_KEY": "ak1.appkeyvalue98765",
        "STNB_PRODUCTION_CLIENT_ID": "cid.only-half-configured",
    }
    lines = credential_summary(environ, env_file=tmp_path / ".env").splitlines()
    assert lines[0].startswith("integration: tenant 12345, client cid.ab…nop (")
    assert lines[1].startswith("production: credentials are misconfigured (")
    text = "\n".join(lines)
    assert secret not in text and "appkeyvalue" not in text and "abcdefghijklmnop" not in text


# -- real servers ----------------------------------------------------------------------------------


def _get(url: str, timeout: float = 30.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status), response.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read().decode("utf-8", "replace")


def _wait_until_listening(process: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited early with {process.returncode}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listened on {port} within {SERVER_START_TIMEOUT_S:.0f} s")


def _stop(process: subprocess.Popen[bytes], port: int) -> None:
    process.terminate()
    process.wait(timeout=30)
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0, "the server outlived `stnb`"


@pytest.fixture
def server_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "runtime")
    env["JUPYTER_TOKEN"] = "stnb-test-token"
    env["STNB_LEDGER"] = str(tmp_path / "ledger.sqlite")
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "stnb.cli.main", *args],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_stnb_lab_serves_the_notebooks_dir_and_stops_with_stnb(
    notebooks_dir: Path, server_env: dict[str, str]
) -> None:
    port = free_port()
    process = _start(
        ["lab", "--no-browser", "--port", str(port), "--notebooks", str(notebooks_dir)], server_env
    )
    try:
        _wait_until_listening(process, port)
        status, body = _get(f"http://127.0.0.1:{port}/api/contents?token=stnb-test-token")
        assert status == 200
        assert [item["name"] for item in json.loads(body)["content"]] == [WELCOME_NOTEBOOK]
        status, page = _get(f"http://127.0.0.1:{port}/lab?token=stnb-test-token")
        assert status == 200 and "JupyterLab" in page
    finally:
        _stop(process, port)


@pytest.fixture
def served_dashboard(server_env: dict[str, str], tmp_path: Path) -> Iterator[str]:
    notebooks = tmp_path / "notebooks"  # the dashboard writes its demo data next to the notebook
    shutil.copytree(NOTEBOOKS, notebooks, ignore=shutil.ignore_patterns("output", ".ipynb_checkpoints"))
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    command = ["dashboard", "usage", "--no-browser", "--port", str(port), "--notebooks", str(notebooks)]
    process = subprocess.Popen(
        [sys.executable, "-m", "stnb.cli.main", *command],
        env={**server_env, "STNB_CACHE_DIR": str(tmp_path / "cache")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert process.stdout is not None
    try:
        first = process.stdout.readline().decode()
        assert first.startswith("starting the usage dashboard") and url not in first
        ready = process.stdout.readline().decode()  # printed once the preheated kernel ran the notebook
        assert ready.startswith("usage dashboard ready in") and url in ready, ready
        assert list((tmp_path / "cache").glob("demo-usage-*.arrow")), "the demo frames are cached"
        yield url
    finally:
        _stop(process, port)


@pytest.mark.slow
def test_stnb_dashboard_usage_serves_the_executed_usage_notebook_with_voila(served_dashboard: str) -> None:
    status, page = _get(served_dashboard, timeout=VOILA_RENDER_TIMEOUT_S)
    assert status == 200
    assert "There was an error when executing cell" not in page
    assert "Traceback" not in page
    assert "API usage" in page  # the dashboard's own heading, rendered from the executed notebook
    assert "application/vnd.jupyter.widget-view+json" in page
    assert "stnb.usage" not in page, "code cells must be stripped from the dashboard"


def test_lab_opens_logged_in_without_news_or_update_checks(notebooks_dir: Path) -> None:
    from stnb.cli.lab import lab_url

    command = lab_command(notebooks_dir, 9123, open_browser=False, token="abc123")
    assert "--IdentityProvider.token=abc123" in command
    assert "--LabApp.news_url=None" in command  # no news pop-up, nothing fetched
    assert any(c.endswith("NeverCheckForUpdate") for c in command)
    assert lab_url(9123, "abc123") == f"http://127.0.0.1:9123/lab/tree/{WELCOME_NOTEBOOK}?token=abc123"


def test_servers_run_as_python_m_would_without_the_iri_format_checker(tmp_path: Path) -> None:
    (tmp_path / "probe").mkdir()
    (tmp_path / "probe" / "__main__.py").write_text(
        "import sys\n"
        "import jsonschema\n"
        "print(sys.argv[1:], 'iri' in jsonschema.Draft7Validator.FORMAT_CHECKER.checkers)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    run = [sys.executable, "-m", "stnb.cli._server", "probe", "--flag=1"]
    done = subprocess.run(run, capture_output=True, text=True, env=env, check=True)
    assert done.stdout.strip() == "['--flag=1'] False"  # the module's own arguments; no iri checker
    plain = [sys.executable, "-m", "probe", "--flag=1"]
    as_usual = subprocess.run(plain, capture_output=True, text=True, env=env, check=True)
    assert as_usual.stdout.strip() == "['--flag=1'] True"  # what the runner saves the server


def test_stnb_lab_disables_the_news_question_and_keeps_the_users_jupyter_config() -> None:
    from stnb.cli.lab import LAB_CONFIG_DIR, lab_environment

    env = lab_environment({"JUPYTER_CONFIG_PATH": "/mine"})
    assert env["JUPYTER_CONFIG_PATH"].split(os.pathsep) == [str(LAB_CONFIG_DIR), "/mine"]
    config = json.loads((LAB_CONFIG_DIR / "labconfig" / "page_config.json").read_text())
    assert config == {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def test_the_dashboard_server_is_quiet_and_refills_its_kernel_after_the_page_drew(tmp_path: Path) -> None:
    command = voila_command(tmp_path / DASHBOARDS["usage"], 9124, open_browser=True)
    assert "--Voila.log_level=ERROR" in command  # Voila's own "running at" address comes before ready
    assert "--VoilaKernelManager.fill_delay=10" in command
    assert "--no-browser" not in command


def _fake_time() -> tuple[list[float], Callable[[], float], Callable[[float], None]]:
    now = [0.0]

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return now, clock, sleep


def test_wait_until_ready_reads_the_dashboards_file(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    now, clock, sleep = _fake_time()
    polls = []

    def alive() -> bool:
        polls.append(now[0])
        if len(polls) == 3:
            ready.write_text("ready\n")
        return True

    assert wait_until_ready(ready, alive, clock=clock, sleep=sleep, poll_s=0.5) == ("ready", "")
    assert polls == [0.0, 0.5, 1.0]

    ready.write_text("error: no usage in /x.csv\n")
    assert wait_until_ready(ready, alive, clock=clock, sleep=sleep) == ("error", "no usage in /x.csv")


def test_wait_until_ready_stops_when_the_server_exits_or_after_the_timeout(tmp_path: Path) -> None:
    missing = tmp_path / "never-written"
    _, clock, sleep = _fake_time()
    assert wait_until_ready(missing, lambda: False, clock=clock, sleep=sleep) == ("exited", "")
    now, clock, sleep = _fake_time()
    state = wait_until_ready(missing, lambda: True, timeout_s=3.0, clock=clock, sleep=sleep)
    assert state == ("timeout", "") and 3.0 <= now[0] < 3.2


def test_the_dashboard_environment_names_this_runs_ready_file(tmp_path: Path) -> None:
    from stnb.cli.lab import dashboard_environment

    assert READY_ENV not in dashboard_environment({READY_ENV: "/stale/ready"})
    env = dashboard_environment({}, ready_file=tmp_path / "ready")
    assert env[READY_ENV] == str((tmp_path / "ready").resolve())
    notebook = (Path(__file__).resolve().parents[2] / "notebooks" / DASHBOARDS["usage"]).read_text()
    assert f'ready_file=os.environ.get(\\"{READY_ENV}\\")' in notebook


def test_the_dashboard_uses_stnbs_template_that_fetches_nothing(tmp_path: Path) -> None:
    from stnb.cli.lab import SHARE_DIR, dashboard_environment

    command = voila_command(tmp_path / DASHBOARDS["usage"], 9124, open_browser=False)
    assert "--template=stnb" in command and "--preheat_kernel=True" in command
    template = SHARE_DIR / "voila" / "templates" / "stnb" / "index.html.j2"
    assert template.is_file() and "http" not in template.read_text(encoding="utf-8")
    portal = tmp_path / "portal"
    portal.mkdir()
    env = dashboard_environment({"JUPYTER_PATH": "/elsewhere"}, portal=portal)
    assert env["JUPYTER_PATH"].split(os.pathsep) == [str(SHARE_DIR), "/elsewhere"]
    assert env["STNB_DASHBOARD_PORTAL"] == str(portal.resolve()) and "STNB_DASHBOARD_LEDGER" not in env
    notebook = Path(__file__).resolve().parents[2] / "notebooks" / DASHBOARDS["usage"]
    assert "STNB_DASHBOARD_PORTAL" in notebook.read_text(encoding="utf-8")
