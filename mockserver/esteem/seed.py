"""A populated Esteem world from a seed: practices, users of every role, patients, gauge histories and assessments, and
(for a synthetic data set, `mockserver.harness.dataset`) a clinician's caseload of given people.

The same arguments give the same world, byte for byte: all randomness comes from the seed and all
time from `until`, never from the wall clock. The world is built through the model's own methods,
so seeded data obeys the same rules as data sent over the API.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker

from mockserver.core.clock import Clock
from mockserver.core.schemas import SchemaRegistry
from mockserver.esteem.auth import WORLD
from mockserver.esteem.models import FIRST_PATIENT_ID, GAUGE_SCALES, EsteemWorld, User

DOCS_TOKEN = "your_token_here"
"""The docs' token is the seeded admin's, so the docs' examples run as written against a seeded server."""

DOCS_PATIENT = SchemaRegistry.default().schema("esteem/patient-create")["examples"][0]["patient"]
"""The docs' patient (their create example): the first one created, so it gets the docs' id 1049."""

_DOCS_GAUGES = ("mood", "anxiety", "sleep_quality")
"""The docs' patient tracks mood, so the docs' gauge example finds readings."""
DOCS_ASSESSMENT = SchemaRegistry.default().schema("esteem/assessment-create-attributes")["examples"][0]
"""The docs' assessment (their create example): the docs' patient's initial screening, the first assessment, so it
gets the docs' id 77 and their list example (`?patient_id=1049&status=completed`) finds it."""
_SCREENING_ANSWERS = ("Never", "Rarely", "Sometimes", "Often", "Always")
_ASSESSMENTS = {  # type: (questions, answers)
    "initial_screening": (2, _SCREENING_ANSWERS),
    "phq_9": (9, ("0", "1", "2", "3")),
    "gad_7": (7, ("0", "1", "2", "3")),
    "progress_review": (4, _SCREENING_ANSWERS),
}
_SPECIALTIES = ("Behavioral Health", "Counseling Group", "Family Wellness", "Psychiatry Associates", "Recovery Center")
_GENDERS = ("female", "male", "female", "male", "non-binary", None)
_NOTES = {
    "mood": ("Feeling better today", "Low day after a difficult call with family", "Good week overall",
             "Enjoyed time outdoors", "Irritable in the morning, better by evening"),
    "anxiety": ("Worried about work deadlines", "Used breathing exercises, helped", "Calmer than last week",
                "Panic symptoms before the appointment"),
    "energy": ("Tired after poor sleep", "Went for a run", "Afternoon slump", "Felt rested"),
    "sleep_quality": ("Woke up twice during the night", "Slept through", "Trouble falling asleep",
                      "Napped in the afternoon"),
    "pain": ("Back pain after gardening", "Headache in the evening", "Pain manageable with stretching"),
    "medication_adherence": ("Missed the evening dose once", "All doses taken", "Forgot doses while travelling"),
    "social_interaction": ("Met friends for dinner", "Stayed home most of the week", "Joined the support group"),
}


@dataclass(frozen=True)
class Caseload:
    """Patients who must be in the world (a data set's people), created by their own clinician: a `user`
    of practice 1, whose token sees exactly them."""

    token: str
    name: str
    patients: tuple[tuple[datetime, dict], ...]
    """(when created, the patient's attributes as the API takes them); none before the docs' patient."""


@dataclass(frozen=True)
class SeedOptions:
    until: date
    """The seeded world's "now": its latest timestamps fall on this UTC day."""
    seed: int = 1
    practices: int = 3
    patients_per_practice: int = 12
    caseload: Caseload | None = None


def seed_state(options: SeedOptions) -> dict:
    """A state export (`PUT /_mock/state`, `serve --state`) holding only the seeded Esteem world."""
    return {"tenants": {WORLD: {WORLD: seed_world(options).to_state()}}}


def seed_world(options: SeedOptions) -> EsteemWorld:
    fake = Faker("en_US")
    fake.seed_instance(options.seed)
    rng = random.Random(options.seed)
    clock = Clock()
    world = EsteemWorld(clock)
    end = datetime.combine(options.until, time(18), UTC)

    admin = world.upsert_user(DOCS_TOKEN, role="admin", practice="Esteem Health",
                              name=f"{fake.first_name()} {fake.last_name()}")
    staff: list[list[User]] = []
    for n in range(1, options.practices + 1):
        practice = f"{fake.last_name()} {rng.choice(_SPECIALTIES)}"
        staff.append([world.upsert_user(f"practice-{n}-{kind}", role=role, practice=practice,
                                       name=f"{fake.first_name()} {fake.last_name()}")
                      for kind, role in (("supervisor", "supervisor"), ("user-1", "user"), ("user-2", "user"))])

    # Patients in the order they were created, so ids rise with created_at; the docs' patient first.
    plans = sorted(((end - timedelta(days=rng.uniform(30, 720), minutes=rng.randrange(600)), team)
                    for team in staff for _ in range(options.patients_per_practice)), key=lambda plan: plan[0])
    plans[0] = (plans[0][0], staff[0])
    planned = [(created, team, None) for created, team in plans]
    if options.caseload is not None:
        clinician = world.upsert_user(options.caseload.token, role="user", name=options.caseload.name,
                                      practice=world.practices[staff[0][0].practice_id].name)
        after_docs = plans[0][0] + timedelta(minutes=1)
        planned += [(max(created, after_docs), None, attrs) for created, attrs in options.caseload.patients]
        planned.sort(key=lambda plan: plan[0])
    for index, (created, team, attrs) in enumerate(planned):
        clock.freeze(created)
        if attrs is not None:
            world.create_patient(clinician, attrs)
            continue
        creator = staff[0][1] if index == 0 else rng.choice(team)
        patient = world.create_patient(creator, DOCS_PATIENT if index == 0 else _patient(fake, rng, created))
        carers = [u for u in team if u.role == "user" and u is not creator]
        if creator.role == "supervisor" or rng.random() < 0.3:
            rng.choice(carers).patient_ids.add(patient.id)
        patient.active = index == 0 or rng.random() > 0.1
    _record_gauges(world, admin, clock, rng, end)
    _record_assessments(world, admin, clock, rng, end)
    return world


