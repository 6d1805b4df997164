"""`stnb lab` (JupyterLab on the notebooks) and `stnb dashboard usage` (the usage notebook as a Voila app).

Both start a server on 127.0.0.1 and a free port, in a child process that inherits the environment
unchanged: the notebooks call `stnb.connect()`, which finds credentials the usual way and uses the
embedded sandbox when there are none.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import webbrowser
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from stnb._config import ENVIRONMENTS, resolve_credentials
from stnb.cli.common import bounded_int
from stnb.errors import ConfigError, require_extra

__all__ = [
    "DASHBOARDS",
    "READY_ENV",
    "WELCOME_NOTEBOOK",
    "credential_summary",
    "dashboard_environment",
    "find_notebooks_dir",
    "free_port",
    "lab_command",
    "lab_environment",
    "lab_url",
    "register",
    "voila_command",
    "wait_until_ready",
]

WELCOME_NOTEBOOK = "00_welcome.ipynb"
DASHBOARDS = {"usage": "usage_dashboard.ipynb"}
DASHBOARD_TEMPLATE = "stnb"  # cli/share/voila/templates/stnb: the lab page, nothing from a CDN
SHARE_DIR = Path(__file__).parent / "share"
# On JUPYTER_CONFIG_PATH for `stnb lab`: labconfig/page_config.json disables JupyterLab's announcements
# plugin, whose "Would you like to get notified about official Jupyter news?" pop-up covers a corner of
# every page until answered (`--LabApp.news_url=None` stops the fetching, not the question).
LAB_CONFIG_DIR = SHARE_DIR / "jupyter-config"
# The usage dashboard notebook reads its sources from these (set by `stnb dashboard usage --portal/--ledger`),
# and writes READY_ENV's file once its preheated kernel has drawn the dashboard.
PORTAL_ENV, LEDGER_ENV, READY_ENV = "STNB_DASHBOARD_PORTAL", "STNB_DASHBOARD_LEDGER", "STNB_DASHBOARD_READY"
HOST = "127.0.0.1"
# Servers run as `python -m MODULE` would, without an import that costs them a second (see cli/_server.py).
SERVER = (sys.executable, "-m", "stnb.cli._server")
_STOP_TIMEOUT_S = 10.0
# Past this, `stnb dashboard` prints the address anyway (the page then shows Voila's own progress).
READY_TIMEOUT_S = 120.0
# Voila refills its pool of preheated kernels this long after a page took one: the next kernel runs
# the notebook after the first page has drawn, not while the browser draws it (two cores are shared).
POOL_REFILL_DELAY_S = 10.0


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add `lab` and `dashboard`."""
    lab = subparsers.add_parser(
        "lab", help="open the notebooks in JupyterLab (sandbox unless credentials; needs the lab extra)"
    )
    _add_server_options(lab)
    lab.set_defaults(func=_run_lab)

    dashboard = subparsers.add_parser(
        "dashboard", help="serve a notebook as a code-free app (Voila; needs the lab extra)"
    )
    dashboard.add_argument("name", choices=sorted(DASHBOARDS), help="which dashboard")
    dashboard.add_argument("--portal", type=Path, default=None, help="folder of portal usage report CSVs")
    dashboard.add_argument("--ledger", type=Path, default=None, help="usage ledger file (SQLite)")
    _add_server_options(dashboard)
    dashboard.set_defaults(func=_run_dashboard)


def _add_server_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument(
        "--port", type=bounded_int(1, 65535), default=None, help="port to listen on (default: a free one)"
    )
    parser.add_argument("--notebooks", type=Path, default=None, help="notebooks directory (default: found)")


def find_notebooks_dir(explicit: Path | None = None, *, cwd: Path | None = None) -> Path:
    """`explicit`, else ./notebooks, else the notebooks directory next to the stnb package (a checkout)."""
    if explicit is not None:
        if not (explicit / WELCOME_NOTEBOOK).is_file():
            raise ConfigError(f"{explicit} is not a stnb notebooks directory (no {WELCOME_NOTEBOOK} in it)")
        return explicit.resolve()
    here = (cwd or Path.cwd()) / "notebooks"
    checkout = Path(__file__).resolve().parents[2] / "notebooks"
    for candidate in (here, checkout):
        if (candidate / WELCOME_NOTEBOOK).is_file():
            return candidate.resolve()
    raise ConfigError(
        f"cannot find the stnb notebooks (looked for {WELCOME_NOTEBOOK} in {here} and {checkout}); "
        "run from a stnb checkout or pass --notebooks DIR"
    )


