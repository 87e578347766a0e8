"""POST/GET /v2/patient-contexts/: the documented create, its rules, and the retrieval the docs imply."""

from datetime import UTC, datetime

from tests.support import AUTH, GROUP

DOC_BODY = {"external_id": "patient-12345", "patient_group": GROUP, "name": "John Doe",
            "birth_date": "1980-01-01", "gender": "male"}


def create(client, headers=AUTH, **fields):
    return client.post("/v2/patient-contexts/", json={**DOC_BODY, **fields}, headers=headers)


def test_create_echoes_the_documented_fields(client, app):
    app.extensions["mockserver"].clock.freeze(datetime(2024, 1, 15, 10, 30, tzinfo=UTC))
    resp = create(client)
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["id"].startswith("ctx_") and len(body["id"]) == 16
    assert {k: body[k] for k in DOC_BODY} == DOC_BODY
    assert body["created_at"] == body["updated_at"] == "2024-01-15T10:30:00Z"
    assert body["total_files"] == 0


def test_optional_fields_may_be_left_out(client):
    resp = create(client, name=None, birth_date=None, gender=None)
    assert resp.status_code == 200
    assert resp.get_json()["gender"] is None


def test_duplicate_external_id_in_the_same_group_is_400(client):
    first = create(client).get_json()
    resp = create(client, name="Someone Else")
    assert resp.status_code == 400
    detail = resp.get_json()["detail"]
    assert "patient-12345" in detail and GROUP in detail and first["id"] in detail
    assert len(client.get("/v2/patient-contexts/", headers=AUTH).get_json()) == 1


def test_same_external_id_in_another_group_or_tenant_is_fine(client):
    client.post("/_mock/tenants/test-token", json={"haidy": {"patient_groups": ["grp2"]}})
    assert create(client).status_code == 200
    assert create(client, patient_group="grp2").status_code == 200
    assert create(client, headers={"Authorization": "Bearer other-tenant"}).status_code == 200


def test_unknown_patient_group_is_400(client):
    resp = create(client, patient_group="nope")
    assert resp.status_code == 400
    assert "Patient group 'nope'" in resp.get_json()["detail"]


def test_get_returns_the_context_and_404s_for_unknown_or_foreign_ids(client):
    ctx = create(client).get_json()
    assert client.get(f"/v2/patient-contexts/{ctx['id']}", headers=AUTH).get_json() == ctx
    assert client.get("/v2/patient-contexts/ctx_missing", headers=AUTH).get_json() == {
        "detail": "Patient context not found"
    }
    foreign = client.get(f"/v2/patient-contexts/{ctx['id']}", headers={"Authorization": "Bearer intruder"})
    assert foreign.status_code == 404


def test_list_filters_by_external_id_and_group(client):
    client.post("/_mock/tenants/test-token", json={"haidy": {"patient_groups": ["grp2"]}})
    a = create(client, external_id="a").get_json()
    b = create(client, external_id="b").get_json()
    a2 = create(client, external_id="a", patient_group="grp2").get_json()
    def ids(q):
        return sorted(c["id"] for c in client.get(f"/v2/patient-contexts/{q}", headers=AUTH).get_json())

    assert ids("") == sorted([a["id"], b["id"], a2["id"]])
    assert ids("?external_id=a") == sorted([a["id"], a2["id"]])
    assert ids(f"?external_id=a&patient_group={GROUP}") == [a["id"]]
    assert ids("?patient_group=grp2") == [a2["id"]]
    assert ids("?external_id=zzz") == []


def test_missing_trailing_slash_redirects_keeping_the_method(client):
    resp = client.post("/v2/patient-contexts", json=DOC_BODY, headers=AUTH)
    assert resp.status_code == 308
    assert resp.headers["Location"].endswith("/v2/patient-contexts/")
