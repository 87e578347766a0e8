"""Adding a family is a folder plus one line in `mockserver.registry`: a tiny family defined here, added
to the registry and nowhere else, answers, and appears in /openapi.json, in `mockserver contract
--family`, in the state export and import, and in the tenants file schema."""

from __future__ import annotations

import json

import pytest

from mockserver import Config, create_app, registry
from mockserver.core.declaration import Api, Identity
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import NotFound, Unauthorized
from mockserver.core.family import Family
from mockserver.harness import cli
from mockserver.harness.plugin import MockServer

HEADER = "X-Tiny-Token"


class TinyToken:
    """A family's own auth scheme: a token in a header of its own."""

    def authenticate(self, req, runtime) -> Identity:
        token = req.headers.get(HEADER, "").strip()
        tenant = runtime.tenants.resolve(token) if token else None
        if tenant is None:
            raise Unauthorized("Not authenticated")
        return Identity(tenant)

    def openapi(self) -> tuple[str, dict]:
        return "tinyToken", {"type": "apiKey", "in": "header", "name": HEADER}


class Counters:
    """The tiny family's domain model: named counters per tenant; a tenant's settings name the ones it has."""

    def __init__(self, counters: dict[str, int] | None = None):
        self.counters = dict(counters or {})

    def configure(self, settings: dict) -> Counters:
        for name in settings.get("counters", []):
            self.counters.setdefault(name, 0)
        return self

    def increment(self, name: str) -> int:
        if name not in self.counters:
            raise NotFound(f"No counter {name!r}")
        self.counters[name] += 1
        return self.counters[name]

    def to_state(self) -> dict:
        return {"counters": self.counters}


api = Api("tiny", title="Tiny: counters", errors=FastApiErrors(), auth=TinyToken(), prefixes=("/tiny/",),
          validation_schema="common/fastapi-validation-error", error_schema="common/fastapi-error")


@api.operation("GET", "/tiny/counters", summary="The tenant's counters", responses={200: "tiny/counters"})
def list_counters(call):
    with call.backend(Counters) as tiny:
        return {"counters": tiny.counters}


@api.operation("POST", "/tiny/counters/{name}", summary="Count one more",
               responses={200: "tiny/counters", 404: "common/fastapi-error"})
def increment(call):
    with call.backend(Counters) as tiny:
        tiny.increment(call.path["name"])
        return {"counters": tiny.counters}


def _schema(title: str, properties: dict, **extra) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, "type": "object",
            "properties": properties, "additionalProperties": False, **extra}


COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
TINY = Family(
    api=api,
    new_backend=lambda clock, settings: Counters().configure(settings),
    restore_backend=lambda clock, state: Counters(state["counters"]),
    credentials=(f"{HEADER}: {{token}}",),
    schemas={
        "tiny/counters": _schema("TinyCounters", {"counters": COUNTS}, required=["counters"]),
        "tiny/state": _schema("TinyState", {"counters": COUNTS}, required=["counters"]),
        "tiny/settings": _schema("TinySettings", {"counters": {"type": "array", "items": {"type": "string"}}},
                                 examples=[{"counters": ["visits"]}]),
    },
)


@pytest.fixture
def with_tiny(monkeypatch):
    """The one line a new family needs, made for this test only."""
    monkeypatch.setattr(registry, "FAMILIES", [*registry.FAMILIES, TINY])


def test_a_registered_family_answers_and_is_in_the_openapi_document(with_tiny):
    client = create_app(Config(validate_responses=True)).test_client()
    assert client.get("/tiny/counters", headers={HEADER: "a"}).get_json() == {"counters": {}}
    assert client.post("/_mock/tenants/a", json={"tiny": {"counters": ["visits"]}}).status_code == 200
    assert client.post("/tiny/counters/visits", headers={HEADER: "a"}).get_json() == {"counters": {"visits": 1}}
    assert client.post("/tiny/counters/other", headers={HEADER: "a"}).get_json() == {"detail": "No counter 'other'"}
    assert client.get("/tiny/counters", headers={HEADER: "b"}).get_json() == {"counters": {}}  # tenants are apart
    assert client.get("/tiny/counters").status_code == 401
    assert client.get("/_mock/health").get_json()["families"] == ["haidy", "heidi", "esteem", "tiny"]
    document = client.get("/openapi.json").get_json()
    assert {"name": "tiny", "description": "Tiny: counters"} in document["tags"]
    assert set(document["paths"]) >= {"/tiny/counters", "/tiny/counters/{name}"}
    assert document["components"]["securitySchemes"]["tinyToken"]["name"] == HEADER
    assert "TinyCounters" in document["components"]["schemas"]


