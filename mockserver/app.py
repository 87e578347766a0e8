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
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.errors import ApiError, ContractViolation, MethodNotAllowed, NotFound, PayloadTooLarge
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

    def reset(self) -> None:
        """Back to how the server started: no data, only the configured tenants."""
        self.tenants.reset()
        self.store.reset()


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
    runtime = Runtime(config, SchemaRegistry.default(), tenants, store, clock, apis)
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

    _install_error_handlers(app, operations, apis)
    CORS(app, origins=config.cors_origins, expose_headers=["Deprecation", "Retry-After"])
    if config.access_log:
        _install_access_log(app)
    return app


def _factory(backend_cls, clock):
    return lambda settings: backend_cls(clock).configure(settings)


def _restorer(backend_cls, clock):
    return lambda state: backend_cls.from_state(state, clock)


def _serve_json(app: Flask, path: str, doc: dict) -> None:
    body = json.dumps(doc, indent=2).encode()
    app.add_url_rule(path, endpoint=path, view_func=lambda: Response(body, mimetype=JSON))


def _install_error_handlers(app: Flask, operations: dict[str, Operation], apis: list[Api]) -> None:
    by_prefix = sorted(((p, api) for api in apis for p in api.prefixes), key=lambda pair: -len(pair[0]))
    fallback = FastApiErrors()

    def style_for_request():
        op = operations.get(request.endpoint or "")
        if op is not None:
            return op.errors
        for prefix, api in by_prefix:
            if request.path.startswith(prefix):
                return api.errors
        return fallback

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


def _install_access_log(app: Flask) -> None:
    @app.before_request
    def start_timer():
        g.started = time.perf_counter()

    @app.after_request
    def log_request(response: Response):
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %.1fms", request.method, request.full_path.rstrip("?"), response.status_code, elapsed)
        return response
