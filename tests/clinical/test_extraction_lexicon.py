"""The shipped lexicons: real codes (check digits verified), a name in every language, and every term
finding its concept."""

import re

import pytest

from mockserver.clinical.extraction import structure_text
from mockserver.clinical.extraction.lexicon import CATEGORIES, LANGUAGES, LEXICON
from mockserver.clinical.extraction.text import squeeze

_VERHOEFF_D = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
               [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
               [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
               [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]]
_VERHOEFF_P = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
               [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
               [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8]]


def snomed_check_digit_ok(code: str) -> bool:
    """SNOMED CT identifiers end in a Verhoeff check digit."""
    check = 0
    for i, digit in enumerate(reversed(code)):
        check = _VERHOEFF_D[check][_VERHOEFF_P[i % 8][int(digit)]]
    return check == 0


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC codes end in a mod-10 check digit."""
    number, check = code.split("-")
    total = 0
    for i, digit in enumerate(int(d) for d in reversed(number)):
        doubled = digit * 2 if i % 2 == 0 else digit
        total += doubled // 10 + doubled % 10
    return (10 - total % 10) % 10 == int(check)


def all_codes():
    for category in (*CATEGORIES, "routes"):
        for concept, data in LEXICON.codes[category].items():
            for system in ("snomed", "rxnorm", "atc", "loinc", "cvx"):
                if system in data:
                    yield category, concept, system, data[system]


FORMATS = {"snomed": r"[1-9][0-9]{5,17}", "rxnorm": r"[1-9][0-9]*", "atc": r"[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}",
           "loinc": r"[0-9]{1,7}-[0-9]", "cvx": r"[0-9]{2,3}"}


@pytest.mark.parametrize("category, concept, system, code", list(all_codes()), ids=lambda v: str(v))
def test_every_code_is_well_formed(category, concept, system, code):
    assert re.fullmatch(FORMATS[system], code)
    if system == "snomed":
        assert snomed_check_digit_ok(code)
    if system == "loinc":
        assert loinc_check_digit_ok(code)


def test_the_check_digit_tests_catch_a_typo():
    assert snomed_check_digit_ok("38341003") and not snomed_check_digit_ok("38341004")
    assert loinc_check_digit_ok("8480-6") and not loinc_check_digit_ok("8480-5")


@pytest.mark.parametrize("category, concept, expected", [
    ("conditions", "hypertension", {"snomed": "38341003"}),
    ("conditions", "type_2_diabetes", {"snomed": "44054006"}),
    ("medications", "metformin", {"rxnorm": "6809", "atc": "A10BA02"}),
    ("medications", "lisinopril", {"rxnorm": "29046", "atc": "C09AA03"}),
    ("observations", "hba1c", {"loinc": "4548-4"}),
    ("observations", "systolic_blood_pressure", {"loinc": "8480-6"}),
    ("observations", "diastolic_blood_pressure", {"loinc": "8462-4"}),
    ("observations", "heart_rate", {"loinc": "8867-4"}),
    ("observations", "body_temperature", {"loinc": "8310-5"}),
    ("observations", "body_weight", {"loinc": "29463-7"}),
    ("immunizations", "influenza_vaccine", {"cvx": "88"}),
    ("allergies", "penicillin", {"snomed": "764146007"}),
])
def test_the_issue_s_codes(category, concept, expected):
    assert LEXICON.concept_codes(category, concept) == expected


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_language_is_realistic_in_size(language):
    """Tens of concepts per category, each with a name in this language (the loader refuses gaps)."""
    for category in CATEGORIES:
        names = [LEXICON.name(category, concept, language) for concept in LEXICON.codes[category]]
        assert len(names) >= 15 and all(names)


def test_observation_units_are_unambiguous_per_concept():
    """Units are matched case-insensitively per observation, so no two of one observation's units may
    share a surface."""
    for concept, data in LEXICON.codes["observations"].items():
        meaning = {}
        for unit in data["units"]:
            for surface in LEXICON.codes["units"][unit]["surfaces"]:
                assert meaning.setdefault(squeeze(surface), unit) == unit, (concept, surface)


def _probe(language, category, concept, term):
    """A text in which `term` should be found as `concept`: targets need their cue, observations a value."""
    if category == "allergies":
        return {"en": "Allergic to {}", "de": "Allergie gegen {}", "fr": "Allergie à {}", "it": "Allergia a {}"}[
            language
        ].format(term)
    if category == "observations":
        return f"{term} 120/80" if "components" in LEXICON.observation(concept) else f"{term} 42"
    return term


TERMS = [(language, category, concept, term)
         for language in LANGUAGES for category in CATEGORIES
         for concept, terms in LEXICON.languages(category)[LANGUAGES.index(language)].items()
         if concept not in ("systolic_blood_pressure", "diastolic_blood_pressure") for term in terms]


def test_every_term_finds_its_own_concept_and_nothing_else():
    """No term is shadowed by another or split wrongly: each language file's every surface form, alone."""
    wrong = []
    for language, category, concept, term in TERMS:
        text = _probe(language, category, concept, term)
        found = [(c, e["identity_fields"]["concept"]) for c, entities in structure_text(text).items() for e in entities]
        if found != [(category, concept)]:
            wrong.append((language, term, found))
    assert wrong == [] and len(TERMS) > 1000


@pytest.mark.parametrize("language, template", [("en", "vaccinated against {}"), ("en", "{} vaccine"),
                                                ("de", "Impfung gegen {}"), ("de", "{}-Impfung"),
                                                ("fr", "vaccin contre {}"), ("it", "vaccino contro {}")])
def test_every_vaccine_target_with_a_cue_is_an_immunization(language, template):
    targets = LEXICON.languages("vaccine_targets")[LANGUAGES.index(language)]
    for concept, terms in targets.items():
        for term in terms:
            text = template.format(term)
            (entity,) = structure_text(text)["immunizations"]
            assert entity["identity_fields"]["concept"] == concept
            assert entity["instantiations"][0]["display_str"] == text
