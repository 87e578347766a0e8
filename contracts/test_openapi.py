"""The OpenAPI documents the mock serves are valid OpenAPI 3.1 and describe what is really routed."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

from contracts.support import open_app
from mockserver.control.coverage import METHODS
from mockserver.heidi import BASE_PATH

DOCUMENTS = ["/openapi.json", "/_mock/openapi.json"]


def operations(doc: dict):
    """(path, method, operation) of every operation: a path item's other keys (`servers`) are not operations."""
    return [(path, method, op) for path, item in doc["paths"].items()
            for method, op in item.items() if method in METHODS]


def walk(node, where=""):
    """Every object in `node` with its JSON pointer."""
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from walk(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, f"{where}/{index}")


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
    for doc_path, method, operation in operations(documents[path]):
        assert (doc_path, method) in routed, f"{method.upper()} {doc_path} is documented but not routed"
        ids.append(operation["operationId"])
    assert len(ids) == len(set(ids))


def test_path_parameters_have_the_types_the_docs_give(documents):
    """Esteem's ids are integers (esteem-patients.txt: `id integer`, `patient_id integer`; esteem-more.txt's
    assessments: `id (integer, required)`); every other path parameter is a string id."""
    doc = documents["/openapi.json"]
    types = {}
    for path, _, operation in operations(doc):
        for param in operation.get("parameters", []):
            if param["in"] == "path":
                schema = param["schema"]
                if "$ref" in schema:
                    schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
                types[(path, param["name"])] = schema["type"]
    integers = {key for key, kind in types.items() if kind == "integer"}
    assert integers == {("/v1/patients/{id}", "id"), ("/v1/patients/{patient_id}/gauges", "patient_id"),
                        ("/v1/assessments/{id}", "id")}
    assert set(types.values()) == {"integer", "string"}


@pytest.mark.parametrize("path", DOCUMENTS)
def test_every_operation_states_its_security_and_every_array_its_items(documents, path):
    """Generators and linters (openapi-python-client, Spectral) need both spelled out: `security: []` for
    an operation without credentials, `items` for every array."""
    doc = documents[path]
    assert [(p, m) for p, m, op in operations(doc) if "security" not in op] == []
    arrays_without_items = [where for where, node in walk(doc) if "array" in _types(node)
                            and "items" not in node and "prefixItems" not in node]
    assert arrays_without_items == []


def _types(node: dict) -> list:
    kind = node.get("type")
    return kind if isinstance(kind, list) else [kind]


@pytest.mark.parametrize("path", DOCUMENTS)
def test_components_are_whole_schemas_and_all_of_them_are_used(documents, path):
    """Generators resolve a reference to a whole component only, and lint tools flag a component nothing uses
    (the query schemas, inlined as parameters; the files whose parts only the state schemas copy)."""
    doc = documents[path]
    refs = {node["$ref"] for _, node in walk(doc) if isinstance(node.get("$ref"), str)}
    assert [ref for ref in refs if not re.fullmatch(r"#/components/schemas/[A-Za-z0-9]+", ref)] == []
    assert {ref.rsplit("/", 1)[1] for ref in refs} == set(doc["components"]["schemas"])
    assert [where for where, node in walk(doc) if any(value is True or value is False for value in
                                                      node.get("properties", {}).values())] == []


@pytest.mark.parametrize("path", DOCUMENTS)
def test_the_license_is_the_projects_and_the_document_names_its_server(documents, path):
    doc = documents[path]
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert doc["info"]["license"]["identifier"] == project["license"]["text"]
    assert "contact" not in doc["info"]  # the project names none
    assert doc["servers"] == [{"url": "/", "description": "This mock: where it serves this document"}]


def test_each_vendor_path_names_this_mock_and_the_vendors_base_url(documents):
    """The mock first (Heidi's under its base path, where clients of the real API send), then the real API."""
    urls = {path: [server["url"] for server in item["servers"]]
            for path, item in documents["/openapi.json"]["paths"].items()}
    heidi = [BASE_PATH, f"https://registrar.api.heidihealth.com{BASE_PATH}"]
    assert urls["/jwt"] == urls["/sessions/{session_id}"] == heidi
    assert urls["/v2/patient-contexts/"] == urls["/v2/tasks"] == ["/", "https://api.44ai.ch"]
    assert urls["/integration"] == ["/", "https://haidy.ch"]
    assert urls["/v1/patients"] == ["/", "https://api.esteem.health"]
    assert not any("servers" in item for item in documents["/_mock/openapi.json"]["paths"].values())


def test_timestamps_are_typed_and_uploads_are_binary(documents):
    """Every *_at, created, updated and timestamp string of the vendor schemas is a date-time (Heidi's, which have
    no offset, a `date-time-local`); the upload's file parts are binary, so generated clients send files."""
    doc = documents["/openapi.json"]
    stamps = {f"{where}/properties/{name}": prop for where, node in walk(doc["components"])
              for name, prop in node.get("properties", {}).items()
              if name.endswith("_at") or name in ("created", "updated", "timestamp", "last_modified")}
    assert len(stamps) > 10
    assert [where for where, prop in stamps.items() if "string" in _types(prop)
            and prop.get("format") not in ("date-time", "date-time-local")] == []
    upload = doc["components"]["schemas"]["PatientFilesUpload"]["properties"]["files"]["items"]
    assert upload["contentMediaType"] == "application/octet-stream" and upload["format"] == "binary"
