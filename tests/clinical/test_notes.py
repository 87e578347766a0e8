"""The note writer: findings land in the sections that ask for them, negated and historical findings are stated as
such, every voice style and content type is deterministic, and input text stays text."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.clinical import notes
from mockserver.clinical.notes import (
    CONTENT_TYPES,
    FILLS,
    VOICE_STYLES,
    Consultation,
    NoteTemplate,
    Section,
    facts,
    pieces,
    write_note,
)

H_AND_P = NoteTemplate("H & P", (
    Section("Patient", ("patient",)),
    Section("Chief complaint", ("complaint",)),
    Section("History of present illness", ("history",)),
    Section("Past medical history", ("context", "procedures", "immunizations")),
    Section("Medications", ("medications",)),
    Section("Allergies", ("allergies",)),
    Section("Examination", ("observations",)),
    Section("Assessment", ("problems",)),
    Section("Plan", ("plan", "addition")),
))
TRANSCRIPT = (
    "Thanks for coming in today. He came in for a review of his hypertension. "
    "He takes lisinopril 10 mg daily and metformin 500 mg twice daily. He is allergic to penicillin. "
    "BP 150/90. No chest pain. History of appendectomy. He had the flu vaccine in 2022. "
    "Plan: increase lisinopril to 20 mg daily and follow up in two weeks."
)
CONSULTATION = Consultation(transcript=TRANSCRIPT)
_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sections(note: str) -> dict[str, list[str]]:
    """A Markdown note by heading: its non-blank lines, bullets without their "- "."""
    found: dict[str, list[str]] = {}
    current = None
    for line in note.splitlines():
        if line.startswith("## "):
            current = found.setdefault(line[3:], [])
        elif line.strip():
            assert current is not None, f"text before the first heading: {line!r}"
            current.append(line[2:] if line.startswith("- ") else line)
    return found


def test_each_finding_goes_to_the_section_that_asks_for_it():
    note = sections(write_note(CONSULTATION, H_AND_P))
    assert list(note) == [section.heading for section in H_AND_P.sections]
    assert note["Chief complaint"] == ["He came in for a review of his hypertension."]
    assert note["Medications"] == ["Lisinopril 10 mg daily", "Metformin 500 mg twice daily"]
    assert note["Allergies"] == ["Penicillin allergy"]
    assert note["Examination"] == ["Blood pressure 150/90 mmHg"]
    assert note["Assessment"] == ["Hypertension", "No chest pain"]
    assert note["Past medical history"] == ["History of appendectomy", "Influenza vaccine"]
    assert note["Plan"] == ["Plan: increase lisinopril to 20 mg daily and follow up in two weeks."]
    assert "Thanks for coming in today." in note["History of present illness"][0]


def test_a_negated_finding_is_stated_as_negated_never_listed_as_present():
    note = sections(write_note(Consultation("Patient denies chest pain. Not taking aspirin. No known allergies."),
                               H_AND_P))
    assert note["Assessment"] == ["No chest pain"]
    assert note["Medications"] == ["Not taking aspirin"]
    assert note["Allergies"] == ["No known allergies"]


def test_a_clinician_note_alone_counts_as_a_fact():
    note = sections(write_note(Consultation(clinician_notes=("Allergies: penicillin",)), H_AND_P))
    assert note["Allergies"] == ["Penicillin allergy"]
    detailed = sections(write_note(Consultation(clinician_notes=("Allergies: penicillin",)), H_AND_P,
                                   voice_style="DETAILED"))
    assert detailed["Allergies"] == ["Penicillin allergy (confirmed; from clinician notes)"]
    assert "Clinician notes: Allergies: penicillin." in detailed["History of present illness"]


def test_earlier_notes_are_history_not_current_findings():
    consultation = Consultation(transcript="Routine check.", context=("Type 2 diabetes, on metformin 500 mg daily.",))
    note = sections(write_note(consultation, H_AND_P))
    assert note["Past medical history"] == ["Previously: type 2 diabetes", "Previously: metformin 500 mg daily"]
    assert note["Medications"] == ["Not discussed."] and note["Assessment"] == ["Not discussed."]
    findingless = sections(write_note(Consultation(context=("Seen for a sprained ankle.",)), H_AND_P))
    assert findingless["Past medical history"] == ["Earlier note 1: Seen for a sprained ankle."]


def test_the_patient_line_holds_what_is_known():
    given = Consultation(patient={"name": "Jane Roe", "gender": None, "dob": "1980-02-03"})
    assert sections(write_note(given, H_AND_P))["Patient"] == ["Name: Jane Roe; Date of birth: 1980-02-03"]
    heard = Consultation("Patient John Doe, date of birth 1990-01-01. Follow-up.", patient={"gender": "male"})
    assert sections(write_note(heard, H_AND_P))["Patient"] == [
        "Name: John Doe; Gender: male; Date of birth: 1990-01-01"]


def test_the_complaint_is_the_first_sentence_with_a_condition_else_the_first():
    assert sections(write_note(Consultation("Hello there. Routine check."), H_AND_P))["Chief complaint"] == [
        "Hello there."]


def test_the_addition_ends_the_plan():
    note = sections(write_note(Consultation(TRANSCRIPT, addition="Check renal function."), H_AND_P))
    assert note["Plan"][-1] == "Check renal function."


def test_an_empty_consultation_still_gives_every_section():
    for content_type in CONTENT_TYPES:
        for voice_style in VOICE_STYLES:
            note = write_note(Consultation(), H_AND_P, voice_style=voice_style, content_type=content_type)
            if content_type == "MARKDOWN":
                parsed = sections(note)
                assert parsed.pop("Allergies") == ["None known."]
                assert set(map(tuple, parsed.values())) == {("Not discussed.",)}
            else:
                assert note.count("<h2>") == len(H_AND_P.sections) and "None known." in note


def test_voice_styles_grow_in_detail():
    consultation = Consultation(TRANSCRIPT, clinician_notes=("Medication history: paracetamol",))
    written = {style: write_note(consultation, H_AND_P, voice_style=style) for style in VOICE_STYLES}
    lengths = [len(written[style]) for style in ("BRIEF", "GOLDILOCKS", "DETAILED", "SUPER_DETAILED")]
    assert lengths == sorted(lengths) and len(set(lengths)) == 4
    brief = written["BRIEF"].splitlines()
    assert all(line.startswith(("## ", "- ")) for line in brief if line)
    assert "(confirmed; from transcript)" in written["DETAILED"] and "evidence:" not in written["DETAILED"]
    assert 'evidence: "He is allergic to penicillin."' in written["SUPER_DETAILED"]
    assert "time: in 2022" in written["DETAILED"]
    mine = written["MY_VOICE"]
    assert mine != written["GOLDILOCKS"]
    assert "I reviewed my notes: Medication history: paracetamol." in mine and "I reviewed the medications:" in mine


def test_html_keeps_input_as_text():
    hostile = "<script>alert(1)</script>"
    consultation = Consultation(f"Patient has asthma. {hostile}", clinician_notes=(f"Note {hostile}",),
                                patient={"name": f"Eve {hostile}"}, addition=f"Add {hostile}")
    template = NoteTemplate("t", (Section("A & <b>", ("patient", "history", "problems", "addition")),))
    for style in VOICE_STYLES:
        note = write_note(consultation, template, voice_style=style, content_type="HTML")
        assert "<script>" not in note and "&lt;script&gt;" in note
        assert note.startswith("<h2>A &amp; &lt;b&gt;</h2>\n")
        assert re.sub(r"</?(h2|ul|li|p)>", "", note).count("<") == 0
    assert "<ul><li>Asthma</li></ul>" in write_note(consultation, template, content_type="HTML")


def test_markdown_keeps_input_as_text():
    note = write_note(Consultation("Hello.\n#Not a heading.\n- Not an item."), H_AND_P)
    assert sections(note)["History of present illness"] == ["\\#Not a heading. Not an item."]


def test_names_come_out_in_english_from_other_languages():
    note = sections(write_note(Consultation("Der Patient kommt wegen Hypertonie. Ramipril 5 mg täglich."), H_AND_P))
    assert note["Assessment"] == ["Hypertension"] and note["Medications"] == ["Ramipril 5 mg daily"]


def test_facts_keep_their_source():
    found = facts(Consultation("Asthma.", clinician_notes=("x", "Asthma."), context=("Asthma.",)))
    (asthma,) = found.current
    assert [(m.source, m.index, m.start, m.end) for m in asthma.mentions] == [
        ("transcript", 0, 0, 6), ("clinician_note", 1, 0, 6)]
    assert [(m.source, m.index) for m in found.earlier[0].mentions] == [("context", 0)]


def test_unknown_styles_are_refused():
    with pytest.raises(ValueError, match="voice_style"):
        write_note(CONSULTATION, H_AND_P, voice_style="LOUD")
    with pytest.raises(ValueError, match="content_type"):
        write_note(CONSULTATION, H_AND_P, content_type="PDF")


def test_pieces_are_a_few_words_that_carry_their_spaces():
    assert pieces("My summary of the text.") == ["My summary of ", "the text."]
    assert pieces("") == [] and pieces("  a") == ["  a"]


ALL_FILLS = NoteTemplate("all", tuple(Section(fill.title(), (fill,)) for fill in FILLS))
CLINICAL = st.sampled_from(["hypertension", "lisinopril 10 mg daily", "no chest pain", "allergic to penicillin",
                            "BP 150/90", "plan", "## Heading", "<b>", "\n", ". ", "Dr. ", "ß", "😀", "  "])
TEXT = st.one_of(st.text(max_size=120), st.lists(CLINICAL, max_size=12).map("".join))


@_SETTINGS
@given(TEXT, st.lists(TEXT, max_size=3), TEXT, st.lists(TEXT, max_size=2), TEXT,
       st.sampled_from(VOICE_STYLES), st.sampled_from(CONTENT_TYPES))
def test_any_input_gives_the_same_well_formed_note(transcript, clinician_notes, name, context, addition, style,
                                                    content_type):
    consultation = Consultation(transcript, tuple(clinician_notes), {"name": name}, tuple(context), addition)
    first = write_note(consultation, ALL_FILLS, voice_style=style, content_type=content_type)
    notes._read.cache_clear()
    notes.sentences.cache_clear()
    assert write_note(consultation, ALL_FILLS, voice_style=style, content_type=content_type) == first
    if content_type == "MARKDOWN":
        assert list(sections(first)) == [section.heading for section in ALL_FILLS.sections]
    else:
        assert first.count("<h2>") == len(FILLS) and "<" not in re.sub(r"</?(h2|ul|li|p)>", "", first)


@_SETTINGS
@given(st.text())
def test_pieces_join_back_to_the_text(text):
    assert "".join(pieces(text)) == text
    assert all(pieces(text))
