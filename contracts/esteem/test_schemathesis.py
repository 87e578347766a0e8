"""Schemathesis over Esteem's part of the OpenAPI document: the declared contract is what the mock does.

Every built-in check runs on positive and negative data, through the examples, coverage and fuzzing
phases, and statefully through the links of the create response (create -> get / update / gauges).
The mock runs in strict auth with one plain `user` (contracts/esteem/tenants.json), so "any other
token gets 401" is checked too, and every patient the workflow touches is one the user created.

Documented answers to schema-valid input that the schema cannot rule out are accepted, and only
those: 404 for a path id naming no patient (whatever the body: the patient is found first); 422 from
create/update for a birth date in the future (on the mock's clock), from recording a gauge whose
time is in the future (a value outside its type's scale is the schema's to refuse), and from an
assessment's create/update whose patient_id names no patient (Rails' `patient: must exist`) or whose
completed_at is in the future; 404 for an assessment id naming none. Request bodies
come in both forms the schemas document, nested under `patient`/`gauge`/`assessment` and bare (Rails'
wrap_parameters). Dictionaries of past dates, in-scale values and the first patients' ids keep most
cases on the successful path. $MOCKSERVER_CONTRACT_EXAMPLES dials the number of examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contracts.support import examples, workflow
from mockserver import Config, create_app

EXAMPLES = examples(10)
TOKEN = "esteem-contract-user"
TENANTS = Path(__file__).with_name("tenants.json")
MISSING_IDS = ["2xx", "404"]
SEMANTIC_422 = ["2xx", "404", "422"]


def _config(*, stateful: bool = False) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "auth": {"openapi": {"userToken": {"api_key": TOKEN}}},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 12}} if stateful else {},
        "checks": {"positive_data_acceptance": {"expected-statuses": MISSING_IDS}},
        "dictionaries": {
            "past-dates": {"values": ["2010-05-15", "1980-01-01", "2000-02-29", "1900-01-01"]},
            "in-every-scale": {"values": [1, 5, 7, 10]},
            "past-times": {"values": ["2023-10-27T14:30:00.000Z", "2020-02-29T23:59:59+05:30"]},
            "first-patients": {"values": [1049, 1050, 1051]},
        },
        "operations": [
            {
                "include-operation-id": operation,
                "checks": {"positive_data_acceptance": {"expected-statuses": SEMANTIC_422}},
                "parameters": {"body.patient.date_of_birth": {"dictionary": "past-dates", "probability": 0.8}},
            }
            for operation in ("create_patient", "update_patient")
        ] + [{
            "include-operation-id": "create_patient_gauge",
            "checks": {"positive_data_acceptance": {"expected-statuses": SEMANTIC_422}},
            "parameters": {
                "body.gauge.value": {"dictionary": "in-every-scale", "probability": 0.8},
                "body.gauge.recorded_at": {"dictionary": "past-times", "probability": 0.8},
            },
        }] + [
            {
                "include-operation-id": operation,
                "checks": {"positive_data_acceptance": {"expected-statuses": SEMANTIC_422}},
                "parameters": {
                    "body.assessment.patient_id": {"dictionary": "first-patients", "probability": 0.8},
                    "body.assessment.completed_at": {"dictionary": "past-times", "probability": 0.8},
                },
            }
            for operation in ("create_assessment", "update_assessment")
        ],
    })


def _app():
    return create_app(Config(auth="strict", tenants_file=str(TENANTS), validate_responses=True))


def _esteem_only(app, config):
    # Not include(tag=...): includes are ORed with the filter the per-operation config adds, which matches all.
    return schemathesis.openapi.from_wsgi("/openapi.json", app, config=config).exclude(path_regex=r"^(?!/v1/)")


APP = _app()
esteem = _esteem_only(APP, _config())

STATEFUL_APP = _app()
stateful = _esteem_only(STATEFUL_APP, _config(stateful=True))


@pytest.mark.slow
@esteem.parametrize()
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
def test_esteem_honours_its_contract(case):
    case.call_and_validate()


class EsteemWorkflow(workflow(stateful, STATEFUL_APP)):
    """Create -> get / update / list and record gauges; create an assessment -> get / update / delete it: through
    the links, every check after each step."""


@pytest.mark.slow
def test_linked_workflow_honours_its_contract():
    seen = EsteemWorkflow.explore(EXAMPLES, steps=8)
    # The links were followed: a created patient was fetched, updated or given gauges by the id the create returned.
    assert seen[("POST /v1/patients", 201)] > 0, seen
    linked = ("GET /v1/patients/{id}", "PUT /v1/patients/{id}", "GET /v1/patients/{patient_id}/gauges",
              "POST /v1/patients/{patient_id}/gauges")
    assert sum(n for (label, status), n in seen.items() if label in linked and status < 300) > 0, seen
