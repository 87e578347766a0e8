"""The request pipeline: declared operations mounted as Flask routes, each request through

    auth (family scheme -> tenant) -> parse + validate body, query (defaults filled), path
    -> handler(Call) -> (strict) response check -> JSON

A fault rule's injected task failure reaches the `Call` through the WSGI environ (`FAULT_KEY`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import FileStorage

from mockserver.core.declaration import JSON, MULTIPART, Api, Call, Operation
from mockserver.core.errors import ContractViolation, FieldError, RequestValidationError

_INTEGER = re.compile(r"[+-]?[0-9]+")
TASK_FAILURE_KEY = "mockserver.task_failure"
"""Where the traffic hooks leave a task failure a fault rule asked for, for the pipeline to put on the `Call`."""


def mount(api: Api, app) -> dict[str, Operation]:
    """Add the operations of `api` to `app` under every mount; return them by Flask endpoint name."""
    bp = Blueprint(api.name, __name__)
    for op in api.operations:
        bp.add_url_rule(op.flask_rule, endpoint=op.operation_id, view_func=_view(op),
                        methods=[op.method], strict_slashes=True)
    endpoints = {}
    for index, prefix in enumerate(api.mounts):
        name = api.name if index == 0 else f"{api.name}_{index}"
        app.register_blueprint(bp, url_prefix=prefix or None, name=name)
        endpoints.update({f"{name}.{op.operation_id}": op for op in api.operations})
    return endpoints


def _view(op: Operation) -> Callable:
    def view(**path_params):
        runtime = current_app.extensions["mockserver"]
        identity = op.auth.authenticate(request, runtime) if op.authenticated else None
        body, files = _read_body(op, runtime)
        query = _read_query(op, runtime)
        call = Call(op, identity, _read_path(op, path_params, runtime), query, body, files, runtime,
                    request.environ.get(TASK_FAILURE_KEY))
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
    return {**runtime.schemas.defaults(op.query), **values}


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
        body = (op.api.json_loads or loads)(text)
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
