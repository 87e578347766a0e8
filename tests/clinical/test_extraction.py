"""Entity extraction from one text: the docs' examples, each category in each language, status, time,
output language."""

import pytest

from mockserver.clinical.extraction import detect_language, patient_metadata, structure_text

CONFIRMED = {"negated": False, "historical": False, "certainty": "confirmed"}


def found(text, language="en"):
    """[(category, identity_fields without codes/concept, display_str)] of every instantiation, in output order."""
    result = []
    for category, entities in structure_text(text, output_language=language).items():
        for entity in entities:
            fields = {k: v for k, v in entity["identity_fields"].items() if k not in ("codes", "concept", "components")}
            result += [(category, fields, i["display_str"]) for i in entity["instantiations"]]
    return result


def the(text, category, language="en"):
    (entity,) = structure_text(text, output_language=language)[category]
    return entity


def span(text, part):
    start = text.index(part)
    return {"start": start, "end": start + len(part)}


def test_the_docs_first_request_text():
    text = "Patient presents with hypertension. Current medications: Lisinopril 10mg daily."
    output = structure_text(text)
    (condition,) = output["conditions"]
    (medication,) = output["medications"]
    assert condition["identity_fields"] == {
        "name": "Hypertension",
        "concept": "hypertension",
        "codes": {"snomed": "38341003"},
    }
    assert medication["identity_fields"] == {
        "name": "Lisinopril",
        "dose": "10mg",
        "frequency": "daily",
        "concept": "lisinopril",
        "codes": {"rxnorm": "29046", "atc": "C09AA03"},
    }
    assert medication["instantiations"] == [
        {
            "display_str": "Lisinopril 10mg daily",
            "span": span(text, "Lisinopril 10mg daily"),
            "tagging_certainty": 0.95,
            "time_references": [],
            "status": CONFIRMED,
        }
    ]
    assert condition["instantiations"][0]["span"] == span(text, "hypertension")
    assert medication["identity_signature"].startswith("med_") and condition["identity_signature"].startswith("cond_")
    assert output["procedures"] == output["allergies"] == output["immunizations"] == output["observations"] == []


