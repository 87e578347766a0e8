"""Writes the documents the mock answers for the Haidy docs' example.com URLs (mockserver/haidy/analyst/samples/).

example.com is reserved for documentation (RFC 2606) and never a real server, so the mock serves these files
for the URLs the Haidy-Analyst guide posts. They are written with the data-set writers
(`mockserver.harness.dataset`): a family may not import the harness, so the files are made once, here, and
shipped as package data; `test_samples.py` proves the shipped files are what this script makes.

All of them are about one synthetic patient, John Doe, born 1990-01-01 (the guide's own example patient), who
has hypertension treated with Lisinopril 10 mg daily (the guide's own example text).

    .venv/bin/python -m tests.haidy.analyst.make_samples      # rewrite the shipped files
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime
from pathlib import Path

from mockserver.harness.dataset import audio, documents, pdf
from mockserver.harness.dataset.clinical import PROBLEMS
from mockserver.harness.dataset.people import Person, Result, Staff, Vitals

SAMPLES = Path(__file__).resolve().parents[3] / "mockserver" / "haidy" / "analyst" / "samples"
TRANSCRIPTS = "transcripts.json"

HYPERTENSION = PROBLEMS[0]
STAFF = Staff(clinician="Dr. Alex Morgan", practice="Example Family Practice", specialist="Dr. Sam Rivera",
              hospital="Example General Hospital", laboratory="Example Laboratory Services")
PANEL = {"hemoglobin": 14.6, "leukocytes": 6.3, "sodium": 140, "potassium": 4.4, "creatinine": 84, "egfr": 98,
         "glucose": 5.1, "ldl_cholesterol": 2.7}
EARLIER_PANEL = {"hemoglobin": 14.9, "leukocytes": 5.8, "sodium": 139, "potassium": 4.1, "creatinine": 80,
                 "egfr": 101, "glucose": 4.9}


def _at(day: str, hour: int = 9) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), UTC).replace(hour=hour)


def john_doe(labs: dict[str, float] = PANEL, lab_day: str = "2024-12-16", letter_day: str = "2024-12-18") -> Person:
    return Person(
        external_id="example-patient-1", first_name="John", last_name="Doe", birth_date=date(1990, 1, 1),
        gender="male", phone="+1-202-555-0100", email="john.doe@example.com",
        address={"street": "1 Example Street", "city": "Springfield", "state": "IL", "zip_code": "62701"},
        problems=(HYPERTENSION,), medications=(HYPERTENSION.medications[0],), allergy="penicillin", operation=None,
        labs=tuple(Result(concept, value) for concept, value in labs.items()),
        vitals=Vitals(systolic=138, diastolic=86, heart_rate=72, weight=82, temperature=36.8),
        registered=_at("2023-03-01"), letter_day=_at(letter_day, 11), lab_day=_at(lab_day, 8),
        visits=(_at("2024-12-20", 10),))


def build() -> tuple[dict[str, bytes], dict[str, str]]:
    """The sample files by name (the URL's path on example.com), and what the audio ones transcribe to."""
    person, earlier = john_doe(), john_doe(EARLIER_PANEL, "2024-06-10", "2024-06-14")
    files = {
        # the specialist's letter: one condition (hypertension), one medication (Lisinopril 10 mg daily)
        "medical-report.pdf": pdf.render(documents._wrap(documents.letter(person, STAFF))),
        "lab-results.pdf": pdf.render(documents.lab_report(person, STAFF), font="Courier"),
        "lab-report.pdf": pdf.render(documents.lab_report(earlier, STAFF), font="Courier"),
        "report1.pdf": pdf.render(documents._wrap(documents.note(person, STAFF).splitlines())),
        "report2.pdf": pdf.render(documents._wrap(documents.letter(earlier, STAFF))),
        # the mock never listens: the recording is WAV buzz that transcribes to the registered dictation
        "consultation.m4a": audio.recording(random.Random(2606), seconds=1.0),
    }
    return files, {"consultation.m4a": documents.dictation(person, STAFF)}


def write(directory: Path = SAMPLES) -> None:
    files, transcripts = build()
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (directory / name).write_bytes(content)
    (directory / TRANSCRIPTS).write_text(json.dumps(transcripts, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
    print(f"wrote {', '.join(sorted(build()[0]))} and {TRANSCRIPTS} to {SAMPLES}")
