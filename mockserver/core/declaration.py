"""One declaration per endpoint: the route, its validation and its OpenAPI entry come from it.

An `Api` is one API family (haidy, heidi, esteem, the admin API). Its `operation` decorator
declares method, path, request schema, query schema, path-parameter schemas and a schema per
response status. Nothing here touches Flask: `pipeline.mount` turns the declarations into
routes, and `openapi.document` into the OpenAPI document.

Handlers receive a `Call` and return a payload, `(payload, status)`, `(payload, status,
headers)` or a ready Flask `Response`. They raise `ApiError`s; the family's error style
decides the body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from werkzeug.datastructures import FileStorage

from mockserver.core.errors import ApiError, FieldError, RequestValidationError

if TYPE_CHECKING:
    from mockserver.core.tasks import TaskFailure

JSON = "application/json"
MULTIPART = "multipart/form-data"
HTML = "text/html"
_PARAM = re.compile(r"{(\w+)}")
B = TypeVar("B")


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
class Wrap:
    """Rails' `wrap_parameters`: a JSON object body without the root `key` is read as `{key: {...}}` holding
    those of its members that are attributes of the model, i.e. the properties `schema` declares for `key`;
    a body with none of them is left as it is (and is refused for lacking `key`).

    `schema` is the wrapped form alone: the body is validated against it once wrapped, so errors are located
    as in the wrapped form. The body's own schema (`Body.schema`) documents both forms, as an `anyOf` of
    `schema` and the bare form: the schema file `schema` references under `key`, a whole file, so generators
    build a model of each form."""

    key: str
    schema: str


@dataclass(frozen=True)
class Body:
    """A request body: a schema name and its media type, and for a Rails family the wrapping of bare attributes."""

    schema: str
    media_type: str = JSON
    wrap: Wrap | None = None


@dataclass(frozen=True)
class Header:
    """A response header an operation sets, for the document (the handler returns its value)."""

    name: str
    description: str
    type: str = "string"


@dataclass(frozen=True)
class Reply:
    """A response: a JSON schema name, or another media type described in words, and the headers it carries."""

    schema: str | None = None
    media_type: str = JSON
    description: str = ""
    headers: tuple[Header, ...] = ()
    also: tuple[tuple[str, str | None], ...] = ()
    """Further media types the same answer may come in, each with its JSON schema name or None (a file whose
    format the request chooses). The handler returns such an answer as a ready `Response`."""


@dataclass
class Operation:
    api: Api
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
    find_first: Callable[[Call], None] | None = None
    """Rails' `before_action` that finds and authorises the record the path names: see `Api.find_first`."""
    servers: tuple[str, ...] = ()
    """The vendor's base URLs for this operation where they are not the family's (`Api.servers`)."""
    reads_only: bool = False
    """Its handler never changes the state, so its sessions leave the store's version as it was (declared, not
    guessed from the method: a GET may enrol a user)."""

    @property
    def path_params(self) -> list[str]:
        return _PARAM.findall(self.path)

    def schema_names(self) -> list[str]:
        names = [r.schema for r in self.responses.values() if r.schema]
        body = (self.body.schema, self.body.wrap and self.body.wrap.schema) if self.body else ()
        names += [s for s in (*body, self.query) if s]
        return names + list(self.path_schemas.values())


@dataclass
class Call:
    """What a handler gets: validated inputs (query defaults filled from its schema), the tenant, and
    access to its state."""

    operation: Operation
    identity: Identity | None
    path: dict[str, Any]
    query: dict[str, Any]
    body: Any
    files: dict[str, list[FileStorage]]
    runtime: Any
    task_failure: TaskFailure | None = None
    """A failure a fault rule injected into this request: the task it starts ends FAILED with it."""

    @property
    def tenant(self) -> str | None:
        return self.identity and self.identity.tenant

    @property
    def principal(self):
        return self.identity and self.identity.principal

    def backend(self, kind: type[B]) -> AbstractContextManager[B]:
        """This tenant's state of the operation's family, locked for a `with` block, typed as `kind`
        (the family's backend class), so a reader and an editor can follow a handler into its model."""
        return self.runtime.store.session(self.operation.api.name, self.tenant, writes=not self.operation.reads_only)

    def commons(self, kind: type[B], name: str) -> AbstractContextManager[B]:
        """This tenant's data that several families share (`core/family.py`'s `Commons`, such as the transcript
        registry), locked for a `with` block. Take it inside the family's own `backend` block, never around it."""
        return self.runtime.store.session(name, self.tenant, writes=not self.operation.reads_only)


