"""The request pipeline: declared operations mounted as Flask routes, each request through

    auth (family scheme -> tenant) -> parse + validate body, query (defaults filled), path
    -> handler(Call) -> (strict) response check -> JSON

or, for an operation with a `find_first` hook (Rails' `before_action` that finds the record, `Api.find_first`):

    auth -> parse the JSON body -> path -> find_first(Call) -> validate body, query -> handler(Call) -> ...

A body declared with `Wrap` (Rails' `wrap_parameters`) has its bare attributes wrapped before it is validated.

A fault rule's injected task failure reaches the `Call` through the WSGI environ (`FAULT_KEY`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, current_app, request
from werkzeug.datastructures import FileStorage
from werkzeug.routing import BaseConverter

from mockserver.core import streams
from mockserver.core.declaration import JSON, MULTIPART, Api, Call, Operation, Wrap
from mockserver.core.errors import ContractViolation, FieldError, RequestValidationError
from mockserver.core.json_codec import dumps, loads
from mockserver.core.wsgi import Answer

_INTEGER = re.compile(r"[+-]?[0-9]+")
TASK_FAILURE_KEY = "mockserver.task_failure"
"""Where the traffic hooks leave a task failure a fault rule asked for, for the pipeline to put on the `Call`."""


def mount(api: Api, app) -> dict[str, Operation]:
    """Add the operations of `api` to `app` under every mount; return them by Flask endpoint name.

    A literal segment wins over a parameter beside it (`/sessions/linked-user` over `/sessions/{session_id}`)
    for every method: the parameter never matches the literal, so a 405's and an OPTIONS' `Allow` name only
    the methods of the operation the path is."""
    app.url_map.converters.setdefault(_NotLiteral.NAME, _NotLiteral)
    bp = Blueprint(api.name, __name__)
    for op in api.operations:
        bp.add_url_rule(_flask_rule(op, api.operations), endpoint=op.operation_id, view_func=_view(op),
                        methods=[op.method], strict_slashes=True)
    endpoints = {}
    for index, prefix in enumerate(api.mounts):
        name = api.name if index == 0 else f"{api.name}_{index}"
        app.register_blueprint(bp, url_prefix=prefix or None, name=name)
        endpoints.update({f"{name}.{op.operation_id}": op for op in api.operations})
    return endpoints


_WHOLE_PARAM = re.compile(r"{(\w+)}")


class _NotLiteral(BaseConverter):
    """One path segment, except the given literals: those belong to a sibling route of their own."""

    NAME = "not_literal"
    part_isolating = True

    def __init__(self, map, *literals: str):
        super().__init__(map)
        self.regex = "(?!(?:" + "|".join(re.escape(literal) for literal in literals) + ")$)[^/]+"


def _flask_rule(op: Operation, operations) -> str:
    """The Flask rule of `op`: a parameter segment refuses the literals that sibling paths have in its place."""
    segments = op.path.split("/")
    shape = [_shape(segment) for segment in segments]
    others = [other.path.split("/") for other in operations]
    rule = []
    for i, segment in enumerate(segments):
        param = _WHOLE_PARAM.fullmatch(segment)
        literals = sorted({other[i] for other in others if len(other) > i and "{" not in other[i]
                           and [_shape(s) for s in other[:i]] == shape[:i]}) if param else []
        if literals and all(_SAFE_LITERAL.fullmatch(literal) for literal in literals):
            arguments = ", ".join(f'"{literal}"' for literal in literals)
            rule.append(f"<{_NotLiteral.NAME}({arguments}):{param.group(1)}>")
        else:
            rule.append(_WHOLE_PARAM.sub(r"<\1>", segment))
    return "/".join(rule)


_SAFE_LITERAL = re.compile(r"[\w.~-]+")


def _shape(segment: str) -> str:
    return _WHOLE_PARAM.sub("{}", segment)


def _view(op: Operation) -> Callable:
    def view(**path_params):
        req = request._get_current_object()  # one lookup through the proxy, not one per attribute
        runtime = current_app.extensions["mockserver"]
        identity = op.auth.authenticate(req, runtime) if op.authenticated else None
        task_failure = req.environ.get(TASK_FAILURE_KEY)
        if op.find_first is None:
            body, files = _read_body(op, req, runtime)
            query = _read_query(op, req, runtime)
            call = Call(op, identity, _read_path(op, path_params, runtime), query, body, files, runtime, task_failure)
        else:
            parsed = _parse_early(op, req)
            call = Call(op, identity, _read_path(op, path_params, runtime), {}, None, {}, runtime, task_failure)
            op.find_first(call)
            call.body, call.files = _read_body(op, req, runtime, parsed)
            call.query = _read_query(op, req, runtime)
        return _respond(op, op.handler(call), runtime, req)

    view.__name__ = op.operation_id
    view.__doc__ = op.handler.__doc__
    return view


def _read_query(op: Operation, req, runtime) -> dict[str, Any]:
    if not op.query:
        return {}
    schema = runtime.schemas.schema(op.query)
    values, errors = {}, []
    args = req.args
    for name, prop in schema.get("properties", {}).items():
        if name not in args:
            continue
        raw = args.getlist(name) if prop.get("type") == "array" else args[name]
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
    bad id is still the body's error) unless the operation finds its record first (`find_first`: then
    before); one its schema refuses answers the family's `invalid_path`."""
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


