"""Properties of Heidi's scribe endpoints over generated inputs: chunk order does not change a transcript, the
same inputs write the same note on any app, and no input makes an endpoint answer 5xx.

Examples per test: $MOCKSERVER_CONTRACT_EXAMPLES (default as given to `examples`). The apps check their own
answers against the schemas (`validate_responses`), so an answer that drifts from its schema is a 500 and fails.
Each example works on a session of its own, on apps shared by the module (memory store).
"""

from __future__ import annotations

import base64
import io
import json
import string
import struct
import uuid
import wave
from datetime import timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import mockserver
from contracts.support import examples
from mockserver import Config, create_app
from tests.heidi.support import BASE, login
from tests.support import JPEG, PNG, make_docx, make_pdf

SAMPLES = Path(mockserver.__file__).parent / "clinical" / "samples"
MP3 = (SAMPLES / "consult.mp3").read_bytes()
OGG = (SAMPLES / "consult.ogg").read_bytes()
_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def wav(tag: int, frames: int = 800) -> bytes:
    """A short 8 kHz WAV whose samples all hold `tag`: other tags, other bytes."""
    out = io.BytesIO()
    with wave.open(out, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(8000)
        recording.writeframes(struct.pack("<h", tag) * frames)
    return out.getvalue()


WAV = wav(1)


class User:
    """An API user of a key of its own on `app`, under the real base path."""

    def __init__(self, app):
        self.client = app.test_client()
        self.key = f"prop-{uuid.uuid4().hex[:12]}"
        self.auth = login(self.client, key=self.key)

    def post(self, path: str, **kwargs):
        return self.client.post(BASE + path, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def new_session(self) -> str:
        return self.post("/sessions", json={}).get_json()["session_id"]

    def register(self, audio: bytes, text: str) -> None:
        resp = self.client.post(f"/_mock/tenants/{self.key}/transcripts",
                                json={"audio_base64": base64.b64encode(audio).decode(), "text": text})
        assert resp.status_code == 200

    def transcript(self, session_id: str) -> str:
        resp = self.client.get(f"{BASE}/sessions/{session_id}/transcript", headers=self.auth)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return resp.get_json()["transcript"]


@pytest.fixture(scope="module")
def apps():
    return [create_app(Config(validate_responses=True)) for _ in range(2)]


@pytest.fixture(scope="module")
def user(apps):
    return User(apps[0])


# -- (1) chunk order ------------------------------------------------------------------------------


@settings(max_examples=examples(40), **_SETTINGS)
@given(st.lists(st.integers(0, 500), min_size=1, max_size=6, unique=True).flatmap(
    lambda indexes: st.tuples(st.just(indexes), st.permutations(indexes))), st.booleans())
def test_any_order_of_chunks_gives_the_same_transcript(user, chunks, finish):
    indexes, order = chunks
    for index in indexes:
        user.register(wav(index + 10), f"Part {index}.")
    session_id = user.new_session()
    recording_id = user.post(f"/sessions/{session_id}/restful-segment-transcription").get_json()["recording_id"]
    for index in order:
        resp = user.post(f"/sessions/{session_id}/restful-segment-transcription/{recording_id}:transcribe",
                         data={"file": (io.BytesIO(wav(index + 10)), "c.wav"), "index": str(index)},
                         content_type="multipart/form-data")
        assert resp.status_code == 200, resp.get_data(as_text=True)
    if finish:
        user.post(f"/sessions/{session_id}/restful-segment-transcription/{recording_id}:finish")
    assert user.transcript(session_id) == " ".join(f"Part {index}." for index in sorted(indexes))


# -- (2) the same inputs, the same note -----------------------------------------------------------

SENTENCES = [
    "Patient has hypertension.", "She takes lisinopril 10 mg daily.", "Allergic to penicillin.",
    "Blood pressure 150/90.", "No chest pain.", "Plan: review in two weeks.", "He has type 2 diabetes.",
    "Metformin 500 mg twice daily.", "Denies shortness of breath.", "Flu vaccine given today.",
    "Headache for 3 days.", "Temperature 38.5 C.", "Refer to cardiology.", "History of asthma.",
]
TEXTS = st.one_of(
    st.lists(st.sampled_from(SENTENCES), max_size=8).map(" ".join),
    st.text(max_size=120),
    st.builds(lambda a, b: a + " " + b, st.lists(st.sampled_from(SENTENCES), max_size=4).map(" ".join),
              st.text(string.printable, max_size=40)),
)
TEMPLATES = st.one_of(
    st.sampled_from(["659b8042fe093d6592b41ef7", "6650a1c4e2b7f90d3a1c5e01", "6650a1c4e2b7f90d3a1c5e02"]).map(
        lambda template_id: {"template_id": template_id}),
    st.lists(st.sampled_from(["Medications", "Plan", "Problems", "Allergies", "History", "Exam", "Whatever"]),
             min_size=1, max_size=4).map(lambda headings: {
        "generation_method": "THIRD_PARTY_TEMPLATE", "third_party_template": json.dumps(dict.fromkeys(headings, ""))}),
)


def _written(user: User, transcript: str, notes: list[str], body: dict, audio: bytes) -> bytes:
    user.register(audio, transcript)
    session_id = user.new_session()
    assert user.post(f"/sessions/{session_id}/upload-audio", data={"file": (io.BytesIO(audio), "a.wav")},
                     content_type="multipart/form-data").status_code == 200
    resp = user.client.patch(f"{BASE}/sessions/{session_id}", json={"clinician_notes": notes}, headers=user.auth)
    assert resp.status_code == 200, resp.get_json()
    resp = user.post(f"/sessions/{session_id}/consult-note", json=body)
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_data()


@settings(max_examples=examples(40), **_SETTINGS)
@given(TEXTS, st.lists(TEXTS, max_size=3), st.sampled_from(["BRIEF", "GOLDILOCKS", "DETAILED", "SUPER_DETAILED",
                                                            "MY_VOICE"]),
       st.sampled_from(["MARKDOWN", "HTML"]), TEMPLATES, st.text(max_size=40))
def test_the_same_inputs_give_the_same_note_on_two_apps(apps, transcript, notes, voice_style, content_type,
                                                        template, addition):
    body = {"generation_method": "TEMPLATE", "addition": addition, "voice_style": voice_style, "brain": "LEFT",
            "content_type": content_type, **template}
    audio = wav(7)
    first, second = (_written(User(app), transcript, notes, body, audio) for app in apps)
    assert first == second
    assert "".join(json.loads(line)["data"] for line in first.decode().splitlines())


# -- (3) no input is a 5xx ------------------------------------------------------------------------

HEADERS = [b"RIFF", b"RIFF\xff\xff\xff\x7fWAVEfmt ", b"ID3\x04\x00", b"\xff\xfb", b"OggS\x00\x02", b"fLaC",
           b"\x00\x00\x00\x20ftypM4A ", b"\x1a\x45\xdf\xa3", b"%PDF-1.4", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04",
           b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\xff\xd8\xff"]
REAL = [WAV, MP3, OGG, make_pdf("x"), PNG, JPEG, make_docx()]
FILES = st.one_of(
    st.sampled_from([WAV, MP3, OGG]),
    st.sampled_from(REAL),
    st.binary(max_size=600),
    st.builds(lambda head, tail: head + tail, st.sampled_from(HEADERS), st.binary(max_size=600)),
    st.builds(lambda data, cut: data[:cut], st.sampled_from(REAL), st.integers(0, 4000)),
    st.builds(lambda data, junk: data + junk, st.sampled_from(REAL), st.binary(min_size=1, max_size=64)),
    st.builds(lambda data, at, junk: data[:at] + junk + data[at + len(junk):], st.sampled_from(REAL),
              st.integers(0, 200), st.binary(min_size=1, max_size=16)),
)
FIELD_TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
FORM_VALUES = st.one_of(FIELD_TEXT, st.sampled_from(["0", "-1", "1e3", "2024-12-11T03:57:57Z", "2024-12-11",
                                                     " 7 ", "99999999999999999999", "NaN"]))
TIMES = st.one_of(
    # the whole calendar, its ends included (a time that leaves it once in UTC is a 422)
    st.builds(lambda moment, minutes: moment.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(),
              st.datetimes(), st.integers(-1439, 1439)),
    st.datetimes().map(lambda moment: moment.isoformat() + "Z"),
    FORM_VALUES)
FORMS = st.fixed_dictionaries({"index": st.one_of(st.integers(0, 9).map(str), st.integers(0, 9).map(str),
                                                 FORM_VALUES)},
                              optional={"start_time": TIMES, "end_time": TIMES, "other": FORM_VALUES})
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | FIELD_TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(FIELD_TEXT, inner, max_size=3),
                    max_leaves=8)
MUTATIONS = st.lists(st.one_of(
    st.tuples(st.just("drop"), FIELD_TEXT, st.none()), st.tuples(st.just("set"), FIELD_TEXT, JSON),
), max_size=2)


def _bodies(**choices) -> st.SearchStrategy[dict]:
    """A likely body (a value of each strategy given), with up to two mutations: a key dropped (a known one when
    the drawn name is not), a key set to any JSON (a known one or another)."""
    keys = sorted(choices)

    def mutate(body: dict, mutations: list) -> dict:
        for kind, name, value in mutations:
            name = name if name in body or kind == "set" and len(name) % 2 else keys[len(name) % len(keys)]
            if kind == "drop":
                body.pop(name, None)
            else:
                body[name] = value
        return body

    return st.builds(mutate, st.fixed_dictionaries(choices), MUTATIONS)


HEADINGS = st.lists(st.one_of(st.sampled_from(["Medications", "Plan", "Problems", "Allergies", "History"]),
                              FIELD_TEXT), min_size=1, max_size=4)
THIRD_PARTY = st.one_of(HEADINGS.map(lambda h: json.dumps(dict.fromkeys(h, ""))),
                        HEADINGS.map(lambda h: json.dumps({"name": h[0], "sections": [{"heading": x} for x in h]})),
                        JSON.map(json.dumps), FIELD_TEXT)
NOTE_BODIES = st.one_of(
    _bodies(generation_method=st.sampled_from(["TEMPLATE", "THIRD_PARTY_TEMPLATE"]), addition=FIELD_TEXT,
            template_id=st.sampled_from(["659b8042fe093d6592b41ef7", "6650a1c4e2b7f90d3a1c5e01",
                                         "66455a5f0b0a1c8d018c6896"]),
            voice_style=st.sampled_from(["BRIEF", "GOLDILOCKS", "DETAILED", "SUPER_DETAILED", "MY_VOICE"]),
            brain=st.sampled_from(["LEFT", "RIGHT"]), content_type=st.sampled_from(["HTML", "MARKDOWN"])),
    _bodies(generation_method=st.sampled_from(["TEMPLATE", "THIRD_PARTY_TEMPLATE"]), addition=FIELD_TEXT,
            third_party_template=THIRD_PARTY, voice_style=st.sampled_from(["BRIEF", "MY_VOICE"]),
            brain=st.just("LEFT")),
)
DOCUMENT_BODIES = _bodies(generation_method=st.just("TEMPLATE"), brain=st.sampled_from(["LEFT", "RIGHT"]),
                          template_id=st.sampled_from(["66455a5f0b0a1c8d018c6896", "5eb7cf5a86d9755df3a6c593",
                                                       "659b8042fe093d6592b41ef7"]),
                          voice_style=st.sampled_from(["DETAILED", "BRIEF"]), content_type=st.sampled_from(["HTML"]),
                          document_tab_type=FIELD_TEXT)
ASK_BODIES = _bodies(ai_command_text=st.one_of(st.sampled_from(["Summarise", "List the medications"]), FIELD_TEXT),
                     content=st.one_of(st.just(""), FIELD_TEXT), content_type=st.sampled_from(["HTML", "MARKDOWN"]))
BODIES = st.one_of(
    st.tuples(st.just("consult-note"), NOTE_BODIES), st.tuples(st.just("documents"), DOCUMENT_BODIES),
    st.tuples(st.just("ask-ai"), ASK_BODIES), st.tuples(st.just("client-customised-template/response"), JSON),
    st.tuples(st.just("client-customised-template/response"), st.dictionaries(FIELD_TEXT, JSON, min_size=1)),
)
META = st.one_of(
    _bodies(name=FIELD_TEXT, date=st.one_of(st.none(), FIELD_TEXT), additional_context=FIELD_TEXT).map(json.dumps),
    FIELD_TEXT, JSON.map(json.dumps))


def _no_5xx(resp, label: str | None = None) -> None:
    assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True)[:500])
    resp.get_data()  # a stream is read to its end (where a note is saved)
    if label:
        event(f"{label}: {resp.status_code}")  # --hypothesis-show-statistics shows how deep the inputs went


