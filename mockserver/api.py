"""One declaration per endpoint: the route, its validation and its OpenAPI entry come from it.

An `Api` is one API family (haidy, heidi, esteem, the admin API). Its `operation` decorator
declares method, path, request schema, query schema, path-parameter schemas and a schema per
response status, and wraps the handler in the request pipeline:

    auth (family scheme -> tenant) -> parse + validate -> handler -> (strict) response check

Handlers receive a `Call` and return a payload, `(payload, status)`, `(payload, status,
headers)` or a ready Flask `Response`. They raise `ApiError`s; the family's error style
decides the body.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import FileStorage

from mockserver.errors import ApiError, ContractViolation, FieldError, RequestValidationError

JSON = "application/json"
MULTIPART = "multipart/form-data"
HTML = "text/html"
_INTEGER = re.compile(r"[+-]?[0-9]+")
_PARAM = re.compile(r"{(\w+)}")


class ErrorStyle(Protocol):
    """Turns an `ApiError` into the vendor's body (a JSON-able value, or an HTML string)."""

    media_type: str

    def render(self, error: ApiError) -> Any: ...


@dataclass(frozen=True)
class Identity:
    """Who a request acts as: the tenant whose state it reaches, and optionally a principal inside it
    (a user with a role, say) for families whose rules depend on who asks."""

    tenant: str
    principal: Any = None


class AuthScheme(Protocol):
    """Finds who a request acts as, or raises `Unauthorized`."""

    def authenticate(self, req, runtime) -> Identity: ...

    def openapi(self) -> tuple[str, dict]: ...


@dataclass(frozen=True)
class Body:
    """A request body: a schema name and its media type."""

    schema: str
    media_type: str = JSON


@dataclass(frozen=True)
class Reply:
    """A response: a JSON schema name, or another media type described in words."""

    schema: str | None = None
    media_type: str = JSON
    description: str = ""


@dataclass
class Operation:
    api: "Api"
    method: str
    path: str
    operation_id: str
    summary: str
    handler: Callable
    body: Body | None
    query: str | None
    path_schemas: dict[str, str]
    """Schema per path parameter, for those that are not plain strings (an integer id, say)."""
    responses: dict[int, Reply]
    links: dict[int, dict]
    authenticated: bool
    errors: ErrorStyle
    deprecated: bool = False
    auth: AuthScheme | None = None
    """The scheme that authenticates this operation: the family's, or the operation's own."""

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def flask_rule(self) -> str:
        return _PARAM.sub(r"<\1>", self.path)

    def schema_names(self) -> list[str]:
        names = [r.schema for r in self.responses.values() if r.schema]
        names += [s for s in (self.body and self.body.schema, self.query) if s]
        return names + list(self.path_schemas.values())


@dataclass
class Call:
    """What a handler gets: validated inputs, the tenant, and access to its state."""

    operation: Operation
    identity: Identity | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    files: dict[str, list[FileStorage]]
    runtime: Any

    @property
    def tenant(self) -> str | None:
        return self.identity and self.identity.tenant

    @property
    def principal(self):
        return self.identity and self.identity.principal

    def backend(self):
        """Context manager holding this tenant's family state, locked for the duration."""
        return self.runtime.store.session(self.operation.api.name, self.tenant)


