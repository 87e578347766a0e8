"""Heidi's scribe endpoints, one by one: what each does, and that every bad input is a clear 4xx in Heidi's shape
(never a 5xx). Every app here checks its own answers against their schemas (`validate_responses`), so a response
that drifts from its schema fails as a 500.

Most tests share one app per store and take a new API key each (a tenant of their own); a test that needs a
setting of its own (an upload limit, a fault rule) makes its own app.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import uuid
import wave
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import mockserver
from mockserver import Config, create_app
from mockserver.control.drops import IntendedCut
from mockserver.core.shared import with_fresh_prefix
from tests.heidi.support import BASE, detail, login
from tests.support import JPEG, PNG, make_docx, make_pdf

SAMPLES = Path(mockserver.__file__).parent / "clinical" / "samples"
MP3 = (SAMPLES / "consult.mp3").read_bytes()
OGG = (SAMPLES / "consult.ogg").read_bytes()
H_AND_P = "659b8042fe093d6592b41ef7"
SOAP = "6650a1c4e2b7f90d3a1c5e01"
REFERRAL = "66455a5f0b0a1c8d018c6896"
"""A document template (GET /templates/document-templates)."""
DOC_FILE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
"""An old Word (.doc) file: an OLE2 compound file's signature."""
TEXT = ("Patient has hypertension and takes lisinopril 10 mg daily. Allergic to penicillin. Blood pressure 150/90. "
        "No chest pain. Plan: increase lisinopril to 20 mg daily and review in two weeks.")
LONG_TEXT = " ".join([
    "Patient is a 58 year old man with hypertension.", "He takes lisinopril 10 mg daily.",
    "He reports headaches in the mornings for two weeks.", "He sleeps poorly.", "He walks every day.",
    "He drinks coffee twice a day.", "His father had a stroke.", "He denies chest pain.",
    "He has no shortness of breath.", "He works as a teacher.", "He lives with his wife.",
    "He quit smoking ten years ago.", "Blood pressure 160/95.", "Plan: increase lisinopril to 20 mg daily."])
NOT_FOUND = {"msg": "Session not found", "type": "SessionNotFoundError"}
NOTE = {"generation_method": "TEMPLATE", "addition": "", "template_id": H_AND_P, "voice_style": "GOLDILOCKS",
        "brain": "LEFT"}
ONLY_AUDIO = {"detail": "only audio file is allowed"}


def wav(seconds: float = 1.0, tag: int = 0, rate: int = 8000) -> bytes:
    """A silent mono 16-bit WAV of `seconds`; `tag` makes another recording (other bytes) of the same length."""
    out = io.BytesIO()
    with wave.open(out, "wb") as recording:
        recording.setnchannels(1)
        recording.setsampwidth(2)
        recording.setframerate(rate)
        recording.writeframes(bytes([tag % 256, 0]) * int(rate * seconds))
    return out.getvalue()


def new_app(store: str | None = None, **options):
    return create_app(Config(validate_responses=True, store=store and with_fresh_prefix(store), **options))


def wipe(app) -> None:
    link = getattr(app.extensions["mockserver"].store, "link", None)
    if link is not None:
        link.wipe()


@pytest.fixture(scope="module")
def shared_app(mockserver_store):
    app = new_app(mockserver_store)
    yield app
    wipe(app)


@pytest.fixture
def own_app(mockserver_store):
    """An app of this test's own (for fault rules, which are app-wide)."""
    app = new_app(mockserver_store)
    yield app
    wipe(app)


class Scribe:
    """One API user of a fresh API key, calling under the real base path."""

    def __init__(self, client, key: str | None = None, user: str = "ehr-user-1"):
        self.client, self.key = client, key or f"scribe-{uuid.uuid4().hex[:12]}"
        self.auth = login(client, key=self.key, user=user)

    def post(self, path: str, **kwargs):
        return self.client.post(BASE + path, headers={**self.auth, **kwargs.pop("headers", {})}, **kwargs)

    def get(self, path: str, **kwargs):
        return self.client.get(BASE + path, headers=self.auth, **kwargs)

    def new_session(self, **body) -> str:
        resp = self.post("/sessions", json=body)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["session_id"]

    def session(self, session_id: str) -> dict:
        resp = self.get(f"/sessions/{session_id}")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["session"]

    def patch(self, session_id: str, **changes) -> dict:
        resp = self.client.patch(f"{BASE}/sessions/{session_id}", json=changes, headers=self.auth)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["session"]

    def register(self, audio: bytes, text: str, tenant: str | None = None) -> None:
        resp = self.client.post(f"/_mock/tenants/{tenant or self.key}/transcripts",
                                json={"audio_base64": base64.b64encode(audio).decode(), "text": text})
        assert resp.status_code == 200, resp.get_json()

    def upload(self, session_id: str, data: bytes, name: str = "consult.wav", content_type: str | None = None,
               **form):
        part = (io.BytesIO(data), name) if content_type is None else (io.BytesIO(data), name, content_type)
        return self.post(f"/sessions/{session_id}/upload-audio", data={"file": part, **form},
                         content_type="multipart/form-data")

    def open_recording(self, session_id: str) -> str:
        resp = self.post(f"/sessions/{session_id}/restful-segment-transcription")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["recording_id"]

    def chunk(self, session_id: str, recording_id: str, data: bytes, index):
        return self.post(f"/sessions/{session_id}/restful-segment-transcription/{recording_id}:transcribe",
                         data={"file": (io.BytesIO(data), "chunk.wav"), "index": str(index)},
                         content_type="multipart/form-data")

    def finish(self, session_id: str, recording_id: str):
        return self.post(f"/sessions/{session_id}/restful-segment-transcription/{recording_id}:finish")

    def transcript(self, session_id: str) -> str:
        resp = self.get(f"/sessions/{session_id}/transcript")
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()["transcript"]

    def live(self, session_id: str, **query) -> dict:
        resp = self.get(f"/sessions/{session_id}/transcript/live", query_string=query)
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def note(self, session_id: str, headers: dict | None = None, **changes):
        """NOTE with `changes`; a change to None leaves the field out."""
        body = {name: value for name, value in {**NOTE, **changes}.items() if value is not None}
        return self.post(f"/sessions/{session_id}/consult-note", json=body, headers=headers or {})

    def written(self, session_id: str, **changes) -> str:
        resp = self.note(session_id, **changes)
        assert resp.status_code == 200, resp.get_data(as_text=True)
        return joined(resp)

    def document(self, session_id: str, **body):
        return self.post(f"/sessions/{session_id}/documents",
                         json={"generation_method": "TEMPLATE", "template_id": REFERRAL, "brain": "LEFT", **body})

    def context(self, session_id: str, data: bytes, meta, name: str = "file.bin"):
        meta = meta if isinstance(meta, str) else json.dumps(meta)
        return self.post(f"/sessions/{session_id}/context-documents", content_type="multipart/form-data",
                         data={"context_documents": (io.BytesIO(data), name), "meta_data": meta})

    def ask(self, session_id: str, **body):
        return self.post(f"/sessions/{session_id}/ask-ai", json=body)

    def consulted(self, text: str = TEXT, audio: bytes | None = None) -> str:
        """A new session whose uploaded recording says `text`."""
        audio = audio or wav(1.0, tag=len(text))
        self.register(audio, text)
        session_id = self.new_session()
        assert self.upload(session_id, audio).status_code == 200
        return session_id


