"""The app factory: the registered families mounted on the framework, with the admin API, error
rendering, CORS, fault rules, the journal and the OpenAPI documents. The composition root: it
may import every layer below the harness."""

from __future__ import annotations

import json
import logging
import time
from contextlib import suppress

from flask import Flask, Response, request
from flask_cors import CORS
from werkzeug.exceptions import HTTPException

from mockserver import console, registry
from mockserver.control import admin, browser, drops
from mockserver.control.faults import FaultRule, Faults
from mockserver.control.journal import BODY_LIMIT, Journal
from mockserver.control.runtime import Runtime
from mockserver.core import gate, streams
from mockserver.core.access_log import AccessLog
from mockserver.core.auth import AdminAccess
from mockserver.core.clock import Clock
from mockserver.core.config import Config
from mockserver.core.declaration import JSON, Api, Operation
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import ApiError, ContractViolation, MethodNotAllowed, NotFound, PayloadTooLarge
from mockserver.core.family import Family, commons_of, schemas_for
from mockserver.core.json_codec import dumps
from mockserver.core.latency import Latency
from mockserver.core.openapi import document
from mockserver.core.pipeline import TASK_FAILURE_KEY, mount
from mockserver.core.shared import UNAVAILABLE, unavailable
from mockserver.core.store import MemoryStore
from mockserver.core.tasks import TaskEngine, TaskFailure
from mockserver.core.tenants import TenantDirectory
from mockserver.core.wsgi import Answer, MockFlask

log = logging.getLogger("mockserver")
VENDOR_DOCUMENT = "/openapi.json"
"""The families' OpenAPI document; the admin API's is /_mock/openapi.json."""
FAULT_KEY = "mockserver.fault"
"""The WSGI environ key of the fault rule that fired for a request, for the journal."""


def create_app(config: Config | None = None, families: tuple[Family, ...] | None = None) -> Flask:
    """A mock app serving `families` (default: every family in `mockserver.registry.FAMILIES`)."""
    config = config or Config()
    families = tuple(registry.FAMILIES if families is None else families)
    schemas = schemas_for(families)
    app = MockFlask("mockserver")
    app.config["MAX_CONTENT_LENGTH"] = config.max_body_bytes
    drops.quiet_server_logs()  # a fault rule's dropped connection is one info line, not a server's traceback
    parts = _shared_parts(config, schemas, families) if config.store else _memory_parts(config, schemas, families)
    store, clock = parts["store"], parts["clock"]
    for family in families:
        store.register(family.name, _factory(family, clock), _restorer(family, clock), _opener(family, clock))
    commons = commons_of(families)
    for shared in commons:
        store.register(shared.name, lambda settings, c=shared: c.new_backend(clock),
                       lambda state, c=shared: c.restore_backend(clock, state),
                       lambda tables, c=shared: c.open_backend(clock, tables))
    admin_apis = [admin.api] + [f.admin for f in families if f.admin] + [c.admin for c in commons if c.admin]
    apis = [f.api for f in families] + admin_apis
    state = config.state(schemas)
    runtime = Runtime(config, schemas, parts["tenants"], store, clock, families, apis, parts["journal"],
                      parts["faults"], parts["tasks"], None if state is None else json.dumps(state),
                      admin=AdminAccess(config.auth == "strict", config.all_admin_tokens(schemas)),
                      latency=parts["latency"])
    app.extensions["mockserver"] = runtime
    saved = config.saved_state(schemas)  # where the last run of `serve --snapshot` left the world
    store.start(saved if saved is not None else state)

    operations: dict[str, Operation] = {}
    for api in apis:
        operations.update(mount(api, app))
        schemas.compile_all(name for op in api.operations for name in op.schema_names())

    _serve_json(app, VENDOR_DOCUMENT, document(
        [f.api for f in families], schemas, title="mockserver: clinical APIs",
        description="Haidy (44ai), Heidi Health and Esteem as their vendors document them, served by mockserver."))
    _serve_json(app, "/_mock/openapi.json", document(
        admin_apis, schemas, title="mockserver admin API",
        description="Test control: reset, state, tenants. Not part of any vendor API."))

    app.register_blueprint(console.blueprint())  # the web console's static files, under /_mock/console/
    resolve = _resolver(operations, apis)
    _install_error_handlers(app, resolve)
    _install_traffic_hooks(app, runtime, resolve)
    return app


