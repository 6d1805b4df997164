"""A light core install: `pip install stnb` brings the client, frames, reports, usage analytics, charts and
HTML pages and the CLI; JupyterLab, the widgets, Voila, uvicorn and kaleido are extras (`stnb[lab]`,
`stnb[serve]`, `stnb[png]`, `stnb[all]`).

- The extras table in `stnb.errors` and pyproject.toml agree; the two locks are fresh: requirements.lock
  pins every declared dependency (core, extras, dev), requirements-core.lock is exactly the core's
  dependency closure, pinned as in requirements.lock (`make lock` writes both).
- With every package outside the core lock made unimportable, `import stnb` and the core commands work and
  a command that needs an extra says which one in one line (exit code 2); the Python API raises
  `MissingExtra` with the same words.
- The real thing (slow): a fresh virtual environment gets requirements-core.lock and the package, nothing
  else, and runs `stnb resources`, `stnb pull` on the sandbox and `stnb usage report --demo`; `stnb lab`,
  `stnb dashboard usage`, `stnb sandbox serve` and `stnb usage report --png` each print their one line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from stnb.errors import EXTRAS, MissingExtra

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
FULL_LOCK = ROOT / "requirements.lock"
CORE_LOCK = ROOT / "requirements-core.lock"
OPTIONAL = {
    name: [Requirement(text) for text in texts] for name, texts in PYPROJECT["optional-dependencies"].items()
}
CORE = [Requirement(text) for text in PYPROJECT["dependencies"]]
# The one-line messages, word for word (README's "Installing" section shows them).
NEEDS = {
    "lab": "stnb lab needs the lab extra: pip install 'stnb[lab]'",
    "dashboard": "stnb dashboard usage needs the lab extra: pip install 'stnb[lab]'",
    "serve": "stnb sandbox serve needs the serve extra: pip install 'stnb[serve]'",
    "png": "stnb usage report --png needs the png extra: pip install 'stnb[png]'",
}


def pins(lock: Path) -> dict[str, str]:
    """name -> version of every `name==version` line of a uv lock file."""
    found = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if match := re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line):
            found[canonicalize_name(match[1])] = match[2]
    return found


def closure(requirements: Iterable[Requirement]) -> set[str]:
    """The distributions `requirements` install, read from this environment's installed metadata (installed
    from requirements.lock, for Python 3.11 on Linux as the locks are), markers evaluated per extra."""
    seen: set[str] = set()
    todo = [(req, "") for req in requirements]
    while todo:
        req, extra = todo.pop()
        if req.marker is not None and not req.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(req.name)
        wanted = [(name, "")] + [(name, canonicalize_name(e)) for e in req.extras]
        for dist_name, dist_extra in wanted:
            key = f"{dist_name}[{dist_extra}]"
            if key in seen:
                continue
            seen.add(key)
            if dist_name == "stnb":  # `all` names stnb's own extras
                todo += [(r, "") for r in OPTIONAL.get(dist_extra, [])]
                continue
            todo += [(Requirement(text), dist_extra) for text in metadata.requires(dist_name) or []]
    return {key.partition("[")[0] for key in seen}


# ---- the extras and the locks ---------------------------------------------------------------------------


def test_the_extras_table_matches_pyproject() -> None:
    declared = {extra: sorted(canonicalize_name(r.name) for r in reqs) for extra, reqs in OPTIONAL.items()}
    assert {extra: sorted(modules) for extra, modules in EXTRAS.items()} == {
        extra: names for extra, names in declared.items() if extra in EXTRAS
    }
    assert set(OPTIONAL) == {*EXTRAS, "all", "dev"}
    assert OPTIONAL["all"] == [Requirement("stnb[lab,serve,png]")]
    core = {canonicalize_name(r.name) for r in CORE}
    assert core.isdisjoint(name for names in EXTRAS.values() for name in names)
    # What the issue names for the core, plus the table and JSON libraries its HTML and decoding use.
    assert {"httpx2", "polars", "plotly", "platformdirs", "tqdm", "msgspec", "great-tables"} <= core


def test_requirements_lock_pins_every_declared_dependency() -> None:
    locked = pins(FULL_LOCK)
    declared = [*CORE, *(req for reqs in OPTIONAL.values() for req in reqs if req.name != "stnb")]
    for req in declared:
        name = canonicalize_name(req.name)
        assert name in locked, (
            f"{req.name} is declared in pyproject.toml but not in requirements.lock: make lock"
        )
        assert req.specifier.contains(locked[name], prereleases=True), (
            f"requirements.lock pins {name}=={locked[name]}, outside {req}: make lock"
        )


def test_requirements_core_lock_is_the_core_closure_pinned_as_the_full_lock() -> None:
    full, core = pins(FULL_LOCK), pins(CORE_LOCK)
    assert set(core) == closure(CORE), (
        "requirements-core.lock is not the core's dependency closure: make lock"
    )
    assert {name: full.get(name) for name in core} == core, "the core lock and requirements.lock disagree"
    extras = {canonicalize_name(name) for names in EXTRAS.values() for name in names}
    assert extras.isdisjoint(core)
    # httpx stays in requirements.lock only because JupyterLab brings it: the core runs on httpx2.
    assert "httpx" not in core and "httpx2" in core
    # README's "Installing": about 30 packages, no JupyterLab, no numpy, no browser driver.
    assert len(core) <= 35 and {"numpy", "jupyterlab", "kaleido", "pandas"}.isdisjoint(core)
    assert "httpx" in full and "httpx" in closure(OPTIONAL["lab"])
    header = CORE_LOCK.read_text(encoding="utf-8").splitlines()[1]
    assert "-c requirements.lock" in header and "extra" not in header, header


def test_the_environment_was_installed_from_the_lock() -> None:
    """The closure checks above read installed metadata: it must be requirements.lock's versions."""
    stale = {
        name: (version, metadata.version(name))
        for name, version in pins(FULL_LOCK).items()
        if metadata.version(name) != version
    }
    assert not stale, f"the venv differs from requirements.lock (locked, installed): {stale}; make install"


