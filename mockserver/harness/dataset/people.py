"""The synthetic people of a data set: one identity each, a chart, and the days they were seen.

Faker gives names and contact details; the chart (problems, medication, allergy, an old operation, lab
results, vital signs) comes from the clinical catalogue. Randomness comes only from the seed and time only
from `until`, so the same arguments give the same people.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from faker import Faker

from mockserver.harness.dataset.clinical import (
    ALLERGENS,
    BASIC_PANEL,
    LABS,
    OPERATIONS,
    PROBLEMS,
    Lab,
    Medication,
    Problem,
)


@dataclass(frozen=True)
class Result:
    concept: str
    value: float

    @property
    def lab(self) -> Lab:
        return LABS[self.concept]

    @property
    def shown(self) -> str:
        """The value as a report prints it, with the lab's decimals."""
        return f"{self.value:.{self.lab.decimals}f}"

    @property
    def flag(self) -> str:
        return "H" if self.value > self.lab.high else "L" if self.value < self.lab.low else ""


@dataclass(frozen=True)
class Vitals:
    systolic: int
    diastolic: int
    heart_rate: int
    weight: int
    temperature: float

    def __str__(self) -> str:
        return (f"BP {self.systolic}/{self.diastolic} mmHg, HR {self.heart_rate}/min, "
                f"temperature {self.temperature:.1f} °C, weight {self.weight} kg")


@dataclass(frozen=True)
class Person:
    external_id: str
    """The id of the practice software: Haidy's `external_id`, Heidi's `ehr_patient_id`."""
    first_name: str
    last_name: str
    birth_date: date
    gender: str
    """female, male or other."""
    phone: str
    email: str
    address: dict
    problems: tuple[Problem, ...]
    medications: tuple[Medication, ...]
    """One per problem, in the same order."""
    allergy: str | None
    operation: tuple[str, int] | None
    """(operation, year)."""
    labs: tuple[Result, ...]
    vitals: Vitals
    registered: datetime
    """When the practice first saw them: their Haidy context, Heidi profile and Esteem patient are made then."""
    letter_day: datetime
    """When a specialist wrote to the practice about them."""
    lab_day: datetime
    visits: tuple[datetime, ...]
    """Consultations, oldest first; the last one is dictated (audio) and written up (note)."""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True)
class Staff:
    """Who writes and receives the documents."""

    clinician: str
    """The practice's doctor, who sees every patient of the data set."""
    practice: str
    specialist: str
    hospital: str
    laboratory: str


def make_people(count: int, seed: int, until: date) -> tuple[Staff, list[Person]]:
    """The staff, and `count` people whose records all lie before 18:00 UTC on `until` (external ids
    `demo-patient-1`, ...)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    city = fake.city()
    staff = Staff(clinician=f"Dr. {fake.name_nonbinary()}", practice=f"{city} Family Practice",
                  specialist=f"Dr. {fake.name_nonbinary()}", hospital=f"{city} General Hospital",
                  laboratory=f"{fake.last_name()} Laboratory Services")
    return staff, [_person(f"demo-patient-{n}", fake, rng, until) for n in range(1, count + 1)]


def _person(external_id: str, fake: Faker, rng: random.Random, until: date) -> Person:
    gender = rng.choices(("female", "male", "other"), weights=(48, 48, 4))[0]
    first = {"female": fake.first_name_female, "male": fake.first_name_male}.get(gender, fake.first_name)()
    last = fake.last_name()
    born = fake.date_between(until - timedelta(days=88 * 365), until - timedelta(days=25 * 365))
    problems = tuple(rng.sample(PROBLEMS, rng.choice((1, 2, 2, 3))))
    ranges = {concept: (LABS[concept].low, LABS[concept].high) for concept in BASIC_PANEL}
    for problem in problems:
        ranges.update((concept, (low, high)) for concept, low, high in problem.labs)
    labs = tuple(Result(concept, _within(rng, *ranges[concept], LABS[concept].decimals)) for concept in ranges)
    visits = sorted(_day(until, rng.randint(low, high), rng) for low, high in ((1, 20), (25, 55))[:rng.randint(1, 2)])
    return Person(
        external_id=external_id, first_name=first, last_name=last, birth_date=born, gender=gender,
        phone=fake.numerify("+1-%##-555-####"),
        email=re.sub(r"[^a-z]", "", first.lower()) + "." + re.sub(r"[^a-z]", "", last.lower()) + "@example.com",
        address={"street": fake.street_address(), "city": fake.city(), "state": fake.state_abbr(),
                 "zip_code": fake.zipcode()},
        problems=problems, medications=tuple(rng.choice(p.medications) for p in problems),
        allergy=rng.choice(ALLERGENS) if rng.random() < 0.5 else None,
        operation=(rng.choice(OPERATIONS), rng.randint(born.year + 18, until.year - 2)) if rng.random() < 0.5 else None,
        labs=labs,
        vitals=Vitals(rng.randint(112, 152), rng.randint(68, 94), rng.randint(56, 96), rng.randint(52, 112),
                      rng.randint(362, 373) / 10),
        registered=_day(until, rng.randint(200, 700), rng), letter_day=_day(until, rng.randint(90, 180), rng),
        lab_day=_day(until, rng.randint(56, 80), rng), visits=tuple(visits))


def _within(rng: random.Random, low: float, high: float, decimals: int) -> float:
    """A value in the middle of [low, high], as a report rounds it."""
    value = round(low + (high - low) * rng.uniform(0.15, 0.85), decimals)
    return int(value) if decimals == 0 else value


def _day(until: date, days_before: int, rng: random.Random) -> datetime:
    """Office hours on the day `days_before` days before `until`, UTC."""
    return datetime.combine(until - timedelta(days=days_before), time(rng.randint(8, 16), rng.randrange(0, 60, 5)),
                            UTC)
