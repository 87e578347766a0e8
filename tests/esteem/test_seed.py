"""The seeded Esteem world: reproducible, valid against the schemas, reachable with the documented tokens,
and served by a real `mockserver serve --state` where the docs' examples run as written."""

import json
import subprocess
from datetime import date

import pytest
import requests

from mockserver import Config, create_app
from mockserver.core.data_files import data_dir
from mockserver.core.schemas import SchemaRegistry
from mockserver.esteem.seed import SeedOptions, seed_state
from tests.support import BIN, Served

SHIPPED = data_dir("fixtures") / "esteem" / "seed.json"
ADMIN = {"X-User-Token": "your_token_here"}
DOC_CREATE = SchemaRegistry.default().schema("esteem/patient-create")["examples"][0]


def test_the_same_options_give_the_same_world_and_another_seed_another():
    options = SeedOptions(until=date(2025, 3, 1), practices=2, patients_per_practice=4)
    assert seed_state(options) == seed_state(options)
    other = SeedOptions(until=date(2025, 3, 1), seed=2, practices=2, patients_per_practice=4)
    assert seed_state(other) != seed_state(options)


def test_the_cli_prints_what_seed_state_builds(tmp_path):
    out = tmp_path / "world.json"
    subprocess.run([str(BIN / "mockserver"), "seed", "--until", "2025-03-01", "--seed", "7", "--practices", "1",
                    "--patients-per-practice", "3", "-o", str(out)], check=True)
    assert json.loads(out.read_text()) == seed_state(SeedOptions(until=date(2025, 3, 1), seed=7, practices=1,
                                                                 patients_per_practice=3))
    refused = subprocess.run([str(BIN / "mockserver"), "seed", "--practices", "0"], capture_output=True, text=True)
    assert refused.returncode == 2 and "at least 1" in refused.stderr


@pytest.fixture(scope="module")
def seeded():
    """The shipped world on an app that checks every answer against its schema."""
    return create_app(Config(state_file=str(SHIPPED), validate_responses=True)).test_client()


def test_every_seeded_patient_and_gauge_is_valid_and_visible_to_the_admin(seeded):
    world = json.loads(SHIPPED.read_text())["tenants"]["esteem"]["esteem"]
    page = seeded.get("/v1/patients?page_size=100", headers=ADMIN).get_json()
    assert [p["id"] for p in page["patients"]] == sorted(p["id"] for p in world["patients"])
    gauges = [g for p in page["patients"]
              for g in seeded.get(f"/v1/patients/{p['id']}/gauges", headers=ADMIN).get_json()]
    assert len(gauges) == len(world["gauges"]) > 0
    assert any(not p["active"] for p in page["patients"]) and any(p["address"] is None for p in page["patients"])
    # A frontend may send a seeded patient back unchanged.
    attributes = SchemaRegistry.default().validator("esteem/patient-attributes")
    fields = ("first_name", "last_name", "date_of_birth", "gender", "phone", "email", "address")
    assert all(attributes.is_valid({k: p[k] for k in fields}) for p in page["patients"])


def test_the_documented_tokens_see_their_share(seeded):
    world = json.loads(SHIPPED.read_text())["tenants"]["esteem"]["esteem"]
    roles = {u["token"]: u["role"] for u in world["users"]}
    assert roles == {"your_token_here": "admin",
                     **{f"practice-{n}-{kind}": "supervisor" if kind == "supervisor" else "user"
                        for n in (1, 2, 3) for kind in ("supervisor", "user-1", "user-2")}}
    def count(who):
        return seeded.get("/v1/patients", headers={"X-User-Token": who}).get_json()["meta"]["total_count"]

    supervisors = [count(f"practice-{n}-supervisor") for n in (1, 2, 3)]
    assert sum(supervisors) == count("your_token_here") == len(world["patients"])
    assert all(0 < count(f"practice-{n}-user-{k}") < supervisors[n - 1] for n in (1, 2, 3) for k in (1, 2))


@pytest.fixture(scope="module")
def served():
    server = Served("--state", str(SHIPPED))
    yield server
    server.stop()


def test_the_docs_examples_run_as_written_against_the_seeded_server(served):
    base = served.url
    listed = requests.get(f"{base}/v1/patients?page=1&page_size=25", headers={
        "Content-Type": "application/json", "X-User-Token": "your_token_here"})
    assert listed.status_code == 200 and len(listed.json()["patients"]) == 25
    docs_patient = listed.json()["patients"][0]
    assert (docs_patient["id"], docs_patient["first_name"], docs_patient["last_name"]) == (1049, "John", "Doe")

    gauges = requests.get(f"{base}/v1/patients/1049/gauges?gauge_type=mood&start_date=2023-10-01", headers=ADMIN)
    assert gauges.status_code == 200 and gauges.json()
    assert {g["gauge_type"] for g in gauges.json()} == {"mood"} and all(1 <= g["value"] <= 10 for g in gauges.json())

    created = requests.post(f"{base}/v1/patients", data=json.dumps(DOC_CREATE), headers={
        "Content-Type": "application/json", "X-User-Token": "your_token_here"})
    assert created.status_code == 201
    new_id = created.json()["id"]
    assert new_id > max(p["id"] for p in json.loads(SHIPPED.read_text())["tenants"]["esteem"]["esteem"]["patients"])
    updated = requests.put(f"{base}/v1/patients/{new_id}", headers=ADMIN, json={"patient": {"last_name": "Roe"}})
    assert updated.json()["last_name"] == "Roe"
    assert requests.get(f"{base}/v1/patients/{new_id}", headers=ADMIN).json() == updated.json()

    hidden = requests.get(f"{base}/v1/patients/1049", headers={"X-User-Token": "practice-2-user-1"})
    assert (hidden.status_code, hidden.json()) == (403, {"errors": "You are not authorized to access this patient"})
    missing = requests.get(f"{base}/v1/patients/999999", headers=ADMIN)
    assert (missing.status_code, missing.json()) == (404, {"errors": "Patient not found"})
    anonymous = requests.get(f"{base}/v1/patients")
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"errors": "You are not authorized to perform this action."},
    )

    assert requests.post(f"{base}/_mock/reset").ok
    assert requests.get(f"{base}/v1/patients/{new_id}", headers=ADMIN).status_code == 404
    assert requests.get(f"{base}/v1/patients/1049", headers=ADMIN).status_code == 200


def test_a_browser_frontend_may_send_the_token(served):
    preflight = requests.options(f"{served.url}/v1/patients", headers={
        "Origin": "http://localhost:5173", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-user-token, content-type"})
    assert preflight.status_code == 200
    assert "x-user-token" in preflight.headers["Access-Control-Allow-Headers"].lower()


def test_serve_refuses_a_state_file_it_cannot_read(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    for path in (broken, tmp_path / "missing.json"):
        done = subprocess.run([str(BIN / "mockserver"), "serve", "--state", str(path)], capture_output=True, text=True)
        assert done.returncode == 2 and ("No such file" in done.stderr or "Expecting" in done.stderr), done.stderr