class Api:
    """One API family: its operations, error style, auth scheme and URL prefixes."""

    def __init__(self, name: str, *, title: str, errors: ErrorStyle, auth: AuthScheme | None,
                 prefixes: tuple[str, ...], validation_schema: str | None = None,
                 error_schema: str | None = None, description: str = "",
                 mounts: tuple[str, ...] = ("",), hosts: tuple[str, ...] = (), servers: tuple[str, ...] = (),
                 json_loads: Callable[[str], Any] | None = None,
                 invalid_path: Callable[[list[FieldError]], ApiError] = RequestValidationError,
                 find_first: Callable[[Call], None] | None = None):
        self.name = name
        self.hosts = hosts
        """The vendor's real hostnames: `intercept()` sends calls to them to this fake."""
        self.servers = servers
        """The vendor's real base URLs, which the OpenAPI document lists beside this mock's for each path."""
        self.mounts = mounts
        """URL prefixes the operations answer under; the OpenAPI document lists the first."""
        self.title = title
        self.description = description
        self.errors = errors
        self.auth = auth
        self.prefixes = tuple(m + p for m in mounts for p in prefixes) + tuple(m + "/" for m in mounts if m)
        """Paths whose errors this family renders: its prefixes under every mount, and all of a non-root mount."""
        self.json_loads = json_loads
        """Parses JSON request bodies (None: strict JSON); raises ValueError (with `pos` where known) on bad input."""
        self.invalid_path = invalid_path
        """The error for path parameters their schemas refuse: FastAPI's 422 by default, a Rails family's 404."""
        self.find_first = find_first
        """Rails' order (a `before_action` that finds the record): called with the `Call` once the request is
        authenticated, its JSON body parsed (not validated) and its path parameters parsed, before the body and
        query are validated (the `Call` has neither yet); it raises the family's 404/403 for a record that is
        missing or hidden, so that answer comes before the input's 422. None (every other family): body and
        query are validated before the path parameters are parsed. An operation may declare its own."""
        self.validation_schema = validation_schema
        self.error_schema = error_schema
        self.operations: list[Operation] = []

    def operation(self, method: str, path: str, *, summary: str, body: Body | str | None = None,
                  query: str | None = None, path_schemas: dict[str, str] | None = None,
                  responses: dict[int, Reply | str],
                  links: dict[int, dict] | None = None, authenticated: bool = True,
                  errors: ErrorStyle | None = None, deprecated: bool = False, auth: AuthScheme | None = None,
                  find_first: Callable[[Call], None] | None = None, servers: tuple[str, ...] = (),
                  reads_only: bool = False):
        """Declare an endpoint. Error statuses the pipeline itself can answer are added here.

        `path_schemas` gives a schema to path parameters that are not plain strings (e.g. integer ids); the
        handler gets them parsed. `auth` replaces the family's scheme for this operation (e.g. an API key
        that obtains the token); `find_first` the family's hook (`Api.find_first`); `servers` the family's real
        base URLs (`Api.servers`), for an operation the vendor serves elsewhere; `reads_only` that the handler
        never changes the state (`Operation.reads_only`)."""
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
        if body and body.wrap and body.media_type != JSON:
            raise ValueError(f"{method} {path}: only a JSON body can wrap bare attributes")

        def register(handler: Callable) -> Callable:
            self.operations.append(Operation(
                api=self, method=method.upper(), path=path, operation_id=handler.__name__,
                summary=summary, handler=handler, body=body, query=query, path_schemas=path_schemas or {},
                responses=replies,
                links=links or {}, authenticated=scheme is not None,
                errors=errors or self.errors, deprecated=deprecated, auth=scheme,
                find_first=find_first or self.find_first, servers=servers, reads_only=reads_only,
            ))
            return handler

        return register