_UNREAD = object()
"""No body parsed yet (None is JSON's null)."""


def _read_body(op: Operation, req, runtime, parsed: Any = _UNREAD) -> tuple[Any, dict[str, list[FileStorage]]]:
    """The validated body (`parsed`: the JSON `_parse_early` read already); a `Wrap` body wrapped first."""
    if op.body is None:
        return None, {}
    if op.body.media_type == MULTIPART:
        return _read_multipart(op, req, runtime)
    body = _parse_json(op, req) if parsed is _UNREAD else parsed
    schema = op.body.schema
    if op.body.wrap:
        body, schema = _wrap(body, op.body.wrap, runtime), op.body.wrap.schema
    errors = runtime.schemas.errors(schema, body, ("body",))
    if errors:
        raise RequestValidationError(errors)
    return body, {}


def _parse_early(op: Operation, req) -> Any:
    """Before a `find_first` hook, as Rails parses a JSON body before any action: a JSON body that cannot be
    read is refused now (and one too large, 413); a missing body or one of another type is `_UNREAD`, refused
    with the rest of the input after the hook."""
    if op.body is None or op.body.media_type != JSON or not req.get_data() or not _is_json(req.mimetype):
        return _UNREAD
    return _parse_json(op, req)


def _is_json(mimetype: str) -> bool:
    return not mimetype or mimetype == JSON or mimetype.endswith("+json")


def _wrap(body: Any, wrap: Wrap, runtime) -> Any:
    """Rails' `wrap_parameters`: an object without `wrap.key` but with attributes of the model is read as
    `{key: {those attributes}}`; anything else is left as it is."""
    if not isinstance(body, dict) or wrap.key in body:
        return body
    names = _wrapped_attributes(wrap, runtime.schemas)
    attributes = {name: value for name, value in body.items() if name in names}
    return {wrap.key: attributes} if attributes else body


def _wrapped_attributes(wrap: Wrap, schemas) -> set[str]:
    """The properties the wrapped schema declares under its key, following `$ref` and `allOf`."""
    node = schemas.schema(wrap.schema).get("properties", {}).get(wrap.key, {})
    return _properties(node, schemas.resolver(wrap.schema))


def _properties(node, resolver, depth: int = 0) -> set[str]:
    if not isinstance(node, dict) or depth > 16:
        return set()
    names = set(node.get("properties", {}))
    if "$ref" in node:
        resolved = resolver.lookup(node["$ref"])
        names |= _properties(resolved.contents, resolved.resolver, depth + 1)
    for part in node.get("allOf", ()):
        names |= _properties(part, resolver, depth + 1)
    return names


