"""Error styles shared by more than one family."""

from __future__ import annotations

import html

from mockserver.core.errors import ApiError, RequestValidationError


class FastApiErrors:
    """FastAPI's bodies: 422 `{"detail": [{loc, msg, type}]}`, anything else `{"detail": "..."}`.

    `validation_status` serves endpoints documented to answer 400 for invalid input.
    """

    media_type = "application/json"

    def __init__(self, validation_status: int = 422):
        self.validation_status = validation_status

    def status_of(self, error: ApiError) -> int:
        return self.validation_status if type(error) is RequestValidationError else error.status

    def render(self, error: ApiError):
        if isinstance(error, RequestValidationError):
            return {"detail": [field_json(e) for e in error.errors]}
        return {"detail": error.message}


def field_json(e) -> dict:
    """A `FieldError` as FastAPI writes it: loc, msg, type and ctx where there is one."""
    out = {"loc": list(e.loc), "msg": e.msg, "type": e.type}
    if e.ctx:
        out["ctx"] = e.ctx
    return out


class HtmlErrors:
    """A small HTML error page, for routes a browser opens rather than a client calls."""

    media_type = "text/html"

    def render(self, error: ApiError) -> str:
        if isinstance(error, RequestValidationError):
            items = "".join(
                f"<li><code>{html.escape(str(e.loc[-1]))}</code>: {html.escape(e.msg)}</li>" for e in error.errors
            )
            detail = f"<ul>{items}</ul>"
        else:
            detail = f"<p>{html.escape(error.message)}</p>"
        return (
            "<!doctype html><html lang=en><meta charset=utf-8>"
            f"<title>{error.status} {html.escape(error.code)}</title>"
            f"<body><main><h1>{error.status}</h1>{detail}</main></body></html>"
        )
