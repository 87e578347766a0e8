"""Esteem over HTTP: the documented /v1 patient, gauge and assessment endpoints, declared once, translated to the
model."""

from __future__ import annotations

from datetime import date

from flask import Response, request

from mockserver.core.declaration import Api, Body, Call, Reply, Wrap
from mockserver.core.errors import NotFound
from mockserver.esteem.auth import UserTokenAuth
from mockserver.esteem.errors import RailsErrors
from mockserver.esteem.models import ASSESSMENT_NOT_FOUND, PATIENT_NOT_FOUND, EsteemWorld

ERROR = "esteem/error"
PATIENT = "esteem/patient"
_BY_ID = {"id": "$response.body#/id"}
_BY_PATIENT_ID = {"patient_id": "$response.body#/id"}
PATIENT_ID = "esteem/patient-id"
ASSESSMENT = "esteem/assessment"
ASSESSMENT_ID = "esteem/assessment-id"
ASSESSMENTS = "/v1/assessments"


def find_patient(call: Call) -> None:
    """Rails' `before_action :set_patient`: the patient the path names is found and authorised before the params
    are validated, so a missing patient answers 404 and a hidden one 403 whatever the body or query holds."""
    patient_id = call.path.get("id", call.path.get("patient_id"))
    if patient_id is not None:
        with call.backend(EsteemWorld) as esteem:
            esteem.patient(call.principal, patient_id)


def find_assessment(call: Call) -> None:
    """Rails' `before_action :set_assessment`: the assessment the path names is found, and authorised by its
    patient's rules, before the params are validated (404 Assessment not found, or the patient's 403)."""
    with call.backend(EsteemWorld) as esteem:
        esteem.assessment(call.principal, call.path["id"])


def _missing_record(_errors) -> NotFound:
    """A path id that is no id finds no record, as Rails' `find` answers: the record the path is about."""
    return NotFound(ASSESSMENT_NOT_FOUND if request.path.startswith(ASSESSMENTS + "/") else PATIENT_NOT_FOUND)


def _wrapped(schema: str, key: str) -> Body:
    """A body Rails' `wrap_parameters` reads: `schema` documents both forms, `{schema}-wrapped` the one under `key`."""
    return Body(schema, wrap=Wrap(key, f"{schema}-wrapped"))


api = Api(
    "esteem", title="Esteem General API: patients, their gauges and assessments",
    errors=RailsErrors(), auth=UserTokenAuth(), prefixes=("/v1/",), hosts=("api.esteem.health",),
    # No base URL is documented: the docs' host (api-docs.esteem.health) without "-docs", as `hosts`.
    servers=("https://api.esteem.health",),
    validation_schema="esteem/validation-errors", error_schema=ERROR,
    # A path id that is no id finds no patient (or assessment), as Rails' `find` answers.
    invalid_path=_missing_record,
    find_first=find_patient,
)


@api.operation("GET", "/v1/patients", summary="List the patients the user may see, a page at a time",
               query="esteem/patient-query", responses={200: "esteem/patient-list"})
def list_patients(call):
    """A user sees the patients they created or are assigned to, a supervisor their practice's, an admin all."""
    with call.backend(EsteemWorld) as esteem:
        page = esteem.list_patients(call.principal, **call.query)
        today = esteem.clock.now().date()
    return {"patients": [p.to_json(today) for p in page.items],
            "meta": {"page": page.page, "page_size": page.page_size, "total_count": page.total_count,
                     "total_pages": page.total_pages}}


@api.operation(
    "POST", "/v1/patients", summary="Create a patient", body=_wrapped("esteem/patient-create", "patient"),
    responses={201: PATIENT},
    links={201: {
        "GetPatient": {"operationId": "get_patient", "parameters": _BY_ID},
        "UpdatePatient": {"operationId": "update_patient", "parameters": _BY_ID},
        "ListPatientGauges": {"operationId": "list_patient_gauges", "parameters": _BY_PATIENT_ID},
        "CreatePatientGauge": {"operationId": "create_patient_gauge", "parameters": _BY_PATIENT_ID},
    }},
)
def create_patient(call):
    """The patient belongs to the creator's practice; a birth date in the future is refused."""
    with call.backend(EsteemWorld) as esteem:
        patient = esteem.create_patient(call.principal, call.body["patient"])
        return patient.to_json(esteem.clock.now().date()), 201


@api.operation("GET", "/v1/patients/{id}", summary="Get a patient's details", path_schemas={"id": PATIENT_ID},
               responses={200: PATIENT, 403: ERROR, 404: ERROR})
def get_patient(call):
    with call.backend(EsteemWorld) as esteem:
        return esteem.patient(call.principal, call.path["id"]).to_json(esteem.clock.now().date())