def _parse_json(op: Operation, req) -> Any:
    """The JSON body as sent, or a `RequestValidationError` saying why it cannot be read."""
    raw = req.get_data()
    if not raw:
        raise RequestValidationError([FieldError(("body",), "field required", "value_error.missing")])
    mimetype = req.mimetype
    if not _is_json(mimetype):
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
    return body


def _read_multipart(op: Operation, req, runtime) -> tuple[dict[str, Any], dict[str, list[FileStorage]]]:
    """The form's text fields the schema declares (validated by it, each typed by its property as a query
    parameter is), and its file parts. A file property (`format: binary`) takes file parts only; a text field
    sent as a file, or a file sent as text, is missing."""
    schema = runtime.schemas.schema(op.body.schema)
    multipart = req.mimetype == MULTIPART
    files: dict[str, list[FileStorage]] = {name: req.files.getlist(name) for name in req.files} if multipart else {}
    form, seen, errors = {}, {}, []
    for name, prop in schema.get("properties", {}).items():
        if _is_file(prop):
            if files.get(name):
                seen[name] = [part.filename or name for part in files[name]] if prop.get("type") == "array" \
                    else files[name][0].filename or name
        elif multipart and name in req.form:
            try:
                form[name] = seen[name] = _coerce(req.form[name], prop)
            except ValueError as exc:
                errors.append(FieldError(("body", name), str(exc), f"type_error.{prop.get('type')}"))
    errors += [FieldError(("body", name), "field required", "value_error.missing")
               for name in schema.get("required", []) if name not in seen and all(e.loc[-1] != name for e in errors)]
    if not errors:
        errors = runtime.schemas.errors(op.body.schema, seen, ("body",))
    if errors:
        raise RequestValidationError(errors)
    return form, files


def _is_file(prop: dict) -> bool:
    """A file part: `format: binary` (3.0's spelling, which every schema here also carries), or an array of them."""
    return prop.get("format") == "binary" or prop.get("items", {}).get("format") == "binary"


def _respond(op: Operation, result, runtime, req) -> Response:
    if isinstance(result, Response):
        return result
    if isinstance(result, streams.Stream):
        if runtime.config.validate_responses:  # a stream's schema is the array of its pieces
            check_response(op, 200, list(result.pieces), runtime.schemas, media_type=streams.NDJSON)
        return streams.answer(result, req.headers.get("Accept", ""), runtime.config.stream_piece_ms / 1000,
                              req.environ.get(streams.CUT_KEY))
    status, headers = 200, {}
    if isinstance(result, tuple):
        result, status, *rest = result
        headers = rest[0] if rest else {}
    if runtime.config.validate_responses:
        check_response(op, status, result, runtime.schemas)
    return Answer(dumps(result), status, headers or None, content_type=JSON)


def check_response(op: Operation, status: int, payload, schemas, media_type: str = JSON) -> None:
    """Strict mode: a response outside the declared contract is a bug in the mock. `media_type`: the form the
    answer takes, whose schema is the reply's own or one of its `also`."""
    reply = op.responses.get(status)
    if reply is None:
        raise ContractViolation(op.operation_id, status, [f"status {status} is not declared"])
    if media_type in (JSON, reply.media_type):  # a handler's payload, or what the reply is declared as
        schema = reply.schema
    elif media_type in dict(reply.also):
        schema = dict(reply.also)[media_type]
    else:
        raise ContractViolation(op.operation_id, status, [f"{media_type} is not declared for status {status}"])
    if schema:
        problems = [f"{'/'.join(map(str, e.loc))}: {e.msg}"
                    for e in schemas.errors(schema, payload)]
        if problems:
            raise ContractViolation(op.operation_id, status, problems)
