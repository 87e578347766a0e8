"""The OpenAPI documents the mock serves are valid OpenAPI 3.1 and describe what is really routed."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from contracts.support import open_app

DOCUMENTS = ["/openapi.json", "/_mock/openapi.json"]


@pytest.fixture(scope="module")
def app():
    return open_app()


@pytest.fixture(scope="module")
def documents(app) -> dict[str, dict]:
    client = app.test_client()
    out = {}
    for path in DOCUMENTS:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.mimetype == "application/json", path
        out[path] = resp.get_json()
    return out


@pytest.mark.parametrize("path", DOCUMENTS)
def test_document_is_valid_openapi_3_1(documents, path):
    doc = documents[path]
    assert doc["openapi"].startswith("3.1.")
    validate(doc, cls=OpenAPIV31SpecValidator)  # raises OpenAPIValidationError on any defect


def test_vendor_and_admin_documents_are_disjoint(documents):
    """The admin API is kept out of the vendor document and lives in its own (DESIGN.md section 5)."""
    vendor, admin = set(documents["/openapi.json"]["paths"]), set(documents["/_mock/openapi.json"]["paths"])
    assert vendor and admin
    assert not any(p.startswith("/_mock/") for p in vendor)
    assert all(p.startswith("/_mock/") for p in admin)


def test_documented_haidy_operations_are_present(documents):
    """Every endpoint of haidy-patient-contexts.txt is in the vendor document, with its documented statuses."""
    paths = documents["/openapi.json"]["paths"]
    create = paths["/v2/patient-contexts/"]["post"]
    assert {"200", "400", "401", "422"} <= set(create["responses"])
    assert set(create["responses"]["200"]["links"]) == {"GetPatientContext", "UploadPatientFiles"}
    upload = paths["/v2/patient-files/upload/{patient_context_id}"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"200", "401", "404"} <= set(upload["responses"])
    assert paths["/integration"]["get"]["security"] == []  # a browser opens it: no credentials


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_documented_operation_is_routed(app, documents, path):
    """Each (path, method) in a document is a real Flask route, and operationIds are unique."""
    routed: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        # a converter may take arguments: <not_literal("linked-user"):session_id>
        template = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        routed |= {(template, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    ids = []
    for doc_path, item in documents[path]["paths"].items():
        for method, operation in item.items():
            assert (doc_path, method) in routed, f"{method.upper()} {doc_path} is documented but not routed"
            ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_path_parameters_have_the_types_the_docs_give(documents):
    """Esteem's ids are integers (esteem-patients.txt: `id integer`, `patient_id integer`); every other
    path parameter is a string id."""
    doc = documents["/openapi.json"]
    types = {}
    for path, item in doc["paths"].items():
        for operation in item.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path":
                    schema = param["schema"]
                    if "$ref" in schema:
                        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
                    types[(path, param["name"])] = schema["type"]
    integers = {key for key, kind in types.items() if kind == "integer"}
    assert integers == {("/v1/patients/{id}", "id"), ("/v1/patients/{patient_id}/gauges", "patient_id")}
    assert set(types.values()) == {"integer", "string"}


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_operation_states_its_security_and_every_array_its_items(documents, path):
    """Generators and linters (openapi-python-client, Spectral) need both spelled out: `security: []` for
    an operation without credentials, `items` for every array."""
    doc = documents[path]
    assert [(p, m) for p, item in doc["paths"].items() for m, op in item.items() if "security" not in op] == []
    arrays_without_items = []

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "array" and "items" not in node and "prefixItems" not in node:
                arrays_without_items.append(where)
            for key, value in node.items():
                walk(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}/{index}")

    walk(doc, "")
    assert arrays_without_items == []
