"""Yes/no validity checks compiled from JSON Schemas, for the request path.

jsonschema walks a schema keyword by keyword for every instance, building a child validator per
property: 100-250 us for a patient create, a third of its cost. Nearly every request is valid, so
the request path asks a plain-Python check compiled once from the same schema, and calls
jsonschema only to explain a failure. The check covers the keywords our request schemas use; a
schema with any other assertion keyword gets no check (None) and jsonschema does everything.
tests/core/test_quickcheck.py proves the two agree on generated instances of every request schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator

from mockserver.core.formats import FORMAT_CHECKER

Check = Callable[[Any], bool]

_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_ASSERTIONS = frozenset(Draft202012Validator.VALIDATORS)
"""Keywords that can fail an instance; every other keyword is an annotation and checks nothing."""
_FORMATS = FORMAT_CHECKER
_MAX_DEPTH = 32
"""Deeper (a recursive schema): no quick check."""


class _Unsupported(Exception):
    pass


def compile_check(schema: dict | bool, resolver) -> Check | None:
    """A function telling whether an instance is valid against `schema`, or None if the schema
    uses a keyword this module does not compile. `resolver` (a referencing Resolver) resolves the schema's `$ref`s."""
    try:
        return _compile(schema, resolver, 0)
    except _Unsupported:
        return None


def _compile(schema, resolver, depth: int) -> Check:
    if depth > _MAX_DEPTH:
        raise _Unsupported("too deep")
    if schema is True:
        return lambda v: True
    if schema is False:
        return lambda v: False
    checks: list[Check] = []
    for keyword, value in schema.items():
        if keyword not in _ASSERTIONS or keyword in ("properties", "required", "additionalProperties"):
            continue  # the last three are compiled together below
        compiler = _KEYWORDS.get(keyword)
        if compiler is None:
            raise _Unsupported(keyword)
        checks.append(compiler(value, schema, resolver, depth))
    if any(k in schema for k in ("properties", "required", "additionalProperties")):
        checks.append(_object(schema, resolver, depth))
    return _every(checks)


def _every(checks: list[Check]) -> Check:
    """True when every check is: a loop, not `all()` over a generator (a generator per call was the quick check's
    largest cost)."""
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)

    def every(v) -> bool:
        for check in checks:
            if not check(v):
                return False
        return True

    return every


def _some(checks: list[Check]) -> Check:
    """True when any check is (none: false, as `any([])`)."""
    if len(checks) == 1:
        return checks[0]

    def some(v) -> bool:
        for check in checks:
            if check(v):
                return True
        return False

    return some


def _type(value, schema, resolver, depth) -> Check:
    names = value if isinstance(value, list) else [value]
    return _some([_TYPES[name] for name in names])


def _object(schema, resolver, depth) -> Check:
    required = tuple(schema.get("required", ()))
    properties = {name: _compile(sub, resolver, depth + 1) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True else _compile(extra, resolver, depth + 1)

    def check(v) -> bool:
        if not isinstance(v, dict):
            return True
        for name in required:
            if name not in v:
                return False
        for name, item in v.items():
            test = properties.get(name, extra_check)
            if test is not None and not test(item):
                return False
        return True

    return check


def _enum(value, schema, resolver, depth) -> Check:
    if not all(item is None or isinstance(item, (str, bool, int, float)) for item in value):
        raise _Unsupported("enum of containers")
    allowed = [(type(item) is bool, item) for item in value]
    return lambda v: any((type(v) is bool) == is_bool and (v is item if is_bool else v == item)
                         for is_bool, item in allowed)


def _const(value, schema, resolver, depth) -> Check:
    return _enum([value], schema, resolver, depth)


def _format(value, schema, resolver, depth) -> Check:
    return lambda v: _FORMATS.conforms(v, value)


def _string(limit: Callable[[int], bool]) -> Callable[..., Check]:
    return lambda value, schema, resolver, depth: (lambda v: not isinstance(v, str) or limit(len(v), value))


def _pattern(value, schema, resolver, depth) -> Check:
    regex = re.compile(value)
    return lambda v: not isinstance(v, str) or regex.search(v) is not None


def _number(limit) -> Callable[..., Check]:
    return lambda value, schema, resolver, depth: (
        lambda v: not _TYPES["number"](v) or limit(v, value))


def _array(limit) -> Callable[..., Check]:
    return lambda value, schema, resolver, depth: (lambda v: not isinstance(v, list) or limit(len(v), value))


def _items(value, schema, resolver, depth) -> Check:
    item_check = _compile(value, resolver, depth + 1)
    return lambda v: not isinstance(v, list) or all(item_check(item) for item in v)


def _any_of(value, schema, resolver, depth) -> Check:
    return _some([_compile(sub, resolver, depth + 1) for sub in value])


def _all_of(value, schema, resolver, depth) -> Check:
    return _every([_compile(sub, resolver, depth + 1) for sub in value])


def _if(value, schema, resolver, depth) -> Check:
    """`if` with its `then` and `else` (absent: true), which on their own assert nothing."""
    condition = _compile(value, resolver, depth + 1)
    then = _compile(schema.get("then", True), resolver, depth + 1)
    otherwise = _compile(schema.get("else", True), resolver, depth + 1)
    return lambda v: then(v) if condition(v) else otherwise(v)


def _ref(value, schema, resolver, depth) -> Check:
    resolved = resolver.lookup(value)
    return _compile(resolved.contents, resolved.resolver, depth + 1)


_KEYWORDS: dict[str, Callable[..., Check]] = {
    "type": _type,
    "enum": _enum,
    "const": _const,
    "format": _format,
    "minLength": _string(lambda n, limit: n >= limit),
    "maxLength": _string(lambda n, limit: n <= limit),
    "pattern": _pattern,
    "minimum": _number(lambda v, limit: v >= limit),
    "maximum": _number(lambda v, limit: v <= limit),
    "exclusiveMinimum": _number(lambda v, limit: v > limit),
    "exclusiveMaximum": _number(lambda v, limit: v < limit),
    "minItems": _array(lambda n, limit: n >= limit),
    "maxItems": _array(lambda n, limit: n <= limit),
    "items": _items,
    "anyOf": _any_of,
    "allOf": _all_of,
    "if": _if,
    "$ref": _ref,
}
