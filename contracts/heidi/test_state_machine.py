"""Heidi patient profiles and sessions against a plain Python model, driven by a Hypothesis state machine.

Three API users (actors): two users of one API key and one user of another key (open auth), each starting
with its own copy of the docs' profile and two sessions: Heidi data belongs to the API user, not to the key.
Rules create, patch, list, link and batch-delete profiles, create, patch and get sessions, and buy a new JWT
for an actor, with ids that exist, were deleted, belong to another actor or never existed. After every step
the mock and the model agree:

- a profile answers what was sent, merged over what it had (only the fields sent change);
- `session_count` is the number of the actor's sessions linked to the profile: creating a session
  for a profile links it, linking moves a session, deleting a profile unlinks its sessions;
- linking is all or nothing, and a linked session carries the profile's patient details;
- a deleted, unknown or another actor's profile or session (of the same key or not) is 404 in Heidi's
  shape, with the documented type;
- each actor lists exactly its own profiles, in creation order, and the `ehr_patient_id` filter
  equals the model's; a new JWT for the same user sees the same data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule

from contracts.support import examples, open_app

BASE = "/api/v2/ml-scribe/open-api"
ACTORS = {"a/u": ("tenant-a-key", "u"), "a/v": ("tenant-a-key", "v"), "b/u": ("tenant-b-key", "u")}
"""Actor -> (API key, third_party_internal_id): a/u and a/v are two users of one key; b/u has the same id at
another key."""
ACTOR_NAMES = tuple(ACTORS)
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
    actor: str
    """The actor that owns it."""
    fields: dict


@dataclass
class Session:
    actor: str
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
        self.order: dict[str, list[str]] = {t: [] for t in ACTOR_NAMES}
        self.ever: list[str] = [DOC_PROFILE, NEVER[0]]
        """Every profile id seen, deleted or not, in the order of the steps (ids are random: never sort them)."""
        self.auth: dict[str, dict] = {}

    @initialize(target=profiles)
    def start(self):
        """Each actor's token, and the docs' objects every API user starts with."""
        for actor in ACTOR_NAMES:
            self.login(actor)
            self.model_profiles[(actor, DOC_PROFILE)] = Profile(actor, dict(DOC_FIELDS))
            self.order[actor].append(DOC_PROFILE)
            for session_id in DOC_SESSIONS:
                self.model_sessions[(actor, session_id)] = Session(actor)
        return DOC_PROFILE

    # -- helpers ---------------------------------------------------------------------------------

    def login(self, actor: str) -> None:
        key, user = ACTORS[actor]
        resp = self.client.get(
            f"{BASE}/jwt",
            query_string={"email": f"{user}@example.com", "third_party_internal_id": user},
            headers={"Heidi-Api-Key": key},
        )
        assert resp.status_code == 200
        self.auth[actor] = {"Authorization": f"Bearer {resp.get_json()['token']}"}

    def call(self, method: str, path: str, actor: str, body=None):
        resp = self.client.open(BASE + path, method=method, json=body, headers=self.auth[actor])
        return resp.status_code, resp.get_json()

    @staticmethod
    def assert_not_found(status, body, type_):
        assert status == 404, (status, body)
        assert set(body) == {"detail"} and body["detail"]["type"] == type_, body

    def count(self, actor: str, profile_id: str) -> int:
        return sum(1 for (t, _), s in self.model_sessions.items() if t == actor and s.profile == profile_id)

    def link(self, actor: str, session_id: str, profile_id: str) -> None:
        f = self.model_profiles[(actor, profile_id)].fields
        session = self.model_sessions[(actor, session_id)]
        session.profile = profile_id
        session.patient = {"name": " ".join(n for n in (f["first_name"], f["last_name"]) if n), "gender": f["gender"],
                           "dob": f["birth_date"], "demographic_details": f["demographic_string"]}
        session.ehr_patient_id = f["ehr_patient_id"]

    def pick(self, data, bundle_value: str, actor: str, kind: str) -> tuple[str, str]:
        """Address `bundle_value` as its own actor (usually), another actor (of the same key or not), or an id
        that never was."""
        choice = data.draw(st.sampled_from(["own", "own", "own", "other", "never"]), label=f"{kind} owner")
        if choice == "never":
            return actor, data.draw(st.sampled_from(NEVER), label="unknown id")
        if choice == "own":
            return actor, bundle_value
        return data.draw(st.sampled_from([t for t in ACTOR_NAMES if t != actor]), label="other actor"), bundle_value

    def owner_of_profile(self, profile_id: str) -> str:
        owners = [t for t in ACTOR_NAMES if (t, profile_id) in self.model_profiles]
        return owners[0] if owners else ACTOR_NAMES[0]

    # -- profiles --------------------------------------------------------------------------------

    @rule(target=profiles, actor=st.sampled_from(ACTOR_NAMES), values=profile_fields)
    def create_profile(self, actor, values):
        status, body = self.call("POST", "/patient-profiles", actor, values)
        assert status == 200, body
        profile = body["data"]
        expected = {**{name: None for name in DOC_FIELDS}, **values}
        assert {k: profile[k] for k in DOC_FIELDS} == expected
        self.model_profiles[(actor, profile["id"])] = Profile(actor, expected)
        self.order[actor].append(profile["id"])
        self.ever.append(profile["id"])
        return profile["id"]

    @rule(profile_id=profiles, changes=profile_fields, data=st.data())
    def patch_profile(self, profile_id, changes, data):
        actor, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        status, body = self.call("PATCH", f"/patient-profiles/{target}", actor, changes)
        model = self.model_profiles.get((actor, target))
        if model is None:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        assert status == 200, body
        model.fields.update(changes)
        assert {k: body["data"][k] for k in DOC_FIELDS} == model.fields

    @rule(profile_id=profiles, data=st.data())
    def get_profile(self, profile_id, data):
        actor, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        status, body = self.call("GET", f"/patient-profiles/{target}", actor)
        model = self.model_profiles.get((actor, target))
        if model is None:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        assert status == 200 and {k: body["data"][k] for k in DOC_FIELDS} == model.fields

    @rule(actor=st.sampled_from(ACTOR_NAMES), data=st.data())
    def batch_delete(self, actor, data):
        ids = data.draw(st.lists(st.sampled_from(self.ever), min_size=1, max_size=3), label="ids")
        status, body = self.call("DELETE", "/patient-profiles:batch-delete", actor, {"patient_profile_ids": ids})
        assert (status, body) == (200, {"is_success": True})
        for profile_id in ids:
            if self.model_profiles.pop((actor, profile_id), None) is not None:
                self.order[actor].remove(profile_id)
                for (t, _), session in self.model_sessions.items():
                    if t == actor and session.profile == profile_id:
                        session.profile = None

    # -- sessions --------------------------------------------------------------------------------

    @rule(target=sessions, actor=st.sampled_from(ACTOR_NAMES), data=st.data())
    def create_session(self, actor, data):
        profile_id = data.draw(st.none() | st.sampled_from(self.ever), label="patient_profile_id")
        status, body = self.call("POST", "/sessions", actor, {"patient_profile_id": profile_id})
        if profile_id is not None and (actor, profile_id) not in self.model_profiles:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return multiple()
        assert status == 200, body
        session_id = body["session_id"]
        assert session_id.isdigit() and len(session_id) == 39
        self.model_sessions[(actor, session_id)] = Session(actor)
        if profile_id is not None:
            self.link(actor, session_id, profile_id)
        return session_id

    def session_owner(self, session_id: str) -> str:
        owners = [t for t in ACTOR_NAMES if (t, session_id) in self.model_sessions]
        return owners[0] if len(owners) == 1 else ACTOR_NAMES[0]

    @rule(profile_id=profiles, session_ids=st.lists(sessions, min_size=1, max_size=3), data=st.data())
    def link_sessions(self, profile_id, session_ids, data):
        actor, target = self.pick(data, profile_id, self.owner_of_profile(profile_id), "profile")
        if data.draw(st.booleans(), label="add an unknown session"):
            session_ids = session_ids + [NEVER[1]]
        status, body = self.call("POST", f"/patient-profiles/{target}/sessions", actor, {"session_ids": session_ids})
        if (actor, target) not in self.model_profiles:
            self.assert_not_found(status, body, "PatientProfileNotFoundError")
            return
        missing = [s for s in session_ids if (actor, s) not in self.model_sessions]
        if missing:
            self.assert_not_found(status, body, "SessionNotFoundError")
            assert body["detail"]["msg"] == f"Session {missing[0]} not found"
            return
        assert status == 200, body
        assert [s["session_id"] for s in body["data"]] == list(dict.fromkeys(session_ids))
        for session_id in session_ids:
            self.link(actor, session_id, target)

    @rule(session_id=sessions, changes=session_changes, data=st.data())
    def patch_session(self, session_id, changes, data):
        actor, target = self.pick(data, session_id, self.session_owner(session_id), "session")
        status, body = self.call("PATCH", f"/sessions/{target}", actor, changes)
        model = self.model_sessions.get((actor, target))
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
        actor, target = self.pick(data, session_id, self.session_owner(session_id), "session")
        status, body = self.call("GET", f"/sessions/{target}", actor)
        model = self.model_sessions.get((actor, target))
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

    @rule(actor=st.sampled_from(ACTOR_NAMES))
    def new_token(self, actor):
        """The same user buys another JWT: the invariant then checks it sees the same data."""
        self.login(actor)

    # -- invariants ------------------------------------------------------------------------------

    @invariant()
    def each_actor_lists_exactly_its_profiles_with_their_session_count(self):
        if not self.auth:
            return
        for actor in ACTOR_NAMES:
            status, body = self.call("GET", "/patient-profiles", actor)
            assert status == 200
            assert [p["id"] for p in body["data"]] == self.order[actor]
            for profile in body["data"]:
                assert profile["session_count"] == self.count(actor, profile["id"]), profile["id"]
                assert {k: profile[k] for k in DOC_FIELDS} == self.model_profiles[(actor, profile["id"])].fields

    @rule(actor=st.sampled_from(ACTOR_NAMES), ehr_patient_id=st.sampled_from(EHR_IDS))
    def list_filtered(self, actor, ehr_patient_id):
        status, body = self.call("GET", f"/patient-profiles?ehr_patient_id={ehr_patient_id}", actor)
        assert status == 200
        assert [p["id"] for p in body["data"]] == [
            pid
            for pid in self.order[actor]
            if self.model_profiles[(actor, pid)].fields["ehr_patient_id"] == ehr_patient_id
        ]


HeidiProfilesAndSessions.TestCase.settings = settings(
    max_examples=examples(), stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

TestHeidiProfilesAndSessionsFollowTheModel = pytest.mark.slow(HeidiProfilesAndSessions.TestCase)
