"""The OpenAPI 3.1 document, assembled from the operation declarations and the schema files."""

from __future__ import annotations

from mockserver import __version__
from mockserver.core.declaration import Api, Operation
from mockserver.core.schemas import SchemaRegistry

_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                403: "Forbidden", 404: "Not Found", 413: "Payload Too Large", 422: "Unprocessable Entity"}


LICENSE = {"name": "MIT", "identifier": "MIT"}
"""The project's license (pyproject.toml's); there is no contact to name."""
MOCK_SERVER = {"url": "/", "description": "This mock: where it serves this document"}
"""Relative, so it resolves against wherever the document was fetched from."""


def document(apis: list[Api], schemas: SchemaRegistry, *, title: str, description: str = "") -> dict:
    paths: dict[str, dict] = {}
    servers: dict[str, list[dict]] = {}
    security: dict[str, dict] = {}
    names: list[str] = []
    for api in apis:
        for op in api.operations:
            if op.auth:
                scheme, spec = op.auth.openapi()
                security[scheme] = spec
            paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas, names)
            own = _servers(op)
            if own and servers.setdefault(op.path, own) != own:
                raise ValueError(f"{op.path}: its operations name different servers")
    components: dict = {"schemas": schemas.components(names)}
    if security:
        components["securitySchemes"] = security
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": __version__, "description": description, "license": LICENSE},
        "servers": [MOCK_SERVER],
        "tags": [{"name": api.name, "description": api.title} for api in apis],
        "paths": {path: ({"servers": servers[path]} if path in servers else {}) | item
                  for path, item in sorted(paths.items())},
        "components": components,
    }


def _servers(op: Operation) -> list[dict]:
    """A vendor operation's path item lists this mock, then the vendor's real base URL. The mock's is relative, under
    the family's base path where it has one (Heidi's): a client of the real API is configured with the whole base
    URL, path included, and tools that read servers (Swagger UI, schemathesis) send there. An operation without a
    real URL (the admin API's) has the document's server."""
    real = op.servers or op.api.servers
    if not real:
        return []
    base = next((mount for mount in op.api.mounts if mount), "/")
    here = "This mock" + (", under the vendor's base path (it answers at the root too)" if base != "/" else "")
    return [{"url": base, "description": here}] + [{"url": url, "description": "The vendor's own API"} for url in real]


def _operation(op: Operation, schemas: SchemaRegistry, names: list[str]) -> dict:
    """One operation's entry; the schemas it references are added to `names`."""
    out: dict = {"operationId": op.operation_id, "summary": op.summary, "tags": [op.api.name]}
    if op.handler.__doc__:
        out["description"] = " ".join(op.handler.__doc__.split())
    params = [{"name": p, "in": "path", "required": True,
               "schema": schemas.ref(op.path_schemas[p]) if p in op.path_schemas else {"type": "string"}}
              for p in op.path_params]
    names += op.path_schemas.values()
    if op.query:
        query = schemas.schema(op.query)
        required = set(query.get("required", []))
        for name, raw in query.get("properties", {}).items():
            prop, referenced = schemas.inline(op.query, raw)
            names += referenced
            param = {"name": name, "in": "query", "required": name in required, "schema": prop}
            if prop.get("contentMediaType") == "application/json" and "contentSchema" in prop:
                # A JSON value carried in a query string: OpenAPI says so with `content`, not `schema`.
                del param["schema"]
                param["content"] = {"application/json": {"schema": prop["contentSchema"]}}
            if prop.get("description"):
                param["description"] = prop["description"]
            if prop.get("type") == "array":
                param.update(style="form", explode=True)
            params.append(param)
    if params:
        out["parameters"] = params
    if op.body:
        out["requestBody"] = {
            "required": True,
            "content": {op.body.media_type: {"schema": schemas.ref(op.body.schema)}},
        }
        names.append(op.body.schema)  # a Wrap's schema too, as the body's anyOf names it
    out["responses"] = {}
    for status, reply in sorted(op.responses.items()):
        response: dict = {"description": reply.description or _STATUS_TEXT.get(status, str(status))}
        content = {"schema": schemas.ref(reply.schema)} if reply.schema else {}
        names += [reply.schema] if reply.schema else []
        if status not in (204, 304):  # No Content and Not Modified have no media type to name
            response["content"] = {reply.media_type: content}
            for media_type, schema in reply.also:
                response["content"][media_type] = {"schema": schemas.ref(schema)} if schema else {}
                names += [schema] if schema else []
        if reply.headers:
            response["headers"] = {h.name: {"description": h.description, "schema": {"type": h.type}}
                                   for h in reply.headers}
        if status in op.links:
            response["links"] = op.links[status]
        out["responses"][str(status)] = response
    # every operation states its security: an empty list says "none", which generators and linters read
    out["security"] = [{op.auth.openapi()[0]: []}] if op.authenticated else []
    if op.deprecated:
        out["deprecated"] = True
    return out