def _task_options(config: Config) -> dict:
    return {"timing": config.task_timing, "retention": config.task_retention, "duration": config.task_seconds,
            "ttl": config.task_ttl_seconds, "max_per_tenant": config.max_tasks_per_tenant}


def _shared_families(families: tuple[Family, ...]) -> dict[str, str]:
    return {f.name: f.shared_tenant for f in families if f.shared_tenant}


def _memory_parts(config: Config, schemas, families: tuple[Family, ...]) -> dict:
    """Everything that holds state, in this process: the default, and the fastest."""
    tenants = TenantDirectory(config, config.tenants(schemas), _shared_families(families))
    clock = Clock()
    return {"tenants": tenants, "clock": clock, "store": MemoryStore(tenants.settings),
            "journal": Journal(config.journal_size), "faults": Faults(),
            "tasks": TaskEngine(clock, **_task_options(config)), "latency": Latency(config.latency_ms())}


def _shared_parts(config: Config, schemas, families: tuple[Family, ...]) -> dict:
    """Everything that holds state, in the Redis of `--store` (`core/shared.py`): every worker and host given the
    same URL and prefix serves one world, and it outlives the process."""
    from mockserver.control.faults import RedisFaults
    from mockserver.control.journal import RedisJournal
    from mockserver.core.clock import RedisClock
    from mockserver.core.latency import RedisLatency
    from mockserver.core.redis_store import RedisStore
    from mockserver.core.shared import RedisLink
    from mockserver.core.shared_tasks import RedisTaskEngine
    from mockserver.core.tenants import RedisTenantDirectory

    link = RedisLink.parse(config.store)
    if config.jwt_secret_random:  # JWTs from one worker, host or run are good on every other
        config.jwt_secret = (link.redis.set(link.key("jwt-secret"), config.jwt_secret, nx=True, get=True)
                             or config.jwt_secret.encode()).decode()
    tenants = RedisTenantDirectory(link, config, config.tenants(schemas), _shared_families(families))
    clock = RedisClock(link)
    return {"tenants": tenants, "clock": clock, "store": RedisStore(link, tenants.settings),
            "journal": RedisJournal(link, config.journal_size), "faults": RedisFaults(link),
            "tasks": RedisTaskEngine(clock, link=link, **_task_options(config)),
            "latency": RedisLatency(link, config.latency_ms())}


def _opener(family: Family, clock: Clock):
    return None if family.open_backend is None else lambda tables: family.open_backend(clock, tables)


def _factory(family: Family, clock: Clock):
    return lambda settings: family.new_backend(clock, settings)


def _restorer(family: Family, clock: Clock):
    return lambda state: family.restore_backend(clock, state)


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
        payload = body if style.media_type != JSON else dumps(body)
        status = style.status_of(error) if hasattr(style, "status_of") else error.status
        return Answer(payload, status, error.headers, mimetype=style.media_type)

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

    for unavailable_error in UNAVAILABLE:  # Redis down or unreachable: 503 in the family's shape, nothing written
        app.register_error_handler(unavailable_error, lambda error: render(unavailable(error)))

    @app.errorhandler(ContractViolation)
    def contract_violation(error: ContractViolation):
        log.error("contract violation: %s", error)
        return render(ApiError(f"mockserver bug: {error}"))

    @app.errorhandler(Exception)
    def unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return render(ApiError("Internal Server Error"))


