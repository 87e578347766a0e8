"""A typed client that openapi-python-client generates from /openapi.json works against the real server.

The document is for generators as much as for validators: the generator must read it without a warning (a
warning means an operation or a model was dropped), give every operation a function, and the client it writes
must create, read, upload and parse the documented errors of each family into its models. The generator knows no
streamed media type, nor images: its config (`GENERATOR_CONFIG`, as a user of it would write) reads Heidi's JSON
lines as bytes, which the caller splits into lines, and Haidy's QR-code PNG as bytes.
"""

from __future__ import annotations

import importlib
import io
import json
import os
import re
import subprocess
import sys
from datetime import date, datetime

import pytest

from contracts.support import open_app
from mockserver.control.coverage import METHODS
from mockserver.heidi import BASE_PATH
from tests.support import BIN, GROUP, Served, make_pdf

GENERATOR_CONFIG = {"content_type_overrides": {"application/x-ndjson": "application/octet-stream",
                                               "image/png": "application/octet-stream"}}
PACKAGE = "mockserver_vendor_client"
ADMIN_PACKAGE = "mockserver_admin_client"
TEXT = "Patient presents with hypertension. Current medications: Lisinopril 10mg daily."


@pytest.fixture(scope="module")
def document() -> dict:
    return open_app().test_client().get("/openapi.json").get_json()


def _generate(folder, document: dict, package: str) -> tuple:
    """The generator's run on `document` into `folder`: the folder, its exit code and what it printed."""
    spec = folder / "openapi.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    config = folder / "generator.json"
    config.write_text(json.dumps(GENERATOR_CONFIG), encoding="utf-8")
    run = subprocess.run(
        [str(BIN / "openapi-python-client"), "generate", "--path", str(spec), "--meta", "none", "--config", str(config),
         "--output-path", str(folder / package)],
        capture_output=True, text=True, timeout=180,
        env={**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"},  # it formats with ruff
    )
    return folder, run.returncode, run.stdout + run.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory, document):
    """The generator's run on the vendor document: the folder holding the package, and what it printed."""
    return _generate(tmp_path_factory.mktemp("generated"), document, PACKAGE)


@pytest.fixture(scope="module")
def admin_generated(tmp_path_factory):
    """The same for the admin API's document, /_mock/openapi.json."""
    document = open_app().test_client().get("/_mock/openapi.json").get_json()
    return (document, *_generate(tmp_path_factory.mktemp("admin"), document, ADMIN_PACKAGE))


@pytest.fixture(scope="module")
def package(generated):
    """The generated package, imported: `package.models`, `package.types`, `package.AuthenticatedClient`."""
    folder, returncode, output = generated
    assert returncode == 0, output
    sys.path.insert(0, str(folder))
    try:
        package = importlib.import_module(PACKAGE)
        importlib.import_module(f"{PACKAGE}.models")
        importlib.import_module(f"{PACKAGE}.types")
        yield package
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name == PACKAGE or name.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@pytest.fixture(scope="module")
def server():
    """The real server on a real port; structure tasks are DONE at once, so a poll shows the result."""
    served = Served("--no-access-log", "--task-timing", "instant")
    yield served
    served.stop()


def _warnings(output: str) -> list[str]:
    return [line for line in output.splitlines() if re.search(r"WARNING|Warning|Unable", line)]


def _functions(folder, package: str) -> set[tuple[str, str]]:
    return {(module.parent.name, module.stem) for module in (folder / package / "api").glob("*/*.py")
            if module.stem != "__init__"}


def _operations(document: dict) -> set[tuple[str, str]]:
    # the generator names a tag's module as a Python name: "haidy-admin" becomes haidy_admin
    return {(op["tags"][0].replace("-", "_"), op["operationId"]) for item in document["paths"].values()
            for method, op in item.items() if method in METHODS}


def test_the_generator_reads_the_document_without_a_warning(generated):
    _, returncode, output = generated
    assert returncode == 0, output
    assert _warnings(output) == [], output


def test_every_operation_gets_a_function(generated, document):
    folder, _, _ = generated
    assert _functions(folder, PACKAGE) == _operations(document)


