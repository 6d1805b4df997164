"""Odd requests get the API's error envelope with a 4xx status, never a 500 or a traceback."""

from __future__ import annotations

import pytest

from .conftest import Api

ODD_GETS = [
    ("/jpm/v2/tenant/{tenant}/jobs", {"ids": "1,2,x"}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"ids": ",,,"}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"sort": "+"}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"page": "-1"}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"pageSize": ""}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"modifiedOnOrAfter": "2026-13-45"}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"technicianId": "9" * 40}),
    ("/jpm/v2/tenant/{tenant}/jobs", {"priority": "☃"}),
    ("/jpm/v2/tenant/{tenant}/jobs/99999999999999999999999", {}),
    ("/jpm/v2/tenant/{tenant}/jobs/-5", {}),
    ("/jpm/v2/tenant/{tenant}/jobs/%E2%98%83", {}),
    ("/jpm/v2/tenant/{tenant}/export/jobs", {"from": "2026-02-30"}),
    ("/jpm/v2/tenant/{tenant}/export/jobs", {"includeRecentChanges": "often"}),
    ("/crm/v2/tenant/{tenant}/customers/abc/contacts", {}),
    ("/crm/v2/tenant/{tenant}/contacts/not-a-guid", {}),
    ("/accounting/v2/tenant/{tenant}/invoices", {"invoicedOnOrAfter": "soon"}),
    ("/jpm/v2/tenant/{tenant}", {}),
    ("/jpm/v2/tenant/{tenant}/", {}),
    ("/jpm/v2/tenant/not-a-number/jobs", {}),
    ("/", {}),
    ("/connect/token", {}),
]


@pytest.mark.parametrize(("path", "params"), ODD_GETS)
def test_odd_requests_get_a_client_error_envelope(api: Api, path: str, params: dict[str, str]) -> None:
    response = api.get(path, **params)
    assert response.status_code < 500, response.text
    if response.status_code != 200:
        body = response.json()
        assert set(body) == {"type", "title", "status", "traceId", "errors", "data"}
        assert body["status"] == response.status_code
        assert "Traceback" not in response.text


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", b"hello"), ("application/json", b"\xff\xfe"), ("application/json", b'{"name": null}')],
)
def test_odd_bodies_get_a_client_error(api: Api, content_type: str, body: bytes) -> None:
    response = api.send(
        "POST", "/crm/v2/tenant/{tenant}/customers", content=body, headers={"content-type": content_type}
    )
    assert response.status_code in (400, 415)
    assert response.json()["status"] == response.status_code