@pytest.fixture(scope="module")
def noted(user):
    """A session with a recording and a note (so the custom template and codes have something to work on)."""
    audio = wav(3)
    user.register(audio, "Patient has hypertension and takes lisinopril 10 mg daily.")
    session_id = user.new_session()
    user.post(f"/sessions/{session_id}/upload-audio", data={"file": (io.BytesIO(audio), "a.wav")},
              content_type="multipart/form-data")
    user.post(f"/sessions/{session_id}/consult-note", json={
        "generation_method": "TEMPLATE", "addition": "", "template_id": "659b8042fe093d6592b41ef7",
        "voice_style": "BRIEF", "brain": "LEFT"}).get_data()
    return session_id


def _files_case(user, data, form, where, meta, open_recording):
    session_id = user.new_session()
    if where == "upload":
        resp = user.post(f"/sessions/{session_id}/upload-audio", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(data), "f.mp3"), **form})
    elif where == "chunk":
        recording = user.post(f"/sessions/{session_id}/restful-segment-transcription").get_json()["recording_id"]
        if not open_recording:
            user.post(f"/sessions/{session_id}/restful-segment-transcription/{recording}:finish")
        resp = user.post(f"/sessions/{session_id}/restful-segment-transcription/{recording}:transcribe",
                         content_type="multipart/form-data", data={"file": (io.BytesIO(data), "c.ogg"), **form})
    else:
        resp = user.post(f"/sessions/{session_id}/context-documents", content_type="multipart/form-data",
                         data={"context_documents": (io.BytesIO(data), "d.pdf"), "meta_data": meta, **form})
    _no_5xx(resp, where)
    for path in ("transcript", "transcript/live", "clinical-codes", "context-documents"):
        _no_5xx(user.client.get(f"{BASE}/sessions/{session_id}/{path}", headers=user.auth))


