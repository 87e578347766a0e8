"""Who sees which Esteem patient: users, supervisors and admins of practices; open and strict auth."""

import pytest

from mockserver import Config, create_app
from mockserver.core.data_files import data_dir
from tests.esteem.support import FORBIDDEN, STAFF

BODY = {"patient": {"first_name": "John", "last_name": "Doe", "date_of_birth": "2010-05-15"}}


@pytest.fixture
def client(mockserver_client):
    """The plugin's shared mock, reset for each test: cheaper than a new app per test (conftest's `client`)."""
    return mockserver_client


def token(name):
    return {"X-User-Token": name}


def create(client, who):
    resp = client.post("/v1/patients", json=BODY, headers=token(who))
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["id"]


def visible(client, who):
    return [p["id"] for p in client.get("/v1/patients?page_size=100", headers=token(who)).get_json()["patients"]]


@pytest.fixture
def staffed(client):
    assert client.post("/_mock/tenants/esteem", json={"esteem": {"users": STAFF}}).status_code == 200
    return client


def test_each_role_sees_what_the_issue_says(staffed):
    by_user_1, by_user_2, by_super, by_b = (create(staffed, w) for w in ("a-user-1", "a-user-2", "a-super", "b-super"))
    assert visible(staffed, "a-user-1") == [by_user_1]
    assert visible(staffed, "a-user-2") == [by_user_2]
    assert visible(staffed, "a-super") == [by_user_1, by_user_2, by_super]
    assert visible(staffed, "b-super") == [by_b]
    assert visible(staffed, "admin") == [by_user_1, by_user_2, by_super, by_b]


def test_a_patient_one_may_not_see_is_403_and_a_missing_one_404(staffed):
    patient = create(staffed, "a-user-1")
    for who in ("a-user-2", "b-super", "someone-new"):
        for resp in (staffed.get(f"/v1/patients/{patient}", headers=token(who)),
                     staffed.put(f"/v1/patients/{patient}", json={"patient": {"first_name": "X"}}, headers=token(who)),
                     staffed.get(f"/v1/patients/{patient}/gauges", headers=token(who))):
            assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)
    for who in ("a-super", "admin"):
        assert staffed.get(f"/v1/patients/{patient}", headers=token(who)).status_code == 200
        assert staffed.get("/v1/patients/4242", headers=token(who)).get_json() == {"errors": "Patient not found"}


def test_assigned_patients_are_visible_to_their_user(staffed):
    patient = create(staffed, "a-super")
    assert staffed.get(f"/v1/patients/{patient}", headers=token("a-user-2")).status_code == 403
    staffed.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "a-user-2", "patients": [patient]}]}})
    assert staffed.get(f"/v1/patients/{patient}", headers=token("a-user-2")).status_code == 200
    assert visible(staffed, "a-user-2") == [patient]
    gauge = {"gauge": {"gauge_type": "mood", "value": 5}}
    assert staffed.post(f"/v1/patients/{patient}/gauges", json=gauge, headers=token("a-user-2")).status_code == 201


def test_provisioning_again_changes_only_what_is_given(staffed):
    patient = create(staffed, "b-super")
    staffed.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "a-user-1", "role": "admin"}]}})
    assert visible(staffed, "a-user-1") == [patient]
    staffed.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "a-user-1", "role": "supervisor"}]}})
    assert visible(staffed, "a-user-1") == []  # still of practice A
    staffed.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "a-user-1", "practice": "B"}]}})
    assert visible(staffed, "a-user-1") == [patient]


def test_a_patient_stays_with_its_practice(staffed):
    patient = create(staffed, "admin")
    assert staffed.get(f"/v1/patients/{patient}", headers=token("a-super")).status_code == 403


def test_in_open_mode_every_new_token_is_a_user_of_its_own_practice(client):
    mine, theirs = create(client, "alice"), create(client, "bob")
    assert visible(client, "alice") == [mine] and visible(client, "bob") == [theirs]
    assert client.get(f"/v1/patients/{theirs}", headers=token("alice")).status_code == 403
    state = client.get("/_mock/state").get_json()["tenants"]["esteem"]["esteem"]
    assert [(u["token"], u["role"]) for u in state["users"]] == [("alice", "user"), ("bob", "user")]
    assert len({u["practice_id"] for u in state["users"]}) == 2


def test_reset_forgets_run_time_users_and_patients(staffed):
    create(staffed, "admin")
    staffed.post("/_mock/reset")
    assert visible(staffed, "admin") == []
    assert staffed.post("/v1/patients", json=BODY, headers=token("admin")).status_code == 201
    assert visible(staffed, "a-super") == []  # "admin" came back as a plain user of its own practice


@pytest.fixture
def strict():
    path = data_dir("fixtures") / "esteem" / "tenants.example.json"
    return create_app(Config(auth="strict", tenants_file=str(path), validate_responses=True,
                             admin_tokens=["esteem-admin-token"])).test_client()


ADMIN = {"Authorization": "Bearer esteem-admin-token"}


def test_strict_mode_knows_only_the_configured_users(strict):
    assert strict.get("/v1/patients", headers=token("stranger")).get_json() == {
        "errors": "You are not authorized to perform this action."}
    patient = create(strict, "lakeside-therapist")
    assert strict.get(f"/v1/patients/{patient}", headers=token("lakeside-supervisor")).status_code == 200
    assert strict.get(f"/v1/patients/{patient}", headers=token("hillcrest-therapist")).status_code == 403
    assert visible(strict, "esteem-admin") == [patient]


def test_strict_mode_users_survive_a_reset_and_can_be_added(strict):
    assert strict.post("/_mock/reset", headers=ADMIN).status_code == 200
    assert strict.get("/v1/patients", headers=token("esteem-admin")).status_code == 200
    assert strict.get("/v1/patients", headers=token("late-joiner")).status_code == 401
    added = strict.post("/_mock/tenants/esteem", json={"esteem": {"users": [{"token": "late-joiner"}]}}, headers=ADMIN)
    assert added.status_code == 200
    assert strict.get("/v1/patients", headers=token("late-joiner")).status_code == 200



def test_esteem_users_given_for_any_tenant_join_the_one_world(client, tmp_path):
    """Esteem has one world: users provisioned under another tenant's name act there too."""
    client.post("/_mock/tenants/acme", json={"tokens": ["acme-token"], "esteem": {"users": [{"token": "acme-user"}]}})
    assert client.get("/v1/patients", headers=token("acme-user")).status_code == 200
    tenants = tmp_path / "tenants.json"
    tenants.write_text('{"tenants": {"clinic": {"esteem": {"users": [{"token": "clinic-user", "role": "admin"}]}}}}')
    strict = create_app(Config(auth="strict", tenants_file=str(tenants))).test_client()
    patient = create(strict, "clinic-user")
    assert visible(strict, "clinic-user") == [patient]

@pytest.mark.parametrize("spec", [
    {"users": [{"role": "admin"}]},
    {"users": [{"token": ""}]},
    {"users": [{"token": "x", "role": "root"}]},
    {"users": [{"token": "x", "patients": ["1049"]}]},
    {"users": "everyone"},
])
def test_bad_user_specs_are_refused(client, spec):
    resp = client.post("/_mock/tenants/esteem", json={"esteem": spec})
    assert resp.status_code == 422 and resp.mimetype == "application/json"
