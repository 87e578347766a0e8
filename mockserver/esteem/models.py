"""Esteem's world: practices, users with roles, patients, their gauges and assessments, and who may see which patient.

One world per server, shared by all its users: access depends on who asks, and a patient someone
may not see answers 403 (as the docs prescribe), not 404. Plain Python, no HTTP: the routes
translate requests into these calls and results into JSON.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mockserver.core.clock import Clock, iso_millis
from mockserver.core.errors import ApiError, Forbidden, NotFound
from mockserver.core.schemas import SchemaRegistry
from mockserver.core.store import unique
from mockserver.core.tables import Tables, records

FIRST_PATIENT_ID = 1049
FIRST_GAUGE_ID = 456
FIRST_ASSESSMENT_ID = 77
"""The docs' ids: in a fresh world the first patient created is the docs' 1049 (gauge 456, assessment 77), so their
examples run in order."""

ROLES = ("user", "supervisor", "admin")

GAUGE_INPUT = "esteem/gauge-fields"
"""The schema that states each gauge type's scale (`if` gauge_type is one of ... `then` value's minimum/maximum)."""


def _gauge_scales(schemas: SchemaRegistry) -> dict[str, tuple[int, int]]:
    """The scales the gauge input schema enforces, by gauge type in the order of the documented types: the schema
    is their one source, so what the contract says and what the model checks cannot drift apart."""
    scales = {}
    for rule in schemas.schema(GAUGE_INPUT)["allOf"]:
        bounds = rule["then"]["properties"]["value"]
        for gauge_type in rule["if"]["properties"]["gauge_type"]["enum"]:
            scales[gauge_type] = (bounds["minimum"], bounds["maximum"])
    return {t: scales[t] for t in schemas.schema("esteem/gauge-type")["enum"]}


GAUGE_SCALES = _gauge_scales(SchemaRegistry.default())
"""The documented gauge types and their scales (pain is the 0-10 numeric rating scale, adherence a percentage)."""

ADDRESS_FIELDS = ("street", "city", "state", "zip_code")
PATIENT_FIELDS = ("first_name", "last_name", "date_of_birth", "gender", "phone", "email", "address")
"""What a create or update may set (Rails strong parameters): anything else in the body is dropped."""

PATIENT_NOT_FOUND = "Patient not found"
PATIENT_FORBIDDEN = "You are not authorized to access this patient"
ASSESSMENT_NOT_FOUND = "Assessment not found"
ASSESSMENT_FIELDS = ("patient_id", "assessment_type", "responses", "completed_at")
"""What an assessment's create or update may set (strong parameters): anything else in the body is dropped."""
COMPLETED, IN_PROGRESS = "completed", "in_progress"
"""An assessment's status, derived (the docs list no values): completed once it has a completed_at."""
_PHONE_LIKE = re.compile(r"[\d\s().+-]*\d[\d\s().+-]*")


class RecordInvalid(ApiError):
    """422 with a Rails model's errors, `{attribute: [messages]}` (ActiveRecord::RecordInvalid)."""

    status = 422
    code = "RecordInvalid"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("Validation failed")
        self.errors = errors


@dataclass
class Practice:
    id: int
    name: str


@dataclass
class User:
    id: int
    token: str
    role: str
    practice_id: int
    name: str | None = None
    patient_ids: set[int] = field(default_factory=set)
    """The caseload: patients assigned to this user (they may not exist yet)."""

    def may_see(self, patient: Patient) -> bool:
        if self.role == "admin":
            return True
        if self.role == "supervisor":
            return patient.practice_id == self.practice_id
        return patient.created_by == self.id or patient.id in self.patient_ids


