"""The app factory: families, admin API, error rendering, CORS and the OpenAPI documents."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from flask import Flask, Response, g, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from mockserver import admin, haidy
from mockserver.api import JSON, Api, Operation
from mockserver.clock import Clock, iso_millis
from mockserver.config import Config
from mockserver.errors import ApiError, ContractViolation, MethodNotAllowed, NotFound, PayloadTooLarge
from mockserver.faults import FaultRule, Faults
from mockserver.journal import BODY_LIMIT, Journal
from mockserver.openapi import document
from mockserver.schemas import SchemaRegistry
from mockserver.store import MemoryStore
from mockserver.styles import FastApiErrors
from mockserver.tenants import TenantDirectory

FAMILIES = (
    haidy,
)
"""Each family package exposes `api` (its declarations) and `Backend` (its per-tenant domain model)."""

log = logging.getLogger("mockserver")


@dataclass
class Runtime:
    """Everything a request may need, one per app: `app.extensions["mockserver"]`."""

    config: Config
    schemas: SchemaRegistry
    tenants: TenantDirectory
    store: MemoryStore
    clock: Clock
    apis: list[Api]
    journal: Journal
    faults: Faults

    def reset(self) -> None:
        """Back to how the server started: no data, only the configured tenants, real time."""
        self.tenants.reset()
        self.store.reset()
        self.journal.clear()
        self.faults.clear()
        self.clock.unfreeze()


def create_app(config: Config | None = None) -> Flask:
    config = config or Config()
    app = Flask("mockserver")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    tenants = TenantDirectory(config)
    clock = Clock()
    store = MemoryStore(tenants.settings)
    for family in FAMILIES:
        store.register(family.api.name, _factory(family.Backend, clock), _restorer(family.Backend, clock))
    apis = [family.api for family in FAMILIES] + [admin.api]
    runtime = Runtime(config, SchemaRegistry.default(), tenants, store, clock, apis, Journal(config.journal_size), Faults())
    app.extensions["mockserver"] = runtime

    operations: dict[str, Operation] = {}
    for api in apis:
        operations.update(api.register(app))
        runtime.schemas.compile_all(name for op in api.operations for name in op.schema_names())

    public = [api for api in apis if api.public]
    _serve_json(app, "/openapi.json", document(
        public, runtime.schemas, title="mockserver: clinical APIs",
        description="Haidy (44ai) as documented by the vendor, served by mockserver."))
    _serve_json(app, "/_mock/openapi.json", document(
        [admin.api], runtime.schemas, title="mockserver admin API",
        description="Test control: reset, state, tenants. Not part of any vendor API."))

    resolve = _resolver(operations, apis)
    _install_error_handlers(app, resolve)
    _install_traffic_hooks(app, runtime, resolve)
    CORS(app, origins=config.cors_origins, expose_headers=["Deprecation", "Retry-After"])
    return app


def _factory(backend_cls, clock):
    return lambda settings: backend_cls(clock).configure(settings)


def _restorer(backend_cls, clock):
    return lambda state: backend_cls.from_state(state, clock)


def _serve_json(app: Flask, path: str, doc: dict) -> None:
    body = json.dumps(doc, indent=2).encode()
    app.add_url_rule(path, endpoint=path, view_func=lambda: Response(body, mimetype=JSON))


def _resolver(operations: dict[str, Operation], apis: list[Api]):
    """Which operation and family the current request belongs to (family by URL prefix if unrouted)."""
    by_prefix = sorted(((p, api) for api in apis for p in api.prefixes), key=lambda pair: -len(pair[0]))

    def resolve() -> tuple[Operation | None, Api | None]:
        op = operations.get(request.endpoint or "")
        if op is not None:
            return op, op.api
        return None, next((api for prefix, api in by_prefix if request.path.startswith(prefix)), None)

    return resolve


def _install_error_handlers(app: Flask, resolve) -> None:
    fallback = FastApiErrors()

    def style_for_request():
        op, api = resolve()
        return op.errors if op else api.errors if api else fallback

    def render(error: ApiError) -> Response:
        style = style_for_request()
        body = style.render(error)
        payload = body if style.media_type != JSON else json.dumps(body, separators=(",", ":"))
        return Response(payload, error.status, error.headers, mimetype=style.media_type)

    @app.errorhandler(ApiError)
    def api_error(error: ApiError):
        return render(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code == 404:
            return render(NotFound("Not Found"))
        if error.code == 405:
            allowed = ", ".join(sorted(error.valid_methods or []))
            return render(MethodNotAllowed("Method Not Allowed", headers={"Allow": allowed}))
        if error.code == 413:
            limit = app.config["MAX_CONTENT_LENGTH"]
            return render(PayloadTooLarge(f"Request body exceeds the limit of {limit} bytes"))
        wrapped = ApiError(error.description or error.name)
        wrapped.status, wrapped.code = error.code or 400, error.name.replace(" ", "")
        return render(wrapped)

    @app.errorhandler(ContractViolation)
    def contract_violation(error: ContractViolation):
        log.error("contract violation: %s", error)
        return render(ApiError(f"mockserver bug: {error}"))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(ApiError("Internal Server Error"))


def _install_traffic_hooks(app: Flask, runtime: Runtime, resolve) -> None:
    """Fault rules before each request; journal (and access log) after it. /_mock/ is exempt."""

    @app.before_request
    def inject_faults():
        g.started = time.perf_counter()
        if request.path.startswith("/_mock/"):
            return None
        rule = runtime.faults.fire(request.method, request.path, request.headers)
        if rule is None:
            return None
        g.fault = rule.id
        return _apply_fault(rule)

    @app.after_request
    def record(response: Response):
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if runtime.config.access_log:
            log.info("%s %s %s %.1fms", request.method, request.full_path.rstrip("?"), response.status_code, elapsed)
        if not request.path.startswith("/_mock/"):
            op, api = resolve()
            runtime.journal.record(
                at=iso_millis(runtime.clock.now()), family=api.name if api else "", method=request.method,
                path=request.path, query=request.query_string.decode("latin-1"), status=response.status_code,
                duration_ms=round(elapsed, 3), request_headers=dict(request.headers), request_body=_request_text(),
                response_body=_response_text(response), operation=op.operation_id if op else None,
                fault=g.get("fault"))
        return response


def _apply_fault(rule: FaultRule):
    if rule.latency_ms:
        time.sleep(rule.latency_ms / 1000)
    if rule.drop:
        return Response(_broken_stream(), 200, {"Content-Length": "1024"}, mimetype=JSON)
    if rule.status is None:
        return None
    headers = dict(rule.response_headers)
    if rule.retry_after is not None:
        headers["Retry-After"] = str(rule.retry_after)
    if rule.body is not None:
        return Response(json.dumps(rule.body), rule.status, headers, mimetype=JSON)
    error = ApiError(f"Injected fault {rule.id}", headers=headers)
    error.status = rule.status
    raise error


def _broken_stream():
    """Headers promise 1 KiB; the server gets a few bytes and an error, so it cuts the connection."""
    yield b'{"'
    raise ConnectionAbortedError("fault rule: connection dropped on purpose")


def _request_text() -> str:
    try:
        if request.files:
            return "multipart: " + ", ".join(f"{name}={f.filename}" for name, fs in request.files.lists() for f in fs)
        return request.get_data(cache=True)[:BODY_LIMIT].decode("utf-8", "replace")
    except HTTPException as refused:  # an oversized or broken body stays unread
        return f"<unread: {refused.name}>"


def _response_text(response: Response) -> str:
    if response.is_streamed or response.direct_passthrough:
        return ""
    return response.get_data()[:BODY_LIMIT].decode("utf-8", "replace")
