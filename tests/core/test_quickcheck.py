"""The quick checks compiled from the schemas say exactly what jsonschema says.

A quick check that accepted what jsonschema rejects would let bad input into the models, so every
schema that has one is checked against its validator on instances built from its examples and its
own vocabulary (property names, enum values, formats' near misses), mutated at random depths.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.core.quickcheck import compile_check
from mockserver.core.schemas import SchemaRegistry

REGISTRY = SchemaRegistry.default()
CHECKED = [name for name in REGISTRY.names() if compile_check(REGISTRY.schema(name), REGISTRY.resolver(name))]
"""Every schema with a quick check: `SchemaRegistry.errors` answers by it for requests, strict responses
and files read at start-up."""


def _vocabulary(schema, names: set, values: list) -> None:
    if isinstance(schema, dict):
        names.update(schema.get("properties", {}))
        names.update(schema.get("required", []))
        values.extend(schema.get("enum", []))
        values.extend(schema.get("examples", []))
        if "const" in schema:
            values.append(schema["const"])
        for value in schema.values():
            _vocabulary(value, names, values)
    elif isinstance(schema, list):
        for item in schema:
            _vocabulary(item, names, values)


NAMES: set = {"unknown_field"}
VALUES: list = ["", "x", "1980-01-02", "1980-02-30", "2026-11-22T10:00:00Z", "yesterday", "a@b.ch", "not-an-email",
                "https://example.com/a.pdf", "3f1c1a9e-8a5b-4d7e-9b2a-1c2d3e4f5a6b", 0, -1, 1, 1.0, 1.5, 10**6, True,
                False, None, [], {}]
for _name in REGISTRY.names():
    _vocabulary(REGISTRY.schema(_name), NAMES, VALUES)
NAMES_SORTED = sorted(NAMES)

scalars = st.one_of(st.sampled_from(VALUES), st.text(max_size=5), st.integers(-3, 300), st.floats(-5, 5),
                    st.booleans(), st.none())
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                     st.dictionaries(st.sampled_from(NAMES_SORTED), inner, max_size=4)),
    max_leaves=8).map(lambda value: _copy(value))  # a copy: mutations must not touch VALUES' examples


@st.composite
def mutated(draw, base):
    """`base` with a few values replaced, keys dropped or added, anywhere in its tree."""
    instance = _copy(base)
    for _ in range(draw(st.integers(0, 3))):
        containers = [c for c in _containers(instance) if c]
        if not containers:
            return draw(json_values) if draw(st.booleans()) else instance
        target = draw(st.sampled_from(containers))
        if isinstance(target, list):
            target[draw(st.integers(0, len(target) - 1))] = draw(json_values)
        elif draw(st.booleans()):
            target[draw(st.sampled_from(sorted(target)))] = draw(json_values)
        elif draw(st.booleans()):
            del target[draw(st.sampled_from(sorted(target)))]
        else:
            target[draw(st.sampled_from(NAMES_SORTED))] = draw(json_values)
    return instance


def _copy(value):
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _containers(value):
    if isinstance(value, (dict, list)):
        yield value
        for child in (value.values() if isinstance(value, dict) else value):
            yield from _containers(child)


@pytest.mark.parametrize("name", CHECKED)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_quick_check_agrees_with_jsonschema(name, data):
    schema = REGISTRY.schema(name)
    bases = schema.get("examples", []) + [{}]
    instance = data.draw(mutated(data.draw(st.sampled_from(bases))) | json_values)
    assert REGISTRY.is_valid(instance, name) == REGISTRY.validator(name).is_valid(instance), instance
    assert (REGISTRY.errors(name, instance) == []) == REGISTRY.is_valid(instance, name)


def test_request_schemas_have_quick_checks_and_the_rest_fall_back():
    assert "haidy/patient-context-create" in CHECKED and "esteem/patient-create" in CHECKED
    assert "heidi/session-create" in CHECKED and "esteem/gauge-create" in CHECKED  # if/then: a scale per type
    assert "haidy/structure-request" not in CHECKED  # a keyword the quick checks lack: the validator answers
    invalid = {"holistic_patient": 5}
    assert REGISTRY.is_valid(invalid, "haidy/structure-request") is REGISTRY.validator(
        "haidy/structure-request").is_valid(invalid)


@pytest.mark.parametrize("keyword, schema, good, bad", [
    ("type integer", {"type": "integer"}, 1.0, True),
    ("enum bool vs int", {"enum": [1, None]}, 1.0, True),
    ("const", {"const": False}, False, 0),
    ("format", {"type": "string", "format": "date"}, "2020-02-29", "2021-02-29"),
    ("pattern", {"pattern": "^a"}, 5, "ba"),
    ("additionalProperties", {"properties": {"a": {}}, "additionalProperties": False}, {"a": 1}, {"b": 1}),
    ("items", {"items": {"type": "string"}, "maxItems": 2}, ["a"], ["a", "b", "c"]),
    ("anyOf", {"anyOf": [{"type": "string"}, {"minimum": 3}]}, 4, 2),
])
def test_keyword_edge_cases(keyword, schema, good, bad):
    check = compile_check(schema, REGISTRY.resolver("haidy/error"))
    assert check(good) is True and check(bad) is False
