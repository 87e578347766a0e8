"""The schema registry: every doc example validates, references name another file (or a part of one), titles unique."""

import json

import pytest

from mockserver import registry
from mockserver.core.schemas import SchemaRegistry

REGISTRY = registry.schemas()
"""The shipped schemas with the ones built from the registered families (mock/state, mock/tenant, ...)."""
EXAMPLES = [
    (name, i, ex) for name in REGISTRY.names() for i, ex in enumerate(REGISTRY.schema(name).get("examples", []))
]


def test_the_docs_examples_are_embedded():
    names = {name for name, _, _ in EXAMPLES}
    assert {"haidy/patient-context-create", "haidy/patient-context", "haidy/patient-files-uploaded",
            "haidy/integration-metadata", "common/fastapi-validation-error"} <= names


@pytest.mark.parametrize("name, index, example", EXAMPLES, ids=[f"{n}[{i}]" for n, i, _ in EXAMPLES])
def test_every_example_validates(name, index, example):
    errors = list(REGISTRY.validator(name).iter_errors(example))
    assert errors == []


def test_a_wrong_example_does_not_validate():
    bad = {**REGISTRY.schema("haidy/patient-context")["examples"][0], "birth_date": "1980-02-30"}
    assert not REGISTRY.validator("haidy/patient-context").is_valid(bad)


def test_cross_file_refs_resolve_for_validation_and_openapi():
    listing = REGISTRY.validator("haidy/patient-context-list")
    example = REGISTRY.schema("haidy/patient-context")["examples"][0]
    assert listing.is_valid([example]) and not listing.is_valid([{"id": "nope"}])
    components = REGISTRY.components(["haidy/patient-context-list"])
    assert components["PatientContextList"]["items"] == {"$ref": "#/components/schemas/PatientContext"}
    assert "PatientContext" in components


def test_a_part_of_another_file_is_copied_into_the_openapi_document(tmp_path):
    """Generators resolve references to whole components only: a part is copied where it is referenced, with
    the keywords written beside its `$ref` (merged, or under allOf where they disagree), and its file is a
    component only if something references all of it."""
    write(tmp_path, "a/entity", {"title": "Entity", "required": ["id"], "properties": {
        "id": {"type": "integer", "minimum": 1}, "kind": {"$ref": "kind.json"}}})
    write(tmp_path, "a/kind", {"title": "Kind", "enum": ["x", "y"]})
    write(tmp_path, "b/kept", {"title": "Kept", "properties": {
        "entity_id": {"$ref": "../a/entity.json#/properties/id"},
        "described": {"$ref": "../a/entity.json#/properties/id", "description": "its entity"},
        "stricter": {"$ref": "../a/entity.json#/properties/id", "minimum": 5},
        "kind": {"$ref": "../a/entity.json#/properties/kind"}}})
    registry = SchemaRegistry(tmp_path)
    assert registry.validator("b/kept").is_valid({"entity_id": 1})
    assert not registry.validator("b/kept").is_valid({"entity_id": 0})
    components = registry.components(["b/kept"])
    assert components["Kept"]["properties"] == {
        "entity_id": {"type": "integer", "minimum": 1},
        "described": {"type": "integer", "minimum": 1, "description": "its entity"},
        "stricter": {"allOf": [{"type": "integer", "minimum": 1}], "minimum": 5},
        "kind": {"$ref": "#/components/schemas/Kind"},  # a reference inside the part: relative to its own file
    }
    assert set(components) == {"Kept", "Kind"}


def write(tmp_path, name, schema):
    path = tmp_path / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))


@pytest.mark.parametrize(
    "schemas, message",
    [
        ({"a/x": {"title": "X"}, "a/y": {"title": "X"}}, "unique title"),
        ({"a/x": {"title": "X", "properties": {"p": {"$ref": "missing.json"}}}}, "must name another schema file"),
        (
            {"a/x": {"title": "X", "$defs": {"d": {}}, "properties": {"p": {"$ref": "#/$defs/d"}}}},
            "must name another schema file",
        ),
        (
            {
                "a/x": {"title": "X", "properties": {"p": {"$ref": "y.json#/properties/q"}}},
                "a/y": {"title": "Y", "properties": {"r": {}}},
            },
            "must name another schema file",
        ),
        (
            {"a/x": {"title": "X", "properties": {"p": {"$ref": "y.json#anchor"}}}, "a/y": {"title": "Y"}},
            "must name another",
        ),
    ],
)
def test_registry_refuses_ambiguous_schemas(tmp_path, schemas, message):
    for name, schema in schemas.items():
        write(tmp_path, name, schema)
    with pytest.raises(ValueError, match=message):
        SchemaRegistry(tmp_path)