def _patient(fake: Faker, rng: random.Random, created: datetime) -> dict:
    first, last = fake.first_name(), fake.last_name()
    born = fake.date_between(created.date() - timedelta(days=80 * 365), created.date() - timedelta(days=12 * 365))
    local = re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower())
    attrs = {
        "first_name": first, "last_name": last, "date_of_birth": born.isoformat(), "gender": rng.choice(_GENDERS),
        "phone": fake.numerify("+1-%##-555-####"), "email": f"{local}@{fake.free_email_domain()}",
    }
    if rng.random() < 0.8:
        attrs["address"] = {"street": fake.street_address(), "city": fake.city(), "state": fake.state_abbr(),
                            "zip_code": fake.zipcode()}
    return attrs


def _record_gauges(world: EsteemWorld, admin: User, clock: Clock, rng: random.Random, end: datetime) -> None:
    """Readings every few days over the last three months, as a drifting random walk per gauge; ids rise with time."""
    readings = []
    for patient in world.patients.values():
        first = max(patient.created_at, end - timedelta(days=90))
        tracked = (
            _DOCS_GAUGES if patient.id == FIRST_PATIENT_ID else rng.sample(sorted(GAUGE_SCALES), rng.randint(2, 4))
        )
        for gauge_type in tracked:
            low, high = GAUGE_SCALES[gauge_type]
            level = rng.uniform(low + (high - low) * 0.3, low + (high - low) * 0.7)
            moment = first + timedelta(days=rng.uniform(0, 4))
            while moment < end:
                level = min(high, max(low, level + rng.gauss(0, (high - low) * 0.08)))
                note = rng.choice(_NOTES[gauge_type]) if rng.random() < 0.25 else None
                readings.append((moment, patient.id, gauge_type, round(level), note))
                moment += timedelta(days=rng.uniform(3, 9), minutes=rng.randrange(-180, 180))
    readings.sort(key=lambda reading: reading[:3])
    for moment, patient_id, gauge_type, value, note in readings:
        clock.freeze(moment + timedelta(seconds=rng.randrange(5, 600)))
        world.add_gauge(admin, patient_id, {"gauge_type": gauge_type, "value": value, "notes": note,
                                            "recorded_at": moment.isoformat()})


def _record_assessments(world: EsteemWorld, admin: User, clock: Clock, rng: random.Random, end: datetime) -> None:
    """An initial screening soon after each patient arrives (the docs' patient's the docs' example), then a few
    questionnaires; the last one may still be in progress. Ids rise with created_at; the docs' screening is first."""
    plans = []
    for patient in world.patients.values():
        if patient.id == FIRST_PATIENT_ID:
            plans.append((patient.created_at + timedelta(hours=1), patient.id, "initial_screening",
                          DOCS_ASSESSMENT["responses"], True))
        elif rng.random() < 0.8:
            plans.append((patient.created_at + timedelta(days=rng.uniform(1, 14)), patient.id, "initial_screening",
                          None, True))
        moment = patient.created_at + timedelta(days=rng.uniform(20, 60))
        for _ in range(rng.randint(0, 3)):
            if moment >= end:
                break
            plans.append((moment, patient.id, rng.choice(("phq_9", "gad_7", "progress_review")), None,
                          rng.random() < 0.85))
            moment += timedelta(days=rng.uniform(20, 90))
    plans.sort(key=lambda plan: (plan[0], plan[1]))
    for moment, patient_id, kind, responses, completed in plans:
        if responses is None:
            count, answers = _ASSESSMENTS[kind]
            responses = [{"question_id": n, "answer": rng.choice(answers)} for n in range(1, count + 1)]
        clock.freeze(moment + timedelta(minutes=rng.randrange(10, 50)))
        world.create_assessment(admin, {"patient_id": patient_id, "assessment_type": kind, "responses": responses,
                                        "completed_at": moment.isoformat() if completed else None})
