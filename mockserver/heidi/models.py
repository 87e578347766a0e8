"""Heidi's state and rules for one tenant: per API user, patient profiles, sessions and a linked Heidi account.

Plain Python, no HTTP: the routes translate requests into these calls and results into JSON.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from mockserver.core.clock import Clock
from mockserver.core.data_files import data_dir
from mockserver.core.errors import BadRequest, NotFound
from mockserver.core.ids import Entropy
from mockserver.core.tables import Codec, Tables, records
from mockserver.heidi.scribe import public_audio, stamp

EHR_PROVIDER = "mockserver"
"""The EHR provider of every profile and session: in reality, the integration that owns the API key."""

PROFILE_FIELDS = ("first_name", "last_name", "birth_date", "gender", "ehr_patient_id", "phone", "email",
                  "patient_sex_code", "identifiers", "demographic_string", "remember_consent", "additional_context")
"""What POST and PATCH /patient-profiles may set."""

SESSION_FIELDS = ("duration", "language_code", "output_language_code", "transcribe_mode", "clinician_notes",
                  "ehr_patient_id", "ehr_appt_id", "generate_output_without_recording", "recording_status",
                  "session_status", "is_consent", "created_time_local", "linked_sessions_for_context")
"""What PATCH /sessions/{id} may set besides `patient` (which it merges)."""


def profile_not_found() -> NotFound:
    return NotFound("Patient profile not found", code="PatientProfileNotFoundError")


def session_not_found(session_id: str | None = None) -> NotFound:
    return NotFound("Session not found" if session_id is None else f"Session {session_id} not found",
                    code="SessionNotFoundError")


@dataclass(frozen=True)
class ApiUser:
    """A "Heidi API User": the user of the integrator's system a JWT acts for. Within a tenant (which stands for
    the API key) the JWT's `third_party_internal_id` and `email` together name one API user, as Heidi combines
    the key with both; every patient profile, session and linked account belongs to one."""

    third_party_internal_id: str
    email: str | None = None

    @property
    def heidi_id(self) -> str:
        """A stable 24-hex id for the user, shown as a profile's `managed_by`."""
        name = self.third_party_internal_id if self.email is None else f"{self.third_party_internal_id}\n{self.email}"
        return hashlib.sha256(name.encode()).hexdigest()[:24]

    def to_json(self) -> dict:
        return {"third_party_internal_id": self.third_party_internal_id, "email": self.email}

    @classmethod
    def from_json(cls, raw: dict) -> ApiUser:
        return cls(raw["third_party_internal_id"], raw["email"])

    def __str__(self) -> str:
        return f"{self.third_party_internal_id!r} <{self.email}>"


@dataclass
class PatientProfile:
    id: str
    managed_by: str
    ehr_provider: str
    fields: dict
    """Every name of PROFILE_FIELDS, None where unset."""

    def to_json(self, session_count: int | None = None) -> dict:
        out = {"id": self.id, "source": "EHR", "managed_by": self.managed_by, **self.fields}
        if session_count is not None:
            out["session_count"] = session_count
        return out


def _blank_patient() -> dict:
    return {"name": "", "gender": None, "dob": None, "demographic_details": None}


@dataclass
class Session:
    session_id: str
    session_name: str
    ehr_provider: str
    created_at: datetime
    updated_at: datetime
    patient_profile_id: str | None = None
    patient: dict = field(default_factory=_blank_patient)
    duration: float = 0
    language_code: str = "en"
    output_language_code: str = "en"
    transcribe_mode: str | None = None
    clinician_notes: list[str] = field(default_factory=list)
    ehr_patient_id: str | None = None
    ehr_appt_id: str | None = None
    generate_output_without_recording: bool | None = None
    recording_status: str | None = None
    session_status: str | None = None
    is_consent: bool | None = None
    created_time_local: str | None = None
    linked_sessions_for_context: list[str] = field(default_factory=list)
    audio: list[dict] = field(default_factory=list)
    """Uploaded files and segmented recordings, in the order they entered the session (`scribe.py`)."""
    consult_note: dict | None = None
    """The last note generated (None: the documented blank note, status CREATED)."""
    documents: list[dict] = field(default_factory=list)
    context_documents: list[dict] = field(default_factory=list)

    def summary(self) -> dict:
        return {"session_id": self.session_id, "session_name": self.session_name,
                "created_at": stamp(self.created_at), "updated_at": stamp(self.updated_at)}

    def to_json(self) -> dict:
        return {
            **self.summary(), "patient": dict(self.patient),
            "audio": [public_audio(entry, index) for index, entry in enumerate(self.audio)],
            "clinician_notes": list(self.clinician_notes),
            "consult_note": dict(self.consult_note) if self.consult_note else blank_note(),
            "duration": self.duration, "language_code": self.language_code,
            "output_language_code": self.output_language_code,
            "documents": [document_item(d) for d in self.documents] or None, "ehr_appt_id": self.ehr_appt_id,
            "ehr_provider": self.ehr_provider, "ehr_patient_id": self.ehr_patient_id,
            "transcribe_mode": self.transcribe_mode,
            "generate_output_without_recording": self.generate_output_without_recording,
            "recording_status": self.recording_status, "session_status": self.session_status,
            "is_consent": self.is_consent, "created_time_local": self.created_time_local,
            "linked_sessions_for_context": list(self.linked_sessions_for_context),
        }


