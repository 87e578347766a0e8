"""The shipped synthetic data set `fixtures/demo`: rebuilt byte for byte from its seed, one identity per person
across Haidy, Heidi and Esteem, documents that structure to the person's chart, and loadable by
`mockserver serve --fixtures` (the plugin's marker: tests/test_plugin.py)."""

import base64
import re
import subprocess
from urllib.parse import urlencode

import pytest
import requests

from mockserver import Config, create_app
from mockserver.core.data_files import data_dir
from mockserver.harness import cli
from mockserver.harness.dataset import TOKEN, Options
from mockserver.harness.dataset.build import DataSet, write
from mockserver.harness.dataset.families import CLINICIAN
from mockserver.harness.dataset.people import make_people
from tests.heidi.support import BASE, DOC_PROFILE, bearer, get_token
from tests.support import BIN, Served

SHIPPED = data_dir("fixtures") / "demo"
DOCUMENTS = SHIPPED / "documents"
HAIDY = {"Authorization": f"Bearer {TOKEN}"}
ESTEEM = {"X-User-Token": TOKEN}
_, PEOPLE = make_people(Options.people, Options.seed, Options.until)
"""What the generator put into the shipped set, to check what the APIs give back."""


def tree(root):
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def test_the_cli_rebuilds_the_shipped_set_byte_for_byte(tmp_path):
    subprocess.run([str(BIN / "mockserver"), "fixtures", "-o", str(tmp_path / "demo")], check=True)
    rebuilt, shipped = tree(tmp_path / "demo"), tree(SHIPPED)
    assert sorted(rebuilt) == sorted(shipped)
    changed = [name for name in shipped if rebuilt[name] != shipped[name]]
    assert not changed, f"regenerate with `mockserver fixtures -o fixtures/demo` (Faker upgraded?): {changed}"


def test_writing_replaces_a_data_set_but_never_a_foreign_directory(tmp_path):
    target = tmp_path / "set"
    write(DataSet({"tenants": {}}, {"p-1/a.txt": b"a", "p-2/b.txt": b"b"}), target)
    write(DataSet({"tenants": {}}, {"p-1/a.txt": b"A"}), target)
    assert tree(target) == {"state.json": b'{"tenants":{}}\n', "documents/p-1/a.txt": b"A"}
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("precious")
    with pytest.raises(FileExistsError):
        write(DataSet({"tenants": {}}, {}), tmp_path / "mine")
    assert tree(tmp_path / "mine") == {"thesis.txt": b"precious"}
    (tmp_path / "file").write_text("precious")
    with pytest.raises(FileExistsError):
        write(DataSet({"tenants": {}}, {}), tmp_path / "file")
    assert (tmp_path / "file").read_text() == "precious"


@pytest.fixture(scope="module")
def client():
    return create_app(Config(fixtures="demo", validate_responses=True, task_timing="instant")).test_client()


def heidi_headers(client):
    return bearer(get_token(client, key=TOKEN, user=CLINICIAN.third_party_internal_id, email=CLINICIAN.email))


def test_each_person_is_one_identity_in_all_three_families(client):
    heidi = heidi_headers(client)
    esteem = client.get("/v1/patients?page_size=100", headers=ESTEEM).get_json()
    assert esteem["meta"]["total_count"] == len(PEOPLE)  # the demo clinician's caseload is exactly the people
    for person in PEOPLE:
        [context] = client.get(f"/v2/patient-contexts/?external_id={person.external_id}", headers=HAIDY).get_json()
        [profile] = client.get(f"{BASE}/patient-profiles?ehr_patient_id={person.external_id}",
                               headers=heidi).get_json()["data"]
        [patient] = [p for p in esteem["patients"] if p["last_name"] == person.last_name
                     and p["first_name"] == person.first_name]
        born = person.birth_date.isoformat()
        assert (context["name"], context["birth_date"], context["gender"]) == (person.name, born, person.gender)
        assert (profile["first_name"], profile["last_name"], profile["birth_date"], profile["gender"]) == (
            person.first_name, person.last_name, born, person.gender.upper())
        assert (patient["date_of_birth"], patient["gender"]) == (born, person.gender)
        assert patient["email"] == profile["email"] == person.email
        assert profile["session_count"] == len(person.visits)
    sessions = client.get(f"{BASE}/sessions/linked-user?page_size=100", headers=heidi).get_json()
    assert sessions["total_count"] == sum(len(p.visits) for p in PEOPLE)
    assert all(s["ehr_patient_id"].startswith("demo-patient-") and s["duration"] > 0 for s in sessions["sessions"])
    recorded = [s for s in sessions["sessions"] if s["audio"]]
    assert len(recorded) == len(PEOPLE)  # each person's last visit holds its dictation, uploaded
    for session in recorded:
        person = next(p for p in PEOPLE if p.external_id == session["ehr_patient_id"])
        said = client.get(f"{BASE}/sessions/{session['session_id']}/transcript", headers=heidi).get_json()
        assert person.name in said["transcript"]  # the registered dictation, read from the tenant's registry