class Api:
    """One API family: its operations, error style, auth scheme and URL prefixes."""

    def __init__(self, name: str, *, title: str, errors: ErrorStyle, auth: AuthScheme | None,
                 prefixes: tuple[str, ...], validation_schema: str | None = None,
                 error_schema: str | None = None, description: str = "", public: bool = True,
                 mounts: tuple[str, ...] = ("",), hosts: tuple[str, ...] = (),
                 json_loads: Callable[[str], Any] | None = None,
                 invalid_path: Callable[[list[FieldError]], ApiError] = RequestValidationError):
        self.name = name
        self.hosts = hosts
        """The vendor's real hostnames: `intercept()` sends calls to them to this fake."""
        self.mounts = mounts
        """URL prefixes the operations answer under; the OpenAPI document lists the first."""
        self.title = title
        self.description = description
        self.errors = errors
        self.auth = auth
        self.prefixes = tuple(m + p for m in mounts for p in prefixes) + tuple(m + "/" for m in mounts if m)
        """Paths whose errors this family renders: its prefixes under every mount, and all of a non-root mount."""
        self.json_loads = json_loads or loads
        """Parses JSON request bodies; raises ValueError (with `pos` where known) on bad input."""
        self.invalid_path = invalid_path
        """The error for path parameters their schemas refuse: FastAPI's 422 by default, a Rails family's 404."""
        self.validation_schema = validation_schema
        self.error_schema = error_schema
        self.public = public
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, *, summary: str, body: Body | str | None = None,
                  query: str | None = None, path_schemas: dict[str, str] | None = None,
                  responses: dict[int, Reply | str],
                  links: dict[int, dict] | None = None, authenticated: bool = True,
                  errors: ErrorStyle | None = None, deprecated: bool = False, auth: AuthScheme | None = None):
        """Declare an endpoint. Error statuses the pipeline itself can answer are added here.

        `path_schemas` gives a schema to path parameters that are not plain strings (e.g. integer ids); the
        handler gets them parsed. `auth` replaces the family's scheme for this operation (e.g. an API key
        that obtains the token)."""
        replies = {s: (r if isinstance(r, Reply) else Reply(r)) for s, r in responses.items()}
        if isinstance(body, str):
            body = Body(body)
        automatic = {}
        scheme = auth or (self.auth if authenticated else None)
        if scheme:
            automatic[401] = self.error_schema
        if body or query or (path_schemas and self.invalid_path is RequestValidationError):
            automatic[422] = self.validation_schema
        if body:
            automatic[413] = self.error_schema
        for status, schema in automatic.items():
            replies.setdefault(status, Reply(schema))

        unknown = set(path_schemas or ()) - set(_PARAM.findall(path))
        if unknown:
            raise ValueError(f"{method} {path} has no path parameter {', '.join(sorted(unknown))}")

        def register(handler: Callable) -> Callable:
            self.operations.append(Operation(
                api=self, method=method.upper(), path=path, operation_id=handler.__name__,
                summary=summary, handler=handler, body=body, query=query, path_schemas=path_schemas or {},
                responses=replies,
                links=links or {}, authenticated=scheme is not None,
                errors=errors or self.errors, deprecated=deprecated, auth=scheme,
            ))
            return handler

        return register

    def register(self, app) -> dict[str, Operation]:
        """Add the operations to `app` under every mount; return them by Flask endpoint name."""
        bp = Blueprint(self.name, __name__)
        for op in self.operations:
            bp.add_url_rule(op.flask_rule, endpoint=op.operation_id, view_func=_view(op),
                            methods=[op.method], strict_slashes=True)
        endpoints = {}
        for index, mount in enumerate(self.mounts):
            name = self.name if index == 0 else f"{self.name}_{index}"
            app.register_blueprint(bp, url_prefix=mount or None, name=name)
            endpoints.update({f"{name}.{op.operation_id}": op for op in self.operations})
        return endpoints


def _view(op: Operation) -> Callable:
    def view(**path_params):
        runtime = current_app.extensions["mockserver"]
        identity = op.auth.authenticate(request, runtime) if op.authenticated else None
        body, files = _read_body(op, runtime)
        query = _read_query(op, runtime)
        call = Call(op, identity, _read_path(op, path_params, runtime), query, body, files, runtime)
        return _respond(op, op.handler(call), runtime)

    view.__name__ = op.operation_id
    view.__doc__ = op.handler.__doc__
    return view


def _read_query(op: Operation, runtime) -> dict[str, Any]:
    if not op.query:
        return {}
    schema = runtime.schemas.schema(op.query)
    values, errors = {}, []
    for name, prop in schema.get("properties", {}).items():
        if name not in request.args:
            continue
        raw = request.args.getlist(name) if prop.get("type") == "array" else request.args[name]
        try:
            values[name] = _coerce(raw, prop)
        except ValueError as exc:
            errors.append(FieldError(("query", name), str(exc), f"type_error.{prop.get('type')}"))
    errors += runtime.schemas.errors(op.query, values, ("query",))
    if errors:
        raise RequestValidationError(errors)
    return values