def free_port(host: str = HOST) -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def lab_command(notebooks: Path, port: int, *, open_browser: bool, token: str | None = None) -> list[str]:
    """The JupyterLab command line: notebooks as root, loopback only, opening the welcome notebook, no news
    pop-up and no update check (both fetch from the internet). `token`: the login token (printed by
    `stnb lab` in the URL that opens the lab); None keeps Jupyter's own."""
    command = [
        *SERVER,
        "jupyterlab",
        f"--ServerApp.root_dir={notebooks}",
        f"--ServerApp.ip={HOST}",
        f"--ServerApp.port={port}",
        f"--LabApp.default_url=/lab/tree/{WELCOME_NOTEBOOK}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
    ]
    if token is not None:
        command.append(f"--IdentityProvider.token={token}")
    if not open_browser:
        command.append("--no-browser")
    if _is_root():
        command.append("--ServerApp.allow_root=True")  # containers run as root; the server is loopback-only
    return command


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def lab_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) with stnb's lab config first on JUPYTER_CONFIG_PATH (no news
    pop-up); the user's own Jupyter config is still read after it."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(LAB_CONFIG_DIR), *filter(None, env.get("JUPYTER_CONFIG_PATH", "").split(os.pathsep))]
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(paths)
    return env


def lab_url(port: int, token: str) -> str:
    """The URL that opens the lab (logged in) on the welcome notebook."""
    return f"http://{HOST}:{port}/lab/tree/{WELCOME_NOTEBOOK}?token={token}"


def voila_command(notebook: Path, port: int, *, open_browser: bool) -> list[str]:
    """The Voila command line: one notebook, sources hidden, tracebacks not sent to the page, stnb's page
    template (nothing from a CDN; run it with `dashboard_environment()` so Voila finds the template)."""
    command = [
        *SERVER,
        "voila",
        str(notebook),
        f"--Voila.ip={HOST}",
        f"--port={port}",
        "--strip_sources=True",
        "--show_tracebacks=False",
        "--theme=light",
        "--Voila.log_level=ERROR",  # no address before the page is ready (`stnb dashboard` prints it)
        f"--template={DASHBOARD_TEMPLATE}",
        # One kernel runs the notebook before anyone asks: the page shows charts, not a spinner.
        "--preheat_kernel=True",
        "--pool_size=1",
        f"--VoilaKernelManager.fill_delay={POOL_REFILL_DELAY_S:g}",
    ]
    if not open_browser:
        command.append("--no-browser")
    return command


def dashboard_environment(
    environ: Mapping[str, str] | None = None,
    *,
    portal: Path | None = None,
    ledger: Path | None = None,
    ready_file: Path | None = None,
) -> dict[str, str]:
    """`environ` (default: this process's) plus what the dashboard's server needs: stnb's Voila template on
    JUPYTER_PATH, the usage sources the dashboard notebook reads, and the file it writes when ready."""
    env = dict(os.environ if environ is None else environ)
    paths = [str(SHARE_DIR), *filter(None, env.get("JUPYTER_PATH", "").split(os.pathsep))]
    env["JUPYTER_PATH"] = os.pathsep.join(paths)
    env.pop(READY_ENV, None)  # only the file of this run
    for name, value in ((PORTAL_ENV, portal), (LEDGER_ENV, ledger), (READY_ENV, ready_file)):
        if value is not None:
            env[name] = str(value.expanduser().resolve())
    return env


Readiness = Literal["ready", "error", "exited", "timeout"]


def wait_until_ready(
    ready_file: Path,
    alive: Callable[[], bool],
    *,
    timeout_s: float = READY_TIMEOUT_S,
    poll_s: float = 0.05,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Readiness, str]:
    """Wait for the dashboard's ready file: ("ready", ""), ("error", what the notebook said), ("exited", "")
    when the server stopped first, or ("timeout", "") after `timeout_s`."""
    deadline = clock() + timeout_s
    while True:
        try:
            state = ready_file.read_text(encoding="utf-8").strip()
        except OSError:
            state = ""
        if state == "ready":
            return "ready", ""
        if state.startswith("error"):
            return "error", state.partition(":")[2].strip()
        if not alive():
            return "exited", ""
        if clock() >= deadline:
            return "timeout", ""
        sleep(poll_s)