def test_the_admin_document_too_generates_without_a_warning_a_function_per_operation(admin_generated):
    """A fault rule's `drop` (a boolean or a mode) is two `anyOf` members: one enum of mixed types made the
    generator drop the fault rule models and `POST /_mock/faults`."""
    document, folder, returncode, output = admin_generated
    assert returncode == 0, output
    assert _warnings(output) == [], output
    assert _functions(folder, ADMIN_PACKAGE) == _operations(document)


def _call(family: str, operation: str, **kwargs):
    """`api.<family>.<operation>.sync_detailed(**kwargs)`: the status and the parsed body."""
    module = importlib.import_module(f"{PACKAGE}.api.{family}.{operation}")
    response = module.sync_detailed(**kwargs)
    return response.status_code, response.parsed


def test_haidy_create_read_duplicate_upload_and_both_results(package, server):
    m = package.models
    haidy = package.AuthenticatedClient(base_url=server.url, token="generated-client")
    body = m.PatientContextCreate(external_id="gen-1", patient_group=GROUP, name="Jane Roe",
                                  birth_date=date(1980, 1, 2))
    status, created = _call("haidy", "create_patient_context", client=haidy, body=body)
    assert status == 200 and isinstance(created, m.PatientContext), created
    assert isinstance(created.created_at, datetime) and created.created_at.tzinfo is not None
    assert created.birth_date == date(1980, 1, 2)

    status, duplicate = _call("haidy", "create_patient_context", client=haidy, body=body)
    assert status == 400 and isinstance(duplicate, m.ErrorDetail) and "gen-1" in duplicate.detail

    status, found = _call("haidy", "get_patient_context", client=haidy, patient_context_id=created.id)
    assert status == 200 and found.id == created.id and found.name == "Jane Roe"
    status, missing = _call("haidy", "get_patient_context", client=haidy, patient_context_id="ctx_none")
    assert status == 404 and isinstance(missing, m.ErrorDetail)

    pdf = package.types.File(payload=io.BytesIO(make_pdf("Lab report")), file_name="lab-report.pdf",
                            mime_type="application/pdf")
    status, uploaded = _call("haidy", "upload_patient_files", client=haidy, patient_context_id=created.id,
                             body=m.PatientFilesUpload(files=[pdf]))
    assert status == 200 and isinstance(uploaded, m.PatientFilesUploaded), uploaded
    assert (uploaded.total_uploaded, uploaded.total_failed) == (1, 0)
    assert (uploaded.uploaded_files[0].filename, uploaded.uploaded_files[0].content_type) == (
        "lab-report.pdf", "application/pdf")

    # a binary reply has no schema in the document, so the client leaves it unparsed: its bytes are `content`
    qr_code = importlib.import_module(f"{PACKAGE}.api.haidy.get_qr_code")
    qr = qr_code.sync_detailed(client=haidy, integration_id="o10i0iva3tn75kk", unique_id="gen-1")
    assert qr.status_code == 200 and qr.content.startswith(b"\x89PNG\r\n\x1a\n"), qr

    status, task = _call("haidy", "structure_text", client=haidy, body=m.StructureTextRequest(inputs=[TEXT]))
    assert status == 200 and isinstance(task.result, m.HolisticPatient), task
    assert [e.identity_fields.name for e in task.result.patient_structured_output.medications] == ["Lisinopril"]

    source = m.StructureSource(type_=m.StructureSourceType.PLAIN_TEXT, text=TEXT)
    record = m.StructureRequestNewRecordsItem(source=source)
    status, started = _call("haidy", "structure_fhir", client=haidy,
                            body=m.StructureRequest(new_records=[record]))
    assert status == 200 and isinstance(started, m.Task), started
    status, done = _call("haidy", "poll_task", client=haidy, body=m.TaskRequest(task_id=started.task_id))
    assert status == 200 and done.status == m.TaskStatus.DONE and isinstance(done.result, m.FhirBundle), done
    assert done.result.resource_type == "Bundle" and isinstance(done.completed_at, datetime)


