"""Rails' error bodies: 422 `{"errors": {"attribute": ["message", ...]}}`, anything else `{"errors": "..."}`."""

from __future__ import annotations

from mockserver.core.errors import ApiError, FieldError, RequestValidationError
from mockserver.core.schemas import SchemaRegistry
from mockserver.esteem.models import RecordInvalid

BLANK = "can't be blank"
INVALID_DATE = "must be a valid date"
PRESENT = SchemaRegistry.default().schema("esteem/patient-attributes")["properties"]["first_name"]["pattern"]
"""The schemas spell Rails' presence validation as this `pattern` (a character that is not whitespace, the
whitespace spelled out so ECMA-262 and Python read it alike): a blank string fails it."""

_MESSAGES = {
    "value_error.missing": BLANK,
    "type_error.none.not_allowed": BLANK,
    "value_error.date": INVALID_DATE,
    "value_error.datetime": "must be a valid timestamp",
    "type_error.integer": "is not a number",
    "type_error.enum": "is not included in the list",
    "value_error.list.min_items": BLANK,
}
_ALSO_WHEN_BLANK = {"date_of_birth": INVALID_DATE}
"""Rails runs every validation of an attribute: a blank birth date is not a valid date either (as documented)."""


class RailsErrors:
    media_type = "application/json"

    def render(self, error: ApiError):
        if isinstance(error, RecordInvalid):
            return {"errors": error.errors}
        if isinstance(error, RequestValidationError):
            return {"errors": rails_errors(error.errors)}
        return {"errors": error.message}


def rails_errors(errors: list[FieldError]) -> dict[str, list[str]]:
    """Schema errors as a Rails model's `errors`: keyed by attribute, messages in Rails' words."""
    out: dict[str, list[str]] = {}
    for error in errors:
        key = _attribute(error.loc)
        message = f"Request body is invalid: {error.msg}" if key == "base" else _message(error)
        out.setdefault(key, [])
        for text in (message, _ALSO_WHEN_BLANK.get(key) if message == BLANK else None):
            if text and text not in out[key]:
                out[key].append(text)
    return out


def _attribute(loc: tuple) -> str:
    """("body", "patient", "address", "zip_code") -> "address.zip_code"; the body itself is Rails' "base"."""
    source, *path = loc
    if source == "body" and len(path) > 1:
        path = path[1:]  # the params wrapper, {"patient": {...}}
    if not path or isinstance(path[0], int):
        return "base"
    return ".".join(map(str, path))


def _message(error: FieldError) -> str:
    ctx = error.ctx or {}
    if error.type == "value_error.str.regex":
        return BLANK if ctx.get("pattern") == PRESENT else "is invalid"
    if error.type == "value_error.number.not_ge":
        return f"must be greater than or equal to {ctx['limit_value']}"
    if error.type == "value_error.number.not_le":
        return f"must be less than or equal to {ctx['limit_value']}"
    if error.type == "value_error.any_str.max_length":
        return f"is too long (maximum is {ctx['limit_value']} characters)"
    return _MESSAGES.get(error.type, "is invalid")