_FILE_INPUTS = (FILES, FORMS, st.sampled_from(["upload", "chunk", "context"]), META, st.booleans())
test_no_file_or_form_field_is_a_5xx = settings(max_examples=examples(60), **_SETTINGS)(
    given(*_FILE_INPUTS)(_files_case))
test_no_file_or_form_field_is_a_5xx_at_length = pytest.mark.slow(settings(max_examples=examples(60) * 10, **_SETTINGS)(
    given(*_FILE_INPUTS)(_files_case)))


def _bodies_case(user, noted, request_body, on_noted, accept):
    endpoint, body = request_body
    session_id = noted if on_noted else user.new_session()
    headers = {"Accept": accept} if accept else {}
    _no_5xx(user.post(f"/sessions/{session_id}/{endpoint}", json=body, headers=headers), endpoint)
    for path in ("clinical-codes", "documents", "transcript"):
        _no_5xx(user.client.get(f"{BASE}/sessions/{session_id}/{path}", headers=user.auth))
    _no_5xx(user.client.get(f"{BASE}/sessions/{session_id}", headers=user.auth))


_BODY_INPUTS = (BODIES, st.booleans(), st.sampled_from([None, "text/event-stream", "*/*"]))
test_no_json_body_is_a_5xx = settings(max_examples=examples(60), **_SETTINGS)(given(*_BODY_INPUTS)(_bodies_case))
test_no_json_body_is_a_5xx_at_length = pytest.mark.slow(settings(max_examples=examples(60) * 10, **_SETTINGS)(
    given(*_BODY_INPUTS)(_bodies_case)))


@settings(max_examples=examples(30), **_SETTINGS)
@given(st.binary(max_size=300), st.sampled_from(["consult-note", "documents", "ask-ai",
                                                  "client-customised-template/response"]))
def test_no_raw_body_is_a_5xx(user, noted, raw, endpoint):
    _no_5xx(user.post(f"/sessions/{noted}/{endpoint}", data=raw, headers={"Content-Type": "application/json"}))
