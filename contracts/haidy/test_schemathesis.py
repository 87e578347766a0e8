"""Schemathesis over Haidy's patient contexts, files, deep link and its QR code: the declared contract is what the
mock does.

Every built-in check runs (server errors, status codes, content types, response schemas and headers,
positive data accepted, negative data rejected, auth enforced, unsupported methods, ...), on
positive and negative data, through the examples, coverage and fuzzing phases, and statefully
through the OpenAPI links (create -> get -> upload).

The mock runs in strict auth mode with one token, so "a wrong token gets 401" is checked too;
in open mode (the default) any token is valid by design, and the `ignored_auth` check could not
hold. The number of examples is dialled with $MOCKSERVER_CONTRACT_EXAMPLES.

Documented answers to schema-valid input that the schema cannot rule out are accepted by
positive-data acceptance, and only those:
- 400 from create: the patient group does not exist, or the external_id is already taken in it;
- 404 from operations on a path id: no such patient context (or file, or consultation), or an integration the
  caller's tenant does not own (the QR code's integration_id: only the docs' one exists on a new tenant);

Values the schemas cannot express are supplied by dictionaries instead of weakening a check: the
docs' patient group and integration (so creates and deep links also succeed), and for the deep
link's `metadata` only URL-encoded JSON objects, which is what that parameter is: its schema only says
"string", and any other string rightly gets the documented 422; the same for the QR code's `patient_metadata`.

The QR code answers a PNG: schemathesis checks its status and content type (image/png), but cannot validate a
PNG body (the OpenAPI document gives it no schema); tests/haidy/test_qr_code.py decodes it. The same for a
consultation's report as PDF, DOCX or TXT (its JSON form has a schema); tests/haidy/test_consultations.py opens them.
A consultation approved before the run (`_seeded`) is offered to the per-consultation operations by a dictionary,
so they answer 200 as well as the documented 404.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import AcceptedNegativeData

from contracts.support import (
    ACCEPT_MISSING_IDS,
    DOC_GROUP,
    DOC_INTEGRATION,
    REJECTIONS,
    TOKEN,
    examples,
    strict_app,
    workflow,
)
from mockserver.haidy import consultations
from mockserver.harness import contract_hooks  # noqa: F401  (streamed reports are checked line by line)

EXAMPLES = examples()
SEEDED_CONSULTATION = "cons_seeded000000"

METADATA = [
    {},
    {"patient_id": "patient-12345", "patient_first_name": "John", "patient_last_name": "Doe",
     "patient_birth_date": "1980-01-01"},
    {"patient_first_name": "Zoë", "patient_last_name": "Müller-Lüdenscheidt"},
    {"patient_id": "<script>alert(1)</script>", "extra": [1, {"nested": None}]},
    {"patient_birth_date": "2024-02-29"},
]

def _config(*, stateful: bool = False) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 12}} if stateful else {},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPT_MISSING_IDS},
                   "negative_data_rejection": {"expected-statuses": REJECTIONS}},
        "dictionaries": {
            "groups": {"values": [DOC_GROUP]},
            "external-ids": {"values": ["patient-12345", "patient-67890"]},
            "integrations": {"values": [DOC_INTEGRATION]},
            "metadata": {"values": [json.dumps(m, ensure_ascii=False) for m in METADATA]},
            "consultations": {"values": [SEEDED_CONSULTATION]},
        },
        "operations": [
            {
                "include-operation-id": "create_patient_context",
                "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
                "parameters": {
                    "body.patient_group": {"dictionary": "groups", "probability": 0.6},
                    "body.external_id": {"dictionary": "external-ids", "probability": 0.3},
                },
            },
            {
                "include-operation-id": "list_patient_contexts",
                "parameters": {
                    "query.patient_group": {"dictionary": "groups", "probability": 0.5},
                    "query.external_id": {"dictionary": "external-ids", "probability": 0.5},
                },
            },
            {
                "include-operation-id": "integration_page",
                "parameters": {
                    "query.integration": {"dictionary": "integrations", "probability": 0.7},
                    "query.unique_id": {"dictionary": "external-ids", "probability": 0.7},
                    "query.metadata": {"dictionary": "metadata", "probability": 1.0},
                },
            },
            {
                "include-operation-id": "get_qr_code",
                "parameters": {
                    "path.integration_id": {"dictionary": "integrations", "probability": 0.7},
                    "query.unique_id": {"dictionary": "external-ids", "probability": 0.5},
                    "query.patient_metadata": {"dictionary": "metadata", "probability": 1.0},
                },
            },
            {
                "include-operation-id": "get_consultation_report",
                "parameters": {"path.id": {"dictionary": "consultations", "probability": 0.7}},
            },
            {
                "include-operation-id": "mark_consultation_as_downloaded",
                "parameters": {"path.id": {"dictionary": "consultations", "probability": 0.7}},
            },
            {
                "include-operation-id": "list_consultations",
                "parameters": {"query.unique_id": {"dictionary": "external-ids", "probability": 0.5}},
            },
        ],
    })


PATIENT_CONTEXT_PATHS = {"/v2/patient-contexts/", "/v2/patient-contexts/{patient_context_id}",
                         "/v2/patient-files/upload/{patient_context_id}", "/integration",
                         "/v2/external-integrations/{integration_id}/qr-code", "/v2/consultations",
                         "/v2/consultation/{id}/report/{format}", "/v2/consultation/{id}/mark-as-downloaded",
                         "/v2/generate/report", "/v2/generate/report/adjust-style"}


def _haidy_only(schema):
    """Haidy's patient contexts, files, deep link (haidy-patient-contexts.txt) and QR code (haidy-pis-integration.txt)
    out of the all-families document; the structure API needs dictionaries of its own. An exclude, because
    `include(...)` is OR-ed with the per-operation config entries (schemathesis 4), which would let every operation
    through."""
    return schema.exclude(func=lambda ctx: ctx.operation.path not in PATIENT_CONTEXT_PATHS)


def _seeded(app):
    """The docs' example patient exists, so the deep link (and a duplicate create) can be reached at once, and has
    an approved consultation (`SEEDED_CONSULTATION`), so its report and its mark can be."""
    resp = app.test_client().post("/v2/patient-contexts/", headers={"Authorization": f"Bearer {TOKEN}"}, json={
        "external_id": "patient-12345", "patient_group": DOC_GROUP, "name": "John Doe", "birth_date": "1980-01-01"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with app.extensions["mockserver"].store.session("haidy", TOKEN) as haidy:
        consultation = consultations.approve(haidy, "patient-12345", "Hypertension. Lisinopril 10 mg daily.")
        del haidy.consultations[consultation.id]
        consultation.id = SEEDED_CONSULTATION
        haidy.consultations[SEEDED_CONSULTATION] = consultation
    return app


VENDOR_APP = _seeded(strict_app())
vendor = _haidy_only(schemathesis.openapi.from_wsgi("/openapi.json", VENDOR_APP, config=_config()))

STATEFUL_APP = strict_app()
stateful = _haidy_only(schemathesis.openapi.from_wsgi("/openapi.json", STATEFUL_APP, config=_config(stateful=True)))

UPLOAD = "POST /v2/patient-files/upload/{patient_context_id}"


def _keep_unless_upload_went_out_valid(context, failure, case, response) -> bool:
    """Drop one false alarm of `negative_data_rejection`, and only that one.

    A negated *type* of the `files` parts (null, a number, an object) is serialised as the bytes of
    its JSON text, so on the wire it is an ordinary file part and the upload is valid: the mock
    rightly stores it. Such a "negative" case is dropped only if a `files` part really went out;
    a request without one (no `files`, or an empty list) must still be rejected.
    """
    if not isinstance(failure, AcceptedNegativeData) or case.operation.label != UPLOAD:
        return True
    body = response.request.body or b""
    if isinstance(body, str):
        body = body.encode()
    return b'name="files"' not in body


for _schema in (vendor, stateful):
    _schema.hook("filter_failure")(_keep_unless_upload_went_out_valid)

_SLOW_IS_FINE = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)


@pytest.mark.slow
@vendor.parametrize()
@_SLOW_IS_FINE
def test_vendor_api_honours_its_contract(case):
    case.call_and_validate()


class LinkedWorkflow(workflow(stateful, STATEFUL_APP)):
    """Create -> get / upload through the links of the create response, every check after each step."""


@pytest.mark.slow
def test_linked_workflow_honours_its_contract():
    seen = LinkedWorkflow.explore(max(EXAMPLES, 10), steps=8)  # fewer examples rarely get past a create
    # The links were really followed: a created context was fetched, and uploaded to, by the id the create returned.
    assert seen[("POST /v2/patient-contexts/", 200)] > 0, seen
    assert seen[("GET /v2/patient-contexts/{patient_context_id}", 200)] > 0, seen
    assert seen[(UPLOAD, 200)] > 0, seen
