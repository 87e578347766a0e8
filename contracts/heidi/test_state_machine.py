"""Heidi patient profiles and sessions against a plain Python model, driven by a Hypothesis state machine.

Two tenants (two API keys, open auth), each starting with the docs' profile and two sessions. Rules
create, patch, list, link and batch-delete profiles, and create, patch and get sessions, with ids that
exist, were deleted, belong to the other tenant or never existed. After every step the mock and the
model agree:

- a profile answers what was sent, merged over what it had (only the fields sent change);
- `session_count` is the number of the tenant's sessions linked to the profile: creating a session
  for a profile links it, linking moves a session, deleting a profile unlinks its sessions;
- linking is all or nothing, and a linked session carries the profile's patient details;
- a deleted, foreign or unknown profile or session is 404 in Heidi's shape, with the documented type;
- each tenant lists exactly its own profiles, in creation order, and the `ehr_patient_id` filter
  equals the model's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from contracts.support import examples, open_app

BASE = "/api/v2/ml-scribe/open-api"
TENANTS = ("tenant-a-key", "tenant-b-key")
DOC_PROFILE = "5eb7cf5a86d9755df3a6c593"
DOC_FIELDS = {
    "first_name": "John",
    "last_name": "Doe",
    "birth_date": "1990-01-15",
    "gender": "MALE",
    "ehr_patient_id": "EHR123456",
    "phone": "+1234567890",
    "email": "john.doe@example.com",
    "patient_sex_code": None,
    "identifiers": None,
    "demographic_string": "",
    "remember_consent": None,
    "additional_context": "Patient has a history of hypertension",
}
DOC_SESSIONS = ("1234567890", "0987654321")
EHR_IDS = ("EHR123456", "EHR-1", "EHR-2")
"""A few values, so that profiles share them and the filter has something to find."""
NEVER = ("5eb7cf5a86d9755df3a6c594", "999")

APP = open_app()

texts = st.text(max_size=12)
profile_fields = st.fixed_dictionaries({}, optional={
    "first_name": st.none() | texts, "last_name": st.none() | texts,
    "birth_date": st.none() | st.dates().map(lambda d: d.isoformat()),
    "gender": st.sampled_from([None, "MALE", "FEMALE", "OTHER"]),
    "ehr_patient_id": st.none() | st.sampled_from(EHR_IDS),
    "phone": st.none() | texts, "email": st.none() | st.emails(),
    "patient_sex_code": st.none() | st.integers(0, 9), "identifiers": st.none() | st.lists(texts, max_size=2),
    "demographic_string": st.none() | texts, "remember_consent": st.none() | st.booleans(),
    "additional_context": st.none() | texts,
})
patient_changes = st.fixed_dictionaries({}, optional={
    "name": st.none() | texts, "gender": st.sampled_from([None, "MALE", "FEMALE", "OTHER"]),
    "dob": st.none() | st.dates().map(lambda d: d.isoformat()), "demographic_details": st.none() | texts,
})
session_changes = st.fixed_dictionaries({}, optional={
    "duration": st.integers(0, 7200), "clinician_notes": st.lists(texts, max_size=3),
    "patient": patient_changes, "ehr_appt_id": st.none() | texts,
})


@dataclass
class Profile:
    tenant: str
    fields: dict


@dataclass
class Session:
    tenant: str
    profile: str | None = None
    patient: dict = field(
        default_factory=lambda: {"name": "", "gender": None, "dob": None, "demographic_details": None}
    )
    ehr_patient_id: str | None = None
    duration: int = 0
    clinician_notes: list = field(default_factory=list)
    ehr_appt_id: str | None = None


class HeidiProfilesAndSessions(RuleBasedStateMachine):
    profiles = Bundle("profiles")
    sessions = Bundle("sessions")

    def __init__(self):
        super().__init__()
        APP.extensions["mockserver"].reset()
        self.client = APP.test_client()
        self.model_profiles: dict[tuple[str, str], Profile] = {}
        self.model_sessions: dict[tuple[str, str], Session] = {}
        self.order: dict[str, list[str]] = {t: [] for t in TENANTS}
        self.ever: list[str] = [DOC_PROFILE, NEVER[0]]
        """Every profile id seen, deleted or not, in the order of the steps (ids are random: never sort them)."""
        self.auth: dict[str, dict] = {}

    @initialize(target=profiles)
    def start(self):
        """Each tenant's token, and the docs' objects every tenant starts with."""
        for tenant in TENANTS:
            resp = self.client.get(
                f"{BASE}/jwt",
                query_string={"email": "dr@example.com", "third_party_internal_id": "u"},
                headers={"Heidi-Api-Key": tenant},
            )
            assert resp.status_code == 200
            self.auth[tenant] = {"Authorization": f"Bearer {resp.get_json()['token']}"}
            self.model_profiles[(tenant, DOC_PROFILE)] = Profile(tenant, dict(DOC_FIELDS))
            self.order[tenant].append(DOC_PROFILE)
            for session_id in DOC_SESSIONS:
                self.model_sessions[(tenant, session_id)] = Session(tenant)
        return DOC_PROFILE

    # -- helpers ---------------------------------------------------------------------------------

    def call(self, method: str, path: str, tenant: str, body=None):
        resp = self.client.open(BASE + path, method=method, json=body, headers=self.auth[tenant])
        return resp.status_code, resp.get_json()

    @staticmethod
    def assert_not_found(status, body, type_):
        assert status == 404, (status, body)
        assert set(body) == {"detail"} and body["detail"]["type"] == type_, body

    def count(self, tenant: str, profile_id: str) -> int:
        return sum(1 for (t, _), s in self.model_sessions.items() if t == tenant and s.profile == profile_id)

    def link(self, tenant: str, session_id: str, profile_id: str) -> None:
        f = self.model_profiles[(tenant, profile_id)].fields
        session = self.model_sessions[(tenant, session_id)]
        session.profile = profile_id
        session.patient = {"name": " ".join(n for n in (f["first_name"], f["last_name"]) if n), "gender": f["gender"],
                           "dob": f["birth_date"], "demographic_details": f["demographic_string"]}
        session.ehr_patient_id = f["ehr_patient_id"]

    def pick(self, data, bundle_value: str, tenant: str, kind: str) -> tuple[str, str]:
        """Address `bundle_value` as its own tenant (usually), the other tenant, or an id that never was."""
        choice = data.draw(st.sampled_from(["own", "own", "own", "other", "never"]), label=f"{kind} owner")
        if choice == "never":
            return tenant, data.draw(st.sampled_from(NEVER), label="unknown id")
        return (tenant if choice == "own" else next(t for t in TENANTS if t != tenant)), bundle_value

    def owner_of_profile(self, profile_id: str) -> str:
        owners = [t for t in TENANTS if (t, profile_id) in self.model_profiles]
        return owners[0] if owners else TENANTS[0]

    # -- profiles --------------------------------------------------------------------------------

    @rule(target=profiles, tenant=st.sampled_from(TENANTS), values=profile_fields)
    def create_profile(self, tenant, values):
        status, body = self.call("POST", "/patient-profiles", tenant, values)
        assert status == 200, body
        profile = body["data"]
        expected = {**{name: None for name in DOC_FIELDS}, **values}
        assert {k: profile[k] for k in DOC_FIELDS} == expected
        self.model_profiles[(tenant, profile["id"])] = Profile(tenant, expected)
        self.order[tenant].append(profile["id"])
        self.ever.append(profile["id"])
        return profile["id"]

    @rule(profile_id=profiles, changes=profile_fields, data=st.data())
    def patch_profile(self, profile_id, changes, data):
        tenant, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        status, body = self.call("PATCH", f"/patient-profiles/{target}", tenant, changes)
        model = self.model_profiles.get((tenant, target))
        if model is None:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        assert status == 200, body
        model.fields.update(changes)
        assert {k: body["data"][k] for k in DOC_FIELDS} == model.fields

    @rule(profile_id=profiles, data=st.data())
    def get_profile(self, profile_id, data):
        tenant, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        status, body = self.call("GET", f"/patient-profiles/{target}", tenant)
        model = self.model_profiles.get((tenant, target))
        if model is None:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        assert status == 200 and {k: body["data"][k] for k in DOC_FIELDS} == model.fields

    @rule(tenant=st.sampled_from(TENANTS), data=st.data())
    def batch_delete(self, tenant, data):
        ids = data.draw(st.lists(st.sampled_from(self.ever), min_size=1, max_size=3), label="ids")
        status, body = self.call("DELETE", "/patient-profiles:batch-delete", tenant, {"patient_profile_ids": ids})
        assert (status, body) == (200, {"is_success": True})
        for profile_id in ids:
            if self.model_profiles.pop((tenant, profile_id), None) is not None:
                self.order[tenant].remove(profile_id)
                for (t, _), session in self.model_sessions.items():
                    if t == tenant and session.profile == profile_id:
                        session.profile = None

    # -- sessions --------------------------------------------------------------------------------

    @rule(target=sessions, tenant=st.sampled_from(TENANTS), data=st.data())
    def create_session(self, tenant, data):
        profile_id = data.draw(st.none() | st.sampled_from(self.ever), label="patient_profile_id")
        status, body = self.call("POST", "/sessions", tenant, {"patient_profile_id": profile_id})
        if profile_id is not None and (tenant, profile_id) not in self.model_profiles:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return multiple()
        assert status == 200, body
        session_id = body["session_id"]
        assert session_id.isdigit() and len(session_id) == 39
        self.model_sessions[(tenant, session_id)] = Session(tenant)
        if profile_id is not None:
            self.link(tenant, session_id, profile_id)
        return session_id

    def session_owner(self, session_id: str) -> str:
        owners = [t for t in TENANTS if (t, session_id) in self.model_sessions]
        return owners[0] if len(owners) == 1 else TENANTS[0]

    @rule(profile_id=profiles, session_ids=st.lists(sessions, min_size=1, max_size=3), data=st.data())
    def link_sessions(self, profile_id, session_ids, data):
        tenant, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        if data.draw(st.booleans(), label="add an unknown session"):
            session_ids = session_ids + [NEVER[1]]
        status, body = self.call("POST", f"/patient-profiles/{target}/sessions", tenant, {"session_ids": session_ids})
        if (tenant, target) not in self.model_profiles:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        missing = [s for s in session_ids if (tenant, s) not in self.model_sessions]
        if missing:
            self.assert_not_found(status, body, "SessionNotFoundError")
            assert body["detail"]["msg"] == f"Session {missing[0]} not found"
            return
        assert status == 200, body
        assert [s["session_id"] for s in body["data"]] == list(dict.fromkeys(session_ids))
        for session_id in session_ids:
            self.link(tenant, session_id, target)

    @rule(session_id=sessions, changes=session_changes, data=st.data())
    def patch_session(self, session_id, changes, data):
        tenant, target = self.pick(data, session_id, self.session_owner(session_id), "session")
        status, body = self.call("PATCH", f"/sessions/{target}", tenant, changes)
        model = self.model_sessions.get((tenant, target))
        if model is None:
            self.assert_not_found(status, body, "SessionNotFoundError")
            return
        assert status == 200, body
        for name, value in changes.items():
            if name == "patient":
                model.patient.update(value)
            else:
                setattr(model, name, value)
        self.assert_session(body["session"], model)

    @rule(session_id=sessions, data=st.data())
    def get_session(self, session_id, data):
        tenant, target = self.pick(data, session_id, self.session_owner(session_id), "session")
        status, body = self.call("GET", f"/sessions/{target}", tenant)
        model = self.model_sessions.get((tenant, target))
        if model is None:
            self.assert_not_found(status, body, "SessionNotFoundError")
            return
        assert status == 200
        self.assert_session(body["session"], model)

    @staticmethod
    def assert_session(got: dict, model: Session) -> None:
        assert got["patient"] == model.patient
        assert (got["ehr_patient_id"], got["duration"], got["clinician_notes"], got["ehr_appt_id"]) == (
            model.ehr_patient_id, model.duration, model.clinician_notes, model.ehr_appt_id)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def each_tenant_lists_exactly_its_profiles_with_their_session_count(self):
        if not self.auth:
            return
        for tenant in TENANTS:
            status, body = self.call("GET", "/patient-profiles", tenant)
            assert status == 200
            assert [p["id"] for p in body["data"]] == self.order[tenant]
            for profile in body["data"]:
                assert profile["session_count"] == self.count(tenant, profile["id"]), profile["id"]
                assert {k: profile[k] for k in DOC_FIELDS} == self.model_profiles[(tenant, profile["id"])].fields

    @rule(tenant=st.sampled_from(TENANTS), ehr_patient_id=st.sampled_from(EHR_IDS))
    def list_filtered(self, tenant, ehr_patient_id):
        status, body = self.call("GET", f"/patient-profiles?ehr_patient_id={ehr_patient_id}", tenant)
        assert status == 200
        assert [p["id"] for p in body["data"]] == [
            pid
            for pid in self.order[tenant]
            if self.model_profiles[(tenant, pid)].fields["ehr_patient_id"] == ehr_patient_id
        ]


HeidiProfilesAndSessions.TestCase.settings = settings(
    max_examples=examples(), stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

TestHeidiProfilesAndSessionsFollowTheModel = pytest.mark.slow(HeidiProfilesAndSessions.TestCase)
