"""Schemathesis over the Haidy structure API: every check on positive and negative data, and stateful runs
from each structure endpoint to /v2/tasks through the `PollTask` links.

Schema-valid input may still get the documented 422 when its *content* is unprocessable (a base64 that
is not a PDF, PNG or JPEG; a source that names two content fields), and URL sources point nowhere
reachable, so their tasks end FAILED: both are the API's documented behaviour, not drift.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contracts.support import TENANTS_FILE, TOKEN, examples, workflow
from mockserver import Config, create_app

EXAMPLES = examples(5)
STRUCTURE_PATHS = {"/v2/structure", "/v2/structure/fhir", "/v2/structure/text", "/v2/tasks",
                   "/v2/structure/documents/fhir/base64", "/v2/structure/documents/fhir/url"}
TEXTS = ["Patient presents with hypertension. Current medications: Lisinopril 10mg daily.",
         "Vital signs: BP 120/80, HR 72, Temp 38.5°C", "Patientin mit Hypertonie, keine Allergien."]


def _app():
    return create_app(Config(auth="strict", tenants_file=str(TENANTS_FILE), validate_responses=True,
                             task_timing="instant"))


def _schema(app):
    config = schemathesis.Config.from_dict({
        "auth": {"openapi": {"bearerAuth": {"bearer": TOKEN}}},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 8}},
        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "404", "422"]}},
        # The deprecated endpoints document 400 for input their schemas cannot rule out (invalid base64;
        # a current_fhir_bundle string that is not a Bundle).
        "operations": [{"include-operation-id": operation,
                        "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400", "422"]}}}
                       for operation in ("legacy_base64_to_fhir", "legacy_url_to_fhir")] + [
            # Their bodies may carry a whole HolisticPatient: the coverage phase alone sends thousands of
            # boundary cases of it (~30 s each); examples and fuzzing still exercise it.
            {"include-operation-id": operation, "phases": {"coverage": {"enabled": False}}}
            for operation in ("structure", "structure_fhir")],
    })
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=config)
    return schema.exclude(func=lambda ctx: ctx.operation.path not in STRUCTURE_PATHS)


APP = _app()
structure = _schema(APP)
STATEFUL_APP = _app()
stateful = _schema(STATEFUL_APP)
_SETTINGS = settings(suppress_health_check=list(HealthCheck), deadline=None)


@pytest.mark.slow
@structure.parametrize()
@_SETTINGS
def test_structure_api_honours_its_contract(case):
    case.call_and_validate()


class StructureToTasks(workflow(stateful, STATEFUL_APP, start=("/v2/structure/text", "POST"))):
    """Start tasks, then poll them by the task_id the start returned, every check after each step. Every
    scenario starts a task (the cheapest way, from text), so there is always one to poll: left to itself,
    five scenarios of a few random steps sometimes never reached a poll."""


@pytest.mark.slow
def test_polling_through_the_links_honours_the_contract():
    # About one scenario in three polls its task (schemathesis picks each next step at random): twenty
    # scenarios, however low the dial, make a run without any poll a one-in-several-thousand event.
    seen = StructureToTasks.explore(max(EXAMPLES, 20), steps=6)
    polled = sum(n for (label, status), n in seen.items() if label == "POST /v2/tasks" and status == 200)
    assert polled > 0, seen