def test_a_registered_family_is_in_the_state_export_and_its_state_schema_guards_the_import(with_tiny):
    client = create_app(Config(validate_responses=True)).test_client()
    client.post("/_mock/tenants/a", json={"tiny": {"counters": ["visits"]}})
    client.post("/tiny/counters/visits", headers={HEADER: "a"})
    state = client.get("/_mock/state").get_json()
    assert state["tenants"]["a"]["tiny"] == {"counters": {"visits": 1}}
    other = create_app().test_client()
    assert other.put("/_mock/state", json=state).status_code == 200
    assert other.get("/tiny/counters", headers={HEADER: "a"}).get_json() == {"counters": {"visits": 1}}
    refused = other.put("/_mock/state", json={"tenants": {"a": {"tiny": {"counters": {"visits": -1}}}}})
    assert refused.status_code == 422
    assert refused.get_json()["detail"][0]["loc"] == ["body", "tenants", "a", "tiny", "counters", "visits"]
    admin = client.get("/_mock/openapi.json").get_json()["components"]["schemas"]
    assert admin["MockState"]["properties"]["tenants"]["additionalProperties"]["properties"]["tiny"] == {
        "$ref": "#/components/schemas/TinyState"}
    assert admin["MockTenant"]["properties"]["tiny"] == {"$ref": "#/components/schemas/TinySettings"}


def test_a_registered_family_is_in_the_tenants_file_schema(with_tiny, tmp_path):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps({"tenants": {"acme": {"tokens": ["acme-token"], "tiny": {"counters": ["visits"]}}}}))
    client = create_app(Config(auth="strict", tenants_file=str(tenants), admin_tokens=["admin"])).test_client()
    admin = {"Authorization": "Bearer admin"}
    assert client.get("/tiny/counters", headers={HEADER: "acme-token"}).get_json() == {"counters": {"visits": 0}}
    assert client.get("/tiny/counters", headers={HEADER: "anyone"}).status_code == 401
    assert client.post("/_mock/tenants/acme", json={"tiny": {"counters": ["calls"]}}, headers=admin).status_code == 200
    assert client.get("/tiny/counters", headers={HEADER: "acme-token"}).get_json() == {
        "counters": {"visits": 0, "calls": 0}
    }
    assert client.post("/_mock/tenants/acme", json={"tiny": {"counters": "calls"}}, headers=admin).status_code == 422
    tenants.write_text(json.dumps({"tenants": {"acme": {"tiny": {"count": ["visits"]}}}}))
    with pytest.raises(ValueError, match="tenants.json does not match its schema: tenants -> acme -> tiny"):
        create_app(Config(auth="strict", tenants_file=str(tenants)))


def test_a_registered_family_is_a_choice_of_mockserver_contract_and_passes_it(with_tiny, tmp_path, capsys):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps({"tenants": {"acme": {"tokens": ["tiny-token"], "tiny": {"counters": ["visits"]}}}}))
    server = MockServer(create_app(Config(auth="strict", tenants_file=str(tenants), validate_responses=True)))
    try:  # no stateful phase: the tiny family declares no links to follow
        code = cli.main(["contract", "--base-url", server.url, "--family", "tiny", "--token", "tiny-token",
                         "--max-examples", "5", "--phases", "examples,coverage,fuzzing",
                         "--junit", str(tmp_path / "junit.xml")])
    finally:
        server.stop()
    assert code == 0, capsys.readouterr().out
    report = (tmp_path / "junit.xml").read_text()
    assert "GET /tiny/counters" in report and "POST /tiny/counters/{name}" in report and "/v2/" not in report
    tiny = server.journal.find(family="tiny")
    assert tiny and {e.request_headers.get(HEADER) for e in tiny if e.status == 200} == {"tiny-token"}


def test_an_unregistered_family_is_no_choice_of_mockserver_contract(capsys):
    with pytest.raises(SystemExit):
        cli.main(["contract", "--base-url", "http://127.0.0.1:9", "--family", "tiny"])
    assert "invalid choice: 'tiny'" in capsys.readouterr().err
