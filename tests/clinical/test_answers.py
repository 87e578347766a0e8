"""Ask Heidi's answers: built by rules from the content (or the consultation), never empty, the same every run."""

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.clinical.answers import answer
from mockserver.clinical.notes import Consultation

CONTENT = ("Patient has hypertension, takes lisinopril 10 mg daily. Allergic to penicillin. BP 150/90. "
           "No chest pain.")


def test_the_vendor_example_gets_a_summary_that_is_the_same_every_run():
    assert answer("Summarise the following text", "My long paragraph of text") == (
        "Summary: My long paragraph of text\n\nNo clinical findings were found in the text.\n")


def test_a_summary_holds_the_opening_and_the_findings():
    assert answer("Summarize this", CONTENT) == (
        "Summary: Patient has hypertension, takes lisinopril 10 mg daily.\n\nKey findings:\n\n"
        "- Medications: Lisinopril 10 mg daily\n- Problems: Hypertension, No chest pain\n"
        "- Allergies: Penicillin allergy\n- Observations: Blood pressure 150/90 mmHg\n")


def test_a_list_names_what_was_asked_for():
    assert answer("List the medications and allergies", CONTENT) == (
        "Medications:\n\n- Lisinopril 10 mg daily\n\nAllergies:\n\n- Penicillin allergy\n")
    assert answer("What are the problems?", "Nothing of note.") == "Problems:\n\n- None found.\n"
    assert "Immunizations:" in answer("list", CONTENT)


def test_another_command_says_what_it_did_and_quotes_the_findings():
    answered = answer("Translate into German", CONTENT)
    assert answered.startswith('Request: "Translate into German". The text has 4 sentence(s).\n\n'
                               'It begins: "Patient has hypertension, takes lisinopril 10 mg daily."')
    assert "- Medications: Lisinopril 10 mg daily" in answered


def test_blank_content_falls_back_to_the_consultation():
    consultation = Consultation(transcript="Follow-up of asthma.", clinician_notes=("Allergies: latex",))
    answered = answer("Summarise", " ", consultation)
    assert answered.startswith("Summary: Follow-up of asthma.") and "Latex allergy" in answered
    assert answer("Summarise", "") == "Summary: the text is empty.\n\nNo clinical findings were found in the text.\n"


def test_html_content_is_read_as_text_and_the_answer_escaped():
    answered = answer("Summarise <b>now</b>", "<p>&lt;script&gt;alert(1)&lt;/script&gt; Asthma.</p>",
                      content_type="HTML")
    assert answered == ("<p>Summary: &lt;script&gt;alert(1)&lt;/script&gt; Asthma.</p>\n<p>Key findings:</p>\n"
                        "<ul><li>Problems: Asthma</li></ul>\n")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60), st.text(max_size=200), st.sampled_from(["MARKDOWN", "HTML"]))
def test_any_command_and_content_get_an_answer(command, content, content_type):
    answered = answer(command, content, content_type=content_type)
    assert answered.strip() and answered == answer(command, content, content_type=content_type)
    if content_type == "HTML":
        assert "<" not in re.sub(r"</?(p|ul|li)>", "", answered)