# ---- the core without the extras, simulated in this environment -----------------------------------------


def _outside_core() -> list[str]:
    """Top-level modules of every installed distribution that the core lock does not hold."""
    core = set(pins(CORE_LOCK)) | {"stnb"}
    blocked = set()
    for module, dists in metadata.packages_distributions().items():
        if not {canonicalize_name(d) for d in dists} & core and module.isidentifier():
            blocked.add(module)
    return sorted(blocked - set(sys.stdlib_module_names) - {"_pytest", "pytest", "pluggy", "py"})


_BLOCKER = """
import importlib.abc, json, sys
BLOCKED = frozenset(json.loads({blocked!r}))
class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _NotInstalled())
"""


def _run_core(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_"))}
    env.update(STNB_LEDGER=str(cwd / "usage.sqlite3"), STNB_PROFILES=str(cwd / "profiles.toml"))
    script = _BLOCKER.format(blocked=json.dumps(_outside_core())) + code
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def test_the_simulation_blocks_the_extras() -> None:
    blocked = set(_outside_core())
    assert {
        "jupyterlab",
        "ipywidgets",
        "itables",
        "voila",
        "uvicorn",
        "kaleido",
        "httpx",
        "IPython",
    } <= blocked
    assert blocked.isdisjoint({"stnb", "polars", "plotly", "httpx2", "great_tables", "faker", "msgspec"})


def test_core_commands_run_without_the_extras(tmp_path: Path) -> None:
    code = """
from stnb.cli.main import main
codes = [
    main(["resources", "jobs"]),
    main(["pull", "jpm/jobs", "--sandbox", "--max-pages", "2", "--out", "jobs.parquet"]),
    main(["usage", "report", "--demo", "--out", "usage.html"]),
]
print("CODES", codes)
import polars as pl
print("ROWS", pl.read_parquet("jobs.parquet").height)
"""
    result = _run_core(code, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "CODES [0, 0, 0]" in result.stdout, result.stdout + result.stderr
    assert int(result.stdout.split("ROWS ")[1].split()[0]) > 0
    assert (tmp_path / "usage.html").stat().st_size > 1_000_000  # plotly.js inlined: opens offline


@pytest.mark.slow
def test_the_other_core_commands_run_without_the_extras(tmp_path: Path) -> None:
    """Every other command of the CLI except lab, dashboard and sandbox serve, on the sandbox."""
    code = """
import contextlib, io, json
from stnb.cli.main import main
codes = {}
for argv in (
    ["doctor", "--sandbox"],
    ["report", "list", "--sandbox"],
    ["report", "run", "business-unit-dashboard", "175", "--period", "last_month", "--sandbox",
     "--out", "r.parquet"],
    ["recipe", "run", "revenue_by_business_unit", "--sandbox", "--out", "recipe.parquet"],
    ["compare", "jpm/jobs", "--sandbox", "--out", "diff.html"],
    ["check", "--sandbox", "--budget", "20", "--out", "check.html", "--no-progress"],
    ["sandbox", "record", "--sandbox", "--resources", "crm/customers", "--max-records", "50",
     "--out", "acme.stnb", "--no-progress"],
    ["usage", "ledger"],
):
    with contextlib.redirect_stdout(io.StringIO()):
        codes[" ".join(argv[:2])] = main(argv)
print(json.dumps(codes))
"""
    result = _run_core(code, tmp_path)
    assert result.returncode == 0, result.stderr
    codes = json.loads(result.stdout.strip().splitlines()[-1])
    assert codes == dict.fromkeys(codes, 0) and len(codes) == 8, (codes, result.stderr[-2000:])
    for written in ("r.parquet", "recipe.parquet", "diff.html", "check.html", "acme.stnb/manifest.json"):
        assert (tmp_path / written).exists(), written


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["lab", "--no-browser"], NEEDS["lab"]),
        (["dashboard", "usage", "--no-browser"], NEEDS["dashboard"]),
        (["sandbox", "serve", "--port", "0"], NEEDS["serve"]),
        (["usage", "report", "--demo", "--out", "u.html", "--png", "png"], NEEDS["png"]),
    ],
)
def test_a_command_that_needs_an_extra_says_which_in_one_line(
    tmp_path: Path, argv: list[str], expected: str
) -> None:
    result = _run_core(f"from stnb.cli.main import main\nraise SystemExit(main({argv!r}))\n", tmp_path)
    assert (result.returncode, result.stderr, result.stdout) == (2, expected + "\n", "")
    assert not (tmp_path / "u.html").exists()  # refused before any work