def blank_note() -> dict:
    """A session's consult note before one is generated, as the docs show it."""
    return {"status": "CREATED", "result": "", "heading": "Note", "brain": "RIGHT", "voice_style": None,
            "generation_method": "TEMPLATE", "template_id": None, "ai_command_id": None, "ai_command_text": None,
            "feedback": None, "dictation_cleanup_mode": None}


DOCUMENT_ITEM = ("id", "session_id", "index", "name", "template_id", "content", "generation_type", "brain")
"""A document as GET /sessions/{id}/documents lists it (the create answer has other fields: `routes.py`)."""


def document_item(document: dict) -> dict:
    return {name: document[name] for name in DOCUMENT_ITEM}


@dataclass
class LinkedAccount:
    kinde_user_id: str
    email: str | None
    third_party_internal_id: str
    linked_at: datetime

    def to_json(self) -> dict:
        """As the authentication page shows it: the link record, with the API user's EHR identity."""
        linked = stamp(self.linked_at)
        key = f"{self.third_party_internal_id}\n{self.email}\n{self.kinde_user_id}"
        return {"_id": hashlib.sha256(key.encode()).hexdigest()[:24], "user_id": self.kinde_user_id,
                "ehr_provider": EHR_PROVIDER, "ehr_email": self.email, "ehr_user_id": self.third_party_internal_id,
                "deleted_at": None, "created_at": linked, "updated_at": linked}


@dataclass
class Page:
    sessions: list[Session]
    total: int
    page: int
    page_size: int

    @property
    def has_next(self) -> bool:
        return self.page * self.page_size < self.total

    def to_json(self) -> dict:
        return {"sessions": [s.to_json() for s in self.sessions], "count": len(self.sessions),
                "total_count": self.total, "next_page": self.page + 1 if self.has_next else None,
                "has_next_page": self.has_next}


def _time(text: str) -> datetime:
    """An RFC 3339 time as the state holds it (`upper()`: fromisoformat refuses RFC 3339's lowercase `z`)."""
    return datetime.fromisoformat(text.upper())


_TIME = (datetime.isoformat, _time)
PROFILE = records(PatientProfile)
SESSION = records(Session, created_at=_TIME, updated_at=_TIME)
ACCOUNT = records(LinkedAccount, linked_at=_TIME)
USER = Codec(ApiUser.to_json, ApiUser.from_json)
"""How each record is stored and exported (a profile's and a session's `owner` is added by the export)."""


