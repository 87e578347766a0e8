"""POST /v2/generate/report and /v2/generate/report/adjust-style (haidy-report-generation.txt): the docs' example
request as written, every template and language, the style dials, streaming, determinism and the 422s."""

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.haidy import report_generation, report_templates
from tests.support import AUTH, DOC_COPIES, ROOT

DOC = DOC_COPIES["haidy"] / "haidy-report-generation.txt"
REPORT, ADJUST = "/v2/generate/report", "/v2/generate/report/adjust-style"
TRANSCRIPT = {"bubbles": [
    {"text": "Patient reports chest pain since yesterday.", "start": 0.0, "end": 3.2},
    {"text": "No fever, blood pressure 140 over 90.", "start": 3.2, "end": 6.0},
    {"text": "Possible pneumonia. Taking lisinopril 10 mg daily.", "start": 6.0, "end": 9.0},
    {"text": "History of asthma. Plan: start amoxicillin 500 mg three times daily.", "start": 9.0, "end": 12.0},
]}
LANGUAGES = ("de", "fr", "it", "en", "es")


def doc_request() -> dict:
    """The constructed example request of the page, parsed from its text."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("{", text.index("POST /v2/generate/report HTTP/1.1"))
    return json.JSONDecoder().raw_decode(text[start:])[0]


def post(client, body, path=REPORT, headers=AUTH):
    return client.post(path, json=body, headers=headers)


def report(client, path=REPORT, **body) -> str:
    resp = post(client, {"template_name": "consultation_report", "transcript": TRANSCRIPT, **body}
                if path == REPORT else body, path)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["report"]


def streamed(resp) -> str:
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson"
    return "".join(json.loads(line)["data"] for line in resp.get_data(as_text=True).splitlines())


def test_the_docs_example_runs_as_written(client):
    body = doc_request()
    assert body["template_name"] == "consultation_report" and body["streaming"] is False
    resp = post(client, body)
    assert resp.status_code == 200
    answer = resp.get_json()
    assert set(answer) == {"report", "template_name", "language"}
    assert answer["template_name"] == "consultation_report" and answer["language"] == "de"
    text = answer["report"]
    assert text.startswith("# Konsultationsbericht\n\n## Anamnese\n")
    assert "- Patient reports chest pain since yesterday." in text  # bullet points, as the instructions ask
    assert "- Brustschmerzen" in text and "Kein Hinweis auf Fieber" in text
    assert "Zusätzliche Anweisungen: Use bullet points for findings." in text
    assert "Geprüft" not in text


def test_every_template_in_every_language_has_its_headings(client):
    for name in report_templates.names():
        template = report_templates.template(name)
        for language in LANGUAGES:
            text = report(client, template_name=name, language=language)
            headings = re.findall(r"^## (.+)$", text, re.M)
            assert headings == [s.heading for s in template.note(language).sections]
            assert text.startswith(f"# {template.title(language)}\n")


def test_entity_names_follow_the_language_and_es_falls_back_to_english(client):
    names = {"de": "Brustschmerzen", "fr": "Douleur thoracique", "it": "Dolore toracico", "en": "Chest pain",
             "es": "Chest pain"}
    for language, name in names.items():
        assert name in report(client, language=language), language
    assert "Sin fever" in report(client, language="es") and "No fever" in report(client, language="en")


def test_the_schema_names_the_shipped_templates():
    schema = json.loads((ROOT / "schemas/haidy/report-template-name.json").read_text(encoding="utf-8"))
    assert schema["enum"] == report_templates.names()
    language = json.loads((ROOT / "schemas/haidy/report-language.json").read_text(encoding="utf-8"))
    assert language["enum"] == list(report_templates.LANGUAGES) == list(LANGUAGES)
    assert language["default"] == report_generation.DEFAULT_LANGUAGE


def test_detail_level_makes_the_report_longer(client):
    lengths = [len(report(client, style_guidance={"detail_level": level}, language="en"))
               for level in (0.1, 0.4, 0.7, 0.9)]
    assert lengths == sorted(lengths) and len(set(lengths)) == 4
    assert 'evidence: "' in report(client, style_guidance={"detail_level": 0.9}, language="en")
    assert report(client, language="en") == report(client, style_guidance={"detail_level": 0.5}, language="en")


def test_technical_level_adds_codes_or_a_plain_language_lead(client):
    expert = report(client, style_guidance={"technical_level": 0.9}, language="en")
    lay = report(client, style_guidance={"technical_level": 0.1}, language="en")
    middle = report(client, language="en")
    assert "Chest pain (SNOMED CT 29857009)" in expert and "RxNorm" in expert
    assert "SNOMED" not in lay and "SNOMED" not in middle
    assert "This report summarises the consultation in plain language." in lay
    assert "plain language" not in middle and "plain language" not in expert


def test_formality_picks_the_title(client):
    assert report(client, style_guidance={"formality": 0.2}, language="en").startswith(
        "# Summary of our conversation\n")
    assert report(client, style_guidance={"formality": 0.9}, language="en").startswith("# Consultation report\n")


def test_confidence_expression_hedges_or_states(client):
    hedged = report(client, style_guidance={"confidence_expression": 0.1}, language="en")
    plain = report(client, language="en")
    definite = report(client, style_guidance={"confidence_expression": 0.9}, language="en")
    assert "- Likely chest pain" in hedged and "- Possible pneumonia" in hedged
    assert "- Chest pain" in plain and "- Possible pneumonia" in plain
    assert "- Chest pain" in definite and "- Suspected pneumonia" in definite
    assert "Verdacht auf Pneumonie" in report(client, style_guidance={"confidence_expression": 1})


def test_review_and_date_lines(client):
    plain = report(client, language="en")
    for body in ({"final_review": True}, {"report_generation_config": {"review_mode": "with_review"}}):
        text = report(client, language="en", **body)
        assert text.startswith(plain) and text.endswith(
            "\nReviewed: 6 sections, 6 findings checked against the transcript.\n")
    assert report(client, language="en", report_generation_config={"review_mode": "no_review"}) == plain
    assert "\n\nDatum: 2024-05-01\n\n## Anamnese" in report(client, date_of_report="2024-05-01")


def test_streaming_is_the_same_text_in_pieces(client):
    body = {**doc_request(), "style_guidance": {"detail_level": 0.9}, "final_review": True}
    whole = post(client, body).get_json()["report"]
    resp = post(client, {**body, "streaming": True})
    assert streamed(resp) == whole
    assert len(resp.get_data(as_text=True).splitlines()) > 10
    events = client.post(REPORT, json={**body, "streaming": True}, headers={**AUTH, "Accept": "text/event-stream"})
    assert events.mimetype == "text/event-stream"
    assert "".join(json.loads(chunk[6:])["data"] for chunk in events.get_data(as_text=True).split("\n\n")
                   if chunk) == whole


def test_the_same_request_gives_the_same_bytes(client):
    body = {**doc_request(), "language": "fr", "style_guidance": {"detail_level": 0.8, "technical_level": 0.8}}
    first = post(client, body).get_data()
    assert all(post(client, body).get_data() == first for _ in range(3))


def test_an_empty_or_missing_transcript_still_answers_every_section(client):
    text = post(client, {"template_name": "referral_letter", "language": "en"}).get_json()["report"]
    assert text.count("Not discussed.") == 5 and "None known." not in text


def test_adjust_style_restyles_the_text(client):
    original = report(client, language="en", style_guidance={"detail_level": 0.9, "technical_level": 0.9},
                      final_review=True, date_of_report="2024-05-01")
    brief = post(client, {"report": original, "style_guidance": {"detail_level": 0.1, "confidence_expression": 0.1},
                          "language": "en"}, ADJUST)
    assert brief.status_code == 200
    answer = brief.get_json()
    assert answer["template_name"] == "consultation_report" and answer["language"] == "en"
    text = answer["report"]
    assert len(text) < len(original) and "evidence" not in text and "Reviewed" not in text and "Date:" not in text
    assert "- Likely chest pain" in text
    german = post(client, {"report": original, "template_name": "progress_note", "streaming": False}, ADJUST)
    assert german.get_json()["report"].startswith("# Verlaufseintrag\n\n## Subjektiv")
    body = {"report": original, "style_guidance": {"formality": 0.1}, "streaming": True}
    assert streamed(post(client, body, ADJUST)) == post(client, {**body, "streaming": False}, ADJUST).get_json()[
        "report"]


@pytest.mark.parametrize(("path", "body", "loc", "kind"), [
    (REPORT, {}, ["body", "template_name"], "value_error.missing"),
    (REPORT, {"template_name": "no_such_template"}, ["body", "template_name"], "type_error.enum"),
    (REPORT, {"template_name": "consultation_report", "language": "nl"}, ["body", "language"], "type_error.enum"),
    (REPORT, {"template_name": "consultation_report", "style_guidance": {"detail_level": 1.5}},
     ["body", "style_guidance", "detail_level"], "value_error.number.not_le"),
    (REPORT, {"template_name": "consultation_report", "date_of_report": "05/01/2024"}, ["body", "date_of_report"],
     "value_error.date"),
    (REPORT, {"template_name": "consultation_report", "report_generation_config": {"review_mode": "maybe"}},
     ["body", "report_generation_config", "review_mode"], "type_error.enum"),
    (REPORT, {"template_name": "consultation_report", "transcript": {"bubbles": [{"start": 0}]}},
     ["body", "transcript", "bubbles", 0, "text"], "value_error.missing"),
    (ADJUST, {"style_guidance": {}}, ["body", "report"], "value_error.missing"),
    (ADJUST, {"report": "x", "template_name": "nope"}, ["body", "template_name"], "type_error.enum"),
])
def test_bad_input_is_a_fastapi_422(client, path, body, loc, kind):
    resp = post(client, body, path)
    assert resp.status_code == 422
    detail = resp.get_json()["detail"]
    assert [(error["loc"], error["type"]) for error in detail] == [(loc, kind)]


def test_without_a_token_it_is_401(client):
    assert client.post(REPORT, json=doc_request()).status_code == 401


_DIAL = st.one_of(st.none(), st.floats(0, 1), st.integers(0, 1), st.floats(-5, 5), st.text(max_size=3))
_BODIES = st.fixed_dictionaries({}, optional={
    "template_name": st.sampled_from([*report_templates.names(), "other", ""]),
    "transcript": st.one_of(st.none(), st.fixed_dictionaries({}, optional={"bubbles": st.lists(
        st.fixed_dictionaries({"text": st.text(max_size=60)}, optional={"start": st.floats(0, 10),
                                                                        "end": st.integers(-1, 10)}),
        max_size=4)})),
    "streaming": st.one_of(st.booleans(), st.none()),
    "final_review": st.booleans(),
    "style_guidance": st.one_of(st.none(), st.fixed_dictionaries({}, optional={
        dial: _DIAL for dial in report_generation.DIALS})),
    "report_generation_config": st.fixed_dictionaries({}, optional={
        "review_mode": st.sampled_from(["no_review", "with_review", "x"])}),
    "user_instructions": st.one_of(st.text(max_size=40), st.just("- use bullet points")),
    "date_of_report": st.sampled_from(["2024-05-01", "2024-02-30", "yesterday"]),
    "language": st.sampled_from([*LANGUAGES, "xx"]),
    "report": st.text(max_size=200),
})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(body=_BODIES, adjust=st.booleans())
def test_no_body_makes_a_server_error(client, body, adjust):
    resp = post(client, body, ADJUST if adjust else REPORT)
    assert resp.status_code in (200, 422), resp.get_data(as_text=True)
    if resp.status_code == 200 and resp.mimetype == "application/json":
        assert resp.get_json()["report"].startswith("# ")