def ndjson(resp) -> list[dict]:
    assert resp.status_code == 200 and resp.mimetype == "application/x-ndjson", (resp.status_code, resp.mimetype)
    body = resp.get_data(as_text=True)
    assert body.endswith("\n")
    return [json.loads(line) for line in body.splitlines()]


def joined(resp) -> str:
    pieces = ndjson(resp)
    assert all(set(piece) == {"data"} for piece in pieces)
    return "".join(piece["data"] for piece in pieces)


def section(note: str, heading: str) -> str:
    return note.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def client(shared_app):
    return shared_app.test_client()


@pytest.fixture
def scribe(client) -> Scribe:
    return Scribe(client)


# -- upload-audio ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data, name, content_type", [
    (b"hello, not a recording", "consult.mp3", "audio/mpeg"),
    (make_pdf("Lab report"), "consult.mp3", None),
    (PNG, "consult.wav", "audio/wav"),
    (b"", "consult.mp3", None),
], ids=["text declared audio", "pdf named mp3", "png", "empty"])
def test_what_is_not_audio_is_the_documented_400(scribe, data, name, content_type):
    session_id = scribe.new_session()
    resp = scribe.upload(session_id, data, name, content_type)
    assert (resp.status_code, resp.get_json()) == (400, ONLY_AUDIO)
    assert scribe.session(session_id)["audio"] == []


def test_audio_is_judged_by_content_not_name_or_declared_type(scribe):
    session_id = scribe.new_session()
    for data in (wav(), MP3, OGG):
        resp = scribe.upload(session_id, data, "recording.bin", "application/octet-stream")
        assert resp.status_code == 200, resp.get_json()
    assert [a["duration"] for a in scribe.session(session_id)["audio"]] == [1.0, 3.0, 3.0]


