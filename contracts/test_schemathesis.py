"""Schemathesis over the mock's own OpenAPI documents: the declared contract is what the mock does.

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
- 404 from operations on a path id: no such patient context (or file);
- 400 from PUT /_mock/state: a schema-valid export that still does not load (unknown family).

Values the schemas cannot express are supplied by dictionaries instead of weakening a check: the
docs' patient group and integration (so creates and deep links also succeed), and for the deep
link's `metadata` only URL-encoded JSON objects, which is what that parameter is (the schema says
"string"; see the report of this suite).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contracts.support import DOC_GROUP, DOC_INTEGRATION, TOKEN, examples, open_app, strict_app

EXAMPLES = examples()

METADATA = [
    {},
    {"patient_id": "patient-12345", "patient_first_name": "John", "patient_last_name": "Doe",
     "patient_birth_date": "1980-01-01"},
    {"patient_first_name": "Zoë", "patient_last_name": "Müller-Lüdenscheidt"},
    {"patient_id": "<script>alert(1)</script>", "extra": [1, {"nested": None}]},
    {"patient_birth_date": "2024-02-29"},
]

ACCEPT_MISSING_IDS = ["2xx", "404"]


def _config(*, stateful: bool = False) -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 12}} if stateful else {},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPT_MISSING_IDS}},
        "dictionaries": {
            "groups": {"values": [DOC_GROUP]},
            "external-ids": {"values": ["patient-12345", "patient-67890"]},
            "integrations": {"values": [DOC_INTEGRATION]},
            "metadata": {"values": [json.dumps(m, ensure_ascii=False) for m in METADATA]},
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
        ],
    })


def _admin_config() -> schemathesis.Config:
    return schemathesis.Config.from_dict({
        "generation": {"max-examples": EXAMPLES},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPT_MISSING_IDS}},
        "operations": [{
            "include-operation-id": "import_state",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
        }],
    })


VENDOR_APP = strict_app()
vendor = schemathesis.openapi.from_wsgi("/openapi.json", VENDOR_APP, config=_config())

ADMIN_APP = open_app()
admin = schemathesis.openapi.from_wsgi("/_mock/openapi.json", ADMIN_APP, config=_admin_config())

STATEFUL_APP = strict_app()
stateful = schemathesis.openapi.from_wsgi("/openapi.json", STATEFUL_APP, config=_config(stateful=True))

_SLOW_IS_FINE = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)


@pytest.mark.slow
@vendor.parametrize()
@_SLOW_IS_FINE
def test_vendor_api_honours_its_contract(case):
    case.call_and_validate()


@pytest.mark.slow
@admin.parametrize()
@_SLOW_IS_FINE
def test_admin_api_honours_its_contract(case):
    case.call_and_validate()


class LinkedWorkflow(stateful.as_state_machine()):
    """Create -> get / upload through the links of the create response, every check after each step."""

    seen: Counter = Counter()

    def setup(self):
        # Each scenario starts from a fresh mock, so a scenario replays identically when shrunk.
        STATEFUL_APP.extensions["mockserver"].reset()

    def after_call(self, response, case):
        super().after_call(response, case)
        LinkedWorkflow.seen[(case.operation.label, response.status_code)] += 1


@pytest.mark.slow
def test_linked_workflow_honours_its_contract():
    LinkedWorkflow.seen.clear()
    LinkedWorkflow.run(settings=settings(
        max_examples=EXAMPLES, stateful_step_count=8, deadline=None,
        suppress_health_check=list(HealthCheck)))
    seen = LinkedWorkflow.seen
    # The links were really followed: a created context was fetched by the id the create returned.
    assert seen[("POST /v2/patient-contexts/", 200)] > 0, seen
    assert seen[("GET /v2/patient-contexts/{patient_context_id}", 200)] > 0, seen
    assert sum(n for (label, _), n in seen.items() if label.startswith("POST /v2/patient-files/upload/")) > 0, seen
