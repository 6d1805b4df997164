"""Secrets (client secret, access tokens, app key) never show in reprs, logs, exceptions or discovery."""

from __future__ import annotations

import asyncio
import logging
import traceback
from pathlib import Path

import httpx2
import pytest

from stnb._attempts import Attempt
from stnb._client import AsyncClient, Client
from stnb._clock import FakeClock
from stnb._config import Credentials, Environment, discover, resolve_credentials
from stnb._redact import redact
from stnb.errors import ApiError, StnbError

from .conftest import APP_KEY, CLIENT_ID, CLIENT_SECRET, FakeServiceTitan, page, problem

JOBS = "/jpm/v2/tenant/431848990/jobs"


def assert_clean(text: str, tokens: list[str]) -> None:
    for secret in (CLIENT_SECRET, APP_KEY, *tokens):
        assert secret not in text, f"secret leaked: {text!r}"
    assert CLIENT_ID not in text  # client ids are shown masked only


def test_credentials_repr_str_and_format(creds: Credentials) -> None:
    for text in (repr(creds), str(creds), f"{creds}", f"{creds!r}", repr([creds]), repr({"c": creds})):
        assert_clean(text, [])
    assert "cid.cl…0xy" in repr(creds)
    assert creds.app in repr(creds)


def test_client_and_auth_reprs(server: FakeServiceTitan, env: Environment, creds: Credentials) -> None:
    with Client(env, creds, transport=server.transport(), clock=FakeClock()) as client:
        texts = [repr(client), str(client), repr(client._auth), repr(client.bucket), repr(vars(client))]
    aclient = AsyncClient(env, creds, transport=server.transport(), clock=FakeClock())
    texts += [repr(aclient), repr(aclient._auth)]
    asyncio.run(aclient.close())
    for text in texts[:-1]:
        assert_clean(text, [])
    # The instance dict holds the credentials object, whose repr is masked, and never a raw secret.
    assert CLIENT_SECRET not in texts[4]


def test_nothing_leaks_through_a_rough_session(
    server: FakeServiceTitan,
    env: Environment,
    creds: Credentials,
    caplog: pytest.LogCaptureFixture,
    attempts: list[Attempt],
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = FakeClock()
    texts: list[str] = []

    def echo(request: httpx2.Request) -> httpx2.Response:
        # A misbehaving server echoing the caller's headers and secret back in an error body.
        return httpx2.Response(
            500,
            text=f"debug dump: authorization={request.headers['Authorization']} "
            f"st-app-key={request.headers['ST-App-Key']} secret {CLIENT_SECRET}",
        )

    server.reply(JOBS, problem(429, "Too many", **{"Retry-After": "1"}), page([{"id": 1}]))
    server.reply("/jpm/v2/tenant/431848990/jobs/1", problem(400, "Bad", {"Id": ["must be positive"]}))
    server.reply("/jpm/v2/tenant/431848990/jobs/2", echo)
    with Client(env, creds, transport=server.transport(), clock=clock) as client:
        client.request("GET", JOBS)  # token, 429, retry
        server.revoke_tokens()
        client.request("GET", JOBS)  # 401, refresh, resend
        for job in (1, 2):
            with pytest.raises(ApiError) as info:
                client.request("GET", "jpm/v2/tenant/{tenant}/jobs/{id}", path_params={"id": job})
            texts += [str(info.value), repr(info.value), "".join(traceback.format_exception(info.value))]
        server.token_reply = httpx2.Response(400, text=f"bad client {CLIENT_ID} secret {CLIENT_SECRET}")
        client._auth.invalidate()
        with pytest.raises(StnbError) as info:
            client.request("GET", JOBS)
        texts += [str(info.value), "".join(traceback.format_exception(info.value))]
        logging.getLogger("stnb._client").debug("accidental %s and %s", CLIENT_SECRET, creds.app_key)

    tokens = server.issued
    assert len(tokens) == 2
    assert len(caplog.records) > 5
    for record in caplog.records:
        texts.append(record.getMessage())
        if record.exc_text:
            texts.append(record.exc_text)
    texts += [repr(a) for a in attempts]
    texts.append(caplog.text)
    for text in texts:
        assert_clean(text, tokens)
    assert any(
        "Bearer ***" in t or "authorization=***" in t for t in texts
    )  # the echo was scrubbed, not lost


def test_async_session_logs_are_clean(
    server: FakeServiceTitan, env: Environment, creds: Credentials, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.reply(JOBS, problem(503, "Down"), page([]))

    async def main() -> None:
        async with AsyncClient(env, creds, transport=server.transport(), clock=FakeClock()) as client:
            await client.request("GET", JOBS)
            server.revoke_tokens()
            await client.request("GET", JOBS)

    asyncio.run(main())
    assert caplog.records and len(server.issued) == 2
    for record in caplog.records:
        assert_clean(record.getMessage(), server.issued)


def test_redact_catches_token_shapes() -> None:
    assert redact("Authorization: Bearer abc.def-ghi") == "Authorization: ***"
    assert redact("sent bearer eyJhbGciOi.x.y") == "sent bearer ***"
    assert (
        redact('{"access_token": "zzz", "expires_in": 900}') == '{"access_token": "***", "expires_in": 900}'
    )
    assert redact("grant_type=client_credentials&client_secret=cs2.abc&x=1").endswith("client_secret=***&x=1")
    assert redact("key ak1.abcdefghijklmnopqrstuvwxy here") == "key *** here"
    assert redact("nothing secret here: page 2 of 5") == "nothing secret here: page 2 of 5"


def test_config_errors_and_discovery_hide_secrets(tmp_path: Path) -> None:
    environ = {
        "STNB_APP_KEY": APP_KEY,
        "STNB_CLIENT_ID": CLIENT_ID,
        "STNB_CLIENT_SECRET": CLIENT_SECRET,
        "STNB_TENANT_ID": "not-a-number",
    }
    with pytest.raises(StnbError) as info:
        resolve_credentials(
            "integration", environ=environ, env_file=None, profiles_path=tmp_path / "none.toml"
        )
    assert_clean(str(info.value), [])
    found = discover(environ, env_file=None, profiles_path=tmp_path / "none.toml")
    assert found
    for source in found:
        assert_clean(str(source) + repr(source), [])