@pytest.mark.parametrize("data, what", [(wav(2.0)[:-400], "WAV"), (MP3[:len(MP3) // 2], "MP3")], ids=["wav", "mp3"])
def test_a_truncated_recording_is_a_400_saying_what_broke(scribe, data, what):
    session_id = scribe.new_session()
    resp = scribe.upload(session_id, data)
    assert resp.status_code == 400
    message = resp.get_json()["detail"]
    assert isinstance(message, str) and "truncated" in message and what in message, message
    chunk = scribe.chunk(session_id, scribe.open_recording(session_id), data, 0)
    assert chunk.status_code == 400 and "truncated" in chunk.get_json()["detail"]
    assert scribe.session(session_id)["duration"] == 0


def test_an_oversized_file_is_413_in_heidis_shape(mockserver_store):
    app = new_app(mockserver_store, max_file_bytes=20_000)
    try:
        scribe = Scribe(app.test_client())
        session_id = scribe.new_session()
        big = wav(2.0)  # 32 044 bytes
        resp = scribe.upload(session_id, big)
        assert resp.status_code == 413 and detail(resp)["type"] == "FileTooLargeError"
        assert "20000 bytes" in detail(resp)["msg"]
        resp = scribe.chunk(session_id, scribe.open_recording(session_id), big, 0)
        assert resp.status_code == 413 and detail(resp)["type"] == "FileTooLargeError"
        resp = scribe.context(session_id, make_pdf() + b" " * 20_000, {"name": "big.pdf"})
        assert resp.status_code == 413 and detail(resp)["type"] == "FileTooLargeError"
        assert scribe.upload(session_id, wav(1.0)).status_code == 200  # 16 044 bytes: under the limit
        assert len(scribe.session(session_id)["audio"]) == 2  # the upload, and the recording opened
    finally:
        wipe(app)


def test_end_time_defaults_to_start_plus_the_measured_duration(scribe):
    session_id = scribe.new_session()
    uploaded = scribe.upload(session_id, wav(2.5), start_time="2024-12-11T03:57:57Z").get_json()["uploaded_audio"]
    assert (uploaded["start_time"], uploaded["end_time"], uploaded["duration"]) == (
        "2024-12-11T03:57:57.000000", "2024-12-11T03:57:59.500000", 2.5)
    given = scribe.upload(session_id, MP3, start_time="2024-12-11T04:00:00+00:00",
                          end_time="2024-12-11T04:15:00+00:00").get_json()["uploaded_audio"]
    assert (given["end_time"], given["index"]) == ("2024-12-11T04:15:00.000000", 1)
    session = scribe.session(session_id)
    assert session["duration"] == 5.5
    assert [(a["id"], a["index"], a["source"]) for a in session["audio"]] == [
        (uploaded["id"], 0, "USER_UPLOADED"), (given["id"], 1, "USER_UPLOADED")]


def test_without_a_start_time_the_recording_starts_at_the_upload(scribe):
    session_id = scribe.new_session()
    uploaded = scribe.upload(session_id, wav(1.0)).get_json()["uploaded_audio"]
    start = datetime.fromisoformat(uploaded["start_time"])
    assert uploaded["start_time"] == uploaded["created_at"]
    assert datetime.fromisoformat(uploaded["end_time"]) - start == timedelta(seconds=1)


@pytest.mark.parametrize("form", [{"start_time": "yesterday"}, {"end_time": "2024-13-45T99:00:00Z"}],
                         ids=["start_time", "end_time"])
def test_a_time_that_is_not_iso_8601_is_422(scribe, form):
    session_id = scribe.new_session()
    resp = scribe.upload(session_id, wav(), **form)
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", *form]


@pytest.mark.parametrize("form", [
    {"start_time": "9999-12-31T23:59:59Z"}, {"start_time": "9999-12-31T23:00:00-05:00"},
    {"start_time": "0001-01-01T00:00:00+05:00"}, {"end_time": "9999-12-31T23:00:00-05:00"},
], ids=["start at the end of time", "start past the end in UTC", "start before the beginning in UTC",
        "end past the end in UTC"])
def test_a_time_outside_the_range_is_422(scribe, form):
    session_id = scribe.new_session()
    resp = scribe.upload(session_id, wav(), **form)
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", *form]
    assert scribe.session(session_id)["audio"] == []  # nothing kept


def test_an_end_before_the_start_is_422(scribe):
    resp = scribe.upload(scribe.new_session(), wav(), start_time="2024-12-11T04:00:00Z",
                         end_time="2024-12-11T03:00:00Z")
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "end_time"]


def test_an_upload_without_a_file_is_422(scribe):
    resp = scribe.post(f"/sessions/{scribe.new_session()}/upload-audio", data={"start_time": "2024-12-11T03:57:57Z"},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "file"]


# -- unknown sessions, recordings, other users ----------------------------------------------------


def _every_session_call(scribe: Scribe, session_id: str) -> dict:
    audio = {"file": (io.BytesIO(wav()), "a.wav")}
    calls = {
        "upload-audio": lambda: scribe.post(f"/sessions/{session_id}/upload-audio", data=audio,
                                            content_type="multipart/form-data"),
        "open recording": lambda: scribe.post(f"/sessions/{session_id}/restful-segment-transcription"),
        "transcript": lambda: scribe.get(f"/sessions/{session_id}/transcript"),
        "live transcript": lambda: scribe.get(f"/sessions/{session_id}/transcript/live"),
        "consult-note": lambda: scribe.note(session_id),
        "custom template": lambda: scribe.post(f"/sessions/{session_id}/client-customised-template/response",
                                               json={"plan": None}),
        "create document": lambda: scribe.document(session_id),
        "list documents": lambda: scribe.get(f"/sessions/{session_id}/documents"),
        "context document": lambda: scribe.context(session_id, make_pdf(), {"name": "a.pdf"}),
        "list context documents": lambda: scribe.get(f"/sessions/{session_id}/context-documents"),
        "delete context documents": lambda: scribe.client.delete(
            f"{BASE}/sessions/{session_id}/context-documents?ids=x", headers=scribe.auth),
        "clinical codes": lambda: scribe.get(f"/sessions/{session_id}/clinical-codes"),
        "ask-ai": lambda: scribe.ask(session_id, ai_command_text="Summarise"),
    }
    return {name: call() for name, call in calls.items()}


def test_every_scribe_call_on_an_unknown_session_is_404(scribe):
    answers = _every_session_call(scribe, "999999")
    assert {name: (resp.status_code, detail(resp)) for name, resp in answers.items()} == {
        name: (404, NOT_FOUND) for name in answers}


def test_another_api_user_of_the_same_key_cannot_see_the_session(client, scribe):
    session_id = scribe.consulted()
    scribe.written(session_id)
    colleague = Scribe(client, key=scribe.key, user="ehr-user-2")
    answers = _every_session_call(colleague, session_id)
    assert {name: (resp.status_code, detail(resp)) for name, resp in answers.items()} == {
        name: (404, NOT_FOUND) for name in answers}
    assert len(scribe.session(session_id)["audio"]) == 1 and not scribe.session(session_id)["documents"]


def test_an_unknown_recording_is_404(scribe):
    session_id = scribe.new_session()
    for resp in (scribe.chunk(session_id, "424242", wav(), 0), scribe.finish(session_id, "424242")):
        assert resp.status_code == 404
        assert detail(resp) == {"msg": "Recording 424242 not found", "type": "RecordingNotFoundError"}
    uploaded = scribe.upload(session_id, wav()).get_json()["uploaded_audio"]["id"]  # an upload is no recording
    assert scribe.chunk(session_id, uploaded, wav(), 0).status_code == 404
    other = scribe.new_session()
    recording_id = scribe.open_recording(other)
    assert scribe.chunk(session_id, recording_id, wav(), 0).status_code == 404  # another session's


def test_a_finished_recording_takes_no_more_chunks(scribe):
    session_id = scribe.new_session()
    recording_id = scribe.open_recording(session_id)
    assert scribe.chunk(session_id, recording_id, wav(), 0).get_json() == {"is_success": True}
    assert scribe.finish(session_id, recording_id).get_json() == {"is_success": True}
    assert scribe.finish(session_id, recording_id).get_json() == {"is_success": True}  # again: no error
    resp = scribe.chunk(session_id, recording_id, wav(tag=1), 1)
    assert resp.status_code == 400 and detail(resp)["type"] == "RecordingFinishedError"
    [recording] = scribe.session(session_id)["audio"]
    assert (recording["status"], recording["duration"]) == ("FINISHED", 1.0)
    assert recording["end_time"] is not None


@pytest.mark.parametrize("index", ["first", "1.5", "", "-1", "99999999999"])
def test_a_chunk_index_that_is_not_a_small_integer_is_422(scribe, index):
    session_id = scribe.new_session()
    resp = scribe.chunk(session_id, scribe.open_recording(session_id), wav(), index)
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "index"]


def test_a_chunk_without_an_index_is_422(scribe):
    session_id = scribe.new_session()
    resp = scribe.post(f"/sessions/{session_id}/restful-segment-transcription/{scribe.open_recording(session_id)}"
                       ":transcribe", data={"file": (io.BytesIO(wav()), "a.wav")}, content_type="multipart/form-data")
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "index"]


# -- transcripts ----------------------------------------------------------------------------------


def test_an_upload_is_transcribed_lazily_on_the_next_transcript_fetch(scribe):
    audio = wav(2.0, tag=7)
    scribe.register(audio, TEXT)
    session_id = scribe.new_session()
    scribe.upload(session_id, audio)
    assert scribe.session(session_id)["audio"][0]["status"] == "INITIALIZED"
    live = scribe.live(session_id)
    assert (live["transcript"], live["active_source"]) == ("", "USER_UPLOADED")
    assert [(c["status"], c["text"], c["duration"]) for c in live["chunks"]] == [("PENDING", "", 2.0)]
    assert scribe.session(session_id)["audio"][0]["status"] == "INITIALIZED"  # the live view transcribes nothing
    assert scribe.transcript(session_id) == TEXT
    assert scribe.session(session_id)["audio"][0]["status"] == "TRANSCRIBED"
    live = scribe.live(session_id)
    assert [(c["status"], c["text"]) for c in live["chunks"]] == [("READY", TEXT)] and live["transcript"] == TEXT
    assert scribe.live(session_id, recording_status="initialized")["chunks"] == []
    assert len(scribe.live(session_id, recording_status="TRANSCRIBED")["chunks"]) == 1


def test_an_unregistered_recording_transcribes_to_a_placeholder_that_says_so(scribe):
    audio = wav(1.5, tag=99)
    first, second = scribe.new_session(), scribe.new_session()
    scribe.upload(first, audio)
    scribe.upload(second, audio)
    text = scribe.transcript(first)
    assert "no transcript is registered" in text and hashlib.sha256(audio).hexdigest() in text and "1.5 s" in text
    assert scribe.transcript(second) == text  # the same bytes, the same words


def test_segments_are_transcribed_as_they_arrive_and_joined_by_index(scribe):
    parts = {0: "Patient has asthma.", 1: "Uses salbutamol inhaler.", 2: "Review in one month."}
    audio = {index: wav(1.0, tag=40 + index) for index in parts}
    for index, text in parts.items():
        scribe.register(audio[index], text)
    session_id = scribe.new_session()
    recording_id = scribe.open_recording(session_id)
    for index in (2, 0, 1):
        assert scribe.chunk(session_id, recording_id, audio[index], index).status_code == 200
    live = scribe.live(session_id)
    assert (live["active_source"], [c["status"] for c in live["chunks"]]) == ("LIVE", ["READY"] * 3)
    assert scribe.transcript(session_id) == " ".join(parts.values())
    scribe.chunk(session_id, recording_id, audio[0], 2)  # a second chunk with an index replaces the first
    assert scribe.transcript(session_id) == "Patient has asthma. Uses salbutamol inhaler. Patient has asthma."
    assert scribe.session(session_id)["duration"] == 3.0


def test_recordings_join_in_the_order_they_entered_the_session(scribe):
    first, second = wav(1.0, tag=50), wav(1.0, tag=51)
    scribe.register(first, "First recording.")
    scribe.register(second, "Second recording.")
    session_id = scribe.new_session()
    recording_id = scribe.open_recording(session_id)
    scribe.upload(session_id, second)
    scribe.chunk(session_id, recording_id, first, 0)
    assert scribe.transcript(session_id) == "First recording.\n\nSecond recording."


def test_a_registration_is_the_tenants_own(client, scribe):
    audio = wav(1.0, tag=60)
    scribe.register(audio, TEXT)
    listed = client.get(f"/_mock/tenants/{scribe.key}/transcripts").get_json()["transcripts"]
    assert [t["text"] for t in listed] == [TEXT]
    other = Scribe(client)
    session_id = other.new_session()
    other.upload(session_id, audio)
    assert "no transcript is registered" in other.transcript(session_id)
    mine = scribe.new_session()
    scribe.upload(mine, audio)
    assert scribe.transcript(mine) == TEXT


def test_the_admin_api_refuses_what_is_not_base64(client):
    resp = client.post("/_mock/tenants/any/transcripts", json={"audio_base64": "not base64!", "text": "x"})
    assert resp.status_code == 400


def test_a_transcript_registered_in_one_line_through_the_plugin(mockserver, heidi_session):
    audio = wav(1.0, tag=70)
    mockserver.register_transcript(audio, "Patient has asthma.")
    session_id = heidi_session.post("/sessions", json={}).json()["session_id"]
    upload = heidi_session.post(f"/sessions/{session_id}/upload-audio", files={"file": ("a.wav", audio)})
    assert upload.status_code == 200, upload.text
    assert heidi_session.get(f"/sessions/{session_id}/transcript").json() == {"transcript": "Patient has asthma."}


@pytest.mark.mockserver(task_timing="instant")
def test_one_recording_transcribes_the_same_in_haidy_and_heidi(mockserver, haidy_session, heidi_session):
    mockserver.register_transcript(MP3, TEXT)
    task = haidy_session.post("/v2/structure", json={"new_records": [
        {"source": {"type": "audio", "base64": base64.b64encode(MP3).decode()}}]}).json()
    while task["status"] not in ("DONE", "FAILED"):
        task = haidy_session.post("/v2/tasks", json={"task_id": task["task_id"]}).json()
    assert task["result"]["clinical_records"][0]["record_structured"]["input_text"] == TEXT
    session_id = heidi_session.post("/sessions", json={}).json()["session_id"]
    recording_id = heidi_session.post(f"/sessions/{session_id}/restful-segment-transcription").json()["recording_id"]
    chunk = heidi_session.post(f"/sessions/{session_id}/restful-segment-transcription/{recording_id}:transcribe",
                               files={"file": ("consult.mp3", MP3)}, data={"index": "0"})
    assert chunk.json() == {"is_success": True}
    assert heidi_session.get(f"/sessions/{session_id}/transcript").json() == {"transcript": TEXT}


# -- consult notes --------------------------------------------------------------------------------


def test_an_unknown_template_is_404(scribe):
    session_id = scribe.new_session()
    for template_id in ("0" * 24, REFERRAL, "not-an-id"):  # REFERRAL is a document template
        resp = scribe.note(session_id, template_id=template_id)
        assert resp.status_code == 404 and detail(resp) == {"msg": f"Template {template_id} not found",
                                                            "type": "TemplateNotFoundError"}
    assert scribe.session(session_id)["consult_note"]["status"] == "CREATED"


@pytest.mark.parametrize("changes, field", [
    ({"template_id": ""}, "template_id"),
    ({"voice_style": "CHATTY"}, "voice_style"),
    ({"brain": "MIDDLE"}, "brain"),
    ({"content_type": "PDF"}, "content_type"),
    ({"generation_method": "FREESTYLE"}, "generation_method"),
    ({"addition": 5}, "addition"),
    ({"third_party_template": "not json", "template_id": None}, "third_party_template"),
    ({"third_party_template": "[1, 2]", "template_id": None}, "third_party_template"),
    ({"third_party_template": '{"sections": []}', "template_id": None}, "third_party_template"),
], ids=["template_id empty", "voice_style", "brain", "content_type", "generation_method", "addition a number",
        "third-party not JSON", "third-party a list", "third-party without sections"])
def test_a_bad_note_request_is_422_naming_the_field(scribe, changes, field):
    resp = scribe.note(scribe.new_session(), **changes)
    assert resp.status_code == 422, resp.get_data(as_text=True)
    assert detail(resp)["type"] == "RequestValidationError"
    assert [e["loc"] for e in detail(resp)["errors"]] == [["body", field]]


NO_TEMPLATE = {"template_id": None}
BOTH_TEMPLATES = {"third_party_template": '{"Plan": ""}'}


@pytest.mark.parametrize("changes, message", [(NO_TEMPLATE, "field required"), (BOTH_TEMPLATES, "not both")],
                         ids=["neither", "both"])
def test_a_note_needs_one_template_exactly_and_the_error_names_it(scribe, changes, message):
    session_id = scribe.new_session()
    resp = scribe.note(session_id, **changes)
    assert resp.status_code == 422 and detail(resp)["type"] == "RequestValidationError"
    [error] = detail(resp)["errors"]
    assert error["loc"] in (["body", "template_id"], ["body", "third_party_template"]) and message in error["msg"]
    assert "'voice_style'" not in detail(resp)["msg"]  # not the request body quoted back
    assert scribe.session(session_id)["consult_note"]["status"] == "CREATED"


def test_a_third_party_template_as_json_text_gives_its_headings(scribe):
    session_id = scribe.consulted()
    template = {"name": "Cardiology follow-up", "sections": [{"heading": "Reason for visit"},
                                                              {"heading": "Medication review"}, "Plan"]}
    for method in ("TEMPLATE", "THIRD_PARTY_TEMPLATE"):
        note = scribe.written(session_id, generation_method=method, template_id=None,
                              third_party_template=json.dumps(template))
        assert [line[3:] for line in note.splitlines() if line.startswith("## ")] == [
            "Reason for visit", "Medication review", "Plan"]
        assert "Lisinopril 10 mg daily" in section(note, "Medication review")
        saved = scribe.session(session_id)["consult_note"]
        assert (saved["heading"], saved["template_id"], saved["generation_method"]) == (
            "Cardiology follow-up", None, method)
    keys = scribe.written(session_id, template_id=None, third_party_template='{"Problems": "", "Drugs": ""}')
    assert "Hypertension" in section(keys, "Problems") and "Lisinopril" in section(keys, "Drugs")


def test_the_voice_style_changes_the_length(scribe):
    session_id = scribe.consulted(LONG_TEXT)
    lengths = {style: len(scribe.written(session_id, voice_style=style))
               for style in ("BRIEF", "GOLDILOCKS", "DETAILED", "SUPER_DETAILED")}
    assert lengths["BRIEF"] < lengths["GOLDILOCKS"] < lengths["DETAILED"] <= lengths["SUPER_DETAILED"], lengths


def test_an_html_note_has_h2_headings_and_escapes_what_the_clinician_wrote(scribe):
    session_id = scribe.consulted()
    scribe.patch(session_id, clinician_notes=["<script>alert('x')</script> Takes metformin 500 mg twice daily."])
    note = scribe.written(session_id, content_type="HTML", voice_style="DETAILED",  # DETAILED quotes the notes
                          addition="Copy to <b>Dr Who</b> & team")
    assert note.startswith("<h2>Patient</h2>") and "<h2>Plan</h2>" in note and "## " not in note
    assert "<script>" not in note and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in note
    assert "<b>" not in note and "Copy to &lt;b&gt;Dr Who&lt;/b&gt; &amp; team" in note
    assert "<li>Metformin 500 mg twice daily" in note and "<li>Lisinopril 10 mg daily" in note
    assert scribe.session(session_id)["consult_note"]["content_type"] == "HTML"


def test_the_note_holds_the_transcripts_medications_with_dose_and_problems(scribe):
    session_id = scribe.consulted()
    scribe.patch(session_id, clinician_notes=["Also takes metformin 500 mg twice daily for type 2 diabetes."])
    note = scribe.written(session_id)
    medications = section(note, "Medications")
    assert "Lisinopril 10 mg daily" in medications and "Metformin 500 mg twice daily" in medications
    assert "Hypertension" in section(note, "Assessment") and "iabetes" in section(note, "Assessment")
    assert "Penicillin allergy" in section(note, "Allergies")
    assert "Blood pressure 150/90" in section(note, "Examination")
    assert "lisinopril to 20 mg daily" in section(note, "Plan")


def test_the_addition_ends_the_plan(scribe):
    session_id = scribe.consulted()
    note = scribe.written(session_id, addition="Send a copy to the cardiologist.")
    assert "Send a copy to the cardiologist." in section(note, "Plan")


def test_the_session_holds_the_note_once_the_stream_is_read(scribe):
    session_id = scribe.consulted()
    resp = scribe.post(f"/sessions/{session_id}/consult-note", json=NOTE, buffered=False)
    assert resp.status_code == 200
    assert scribe.session(session_id)["consult_note"]["status"] == "CREATED"  # nothing sent yet
    note = "".join(json.loads(line)["data"] for line in resp.get_data(as_text=True).splitlines())
    resp.close()
    saved = scribe.session(session_id)["consult_note"]
    assert (saved["status"], saved["result"], saved["heading"], saved["template_id"]) == (
        "COMPLETED", note, "H & P", H_AND_P)
    assert (saved["voice_style"], saved["brain"], saved["content_type"]) == ("GOLDILOCKS", "LEFT", "MARKDOWN")
    assert len(saved["id"]) == 24
    again = scribe.written(session_id, brain="RIGHT", voice_style="BRIEF")
    saved = scribe.session(session_id)["consult_note"]
    assert (saved["result"], saved["brain"], saved["voice_style"]) == (again, "RIGHT", "BRIEF")


def test_a_linked_sessions_note_is_context(scribe):
    earlier = scribe.consulted("Patient has asthma and uses a salbutamol inhaler when needed.", wav(1.0, tag=80))
    scribe.written(earlier)
    session_id = scribe.consulted(TEXT, wav(1.0, tag=81))
    before = section(scribe.written(session_id), "Past medical history")
    assert "asthma" not in before.lower()
    scribe.patch(session_id, linked_sessions_for_context=[earlier])
    history = section(scribe.written(session_id), "Past medical history")
    assert "Previously: asthma" in history and "salbutamol" in history.lower()


def test_the_same_inputs_give_the_same_note(scribe):
    notes = []
    for _ in range(2):
        session_id = scribe.consulted()
        scribe.patch(session_id, clinician_notes=["Allergies: latex"])
        notes.append(scribe.written(session_id, voice_style="DETAILED"))
    assert notes[0] == notes[1]


@pytest.mark.parametrize("accept, framing", [
    (None, "application/x-ndjson"), ("application/json", "application/x-ndjson"),
    ("text/event-stream", "text/event-stream"), ("text/event-stream, application/x-ndjson", "application/x-ndjson"),
])
@pytest.mark.parametrize("endpoint", ["consult-note", "ask-ai"])
def test_the_stream_is_json_lines_or_server_sent_events_by_accept(scribe, accept, framing, endpoint):
    session_id = scribe.consulted()
    body = NOTE if endpoint == "consult-note" else {"ai_command_text": "Summarise", "content": TEXT}
    headers = {"Accept": accept} if accept else {}
    resp = scribe.post(f"/sessions/{session_id}/{endpoint}", json=body, headers=headers)
    assert resp.status_code == 200 and resp.mimetype == framing
    assert resp.headers["Cache-Control"] == "no-cache"
    text = resp.get_data(as_text=True)
    if framing == "text/event-stream":
        events = text.split("\n\n")
        assert events[-1] == "" and all(event.startswith("data: {") for event in events[:-1])
        pieces = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    else:
        pieces = [json.loads(line) for line in text.splitlines()]
    whole = "".join(piece["data"] for piece in pieces)
    plain = scribe.post(f"/sessions/{session_id}/{endpoint}", json=body)
    assert len(pieces) > 1 and whole == joined(plain)


def test_a_stream_cut_by_a_fault_rule_saves_no_note(own_app):
    client = own_app.test_client()
    scribe = Scribe(client)
    session_id = scribe.consulted()
    rule = client.post("/_mock/faults", json={"method": "POST", "path": f"{BASE}/sessions/{session_id}/consult-note",
                                              "cut_stream_after": 2})
    assert rule.status_code in (200, 201), rule.get_json()
    resp = scribe.post(f"/sessions/{session_id}/consult-note", json=NOTE, buffered=False)
    assert resp.status_code == 200
    received = []
    with pytest.raises(IntendedCut):
        for chunk in resp.response:
            received.append(chunk)
    resp.close()
    assert len(received) == 2 and all(set(json.loads(piece)) == {"data"} for piece in received)
    assert scribe.session(session_id)["consult_note"] == {**scribe.session(session_id)["consult_note"],
                                                           "status": "CREATED", "result": ""}
    assert client.get(f"{BASE}/sessions/{session_id}/clinical-codes",
                      headers=scribe.auth).get_json()["consult_note_id"] is None
    assert client.delete("/_mock/faults").status_code in (200, 204)
    assert scribe.written(session_id) and scribe.session(session_id)["consult_note"]["status"] == "COMPLETED"


# -- client-customised template -------------------------------------------------------------------


def test_the_custom_template_needs_a_note_first(scribe):
    session_id = scribe.consulted()
    resp = scribe.post(f"/sessions/{session_id}/client-customised-template/response", json={"plan": None})
    assert resp.status_code == 400 and detail(resp)["type"] == "ConsultNoteNotFoundError"


@pytest.mark.parametrize("body", [{}, [], "text", [{"plan": None}]], ids=["empty", "list", "string", "list of one"])
def test_a_custom_template_that_is_not_a_json_object_with_keys_is_422(scribe, body):
    session_id = scribe.consulted()
    scribe.written(session_id)
    resp = scribe.post(f"/sessions/{session_id}/client-customised-template/response", json=body)
    assert resp.status_code == 422 and detail(resp)["type"] == "RequestValidationError"


def test_the_custom_template_is_filled_by_its_keys(scribe):
    session_id = scribe.consulted()
    scribe.written(session_id)
    template = {"patient": {"medications": None, "allergies": ""}, "problems": [None, "x"], "count": 3,
                "flag": True, "plan": None}
    filled = scribe.post(f"/sessions/{session_id}/client-customised-template/response", json=template).get_json()
    assert filled["count"] == 3 and filled["flag"] is True
    assert "Lisinopril 10 mg daily" in filled["patient"]["medications"]
    assert "Penicillin" in filled["patient"]["allergies"]
    assert all("Hypertension" in item for item in filled["problems"])
    assert "20 mg" in filled["plan"]


# -- documents ------------------------------------------------------------------------------------


def test_a_document_needs_a_document_template(scribe):
    session_id = scribe.consulted()
    for template_id in ("0" * 24, H_AND_P):  # H & P is a consult-note template
        resp = scribe.document(session_id, template_id=template_id)
        assert resp.status_code == 404 and detail(resp)["type"] == "TemplateNotFoundError"
    resp = scribe.post(f"/sessions/{session_id}/documents", json={"generation_method": "TEMPLATE", "brain": "LEFT"})
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "template_id"]
    for bad in ({"brain": "UP"}, {"generation_method": "FREE"}, {"content_type": "DOCX"}, {"voice_style": "LOUD"}):
        assert scribe.document(session_id, **bad).status_code == 422
    assert scribe.get(f"/sessions/{session_id}/documents").get_json() == {"documents": []}


