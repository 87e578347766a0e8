"""Esteem's access rules and paging against a plain Python model, driven by a Hypothesis state machine.

A staff of two practices (supervisors, users, an admin; `POST /_mock/tenants/esteem`) plus walk-in
tokens that open auth enrols as users of their own practices. Random users create patients, get
patients assigned, change role or practice; after each step the mock and the model agree:

- every get, update and gauge list answers 200 if the user may see the patient (admin: all;
  supervisor: their practice's; user: created or assigned), 403 if the patient exists but they
  may not, 404 if it does not exist; an update with bare attributes (Rails' wrap_parameters) the same;
- an invalid update or gauge reading answers that same 403 or 404 (Rails finds and authorises the
  patient before it validates the params), and 422 only to a user who may see the patient;
- paging through the list with any page size (and a name search) yields every visible, matching
  patient exactly once, by id, with consistent counts, and a page past the end is empty;
- assessments follow their patient's rules: create answers 201 for a patient the user may see, 403 for
  one they may not, 422 (`patient: must exist`) for none; get, update, delete 200/204 if the user may
  see the assessment's patient, 403 if not, 404 for an assessment that does not exist (never created, or
  deleted), an invalid update the same 403/404 and 422 only to one who may see it; the assessment list,
  paged and filtered by patient and status, yields exactly the visible, matching ones once each, by id.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, rule

from contracts.support import examples, open_app

APP = open_app()
STAFF = {  # token: (role, practice)
    "a-supervisor": ("supervisor", "A"), "a-user-1": ("user", "A"), "a-user-2": ("user", "A"),
    "b-supervisor": ("supervisor", "B"), "b-user": ("user", "B"), "admin": ("admin", "HQ"),
}
WALK_INS = ("walk-in-1", "walk-in-2")
TOKENS = tuple(STAFF) + WALK_INS
NAMES = (("Ann", "Lee"), ("Anna", "Park"), ("Bob", "Stone"), ("Lee", "Annis"))
FORBIDDEN = {"errors": "You are not authorized to access this patient"}
NOT_FOUND = {"errors": "Patient not found"}
NO_ASSESSMENT = {"errors": "Assessment not found"}
MUST_EXIST = {"errors": {"patient": ["must exist"]}}


@dataclass
class Person:
    role: str
    practice: str
    caseload: set[int] = field(default_factory=set)


@dataclass
class Patient:
    id: int
    practice: str
    creator: str
    first: str
    last: str


@dataclass
class Assessment:
    id: int
    patient_id: int
    completed: bool


def may_see(person: Person, token: str, patient: Patient) -> bool:
    """The issue's rules, restated independently of the mock's code."""
    if person.role == "admin":
        return True
    if person.role == "supervisor":
        return patient.practice == person.practice
    return patient.creator == token or patient.id in person.caseload


def provision(users: list[dict]) -> None:
    assert APP.test_client().post("/_mock/tenants/esteem", json={"esteem": {"users": users}}).status_code == 200


class EsteemAccess(RuleBasedStateMachine):
    patient_ids = Bundle("patient_ids")
    assessment_ids = Bundle("assessment_ids")

    @initialize()
    def start(self):
        APP.extensions["mockserver"].reset()
        self.client = APP.test_client()
        provision([{"token": t, "role": r, "practice": p} for t, (r, p) in STAFF.items()])
        self.people = {t: Person(r, p) for t, (r, p) in STAFF.items()}
        self.patients: dict[int, Patient] = {}
        self.assessments: dict[int, Assessment] = {}

    def person(self, token: str) -> Person:
        """Walk-ins are enrolled on their first request: a user of a practice of their own."""
        return self.people.setdefault(token, Person("user", f"own:{token}"))

    def call(self, method: str, url: str, token: str, **kwargs):
        return self.client.open(url, method=method, headers={"X-User-Token": token}, **kwargs)

    @rule(target=patient_ids, who=st.sampled_from(TOKENS), name=st.sampled_from(NAMES))
    def create(self, who, name):
        body = {"patient": {"first_name": name[0], "last_name": name[1], "date_of_birth": "1990-01-01"}}
        resp = self.call("POST", "/v1/patients", who, json=body)
        assert resp.status_code == 201, resp.get_json()
        patient = Patient(resp.get_json()["id"], self.person(who).practice, who, *name)
        assert patient.id not in self.patients
        self.patients[patient.id] = patient
        return patient.id

    @rule(who=st.sampled_from(TOKENS), patient_id=patient_ids)
    def assign(self, who, patient_id):
        provision([{"token": who, "patients": [patient_id]}])
        self.person(who).caseload.add(patient_id)

    @rule(who=st.sampled_from(TOKENS), role=st.sampled_from(["user", "supervisor", "admin"]),
          practice=st.sampled_from([None, "A", "B"]))
    def change(self, who, role, practice):
        provision([{"token": who, "role": role, **({"practice": practice} if practice else {})}])
        person = self.person(who)
        person.role, person.practice = role, practice or person.practice

    @rule(who=st.sampled_from(TOKENS), patient_id=patient_ids | st.integers(1, 2000),
          how=st.sampled_from(["get", "update", "update-bare", "gauges", "update-invalid", "gauge-invalid"]))
    def access(self, who, patient_id, how):
        method, url, kwargs = {
            "get": ("GET", f"/v1/patients/{patient_id}", {}),
            "update": ("PUT", f"/v1/patients/{patient_id}", {"json": {"patient": {"gender": "female"}}}),
            "update-bare": ("PUT", f"/v1/patients/{patient_id}", {"json": {"gender": "female"}}),
            "gauges": ("GET", f"/v1/patients/{patient_id}/gauges", {}),
            "update-invalid": ("PUT", f"/v1/patients/{patient_id}", {"json": {"patient": {"phone": "1"}}}),
            "gauge-invalid": ("POST", f"/v1/patients/{patient_id}/gauges",
                              {"json": {"gauge_type": "mood", "value": 0}}),
        }[how]
        resp = self.call(method, url, who, **kwargs)
        patient = self.patients.get(patient_id)
        if patient is None:
            assert (resp.status_code, resp.get_json()) == (404, NOT_FOUND)
        elif may_see(self.person(who), who, patient):
            assert resp.status_code == (422 if how.endswith("-invalid") else 200), resp.get_json()
            if how in ("get", "update", "update-bare"):
                assert resp.get_json()["id"] == patient_id
        else:
            assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)

    @rule(
        who=st.sampled_from(TOKENS),
        page_size=st.integers(1, 7),
        search=st.sampled_from([None, "ann", "LEE", "ann lee"]),
    )
    def page_through(self, who, page_size, search):
        person = self.person(who)
        term = (search or "").casefold()
        expected = [p.id for _, p in sorted(self.patients.items()) if may_see(person, who, p) and (
            not term or any(term in text.casefold() for text in (p.first, p.last, f"{p.first} {p.last}")))]
        seen, page = [], 1
        query = {"page_size": page_size, **({"search": search} if search else {})}
        while True:
            body = self.call("GET", "/v1/patients", who, query_string={**query, "page": page}).get_json()
            assert body["meta"] == {"page": page, "page_size": page_size, "total_count": len(expected),
                                    "total_pages": -(-len(expected) // page_size)}
            if not body["patients"]:
                break
            assert len(body["patients"]) <= page_size
            seen += [p["id"] for p in body["patients"]]
            page += 1
        assert seen == expected  # each visible patient exactly once, in id order
        assert page == body["meta"]["total_pages"] + 1

    @rule(target=assessment_ids, who=st.sampled_from(TOKENS), patient_id=patient_ids | st.integers(1, 2000),
          completed=st.booleans())
    def create_assessment(self, who, patient_id, completed):
        body = {"assessment": {"patient_id": patient_id, "assessment_type": "phq_9",
                               "responses": [{"question_id": 1, "answer": "2"}],
                               **({"completed_at": "2023-10-27T14:30:00.000Z"} if completed else {})}}
        resp = self.call("POST", "/v1/assessments", who, json=body)
        patient = self.patients.get(patient_id)
        if patient is None:
            assert (resp.status_code, resp.get_json()) == (422, MUST_EXIST)
        elif not may_see(self.person(who), who, patient):
            assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)
        else:
            assert resp.status_code == 201, resp.get_json()
            made = resp.get_json()
            assert made["status"] == ("completed" if completed else "in_progress")
            assert made["id"] not in self.assessments
            self.assessments[made["id"]] = Assessment(made["id"], patient_id, completed)
            return made["id"]
        return -1  # no assessment: its id names none

    @rule(who=st.sampled_from(TOKENS), assessment_id=assessment_ids | st.integers(1, 2000),
          how=st.sampled_from(["get", "update", "update-bare", "update-invalid", "delete"]))
    def access_assessment(self, who, assessment_id, how):
        url = f"/v1/assessments/{assessment_id}"
        method, kwargs = {
            "get": ("GET", {}),
            "update": ("PUT", {"json": {"assessment": {"assessment_type": "gad_7"}}}),
            "update-bare": ("PUT", {"json": {"assessment_type": "gad_7"}}),
            "update-invalid": ("PUT", {"json": {"assessment": {"responses": []}}}),
            "delete": ("DELETE", {}),
        }[how]
        resp = self.call(method, url, who, **kwargs)
        assessment = self.assessments.get(assessment_id)
        if assessment is None:
            assert (resp.status_code, resp.get_json()) == (404, NO_ASSESSMENT)
        elif may_see(self.person(who), who, self.patients[assessment.patient_id]):
            expected = {"update-invalid": 422, "delete": 204}.get(how, 200)
            assert resp.status_code == expected, resp.get_json()
            if how == "delete":
                del self.assessments[assessment_id]
            elif expected == 200:
                assert resp.get_json()["id"] == assessment_id
        else:
            assert (resp.status_code, resp.get_json()) == (403, FORBIDDEN)

    @rule(who=st.sampled_from(TOKENS), page_size=st.integers(1, 7), patient_id=st.none() | patient_ids,
          status=st.sampled_from([None, "completed", "in_progress"]))
    def page_through_assessments(self, who, page_size, patient_id, status):
        person = self.person(who)
        expected = [a.id for _, a in sorted(self.assessments.items())
                    if may_see(person, who, self.patients[a.patient_id])
                    and (patient_id is None or a.patient_id == patient_id)
                    and (status is None or (status == "completed") == a.completed)]
        query = {"page_size": page_size, **({"patient_id": patient_id} if patient_id else {}),
                 **({"status": status} if status else {})}
        seen, page = [], 1
        while True:
            body = self.call("GET", "/v1/assessments", who, query_string={**query, "page": page}).get_json()
            assert body["meta"] == {"page": page, "page_size": page_size, "total_count": len(expected),
                                    "total_pages": -(-len(expected) // page_size)}
            if not body["assessments"]:
                break
            seen += [a["id"] for a in body["assessments"]]
            page += 1
        assert seen == expected


@pytest.mark.slow
def test_access_rules_and_paging_hold_for_every_user():
    EsteemAccess.TestCase.settings = settings(
        max_examples=examples(25), stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    EsteemAccess.TestCase().runTest()