def _install_traffic_hooks(app: Flask, runtime: Runtime, resolve) -> None:
    """The latency and fault rules before each request; CORS, journal and access log after it. /_mock/ is
    exempt from latency, faults and journal, and refuses other sites' pages instead; the vendors' OpenAPI
    document is not journaled either (the console's reference reads it, and it is no vendor's traffic). One hook
    each way: every hook costs every request."""
    CORS(app, resources=browser.cors_resources(runtime.config), origins=runtime.config.cors_origins,
         expose_headers=["Deprecation", "Retry-After"])
    cors = app.after_request_funcs[None].pop()  # called below, and only for browsers (an Origin header)
    journal, faults, clock, latency = runtime.journal, runtime.faults, runtime.clock, runtime.latency
    admin_origins, vendors = runtime.config.admin_origins, {family.api for family in runtime.families}
    access_log = AccessLog() if runtime.config.access_log else None

    @app.before_request
    def before():
        req = request._get_current_object()
        req.environ["mockserver.started"] = time.perf_counter()
        if req.path.startswith("/_mock/"):
            return browser.refuse_cross_site(req, admin_origins)
        if req.path == "/" and (to_console := browser.console_redirect(req)) is not None:
            return to_console
        if latency.range[1] and resolve()[1] in vendors:  # a vendor's operation, or its 404 or 405
            gate.wait(latency.seconds())
        rule = faults.fire(req.method, req.path, req.headers)
        if rule is None:
            return None
        req.environ[FAULT_KEY] = rule.id
        return _apply_fault(rule, req.environ)

    @app.after_request
    def after(response: Response):
        req = request._get_current_object()
        environ = req.environ
        if "HTTP_ORIGIN" in environ:
            response = cors(response)
        elapsed = (time.perf_counter() - environ.get("mockserver.started", time.perf_counter())) * 1000
        if access_log:
            access_log.write(req.method, req.full_path.rstrip("?"), response.status_code, elapsed)
        if not req.path.startswith("/_mock/") and req.path != VENDOR_DOCUMENT:
            op, api = resolve()
            with suppress(*UNAVAILABLE):  # Redis went away: the answer (a 503, likely) still goes out
                journal.record(
                    at=clock.now(), family=api.name if api else "", method=req.method, path=req.path,
                    environ=environ, request_body=_request_bytes(req), status=response.status_code,
                    duration_ms=round(elapsed, 3),
                    response_body=_sent_body(response),
                    operation=op.operation_id if op else None, fault=environ.get(FAULT_KEY))
        return response


def _apply_fault(rule: FaultRule, environ: dict):
    if rule.task_error:  # the request pipeline puts it on the Call
        environ[TASK_FAILURE_KEY] = TaskFailure(rule.task_error.get("error", "Injected failure"),
                                                rule.task_error.get("details", ""))
    if rule.cut_stream_after is not None:  # the stream's body ends with it (`core/streams.py`)
        environ[streams.CUT_KEY] = (rule.cut_stream_after,
                                    lambda: drops.cut_stream(rule.id, environ))
    if rule.latency_ms:
        gate.wait(rule.latency_ms / 1000)
    if rule.drop:  # the body resets or cuts the connection; the status and headers reach the client only in a cut
        body = drops.drop(rule.drop, rule.id, environ)
        return _DroppingResponse(body, 200, {"Content-Length": str(drops.PROMISED_LENGTH)}, mimetype=JSON)
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


class _DroppingResponse(Response):
    """An answer whose body resets or cuts the connection: the server gets that body for a HEAD request too."""

    def get_app_iter(self, environ):
        return self.response


def _sent_body(response: Response) -> bytes:
    """The body as the journal keeps it: a streamed answer's planned pieces (`core/streams.py`), or nothing for
    another body that streams (a file, a drop), which reading would consume."""
    if response.is_streamed or response.direct_passthrough:
        return getattr(response, "planned", b"")
    return response.get_data()


def _request_bytes(req) -> bytes:
    """The body as the journal keeps it: what the handler read, or a note for multipart and refused bodies."""
    if not req.environ.get("CONTENT_LENGTH") and "chunked" not in req.environ.get("HTTP_TRANSFER_ENCODING", ""):
        return b""
    try:
        if req.mimetype == "multipart/form-data":
            parts = ", ".join(f"{name}={f.filename}" for name, fs in req.files.lists() for f in fs)
            return f"multipart: {parts}".encode()
        return req.get_data(cache=True)[:BODY_LIMIT]
    except HTTPException as refused:  # an oversized or broken body stays unread
        return f"<unread: {refused.name}>".encode()
