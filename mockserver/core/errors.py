"""Errors every layer can raise; each API family renders them in its vendor's own shape.

Domain models raise these too (as moto's models raise service exceptions): the status is part
of the contract the docs describe, and the family's renderer only decides the body's shape.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldError:
    """One invalid input field, in pydantic-v1 terms (the lingua franca of two of the three vendors).

    `loc` starts with where the value came from: "body", "query", "path" or "header".
    """

    loc: tuple
    msg: str
    type: str
    ctx: dict | None = field(default=None, compare=False)


class ApiError(Exception):
    """An error answer. `code` is the vendor's machine-readable type name where it has one."""

    status = 500
    code = "InternalServerError"

    def __init__(self, message: str, *, code: str | None = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.headers = headers or {}


class BadRequest(ApiError):
    status = 400
    code = "BadRequest"


class Unauthorized(ApiError):
    status = 401
    code = "Unauthorized"


class Forbidden(ApiError):
    status = 403
    code = "Forbidden"


class NotFound(ApiError):
    status = 404
    code = "NotFound"


class MethodNotAllowed(ApiError):
    status = 405
    code = "MethodNotAllowed"


class PayloadTooLarge(ApiError):
    status = 413
    code = "PayloadTooLarge"


class RequestValidationError(ApiError):
    """422: the request does not match its schema. Carries every failing field."""

    status = 422
    code = "RequestValidationError"

    def __init__(self, errors: list[FieldError], message: str = "Request validation failed"):
        super().__init__(message)
        self.errors = errors


@dataclass
class ContractViolation(Exception):
    """The mock answered outside its own declared contract (strict response validation): a bug."""

    operation: str
    status: int
    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.operation} answered {self.status} outside its schema: {'; '.join(self.problems)}"


class StoreUnavailable(ApiError):
    """503: the shared store (Redis) cannot be reached; nothing of the request was written."""

    status = 503
    code = "ServiceUnavailable"


def decoded_base64(text: str, name: str) -> bytes:
    """The bytes a base64 field holds; a 400 naming the field if it holds none."""
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:  # ValueError: a non-ASCII string
        raise BadRequest(f"{name} is not base64: {exc}") from None
