"""The data set's people as each family records them, made through the families' own model methods (so
seeded data obeys the rules API data does), in the order things happened, on a clock frozen at each moment,
with IDs drawn from a seeded source.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from mockserver.clinical.audio import read_audio
from mockserver.clinical.transcripts import TranscriptBook
from mockserver.core.clock import Clock
from mockserver.core.config import Config
from mockserver.esteem.models import EsteemWorld
from mockserver.esteem.seed import Caseload, SeedOptions, seed_world
from mockserver.haidy import consultations
from mockserver.haidy.models import DEFAULT_PATIENT_GROUP, HaidyBackend
from mockserver.harness.dataset.documents import Document
from mockserver.harness.dataset.people import Person, Staff
from mockserver.heidi import scribe
from mockserver.heidi.models import ApiUser, HeidiBackend

CLINICIAN = ApiUser("demo-clinician", "clinician@example.com")
"""The Heidi API user (a JWT's `third_party_internal_id` and `email`) who created the profiles and sessions and
owns them (other users of the tenant do not see them); linked to a Heidi account, so `GET /sessions/linked-user`
lists their sessions."""

_SEX = {"female": "F", "male": "M", "other": "X"}
APPROVED_AFTER = timedelta(minutes=20)


def haidy(people: list[Person], paperwork: dict[str, list[Document]], rng: random.Random,
          book: TranscriptBook) -> HaidyBackend:
    """A patient context per person in the docs' patient group, their documents uploaded as files, each
    recording's transcript registered in the tenant's `book` (which every family reads), and per person one
    consultation approved in the Haidy app from their last dictation, `APPROVED_AFTER` the recording, not yet
    downloaded."""
    clock = Clock()
    backend = HaidyBackend(clock).configure({})
    backend.entropy = rng.randbytes
    contexts = {}
    for person in sorted(people, key=lambda p: p.registered):
        clock.freeze(person.registered)
        contexts[person.external_id] = backend.create_patient_context(
            person.external_id, DEFAULT_PATIENT_GROUP, person.name, person.birth_date.isoformat(), person.gender).id
    received = sorted(((doc, external_id) for external_id, docs in paperwork.items() for doc in docs),
                      key=lambda pair: pair[0].at)
    dictations: dict[str, Document] = {}
    for doc, external_id in received:
        clock.freeze(doc.at)
        if doc.transcript is not None:
            book.register(doc.content, doc.transcript)
            dictations[external_id] = doc
            continue
        upload = backend.upload_files(contexts[external_id], [(doc.filename, doc.content)], Config.max_file_bytes)
        if upload.failed:
            raise ValueError(f"a generated document was refused: {upload.failed}")
    for external_id, doc in sorted(dictations.items(), key=lambda pair: (pair[1].at, pair[0])):
        clock.freeze(doc.at + APPROVED_AFTER)
        consultations.approve(backend, external_id, doc.transcript)
    return backend


def heidi(people: list[Person], paperwork: dict[str, list[Document]], rng: random.Random) -> HeidiBackend:
    """A patient profile per person, and a session per visit linked to it, all made by `CLINICIAN`, who starts
    without the docs' examples (every other API user of the tenant gets them, as on every tenant). The last
    visit's session holds its recording, uploaded and not yet transcribed: its transcript is the registered
    dictation, and a consult note can be written from it."""
    clock = Clock()
    backend = HeidiBackend(clock).configure({})
    backend.entropy = rng.randbytes
    clock.freeze(min(p.registered for p in people) - timedelta(days=1))
    clinician = backend.user(CLINICIAN, doc_examples=False)
    clinician.link_account("kp_" + rng.randbytes(16).hex())
    profiles = {}
    for p in sorted(people, key=lambda person: person.registered):
        clock.freeze(p.registered)
        conditions = ", ".join(problem.condition for problem in p.problems)
        profiles[p.external_id] = clinician.create_profile({
            "first_name": p.first_name, "last_name": p.last_name, "birth_date": p.birth_date.isoformat(),
            "gender": p.gender.upper(), "ehr_patient_id": p.external_id, "phone": p.phone, "email": p.email,
            "demographic_string": f"{p.name}, {_SEX[p.gender]}, {p.birth_date.isoformat()}",
            "additional_context": f"Known: {conditions}. Allergies: {p.allergy or 'none known'}."}).id
    for visit, p in sorted(((v, person) for person in people for v in person.visits), key=lambda pair: pair[0]):
        clock.freeze(visit)
        session = clinician.create_session(profiles[p.external_id], f"{p.external_id}-{visit:%Y%m%d}")
        clock.freeze(visit + timedelta(minutes=rng.randint(10, 25)))
        clinician.update_session(session.session_id, {
            "duration": rng.randint(480, 1500),
            "clinician_notes": [f"Follow-up: {', '.join(problem.condition for problem in p.problems)}"]})
        recorded = [doc for doc in paperwork[p.external_id] if doc.transcript is not None]
        for doc in (d for d in recorded if d.at.date() == visit.date()):  # the dictation of this visit
            scribe.upload_audio(session, doc.content, read_audio(doc.content), entry_id=rng.randbytes(12).hex(),
                                now=doc.at, start_time=doc.at, end_time=None)
    return backend


def esteem(people: list[Person], staff: Staff, token: str, seed: int, until: date) -> EsteemWorld:
    """The seeded Esteem world (`mockserver seed`'s, with the docs' admin and patient 1049), where `token` is
    the practice's clinician, a user of practice 1 who created every person's patient record."""
    caseload = tuple((p.registered, {
        "first_name": p.first_name, "last_name": p.last_name, "date_of_birth": p.birth_date.isoformat(),
        "gender": p.gender, "phone": p.phone, "email": p.email, "address": p.address}) for p in people)
    return seed_world(SeedOptions(until=until, seed=seed, caseload=Caseload(token, staff.clinician, caseload)))