@dataclass
class Patient:
    id: int
    practice_id: int
    created_by: int
    first_name: str
    last_name: str
    date_of_birth: date
    gender: str | None
    phone: str | None
    email: str | None
    address: dict | None
    active: bool
    created_at: datetime
    updated_at: datetime

    def age(self, today: date) -> int:
        """Whole years; 0, never negative, for someone not born yet (the clock moved back before the birth)."""
        born = self.date_of_birth
        return max(0, today.year - born.year - ((today.month, today.day) < (born.month, born.day)))

    def matches(self, term: str) -> bool:
        """Case-insensitive substring of a name, the full name, email or phone; phone-like terms also by digits."""
        term = term.casefold()
        texts = (
            self.first_name,
            self.last_name,
            f"{self.first_name} {self.last_name}",
            self.email or "",
            self.phone or "",
        )
        if any(term in text.casefold() for text in texts):
            return True
        digits = re.sub(r"\D", "", term)
        return bool(_PHONE_LIKE.fullmatch(term) and digits in re.sub(r"\D", "", self.phone or ""))

    def to_json(self, today: date) -> dict:
        address = self.address and {k: self.address.get(k) for k in ADDRESS_FIELDS}
        return {
            "id": self.id, "first_name": self.first_name, "last_name": self.last_name,
            "date_of_birth": self.date_of_birth.isoformat(), "age": self.age(today), "gender": self.gender,
            "phone": self.phone, "email": self.email, "address": address, "active": self.active,
            "created_at": iso_millis(self.created_at), "updated_at": iso_millis(self.updated_at),
        }


@dataclass
class Gauge:
    id: int
    patient_id: int
    gauge_type: str
    value: int
    recorded_at: datetime
    notes: str | None
    created_at: datetime

    def to_json(self) -> dict:
        low, high = GAUGE_SCALES[self.gauge_type]
        return {
            "id": self.id, "patient_id": self.patient_id, "gauge_type": self.gauge_type, "value": self.value,
            "scale_min": low, "scale_max": high, "recorded_at": iso_millis(self.recorded_at), "notes": self.notes,
            "created_at": iso_millis(self.created_at),
        }


@dataclass
class Assessment:
    id: int
    patient_id: int
    assessment_type: str
    responses: list[dict]
    completed_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @property
    def status(self) -> str:
        return IN_PROGRESS if self.completed_at is None else COMPLETED

    def to_json(self) -> dict:
        return {
            "id": self.id, "patient_id": self.patient_id, "assessment_type": self.assessment_type,
            "status": self.status, "responses": [dict(r) for r in self.responses],
            "completed_at": self.completed_at and iso_millis(self.completed_at),
            "created_at": iso_millis(self.created_at), "updated_at": iso_millis(self.updated_at),
        }


