"""Schemathesis over the Heidi operations of the mock's OpenAPI document: the contract is what the mock does.

Every built-in check runs on positive and negative data (examples, coverage and fuzzing phases), and
statefully through the OpenAPI links: profile -> session (created for the profile) -> link the session
to the profile -> get the session and the profile (positive data only there: its point is the links,
negative data is the other test's). The mock runs in strict auth mode with one API key, so a missing
or wrong key or token must get 401; the bearer is a JWT the mock issued for that key.

Answers to schema-valid input that the schema cannot rule out are accepted by positive-data
acceptance where the docs or docs/assumptions.md prescribe them, and only there:
- 404 from operations on an id that does not exist (a profile, a session, a context session, a recording, a
  template);
- 400 from the linked-account operations: already linked, nothing linked (NoLinkedUserException);
- the scribe flow's (`SCRIBE`): a file that is not audio (or not a document) 400, a custom template before a note
  400, JSON inside a form field or a string field that is not JSON 422.
Streamed answers (consult note, Ask Heidi) are JSON lines: schemathesis checks their status, content type and
headers, not each line (it validates JSON bodies only); tests/heidi/test_scribe*.py check the lines.

The docs' profile and session ids (which every tenant starts with) are offered through dictionaries,
so generated requests also reach existing objects. $MOCKSERVER_CONTRACT_EXAMPLES dials the examples.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.openapi.checks import AllowHeaderMismatch, EnsureResourceAvailability, UseAfterFree

from contracts.support import examples, workflow
from mockserver.app import create_app
from mockserver.core.config import Config
from mockserver.harness import contract_hooks  # noqa: F401  (streamed answers are checked line by line)

EXAMPLES = examples()
TENANTS_FILE = Path(__file__).with_name("strict-tenants.json")
API_KEY = "heidi-contract-key"
DOC_PROFILE = "5eb7cf5a86d9755df3a6c593"
DOC_SESSIONS = ["1234567890", "0987654321", "1234567891", "1234567892"]
BASE = "/api/v2/ml-scribe/open-api"
MISSING_IDS = ["2xx", "404"]
NOT_LINKED = ["2xx", "400"]
SCRIBE = [
    ("upload_audio", [*MISSING_IDS, "400"]),  # not audio, or broken audio: 400 (documented body)
    ("open_recording", MISSING_IDS),
    ("upload_audio_chunk", [*MISSING_IDS, "400"]),  # + an unknown recording 404, a finished one 400
    ("finish_recording", MISSING_IDS),
    ("get_transcript", MISSING_IDS),
    ("get_live_transcript", MISSING_IDS),
    ("get_live_transcript_as_printed", MISSING_IDS),
    ("generate_consult_note", [*MISSING_IDS, "422"]),  # + an unknown template 404, a third_party_template not JSON
    ("fill_custom_template", [*MISSING_IDS, "400"]),  # before a consult note: 400 (documented precondition)
    ("create_document", MISSING_IDS),  # + an unknown template
    ("list_documents", MISSING_IDS),
    ("upload_context_document", [*MISSING_IDS, "400", "422"]),  # a file of another type 400, meta_data not JSON 422
    ("list_context_documents", MISSING_IDS),
    ("delete_context_documents", MISSING_IDS),
    ("get_clinical_codes", MISSING_IDS),
    ("ask_heidi", MISSING_IDS),
]
"""The scribe flow's operations, all on a session, and what schema-valid input may also get (docs/assumptions.md)."""


def strict_app():
    return create_app(Config(auth="strict", tenants_file=str(TENANTS_FILE), validate_responses=True))


def jwt_for(app) -> str:
    """A token for the configured key, long-lived enough for any run (the clock is never moved here)."""
    resp = app.test_client().get(f"{BASE}/jwt", query_string={"email": "contract@example.com",
                                                                "third_party_internal_id": "contract-user"},
                                 headers={"Heidi-Api-Key": API_KEY})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["token"]


