"""The pipeline's declared Rails behaviours, on a tiny family defined here: `find_first` (a `before_action` that
finds the record before the params are validated) and `Wrap` (`wrap_parameters`).

Without the hook an operation keeps the order every family has: auth, body, query, path, handler. With it:
auth, the JSON body parsed, path, the hook, body and query validated, handler.
"""

from __future__ import annotations

import pytest

from mockserver import Config, create_app, registry
from mockserver.core.declaration import Api, Body, Call, Identity, Wrap
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import Forbidden, NotFound, Unauthorized
from mockserver.core.family import Family

HEADER = "X-Shelf-Token"
SEEN: list[tuple] = []
"""What the hook was called with, for the tests to read."""


class ShelfToken:
    def authenticate(self, req, runtime) -> Identity:
        token = req.headers.get(HEADER, "").strip()
        if not token:
            raise Unauthorized("Not authenticated")
        return Identity(runtime.tenants.resolve(token), principal=token)

    def openapi(self) -> tuple[str, dict]:
        return "shelfToken", {"type": "apiKey", "in": "header", "name": HEADER}


class Shelf:
    def __init__(self, items: dict[int, dict] | None = None):
        self.items = dict(items or {1: {"name": "kept", "owner": "me"}})

    def find(self, item_id: int, who: str) -> dict:
        item = self.items.get(item_id)
        if item is None:
            raise NotFound("No such item")
        if item["owner"] != who:
            raise Forbidden("Not yours")
        return item

    def to_state(self) -> dict:
        return {"items": {str(k): v for k, v in self.items.items()}}


def find_item(call: Call) -> None:
    SEEN.append((dict(call.path), call.principal, call.body, dict(call.query)))
    with call.backend(Shelf) as shelf:
        shelf.find(call.path["item_id"], call.principal)


api = Api("shelf", title="Shelf: items", errors=FastApiErrors(), auth=ShelfToken(), prefixes=("/shelf/",),
          validation_schema="common/fastapi-validation-error", error_schema="common/fastapi-error")
COMMON = {"path_schemas": {"item_id": "shelf/item-id"}, "query": "shelf/query",
          "responses": {200: "shelf/item", 403: "common/fastapi-error", 404: "common/fastapi-error"}}


@api.operation("PUT", "/shelf/items/{item_id}", summary="Rename, the record found first", find_first=find_item,
               body=Body("shelf/rename", wrap=Wrap("item", "shelf/rename-wrapped")), **COMMON)
def rename_found_first(call):
    with call.backend(Shelf) as shelf:
        item = shelf.find(call.path["item_id"], call.principal)
        item["name"] = call.body["item"]["name"]
        return {"received": call.body, "query": call.query, **item}


@api.operation("PUT", "/shelf/plain/{item_id}", summary="Rename, in the usual order", body="shelf/rename-wrapped",
               **COMMON)
def rename_plain(call):
    with call.backend(Shelf) as shelf:
        item = shelf.find(call.path["item_id"], call.principal)
        item["name"] = call.body["item"]["name"]
        return {"received": call.body, "query": call.query, **item}


def _schema(title: str, **body) -> dict:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}


NAME = {"type": "string", "minLength": 1}
SHELF = Family(
    api=api,
    new_backend=lambda clock, settings: Shelf(),
    restore_backend=lambda clock, state: Shelf({int(k): v for k, v in state["items"].items()}),
    credentials=(f"{HEADER}: {{token}}",),
    schemas={
        "shelf/item-id": _schema("ShelfItemId", type="integer", minimum=1),
        "shelf/query": _schema("ShelfQuery", type="object", properties={"limit": {"type": "integer", "minimum": 1}}),
        "shelf/item": _schema("ShelfItem", type="object", required=["name"]),
        "shelf/rename-wrapped": _schema("ShelfRenameWrapped", type="object", required=["item"], properties={
            "item": {"type": "object", "required": ["name"], "properties": {"name": NAME, "colour": {"type": "string"}},
                     "allOf": [{"properties": {"size": {"type": "integer"}}}]}}),
        "shelf/rename": _schema("ShelfRename", anyOf=[
            {"$ref": "rename-wrapped.json"},
            {"$ref": "rename-wrapped.json#/properties/item", "properties": {"item": False}}]),
        "shelf/state": _schema("ShelfState", type="object"),
        "shelf/settings": _schema("ShelfSettings", type="object"),
    },
)


@pytest.fixture
def client(monkeypatch):
    monkeypatch.setattr(registry, "FAMILIES", [*registry.FAMILIES, SHELF])
    SEEN.clear()
    return create_app(Config(validate_responses=True)).test_client()


ME = {HEADER: "me"}


def put(client, url, body=None, headers=ME, **kwargs):
    return client.put(url, json=body, headers=headers, **kwargs) if body is not None else client.put(
        url, headers=headers, **kwargs)