def test_documents_are_listed_in_the_order_made_and_on_the_session(scribe):
    session_id = scribe.consulted()
    templates = [t["id"] for t in scribe.get("/templates/document-templates").get_json()["data"]]
    assert REFERRAL in templates and len(templates) >= 3
    made = [scribe.document(session_id, template_id=template_id).get_json() for template_id in templates[:3]]
    html = scribe.document(session_id, template_id=REFERRAL, content_type="HTML", voice_style="BRIEF").get_json()
    assert html["content"].startswith("<h2>") and (html["voice_style"], html["content_type"]) == ("BRIEF", "HTML")
    listed = scribe.get(f"/sessions/{session_id}/documents").get_json()["documents"]
    assert [(d["index"], d["id"], d["template_id"]) for d in listed] == [
        (i, d["id"], d["template_id"]) for i, d in enumerate([*made, html])]
    assert all(d["generation_type"] == "TEMPLATE" and d["session_id"] == session_id for d in listed)
    assert [d["content"] for d in listed[:3]] == [d["content"] for d in made]
    assert [d["id"] for d in scribe.session(session_id)["documents"]] == [d["id"] for d in listed]
    referral = made[templates.index(REFERRAL)]
    assert referral["name"] == "Referral Letter" and "Lisinopril 10 mg daily" in referral["content"]


