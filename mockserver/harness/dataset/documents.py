"""A person's paperwork, written from their chart: a specialist's letter and a lab report (PDF), the
practice's progress note (text) and a dictated consultation (WAV with its transcript).

Each document states the person's identity and part of the chart in words the extraction understands, so
structuring it gives back what the chart holds.
"""

from __future__ import annotations

import random
import textwrap
from dataclasses import dataclass
from datetime import datetime, timedelta

from mockserver.harness.dataset import audio, pdf
from mockserver.harness.dataset.people import Person, Result, Staff

_GENDER_WORD = {"female": "female", "male": "male", "other": "non-binary"}
_PRONOUN = {"female": "She", "male": "He", "other": "They"}


@dataclass(frozen=True)
class Document:
    filename: str
    content: bytes
    at: datetime
    """When the practice got it: a letter a few days after it was written, a lab report the next day."""
    transcript: str | None = None
    """What a recording says: Haidy "transcribes" the audio to it (the transcript registry)."""


def paperwork(person: Person, staff: Staff, rng: random.Random) -> list[Document]:
    visit = person.visits[-1]
    return [
        Document("letter.pdf", pdf.render(_wrap(letter(person, staff))), person.letter_day + timedelta(days=3)),
        Document("lab-report.pdf", pdf.render(lab_report(person, staff), font="Courier"),
                 person.lab_day + timedelta(days=1)),
        Document("note.txt", note(person, staff).encode(), visit + timedelta(minutes=40)),
        Document("consultation.wav", audio.recording(rng), visit + timedelta(minutes=25),
                 transcript=dictation(person, staff)),
    ]


def letter(person: Person, staff: Staff) -> list[str]:
    """The hospital's letter to the practice after an outpatient visit."""
    p = person
    return [
        staff.hospital, "Department of Internal Medicine", "",
        f"{p.letter_day:%d %B %Y}", "", staff.clinician, staff.practice, "",
        f"Patient: {p.name}, date of birth {p.birth_date.isoformat()}, {_GENDER_WORD[p.gender]}",
        f"Your reference: {p.external_id}", "",
        "Dear colleague,", "",
        f"thank you for referring {p.name}, whom we saw in our outpatient clinic today.", "",
        "Diagnoses:", *(f"{problem.condition}." for problem in p.problems), "",
        "Current medication:", *(f"{medication}." for medication in p.medications), "",
        f"Allergies: {p.allergy or 'none known'}.",
        *([f"Past history: {p.operation[0].lower()} in {p.operation[1]}."] if p.operation else []),
        f"Findings: {p.vitals}.", "",
        "We have not changed the medication. Please repeat the laboratory tests in three months.", "",
        "Yours sincerely,", "", staff.specialist, f"Internal Medicine, {staff.hospital}",
    ]


def lab_report(person: Person, staff: Staff) -> list[str]:
    """The laboratory's report, one result per line in fixed columns (set in Courier)."""
    p = person
    rows = [f"{r.lab.name:<18}{r.shown:>8}  {r.lab.unit:<15}{_reference(r):<15}{r.flag}".rstrip() for r in p.labs]
    return [
        staff.laboratory.upper(), "Laboratory report", "",
        f"Patient: {p.name}", f"Date of birth: {p.birth_date.isoformat()}   Gender: {_GENDER_WORD[p.gender]}",
        f"Patient ID: {p.external_id}", f"Requested by: {staff.clinician}, {staff.practice}",
        f"Collected: {p.lab_day:%Y-%m-%d %H:%M}   Reported: {p.lab_day + timedelta(days=1):%Y-%m-%d}", "",
        f"{'Test':<18}{'Result':>8}  {'Unit':<15}{'Reference':<15}Flag", *rows, "",
        "H: above, L: below the reference interval.",
    ]


def note(person: Person, staff: Staff) -> str:
    """The practice's progress note of the last visit, as plain text."""
    p, visit = person, person.visits[-1]
    abnormal = [f"{r.lab.name} {r.shown} {r.lab.unit} ({r.flag})" for r in p.labs if r.flag]
    lines = [
        f"Progress note, {visit:%Y-%m-%d}",
        f"Patient: {p.name} ({p.external_id}), date of birth {p.birth_date.isoformat()}",
        f"Clinician: {staff.clinician}, {staff.practice}", "",
        f"S: Follow-up of {_listed(problem.condition.lower() for problem in p.problems)}. "
        f"{_PRONOUN[p.gender]} feels well overall.",
        f"O: {p.vitals}.",
        f"Laboratory of {p.lab_day:%Y-%m-%d}: " + ("; ".join(abnormal) if abnormal else "unremarkable") + ".",
        f"A: {_listed(problem.condition for problem in p.problems)}, stable.",
        f"P: Continue {_listed(str(medication) for medication in p.medications)}. Review in three months.",
    ]
    return "\n".join(lines) + "\n"


def dictation(person: Person, staff: Staff) -> str:
    """What the clinician says into the recorder at the last visit."""
    p = person
    allergy = f"Allergic to {p.allergy}." if p.allergy else "No known allergies."
    return (f"This is {staff.clinician} with a consultation note. Patient {p.name}, "
            f"date of birth {p.birth_date.isoformat()}. "
            f"{_PRONOUN[p.gender]} came in for a follow-up of "
            f"{_listed(problem.condition.lower() for problem in p.problems)}. "
            f"Current medication: {_listed(str(medication) for medication in p.medications)}. {allergy} "
            f"Blood pressure {p.vitals.systolic}/{p.vitals.diastolic}, heart rate {p.vitals.heart_rate}. "
            "Plan: continue the current medication and review in three months.")


def _reference(result: Result) -> str:
    lab = result.lab
    return f"{lab.low:.{lab.decimals}f} - {lab.high:.{lab.decimals}f}"


def _listed(items) -> str:
    items = list(items)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _wrap(lines: list[str], width: int = 90) -> list[str]:
    return [part for line in lines for part in (textwrap.wrap(line, width) or [""])]
