"""Property-based tests (Hypothesis) of issue 14: whatever the arguments, the public Python surface gives a
result or a `stnb` error, and the CLI a result or a one-line error with exit code 1 or 2, never another
exception or a traceback. Offline (the embedded sandbox), bounded in examples."""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import warnings
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stnb
from stnb._clock import FakeClock
from stnb._retry import RetryPolicy
from stnb.cli.main import main
from stnb.errors import StnbError
from stnb.sandbox import Sandbox

ANCHOR = datetime(2026, 1, 15, tzinfo=UTC)
RESOURCES = [
    "jpm/jobs",
    "crm/customers",
    "customers",
    "accounting/invoices",
    "crm/customers/contacts",
    "jobs",
]
FILTERS = [
    "active",
    "pageSize",
    "page",
    "ids",
    "name",
    "createdOnOrAfter",
    "createdBefore",
    "modifiedOnOrAfter",
    "sort",
    "jobStatus",
    "priority",
    "number",
    "customerId",
    "nosuch",
    "includeTotal",
]
ODD = st.sampled_from(
    [
        "",
        " ",
        "..",
        "../../connect/token",
        "\udcff",
        "a" * 10_000,
        "0",
        "-1",
        "1e309",
        "None",
        "any",
        "{id}",
        "jpm/v2/tenant/{tenant}/jobs",
        "2026-13-45",
        "2026-01-01",
        "%2e%2e",
        "\x00",
        "日本",
    ]
)
ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.text(max_size=30),
    ODD,
    st.binary(max_size=8),
    st.lists(st.one_of(st.integers(), st.text(max_size=5)), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just(object()),
    st.just(datetime(2026, 1, 1)),
)
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[Sandbox, FakeClock, stnb.Connection, Path]]:
    clock = FakeClock(ANCHOR)
    sandbox = Sandbox(seed=21, scale=0.1, anchor=ANCHOR, clock=clock, rate_limit=0)
    with (
        tempfile.TemporaryDirectory() as folder,
        stnb.connect(sandbox=sandbox, clock=clock, progress=False) as conn,
    ):
        yield sandbox, clock, conn, Path(folder)