# -- context documents ----------------------------------------------------------------------------


@pytest.mark.parametrize("data, media_type", [
    (make_pdf("Discharge summary"), "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg"),
    (make_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    (DOC_FILE, "application/msword"),
], ids=["pdf", "png", "jpg", "docx", "doc"])
def test_a_context_document_is_accepted_by_its_content(scribe, data, media_type):
    session_id = scribe.new_session()
    resp = scribe.context(session_id, data, {"name": "attachment", "date": "2024-12-11", "extra": 1},
                          name="attachment.txt")
    assert resp.status_code == 200, resp.get_json()
    [stored] = resp.get_json()["context_documents"]
    assert (stored["name"], stored["media_type"], stored["size"], stored["date"]) == (
        "attachment", media_type, len(data), "2024-12-11")
    assert stored["additional_context"] is None


@pytest.mark.parametrize("data", [b"just some text", b"", wav(), b"PK\x03\x04 not a docx"],
                         ids=["text", "empty", "audio", "zip"])
def test_a_context_document_of_another_kind_is_400(scribe, data):
    session_id = scribe.new_session()
    resp = scribe.context(session_id, data, {"name": "notes.pdf"}, name="notes.pdf")
    assert resp.status_code == 400 and isinstance(resp.get_json()["detail"], str), resp.get_json()
    assert scribe.get(f"/sessions/{session_id}/context-documents").get_json() == {"context_documents": []}


@pytest.mark.parametrize("meta, loc", [
    ("{not json", ["body", "meta_data"]), ('"a string"', ["body", "meta_data"]), ("{}", ["body", "meta_data", "name"]),
    ('{"name": ""}', ["body", "meta_data", "name"]), ('{"name": "a", "date": 5}', ["body", "meta_data", "date"]),
], ids=["not JSON", "not an object", "no name", "empty name", "date a number"])
def test_bad_meta_data_is_422(scribe, meta, loc):
    resp = scribe.context(scribe.new_session(), make_pdf(), meta)
    assert resp.status_code == 422 and [e["loc"] for e in detail(resp)["errors"]] == [loc]


def test_a_context_document_without_meta_data_is_422(scribe):
    resp = scribe.post(f"/sessions/{scribe.new_session()}/context-documents", content_type="multipart/form-data",
                       data={"context_documents": (io.BytesIO(make_pdf()), "a.pdf")})
    assert resp.status_code == 422 and detail(resp)["errors"][0]["loc"] == ["body", "meta_data"]


def test_context_documents_are_deleted_by_id_and_unknown_ids_skipped(scribe):
    session_id = scribe.new_session()
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        scribe.context(session_id, make_pdf(name), {"name": name})
    ids = [d["id"] for d in scribe.get(f"/sessions/{session_id}/context-documents").get_json()["context_documents"]]
    resp = scribe.client.delete(f"{BASE}/sessions/{session_id}/context-documents",
                                query_string=[("ids", ids[0]), ("ids", ids[2]), ("ids", "unknown")],
                                headers=scribe.auth)
    assert resp.status_code == 204 and resp.data == b""
    left = scribe.get(f"/sessions/{session_id}/context-documents").get_json()["context_documents"]
    assert [(d["id"], d["name"]) for d in left] == [(ids[1], "b.pdf")]
    assert scribe.client.delete(f"{BASE}/sessions/{session_id}/context-documents?ids=nothing",
                                headers=scribe.auth).status_code == 204
    no_ids = scribe.client.delete(f"{BASE}/sessions/{session_id}/context-documents", headers=scribe.auth)
    assert no_ids.status_code == 422 and detail(no_ids)["errors"][0]["loc"] == ["query", "ids"]


def test_a_context_documents_additional_context_informs_the_note(scribe):
    session_id = scribe.consulted()
    scribe.context(session_id, make_pdf(), {"name": "discharge.pdf", "additional_context": "Discharged with asthma."})
    assert "Previously: asthma" in section(scribe.written(session_id), "Past medical history")


# -- clinical codes -------------------------------------------------------------------------------


def test_no_codes_before_a_note(scribe):
    session_id = scribe.consulted()
    codes = scribe.get(f"/sessions/{session_id}/clinical-codes").get_json()
    assert (codes["session_id"], codes["consult_note_id"], codes["clinical_entities"]) == (session_id, None, [])


def test_codes_after_a_note_point_into_the_note_exactly(scribe):
    session_id = scribe.consulted()
    note = scribe.written(session_id)
    codes = scribe.get(f"/sessions/{session_id}/clinical-codes").get_json()
    assert codes["consult_note_id"] == scribe.session(session_id)["consult_note"]["id"]
    by_code = {(e["primary_code"]["code_system"], e["primary_code"]["code"]): e for e in codes["clinical_entities"]}
    hypertension = by_code[("snomed_ct", "38341003")]
    assert hypertension["primary_code"]["code_name"] == "Hypertension"
    mentioned = [note[loc["start"]:loc["end"]] for loc in hypertension["location_in_note"]]
    assert len(mentioned) >= 2 and {m.lower() for m in mentioned} == {"hypertension"}  # complaint and assessment
    [cited] = hypertension["reference_in_transcript"]
    where = cited["location_in_transcript"]
    assert TEXT[where["start"]:where["end"]] == "hypertension" and cited["transcript_text"] in TEXT
    assert ("rxnorm", "29046") in by_code  # lisinopril
    for entity in codes["clinical_entities"]:
        for loc in entity["location_in_note"]:
            assert 0 <= loc["start"] < loc["end"] <= len(note)
            assert note[loc["start"]:loc["end"]].lower() in entity["primary_code"]["code_name"].lower() or \
                entity["primary_code"]["code_name"].lower() in note[loc["start"]:loc["end"]].lower()
        assert 0 <= entity["primary_code"]["score"] <= 1
    assert scribe.get(f"/sessions/{session_id}/clinical-codes").get_json() == codes  # the same note, the same codes


def test_codes_cite_a_linked_sessions_note_as_context(scribe):
    earlier = scribe.consulted("Patient has hypertension.", wav(1.0, tag=90))
    scribe.written(earlier)
    session_id = scribe.consulted(TEXT, wav(1.0, tag=91))
    scribe.patch(session_id, linked_sessions_for_context=[earlier])
    scribe.written(session_id)
    codes = scribe.get(f"/sessions/{session_id}/clinical-codes").get_json()
    hypertension = next(e for e in codes["clinical_entities"] if e["primary_code"]["code"] == "38341003")
    assert hypertension["reference_in_context"] and hypertension["reference_in_context"][0]["context_index"] == 0


# -- Ask Heidi ------------------------------------------------------------------------------------


def test_ask_heidi_with_no_content_answers_from_the_session(scribe):
    session_id = scribe.consulted()
    for content in ("", "   "):
        answer = joined(scribe.ask(session_id, ai_command_text="List the medications", content=content))
        assert "Lisinopril 10 mg daily" in answer
    without = joined(scribe.ask(session_id, ai_command_text="Summarise the consult"))
    assert without.startswith("Summary: Patient has hypertension")


def test_ask_heidi_works_on_the_content_given(scribe):
    session_id = scribe.consulted()
    answer = joined(scribe.ask(session_id, ai_command_text="List the medications",
                               content="She takes metformin 500 mg twice daily."))
    assert "Metformin 500 mg twice daily" in answer and "Lisinopril" not in answer
    html = joined(scribe.ask(session_id, ai_command_text="Summarise", content="<p>Fish &amp; chips <b>daily</b></p>",
                             content_type="HTML"))
    assert html.startswith("<p>Summary: Fish &amp; chips daily") and "<b>" not in html


@pytest.mark.parametrize("body", [
    {}, {"ai_command_text": ""}, {"ai_command_text": 5}, {"ai_command_text": "x", "content_type": "RTF"},
    {"ai_command_text": "x", "content": 1},
], ids=["empty", "blank command", "command a number", "content_type", "content a number"])
def test_a_bad_ask_heidi_request_is_422(scribe, body):
    resp = scribe.ask(scribe.new_session(), **body)
    assert resp.status_code == 422 and detail(resp)["type"] == "RequestValidationError"


# -- templates ------------------------------------------------------------------------------------


def test_the_template_lists_hold_their_own_category(scribe):
    notes = scribe.get("/templates/consult-note-templates").get_json()["templates"]
    documents = scribe.get("/templates/document-templates").get_json()["data"]
    assert {t["template_category"] for t in notes} == {"CONSULT_NOTE_TEMPLATE"}
    assert {t["template_category"] for t in documents} == {"DOCUMENT_TEMPLATE"}
    assert H_AND_P in {t["id"] for t in notes} and SOAP in {t["id"] for t in notes}
    assert not {t["id"] for t in notes} & {t["id"] for t in documents}
