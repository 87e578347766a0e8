"""What the synthetic people have and take: a small catalogue of common chronic problems with a first-line
medication each, the laboratory tests they move, and past operations.

Every term is one the shipped English lexicon knows, so Haidy's extraction finds in each document exactly
what the generator wrote into it; `concept` is the lexicon's key, which extraction reports.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Medication:
    name: str
    dose: str
    frequency: str

    def __str__(self) -> str:
        return f"{self.name} {self.dose} {self.frequency}"


@dataclass(frozen=True)
class Problem:
    condition: str
    """As documents write it."""
    concept: str
    medications: tuple[Medication, ...]
    """First-line options; a person takes one of them."""
    labs: tuple[tuple[str, float, float], ...] = ()
    """(lab concept, low, high): where this problem puts a test's result."""


@dataclass(frozen=True)
class Lab:
    name: str
    unit: str
    low: float
    high: float
    """The reference interval; healthy results fall well inside it."""
    decimals: int


LABS = {
    "hemoglobin": Lab("Hemoglobin", "g/dL", 12.0, 17.0, 1),
    "leukocytes": Lab("Leukocytes", "10^9/L", 4.0, 10.0, 1),
    "sodium": Lab("Sodium", "mmol/L", 135, 145, 0),
    "potassium": Lab("Potassium", "mmol/L", 3.5, 5.1, 1),
    "creatinine": Lab("Creatinine", "umol/L", 45, 110, 0),
    "egfr": Lab("eGFR", "mL/min/1.73m2", 60, 120, 0),
    "glucose": Lab("Glucose", "mmol/L", 3.9, 5.5, 1),
    "hba1c": Lab("Hemoglobin A1c", "%", 4.0, 5.6, 1),
    "ldl_cholesterol": Lab("LDL cholesterol", "mmol/L", 1.0, 3.0, 1),
    "tsh": Lab("TSH", "mU/L", 0.4, 4.0, 1),
    "crp": Lab("CRP", "mg/L", 0, 5, 0),
}
"""By lexicon concept. Everyone's report has the first seven; a problem adds its own."""

BASIC_PANEL = ("hemoglobin", "leukocytes", "sodium", "potassium", "creatinine", "egfr", "glucose")

PROBLEMS = (
    Problem("Hypertension", "hypertension",
            (Medication("Lisinopril", "10 mg", "daily"), Medication("Amlodipine", "5 mg", "daily"),
             Medication("Ramipril", "5 mg", "daily"))),
    Problem("Type 2 diabetes mellitus", "type_2_diabetes",
            (Medication("Metformin", "1000 mg", "twice daily"), Medication("Sitagliptin", "100 mg", "daily")),
            (("hba1c", 6.6, 8.9), ("glucose", 6.8, 11.5))),
    Problem("Hypercholesterolemia", "hypercholesterolemia",
            (Medication("Atorvastatin", "20 mg", "at bedtime"), Medication("Simvastatin", "40 mg", "in the evening")),
            (("ldl_cholesterol", 3.2, 4.9),)),
    Problem("Hypothyroidism", "hypothyroidism", (Medication("Levothyroxine", "75 mcg", "in the morning"),),
            (("tsh", 4.5, 9.0),)),
    Problem("Asthma", "asthma", (Medication("Salbutamol", "100 mcg", "as needed"),)),
    Problem("Atrial fibrillation", "atrial_fibrillation",
            (Medication("Apixaban", "5 mg", "twice daily"), Medication("Rivaroxaban", "20 mg", "daily"))),
    Problem("Depression", "depression",
            (Medication("Sertraline", "50 mg", "daily"), Medication("Escitalopram", "10 mg", "daily"))),
    Problem("Gastroesophageal reflux disease", "gerd", (Medication("Pantoprazole", "40 mg", "daily"),)),
    Problem("Gout", "gout", (Medication("Allopurinol", "300 mg", "daily"),), (("crp", 6, 24),)),
    Problem("Chronic kidney disease", "chronic_kidney_disease", (Medication("Furosemide", "40 mg", "daily"),),
            (("creatinine", 130, 220), ("egfr", 30, 55), ("potassium", 5.2, 5.8))),
)

ALLERGENS = ("penicillin", "sulfonamides", "latex", "peanut", "codeine")
"""A person has one of these or none."""

OPERATIONS = ("Appendectomy", "Cholecystectomy", "Tonsillectomy", "Knee replacement", "Hip replacement")
"""A person has had one of these, years ago, or none."""