def _read_path(op: Operation, raw: dict[str, str], runtime) -> dict[str, Any]:
    """Path parameters parsed by their declared schemas, after the body and query (so a bad body to a
    bad id is still the body's error); one its schema refuses answers the family's `invalid_path`."""
    if not op.path_schemas:
        return raw
    values, errors = dict(raw), []
    for name, schema in op.path_schemas.items():
        prop = runtime.schemas.schema(schema)
        try:
            values[name] = _coerce(raw[name], prop)
        except ValueError as exc:
            errors.append(FieldError(("path", name), str(exc), f"type_error.{prop.get('type')}"))
            continue
        errors += runtime.schemas.errors(schema, values[name], ("path", name))
    if errors:
        raise op.api.invalid_path(errors)
    return values


def _coerce(raw, prop: dict):
    kind = prop.get("type")
    if kind == "array":
        return [_coerce(item, prop.get("items", {})) for item in raw]
    if kind == "integer":
        if not _INTEGER.fullmatch(raw):  # int() also takes " 1", "1_0" and other scripts' digits
            raise ValueError("value is not a valid integer")
        return int(raw)
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise ValueError("value is not a valid float") from None
    if kind == "boolean":
        lowered = raw.lower()
        if lowered in ("true", "1", "yes", "on"):
            return True
        if lowered in ("false", "0", "no", "off"):
            return False
        raise ValueError("value could not be parsed to a boolean")
    return raw


def _read_body(op: Operation, runtime) -> tuple[Any, dict[str, list[FileStorage]]]:
    if op.body is None:
        return None, {}
    if op.body.media_type == MULTIPART:
        return _read_multipart(op, runtime)
    raw = request.get_data()
    if not raw:
        raise RequestValidationError([FieldError(("body",), "field required", "value_error.missing")])
    mimetype = request.mimetype
    if mimetype and mimetype != JSON and not mimetype.endswith("+json"):
        raise RequestValidationError([FieldError(
            ("body",), f"value is not a valid dict (Content-Type must be {JSON}, got {mimetype})",
            "type_error.dict")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RequestValidationError([FieldError(
            ("body", exc.start), "request body is not valid UTF-8", "value_error.jsondecode")]) from None
    try:
        body = op.api.json_loads(text)
    except ValueError as exc:
        pos = getattr(exc, "pos", 0)
        raise RequestValidationError([FieldError(
            ("body", pos), getattr(exc, "msg", str(exc)), "value_error.jsondecode")]) from None
    errors = runtime.schemas.errors(op.body.schema, body, ("body",))
    if errors:
        raise RequestValidationError(errors)
    return body, {}


def loads(text: str):
    """Strict JSON, as Python's json module reads it minus the NaN/Infinity extension."""
    return json.loads(text, parse_constant=_reject_constant)


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _read_multipart(op: Operation, runtime):
    schema = runtime.schemas.schema(op.body.schema)
    if request.mimetype != MULTIPART:
        files: dict[str, list[FileStorage]] = {}
    else:
        files = {name: request.files.getlist(name) for name in request.files}
    missing = [name for name in schema.get("required", []) if not files.get(name)]
    if missing:
        raise RequestValidationError(
            [FieldError(("body", name), "field required", "value_error.missing") for name in missing])
    return None, files


def _respond(op: Operation, result, runtime) -> Response:
    if isinstance(result, Response):
        return result
    status, headers = 200, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    if runtime.config.validate_responses:
        check_response(op, status, result, runtime.schemas)
    return Response(json.dumps(result, separators=(",", ":")), status, headers, mimetype=JSON)


def check_response(op: Operation, status: int, payload, schemas) -> None:
    """Strict mode: a response outside the declared contract is a bug in the mock."""
    reply = op.responses.get(status)
    if reply is None:
        raise ContractViolation(op.operation_id, status, [f"status {status} is not declared"])
    if reply.schema:
        problems = [f"{'/'.join(map(str, e.loc))}: {e.msg}"
                    for e in schemas.errors(reply.schema, payload)]
        if problems:
            raise ContractViolation(op.operation_id, status, problems)