def test_the_hook_answers_before_the_body_and_query_are_validated(client):
    bad = {"item": {"name": ""}}
    resp = put(client, "/shelf/items/9?limit=0", bad)
    assert (resp.status_code, resp.get_json()) == (404, {"detail": "No such item"})
    assert SEEN == [({"item_id": 9}, "me", None, {})]  # path parsed and typed; body and query not yet read
    resp = put(client, "/shelf/items/1?limit=0", bad, headers={HEADER: "you"})
    assert (resp.status_code, resp.get_json()) == (403, {"detail": "Not yours"})


def test_without_the_hook_the_order_is_unchanged(client):
    for url, body, loc in [("/shelf/plain/0?limit=0", {"item": {"name": ""}}, ["body", "item", "name"]),
                           ("/shelf/plain/0?limit=0", {"item": {"name": "x"}}, ["query", "limit"]),
                           ("/shelf/plain/0", {"item": {"name": "x"}}, ["path", "item_id"])]:
        resp = put(client, url, body)
        assert resp.status_code == 422 and [e["loc"] for e in resp.get_json()["detail"]] == [loc]
    assert put(client, "/shelf/plain/9", {"name": "x"}).status_code == 422  # no wrapping declared
    assert put(client, "/shelf/plain/9", {"item": {"name": "x"}}).status_code == 404
    assert SEEN == []


def test_a_record_found_gets_its_input_validated_as_before(client):
    for body, loc in [({"item": {"name": ""}}, ["body", "item", "name"]),
                      ({"item": {"name": "x"}}, ["query", "limit"])]:
        resp = put(client, "/shelf/items/1?limit=0", body)
        assert resp.status_code == 422 and [e["loc"] for e in resp.get_json()["detail"]] == [loc]
    resp = put(client, "/shelf/items/1?limit=2", {"item": {"name": "new"}})
    assert resp.status_code == 200 and resp.get_json()["name"] == "new" and resp.get_json()["query"] == {"limit": 2}


def test_auth_then_unreadable_json_then_the_path_come_before_the_hook(client):
    assert put(client, "/shelf/items/9", {"item": {}}, headers={}).status_code == 401
    resp = client.put("/shelf/items/9", data=b'{"item": ', headers={**ME, "Content-Type": "application/json"})
    assert resp.status_code == 422 and resp.get_json()["detail"][0]["type"] == "value_error.jsondecode"
    resp = put(client, "/shelf/items/0", {"item": {}})
    assert resp.status_code == 422 and resp.get_json()["detail"][0]["loc"] == ["path", "item_id"]
    assert SEEN == []


def test_a_missing_body_is_judged_after_the_hook(client):
    assert put(client, "/shelf/items/9").status_code == 404
    resp = put(client, "/shelf/items/1")
    assert resp.status_code == 422 and resp.get_json()["detail"][0]["loc"] == ["body"]


@pytest.mark.parametrize("body, received", [
    ({"name": "new"}, {"item": {"name": "new"}}),
    ({"name": "new", "colour": "red", "size": 2, "other": 1}, {"item": {"name": "new", "colour": "red", "size": 2}}),
    ({"item": {"name": "new"}, "name": "ignored"}, {"item": {"name": "new"}, "name": "ignored"}),
])
def test_bare_attributes_are_wrapped_under_the_key(client, body, received):
    resp = put(client, "/shelf/items/1", body)
    assert resp.status_code == 200 and resp.get_json()["received"] == received


@pytest.mark.parametrize("body, loc", [({"other": 1}, ["body", "item"]), ({}, ["body", "item"]),
                                       ({"name": ""}, ["body", "item", "name"]),
                                       ({"name": "x", "item": None}, ["body", "item"])])
def test_what_is_not_wrapped_is_refused_as_the_wrapped_form_would_be(client, body, loc):
    resp = put(client, "/shelf/items/1", body)
    assert resp.status_code == 422 and resp.get_json()["detail"][0]["loc"] == loc


def test_the_document_shows_the_declared_body_and_both_forms(client):
    doc = client.get("/openapi.json").get_json()
    operation = doc["paths"]["/shelf/items/{item_id}"]["put"]
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ShelfRename"}
    wrapped = doc["components"]["schemas"]["ShelfRenameWrapped"]
    assert doc["components"]["schemas"]["ShelfRename"]["anyOf"] == [
        {"$ref": "#/components/schemas/ShelfRenameWrapped"},
        {"allOf": [wrapped["properties"]["item"]], "properties": {"item": False}}]  # a part: copied


def test_only_a_json_body_can_wrap():
    other = Api("other", title="", errors=FastApiErrors(), auth=None, prefixes=("/other/",))
    with pytest.raises(ValueError, match="only a JSON body"):
        other.operation("POST", "/other/x", summary="", responses={200: "x"},
                        body=Body("x", media_type="multipart/form-data", wrap=Wrap("k", "y")))
