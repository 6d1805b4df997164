"""The sandbox's pure core: `Sandbox.handle(SandboxRequest) -> SandboxResponse`, no I/O.

Order of checks for an API call: known module (404) -> token and app key (401) -> tenant (403) -> scope
(403) -> rate limit (429) -> injected faults -> the endpoint (400/404/405 or data). Every failure uses
the API's error envelope; an unexpected exception becomes a 500 envelope, never a traceback.
"""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from stnb._attempts import app_fingerprint
from stnb._clock import SYSTEM_CLOCK, Clock
from stnb.sandbox.exports import DEFAULT_BATCH_SIZE
from stnb.sandbox.faults import Fault, FaultInjector, FaultSpec
from stnb.sandbox.identity import (
    ALL_MODULES,
    DemoIdentities,
    SandboxApp,
    SandboxCredentials,
    SandboxTenant,
    all_credentials,
    build_apps,
)
from stnb.sandbox.messages import (
    SandboxRequest,
    SandboxResponse,
    json_response,
    oauth_error,
    problem,
    trace_id,
)
from stnb.sandbox.params import BadRequest, QueryView
from stnb.sandbox.quirks import Quirks
from stnb.sandbox.ratelimit import RateLimiter
from stnb.sandbox.routes import API_PATH
from stnb.sandbox.tokens import TokenIssuer, TokenRejected

if TYPE_CHECKING:
    from stnb.catalog import Catalog
    from stnb.sandbox.endpoints import Endpoints
    from stnb.sandbox.transport import SandboxTransport
    from stnb.sandbox.world import World

__all__ = ["EMBEDDED_URL", "LIVE_LATENCY", "LatencyModel", "Sandbox", "ServedRequest"]

log = logging.getLogger("stnb.sandbox")

EMBEDDED_URL = "https://sandbox.invalid"
_SCOPE_TITLE = "Provided authentication is insufficient to grant access"
_JITTER = 0.2  # each delay is the model's value times a seeded factor in [0.8, 1.2]


@dataclass(frozen=True, slots=True)
class LatencyModel:
    """How long the sandbox takes to answer: `base_ms` per request plus `per_record_ms` per record sent.

    ServiceTitan publishes no latency figures; `LIVE_LATENCY` holds conservative values (README,
    "Latency"), which `stnb sandbox serve` uses by default.
    """

    base_ms: float = 0.0
    per_record_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.base_ms < 0 or self.per_record_ms < 0:
            raise ValueError(
                f"latency must not be negative, got {self.base_ms} ms + {self.per_record_ms} ms per record"
            )

    @property
    def off(self) -> bool:
        return self.base_ms <= 0 and self.per_record_ms <= 0

    def seconds(self, records: int) -> float:
        """The delay before jitter for a response carrying `records` records."""
        return (self.base_ms + self.per_record_ms * records) / 1000.0

    def __str__(self) -> str:
        if self.off:
            return "none"
        return f"{self.base_ms:g} ms + {self.per_record_ms:g} ms per record (each +/-{_JITTER:.0%})"


LIVE_LATENCY = LatencyModel(base_ms=150.0, per_record_ms=0.4)


@dataclass(frozen=True, slots=True)
class ServedRequest:
    """One request the sandbox answered, for usage recording (`Sandbox.on_request`)."""

    at: datetime
    app: str | None  # app name
    app_public_id: str | None
    app_fingerprint: str | None
    tenant_id: int | None
    env: str | None
    module: str  # "auth" for the token endpoint
    method: str
    endpoint: str  # URL template, e.g. "/jpm/v2/tenant/{tenant}/jobs/{id}"
    status: int


@dataclass(frozen=True, slots=True)
class _Caller:
    app: SandboxApp
    tenant: SandboxTenant
    creds: SandboxCredentials