def test_the_docs_examples_still_run_on_the_data_set(client):
    docs_patient = client.get("/v1/patients/1049", headers={"X-User-Token": "your_token_here"}).get_json()
    assert (docs_patient["first_name"], docs_patient["last_name"]) == ("John", "Doe")
    assert client.get("/v1/patients/1049", headers=ESTEEM).status_code == 403
    # Any new API user of the tenant starts with the docs' examples; the data set's clinician was made without them.
    newcomer = bearer(get_token(client, key=TOKEN, user="gp", email="gp@example.com"))
    assert client.get(f"{BASE}/patient-profiles/{DOC_PROFILE}", headers=newcomer).status_code == 200
    assert client.get(f"{BASE}/patient-profiles/{DOC_PROFILE}", headers=heidi_headers(client)).status_code == 404
    created = client.post("/v2/patient-contexts/", headers=HAIDY, json={
        "external_id": "patient-12345", "patient_group": "sqmcrfbv6fx4g04", "name": "John Doe"})
    assert created.status_code == 200


def test_each_person_has_an_approved_consultation_whose_report_holds_their_medication(client):
    new = client.get("/v2/consultations?downloaded=false&page_size=100", headers=HAIDY).get_json()
    assert new["total"] == len(PEOPLE)
    for person in PEOPLE:
        [consultation] = [c for c in new["items"] if c["unique_id"] == person.external_id]
        [context] = client.get(f"/v2/patient-contexts/?external_id={person.external_id}", headers=HAIDY).get_json()
        assert consultation["patient_context_id"] == context["id"] and consultation["status"] == "approved"
        report = client.get(f"/v2/consultation/{consultation['id']}/report/TXT", headers=HAIDY).get_data(as_text=True)
        assert person.name in report
        for medication in person.medications:
            assert medication.name.lower() in report.lower(), (medication, report)


def files(client, external_id: str) -> dict[str, str]:
    """Filename -> URL of the person's uploaded files, as the integration page lists them."""
    page = client.get("/integration?" + urlencode({"email": "gp@example.com", "integration": "o10i0iva3tn75kk",
                                                   "unique_id": external_id})).get_data(as_text=True)
    return {name: url for url, name in re.findall(r'<a href="(/_mock/haidy/files/file_[a-z0-9]+)">([^<]+)</a>', page)}


def test_documents_are_uploaded_files_served_and_listed_on_the_integration_page(client):
    for person in PEOPLE:
        listed = files(client, person.external_id)
        assert sorted(listed) == ["lab-report.pdf", "letter.pdf", "note.txt"]
        for name, url in listed.items():
            assert client.get(url).data == (DOCUMENTS / person.external_id / name).read_bytes()


def structure(client, source: dict) -> dict:
    task = client.post("/v2/structure", headers=HAIDY, json={"new_records": [{"source": source}]}).get_json()
    done = client.post("/v2/tasks", headers=HAIDY, json={"task_id": task["task_id"]}).get_json()
    assert done["status"] == "DONE", done
    return done["result"]


