"""serve_in_thread, the ASGI app, `stnb sandbox serve`, default_sandbox and the demo identities."""

from __future__ import annotations

import asyncio
import io
import os
import re
import signal
import subprocess
import sys
import threading
from typing import Any

import httpx2
import pytest

from stnb._attempts import app_fingerprint
from stnb._config import mask_client_id
from stnb._redact import redact
from stnb.cli.main import main
from stnb.cli.sandbox import print_banner
from stnb.sandbox import Sandbox, default_sandbox, serve_in_thread
from stnb.sandbox.asgi import create_app

from .conftest import ANCHOR


def test_serve_in_thread_binds_loopback_and_stops() -> None:
    with serve_in_thread(seed=3, rate_limit=0) as handle:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", handle.url)
        creds = handle.credentials["integration"]
        assert creds == handle.sandbox.credentials["integration"]
        with httpx2.Client(base_url=handle.url) as client:
            token = client.post(
                "/connect/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": creds.client_id,
                    "client_secret": creds.client_secret,
                },
            )
            assert token.status_code == 200
            assert "Z" not in handle.url
    assert not handle.running
    with pytest.raises(httpx2.ConnectError):
        httpx2.get(handle.url + "/connect/token", timeout=2.0)


def test_asgi_app_is_a_plain_asgi_callable() -> None:
    app = create_app(Sandbox(seed=1, anchor=ANCHOR, rate_limit=0))
    sent: list[dict[str, Any]] = []

    async def run() -> None:
        messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

        async def receive() -> dict[str, Any]:
            return messages.pop(0)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan"}, receive, send)
        body = [{"type": "http.request", "body": b"grant_type=client_credentials", "more_body": False}]

        async def receive_http() -> dict[str, Any]:
            return body.pop(0)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/connect/token",
            "query_string": b"",
            "headers": [(b"content-type", b"application/x-www-form-urlencoded")],
        }
        await app(scope, receive_http, send)

    asyncio.run(run())
    assert [m["type"] for m in sent[:2]] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert sent[2]["status"] == 400 and b"invalid_client" in sent[3]["body"]


def test_default_sandbox_is_built_once_for_the_process() -> None:
    seen: list[Sandbox] = []
    threads = [threading.Thread(target=lambda: seen.append(default_sandbox())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(s) for s in seen}) == 1 and seen[0] is default_sandbox()
    assert seen[0].seed == 0 and seen[0].url == "https://sandbox.invalid"


def test_cli_rejects_a_bad_fault_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "serve", "--port", "0", "--faults", "418=1"]) == 2
    assert "unknown fault '418'" in capsys.readouterr().err


def test_banner_masks_every_credential_of_both_environments() -> None:
    sandbox = Sandbox(seed=2)
    out = io.StringIO()
    print_banner("http://127.0.0.1:9", sandbox, out)
    banner = out.getvalue()
    for creds in sandbox.credentials.values():
        assert mask_client_id(creds.client_id) in banner and app_fingerprint(creds.app_key) in banner
        for secret in (creds.client_secret, creds.client_id, creds.app_key):
            assert secret not in banner
    assert redact(banner) == banner  # nothing token- or secret-shaped either (cs1./ak1. prefixes)
    assert "Sandbox(seed=2).credentials['integration']" in banner
    assert "POST http://127.0.0.1:9/connect/token" in banner


def test_cli_serves_and_prints_demo_credentials_until_interrupted() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stnb.cli.main",
            "sandbox",
            "serve",
            "--port",
            "0",
            "--seed",
            "5",
            "--rate-limit",
            "0",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line.rstrip())
            if line.startswith("Press Ctrl-C"):
                break
        banner = "\n".join(lines)
        url = re.search(r"listening on (http://127\.0\.0\.1:\d+)", banner)
        assert url is not None, banner
        assert "Demo credentials" in banner and "[integration]" in banner and "[production]" in banner
        assert "Latency model: 150 ms + 0.4 ms per record" in banner  # like the live service by default
        expected = Sandbox(seed=5).credentials["integration"]  # what the banner tells the reader to run
        assert "Sandbox(seed=5).credentials['integration']" in banner
        assert f"tenant id {expected.tenant_id}" in banner and mask_client_id(expected.client_id) in banner
        for secret in (expected.client_secret, expected.client_id, expected.app_key):
            assert secret not in banner
        response = httpx2.post(
            url.group(1) + "/connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": expected.client_id,
                "client_secret": expected.client_secret,
            },
            timeout=10.0,
        )
        assert response.status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