class Sandbox(DemoIdentities):
    """An offline ServiceTitan: demo apps and tenants, two environments, the API's paths and behaviours.

    `anchor` is the world's "now" (UTC); None means today (by `clock`) at 00:00 UTC. Equal (seed, scale,
    anchor) give byte-identical data. Nothing is generated until a request needs it.
    `latency_ms` + `per_record_ms` x records is how long each answer takes (default none: the embedded
    sandbox answers at once; `LIVE_LATENCY` is what `stnb sandbox serve` uses). `quirks` picks which of the
    live API's known deviations from its documents are reproduced (`stnb.catalog.quirks.QUIRKS`): "all"
    (default), "none" (exactly what the documents say), "id,id" or "-id" (`stnb.sandbox.quirks.Quirks`).
    `report_runs_per_minute` is the Reporting API's run limit (None: the reporting service's default);
    the limit's window runs on `clock`.
    """

    url = EMBEDDED_URL

    def __init__(
        self,
        seed: int = 0,
        scale: float = 1.0,
        anchor: datetime | None = None,
        latency_ms: float = 0.0,
        faults: str | FaultSpec | None = None,
        rate_limit: float = 60.0,
        token_ttl: int = 900,
        clock: Clock | None = None,
        report_runs_per_minute: float | None = None,
        per_record_ms: float = 0.0,
        quirks: str | Quirks | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.clock: Clock = clock or SYSTEM_CLOCK
        if anchor is None:
            today = self.clock.utcnow().astimezone(UTC).date()
            anchor = datetime(today.year, today.month, today.day, tzinfo=UTC)
        elif anchor.tzinfo is None:
            raise ValueError("anchor must be timezone-aware (UTC)")
        self.seed = seed
        self.scale = scale
        self.anchor = anchor.astimezone(UTC)
        self.latency = LatencyModel(latency_ms, per_record_ms)
        self.quirks = Quirks.parse(quirks)
        self.report_runs_per_minute = report_runs_per_minute
        self.export_batch_size = DEFAULT_BATCH_SIZE
        self.on_request: Callable[[ServedRequest], None] | None = None
        self.apps: list[SandboxApp] = build_apps(seed)
        self._callers = {c.client_id: _Caller(a, t, c) for a, t, c in all_credentials(self.apps)}
        self._app_keys = {a.app_key for a in self.apps}
        self._tokens = TokenIssuer(seed, self.clock, token_ttl)
        self._limiter = RateLimiter(rate_limit, self.clock)
        self._faults: FaultInjector | None = None
        self.faults = faults
        self._counter = itertools.count(1)
        self._latency_rng = random.Random(f"latency:{seed}")
        self._lock = threading.RLock()
        self._endpoints: Endpoints | None = None

    # --- configuration ------------------------------------------------------------------------------

    @property
    def faults(self) -> FaultSpec | None:
        return self._faults.spec if self._faults else None

    @faults.setter
    def faults(self, value: str | FaultSpec | None) -> None:
        """Faults can change at runtime: a SPEC string, a FaultSpec, or None for none."""
        spec = FaultSpec.parse(value) if isinstance(value, str) else value
        self._faults = FaultInjector(spec, self.seed) if spec is not None else None

    @property
    def latency_ms(self) -> float:
        return self.latency.base_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.latency = LatencyModel(value, self.latency.per_record_ms)

    @property
    def quirks(self) -> Quirks:
        return self._quirks

    @quirks.setter
    def quirks(self, value: str | Quirks | None) -> None:
        """Quirks can change at runtime, like faults: a spec string, a Quirks, or None for all."""
        self._quirks = Quirks.parse(value)

    @property
    def rate_limit(self) -> float:
        return self._limiter.rate

    @rate_limit.setter
    def rate_limit(self, value: float) -> None:
        self._limiter.rate = value

    @property
    def token_ttl(self) -> int:
        return self._tokens.ttl

    @token_ttl.setter
    def token_ttl(self, value: int) -> None:
        self._tokens.ttl = value

    def app(self, name: str) -> SandboxApp:
        for app in self.apps:
            if app.name == name:
                return app
        raise KeyError(f"no sandbox app named {name!r}; apps: {', '.join(a.name for a in self.apps)}")

    def transport(self) -> SandboxTransport:
        """An httpx2 transport (sync and async) that answers from this sandbox in-process."""
        from stnb.sandbox.transport import SandboxTransport

        return SandboxTransport(self)

    @property
    def catalog(self) -> Catalog:
        return self._get_endpoints().catalog

    def world(self, env: str, tenant_id: int | None = None) -> World:
        """The records of one tenant (default: the default tenant) in one environment."""
        return self._get_endpoints().world(env, tenant_id or self.default_tenant.tenant_id)

    def _get_endpoints(self) -> Endpoints:
        if self._endpoints is None:
            with self._lock:
                if self._endpoints is None:
                    from stnb.sandbox.endpoints import Endpoints

                    self._endpoints = Endpoints(self)
        return self._endpoints

    # --- the core -----------------------------------------------------------------------------------

    def handle(self, request: SandboxRequest) -> SandboxResponse:
        """Answer one request; never raises."""
        number = next(self._counter)
        trace = trace_id(self.seed, number)
        record: dict[str, Any] = {"module": "", "endpoint": request.path}
        try:
            response = self._dispatch(request, trace, record)
        except BadRequest as exc:
            response = problem(400, exc.title, trace, exc.errors)
        except RecursionError:  # a body nested deeper than the JSON parser goes: malformed, not a failure
            response = problem(
                400,
                "One or more validation errors occurred.",
                trace,
                {"body": ["The JSON value is nested too deeply."]},
            )
        except Exception:
            log.exception("sandbox: unexpected error answering %s %s", request.method, request.path)
            response = problem(500, "An unexpected error occurred.", trace)
        response = self._with_latency(response)
        self._record(request, response, record)
        return response

    def _with_latency(self, response: SandboxResponse) -> SandboxResponse:
        model = self.latency
        if model.off:
            return response
        with self._lock:
            jitter = 1.0 - _JITTER + 2 * _JITTER * self._latency_rng.random()
        delay = model.seconds(response.records) * jitter
        return replace(response, delay=response.delay + delay)

    def _record(self, request: SandboxRequest, response: SandboxResponse, record: dict[str, Any]) -> None:
        callback = self.on_request
        if callback is None:
            return
        caller: _Caller | None = record.get("caller")
        served = ServedRequest(
            at=self.clock.utcnow(),
            app=caller.app.name if caller else None,
            app_public_id=caller.app.public_id if caller else None,
            app_fingerprint=app_fingerprint(caller.app.app_key) if caller else None,
            tenant_id=caller.tenant.tenant_id if caller else None,
            env=caller.creds.env if caller else None,
            module=record["module"],
            method=request.method,
            endpoint=record["endpoint"],
            status=0 if response.drop else response.status,
        )
        try:
            callback(served)
        except Exception:
            log.exception("sandbox: on_request callback failed")

    def _dispatch(self, request: SandboxRequest, trace: str, record: dict[str, Any]) -> SandboxResponse:
        if request.path.rstrip("/") == "/connect/token":
            record.update(module="auth", endpoint="/connect/token")
            return self._token(request, trace, record)
        found = API_PATH.match(request.path)
        if found is None or found.group("module") not in ALL_MODULES:
            return problem(404, "Not Found", trace, {"path": [f"No API answers at {request.path}."]})
        module = found.group("module")
        record["module"] = module
        query = QueryView(request.query)
        caller = self._authenticate(request, query, trace)
        if isinstance(caller, SandboxResponse):
            return caller
        record["caller"] = caller
        tenant_text = found.group("tenant")
        if not tenant_text.isdigit() or int(tenant_text) != caller.tenant.tenant_id:
            return problem(
                403,
                "The credentials do not grant access to this tenant.",
                trace,
                {"tenant": [f"Tenant {tenant_text} is not connected to these credentials."]},
            )
        env = caller.creds.env
        if module not in caller.app.scopes_in(env):
            return problem(
                403, _SCOPE_TITLE, trace, {"scope": [f"The app has no access to the '{module}' API."]}
            )
        wait = self._limiter.acquire((caller.app.app_key, caller.tenant.tenant_id, env))
        if wait is not None:
            return problem(
                429,
                f"Rate limit is exceeded. Try again in {wait} seconds.",
                trace,
                headers={"retry-after": str(wait)},
            )
        fault = self._faults.for_api_request() if self._faults else None
        if fault is not None:
            faulted = self._apply_fault(fault, caller, trace)
            if faulted is not None:
                return faulted
        response = self._get_endpoints().answer(request, query, caller.creds, module, trace, record)
        if fault is not None and fault.delay:
            return replace(response, delay=fault.delay)
        return response

    def _apply_fault(self, fault: Fault, caller: _Caller, trace: str) -> SandboxResponse | None:
        if fault.revoke:
            self._tokens.revoke(caller.creds.client_id)
            return problem(
                401, "The access token was revoked.", trace, headers={"www-authenticate": "Bearer"}
            )
        if fault.drop:
            return SandboxResponse(0, {}, b"", fault.delay, drop=True)
        if fault.status is None:
            return None
        headers = {"retry-after": "1"} if fault.status in (429, 503) else {}
        title = {
            429: "Rate limit is exceeded. Try again in 1 seconds.",
            409: "The tenant is under maintenance. Please try again later.",
            500: "An unexpected error occurred.",
            502: "Bad Gateway",
            503: "The service is temporarily unavailable. Please try again later.",
        }[fault.status]
        response = problem(fault.status, title, trace, headers=headers)
        return SandboxResponse(response.status, response.headers, response.body, fault.delay)

    def _authenticate(
        self, request: SandboxRequest, query: QueryView, trace: str
    ) -> _Caller | SandboxResponse:
        def unauthorized(title: str) -> SandboxResponse:
            return problem(401, title, trace, headers={"www-authenticate": "Bearer"})

        header = (request.header("authorization") or "").strip()
        token = header[7:].strip() if header[:7].lower() == "bearer " else header
        if not token:
            return unauthorized("Unauthorized: an access token is required (Authorization: Bearer <token>).")
        try:
            claims = self._tokens.verify(token)
        except TokenRejected as exc:
            return unauthorized(str(exc))
        caller = self._callers.get(claims.client_id)
        if caller is None or caller.creds.env != claims.env:
            return unauthorized("The access token was not issued by this server.")
        app_key = request.header("st-app-key") or query.get("servicetitanapplicationkey")
        if not app_key:
            return unauthorized("The ST-App-Key header is missing.")
        if app_key != caller.app.app_key:
            return unauthorized("The app key does not belong to the app the access token was issued to.")
        return caller

    def _token(self, request: SandboxRequest, trace: str, record: dict[str, Any]) -> SandboxResponse:
        if request.method != "POST":
            return problem(405, "Method Not Allowed", trace, {"method": ["Use POST for the token endpoint."]})
        fault = self._faults.for_token_request() if self._faults else None
        if fault is not None and fault.status:
            return problem(fault.status, "An unexpected error occurred.", trace)
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            return oauth_error(
                "invalid_request", "The request must be form-encoded (application/x-www-form-urlencoded)."
            )
        try:
            form = dict(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            return oauth_error("invalid_request", "The request body is not valid UTF-8.")
        if form.get("grant_type") != "client_credentials":
            return oauth_error("unsupported_grant_type", "Only the client_credentials grant is supported.")
        caller = self._callers.get(form.get("client_id", ""))
        if caller is None or form.get("client_secret") != caller.creds.client_secret:
            return oauth_error("invalid_client", "The client id or client secret is not valid.", status=400)
        record["caller"] = caller
        token = self._tokens.issue(caller.creds)
        scopes = " ".join(f"tn.{m}" for m in sorted(caller.app.scopes_in(caller.creds.env)))
        return json_response(
            200,
            {"access_token": token, "expires_in": self._tokens.ttl, "token_type": "Bearer", "scope": scopes},
            {"cache-control": "no-store", "pragma": "no-cache"},
        )

    def revoke_tokens(self, client_id: str) -> None:
        """Invalidate every token issued to a client id so far (as a tenant admin rotating a secret)."""
        self._tokens.revoke(client_id)

    def __repr__(self) -> str:
        anchor = self.anchor.date().isoformat()
        return (
            f"<stnb.Sandbox seed={self.seed} scale={self.scale:g} anchor={anchor} url={self.url} "
            f"quirks={self.quirks.spec}>"
        )