def test_the_docs_vital_signs():
    text = "Vital signs: BP 120/80, HR 72, Temp 38.5°C"
    bp, hr, temp = structure_text(text)["observations"]
    assert bp["identity_fields"] == {
        "name": "Blood pressure",
        "value": "120/80",
        "unit": "mmHg",
        "concept": "blood_pressure",
        "codes": {"loinc": "85354-9"},
        "components": [
            {
                "name": "Systolic blood pressure",
                "value": 120,
                "unit": "mmHg",
                "concept": "systolic_blood_pressure",
                "codes": {"loinc": "8480-6"},
            },
            {
                "name": "Diastolic blood pressure",
                "value": 80,
                "unit": "mmHg",
                "concept": "diastolic_blood_pressure",
                "codes": {"loinc": "8462-4"},
            },
        ],
    }
    assert hr["identity_fields"] == {
        "name": "Heart rate",
        "value": 72,
        "unit": "/min",
        "concept": "heart_rate",
        "codes": {"loinc": "8867-4"},
    }
    assert temp["identity_fields"] == {
        "name": "Body temperature",
        "value": 38.5,
        "unit": "°C",
        "concept": "body_temperature",
        "codes": {"loinc": "8310-5"},
    }
    assert [e["instantiations"][0]["span"] for e in (bp, hr, temp)] == [
        span(text, "BP 120/80"),
        span(text, "HR 72"),
        span(text, "Temp 38.5°C"),
    ]
    assert [e["instantiations"][0]["tagging_certainty"] for e in (bp, hr, temp)] == [0.85, 0.85, 0.95]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Patient has type 2 diabetes. Current medications: Metformin 1000mg twice daily.",
            [
                (
                    "medications",
                    {"name": "Metformin", "dose": "1000mg", "frequency": "twice daily"},
                    "Metformin 1000mg twice daily",
                ),
                ("conditions", {"name": "Type 2 diabetes"}, "type 2 diabetes"),
            ],
        ),
        (
            "Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes.",
            [("conditions", {"name": "Type 2 diabetes"}, "type 2 diabetes")],
        ),
        (
            "Patient presents with fever and cough for 3 days.",
            [("conditions", {"name": "Fever"}, "fever"), ("conditions", {"name": "Cough"}, "cough")],
        ),
        (
            "Diagnosis: Upper respiratory tract infection",
            [("conditions", {"name": "Upper respiratory tract infection"}, "Upper respiratory tract infection")],
        ),
        (
            "Patient presents with headache and nausea",
            [("conditions", {"name": "Headache"}, "headache"), ("conditions", {"name": "Nausea"}, "nausea")],
        ),
        (
            "Vital signs: BP 140/90, HR 85, Temp 37.2°C",
            [
                ("observations", {"name": "Blood pressure", "value": "140/90", "unit": "mmHg"}, "BP 140/90"),
                ("observations", {"name": "Heart rate", "value": 85, "unit": "/min"}, "HR 85"),
                ("observations", {"name": "Body temperature", "value": 37.2, "unit": "°C"}, "Temp 37.2°C"),
            ],
        ),
        ("Patient has hypertension", [("conditions", {"name": "Hypertension"}, "hypertension")]),
        ("Patient has type 2 diabetes", [("conditions", {"name": "Type 2 diabetes"}, "type 2 diabetes")]),
        (
            "Current medications: Metformin 1000mg twice daily",
            [
                (
                    "medications",
                    {"name": "Metformin", "dose": "1000mg", "frequency": "twice daily"},
                    "Metformin 1000mg twice daily",
                )
            ],
        ),
    ],
)
def test_the_docs_other_example_texts(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize(
    "text, category, fields, mention",
    [
        # English
        ("Allergic to penicillin.", "allergies", {"name": "Penicillin"}, "Allergic to penicillin"),
        ("Received influenza vaccine.", "immunizations", {"name": "Influenza vaccine"}, "influenza vaccine"),
        ("HbA1c 7.2 % last week", "observations", {"name": "Hemoglobin A1c", "value": 7.2, "unit": "%"}, "HbA1c 7.2 %"),
        ("Temp 38.5 C", "observations", {"name": "Body temperature", "value": 38.5, "unit": "°C"}, "Temp 38.5 C"),
        ("Colonoscopy was normal.", "procedures", {"name": "Colonoscopy"}, "Colonoscopy"),
        (
            "Salbutamol 2 puffs as needed",
            "medications",
            {"name": "Salbutamol", "dose": "2 puffs", "frequency": "as needed"},
            "Salbutamol 2 puffs as needed",
        ),
        # German
        (
            "Ibuprofen 400 mg p.o. 3x täglich",
            "medications",
            {"name": "Ibuprofen", "dose": "400mg", "route": "oral", "frequency": "three times daily"},
            "Ibuprofen 400 mg p.o. 3x täglich",
        ),
        (
            "Ramipril 5 mg 1-0-1",
            "medications",
            {"name": "Ramipril", "dose": "5mg", "frequency": "twice daily"},
            "Ramipril 5 mg 1-0-1",
        ),
        ("Bekannte Hypertonie.", "conditions", {"name": "Hypertension"}, "Hypertonie"),
        ("Penicillin-Allergie", "allergies", {"name": "Penicillin"}, "Penicillin-Allergie"),
        ("Penicillinallergie", "allergies", {"name": "Penicillin"}, "Penicillinallergie"),
        ("Tetanus-Impfung erfolgt", "immunizations", {"name": "Tetanus vaccine"}, "Tetanus-Impfung"),
        ("Grippeimpfung im Herbst", "immunizations", {"name": "Influenza vaccine"}, "Grippeimpfung"),
        ("Gewicht 80 kg", "observations", {"name": "Body weight", "value": 80, "unit": "kg"}, "Gewicht 80 kg"),
        (
            "RR 130/80 mmHg",
            "observations",
            {"name": "Blood pressure", "value": "130/80", "unit": "mmHg"},
            "RR 130/80 mmHg",
        ),
        ("Koloskopie unauffällig", "procedures", {"name": "Colonoscopy"}, "Koloskopie"),
        # French
        ("diabète de type 2 connu", "conditions", {"name": "Type 2 diabetes"}, "diabète de type 2"),
        (
            "Metformine 1000 mg deux fois par jour",
            "medications",
            {"name": "Metformin", "dose": "1000mg", "frequency": "twice daily"},
            "Metformine 1000 mg deux fois par jour",
        ),
        ("Allergie à la pénicilline", "allergies", {"name": "Penicillin"}, "Allergie à la pénicilline"),
        ("Vaccin antigrippal fait", "immunizations", {"name": "Influenza vaccine"}, "Vaccin antigrippal"),
        ("Poids 80 kg", "observations", {"name": "Body weight", "value": 80, "unit": "kg"}, "Poids 80 kg"),
        (
            "température 38,5 °C",
            "observations",
            {"name": "Body temperature", "value": 38.5, "unit": "°C"},
            "température 38,5 °C",
        ),
        ("Cholécystectomie en 2010", "procedures", {"name": "Cholecystectomy"}, "Cholécystectomie"),
        # Italian
        ("ipertensione arteriosa", "conditions", {"name": "Hypertension"}, "ipertensione arteriosa"),
        (
            "Metformina 500 mg due volte al giorno",
            "medications",
            {"name": "Metformin", "dose": "500mg", "frequency": "twice daily"},
            "Metformina 500 mg due volte al giorno",
        ),
        ("allergia alla penicillina", "allergies", {"name": "Penicillin"}, "allergia alla penicillina"),
        ("vaccino antitetanico 2019", "immunizations", {"name": "Tetanus vaccine"}, "vaccino antitetanico"),
        (
            "pressione arteriosa 130/85 mmHg",
            "observations",
            {"name": "Blood pressure", "value": "130/85", "unit": "mmHg"},
            "pressione arteriosa 130/85 mmHg",
        ),
        (
            "glicemia 110 mg/dl",
            "observations",
            {"name": "Glucose", "value": 110, "unit": "mg/dL"},
            "glicemia 110 mg/dl",
        ),
        ("appendicectomia", "procedures", {"name": "Appendectomy"}, "appendicectomia"),
    ],
)
def test_each_category_in_each_language(text, category, fields, mention):
    entity = the(text, category)
    assert {k: v for k, v in entity["identity_fields"].items() if k not in ("codes", "concept", "components")} == fields
    assert [i["span"] for i in entity["instantiations"]] == [span(text, mention)]
    assert text[entity["instantiations"][0]["span"]["start"]:entity["instantiations"][0]["span"]["end"]] == mention


@pytest.mark.parametrize("text, category, codes", [
    ("Hypertonie", "conditions", {"snomed": "38341003"}),
    ("Lisinopril", "medications", {"rxnorm": "29046", "atc": "C09AA03"}),
    ("Gewicht 80 kg", "observations", {"loinc": "29463-7"}),
    ("HbA1c 7.2 %", "observations", {"loinc": "4548-4"}),
    ("influenza vaccine", "immunizations", {"cvx": "88"}),
    ("allergic to penicillin", "allergies", {"snomed": "764146007"}),
    ("Appendektomie", "procedures", {"snomed": "80146002"}),
    ("allergic to nickel", "allergies", {}),
])
def test_codes_come_with_the_entity(text, category, codes):
    assert the(text, category)["identity_fields"].get("codes", {}) == codes


@pytest.mark.parametrize("text, mention, negated, historical, certainty", [
    ("Patient denies chest pain.", "chest pain", True, False, "negated"),
    ("No fever.", "fever", True, False, "negated"),
    ("Keine Allergien.", "Allergien", True, False, "negated"),
    ("Pas de fièvre.", "fièvre", True, False, "negated"),
    ("Nessuna febbre.", "febbre", True, False, "negated"),
    ("Pneumonie ausgeschlossen.", "Pneumonie", True, False, "negated"),
    ("History of hypertension.", "hypertension", False, True, "confirmed"),
    ("St. n. Appendektomie 2015.", "Appendektomie", False, True, "confirmed"),
    ("Antécédents de cholécystectomie.", "cholécystectomie", False, True, "confirmed"),
    ("Pregressa polmonite.", "polmonite", False, True, "confirmed"),
    ("Suspected pneumonia.", "pneumonia", False, False, "possible"),
    ("V.a. Pneumonie.", "Pneumonie", False, False, "possible"),
    ("No history of diabetes.", "diabetes", True, False, "negated"),
])
def test_negation_history_and_uncertainty(text, mention, negated, historical, certainty):
    statuses = {i["display_str"]: i["status"] for entities in structure_text(text).values() for e in entities
                for i in e["instantiations"]}
    assert statuses[mention] == {"negated": negated, "historical": historical, "certainty": certainty}


def test_a_negation_reaches_along_a_list_but_not_past_it():
    text = "Patient denies chest pain, shortness of breath, fever or cough. History of hypertension."
    negated = {d: s["negated"] for _, _, d, s in _statuses(text)}
    assert negated == {
        "chest pain": True,
        "shortness of breath": True,
        "fever": True,
        "cough": True,
        "hypertension": False,
    }
    assert {d: s["negated"] for _, _, d, s in _statuses("No fever for 3 days and has hypertension.")} == {
        "fever": True,
        "hypertension": False,
    }
    assert {d: s["negated"] for _, _, d, s in _statuses("No fever but cough.")} == {"fever": True, "cough": False}


def test_a_measured_value_is_never_negated():
    statuses = {d: s for _, _, d, s in _statuses("Kein Fieber, Temp 37.2 C.")}
    assert statuses["Fieber"]["negated"] and statuses["Temp 37.2 C"] == CONFIRMED


def test_allergy_lists_and_generic_allergies():
    text = "Allergies: penicillin, latex and peanuts."
    assert found(text) == [
        ("allergies", {"name": "Penicillin"}, "penicillin"),
        ("allergies", {"name": "Latex"}, "latex"),
        ("allergies", {"name": "Peanut"}, "peanuts"),
    ]
    assert found("Allergies: none.") == [("allergies", {"name": "Allergy"}, "Allergies")]
    assert the("No known allergies.", "allergies")["instantiations"][0]["status"]["negated"]
    assert found("Allergies: see the list.") == []
    assert found("Latex gloves used.") == []


def test_a_target_without_its_cue_is_something_else_or_nothing():
    assert found("Ibuprofen 400 mg") == [("medications", {"name": "Ibuprofen", "dose": "400mg"}, "Ibuprofen 400 mg")]
    assert found("allergic to ibuprofen") == [("allergies", {"name": "Ibuprofen"}, "allergic to ibuprofen")]
    assert found("Influenza since Monday") == [("conditions", {"name": "Influenza"}, "Influenza")]
    assert found("Tetanus") == []


def test_ambiguous_abbreviations_are_read_from_their_value_and_case():
    assert found("RR 16/min") == [
        ("observations", {"name": "Respiratory rate", "value": 16, "unit": "/min"}, "RR 16/min")
    ]
    assert found("RR 130/80") == [
        ("observations", {"name": "Blood pressure", "value": "130/80", "unit": "mmHg"}, "RR 130/80")
    ]
    assert found("known AF") == [("conditions", {"name": "Atrial fibrillation"}, "AF")]
    assert found("AF 18/min") == [
        ("observations", {"name": "Respiratory rate", "value": 18, "unit": "/min"}, "AF 18/min")
    ]
    assert found("half af the time") == []
    assert found("Weight: stable") == []


@pytest.mark.parametrize("text, values", [
    ("Hypertension since 2019.", [("date", "2019", "since 2019")]),
    ("Hypertonie, Erstdiagnose 12.03.2023.", [("date", "2023-03-12", "12.03.2023")]),
    ("Hypertension diagnosed 2023-03-12.", [("date", "2023-03-12", "2023-03-12")]),
    ("Hypertonie seit 12. März 2023.", [("date", "2023-03-12", "12. März 2023")]),
    ("Hypertension since March 2023.", [("date", "2023-03", "March 2023")]),
    ("Cough for 3 days.", [("duration", "P3D", "for 3 days")]),
    ("Husten seit 3 Tagen.", [("duration", "P3D", "seit 3 Tagen")]),
    ("Toux depuis 2 semaines.", [("duration", "P2W", "depuis 2 semaines")]),
    ("Tosse da 5 giorni.", [("duration", "P5D", "da 5 giorni")]),
    ("Cough. Diagnosed 12.03.2023.", []),
    ("Hypertension, 31.02.2023.", []),
])
def test_time_references_are_the_sentence_s_dates(text, values):
    (entity,) = [e for entities in structure_text(text).values() for e in entities]
    references = entity["instantiations"][0]["time_references"]
    assert [(r["type"], r["value"], r["text"]) for r in references] == values
    assert all(text[r["span"]["start"]:r["span"]["end"]] == r["text"] for r in references)


def test_a_birth_date_or_a_value_is_no_time_reference():
    assert (
        the("Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes.", "conditions")["instantiations"][0][
            "time_references"
        ]
        == []
    )
    assert the("Leukozyten 2000 /nl", "observations")["instantiations"][0]["time_references"] == []


def test_output_language_names_the_concept_and_keeps_the_span():
    text = "Hypertonie. Ibuprofen 400 mg 3x täglich."
    english, german, french = (structure_text(text, output_language=lang) for lang in ("en", "de", "fr"))
    assert [
        e["identity_fields"]["name"]
        for e in (english["conditions"][0], german["conditions"][0], french["conditions"][0])
    ] == ["Hypertension", "Hypertonie", "Hypertension artérielle"]
    assert [o["medications"][0]["identity_fields"]["frequency"] for o in (english, german, french)] == \
        ["three times daily", "dreimal täglich", "trois fois par jour"]
    assert english["conditions"][0]["instantiations"] == german["conditions"][0]["instantiations"]
    assert english["conditions"][0]["instantiations"][0]["display_str"] == "Hypertonie"
    assert {o["conditions"][0]["identity_signature"] for o in (english, german, french)} == {
        english["conditions"][0]["identity_signature"]
    }


def test_the_same_concept_in_two_languages_is_one_entity():
    (entity,) = structure_text("Hypertonie seit 2019. Known hypertension. HTN.")["conditions"]
    assert [i["display_str"] for i in entity["instantiations"]] == ["Hypertonie", "hypertension", "HTN"]
    assert [i["tagging_certainty"] for i in entity["instantiations"]] == [0.95, 0.95, 0.85]


def test_different_values_or_doses_are_different_entities():
    output = structure_text("HR 72. HR 72. HR 85. Metformin 500 mg daily. Metformin 1000 mg daily.")
    assert [(e["identity_fields"]["value"], len(e["instantiations"])) for e in output["observations"]] == [
        (72, 2),
        (85, 1),
    ]
    assert [e["identity_fields"]["dose"] for e in output["medications"]] == ["500mg", "1000mg"]


def test_an_unknown_output_language_is_refused():
    with pytest.raises(ValueError, match="output_language"):
        structure_text("Hypertension", output_language="es")


def test_nothing_in_nothing():
    assert structure_text("") == {
        "medications": [],
        "conditions": [],
        "procedures": [],
        "allergies": [],
        "immunizations": [],
        "observations": [],
    }


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Patient John Doe, DOB 1990-01-01, diagnosed with type 2 diabetes.",
            {"name": "John Doe", "gender": "male", "birthday": "1990-01-01T00:00:00Z"},
        ),
        (
            "Patientin Erika Mustermann, geb. 12.08.1964, Hypertonie.",
            {"name": "Erika Mustermann", "gender": "female", "birthday": "1964-08-12T00:00:00Z"},
        ),
        (
            "Mme Marie Dupont, née le 03/04/1975.",
            {"name": "Marie Dupont", "gender": "female", "birthday": "1975-04-03T00:00:00Z"},
        ),
        (
            "Il paziente Mario Rossi, nato il 5 maggio 1950.",
            {"name": "Mario Rossi", "gender": "male", "birthday": "1950-05-05T00:00:00Z"},
        ),
        ("Herr Hans Müller klagt über Husten.", {"name": "Hans Müller", "gender": "male", "birthday": None}),
        ("Il paziente Mario Di Maio.", {"name": "Mario Di Maio", "gender": "male", "birthday": None}),
        ("Patientin Erika Nickel, Hypertonie.", {"name": "Erika Nickel", "gender": "female", "birthday": None}),
        (
            "Name: Alex Taylor. Date of birth: 12 March 1980. She reports a cough.",
            {"name": "Alex Taylor", "gender": "female", "birthday": "1980-03-12T00:00:00Z"},
        ),
        ("Patient Alex Taylor", {"name": "Alex Taylor", "gender": "unknown", "birthday": None}),
        ("He denies chest pain.", {"name": None, "gender": "male", "birthday": None}),
        ("Patient: Sam Lee, non-binary.", {"name": "Sam Lee", "gender": "other", "birthday": None}),
    ],
)
def test_patient_metadata(text, expected):
    assert patient_metadata(text) == expected


@pytest.mark.parametrize(
    "text", ["Patient presents with hypertension.", "Vital signs: BP 120/80", "", "Patient Information Sheet"]
)
def test_no_patient_metadata_where_the_text_states_none(text):
    assert patient_metadata(text) is None


@pytest.mark.parametrize(
    "text, language",
    [
        ("Patient presents with fever and cough for 3 days.", "en"),
        ("Der Patient hat seit 3 Tagen Fieber und Husten.", "de"),
        ("Le patient présente de la fièvre depuis 3 jours.", "fr"),
        ("Il paziente presenta febbre da 3 giorni.", "it"),
        ("BP 120/80", None),
    ],
)
def test_language_detection(text, language):
    assert detect_language(text) == language


def _statuses(text):
    return [
        (c, e["identity_fields"]["name"], i["display_str"], i["status"])
        for c, entities in structure_text(text).items()
        for e in entities
        for i in e["instantiations"]
    ]