def concepts(result: dict, kind: str) -> set:
    return {e["identity_fields"]["concept"] for e in result["patient_structured_output"][kind]}


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.mark.parametrize("person", PEOPLE, ids=lambda p: p.external_id)
def test_the_pdfs_structure_to_the_persons_chart(client, person):
    letter_pdf = (DOCUMENTS / person.external_id / "letter.pdf").read_bytes()
    letter = structure(client, {"type": "document", "base64": b64(letter_pdf)})
    assert letter["patient_metadata"] == {"name": person.name, "gender": person.gender,
                                          "birthday": f"{person.birth_date.isoformat()}T00:00:00Z"}
    assert concepts(letter, "conditions") == {problem.concept for problem in person.problems}
    assert concepts(letter, "medications") == {medication.name.lower() for medication in person.medications}
    assert concepts(letter, "allergies") == {person.allergy or "allergy"}
    assert {"blood_pressure", "heart_rate", "body_weight"} <= concepts(letter, "observations")

    url = "http://localhost" + files(client, person.external_id)["lab-report.pdf"]
    labs = structure(client, {"type": "document", "url": url})
    found = {e["identity_fields"]["concept"]: e["identity_fields"]["value"]
             for e in labs["patient_structured_output"]["observations"]}
    assert found == {result.concept: result.value for result in person.labs}
    assert labs["patient_metadata"]["name"] == person.name


def test_a_recording_structures_to_its_registered_transcript(client):
    person = PEOPLE[0]
    folder = DOCUMENTS / person.external_id
    result = structure(client, {"type": "audio", "base64": b64((folder / "consultation.wav").read_bytes())})
    [record] = result["clinical_records"]
    assert record["record_structured"]["input_text"] == (folder / "consultation.transcript.txt").read_text()
    assert concepts(result, "conditions") == {problem.concept for problem in person.problems}
    assert concepts(result, "medications") == {medication.name.lower() for medication in person.medications}
    assert result["patient_metadata"]["name"] == person.name
    note = structure(client, {"type": "plain_text", "text": (folder / "note.txt").read_text()})
    assert concepts(note, "conditions") == concepts(result, "conditions")


@pytest.fixture(scope="module")
def served():
    server = Served("--fixtures", "demo")
    yield server
    server.stop()


def test_serve_fixtures_answers_over_a_real_port_and_reset_returns_to_it(served):
    base, person = served.url, PEOPLE[1]
    [context] = requests.get(f"{base}/v2/patient-contexts/?external_id={person.external_id}", headers=HAIDY).json()
    assert context["name"] == person.name
    for user, email, expected in ((CLINICIAN.third_party_internal_id, CLINICIAN.email, [person.last_name]),
                                  ("gp", "gp@example.com", [])):  # the clinician's profiles are the clinician's
        token = requests.get(f"{base}{BASE}/jwt", params={"email": email, "third_party_internal_id": user},
                             headers={"Heidi-Api-Key": TOKEN}).json()["token"]
        profiles = requests.get(f"{base}{BASE}/patient-profiles", params={"ehr_patient_id": person.external_id},
                                headers=bearer(token)).json()["data"]
        assert [p["last_name"] for p in profiles] == expected
    found = requests.get(f"{base}/v1/patients", params={"search": person.last_name}, headers=ESTEEM).json()
    assert [p["date_of_birth"] for p in found["patients"]] == [person.birth_date.isoformat()]

    requests.post(f"{base}/v2/patient-contexts/", headers=HAIDY,
                  json={"external_id": "walk-in", "patient_group": "sqmcrfbv6fx4g04"}).raise_for_status()
    assert requests.post(f"{base}/_mock/reset").ok
    assert requests.get(f"{base}/v2/patient-contexts/?external_id=walk-in", headers=HAIDY).json() == []
    assert len(requests.get(f"{base}/v2/patient-contexts/", headers=HAIDY).json()) == len(PEOPLE)


def test_serve_refuses_an_unknown_data_set_or_both_kinds_of_start(tmp_path, capsys):
    for args, message in ((["--fixtures", "nope"], "no data set 'nope': not one shipped with mockserver (demo)"),
                          (["--fixtures", "demo", "--state", str(tmp_path / "s.json")], "not allowed with argument")):
        with pytest.raises(SystemExit) as exited:
            cli.main(["serve", *args])
        assert exited.value.code == 2 and message in capsys.readouterr().err