def test_the_python_api_raises_missing_extra_with_the_same_words(tmp_path: Path) -> None:
    code = """
import json
import polars as pl
from stnb.errors import MissingExtra
said = {}
def attempt(name, call):
    try:
        call()
    except MissingExtra as exc:
        said[name] = [str(exc), exc.extra, exc.feature]
def widgets():
    import stnb.widgets
def serve():
    import stnb.sandbox
    stnb.sandbox.serve_in_thread()
def browse():
    from stnb.tables import browse_html
    browse_html(pl.DataFrame({"a": [1]}))
def png():
    from stnb.pages.usage_report import build_report
    from stnb.sandbox.demo_usage import build_demo_usage
    demo = build_demo_usage("demo")
    build_report(ledger=demo.ledger_path, portal=demo.portal_dir).write_pngs("png")
for name, call in (("widgets", widgets), ("serve", serve), ("browse", browse), ("png", png)):
    attempt(name, call)
print(json.dumps(said))
"""
    result = _run_core(code, tmp_path)
    assert result.returncode == 0, result.stderr
    said = json.loads(result.stdout.strip().splitlines()[-1])
    assert said == {
        "widgets": ["stnb.widgets needs the lab extra: pip install 'stnb[lab]'", "lab", "stnb.widgets"],
        "serve": [
            "stnb.sandbox.serve_in_thread needs the serve extra: pip install 'stnb[serve]'",
            "serve",
            "stnb.sandbox.serve_in_thread",
        ],
        "browse": [
            "stnb.tables.browse_html needs the lab extra: pip install 'stnb[lab]'",
            "lab",
            "stnb.tables.browse_html",
        ],
        "png": [
            "UsageReport.write_pngs needs the png extra: pip install 'stnb[png]'",
            "png",
            "UsageReport.write_pngs",
        ],
    }
    assert not (tmp_path / "png").exists()


def test_missing_extra_is_a_usage_error_that_survives_pickling() -> None:
    import pickle

    from stnb.errors import UsageError, require_extra

    error = pickle.loads(pickle.dumps(MissingExtra("stnb lab", "lab")))
    assert isinstance(error, UsageError)
    assert (str(error), error.feature, error.extra) == (NEEDS["lab"], "stnb lab", "lab")
    require_extra("lab", "stnb lab")  # installed here: no error
    with pytest.raises(ValueError, match="unknown extra 'labs'"):
        require_extra("labs", "stnb lab")


