"""JSON Schema errors translated into pydantic-v1 field errors (loc, msg, type).

FastAPI-based vendors answer exactly these; other families translate them further (Rails-style
messages for Esteem) in their own error style.
"""

from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from mockserver.core.errors import FieldError

_TYPE_ERRORS = {
    "string": ("str type expected", "type_error.str"),
    "integer": ("value is not a valid integer", "type_error.integer"),
    "number": ("value is not a valid float", "type_error.float"),
    "boolean": ("value could not be parsed to a boolean", "type_error.bool"),
    "object": ("value is not a valid dict", "type_error.dict"),
    "array": ("value is not a valid list", "type_error.list"),
    "null": ("value is not none", "type_error.none.allowed"),
}

_FORMAT_ERRORS = {
    "date": ("invalid date format", "value_error.date"),
    "date-time": ("invalid datetime format", "value_error.datetime"),
    "email": ("value is not a valid email address", "value_error.email"),
    "uuid": ("value is not a valid uuid", "type_error.uuid"),
    "uri": ("invalid or missing URL scheme", "value_error.url.scheme"),
}


def field_errors(validator: Draft202012Validator, instance, prefix: tuple) -> list[FieldError]:
    """Every schema violation of `instance`, located under `prefix` (e.g. ("body",))."""
    out: dict[FieldError, None] = {}  # ordered set: jsonschema reports `required` once per missing name
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        out.update(dict.fromkeys(_translate(error, prefix + tuple(error.absolute_path))))
    return list(out)


def describe(errors: list[FieldError]) -> str:
    """`tenants -> t -> haidy -> files -> 0 -> id: str type expected; ...`: every error, located as
    pydantic prints it."""
    return "; ".join(f"{' -> '.join(map(str, e.loc)) or '(the whole document)'}: {e.msg}" for e in errors)


def check_document(errors: list[FieldError], what: str) -> None:
    """Raise ValueError naming every violation (`SchemaRegistry.errors`): a document read at start-up is
    refused whole, before it is used."""
    if errors:
        raise ValueError(f"{what} does not match its schema: {describe(errors)}")


def _translate(error: ValidationError, loc: tuple) -> list[FieldError]:
    kind, arg = error.validator, error.validator_value
    if kind == "required":
        present = error.instance if isinstance(error.instance, dict) else {}
        return [FieldError(loc + (name,), "field required", "value_error.missing")
                for name in arg if name not in present]
    if kind == "type":
        if error.instance is None:
            return [FieldError(loc, "none is not an allowed value", "type_error.none.not_allowed")]
        first = arg[0] if isinstance(arg, list) else arg
        msg, typ = _TYPE_ERRORS.get(first, (error.message, "type_error"))
        return [FieldError(loc, msg, typ)]
    if kind == "enum":
        permitted = ", ".join(repr(v) for v in arg)
        return [FieldError(loc, f"value is not a valid enumeration member; permitted: {permitted}",
                           "type_error.enum", {"enum_values": list(arg)})]
    if kind in ("anyOf", "oneOf") and all(isinstance(b, dict) and b and set(b) <= {"type", "enum"} for b in arg):
        # a choice of plain types and values (`true`, `false` or a mode): said as pydantic says an enum
        types = [t for b in arg if "enum" not in b for t in ([b["type"]] if isinstance(b["type"], str) else b["type"])]
        values = [v for b in arg for v in b.get("enum", [])]
        expected = [f"a {t}" for t in types] + ([f"one of {', '.join(map(repr, values))}"] if values else [])
        return [FieldError(loc, f"value is not permitted; expected {' or '.join(expected)}", "type_error.enum",
                           {"enum_values": values, "types": types})]
    if kind == "const":
        return [FieldError(loc, f"unexpected value; permitted: {arg!r}", "value_error.const",
                           {"given": error.instance, "permitted": [arg]})]
    if kind == "format":
        msg, typ = _FORMAT_ERRORS.get(arg, (f"value is not a valid {arg}", f"value_error.{arg}"))
        return [FieldError(loc, msg, typ)]
    if kind == "minLength":
        return [FieldError(loc, f"ensure this value has at least {arg} characters",
                           "value_error.any_str.min_length", {"limit_value": arg})]
    if kind == "maxLength":
        return [FieldError(loc, f"ensure this value has at most {arg} characters",
                           "value_error.any_str.max_length", {"limit_value": arg})]
    if kind == "pattern":
        # a schema may say in words what its pattern asks (`x-pattern-message`), as a pydantic validator would
        msg = error.schema.get("x-pattern-message") or f'string does not match regex "{arg}"'
        return [FieldError(loc, msg, "value_error.str.regex", {"pattern": arg})]
    if kind == "minItems":
        return [FieldError(loc, f"ensure this value has at least {arg} items",
                           "value_error.list.min_items", {"limit_value": arg})]
    if kind == "maxItems":
        return [FieldError(loc, f"ensure this value has at most {arg} items",
                           "value_error.list.max_items", {"limit_value": arg})]
    if kind == "minimum":
        return [FieldError(loc, f"ensure this value is greater than or equal to {arg}",
                           "value_error.number.not_ge", {"limit_value": arg})]
    if kind == "maximum":
        return [FieldError(loc, f"ensure this value is less than or equal to {arg}",
                           "value_error.number.not_le", {"limit_value": arg})]
    if kind == "not" and isinstance(arg, dict) and "required" in arg and set(arg) <= {"required", "properties"}:
        # "these fields may not be here" (one field excludes another): said at the field, in the schema's words
        msg = error.schema.get("x-not-message") or "field not permitted here"
        return [FieldError(loc + (name,), msg, "value_error.not_permitted") for name in arg["required"]]
    if kind in ("additionalProperties", "unevaluatedProperties"):
        extra = [k for k in error.instance if k not in error.schema.get("properties", {})]
        return [FieldError(loc + (name,), "extra fields not permitted", "value_error.extra") for name in extra]
    return [FieldError(loc, error.message, "value_error")]