def outcome(call: Callable[[], Any]) -> Any:
    """Run `call`: a result or a StnbError is fine; anything else fails the property."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return call()
        except StnbError as exc:
            text = str(exc)
            assert text and "Traceback" not in text
            return exc


@st.composite
def frame_calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    resource = draw(st.one_of(st.sampled_from(RESOURCES), ANY))
    filters = draw(st.dictionaries(st.one_of(st.sampled_from(FILTERS), st.text(max_size=8)), ANY, max_size=3))
    filters = {
        k: v for k, v in filters.items() if k not in {"max_pages", "page_size", "progress", "resource"}
    }
    options = {"max_pages": draw(st.one_of(st.just(1), ANY)), "page_size": draw(st.one_of(st.none(), ANY))}
    if options["max_pages"] is None or options["max_pages"] is True:
        options["max_pages"] = 1  # keep each example a short pull
    return resource, {**options, **filters}


@SETTINGS
@given(call=frame_calls())
def test_frame_pages_and_items_take_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path], call: tuple[Any, dict[str, Any]]
) -> None:
    _, _, conn, _ = world
    resource, kwargs = call
    result = outcome(lambda: conn.frame(resource, **kwargs))
    assert isinstance(result, StnbError) or result.height >= 0
    outcome(lambda: next(iter(conn.items(resource, **kwargs)), None))


@SETTINGS
@given(
    resource=st.one_of(st.sampled_from(RESOURCES[:3]), ANY),
    since=st.one_of(st.none(), ANY),
    checkpoint=st.one_of(
        st.none(),
        ANY,
        st.fixed_dictionaries({"resource": ANY, "env": ANY, "tenant": ANY, "continue_from": ANY}),
    ),
    filters=st.dictionaries(st.sampled_from(FILTERS), ANY, max_size=2),
)
def test_export_takes_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path],
    resource: Any,
    since: Any,
    checkpoint: Any,
    filters: dict[str, Any],
) -> None:
    _, _, conn, _ = world
    outcome(lambda: next(iter(conn.export(resource, since=since, checkpoint=checkpoint, **filters)), None))


@SETTINGS
@given(
    resource=st.one_of(st.sampled_from(RESOURCES), ANY),
    record=ANY,
    params=st.dictionaries(st.sampled_from(["nosuch", "includeTotal", "fields"]), ANY, max_size=2),
)
def test_get_takes_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path],
    resource: Any,
    record: Any,
    params: dict[str, Any],
) -> None:
    _, _, conn, _ = world
    outcome(lambda: conn.get(resource, record, **params))


@SETTINGS
@given(
    method=st.one_of(st.sampled_from(["GET", "get", "POST", "PATCH", "DELETE", "HEAD", "FETCH"]), ANY),
    path=st.one_of(
        st.sampled_from(
            [
                "jpm/v2/tenant/{tenant}/jobs",
                "jpm/v2/tenant/{tenant}/jobs/{id}",
                "crm/v2/tenant/{tenant}/customers",
                "/connect/token",
                "http://example.invalid/x",
                "jpm/v2/tenant/{tenant}/jobs?x=1",
            ]
        ),
        ANY,
    ),
    options=st.fixed_dictionaries(
        {},
        optional={
            "params": ANY,
            "json": ANY,
            "path_params": st.one_of(
                ANY, st.dictionaries(st.sampled_from(["id", "tenant", "x"]), ANY, max_size=2)
            ),
            "read_only": ANY,
            "allow_writes": ANY,
            "timeout": ANY,
            "retry": st.one_of(ANY, st.just(RetryPolicy(max_attempts=1))),
        },
    ),
)
def test_request_takes_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path], method: Any, path: Any, options: dict[str, Any]
) -> None:
    _, _, conn, _ = world
    outcome(lambda: conn.request_json(method, path, **options))


@SETTINGS
@given(
    name=st.one_of(
        st.sampled_from(["x.parquet", "x.csv", "x.txt", "", ".", "dir", "dir/x.parquet", "x.PARQUET"]), ANY
    ),
    resource=st.one_of(st.sampled_from(RESOURCES[:3]), ANY),
)
def test_to_parquet_takes_any_path(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path], name: Any, resource: Any
) -> None:
    _, _, conn, folder = world
    (folder / "dir").mkdir(exist_ok=True)
    target = folder / name if isinstance(name, str) and "\x00" not in name else name
    result = outcome(lambda: conn.to_parquet(resource, target, max_pages=1))
    if not isinstance(result, StnbError):
        assert result.is_file() and result.suffix.lower() in (".parquet", ".csv")


@SETTINGS
@given(
    options=st.fixed_dictionaries(
        {},
        optional={
            name: ANY
            for name in ("env", "profile", "tenant", "allow_writes", "timeout", "rate", "retry", "progress")
        },
    )
)
def test_connect_takes_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path], options: dict[str, Any]
) -> None:
    sandbox, clock, _, _ = world
    result = outcome(lambda: stnb.connect(sandbox=sandbox, clock=clock, **options))
    if not isinstance(result, StnbError):
        result.close()


@SETTINGS
@given(options=st.fixed_dictionaries({}, optional={name: ANY for name in RetryPolicy.__dataclass_fields__}))
def test_retry_policy_takes_any_arguments(options: dict[str, Any]) -> None:
    result = outcome(lambda: RetryPolicy(**options))
    if not isinstance(result, StnbError):
        assert result.max_attempts >= 1 and math.isfinite(result.max_wait)


# -- the CLI -------------------------------------------------------------------------------------------

WORDS = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(
        [
            "1",
            "0",
            "-1",
            "x",
            "name=x",
            "active=any",
            "=x",
            "a=",
            "2026-01-01",
            "jobs",
            "jpm/jobs",
            "customers",
            "nosuch",
            "production",
            "integration",
            "staging",
            "yesterday",
            "--",
            "-",
            "\udcff",
            "o\udcfe.parquet",
        ]
    ),
)
PULL_OPTIONS = st.sampled_from(
    [
        "--filter",
        "--max-pages",
        "--page-size",
        "--since",
        "--env",
        "--tenant",
        "--profile",
        "--sandbox",
        "--no-sandbox",
        "--out",
        "--bogus",
    ]
)


@st.composite
def argvs(draw: st.DrawFn) -> list[str]:
    command = draw(st.sampled_from(["pull", "resources", "usage-ledger", "report-list", "junk", "doctor"]))
    if command == "pull":
        argv = ["pull", draw(st.one_of(st.sampled_from(RESOURCES), WORDS))]
        for option in draw(st.lists(PULL_OPTIONS, max_size=4)):
            argv.append(option)
            if option not in ("--sandbox", "--no-sandbox") and draw(st.integers(0, 5)):
                argv.append(draw(WORDS))
        if "--out" not in argv or draw(st.booleans()):
            argv += ["--out", draw(st.sampled_from(["o.parquet", "o.csv", "o.txt", "o", "\udcff.parquet"]))]
        if "--max-pages" not in argv:
            argv += ["--max-pages", "1"]  # keep each example a short pull
        return argv
    if command == "resources":
        return [
            "resources",
            *draw(st.lists(st.one_of(WORDS, st.sampled_from(["--module", "--kind", "list"])), max_size=3)),
        ]
    if command == "usage-ledger":
        options = draw(
            st.lists(st.sampled_from(["--since", "--until", "--retention-days", "--export"]), max_size=2)
        )
        argv = ["usage", "ledger", "--path", "ledger.sqlite3"]
        for option in options:
            argv += [option, draw(WORDS)]
        return argv
    if command == "report-list":
        return ["report", "list", *draw(st.lists(WORDS, max_size=2))]
    if command == "doctor":
        return [
            "doctor",
            *draw(st.lists(st.sampled_from(["--env", "staging", "production", "--bogus"]), max_size=2)),
        ]
    return draw(st.lists(WORDS, min_size=1, max_size=3))


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(argv=argvs())
def test_the_cli_answers_any_arguments_with_a_result_or_one_error_line(
    no_credentials: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str]
) -> None:
    import stnb.sandbox

    small = Sandbox(seed=5, scale=0.05, anchor=ANCHOR, rate_limit=0)
    monkeypatch.setattr(stnb.sandbox, "default_sandbox", lambda: small)
    err, out = io.StringIO(), io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        warnings.simplefilter("ignore")
        try:
            code = main(argv)
        except SystemExit as exited:  # argparse: --help (0) or a bad argument (2)
            code = exited.code if isinstance(exited.code, int) else 2
    text = err.getvalue()
    assert "Traceback" not in text, (argv, text)
    assert code in (0, 1, 2), (argv, code, text)
    errors = [line for line in text.splitlines() if ": error: " in line]
    if code != 0:
        assert len(errors) == 1, (argv, text)
        assert errors[0].startswith("stnb"), (argv, text)
        assert "usage: " not in text  # argparse's usage block is not printed with errors


@SETTINGS
@given(
    which=st.sampled_from(["list", "describe", "run", "value_set"]),
    category=st.one_of(st.sampled_from(["operations", "accounting", "marketing"]), ANY),
    report_id=st.one_of(st.sampled_from([166, "166", 1]), ANY),
    params=st.dictionaries(
        st.sampled_from(["From", "To", "BusinessUnitIds", "period", "page_size", "x"]), ANY, max_size=3
    ),
)
def test_reports_take_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path],
    which: str,
    category: Any,
    report_id: Any,
    params: dict[str, Any],
) -> None:
    _, _, conn, _ = world
    reports = conn.reports
    calls: dict[str, Callable[[], Any]] = {
        "list": lambda: reports.list(category),
        "describe": lambda: reports.describe(category, report_id),
        "run": lambda: reports.run(category, report_id, **params),
        "value_set": lambda: reports.value_set(category),
    }
    outcome(calls[which])


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    resource=st.one_of(st.sampled_from(["crm/customers", "jpm/jobs"]), ANY),
    a=st.one_of(st.sampled_from(["integration", "production", "demo.production"]), ANY),
    b=st.one_of(st.just("production"), ANY),
    options=st.dictionaries(
        st.sampled_from(
            ["method", "threshold", "page_size", "sample_pages", "seed", "ignore", "null_rate_threshold"]
        ),
        ANY,
        max_size=2,
    ),
)
def test_compare_takes_any_arguments(
    world: tuple[Sandbox, FakeClock, stnb.Connection, Path],
    resource: Any,
    a: Any,
    b: Any,
    options: dict[str, Any],
) -> None:
    sandbox, clock, _, _ = world
    connect_options = {"sandbox": sandbox, "clock": clock, "progress": False}
    outcome(lambda: stnb.compare(resource, a, b, connect_options=connect_options, **options))


def test_a_control_character_in_a_path_is_refused_before_sending() -> None:
    """Found by `test_request_takes_any_arguments`: httpx2 raised its own InvalidURL for `"\\x1b"`."""
    from stnb.errors import InvalidRequest

    with stnb.connect("production", sandbox=Sandbox(seed=0), progress=False) as conn:
        for path in ("\x1b", "jpm/v2/tenant/{tenant}/jobs\x7f", "crm/v2/tenant/{tenant}/\ncustomers"):
            with pytest.raises(InvalidRequest, match="control character"):
                conn.request_json("GET", path)
