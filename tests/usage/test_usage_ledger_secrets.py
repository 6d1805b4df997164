"""A real run through the client: the ledger records every attempt and holds no secret."""

from __future__ import annotations

from pathlib import Path

import httpx2
import polars as pl
import pytest

import stnb
from stnb._attempts import app_fingerprint
from stnb.errors import NotFound
from stnb.sandbox import Sandbox
from stnb.usage.ledger import installed_ledger, read_ledger, uninstall_default_ledger


class RecordingTransport(httpx2.BaseTransport):
    """The sandbox's transport, keeping every access token it hands out."""

    def __init__(self, inner: httpx2.BaseTransport) -> None:
        self.inner = inner
        self.tokens: list[str] = []

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        response = self.inner.handle_request(request)
        if request.url.path.endswith("/connect/token"):
            response.read()
            self.tokens.append(response.json()["access_token"])
        return response


def test_client_attempts_are_recorded_without_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "usage.sqlite3"
    monkeypatch.setenv("STNB_LEDGER", str(db))
    uninstall_default_ledger()
    sandbox = Sandbox()
    transport = RecordingTransport(sandbox.transport())
    try:
        conn = stnb.connect("production", sandbox=sandbox, transport=transport)
        conn.request_json("GET", "/crm/v2/tenant/{tenant}/customers", params={"pageSize": 5})
        with pytest.raises(NotFound):
            conn.get("customers", 999_999_999_999)
        conn.close()
        ledger = installed_ledger()
        assert ledger is not None and ledger.path == db
        assert ledger.flush()
    finally:
        uninstall_default_ledger()

    creds = sandbox.credentials["production"]
    assert read_ledger(db).height == 0, "sandbox attempts are not real usage"
    rows = read_ledger(db, include_sandbox=True)
    assert rows.height >= 3  # the token request and both calls
    assert rows["sandbox"].all()
    assert set(rows["app"]) == {app_fingerprint(creds.app_key)}
    assert rows.filter(pl.col("module") == "auth").height >= 1
    calls = rows.filter(pl.col("module") == "crm").sort("at")
    assert calls["status"].to_list()[-2:] == [200, 404]
    assert calls["endpoint"].to_list()[-1] == "/crm/v2/tenant/{tenant}/customers/{id}"
    assert set(calls["tenant"]) == {str(creds.tenant_id)}

    assert transport.tokens, "the run fetched a token"
    secrets = [creds.app_key, creds.client_secret, *transport.tokens]
    files = [p for p in tmp_path.iterdir() if p.name.startswith("usage.sqlite3")]  # db, -wal, -shm
    for path in files:
        raw = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in raw, f"a secret reached {path.name}"
