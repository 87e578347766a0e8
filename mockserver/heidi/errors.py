"""Heidi's error body, `{"detail": {"msg": ..., "type": ...}}`, for every error a Heidi route answers (and the
plain `{"detail": "..."}` its upload endpoints document)."""

from __future__ import annotations

from mockserver.core.error_styles import field_json
from mockserver.core.errors import ApiError, BadRequest, RequestValidationError
from mockserver.core.validation import describe


class PlainDetail(BadRequest):
    """An error whose detail is its message alone, as the upload endpoints document it:
    `{"detail": "only audio file is allowed"}`."""


class HeidiErrors:
    """`type` is the error's code (Heidi names its exception class). A 422 keeps that shape: `msg` names
    every invalid field, and `errors` lists them as FastAPI would, for clients that want them one by one."""

    media_type = "application/json"

    def render(self, error: ApiError) -> dict:
        if isinstance(error, RequestValidationError):
            msg = describe(error.errors)
            return {"detail": {"msg": msg, "type": error.code, "errors": [field_json(e) for e in error.errors]}}
        if isinstance(error, PlainDetail):
            return {"detail": error.message}
        return {"detail": {"msg": error.message, "type": error.code}}