@dataclass
class Page:
    items: list
    page: int
    page_size: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return -(-self.total_count // self.page_size)


def _page(found: list, page: int, page_size: int) -> Page:
    """One page of `found`; a page past the end is empty."""
    start = (page - 1) * page_size
    return Page(found[start:start + page_size], page, page_size, len(found))


_MILLIS = (iso_millis, lambda text: _stamp(text))
PRACTICE = records(Practice, int)
USER = records(User, int, patient_ids=(sorted, set))
PATIENT = records(Patient, int, date_of_birth=(date.isoformat, date.fromisoformat), created_at=_MILLIS,
                  updated_at=_MILLIS)
GAUGE = records(Gauge, int, recorded_at=_MILLIS, created_at=_MILLIS)
ASSESSMENT = records(Assessment, int, completed_at=(lambda m: m and iso_millis(m), lambda t: t and _stamp(t)),
                     created_at=_MILLIS, updated_at=_MILLIS)
"""How each record is stored and exported."""
FIRST_IDS = {"practices": 1, "users": 1, "patients": FIRST_PATIENT_ID, "gauges": FIRST_GAUGE_ID,
             "assessments": FIRST_ASSESSMENT_ID}


class EsteemWorld:
    """Everything Esteem holds, in tables (`core/tables.py`). The store serialises calls, so methods need no locking
    of their own.

    One world for all users: Esteem settings given for any tenant (a tenants file, the admin API) land here."""

    def __init__(self, clock: Clock, tables: Tables | None = None):
        self.clock = clock
        self.tables = tables = tables or Tables()
        self.practices: dict[int, Practice] = tables.table("practices", PRACTICE)
        self.users: dict[int, User] = tables.table("users", USER)
        self.patients: dict[int, Patient] = tables.table("patients", PATIENT)
        self.gauges: dict[int, Gauge] = tables.table("gauges", GAUGE)
        self.assessments: dict[int, Assessment] = tables.table("assessments", ASSESSMENT)
        self._tokens: dict[str, int] = tables.table("user_tokens")
        """A user's token -> its id."""
        self._practice_names: dict[str, int] = tables.table("practice_names")
        """A practice's name -> its id (the first practice of that name)."""
        self._last_ids: dict[str, int] = tables.table("last_ids")
        """Table name -> the last id given: ids grow like a database sequence, without reading the whole table."""

    def configure(self, settings: dict) -> EsteemWorld:
        """Add or change the users of a tenants file or of `POST /_mock/tenants/esteem`."""
        for spec in settings.get("users", []):
            self.upsert_user(**spec)
        return self

    # -- users and practices ---------------------------------------------------------------------

    def authenticate(self, token: str, *, enrol: bool) -> User | None:
        """The token's user; with `enrol` (open auth) an unknown token becomes a user of its own new practice."""
        user_id = self._tokens.get(token)
        if user_id is None:
            return self.upsert_user(token) if enrol else None
        return self.users[user_id]

    def upsert_user(self, token: str, role: str | None = None, practice: str | None = None,
                    name: str | None = None, patients: list[int] = ()) -> User:
        """Create the token's user or change what is given. A new user without a practice gets its own."""
        user_id = self._tokens.get(token)
        user = None if user_id is None else self.users[user_id]
        if user is None:
            practice_id = self._practice(practice or f"Practice of {token}")
            user = User(self._next("users"), token, role or "user", practice_id, name)
            self.users[user.id] = user
            self._tokens[token] = user.id
        else:
            user.role = role or user.role
            user.practice_id = self._practice(practice) if practice else user.practice_id
            user.name = name or user.name
        user.patient_ids.update(patients)
        return user

    def _practice(self, name: str) -> int:
        found = self._practice_names.get(name)
        if found is None:
            found = self._practice_names[name] = self._next("practices")
            self.practices[found] = Practice(found, name)
        return found

    # -- patients --------------------------------------------------------------------------------

    def patient(self, user: User, patient_id: int) -> Patient:
        """404 if there is no such patient, 403 if there is but `user` may not see it."""
        found = self.patients.get(patient_id)
        if found is None:
            raise NotFound(PATIENT_NOT_FOUND)
        if not user.may_see(found):
            raise Forbidden(PATIENT_FORBIDDEN)
        return found

    def list_patients(self, user: User, page: int, page_size: int, search: str | None = None) -> Page:
        """The patients `user` may see, by id, one page of them; a page past the end is empty."""
        term = (search or "").strip()
        visible = [p for _, p in sorted(self.patients.items())
                   if user.may_see(p) and (not term or p.matches(term))]
        return _page(visible, page, page_size)

    def create_patient(self, user: User, attrs: dict) -> Patient:
        """A patient of the creator's practice; `attrs` has the required fields (the schema checked them)."""
        now = _millis(self.clock.now())
        fields = {"gender": None, "phone": None, "email": None, "address": None, **self._patient_values(attrs, None)}
        patient = Patient(id=self._next("patients"), practice_id=user.practice_id,
                          created_by=user.id, active=True, created_at=now, updated_at=now, **fields)
        self.patients[patient.id] = patient
        return patient

    def update_patient(self, user: User, patient_id: int, attrs: dict) -> Patient:
        """Change the given fields; `updated_at` moves only if something changed (as in Rails)."""
        patient = self.patient(user, patient_id)
        return self._changed(patient, self._patient_values(attrs, patient.address))

    def _patient_values(self, attrs: dict, address: dict | None) -> dict:
        """The permitted fields of `attrs` as stored values; a birth date in the future is invalid."""
        values = {k: attrs[k] for k in PATIENT_FIELDS if k in attrs}
        if "date_of_birth" in values:
            values["date_of_birth"] = date.fromisoformat(values["date_of_birth"])
            if values["date_of_birth"] > self.clock.now().date():
                raise RecordInvalid({"date_of_birth": ["can't be in the future"]})
        if values.get("address") is not None:
            given = values["address"]
            values["address"] = {k: given.get(k, (address or {}).get(k)) for k in ADDRESS_FIELDS}
        return values

    # -- gauges ----------------------------------------------------------------------------------

    def list_gauges(self, user: User, patient_id: int, gauge_type: str | None = None,
                    start_date: date | None = None, end_date: date | None = None) -> list[Gauge]:
        """The patient's gauges by time recorded; both dates are whole UTC days, inclusive."""
        patient = self.patient(user, patient_id)
        found = [g for g in self.gauges.values() if g.patient_id == patient.id
                 and (gauge_type is None or g.gauge_type == gauge_type)
                 and (start_date is None or g.recorded_at.date() >= start_date)
                 and (end_date is None or g.recorded_at.date() <= end_date)]
        return sorted(found, key=lambda g: (g.recorded_at, g.id))

    def add_gauge(self, user: User, patient_id: int, attrs: dict) -> Gauge:
        """A reading within its type's scale, recorded now unless `recorded_at` says when (not in the future)."""
        patient = self.patient(user, patient_id)
        now = _millis(self.clock.now())
        low, high = GAUGE_SCALES[attrs["gauge_type"]]
        value = attrs["value"]
        errors = {}
        if value < low:
            errors["value"] = [f"must be greater than or equal to {low}"]
        elif value > high:
            errors["value"] = [f"must be less than or equal to {high}"]
        recorded_at = now
        if attrs.get("recorded_at") is not None:
            recorded_at = _timestamp(attrs["recorded_at"])
            if recorded_at is None:
                errors["recorded_at"] = ["must be a valid timestamp"]
            elif recorded_at > now:
                errors["recorded_at"] = ["can't be in the future"]
        if errors:
            raise RecordInvalid(errors)
        gauge = Gauge(self._next("gauges"), patient.id, attrs["gauge_type"], int(value),
                      _millis(recorded_at), attrs.get("notes"), now)
        self.gauges[gauge.id] = gauge
        return gauge

    # -- assessments -----------------------------------------------------------------------------

    def assessment(self, user: User, assessment_id: int) -> Assessment:
        """404 if there is no such assessment; else its patient's rules (`patient`): 403 if `user` may not see it."""
        found = self.assessments.get(assessment_id)
        if found is None:
            raise NotFound(ASSESSMENT_NOT_FOUND)
        self.patient(user, found.patient_id)
        return found

    def list_assessments(self, user: User, page: int, page_size: int, patient_id: int | None = None,
                         status: str | None = None, assessment_type: str | None = None) -> Page:
        """The assessments of patients `user` may see, by id, filtered (AND), one page of them. A filter is no
        lookup: a patient_id naming a patient one may not see, or none, matches nothing."""
        found = [a for _, a in sorted(self.assessments.items())
                 if (patient_id is None or a.patient_id == patient_id)
                 and (status is None or a.status == status)
                 and (assessment_type is None or a.assessment_type == assessment_type)
                 and user.may_see(self.patients[a.patient_id])]
        return _page(found, page, page_size)

    def create_assessment(self, user: User, attrs: dict) -> Assessment:
        """For a patient `user` may see (403 else, as the patient; a patient that does not exist is Rails'
        `belongs_to` error, 422 `patient: must exist`); completed if `completed_at` is given."""
        values = self._assessment_values(user, attrs)
        now = _millis(self.clock.now())
        assessment = Assessment(id=self._next("assessments"), created_at=now, updated_at=now,
                                **{"completed_at": None, **values})
        self.assessments[assessment.id] = assessment
        return assessment

    def update_assessment(self, user: User, assessment_id: int, attrs: dict) -> Assessment:
        """Change the given fields (moving it to another patient needs that patient's access too); `updated_at`
        moves only if something changed."""
        assessment = self.assessment(user, assessment_id)
        return self._changed(assessment, self._assessment_values(user, attrs))

    def delete_assessment(self, user: User, assessment_id: int) -> None:
        self.assessment(user, assessment_id)
        del self.assessments[assessment_id]

    def _assessment_values(self, user: User, attrs: dict) -> dict:
        """The permitted fields of `attrs` as stored values: the patient must exist (422) and be visible (403);
        completed_at a timestamp not in the future."""
        values = {k: attrs[k] for k in ASSESSMENT_FIELDS if k in attrs}
        errors = {}
        if "patient_id" in values:
            if values["patient_id"] in self.patients:
                self.patient(user, values["patient_id"])
            else:
                errors["patient"] = ["must exist"]
        if "responses" in values:
            values["responses"] = [{"question_id": r["question_id"], "answer": r["answer"]}
                                   for r in values["responses"]]
        if values.get("completed_at") is not None:
            moment = _timestamp(values["completed_at"])
            if moment is None:
                errors["completed_at"] = ["must be a valid timestamp"]
            elif moment > self.clock.now():
                errors["completed_at"] = ["can't be in the future"]
            else:
                values["completed_at"] = _millis(moment)
        if errors:
            raise RecordInvalid(errors)
        return values

    def _changed(self, record, values: dict):
        """`record` with `values` set; its `updated_at` moves only if one of them differs (as in Rails)."""
        changed = {k: v for k, v in values.items() if getattr(record, k) != v}
        for key, value in changed.items():
            setattr(record, key, value)
        if changed:
            record.updated_at = _millis(self.clock.now())
        return record

    def _next(self, table: str) -> int:
        """The next id of `table`: one more than the last given (the documented first id in a fresh world)."""
        self._last_ids[table] = number = self._last_ids.get(table, FIRST_IDS[table] - 1) + 1
        return number

    # -- state -----------------------------------------------------------------------------------

    def to_state(self) -> dict:
        return {
            "practices": [PRACTICE.encode(p) for p in self.practices.values()],
            "users": [USER.encode(u) for u in self.users.values()],
            "patients": [PATIENT.encode(p) for p in self.patients.values()],
            "gauges": [GAUGE.encode(g) for g in self.gauges.values()],
            "assessments": [ASSESSMENT.encode(a) for a in self.assessments.values()],
        }

    @classmethod
    def from_state(cls, state: dict, clock: Clock) -> EsteemWorld:
        """`state` has the shape of mock/esteem-state; a repeated id or token is refused (ValueError)."""
        world = cls(clock)
        world.practices.update(unique((PRACTICE.decode(raw) for raw in state.get("practices", [])),
                                      lambda p: p.id, "practice"))
        users = [USER.decode({"patient_ids": [], **raw}) for raw in state.get("users", [])]
        world.users.update(unique(users, lambda u: u.id, "user"))
        world._tokens.update({token: user.id for token, user in unique(users, lambda u: u.token, "user token").items()})
        world.patients.update(unique((PATIENT.decode(raw) for raw in state.get("patients", [])),
                                     lambda p: p.id, "patient"))
        world.gauges.update(unique((GAUGE.decode(raw) for raw in state.get("gauges", [])), lambda g: g.id, "gauge"))
        assessments = unique((ASSESSMENT.decode(raw) for raw in state.get("assessments", [])), lambda a: a.id,
                             "assessment")
        for assessment in assessments.values():
            if assessment.patient_id not in world.patients:
                raise ValueError(f"assessment {assessment.id} names no patient: {assessment.patient_id}")
        world.assessments.update(assessments)
        for practice in world.practices.values():
            world._practice_names.setdefault(practice.name, practice.id)
        for name in FIRST_IDS:
            ids = getattr(world, name)
            if ids:
                world._last_ids[name] = max(ids)
        return world


def _timestamp(text: str) -> datetime | None:
    """An RFC 3339 timestamp as UTC (no offset means UTC), or None if it is not one."""
    try:
        moment = datetime.fromisoformat(text.upper())
        return moment.replace(tzinfo=moment.tzinfo or UTC).astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it out of years 1..9999
        return None


def _stamp(text: str) -> datetime:
    moment = _timestamp(text)
    if moment is None:
        raise ValueError(f"not a timestamp: {text!r}")
    return moment


def _millis(moment: datetime) -> datetime:
    """Stored as shown: the API's timestamps have milliseconds."""
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