# ---- the real thing: a fresh virtual environment with the core alone ------------------------------------


def _uv() -> str:
    found = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    if found is None:
        pytest.fail("uv is not installed in the venv (make install installs it)")
    return found


def _clean_env(workdir: Path) -> dict[str, str]:
    """This environment (its index, certificates and uv cache settings: CI reaches its registry as
    `make install` does) without credentials, virtualenv or path settings; ledger and profiles in
    `workdir`."""
    dropped = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "CONDA_PREFIX", "UV_PYTHON")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("STNB_", "SERVICETITAN_", "PYTEST_")) and k not in dropped
    }
    env.update(STNB_LEDGER=str(workdir / "usage.sqlite3"), STNB_PROFILES=str(workdir / "profiles.toml"))
    return env


@pytest.mark.slow
def test_the_core_alone_installs_into_a_fresh_venv_and_runs(tmp_path: Path) -> None:
    uv, venv, home = _uv(), tmp_path / "venv", tmp_path / "home"
    home.mkdir()
    # The package from a copy of its sources, as `pip install stnb` would build it (no editable install,
    # nothing of the checkout on the path).
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "stnb", source / "stnb", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    env = _clean_env(home)

    def run(*argv: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, capture_output=True, text=True, cwd=home, env=env, timeout=timeout)

    for step in (
        [uv, "venv", "-q", "--python", sys.executable, str(venv)],
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "-r", str(CORE_LOCK)],
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), "--no-deps", str(source)],
        [uv, "pip", "check", "-q", "--python", str(venv / "bin" / "python")],
    ):
        done = run(*step)
        assert done.returncode == 0, f"{' '.join(step)}: {done.stderr}"

    python, stnb = str(venv / "bin" / "python"), str(venv / "bin" / "stnb")
    installed = run(uv, "pip", "freeze", "--python", python).stdout
    names = {canonicalize_name(re.split(r"==| @ ", line)[0]) for line in installed.splitlines() if line}
    assert names == set(pins(CORE_LOCK)) | {"stnb"}
    probe = run(
        python,
        "-c",
        "import importlib.util, json, stnb; print(json.dumps([stnb.__file__, [m for m in "
        "('jupyterlab', 'ipywidgets', 'itables', 'voila', 'uvicorn', 'kaleido', 'httpx', 'IPython')"
        " if importlib.util.find_spec(m)]]))",
    )
    where, present = json.loads(probe.stdout)
    assert where.startswith(str(venv)) and present == [], probe.stderr

    resources = run(stnb, "resources", "jobs")
    assert resources.returncode == 0 and "jpm/jobs" in resources.stdout, resources.stderr

    pull = run(stnb, "pull", "jpm/jobs", "--sandbox", "--max-pages", "2", "--out", "jobs.parquet")
    assert pull.returncode == 0, pull.stderr
    rows = run(python, "-c", "import polars as pl; print(pl.read_parquet('jobs.parquet').height)")
    assert int(rows.stdout) > 0, rows.stderr

    report = run(stnb, "usage", "report", "--demo", "--out", "usage.html")
    assert report.returncode == 0, report.stderr
    page = (home / "usage.html").read_text(encoding="utf-8")
    assert len(page) > 1_000_000 and "Plotly.newPlot" in page  # charts, plotly.js inlined

    for argv, expected in (
        (("lab", "--no-browser"), NEEDS["lab"]),
        (("dashboard", "usage", "--no-browser"), NEEDS["dashboard"]),
        (("sandbox", "serve", "--port", "0"), NEEDS["serve"]),
        (("usage", "report", "--demo", "--out", "u.html", "--png", "png"), NEEDS["png"]),
    ):
        needs = run(stnb, *argv, timeout=120)
        assert (needs.returncode, needs.stderr, needs.stdout) == (2, expected + "\n", ""), argv

    widgets = run(python, "-c", "import stnb.widgets")
    assert widgets.returncode == 1
    assert widgets.stderr.strip().splitlines()[-1] == (
        "stnb.errors.MissingExtra: stnb.widgets needs the lab extra: pip install 'stnb[lab]'"
    )
