"""Every error class from its status, with JSON and non-JSON bodies, and messages people can act on."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime

import httpx2
import pytest

from stnb.errors import (
    ApiError,
    AuthError,
    Conflict,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    StnbError,
    TransportError,
    Unprocessable,
    ValidationError,
    error_from_response,
    parse_retry_after,
    parse_retry_after_title,
)

from .conftest import problem

TEMPLATE = "/jpm/v2/tenant/{tenant}/jobs/{id}"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, ValidationError),
        (401, AuthError),
        (403, PermissionDenied),
        (404, NotFound),
        (409, Conflict),
        (422, Unprocessable),
        (429, RateLimited),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, ApiError),
    ],
)
@pytest.mark.parametrize("json_body", [True, False])
def test_each_status_gets_its_class(status: int, cls: type[ApiError], json_body: bool) -> None:
    if json_body:
        response = problem(status, "Something specific happened")
    else:
        response = httpx2.Response(status, text="<html><body><h1>Gateway says no</h1></body></html>")
    error = error_from_response(response, "GET", TEMPLATE)
    assert type(error) is cls
    assert isinstance(error, StnbError)
    assert error.status == status
    assert error.method == "GET"
    assert error.url_template == TEMPLATE
    text = str(error)
    assert text.startswith(f"{status} ")
    assert "GET /jpm/v2/tenant/{tenant}/jobs/{id}" in text
    if json_body:
        assert error.title == "Something specific happened"
        assert error.trace_id == "00-trace-01"
        assert error.body_excerpt is None
    else:
        assert "Gateway says no" in text  # the non-JSON body still explains itself
        assert error.title  # the status phrase at least


def test_message_format_keeps_title_trace_and_errors() -> None:
    response = problem(404, "Job not found")
    error = error_from_response(response, "GET", TEMPLATE)
    assert (
        str(error)
        == "404 Not Found — Job not found (GET /jpm/v2/tenant/{tenant}/jobs/{id}, traceId 00-trace-01)"
    )

    bad = problem(
        400, "One or more validation errors occurred.", {"Ids": ["Simple IDs lookup should not exceed 50"]}
    )
    error = error_from_response(bad, "GET", "/jpm/v2/tenant/{tenant}/jobs")
    assert isinstance(error, ValidationError)
    assert error.errors == {"Ids": ["Simple IDs lookup should not exceed 50"]}
    assert "\n  Ids: Simple IDs lookup should not exceed 50" in str(error)


def test_validation_error_is_usable_client_side() -> None:
    error = ValidationError("unknown filter 'jobstatus'", errors={"jobstatus": "did you mean 'jobStatus'?"})
    assert error.status == 400
    assert error.errors == {"jobstatus": ["did you mean 'jobStatus'?"]}
    assert "unknown filter 'jobstatus'" in str(error)
    assert "jobstatus: did you mean 'jobStatus'?" in str(error)


def test_permission_denied_hints_at_scopes_and_tenant_connection() -> None:
    error = error_from_response(problem(403, "Provided authentication is insufficient"), "GET", TEMPLATE)
    assert "scope" in str(error)
    assert "API Application Access" in str(error)


def test_conflict_knows_maintenance() -> None:
    maintenance = error_from_response(problem(409, "Service is under maintenance"), "GET", TEMPLATE)
    business = error_from_response(problem(409, "Job already completed or cancelled"), "POST", TEMPLATE)
    assert isinstance(maintenance, Conflict) and maintenance.maintenance
    assert isinstance(business, Conflict) and not business.maintenance


def test_auth_error_names_environment_and_masked_client() -> None:
    error = error_from_response(
        problem(401, "Unauthorized"), "GET", TEMPLATE, env="production", client="cid.ab…xyz"
    )
    assert isinstance(error, AuthError)
    assert "environment production" in str(error)
    assert "client cid.ab…xyz" in str(error)


def test_rate_limited_retry_after_from_header_title_or_date() -> None:
    seconds = error_from_response(problem(429, "Too many", **{"Retry-After": "7"}), "GET", TEMPLATE)
    assert isinstance(seconds, RateLimited) and seconds.retry_after == 7.0
    titled = error_from_response(
        problem(429, "Rate limit is exceeded. Try again in 3 seconds."), "GET", TEMPLATE
    )
    assert isinstance(titled, RateLimited) and titled.retry_after == 3.0
    now = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
    dated = error_from_response(
        problem(429, "Too many", **{"Retry-After": "Thu, 15 Jan 2026 12:00:12 GMT"}), "GET", TEMPLATE, now=now
    )
    assert isinstance(dated, RateLimited) and dated.retry_after == 12.0
    unknown = error_from_response(problem(429, "Too many"), "GET", TEMPLATE)
    assert isinstance(unknown, RateLimited) and unknown.retry_after is None
    assert "wait 7 s" in str(seconds)


def test_retry_after_parsers() -> None:
    now = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("2.5", now) == 2.5
    assert parse_retry_after("-4", now) == 0.0
    assert parse_retry_after("Thu, 15 Jan 2026 11:59:00 GMT", now) == 0.0  # in the past: go now
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after_title("Rate limit is exceeded. Try again in 12 seconds.") == 12.0
    assert parse_retry_after_title("Slow down") is None


@pytest.mark.parametrize(
    ("content", "expected"),
    [(b"", "<empty body>"), (b"\xff\xfe\x00garbage", "garbage"), (b"[1, 2, 3]", "[1, 2, 3]")],
)
def test_odd_bodies_still_give_a_message(content: bytes, expected: str) -> None:
    error = error_from_response(httpx2.Response(503, content=content), "GET", TEMPLATE)
    assert isinstance(error, ServerError)
    assert "503 Service Unavailable" in str(error)
    assert expected in str(error)


def test_long_bodies_are_cut() -> None:
    error = error_from_response(httpx2.Response(500, text="x" * 5000), "GET", TEMPLATE)
    assert error.body_excerpt is not None
    assert len(error.body_excerpt) < 400
    assert error.body_excerpt.endswith("…")


def test_transport_errors_carry_kind_method_and_template() -> None:
    error = TransportError(
        "ReadTimeout talking to production", kind="timeout", method="GET", url_template=TEMPLATE
    )
    assert isinstance(error, ApiError)
    assert error.status is None and error.kind == "timeout"
    assert str(error) == "ReadTimeout talking to production (GET /jpm/v2/tenant/{tenant}/jobs/{id})"
    invalid = InvalidResponse("not JSON", status=200, method="GET", url_template=TEMPLATE)
    assert isinstance(invalid, TransportError) and invalid.kind == "invalid_response"
    assert "[HTTP 200]" in str(invalid)


def test_errors_survive_pickling() -> None:
    error = error_from_response(
        problem(429, "Try again in 2 seconds", {"x": ["y"]}), "GET", TEMPLATE, env="integration"
    )
    clone = pickle.loads(pickle.dumps(error))
    assert type(clone) is RateLimited
    assert clone.retry_after == 2.0
    assert clone.errors == {"x": ["y"]}
    assert str(clone) == str(error)
