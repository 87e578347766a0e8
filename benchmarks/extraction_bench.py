"""Extraction throughput on one core: short clinical texts per second through structure_text, through
holistic_patient (one record per call, as a task processes it) and on to a FHIR Bundle; and 10-page
PDF letters per second, from the PDF's bytes (pypdf text extraction) to the HolisticPatient.

A benchmark, not a test: it prints numbers and fails nothing. The target is 200 short records/s.

    .venv/bin/python benchmarks/extraction_bench.py [--seconds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mockserver.clinical.extraction import holistic_patient, structure_text
from mockserver.haidy.analyst import fhir
from mockserver.haidy.analyst.inputs import pdf_text
from mockserver.harness.dataset import pdf

SHORT_TEXTS = [
    "Patient presents with hypertension. Current medications: Lisinopril 10mg daily.",
    "Patient presents with fever and cough for 3 days.",
    "Vital signs: BP 120/80, HR 72, Temp 38.5°C",
    "Diagnosis: Upper respiratory tract infection",
    "Patient has type 2 diabetes. Current medications: Metformin 1000mg twice daily.",
    "Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes.",
    "Ibuprofen 400 mg p.o. 3x täglich. Keine Allergien. St. n. Appendektomie 2015.",
    "Patientin Erika Mustermann, geb. 12.08.1964. Hypertonie seit 2019, Gewicht 80 kg.",
    "Diabète de type 2. Pas de fièvre. Allergie à la pénicilline. Metformine 1000 mg deux fois par jour.",
    "Ipertensione arteriosa. Nessuna febbre. Vaccino antinfluenzale 2023. Pressione arteriosa 130/85 mmHg.",
]
TARGET = 200


def records_per_second(work, seconds: float) -> float:
    """Runs `work(text)` over the corpus round-robin for `seconds` after a short warm-up; returns calls per second."""
    for text in SHORT_TEXTS:
        work(text)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for text in SHORT_TEXTS:
            work(text)
        done += len(SHORT_TEXTS)
    return done / elapsed


def _record(text: str) -> dict:
    return {
        "record_id": None,
        "content_hash": "sha256:" + hashlib.sha256(text.encode()).hexdigest(),
        "input_text": text,
        "content": {"type": "plain_text", "text": text},
    }


def _holistic(text: str) -> dict:
    return holistic_patient([_record(text)], existing=None, config={}, now="2024-01-01T00:00:00Z")


def ten_page_pdf() -> bytes:
    """A letter of 10 full pages of the short texts (about 40 KB of text), as a long discharge letter."""
    return pdf.render([SHORT_TEXTS[i % len(SHORT_TEXTS)] for i in range(10 * pdf.LINES_PER_PAGE)])


def pdfs_per_second(data: bytes, seconds: float) -> tuple[float, int]:
    """10-page PDFs per second through text extraction and the HolisticPatient; and the pages found."""
    text, pages = pdf_text(data)
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds or done == 0:
        text, _ = pdf_text(data)
        _holistic(text)
        done += 1
    return done / elapsed, pages


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per case (default 3)")
    args = parser.parse_args(argv)
    cases = [("structure_text", structure_text),
             ("holistic_patient (1 record)", _holistic),
             ("holistic_patient + FHIR bundle", lambda text: fhir.bundle(_holistic(text), []))]
    average = sum(len(t) for t in SHORT_TEXTS) / len(SHORT_TEXTS)
    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, one process (one core)")
    print(f"{len(SHORT_TEXTS)} short texts (en, de, fr, it), {average:.0f} characters on average; "
          f"target {TARGET} records/s\n")
    print(f"{'case':34} {'records/s':>10} {'ms/record':>10}")
    for name, work in cases:
        rate = records_per_second(work, args.seconds)
        print(f"{name:34} {rate:10.0f} {1000 / rate:10.2f}")
    data = ten_page_pdf()
    rate, pages = pdfs_per_second(data, args.seconds)
    print(f"{f'PDF letter, {pages} pages, {len(data) // 1024} KB':34} {rate:10.1f} {1000 / rate:10.2f}")


if __name__ == "__main__":
    main()
