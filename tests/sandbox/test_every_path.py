"""Every GET path of the current documents answers in the sandbox, over both adapters: no 404, the
envelope the catalog names (or, for paths that are not resources, the singleton, file or page the
document describes), and a JSON body that validates against the document's 200 schema."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from stnb._clock import FakeClock
from stnb.sandbox import Sandbox
from stnb.sandbox.planted import PRODUCTION_ONLY_FIELDS
from stnb.sandbox.server import ServerHandle, serve_in_thread

from .conftest import ANCHOR, SEED, Api, make_api
from .openapi import SPECS, has_response_schema, response_schema, validator
from .paths import concrete, documented_gets, endpoints_by_path, skipped_by_path

pytestmark = pytest.mark.skipif(not SPECS.is_dir(), reason=f"official OpenAPI documents not found at {SPECS}")

PATHS = sorted(documented_gets(), key=lambda sp: sp[1])
ITEMS_VALIDATED = 10


@pytest.fixture(scope="module")
def documented() -> Sandbox:
    """A sandbox that serves exactly what the documents say (no live-API deviations, where switchable)."""
    options: dict[str, Any] = {"quirks": "none"} if "quirks" in inspect.signature(Sandbox).parameters else {}
    return Sandbox(seed=SEED, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0, **options)


@pytest.fixture(scope="module")
def documented_server(documented: Sandbox) -> Iterator[ServerHandle]:
    handle = serve_in_thread(documented)
    yield handle
    handle.stop()


@pytest.fixture(scope="module", params=["embedded", "served"])
def walker(request: pytest.FixtureRequest, documented: Sandbox) -> Iterator[Api]:
    server = request.getfixturevalue("documented_server") if request.param == "served" else None
    client = make_api(request.param, documented, server)
    yield client
    client.client.close()


def test_the_documents_hold_314_get_operations() -> None:
    assert len(PATHS) == 314
    assert len({path for _, path in PATHS}) == 314
    # every one is a catalog endpoint or a skipped path with its reason
    known = endpoints_by_path().keys() | skipped_by_path().keys()
    assert {path for _, path in PATHS} == known


def _trim(body: Any) -> Any:
    if isinstance(body, list):
        return body[:ITEMS_VALIDATED]
    if isinstance(body, dict) and isinstance(body.get("data"), list):
        return {**body, "data": body["data"][:ITEMS_VALIDATED]}
    return body


def _check_envelope(envelope: str, kind: str, body: Any) -> None:
    if envelope == "page" or kind == "undocumented":
        assert isinstance(body, dict) and isinstance(body["data"], list)
        assert isinstance(body["hasMore"], bool) and isinstance(body["page"], int)
    elif envelope == "export":
        assert isinstance(body["data"], list) and isinstance(body["hasMore"], bool)
        assert isinstance(body["continueFrom"], str)
    elif envelope == "array":
        assert isinstance(body, list)
    elif envelope == "data":
        assert isinstance(body, dict) and isinstance(body["data"], list if kind == "list" else dict)
    else:
        assert isinstance(body, dict)


@pytest.mark.parametrize(("source", "path"), PATHS, ids=[p for _, p in PATHS])
def test_every_documented_get_answers(walker: Api, documented: Sandbox, source: str, path: str) -> None:
    url = concrete(documented, walker, path)
    response = walker.get(url)
    assert response.status_code != 404, (url, response.text[:300])
    assert response.status_code == 200, (url, response.text[:300])
    found = endpoints_by_path().get(path)
    skipped = skipped_by_path().get(path)
    if skipped is not None and skipped.kind == "download":
        assert response.headers["content-type"].startswith("application/octet-stream")
        assert response.content
        return
    body = response.json()
    if found is not None:
        resource, kind = found
        _check_envelope(resource.endpoint(kind).envelope, kind, body)  # type: ignore[arg-type]
    else:
        assert skipped is not None
        if skipped.value is not None:
            assert isinstance(body, int) and not isinstance(body, bool)  # e.g. one technician id
        else:
            _check_envelope("bare" if skipped.kind == "singleton" else "page", skipped.kind, body)
    if has_response_schema(source, path):
        errors = list(validator(response_schema(source, path)).iter_errors(_trim(body)))
        if found is not None:  # the planted difference: the integration copy lacks production's new fields
            lacking = {
                f"'{name}' is a required property" for name in PRODUCTION_ONLY_FIELDS.get(found[0].key, ())
            }
            errors = [e for e in errors if not (e.validator == "required" and e.message in lacking)]
        messages = [f"{list(e.absolute_path)}: {e.message[:160]}" for e in errors[:5]]
        assert not errors, f"{url}:\n" + "\n".join(messages)


@pytest.fixture(scope="module")
def live_like() -> Iterator[Api]:
    """The default sandbox: the live API's known deviations on."""
    sandbox = Sandbox(seed=SEED, anchor=ANCHOR, clock=FakeClock(ANCHOR), rate_limit=0)
    client = make_api("embedded", sandbox, None)
    yield client
    client.client.close()


def test_with_the_live_deviations_on_every_documented_get_still_answers(live_like: Api) -> None:
    failed = []
    for _source, path in PATHS:
        url = concrete(live_like.sandbox, live_like, path)
        response = live_like.get(url)
        if response.status_code != 200:
            failed.append((url, response.status_code))
    assert failed == []
