"""Fuzzing the served sandbox with malformed requests (issue 14, item 8 and "How it is checked").

Operations come from the current official documents (the newest document per module); Hypothesis mutates
their methods, paths, query strings, headers and bodies. Whatever arrives, the sandbox answers with
ServiceTitan's error envelope and a 4xx status (400/404/405/413 for malformed input; 401/403/415/422 where
the API says so), never a 500, never traceback text, and it keeps answering. Loopback only, bounded in
examples and time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stnb.sandbox import Sandbox
from stnb.sandbox.asgi import MAX_BODY_BYTES
from stnb.sandbox.server import ServerHandle, serve_in_thread

from .conftest import ANCHOR, SEED

SPECS = Path(__file__).resolve().parents[3] / "shared" / "servicetitan-specs"
ENVELOPE = {"type", "title", "status", "traceId", "errors", "data"}
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+")
EXAMPLES = 250


def _operations() -> list[tuple[str, str, tuple[str, ...]]]:
    """(METHOD, path template, query parameter names) of every operation in the newest documents."""
    newest: dict[str, Path] = {}
    for path in sorted(SPECS.glob("*/*.json")):  # folders are dated: later ones replace earlier ones
        newest[path.stem] = path
    operations = []
    for path in newest.values():
        doc = json.loads(path.read_text(encoding="utf-8"))
        servers = [urlsplit(server.get("url", "")).path for server in doc.get("servers", [])]
        base = (doc.get("basePath") or (servers[0] if servers else "")).rstrip("/")
        for template, item in doc.get("paths", {}).items():
            for method, operation in item.items():
                if method.upper() not in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                    continue
                names = tuple(
                    p["name"]
                    for p in operation.get("parameters", [])
                    if isinstance(p, dict) and p.get("in") == "query" and "name" in p
                )
                operations.append((method.upper(), base + template, names))
    return operations


OPERATIONS = _operations()


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[ServerHandle, httpx2.Client, dict[str, str]]]:
    from stnb._clock import FakeClock

    sandbox = Sandbox(seed=SEED, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)
    handle = serve_in_thread(sandbox)
    client = httpx2.Client(base_url=handle.url, timeout=30.0)
    creds = sandbox.credentials["integration"]
    token = client.post(
        "/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    ).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}", "ST-App-Key": creds.app_key, "tenant": str(creds.tenant_id)}
    try:
        yield handle, client, auth
    finally:
        client.close()
        handle.stop()


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
SEGMENT = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    TEXT,
    st.sampled_from(["..", ".", "%", "%ZZ", "%00", "%2e%2e", "null", "00000000-0000-0000-0000-000000000000"]),
)


def _nested(depth: int, opener: str) -> bytes:
    if opener == "[":
        return ("[" * depth + "]" * depth).encode()
    return ('{"a":' * depth + "1" + "}" * depth).encode()


BODIES = st.one_of(
    st.just(b""),
    st.binary(max_size=300),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
        max_leaves=12,
    ).map(lambda value: json.dumps(value).encode()),
    st.builds(
        _nested,
        st.integers(min_value=1, max_value=100_000),
        st.sampled_from(["[", "{"]),
    ),
    st.sampled_from([b"{", b"[1,", b'{"a":}', b"\xff\xfe", b"nul", b'"\\ud800"', b"1e999999"]),
)
CONTENT_TYPES = st.sampled_from(
    [
        None,
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "garbage/\u00e9",
    ]
)
METHODS = st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "FOO"])


@st.composite
def requests(draw: st.DrawFn, auth: dict[str, str]) -> dict[str, Any]:
    method, template, names = draw(st.sampled_from(OPERATIONS))
    if draw(st.booleans()):
        method = draw(METHODS)

    def fill(match: re.Match[str]) -> str:
        if match.group(1) == "tenant" and draw(st.integers(0, 4)):
            return auth["tenant"]
        return quote(draw(SEGMENT), safe="%")

    path = re.sub(r"\{([^}]*)\}", fill, template)
    mutation = draw(
        st.sampled_from(["", "", "", "/", "//x", "/..", "/%2e%2e/connect/token", "/" + "a" * 3000])
    )
    path = path + mutation
    keys = st.one_of(st.sampled_from(names), TEXT) if names else TEXT
    values = st.one_of(
        TEXT, st.integers().map(str), st.text(max_size=2000), st.sampled_from(["", "-1", "1e9"])
    )
    query = draw(st.lists(st.tuples(keys, values), max_size=6))
    headers: dict[str, str | bytes] = {}
    which = draw(st.sampled_from(["valid", "valid", "none", "garbage", "no-app-key"]))
    if which in ("valid", "no-app-key"):
        headers["Authorization"] = auth["Authorization"]
    if which == "valid":
        headers["ST-App-Key"] = auth["ST-App-Key"]
    if which == "garbage":
        headers["Authorization"] = "Bearer " + draw(
            st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1)
        )
    content_type = draw(CONTENT_TYPES)
    if content_type is not None:
        headers["Content-Type"] = content_type.encode("utf-8")
    body = draw(BODIES) if method not in ("GET", "HEAD") or draw(st.booleans()) else b""
    return {"method": method, "url": path, "params": query, "headers": headers, "content": body}


def _check(response: httpx2.Response, method: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert not TRACEBACK.search(response.text), response.text[:500]
    if response.status_code >= 400 and method != "HEAD":
        body = response.json()
        if "error" in body:  # the token endpoint answers OAuth errors (RFC 6749), as the real one does
            assert set(body) <= {"error", "error_description"}
        else:
            assert set(body) == ENVELOPE and body["status"] == response.status_code


def test_fuzzed_requests_never_get_a_500_or_a_traceback(
    served: tuple[ServerHandle, httpx2.Client, dict[str, str]],
) -> None:
    _handle, client, auth = served
    assert len(OPERATIONS) > 300  # the documents were found and read
    sent: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(request=requests(auth))
    def one(request: dict[str, Any]) -> None:
        response = client.request(**request)
        sent.append(response.status_code)
        _check(response, request["method"])

    one()
    assert len(sent) >= EXAMPLES // 2
    assert 404 in sent and len({s for s in sent if 400 <= s < 500}) >= 3  # malformed input was refused
    # The server still answers normally afterwards.
    ok = client.get(f"/jpm/v2/tenant/{auth['tenant']}/jobs", params={"pageSize": 1}, headers=auth)
    assert ok.status_code == 200 and ok.json()["data"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"[" * 100_000 + b"]" * 100_000, 400),  # the case of the issue: 500 before
        (b'{"a":' * 50_000 + b"1" + b"}" * 50_000, 400),
        (b"x" * (MAX_BODY_BYTES + 1), 413),
    ],
    ids=["deep-array", "deep-object", "too-large"],
)
def test_deeply_nested_or_huge_bodies_get_the_error_envelope(
    served: tuple[ServerHandle, httpx2.Client, dict[str, str]], body: bytes, status: int
) -> None:
    _handle, client, auth = served
    jobs = client.get(f"/jpm/v2/tenant/{auth['tenant']}/jobs", params={"pageSize": 1}, headers=auth).json()
    job_id = jobs["data"][0]["id"]
    response = client.post(
        f"/jpm/v2/tenant/{auth['tenant']}/jobs/{job_id}/notes",
        content=body,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == status, response.text[:300]
    payload = response.json()
    assert set(payload) == ENVELOPE and payload["status"] == status
    assert not TRACEBACK.search(response.text)
    assert client.get(
        f"/jpm/v2/tenant/{auth['tenant']}/jobs", params={"pageSize": 1}, headers=auth
    ).is_success
