"""Token endpoint, bearer tokens, app keys, tenants and scopes, over both adapters."""

from __future__ import annotations

import re

import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox

from .conftest import ANCHOR, Api, make_api

JOBS = "/jpm/v2/tenant/{tenant}/jobs"


def test_token_endpoint_answers_client_credentials(api: Api) -> None:
    response = api.token_response(api.creds)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert "tn.jpm" in body["scope"].split()
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"client_secret": "cs1.wrong"}, "invalid_client"),
        ({"client_id": "cid.unknown"}, "invalid_client"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
    ],
)
def test_bad_credentials_give_the_oauth_error(api: Api, overrides: dict[str, str], error: str) -> None:
    response = api.token_response(api.creds, **overrides)
    assert response.status_code == 400
    assert response.json()["error"] == error
    assert api.creds.client_secret not in response.text


def test_token_request_must_be_form_encoded(api: Api) -> None:
    creds = api.creds
    response = api.client.post(
        "/connect/token",
        json={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_token_ttl_is_configurable(api: Api) -> None:
    api.sandbox.token_ttl = 120
    try:
        assert api.token_response(api.creds).json()["expires_in"] == 120
    finally:
        api.sandbox.token_ttl = 900


def test_bearer_and_raw_tokens_and_app_key_header_or_query(api: Api) -> None:
    creds, token = api.creds, api.token()
    url = api.url(JOBS)
    bearer = api.client.get(url, headers={"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key})
    raw = api.client.get(url, headers={"Authorization": token, "ST-App-Key": creds.app_key})
    query = api.client.get(
        url, headers={"Authorization": token}, params={"servicetitanapplicationkey": creds.app_key}
    )
    assert [bearer.status_code, raw.status_code, query.status_code] == [200, 200, 200]
    assert bearer.content == raw.content == query.content


def _problem(response_json: dict[str, object], status: int) -> None:
    assert set(response_json) == {"type", "title", "status", "traceId", "errors", "data"}
    assert response_json["status"] == status
    assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-00", str(response_json["traceId"]))


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.c2lnbmF0dXJl"},
    ],
    ids=["missing", "garbage", "forged"],
)
def test_missing_or_invalid_tokens_give_401(api: Api, headers: dict[str, str]) -> None:
    response = api.client.get(api.url(JOBS), headers={**headers, "ST-App-Key": api.creds.app_key})
    assert response.status_code == 401
    _problem(response.json(), 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_missing_or_wrong_app_key_gives_401(api: Api) -> None:
    token = api.token()
    missing = api.client.get(api.url(JOBS), headers={"Authorization": f"Bearer {token}"})
    other_app = api.sandbox.app("Fleet Insights").app_key
    wrong = api.client.get(
        api.url(JOBS), headers={"Authorization": f"Bearer {token}", "ST-App-Key": other_app}
    )
    assert missing.status_code == wrong.status_code == 401
    assert "ST-App-Key" in missing.json()["title"]


def test_foreign_token_from_another_sandbox_gives_401(api: Api) -> None:
    other = Sandbox(seed=999, anchor=ANCHOR)
    foreign = make_api("embedded", other, None).token(other.credentials["integration"])
    headers = {"Authorization": f"Bearer {foreign}", "ST-App-Key": api.creds.app_key}
    response = api.client.get(api.url(JOBS), headers=headers)
    assert response.status_code == 401


def test_expired_token_gives_401_and_a_new_token_works() -> None:
    clock = FakeClock(ANCHOR)
    sandbox = Sandbox(seed=3, anchor=ANCHOR, clock=clock, token_ttl=60)
    api = make_api("embedded", sandbox, None)
    assert api.get(JOBS, pageSize=1).status_code == 200
    clock.advance(61)
    expired = api.get(JOBS, pageSize=1)
    assert expired.status_code == 401
    assert "expired" in expired.json()["title"]
    api.tokens.clear()
    assert api.get(JOBS, pageSize=1).status_code == 200


def test_revoking_a_clients_tokens_gives_401_until_a_new_token() -> None:
    sandbox = Sandbox(seed=6, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)
    api = make_api("embedded", sandbox, None)
    assert api.get(JOBS, pageSize=1).status_code == 200
    sandbox.revoke_tokens(api.creds.client_id)
    assert api.get(JOBS, pageSize=1).status_code == 401
    api.tokens.clear()
    assert api.get(JOBS, pageSize=1).status_code == 200


def test_token_for_one_environment_reads_that_environment_only(api: Api) -> None:
    production = api.sandbox.credentials["production"]
    token = api.token(production)
    response = api.client.get(
        api.url("/crm/v2/tenant/{tenant}/customers"),
        headers={"Authorization": f"Bearer {token}", "ST-App-Key": production.app_key},
        params={"pageSize": 1},
    )
    assert response.status_code == 200
    assert "nationalAccount" in response.json()["data"][0]


def test_a_tenant_the_credentials_do_not_belong_to_gives_403(api: Api) -> None:
    other_tenant = api.sandbox.default_app.tenants[1].tenant_id
    response = api.client.get(JOBS.replace("{tenant}", str(other_tenant)), headers=api.headers())
    assert response.status_code == 403
    _problem(response.json(), 403)


def test_each_tenant_has_its_own_credentials_and_world(api: Api) -> None:
    tenant = api.sandbox.default_app.tenants[1]
    creds = tenant.credentials["integration"]
    body = api.json("/crm/v2/tenant/{tenant}/customers", creds, pageSize=5, includeTotal="true")
    default = api.json("/crm/v2/tenant/{tenant}/customers", pageSize=5, includeTotal="true")
    assert body["totalCount"] < default["totalCount"]
    assert tenant.timezone == "America/Los_Angeles"


@pytest.mark.parametrize(
    ("env", "module", "status"),
    [
        ("integration", "accounting", 403),
        ("integration", "payroll", 403),
        ("integration", "telecom", 200),
        ("production", "telecom", 403),
        ("production", "accounting", 403),
        ("production", "crm", 200),
    ],
)
def test_scopes_per_app_and_environment(api: Api, env: str, module: str, status: int) -> None:
    creds = api.sandbox.app("Fleet Insights").tenants[0].credentials[env]
    path = {
        "accounting": "/accounting/v2/tenant/{tenant}/invoices",
        "payroll": "/payroll/v2/tenant/{tenant}/payrolls",
        "telecom": "/telecom/v2/tenant/{tenant}/calls",
        "crm": "/crm/v2/tenant/{tenant}/customers",
    }[module]
    response = api.get(path, creds, pageSize=1)
    assert response.status_code == status
    if status == 403:
        assert response.json()["title"] == "Provided authentication is insufficient to grant access"


def test_the_default_app_reaches_every_module(api: Api) -> None:
    for path in ("/accounting/v2/tenant/{tenant}/invoices", "/payroll/v2/tenant/{tenant}/payrolls"):
        assert api.get(path, pageSize=1).status_code == 200