def _config(token: str, *, stateful: bool = False) -> schemathesis.Config:
    by_id = [
        {
            "include-operation-id": op,
            "checks": {"positive_data_acceptance": {"expected-statuses": statuses}},
            "parameters": params,
        }
        for op, statuses, params in [
            (
                "get_patient_profile",
                MISSING_IDS,
                {"path.patient_profile_id": {"dictionary": "profiles", "probability": 0.5}},
            ),
            (
                "update_patient_profile",
                MISSING_IDS,
                {"path.patient_profile_id": {"dictionary": "profiles", "probability": 0.5}},
            ),
            (
                "link_sessions_to_patient_profile",
                MISSING_IDS,
                {"path.patient_profile_id": {"dictionary": "profiles", "probability": 0.5}},
            ),
            (
                "create_session",
                MISSING_IDS,
                {"body.patient_profile_id": {"dictionary": "profiles", "probability": 0.5}},
            ),
            ("get_session", MISSING_IDS, {"path.session_id": {"dictionary": "sessions", "probability": 0.5}}),
            ("update_session", MISSING_IDS, {"path.session_id": {"dictionary": "sessions", "probability": 0.5}}),
            ("list_linked_user_sessions", NOT_LINKED, {}),
            ("link_account", NOT_LINKED, {}),
            ("unlink_account", NOT_LINKED, {}),
            *[(op, statuses, {"path.session_id": {"dictionary": "sessions", "probability": 0.5}})
              for op, statuses in SCRIBE],
        ]
    ]
    return schemathesis.Config.from_dict({
        "auth": {"openapi": {"heidiBearer": {"bearer": token}, "heidiApiKey": {"api_key": API_KEY}}},
        "generation": {"max-examples": EXAMPLES},
        "phases": {"stateful": {"max-steps": 12, "generation": {"mode": "positive"}}} if stateful else {},
        "dictionaries": {"profiles": {"values": [DOC_PROFILE]}, "sessions": {"values": DOC_SESSIONS}},
        "operations": by_id,
    })


def _heidi_only(schema):
    """The Heidi operations. An exclude, because `include(tag=...)` is OR-ed with the per-operation
    config entries above (schemathesis 4), which would let every family through."""
    return schema.exclude(func=lambda ctx: "heidi" not in (ctx.operation.tags or []))


APP = strict_app()
heidi = _heidi_only(schemathesis.openapi.from_wsgi("/openapi.json", APP, config=_config(jwt_for(APP))))

STATEFUL_APP = strict_app()
stateful = _heidi_only(schemathesis.openapi.from_wsgi(
    "/openapi.json", STATEFUL_APP, config=_config(jwt_for(STATEFUL_APP), stateful=True)))


def _keep_unless_false_alarm(context, failure, case, response) -> bool:
    """Drop three false alarms, and only those.

    - `allow_header_conformance` on `/sessions/linked-user`: that URL is also an instance of
      `/sessions/{session_id}`, so a PATCH to it is routed there (a 404 SessionNotFoundError, as FastAPI
      would route it too) and `Allow` rightly lists PATCH. Any other missing or extra method still fails.
    - `ensure_resource_availability` when the 404 is about another id, named in the body: linking an
      unknown session to the profile just created answers `Session <id> not found`. A 404 for the id in
      the path (`Session not found`, `Patient profile not found`) still fails.
    - `use_after_free` after `DELETE /sessions/{id}/context-documents?ids=...`: that deletes the documents named in
      the query, not the collection at the path, whose list then rightly answers 200 (without them)."""
    if isinstance(failure, UseAfterFree) and case.operation.path == "/sessions/{session_id}/context-documents":
        return False
    if isinstance(failure, AllowHeaderMismatch) and case.operation.path == "/sessions/linked-user":
        return failure.missing_methods != [] or set(failure.undocumented_methods) != {"PATCH"}
    if isinstance(failure, EnsureResourceAvailability):
        error = response.json().get("detail", {})
        return not (error.get("type") == "SessionNotFoundError" and error.get("msg") != "Session not found")
    return True


for _schema in (heidi, stateful):
    _schema.hook("filter_failure")(_keep_unless_false_alarm)


@pytest.mark.slow
@heidi.parametrize()
@settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
def test_heidi_honours_its_contract(case):
    case.call_and_validate()


class HeidiLinkedWorkflow(workflow(stateful, STATEFUL_APP, start=("/patient-profiles", "POST"))):
    """Profile -> session -> link -> get, following the links, every check after each step. Every scenario
    starts where the flow starts, with a profile: schemathesis would not start there, as its root heuristic
    takes the body's `ehr_patient_id` for a foreign key of a resource nothing produces."""


@pytest.mark.slow
def test_linked_workflow_honours_its_contract():
    reached = [("POST /patient-profiles", 200), ("POST /sessions", 200), ("GET /sessions/{session_id}", 200),
               ("POST /patient-profiles/{patient_profile_id}/sessions", 200)]
    seen = HeidiLinkedWorkflow.explore(EXAMPLES, steps=12, until=lambda seen: all(seen[step] for step in reached))
    assert [step for step in reached if not seen[step]] == [], seen
