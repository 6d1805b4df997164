"""Issue 14, one test (or a few) per numbered item: each reproduces the case as the issue reports it and
asserts the new behaviour. Token sharing (item 3) and the token cache (item 10) are in
tests/client/test_hardening_auth.py, the sandbox's answers to malformed requests (item 8) in
tests/sandbox/test_fuzz_served.py, the ledger under a burst (item 7) in tests/usage/test_ledger_burst.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import stnb
from stnb._clock import FakeClock
from stnb._connection import Connection
from stnb._query import EmptyRangeWarning
from stnb._retry import RetryPolicy
from stnb.cli.main import main
from stnb.errors import (
    ConfigError,
    InvalidRequest,
    ServerError,
    StnbError,
    UsageError,
    UsageTypeError,
    ValidationError,
    WriteForbidden,
)
from stnb.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
ANCHOR = datetime(2026, 1, 15, tzinfo=UTC)
JOB = "jpm/v2/tenant/{tenant}/jobs/{id}"


@pytest.fixture(scope="module")
def clock() -> FakeClock:
    return FakeClock(ANCHOR)


@pytest.fixture(scope="module")
def sandbox(clock: FakeClock) -> Sandbox:
    return Sandbox(seed=11, scale=0.2, anchor=ANCHOR, clock=clock)


@pytest.fixture
def served(sandbox: Sandbox) -> Iterator[list[tuple[str, str, int]]]:
    """What reached the sandbox: (method, endpoint template, status)."""
    seen: list[tuple[str, str, int]] = []
    sandbox.faults = None
    sandbox.on_request = lambda r: seen.append((r.method, r.endpoint, r.status))
    yield seen
    sandbox.on_request = None
    sandbox.faults = None


def connect(sandbox: Sandbox, clock: FakeClock, env: str = "integration", **options: Any) -> Connection:
    return stnb.connect(env, sandbox=sandbox, clock=clock, progress=False, **options)


def a_job(st: Connection) -> dict[str, Any]:
    body = st.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params={"pageSize": 1})
    return dict(body["data"][0])


# -- 1. a production write without allow_writes -------------------------------------------------------


def test_1_production_patch_with_read_only_true_is_refused_and_changes_nothing(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock, "production") as st:
        job = a_job(st)
        for _ in range(4):  # the issue saw 4 of 4 tries change the job
            with pytest.raises(WriteForbidden) as refused:
                st.request_json(
                    "PATCH", JOB, path_params={"id": job["id"]}, json={"summary": "x"}, read_only=True
                )
        after = st.request_json("GET", JOB, path_params={"id": job["id"]})
    message = str(refused.value)
    assert "allow_writes=True" in message and "read_only" not in message
    assert after["summary"] == job["summary"] != "x"
    assert not [s for s in served if s[0] == "PATCH"]  # nothing was sent


def test_1_production_writes_open_only_with_allow_writes(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock, "production") as st:
        job = a_job(st)
        changed = st.request_json(
            "PATCH", JOB, path_params={"id": job["id"]}, json={"summary": "per call"}, allow_writes=True
        )
        assert changed["summary"] == "per call"
    with connect(sandbox, clock, "production", allow_writes=True) as st:
        changed = st.request_json(
            "PATCH", JOB, path_params={"id": job["id"]}, json={"summary": "per connection"}
        )
        assert changed["summary"] == "per connection"
        with pytest.raises(UsageError, match="never retried"):  # read_only=True is no way around it either
            st.request_json(
                "PATCH", JOB, path_params={"id": job["id"]}, json={"summary": "y"}, read_only=True
            )
    assert [s[2] for s in served if s[0] == "PATCH"] == [200, 200]


# -- 2. tracebacks from the CLI ---------------------------------------------------------------------


def test_2_a_100000_character_filter_is_one_line_and_exit_1(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["pull", "crm/customers", "--filter", "name=" + "a" * 100_000, "--out", "a.parquet"])
    err = capsys.readouterr().err
    assert code == 1
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith(
        "stnb pull: error: GET /crm/v2/tenant/{tenant}/customers"
    )
    assert "URL would be longer than 8,192 characters" in errors[0]
    assert "Traceback" not in err and not (no_credentials / "a.parquet").exists()


def test_2_undecodable_filter_bytes_from_the_shell_are_one_line_and_exit_1(no_credentials: Path) -> None:
    # `--filter $'name=\xff\xfe'`: the bytes reach Python as lone surrogates; a real process shows it.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STNB_", "SERVICETITAN_"))}
    env.update(STNB_LEDGER="off", STNB_PROFILES=str(no_credentials / "none.toml"), PYTHONPATH=str(ROOT))
    argv = [sys.executable.encode(), b"-m", b"stnb.cli.main", b"pull", b"crm/customers"]
    argv += [b"--filter", b"name=\xff\xfe", b"--max-pages", b"1", b"--out", b"a.parquet"]
    result = subprocess.run(argv, cwd=no_credentials, env=env, capture_output=True, timeout=120, check=False)
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1, err
    assert "Traceback" not in err
    *notices, error = err.splitlines()  # the sandbox notice (and the active note), then one error line
    assert notices[0].startswith("stnb: no credentials for 'integration'")
    assert all(line.startswith("stnb: ") for line in notices)
    assert error.startswith("stnb pull: error: Invalid filters for crm/customers; name: contains characters")


def test_2_an_unexpected_exception_is_one_line_without_debug(
    no_credentials: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from stnb.cli import core

    def broken(*_args: object, **_kwargs: object) -> int:
        raise KeyError("boom")

    monkeypatch.setattr(core, "pull", broken)
    assert main(["pull", "jobs", "--out", "x.parquet"]) == 1
    err = capsys.readouterr().err
    assert err == "stnb pull: error: unexpected KeyError: 'boom' (run with --debug for the traceback)\n"
    assert main(["--debug", "pull", "jobs", "--out", "x.parquet"]) == 1
    assert "Traceback" in capsys.readouterr().err


# -- 4. raw exceptions from the Python API ----------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda st: st.frame(123), UsageTypeError),
        (lambda st: st.frame(None), UsageTypeError),
        (lambda st: st.get("jpm/jobs", "x" * 100_000), InvalidRequest),
        (lambda st: st.frame("crm/customers", name="a" * 1_000_000), InvalidRequest),
        (lambda st: st.frame("crm/customers", name="\udcff"), InvalidRequest),
        (lambda st: st.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", params=5), UsageTypeError),
        (lambda st: st.request_json("GET", "jpm/v2/tenant/{tenant}/jobs", json=object()), UsageTypeError),
        (lambda st: st.request_json(5, "jpm/v2/tenant/{tenant}/jobs"), UsageTypeError),
        (lambda st: st.request_json("FETCH", "jpm/v2/tenant/{tenant}/jobs"), UsageError),
    ],
    ids=[
        "frame-123",
        "frame-None",
        "get-long-id",
        "million-char-filter",
        "surrogate-filter",
        "params-5",
        "json-object",
        "method-5",
        "method-fetch",
    ],
)
def test_4_bad_arguments_raise_a_stnb_error_before_any_request(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]], call: Any, expected: type
) -> None:
    with connect(sandbox, clock) as st:
        before = len(served)
        with pytest.raises(expected) as raised:
            call(st)
    assert isinstance(raised.value, StnbError)
    assert isinstance(raised.value, ValueError | TypeError)
    assert len(served) == before  # refused before any request (not even a token)


def test_4_connect_and_retry_policy_arguments(no_credentials: Path) -> None:
    with pytest.raises(UsageTypeError, match="env must be text"):
        stnb.connect(env=123)  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="timeout must be a positive number of seconds"):
        stnb.connect(timeout=-1, sandbox=True)
    with pytest.raises(UsageTypeError, match="max_attempts must be a whole number"):
        RetryPolicy(max_attempts="3")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="max_wait"):
        RetryPolicy(max_wait=float("nan"))


def test_4_to_parquet_into_a_directory_fails_before_the_pull(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]], tmp_path: Path
) -> None:
    folder = tmp_path / "out.parquet"
    folder.mkdir()
    with connect(sandbox, clock) as st:
        before = len(served)
        with pytest.raises(UsageError, match="is a directory"):
            st.to_parquet("jpm/jobs", folder)
        assert len(served) == before


# -- 5. silently accepted ----------------------------------------------------------------------------


def test_5_a_date_range_that_starts_after_it_ends_is_refused(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock) as st:
        with pytest.raises(InvalidRequest) as refused:
            st.frame("jpm/jobs", createdOnOrAfter="2026-06-01", createdBefore="2025-01-01")
        assert "createdOnOrAfter" in refused.value.errors
        assert "no record can match" in str(refused.value)
        assert isinstance(refused.value, ValidationError)  # what code catching filter errors expects
        with pytest.warns(EmptyRangeWarning, match="meet, so the result will be empty"):
            empty = st.frame("jpm/jobs", createdOnOrAfter="2026-01-01", createdBefore="2026-01-01")
        assert empty.height == 0
        with pytest.raises(InvalidRequest):
            st.frame("accounting/invoices", invoicedOnOrAfter="2026-02-01", invoicedOnBefore="2026-01-01")


def test_5_to_parquet_with_a_txt_name_is_refused_before_the_pull(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]], tmp_path: Path
) -> None:
    refused = pytest.raises(UsageError, match=r"must end in \.parquet or \.csv, got 'x\.txt'")
    with connect(sandbox, clock) as st, refused:
        st.to_parquet("jpm/jobs", tmp_path / "x.txt")
    assert not served and not (tmp_path / "x.txt").exists()


def test_5_get_with_none_sends_nothing(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock) as st, pytest.raises(InvalidRequest, match="id is required"):
        st.get("jpm/jobs", None)  # type: ignore[arg-type]
    assert not served


def test_5_usage_report_to_a_txt_file_is_refused(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["usage", "report", "--demo", "--out", "r.txt"]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        "stnb usage report: error: --out must end in .html (the report is an HTML page), got 'r.txt'\n"
    )
    assert not (no_credentials / "r.txt").exists() and "demo usage" not in captured.out


def test_5_doctor_with_an_unknown_stnb_env_fails_like_pull(
    no_credentials: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STNB_ENV", "staging")
    assert main(["doctor"]) == 1
    doctor_err = capsys.readouterr().err
    assert main(["pull", "jobs", "--out", "x.parquet"]) == 1
    pull_err = capsys.readouterr().err
    assert doctor_err.startswith("stnb doctor: error: unknown environment 'staging'")
    assert doctor_err.split(": error: ")[1] == pull_err.split(": error: ")[1]


# -- 6. a single 500 no longer ends a read ------------------------------------------------------------


def test_6_a_jobs_pull_with_injected_500s_completes(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock) as st:
        clean = st.frame("jpm/jobs", page_size=100)
        sandbox.faults = "500=0.1,seed=5"
        faulty = st.frame("jpm/jobs", page_size=100)
    assert [s for s in served if s[2] == 500]  # 500s happened, and were retried
    assert faulty.sort("id").equals(clean.sort("id"))


def test_6_writes_are_never_retried_after_a_500(
    sandbox: Sandbox, clock: FakeClock, served: list[tuple[str, str, int]]
) -> None:
    with connect(sandbox, clock) as st:
        job = a_job(st)
        sandbox.faults = "500=1"
        with pytest.raises(ServerError):
            st.request_json(
                "POST",
                "jpm/v2/tenant/{tenant}/jobs/{id}/notes",
                path_params={"id": job["id"]},
                json={"text": "once"},
            )
    assert len([s for s in served if s[0] == "POST" and "notes" in s[1]]) == 1


# -- 9. relative path segments ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "path_params"),
    [
        ("../../connect/token", None),
        ("jpm/v2/tenant/{tenant}/../../../connect/token", None),
        ("jpm/v2/tenant/{tenant}/%2e%2e/jobs", None),
        ("jpm/v2/tenant/{tenant}/./jobs", None),
        (JOB, {"id": ".."}),
    ],
)
def test_9_relative_path_segments_are_refused(
    sandbox: Sandbox,
    clock: FakeClock,
    served: list[tuple[str, str, int]],
    path: str,
    path_params: dict[str, Any] | None,
) -> None:
    with connect(sandbox, clock) as st, pytest.raises(InvalidRequest, match="relative"):
        st.request_json("GET", path, path_params=path_params)
    assert not served  # the token endpoint was not reached either


# -- "Also:" -------------------------------------------------------------------------------------------


def test_also_cli_validation_errors_are_one_line_after_the_sandbox_notice(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["pull", "crm/customers", "--filter", "nmae=x", "--filter", "createdOnOrAfter=soon", "--out", "a.csv"]
    )
    errors = capsys.readouterr().err.splitlines()  # the sandbox notice goes through logging
    assert code == 1 and len(errors) == 1
    assert errors[0].startswith("stnb pull: error: Invalid filters for crm/customers")
    assert "nmae: unknown filter; did you mean name?" in errors[0] and "; createdOnOrAfter: " in errors[0]


@pytest.mark.filterwarnings("ignore::stnb._paging.TruncationWarning")
def test_also_the_inactive_hint_speaks_cli_to_a_cli_user(
    no_credentials: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from stnb import _connection as connection

    connection._active_noted.clear()
    assert main(["pull", "crm/customers", "--max-pages", "1", "--out", "c.parquet"]) == 0
    notes = [r.getMessage() for r in caplog.records if "active not given" in r.getMessage()]
    assert notes and "pass --filter active=any to include inactive ones" in notes[0]
    assert "active='any'" not in notes[0]
    connection._active_noted.clear()
    with stnb.connect(sandbox=True, progress=False) as st:
        st.frame("crm/customers", max_pages=1)
    python_notes = [r.getMessage() for r in caplog.records if "active not given" in r.getMessage()]
    assert "pass active='any' to include inactive ones" in python_notes[-1]


def test_also_resources_without_a_match_say_so(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["resources", "nosuchthing"]) == 1
    captured = capsys.readouterr()
    assert captured.err.startswith("stnb resources: error: no resource of the ")
    assert captured.err.count("\n") == 1 and "stnb resources" in captured.err
    assert main(["resources", "custmers"]) == 1
    assert "did you mean crm/customers" in capsys.readouterr().err
    assert main(["resources", "customers"]) == 0


def test_also_usage_ledger_since_takes_the_presets(
    no_credentials: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from stnb._attempts import Attempt
    from stnb.usage.ledger import UsageLedger

    path = tmp_path / "ledger.sqlite3"
    now = datetime.now(UTC)
    with UsageLedger(path) as ledger:
        ledger(
            Attempt(
                now, "integration", "app1", "App", "1", "GET", "jpm", "/jpm/x", 200, 1.0, 10, 1, 0.0, None
            )
        )
    for preset in ("yesterday", "last_7_days", "today", "last_30_days"):
        assert main(["usage", "ledger", "--path", str(path), "--since", preset]) == 0
    out = capsys.readouterr().out
    assert "1 attempt from" in out
    with pytest.raises(SystemExit) as exited:
        main(["usage", "ledger", "--path", str(path), "--since", "lastweek"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "argument --since: expected a date like 2026-06-01 or a preset" in err


def test_usage_error_family() -> None:
    assert issubclass(UsageError, StnbError) and issubclass(UsageError, ValueError)
    assert issubclass(UsageTypeError, UsageError) and issubclass(UsageTypeError, TypeError)
    assert issubclass(InvalidRequest, ValidationError) and issubclass(InvalidRequest, UsageError)
    assert issubclass(ConfigError, UsageError)
    assert issubclass(stnb.UnknownResourceError, UsageError)


def test_also_cli_warnings_are_one_line_too(no_credentials: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pull", "crm/customers", "--max-pages", "1", "--out", "c.parquet"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "stnb pull: warning: crm/customers: stopped after 1 page (max_pages=1); "
        + err[0].split("(max_pages=1); ")[1]
    ]
    assert "more exist" in err[0]
