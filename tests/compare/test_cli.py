"""`stnb compare`: text summary, HTML page, exit codes, bad input, no secrets in the output."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest

from stnb._connection import Connection
from stnb.cli.main import main
from tests.compare.fake_api import FakeEnv, connection
from tests.compare.test_compare_fake import envs


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeEnv]:
    """`stnb.connect(env=...)` answers from the scripted environments; records what it was asked."""
    a, b = envs()
    by_env = {"integration": a, "production": b}
    asked: list[dict[str, Any]] = []

    def fake_connect(**kwargs: Any) -> Connection:
        asked.append(kwargs)
        return connection(by_env[kwargs["env"]])

    # `stnb.connect` the attribute is the function; the module is where sides look it up
    monkeypatch.setattr(importlib.import_module("stnb._connect"), "connect", fake_connect)
    by_env["asked"] = asked  # type: ignore[assignment]
    return by_env


def test_compare_prints_a_summary_and_writes_html(
    fakes: dict[str, FakeEnv], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "diff.html"
    code = main(
        [
            "compare",
            "crm/customers",
            "--a",
            "integration",
            "--b",
            "production",
            "--filter",
            "active=any",
            "--out",
            str(out),
            "--sandbox",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.startswith("crm/customers [active=Any]: a = integration")
    assert "nationalAccount" in printed and "Multifamily" in printed
    assert f"wrote {out}" in printed and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert fakes["asked"] == [  # type: ignore[comparison-overlap]
        {"sandbox": True, "env": "integration"},
        {"sandbox": True, "env": "production"},
    ]
    assert fakes["integration"].calls and fakes["production"].calls  # each side asked its own API
    assert "cs1." not in printed and "tok-" not in printed


def test_compare_partial_result_exits_1(
    fakes: dict[str, FakeEnv], capsys: pytest.CaptureFixture[str]
) -> None:
    fakes["production"].fail_status = {"/customers": 403}
    assert main(["compare", "customers"]) == 1
    assert "side b (production) failed during count [403]" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["compare", "crm/custmers"], "Unknown resource 'crm/custmers'"),
        (["compare", "crm/customers", "--filter", "nope"], "is not NAME=VALUE"),
        (["compare", "crm/customers", "--filter", "colour=red"], "colour"),
        (["compare", "crm/customers", "--a", "staging"], "unknown environment 'staging'"),
        (["compare"], "give a RESOURCE, or --all"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(
    fakes: dict[str, FakeEnv], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("stnb compare: error:") and message in err


def test_compare_all_prints_the_sweep(fakes: dict[str, FakeEnv], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compare", "--all", "--budget", "4"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["resource", "status_a", "status_b", "count_a", "count_b"]
    assert [line.split()[:5] for line in lines[1:3]] == [
        # the first list resources in key order (2026-05 documents added AP bills)
        ["accounting/ap-bills", "200", "200", "275", "284"],
        ["accounting/ap-bills/custom-fields", "200", "200", "275", "284"],
    ]
    assert all(line.endswith("skipped: request budget (4) spent") for line in lines[3:])
    assert len(lines) > 50


def test_compare_all_for_one_resource(fakes: dict[str, FakeEnv], capsys: pytest.CaptureFixture[str]) -> None:
    fakes["production"].fail_status = {"/locations": 403}
    assert main(["compare", "crm/locations", "--all"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[1].split()[:4] == ["crm/locations", "200", "403", "300"]
    assert "403 on b" in lines[1]


def test_compare_on_the_built_in_sandbox(capsys: pytest.CaptureFixture[str]) -> None:
    from stnb.sandbox import default_sandbox

    code = main(["compare", "crm/customers", "--sandbox"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "fields only in b" in captured.out and "nationalAccount" in captured.out
    assert "Multifamily" in captured.out
    for credentials in default_sandbox().credentials.values():
        assert credentials.client_secret not in captured.out + captured.err
        assert credentials.app_key not in captured.out + captured.err


def test_compare_all_writes_the_sweep_page(
    fakes: dict[str, FakeEnv], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "all.html"
    assert main(["compare", "--all", "--budget", "4", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.rstrip().endswith(f"wrote {out}")
    page = out.read_text(encoding="utf-8")
    assert (
        page.startswith("<!DOCTYPE html>")
        and "every list resource: a = integration vs b = production" in page
    )
    rows = re.findall(r"<tr>(.*?)</tr>", page, flags=re.S)  # a publication table (stnb.tables), one row each
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    assert ["accounting/ap-bills", "200", "200", "275", "284"] in [c[:5] for c in cells]
    assert "Records (a)" in page and "Type differences" in page
    assert "skipped: request budget (4) spent" in page


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--filter", "active=any"], "--filter"),
        (["--method", "list"], "--method"),
        (["--threshold", "10", "--filter", "a=b"], "--filter, --threshold"),
    ],
)
def test_compare_all_rejects_options_it_cannot_apply(
    fakes: dict[str, FakeEnv], capsys: pytest.CaptureFixture[str], extra: list[str], named: str
) -> None:
    assert main(["compare", "crm/customers", "--all", *extra]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"stnb compare: error: {named} cannot be combined with --all")
    assert fakes["integration"].calls == [] and fakes["production"].calls == []


def test_compare_method_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--method {auto,list,export,sample} how records are read" in text