def test_heidi_under_its_base_path_jwt_profiles_sessions_and_a_404(package, server):
    m = package.models
    base = f"{server.url}{BASE_PATH}"
    keyed = package.AuthenticatedClient(base_url=base, token="generated-client-key", prefix="",
                                       auth_header_name="Heidi-Api-Key")
    status, jwt = _call("heidi", "get_jwt", client=keyed, email="dr.roe@example.com",
                        third_party_internal_id="gen-user-1")
    assert status == 200 and isinstance(jwt, m.HeidiJwt) and isinstance(jwt.expiration_time, datetime), jwt
    heidi = package.AuthenticatedClient(base_url=base, token=jwt.token)

    fields = m.HeidiPatientProfileFields(first_name="Jane", last_name="Roe", birth_date=date(1980, 1, 2),
                                         gender=m.HeidiGender.FEMALE, ehr_patient_id="GEN-1")
    status, created = _call("heidi", "create_patient_profile", client=heidi, body=fields)
    assert status == 200 and isinstance(created, m.HeidiPatientProfileResponse), created
    profile_id = created.data.id  # beside allOf's $ref, kept by the generator
    status, found = _call("heidi", "get_patient_profile", client=heidi, patient_profile_id=profile_id)
    assert status == 200 and (found.data.first_name, found.data.birth_date) == ("Jane", date(1980, 1, 2))

    status, session = _call("heidi", "create_session", client=heidi,
                            body=m.HeidiSessionCreate(patient_profile_id=profile_id))
    assert status == 200 and isinstance(session, m.HeidiSessionCreated), session
    status, read = _call("heidi", "get_session", client=heidi, session_id=session.session_id)
    assert status == 200 and read.session.session_id == session.session_id and read.session.duration == 0
    status, listed = _call("heidi", "list_patient_profiles", client=heidi, ehr_patient_id="GEN-1")
    assert status == 200 and [(p.id, p.session_count) for p in listed.data] == [(profile_id, 1)]

    status, missing = _call("heidi", "get_patient_profile", client=heidi, patient_profile_id="0" * 24)
    assert status == 404 and isinstance(missing, m.HeidiError), missing
    assert missing.detail.type_ == "PatientProfileNotFoundError"


def test_esteem_both_body_forms_a_gauge_and_the_rails_errors(package, server):
    m = package.models
    esteem = package.AuthenticatedClient(base_url=server.url, token="generated-client-user", prefix="",
                                        auth_header_name="X-User-Token")
    new = m.EsteemPatientCreateAttributes(first_name="Jane", last_name="Roe", date_of_birth=date(2010, 5, 15))
    status, wrapped = _call("esteem", "create_patient", client=esteem,
                            body=m.EsteemPatientCreateWrapped(patient=new))
    assert status == 201 and isinstance(wrapped, m.EsteemPatient), wrapped
    assert isinstance(wrapped.created_at, datetime) and wrapped.date_of_birth == date(2010, 5, 15)
    status, bare = _call("esteem", "create_patient", client=esteem, body=new)
    assert status == 201 and bare.id != wrapped.id

    status, updated = _call("esteem", "update_patient", client=esteem, id=bare.id,
                            body=m.EsteemPatientAttributes(phone="+1-555-987-6543"))
    assert status == 200 and updated.phone == "+1-555-987-6543"
    status, gauge = _call("esteem", "create_patient_gauge", client=esteem, patient_id=bare.id,
                          body=m.EsteemGaugeFields(gauge_type=m.EsteemGaugeType.MOOD, value=7))
    assert status == 201 and isinstance(gauge, m.EsteemGauge) and isinstance(gauge.recorded_at, datetime), gauge

    blank = m.EsteemPatientCreateAttributes(first_name="Jane", last_name=" ", date_of_birth=date(2010, 5, 15))
    status, invalid = _call("esteem", "create_patient", client=esteem,
                            body=m.EsteemPatientCreateWrapped(patient=blank))
    assert status == 422 and isinstance(invalid, m.EsteemValidationErrors), invalid
    assert invalid.errors.additional_properties == {"last_name": ["can't be blank"]}
    status, missing = _call("esteem", "get_patient", client=esteem, id=999_999_999)
    assert status == 404 and isinstance(missing, m.EsteemError) and missing.errors == "Patient not found"
