"""`stnb resources`, `stnb pull`, `stnb doctor`: output, files, exit codes, and never a secret."""

from __future__ import annotations

import io
from pathlib import Path

import httpx2
import polars as pl
import pytest

from stnb._clock import FakeClock
from stnb.cli import core
from stnb.cli.main import main

from .conftest import APP_KEY, CLIENT_ID, CLIENT_SECRET, TENANT, FakeApi, job

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
CUSTOMERS = "/crm/v2/tenant/{tenant}/customers"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Integration credentials in environment variables (pointing at the fake through `transport=`)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("STNB_APP_KEY", APP_KEY)
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("STNB_INTEGRATION_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("STNB_INTEGRATION_TENANT_ID", str(TENANT))


def secrets_in(text: str, fake: FakeApi) -> list[str]:
    issued = [f"token-{n}-zzzzzzzzzzzz" for n in range(1, fake.token_requests + 1)]
    return [s for s in (CLIENT_SECRET, APP_KEY, CLIENT_ID, *issued) if s in text]


def test_resources_lists_and_filters(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resources", "customers", "--module", "crm", "--kind", "export"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split() == ["RESOURCE", "ENDPOINTS", "FILTERS", "ACTIVE"]
    assert any(line.startswith("crm/customers ") and "list,export,get" in line for line in lines)
    assert all("crm/" in line for line in lines[1:-1])
    assert lines[-1].endswith("resources")


def test_resources_counts_and_lists_the_skipped_paths(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resources"]) == 0
    last = capsys.readouterr().out.splitlines()[-1]
    assert last.startswith("24 documented GET paths are not resources (")
    assert main(["resources", "--skipped"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["PATH", "KIND", "REASON"]
    assert len(lines) == 24 + 2 and lines[-1].startswith("24 of 24")
    recording = next(
        line for line in lines if line.startswith("/telecom/v2/tenant/{tenant}/calls/{id}/recording")
    )
    assert " download " in recording and "file download" in recording
    assert main(["resources", "business-hours", "--skipped"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and "singleton" in lines[1]


def test_resources_rejects_an_unknown_module(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["resources", "--module", "nope"]) == 2
    assert "unknown module 'nope'" in capsys.readouterr().err


def test_pull_writes_parquet_with_filters(
    configured: None, fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.lists[fake.path(JOBS)] = [job(i) for i in range(1, 121)]
    out = tmp_path / "jobs.parquet"
    code = core.pull(
        "jobs",
        out,
        filters=["jobStatus=completed", "pageSize=50"],
        transport=httpx2.MockTransport(fake.handle),
        clock=FakeClock(),
    )
    assert code == 0
    frame = pl.read_parquet(out)
    assert frame.height == 120  # the fake ignores jobStatus; the filter was sent in its canonical spelling
    assert {p["jobStatus"] for p in fake.api_requests(JOBS)} == {"Completed"}
    printed = capsys.readouterr()
    assert "wrote 120 rows of jpm/jobs" in printed.out and f"integration tenant {TENANT}" in printed.out
    assert secrets_in(printed.out + printed.err, fake) == []


def test_pull_csv_and_active_is_reported(
    configured: None, fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake.lists[fake.path(CUSTOMERS)] = [{"id": i, "name": f"C{i}", "active": True} for i in range(1, 6)]
    out = tmp_path / "customers.csv"
    mock = httpx2.MockTransport(fake.handle)
    assert core.pull("crm/customers", out, transport=mock, clock=FakeClock()) == 0
    assert pl.read_csv(out)["id"].to_list() == [1, 2, 3, 4, 5]
    assert "active=True" in capsys.readouterr().out


def test_pull_bad_filter_is_a_clear_error_and_writes_nothing(
    configured: None, fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "jobs.parquet"
    code = core.pull(
        "jpm/jobs", out, filters=["jobstatus=Completed"], transport=httpx2.MockTransport(fake.handle)
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "jobStatus" in err and "stnb pull: error" in err
    assert not out.exists() and fake.requests == []


def test_pull_unknown_resource_and_bad_suffix(
    configured: None, fake: FakeApi, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    transport = httpx2.MockTransport(fake.handle)
    assert core.pull("jpm/jbos", tmp_path / "x.parquet", transport=transport) == 1
    assert "jpm/jobs" in capsys.readouterr().err
    assert core.pull("jpm/jobs", tmp_path / "x.xlsx", transport=transport) == 2
    assert ".parquet or .csv" in capsys.readouterr().err


def test_pull_parses_its_arguments(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: dict[str, object] = {}

    def fake_pull(resource: str, out: Path, **kwargs: object) -> int:
        seen.update(kwargs, resource=resource, out=out)
        return 0

    monkeypatch.setattr(core, "pull", fake_pull)
    argv = ["pull", "jobs", "--env", "production", "--no-sandbox", "--filter", "a=1", "--filter", "b=x=y"]
    assert main([*argv, "--export", "--since", "2025-01-01", "--out", str(tmp_path / "o.csv")]) == 0
    assert seen["sandbox"] is False and seen["env"] == "production" and seen["export"] is True
    assert seen["filters"] == ["a=1", "b=x=y"] and seen["since"] == "2025-01-01"
    assert core._parse_filters(["b=x=y"]) == {"b": "x=y"}


def test_doctor_reports_sources_token_and_403_without_secrets(
    configured: None, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    def scopes(request: httpx2.Request, params: dict[str, str]) -> httpx2.Response | None:
        if request.url.path.startswith("/accounting/"):
            return httpx2.Response(403, json={"title": "Provided authentication is insufficient"})
        body = {"page": 1, "pageSize": 1, "hasMore": False, "totalCount": None, "data": []}
        return httpx2.Response(200, json=body)

    fake.override = scopes
    out = io.StringIO()
    code = core.doctor(
        env="integration", transport=httpx2.MockTransport(fake.handle), clock=FakeClock(), out=out
    )
    text = out.getvalue()
    assert code == 0
    assert "environment variables" in text and f"tenant {TENANT}" in text
    assert "token: ok" in text
    assert "403 on: accounting" in text
    assert "jpm" in text and "crm" in text
    printed = capsys.readouterr()
    assert secrets_in(text + printed.out + printed.err, fake) == []


def test_doctor_reports_a_refused_token(
    configured: None, fake: FakeApi, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(request: httpx2.Request) -> httpx2.Response:
        if request.url.path == "/connect/token":
            return httpx2.Response(400, json={"error": "invalid_client"})
        return fake.handle(request)

    out = io.StringIO()
    assert (
        core.doctor(env="integration", transport=httpx2.MockTransport(refuse), clock=FakeClock(), out=out)
        == 1
    )
    text = out.getvalue()
    assert "token: FAILED" in text and "invalid_client" in text
    assert CLIENT_SECRET not in text + capsys.readouterr().err


def test_doctor_without_credentials_points_to_the_sandbox(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    assert core.doctor(env="production", out=out) == 0
    assert "would use the built-in sandbox" in out.getvalue()


@pytest.mark.parametrize("option", [["--max-pages", "1"], ["--page-size", "10"]])
def test_pull_export_refuses_page_options(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], option: list[str]
) -> None:
    out = tmp_path / "jobs.parquet"
    assert main(["pull", "jobs", "--export", *option, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("stnb pull: error: --max-pages and --page-size apply to list endpoints")
    assert not out.exists()


def test_pull_help_says_what_the_page_options_do(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["pull", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "a warning says so" not in text
    assert "--max-pages N list only: stop after N pages" in text
    assert "--page-size N list only: records per page (1 to 5000)" in text
    assert "--tenant" in text and "--no-sandbox" in text and "--since" in text


def test_doctor_checks_the_sandbox_app_named_by_profile(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--sandbox", "--profile", "Fleet Insights", "--env", "integration"]) == 0
    out = capsys.readouterr().out
    assert "app_name='Fleet Insights'" in out and "source='sandbox'" in out
    assert "403 on: accounting, payroll" in out  # Fleet Insights was not granted these modules
    assert "\nproduction:" not in out


def test_doctor_sandbox_tenant_and_unknown_app(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stnb.sandbox import default_sandbox

    app = default_sandbox().app("Fleet Insights")
    tenant = app.tenants[-1]
    argv = ["doctor", "--sandbox", "--profile", app.name, "--tenant", str(tenant.tenant_id)]
    assert main([*argv, "--env", "production"]) == 0
    out = capsys.readouterr().out
    assert f"tenant={tenant.tenant_id}" in out and "token: ok" in out
    assert main(["doctor", "--sandbox", "--profile", "Nope", "--env", "production"]) == 1
    assert "PROBLEM: the sandbox has no app 'Nope'" in capsys.readouterr().out


def test_doctor_no_sandbox_without_credentials_is_a_problem(
    no_credentials: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["doctor", "--no-sandbox"]) == 1
    out = capsys.readouterr().out
    assert out.count("PROBLEM: no credentials for") == 2  # integration and production
    assert main(["doctor", "--env", "integration"]) == 0
    assert "would use the built-in sandbox" in capsys.readouterr().out
