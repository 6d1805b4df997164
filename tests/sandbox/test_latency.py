"""The latency model (a base plus a cost per record sent) and the switches of `stnb sandbox serve`."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

import stnb.sandbox
from stnb._clock import FakeClock
from stnb.cli import sandbox as cli_sandbox
from stnb.cli.main import build_parser, main
from stnb.sandbox import LIVE_LATENCY, LatencyModel, Sandbox, default_sandbox

from .conftest import ANCHOR, make_api

JOBS = "/jpm/v2/tenant/{tenant}/jobs"
JOBS_EXPORT = "/jpm/v2/tenant/{tenant}/export/jobs"


def test_the_model_is_a_base_plus_a_cost_per_record() -> None:
    model = LatencyModel(base_ms=100, per_record_ms=2)
    assert model.seconds(0) == pytest.approx(0.1) and model.seconds(50) == pytest.approx(0.2)
    assert str(model) == "100 ms + 2 ms per record (each +/-20%)" and str(LatencyModel()) == "none"
    assert LatencyModel().off and not LIVE_LATENCY.off
    with pytest.raises(ValueError, match="must not be negative"):
        LatencyModel(per_record_ms=-1)


def test_each_answer_waits_its_base_plus_its_records() -> None:
    clock = FakeClock(ANCHOR)
    sandbox = Sandbox(seed=2, anchor=ANCHOR, clock=clock, latency_ms=100, per_record_ms=2, rate_limit=0)
    api = make_api("embedded", sandbox, None)
    api.token()
    assert len(clock.sleeps) == 1 and 0.08 <= clock.sleeps[0] <= 0.12  # the token: no records
    for size, expected in ((50, 0.2), (5, 0.11)):
        clock.sleeps.clear()
        assert len(api.json(JOBS, pageSize=size)["data"]) == size
        assert len(clock.sleeps) == 1 and 0.8 * expected <= clock.sleeps[0] <= 1.2 * expected
    clock.sleeps.clear()
    batch = api.json(JOBS_EXPORT)["data"]
    expected = 0.1 + 0.002 * len(batch)
    assert len(batch) > 100 and 0.8 * expected <= clock.sleeps[0] <= 1.2 * expected


def test_with_the_live_model_a_sequential_client_stays_under_the_rate_limit() -> None:
    """Zero latency let a sequential client reach 150 requests/s and meet 429s it never sees live."""

    def statuses(latency: LatencyModel) -> list[int]:
        clock = FakeClock(ANCHOR)
        sandbox = Sandbox(
            seed=2,
            anchor=ANCHOR,
            clock=clock,
            latency_ms=latency.base_ms,
            per_record_ms=latency.per_record_ms,
            rate_limit=60,
        )
        api = make_api("embedded", sandbox, None)
        return [api.get(JOBS, pageSize=50).status_code for _ in range(150)]

    assert set(statuses(LIVE_LATENCY)) == {200}
    assert 429 in statuses(LatencyModel())


@pytest.fixture
def no_quirks_variable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("STNB_SANDBOX_QUIRKS", raising=False)
    yield


def serve_args(*options: str) -> Sandbox:
    args = build_parser().parse_args(["sandbox", "serve", *options])
    sandbox: Sandbox = cli_sandbox.sandbox_from_args(args)
    return sandbox


def test_serve_uses_the_live_model_and_every_quirk_by_default(no_quirks_variable: None) -> None:
    assert (
        LIVE_LATENCY.base_ms,
        LIVE_LATENCY.per_record_ms,
    ) == (cli_sandbox._LIVE_BASE, cli_sandbox._LIVE_PER_RECORD)
    sandbox = serve_args()
    assert sandbox.latency == LIVE_LATENCY and sandbox.quirks.spec == "all"
    out = io.StringIO()
    cli_sandbox.print_banner("http://127.0.0.1:9", sandbox, out)
    assert "Latency model: 150 ms + 0.4 ms per record" in out.getvalue()
    assert "Live API quirks: all" in out.getvalue()


def test_serve_options_override_the_model_and_the_quirks(
    no_quirks_variable: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert serve_args("--latency-ms", "0").latency.off  # benchmarks that want none
    assert serve_args("--latency-ms", "0", "--per-record-ms", "1").latency == LatencyModel(0, 1)
    assert serve_args("--latency-ms", "20").latency == LatencyModel(20, LIVE_LATENCY.per_record_ms)
    assert serve_args("--quirks", "none").quirks.spec == "none"
    assert serve_args("--quirks=-unsorted-pages").quirks.ids == serve_args().quirks.ids - {"unsorted-pages"}
    monkeypatch.setenv("STNB_SANDBOX_QUIRKS", "none")
    assert serve_args().quirks.spec == "none"
    assert serve_args("--quirks", "all").quirks.spec == "all"


def test_serve_rejects_an_unknown_quirk(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--port", "0", "--quirks", "nope"]) == 2
    assert "unknown quirk nope" in capsys.readouterr().err


def test_the_default_sandbox_takes_its_quirks_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stnb.sandbox, "_default", None)
    monkeypatch.setenv("STNB_SANDBOX_QUIRKS", "none")
    assert default_sandbox().quirks.spec == "none"
    monkeypatch.setattr(stnb.sandbox, "_default", None)
    monkeypatch.delenv("STNB_SANDBOX_QUIRKS")
    assert default_sandbox().quirks.spec == "all" and default_sandbox().latency.off
