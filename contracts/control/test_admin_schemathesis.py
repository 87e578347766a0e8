"""Schemathesis over the admin API's own OpenAPI document (/_mock/openapi.json): reset, state, tenants,
journal, faults, clock, and the families' test set-up (Haidy's files, transcripts, structure overrides).

Every built-in check runs, on positive and negative data. Documented answers to schema-valid input
that the schema cannot rule out are accepted by positive-data acceptance, and only those: 400 from the
operations that declare it, e.g. PUT /_mock/state (an export that does not load), POST /_mock/faults
(a rule that does nothing), POST /_mock/clock (a time outside years 1-9999); 404 for a random path id.
The mock runs in strict auth with an admin token, so the check that missing or wrong credentials are refused
(401) runs too; POST /_mock/session, given a random token, answers its documented 401.
The number of examples is dialled with $MOCKSERVER_CONTRACT_EXAMPLES.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from contracts.support import ACCEPT_MISSING_IDS, ADMIN_TOKEN, REJECTIONS, examples, strict_app

EXAMPLES = examples()


def _admin_config(document: dict) -> schemathesis.Config:
    # An admin operation that declares 400 uses it for schema-valid input that still cannot be done
    # (an export that does not load, a fault rule that does nothing, a time past year 9999, bad base64).
    with_400 = sorted(op["operationId"] for item in document["paths"].values() for op in item.values()
                      if "400" in op["responses"])
    assert {"import_state", "add_fault", "change_clock"} <= set(with_400)
    # Bodies holding the structure API's nested result (its own contract): the coverage phase alone sends
    # thousands of boundary cases (~15 s), and under `allOf` it drops `format` (a date of ""), and a fuzzed
    # case takes ~0.5 s to draw, so they get a fifth of the examples and no coverage phase. A test helper,
    # and the state import (which holds every family's state, structure overrides included).
    heavy = {"generation": {"max-examples": max(3, EXAMPLES // 5)}, "phases": {"coverage": {"enabled": False}}}
    return schemathesis.Config.from_dict({
        "auth": {"openapi": {"adminToken": {"bearer": ADMIN_TOKEN}}},
        "generation": {"max-examples": EXAMPLES},
        "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPT_MISSING_IDS},
                   "negative_data_rejection": {"expected-statuses": REJECTIONS}},
        "operations": [{
            "include-operation-id": [op for op in with_400 if op != "import_state"],
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
        }, {
            "include-operation-id": "import_state",
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
            **heavy,
        }, {
            "include-operation-id": "override_structure",
            **heavy,
        }, {
            "include-operation-id": "create_session",  # a random token is not the admin token
            "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "401"]}},
        }],
    })


ADMIN_APP = strict_app()
admin = schemathesis.openapi.from_wsgi(
    "/_mock/openapi.json",
    ADMIN_APP,
    config=_admin_config(ADMIN_APP.test_client().get("/_mock/openapi.json").get_json()),
)

_SLOW_IS_FINE = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)


@pytest.mark.slow
@admin.parametrize()
@_SLOW_IS_FINE
def test_admin_api_honours_its_contract(case):
    case.call_and_validate()