class UserData:
    """One API user's Heidi data: patient profiles, sessions and the linked Heidi account. Ids are unique
    within it, not across users (every user has the docs' example ids): another user's object is, to this
    user, an object that does not exist."""

    def __init__(self, user: ApiUser, clock: Clock, entropy: Callable[[int], bytes], tables: Tables):
        self.user = user
        self.clock = clock
        self.entropy = entropy
        self.profiles: dict[str, PatientProfile] = tables.table(f"profiles:{user.heidi_id}", PROFILE)
        self.sessions: dict[str, Session] = tables.table(f"sessions:{user.heidi_id}", SESSION)
        """In creation order."""
        self._accounts: dict[str, LinkedAccount] = tables.table("accounts", ACCOUNT)
        """Every user's linked account, by the user's heidi_id."""

    @property
    def account(self) -> LinkedAccount | None:
        return self._accounts.get(self.user.heidi_id)

    @account.setter
    def account(self, account: LinkedAccount | None) -> None:
        if account is None:
            self._accounts.pop(self.user.heidi_id, None)
        else:
            self._accounts[self.user.heidi_id] = account

    # -- patient profiles ----------------------------------------------------------------------

    def create_profile(self, values: dict) -> PatientProfile:
        profile = PatientProfile(self.entropy(12).hex(), self.user.heidi_id, EHR_PROVIDER,
                                 {name: values.get(name) for name in PROFILE_FIELDS})
        self.profiles[profile.id] = profile
        return profile

    def profile(self, profile_id: str) -> PatientProfile:
        profile = self.profiles.get(profile_id)
        if profile is None:
            raise profile_not_found()
        return profile

    def find_profiles(self, ehr_patient_id: str | None = None, ehr_provider: str | None = None) -> list[PatientProfile]:
        return [p for p in self.profiles.values()
                if (ehr_patient_id is None or p.fields["ehr_patient_id"] == ehr_patient_id)
                and (ehr_provider is None or p.ehr_provider == ehr_provider)]

    def session_counts(self) -> Counter:
        return Counter(s.patient_profile_id for s in self.sessions.values() if s.patient_profile_id)

    def update_profile(self, profile_id: str, changes: dict) -> PatientProfile:
        """Only the fields sent change; null clears one."""
        profile = self.profile(profile_id)
        profile.fields.update((name, value) for name, value in changes.items() if name in PROFILE_FIELDS)
        return profile

    def delete_profiles(self, profile_ids: list[str]) -> None:
        """Ids that do not exist (any more) are skipped. The profiles' sessions stay, unlinked."""
        doomed = set(profile_ids) & set(self.profiles)
        for profile_id in doomed:
            del self.profiles[profile_id]
        for session in self.sessions.values():
            if session.patient_profile_id in doomed:
                session.patient_profile_id = None

    def link_sessions(self, profile_id: str, session_ids: list[str]) -> list[Session]:
        """All or nothing: every session must exist. A session linked elsewhere moves to this profile."""
        profile = self.profile(profile_id)
        sessions = [self.session(sid, missing=session_not_found(sid)) for sid in dict.fromkeys(session_ids)]
        now = self.clock.now()
        for session in sessions:
            _link(session, profile, now)
        return sessions

    # -- sessions ------------------------------------------------------------------------------

    def create_session(self, patient_profile_id: str | None = None, ehr_appointment_id: str | None = None) -> Session:
        profile = self.profile(patient_profile_id) if patient_profile_id is not None else None
        now = self.clock.now()
        session_id = str(10**38 + int.from_bytes(self.entropy(16), "big") % (9 * 10**38))  # 39 digits, like Heidi's
        session = Session(session_id, f"Session {len(self.sessions) + 1}", EHR_PROVIDER, now, now,
                          ehr_appt_id=ehr_appointment_id)
        if profile is not None:
            _link(session, profile, now)
        self.sessions[session_id] = session
        return session

    def session(self, session_id: str, missing: NotFound | None = None) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise missing or session_not_found()
        return session

    def update_session(self, session_id: str, changes: dict) -> Session:
        """Only the fields sent change; `patient` is merged field by field; context sessions must exist."""
        session = self.session(session_id)
        for context_id in changes.get("linked_sessions_for_context", []):
            self.session(context_id, missing=session_not_found(context_id))
        for name, value in changes.items():
            if name in SESSION_FIELDS:
                setattr(session, name, value)
        session.patient.update(changes.get("patient", {}))
        session.updated_at = self.clock.now()
        return session

    # -- the linked Heidi account --------------------------------------------------------------

    def link_account(self, kinde_user_id: str) -> LinkedAccount:
        """A Heidi account links to one API user of the tenant (documented error otherwise); an API user links
        one Heidi account until it unlinks."""
        if any(account.kinde_user_id == kinde_user_id for account in self._accounts.values()):
            raise BadRequest(f"Heidi account with user_id {kinde_user_id} already linked to an OpenAPI User",
                             code="OpenAPIHeidiAccountAlreadyLinkedError")
        if self.account is not None:
            raise BadRequest(f"OpenAPI User already linked to the Heidi account with user_id "
                             f"{self.account.kinde_user_id}", code="OpenAPIHeidiAccountAlreadyLinkedError")
        self.account = LinkedAccount(kinde_user_id, self.user.email, self.user.third_party_internal_id,
                                     self.clock.now())
        return self.account

    def _linked(self) -> LinkedAccount:
        if self.account is None:
            raise BadRequest("error: no linked user", code="NoLinkedUserException")
        return self.account

    def unlink_account(self) -> None:
        self._linked()
        self.account = None

    def linked_user_sessions(self, page: int, page_size: int) -> Page:
        """This API user's sessions, newest first, once it is linked to a Heidi user. (Several API users may link
        one Heidi user; each still sees only its own sessions.)"""
        self._linked()
        mine = list(self.sessions.values())[::-1]
        start = (page - 1) * page_size
        return Page(mine[start:start + page_size], len(mine), page, page_size)

    # -- state ---------------------------------------------------------------------------------

    def load(self, profiles: Iterable[dict], sessions: Iterable[dict]) -> None:
        """Profiles and sessions in the state's shape (their `owner` already taken off); a profile's missing
        fields are unset (None), as on create. An id this user already has is refused (ValueError)."""
        for raw in profiles:
            profile = PatientProfile(**{**raw, "fields": {name: raw["fields"].get(name) for name in PROFILE_FIELDS}})
            self._add(self.profiles, profile.id, profile, "patient profile")
        for raw in sessions:
            session = SESSION.decode(raw)
            self._add(self.sessions, session.session_id, session, "session")

    def _add(self, into: dict, key: str, value, what: str) -> None:
        if key in into:
            raise ValueError(f"{what} {key!r} appears twice for API user {self.user}")
        into[key] = value