@api.operation("PUT", "/v1/patients/{id}", summary="Update a patient: any subset of the create fields",
               path_schemas={"id": PATIENT_ID}, body=_wrapped("esteem/patient-update", "patient"),
               responses={200: PATIENT, 403: ERROR, 404: ERROR})
def update_patient(call):
    with call.backend(EsteemWorld) as esteem:
        patient = esteem.update_patient(call.principal, call.path["id"], call.body["patient"])
        return patient.to_json(esteem.clock.now().date())


@api.operation("GET", "/v1/patients/{patient_id}/gauges", summary="List a patient's gauges",
               path_schemas={"patient_id": PATIENT_ID}, query="esteem/gauge-query",
               responses={200: "esteem/gauge-list", 403: ERROR, 404: ERROR})
def list_patient_gauges(call):
    filters = {k: date.fromisoformat(v) if k.endswith("_date") else v for k, v in call.query.items()}
    with call.backend(EsteemWorld) as esteem:
        return [g.to_json() for g in esteem.list_gauges(call.principal, call.path["patient_id"], **filters)]


@api.operation("POST", "/v1/patients/{patient_id}/gauges", summary="Record a gauge reading for a patient",
               path_schemas={"patient_id": PATIENT_ID}, body=_wrapped("esteem/gauge-create", "gauge"),
               responses={201: "esteem/gauge", 403: ERROR, 404: ERROR})
def create_patient_gauge(call):
    """Not in the docs, which offer no way to put gauges in; validated against the gauge type's scale."""
    with call.backend(EsteemWorld) as esteem:
        return esteem.add_gauge(call.principal, call.path["patient_id"], call.body["gauge"]).to_json(), 201


_BY_ASSESSMENT_ID = {"id": "$response.body#/id"}


@api.operation("GET", ASSESSMENTS, summary="List the assessments of the patients the user may see, a page at a time",
               query="esteem/assessment-query", responses={200: "esteem/assessment-list"})
def list_assessments(call):
    """Who sees an assessment is who sees its patient; filters by patient_id, status and assessment_type."""
    with call.backend(EsteemWorld) as esteem:
        page = esteem.list_assessments(call.principal, **call.query)
        return {"assessments": [a.to_json() for a in page.items],
                "meta": {"page": page.page, "page_size": page.page_size, "total_count": page.total_count,
                         "total_pages": page.total_pages}}


@api.operation(
    "POST", ASSESSMENTS, summary="Create an assessment for a patient",
    body=_wrapped("esteem/assessment-create", "assessment"),
    responses={201: ASSESSMENT, 403: ERROR},
    links={201: {
        "GetAssessment": {"operationId": "get_assessment", "parameters": _BY_ASSESSMENT_ID},
        "UpdateAssessment": {"operationId": "update_assessment", "parameters": _BY_ASSESSMENT_ID},
        "DeleteAssessment": {"operationId": "delete_assessment", "parameters": _BY_ASSESSMENT_ID},
    }},
)
def create_assessment(call):
    """For a patient the user may see (else the patient's 403); a patient_id naming no patient is Rails'
    `belongs_to` error, 422 {"errors": {"patient": ["must exist"]}}."""
    with call.backend(EsteemWorld) as esteem:
        return esteem.create_assessment(call.principal, call.body["assessment"]).to_json(), 201


@api.operation("GET", ASSESSMENTS + "/{id}", summary="Get an assessment's details",
               path_schemas={"id": ASSESSMENT_ID}, responses={200: ASSESSMENT, 403: ERROR, 404: ERROR},
               find_first=find_assessment)
def get_assessment(call):
    with call.backend(EsteemWorld) as esteem:
        return esteem.assessment(call.principal, call.path["id"]).to_json()


@api.operation("PUT", ASSESSMENTS + "/{id}", summary="Update an assessment: any subset of the create fields",
               path_schemas={"id": ASSESSMENT_ID}, body=_wrapped("esteem/assessment-update", "assessment"),
               responses={200: ASSESSMENT, 403: ERROR, 404: ERROR}, find_first=find_assessment)
def update_assessment(call):
    with call.backend(EsteemWorld) as esteem:
        return esteem.update_assessment(call.principal, call.path["id"], call.body["assessment"]).to_json()


@api.operation("DELETE", ASSESSMENTS + "/{id}", summary="Delete an assessment",
               path_schemas={"id": ASSESSMENT_ID},
               responses={204: Reply(None, description="Deleted"), 403: ERROR, 404: ERROR},
               find_first=find_assessment)
def delete_assessment(call):
    with call.backend(EsteemWorld) as esteem:
        esteem.delete_assessment(call.principal, call.path["id"])
    return Response(status=204)