def credential_summary(
    environ: Mapping[str, str] | None = None, *, env_file: Path | None = Path(".env")
) -> str:
    """One line per environment: whose credentials the notebooks will use, or that the sandbox answers."""
    lines = []
    for env in ENVIRONMENTS:
        try:
            found = resolve_credentials(env, env_file=env_file, environ=environ)
        except ConfigError as exc:
            lines.append(f"{env}: credentials are misconfigured ({exc}); `stnb doctor` explains")
            continue
        if found is None:
            lines.append(f"{env}: no credentials, the notebooks use the embedded sandbox")
        else:
            lines.append(f"{env}: tenant {found.tenant_id}, client {found.masked_client_id} ({found.source})")
    return "\n".join(lines)


def _run_lab(args: argparse.Namespace) -> int:
    require_extra("lab", "stnb lab")  # JupyterLab, and the widgets and tables the notebooks show
    try:
        notebooks = find_notebooks_dir(args.notebooks)
    except ConfigError as exc:
        print(f"stnb lab: {exc}", file=sys.stderr)
        return 2
    port = args.port or free_port()
    token = os.environ.get("JUPYTER_TOKEN") or secrets.token_hex(24)  # Jupyter's own variable still wins
    print(credential_summary(env_file=notebooks / ".env"))
    print(f"JupyterLab (notebooks in {notebooks}); Ctrl-C twice stops it. Open:\n    {lab_url(port, token)}")
    command = lab_command(notebooks, port, open_browser=not args.no_browser, token=token)
    return _serve(command, env=lab_environment())


def _run_dashboard(args: argparse.Namespace) -> int:
    # Voila, and the widgets and tables the dashboard shows (`stnb usage report` needs none of them).
    require_extra("lab", f"stnb dashboard {args.name}")
    try:
        notebooks = find_notebooks_dir(args.notebooks)
    except ConfigError as exc:
        print(f"stnb dashboard: {exc}", file=sys.stderr)
        return 2
    for name, path in (("--portal", args.portal), ("--ledger", args.ledger)):
        if path is not None and not path.expanduser().exists():
            print(f"stnb dashboard: {name} {path} does not exist", file=sys.stderr)
            return 2
    port = args.port or free_port()
    url = f"http://{HOST}:{port}/"
    # Voila never opens the browser itself: the address is printed (and opened) once the page is ready.
    command = voila_command(notebooks / DASHBOARDS[args.name], port, open_browser=False)
    with tempfile.TemporaryDirectory(prefix="stnb-dashboard-") as scratch:
        ready_file = Path(scratch) / "ready"
        env = dashboard_environment(portal=args.portal, ledger=args.ledger, ready_file=ready_file)
        print(f"starting the {args.name} dashboard (Voila)…", flush=True)
        started = time.monotonic()

        def announce(child: subprocess.Popen[bytes]) -> None:
            state, detail = wait_until_ready(ready_file, lambda: child.poll() is None)
            if state == "exited":
                return
            took = time.monotonic() - started
            if state == "error":
                print(f"stnb dashboard: the dashboard could not load its data: {detail}", file=sys.stderr)
            elif state == "timeout":
                print(f"stnb dashboard: still preparing after {took:.0f} s; the page shows it when done")
            print(f"{args.name} dashboard ready in {took:.1f} s: {url}  (Ctrl-C stops it)", flush=True)
            if not args.no_browser:
                webbrowser.open(url)

        return _serve(command, env=env, started=announce)


def _serve(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    started: Callable[[subprocess.Popen[bytes]], None] | None = None,
) -> int:
    """Run the server until it exits (calling `started` with it first); on Ctrl-C or SIGTERM make sure it
    is gone before returning."""
    child = subprocess.Popen(list(command), env=None if env is None else dict(env))
    previous = signal.signal(signal.SIGTERM, lambda _signum, _frame: child.terminate())
    try:
        if started is not None:
            started(child)
        return child.wait()
    except KeyboardInterrupt:
        child.terminate()
        try:
            child.wait(timeout=_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