def _link(session: Session, profile: PatientProfile, now: datetime) -> None:
    """The session is for this patient now: it takes the profile's patient details."""
    f = profile.fields
    session.patient_profile_id = profile.id
    session.patient = {"name": " ".join(n for n in (f["first_name"], f["last_name"]) if n), "gender": f["gender"],
                       "dob": f["birth_date"], "demographic_details": f["demographic_string"]}
    session.ehr_patient_id = f["ehr_patient_id"]
    session.updated_at = now


class HeidiBackend:
    """One tenant's Heidi data, held per API user (`UserData`), in tables (`core/tables.py`). The store serialises
    calls, so methods need no locking of their own."""

    def __init__(self, clock: Clock, tables: Tables | None = None):
        self.clock = clock
        self.tables = tables = tables or Tables()
        self._users: dict[str, ApiUser] = tables.table("users", USER)
        """Every API user the tenant has seen, by heidi_id, in the order first seen."""
        self._data: dict[str, UserData] = {}
        self.entropy: Entropy = os.urandom
        """Where new IDs come from; a seeded data set swaps in a seeded source."""

    def configure(self, settings: dict) -> HeidiBackend:
        """API keys are resolved by the tenant directory; nothing else to provision. Each API user gets the
        docs' examples when first seen (`user`)."""
        return self

    def user(self, user: ApiUser, doc_examples: bool = True) -> UserData:
        """`user`'s data. A user seen for the first time (a JWT bought, or a first call) starts with the docs'
        example profile and sessions, so the docs' requests run as written; with `doc_examples` False, empty."""
        key = user.heidi_id
        data = self._data.get(key)
        if data is None:
            data = self._data[key] = UserData(user, self.clock, lambda n: self.entropy(n), self.tables)
            if key not in self._users:
                self._users[key] = user
                if doc_examples:
                    examples = _doc_examples()
                    data.load(examples["profiles"], examples["sessions"])
        return data

    @property
    def users(self) -> list[UserData]:
        """Every API user's data, in the order first seen."""
        return [self.user(user, doc_examples=False) for user in self._users.values()]

    # -- state ---------------------------------------------------------------------------------

    def to_state(self) -> dict:
        """Every object with its owner (`owner`; an account's owner is its own third_party_internal_id and email),
        grouped by user in the order users were first seen; `users` lists every user seen, data or not."""
        users = self.users
        return {
            "users": [u.user.to_json() for u in users],
            "profiles": [{**PROFILE.encode(p), "owner": u.user.to_json()} for u in users for p in u.profiles.values()],
            "sessions": [{**SESSION.encode(s), "owner": u.user.to_json()} for u in users for s in u.sessions.values()],
            "accounts": [ACCOUNT.encode(u.account) for u in users if u.account is not None],
        }

    @classmethod
    def from_state(cls, state: dict, clock: Clock) -> HeidiBackend:
        """`state` has the shape of heidi/state. A user listed twice, an id repeated within one user's data, or
        a second account for one user is refused (ValueError). Owners not in `users` count as seen."""
        backend = cls(clock)
        for raw in state.get("users", []):
            user = ApiUser.from_json(raw)
            if user.heidi_id in backend._users:
                raise ValueError(f"API user {user} appears twice")
            backend.user(user, doc_examples=False)
        for raw in state.get("profiles", []):
            backend._owner(raw).load([_without_owner(raw)], [])
        for raw in state.get("sessions", []):
            backend._owner(raw).load([], [_without_owner(raw)])
        for raw in state.get("accounts", []):
            account = ACCOUNT.decode(raw)
            owner = backend.user(ApiUser(account.third_party_internal_id, account.email), doc_examples=False)
            if owner.account is not None:
                raise ValueError(f"linked account of API user {owner.user} appears twice")
            owner.account = account
        return backend

    def _owner(self, raw: dict) -> UserData:
        return self.user(ApiUser.from_json(raw["owner"]), doc_examples=False)


def _without_owner(raw: dict) -> dict:
    return {name: value for name, value in raw.items() if name != "owner"}


def _doc_examples() -> dict:
    """A fresh copy per API user, so no two users share a mutable value."""
    return json.loads(_doc_examples_text())


@cache
def _doc_examples_text() -> str:
    return (data_dir("fixtures") / "heidi" / "doc-examples.json").read_text(encoding="utf-8")
