"""Heidi's scribe flow over HTTP on a live `mockserver serve`, as an integrator writes it: `requests` for the plain
calls, httpx streaming for the consult note (read line by line, as it arrives).

Audio -> transcripts registered through the admin API -> transcript -> templates -> the streamed note -> clinical
codes -> the session holding the note. Then the stream's behaviour on the wire: paced, it holds no other request
(it is sent outside the one-request-at-a-time gate); a fault rule cuts it mid-way and the note is not saved; a
client that asks for server-sent events gets them.
"""

from __future__ import annotations

import base64
import io
import json
import math
import struct
import threading
import time
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import requests

import mockserver
from tests.heidi.support import BASE
from tests.support import Served

PACE_MS = 20
"""The flow's server: pieces 20 ms apart, so a note's first piece arrives clearly before its last."""
SLOW_PACE_MS = 300
"""The server of the "holds nobody" test: a stream of a dozen pieces takes seconds."""
H_AND_P = "659b8042fe093d6592b41ef7"
MP3 = Path(mockserver.__file__).parent / "clinical" / "samples" / "consult.mp3"
MP3_SECONDS = 3.0
"""The shipped sample's length, as the mock measures it (the session's duration adds it)."""
WAV_RATE, WAV_SECONDS = 8000, 2.5
START = "2024-12-11T03:57:57Z"
FIRST_WORDS = ("The patient has hypertension and type 2 diabetes. She takes lisinopril 10 mg daily "
               "and metformin 500 mg twice daily.")
SECOND_WORDS = "She has a penicillin allergy. Blood pressure today is 148/92."
NOTE_REQUEST = {"generation_method": "TEMPLATE", "addition": "", "template_id": H_AND_P, "voice_style": "GOLDILOCKS",
                "brain": "LEFT"}


def make_wav(seconds: float = WAV_SECONDS, rate: int = WAV_RATE) -> bytes:
    """A mono 16-bit WAV: a 440 Hz tone, then silence, `seconds` long in all."""
    frames = int(seconds * rate)
    samples = [int(6000 * math.sin(2 * math.pi * 440 * i / rate)) if i < frames // 2 else 0 for i in range(frames)]
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{frames}h", *samples))
    return out.getvalue()


def wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as wav:
        return wav.getnframes() / wav.getframerate()


@pytest.fixture(scope="module")
def server():
    served = Served("--validate-responses", "--stream-pace", str(PACE_MS), "--no-access-log")
    yield served
    served.stop()


SHORT_ASK = {"ai_command_text": "Summarise the following text", "content_type": "MARKDOWN",
             "content": "The patient reports a mild headache since Monday, worse in the mornings, eased by rest "
                        "and fluids; no fever, no vomiting, no visual change, sleeping poorly this week."}
"""An Ask Heidi request whose answer is a dozen pieces or so."""

@pytest.fixture(scope="module")
def slow_server():
    served = Served("--stream-pace", str(SLOW_PACE_MS), "--no-access-log")
    yield served
    served.stop()


class Scribe:
    """An integrator's client: the API key buys a JWT (GET /jwt); plain calls with requests, streams with httpx."""

    def __init__(self, root: str, api_key: str):
        self.root, self.api_key, self.base = root, api_key, root + BASE
        resp = requests.get(f"{self.base}/jwt", params={"email": "dr.smith@example.com",
                                                        "third_party_internal_id": "scribe-e2e"},
                            headers={"Heidi-Api-Key": api_key}, timeout=10)
        assert resp.status_code == 200, resp.text
        self.auth = {"Authorization": f"Bearer {resp.json()['token']}"}
        self.http = requests.Session()
        self.http.headers.update(self.auth)

    def call(self, method: str, path: str, expect: int = 200, **kwargs) -> dict:
        resp = self.http.request(method, self.base + path, timeout=10, **kwargs)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.text)
        return resp.json()

    def register(self, audio: bytes, text: str) -> str:
        """What `audio` transcribes to, for this API key's tenant (the admin API; open auth needs no token)."""
        resp = requests.post(f"{self.root}/_mock/tenants/{self.api_key}/transcripts", timeout=10,
                             json={"audio_base64": base64.b64encode(audio).decode(), "text": text})
        assert resp.status_code == 200, resp.text
        return resp.json()["sha256"]

    def new_session(self) -> str:
        return self.call("POST", "/sessions", json={})["session_id"]

    def stream(self, path: str, body: dict, headers: dict | None = None, timeout: float = 30):
        """An httpx streaming context for a POST under the base path."""
        client = httpx.Client(timeout=timeout)
        return client, client.stream("POST", self.base + path, json=body, headers={**self.auth, **(headers or {})})


def read_timed(response: httpx.Response) -> list[tuple[float, str]]:
    """Every non-empty line of a streamed answer with when it arrived (monotonic seconds)."""
    return [(time.monotonic(), line) for line in response.iter_lines() if line]


def sections(markdown: str) -> dict[str, str]:
    """The note's `## ` sections by heading."""
    out: dict[str, str] = {}
    for block in markdown.split("\n## "):
        heading, _, text = block.removeprefix("## ").partition("\n")
        out[heading.strip()] = text.strip()
    return out


def test_the_whole_scribe_flow_with_a_streamed_note(server):
    heidi = Scribe(server.url, api_key="scribe-clinic")
    wav, mp3 = make_wav(), MP3.read_bytes()
    duration = wav_seconds(wav)
    assert duration == WAV_SECONDS

    profile = heidi.call("POST", "/patient-profiles", json={
        "first_name": "Ada", "last_name": "Lovelace", "birth_date": "1960-03-01", "gender": "FEMALE",
        "ehr_patient_id": "SCRIBE-1"})["data"]
    session_id = heidi.call("POST", "/sessions", json={"patient_profile_id": profile["id"]})["session_id"]
    digests = [heidi.register(wav, FIRST_WORDS), heidi.register(mp3, SECOND_WORDS)]
    listed = requests.get(f"{server.url}/_mock/tenants/scribe-clinic/transcripts", timeout=10).json()["transcripts"]
    assert {(t["sha256"], t["text"]) for t in listed} == {(digests[0], FIRST_WORDS), (digests[1], SECOND_WORDS)}

    # The WAV as one upload: end_time is start_time plus the recording's real length.
    uploaded = heidi.call("POST", f"/sessions/{session_id}/upload-audio",
                          files={"file": ("visit.wav", wav, "audio/wav")}, data={"start_time": START})["uploaded_audio"]
    start = datetime.fromisoformat(uploaded["start_time"]).replace(tzinfo=UTC)
    assert start == datetime.fromisoformat(START)
    assert datetime.fromisoformat(uploaded["end_time"]).replace(tzinfo=UTC) - start == timedelta(seconds=duration)
    assert uploaded["duration"] == duration

    # The MP3 as a segmented recording: open, one chunk, finish.
    recording = heidi.call("POST", f"/sessions/{session_id}/restful-segment-transcription")["recording_id"]
    segment = f"/sessions/{session_id}/restful-segment-transcription/{recording}"
    assert heidi.call("POST", f"{segment}:transcribe", files={"file": ("chunk-0.mp3", mp3, "audio/mpeg")},
                      data={"index": "0"}) == {"is_success": True}
    assert heidi.call("POST", f"{segment}:finish") == {"is_success": True}

    transcript = heidi.call("GET", f"/sessions/{session_id}/transcript")["transcript"]
    assert transcript.index(FIRST_WORDS) < transcript.index(SECOND_WORDS)

    templates = heidi.call("GET", "/templates/consult-note-templates")["templates"]
    assert H_AND_P in [t["id"] for t in templates]

    client, stream = heidi.stream(f"/sessions/{session_id}/consult-note", NOTE_REQUEST)
    with client, stream as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/x-ndjson")
        arrivals = read_timed(response)
    assert len(arrivals) > 1
    pieces = [json.loads(line) for _, line in arrivals]
    assert all(isinstance(p, dict) and set(p) == {"data"} and isinstance(p["data"], str) for p in pieces)
    spread = arrivals[-1][0] - arrivals[0][0]
    assert spread >= 0.5 * (len(arrivals) - 1) * PACE_MS / 1000, (spread, len(arrivals))  # paced, not all at once
    note = "".join(p["data"] for p in pieces)

    parts = sections(note)
    assert "Lisinopril 10 mg" in parts["Medications"] and "Metformin 500 mg" in parts["Medications"]
    assert "hypertension" in parts["Assessment"].lower() and "diabetes" in parts["Assessment"].lower()
    assert "penicillin" in parts["Allergies"].lower()

    entities = heidi.call("GET", f"/sessions/{session_id}/clinical-codes")["clinical_entities"]
    codes = {e["primary_code"]["code_name"].lower(): e["primary_code"] for e in entities}
    assert codes["hypertension"]["code_system"] == "snomed_ct" and codes["hypertension"]["code"] == "38341003"
    assert codes["lisinopril"]["code_system"] == "rxnorm"

    session = heidi.call("GET", f"/sessions/{session_id}")["session"]
    assert session["consult_note"]["status"] == "COMPLETED"
    assert session["consult_note"]["result"] == note
    assert session["duration"] == pytest.approx(duration + MP3_SECONDS)
    assert len(session["audio"]) == 2


def test_a_paced_stream_holds_no_other_request(slow_server):
    heidi = Scribe(slow_server.url, api_key="scribe-pace")
    session_id = heidi.new_session()
    body = SHORT_ASK  # a dozen pieces or so, 0.3 s apart: a few seconds of stream
    first_piece, done = threading.Event(), threading.Event()
    arrivals: list[float] = []
    failure: list[BaseException] = []

    def read():
        try:
            client, stream = heidi.stream(f"/sessions/{session_id}/ask-ai", body)
            with client, stream as response:
                assert response.status_code == 200
                for line in response.iter_lines():
                    if line:
                        arrivals.append(time.monotonic())
                        first_piece.set()
        except BaseException as error:  # reported by the main thread
            failure.append(error)
        finally:
            first_piece.set()
            done.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert first_piece.wait(10) and not failure, failure
    times = []
    for _ in range(20):
        began = time.monotonic()
        heidi.call("GET", f"/sessions/{session_id}")
        times.append(time.monotonic() - began)
    still_streaming = not done.is_set()
    reader.join(30)
    assert not failure, failure
    assert max(times) < 1.0, times
    assert still_streaming, f"the stream ended before the 20 GETs did ({len(arrivals)} pieces)"
    assert len(arrivals) > 5 and arrivals[-1] - arrivals[0] >= 0.5 * (len(arrivals) - 1) * SLOW_PACE_MS / 1000


def test_a_fault_rule_cuts_the_stream_and_the_note_is_not_saved(server):
    heidi = Scribe(server.url, api_key="scribe-cut")
    wav = make_wav(1.0)
    heidi.register(wav, FIRST_WORDS)
    session_id = heidi.new_session()
    heidi.call("POST", f"/sessions/{session_id}/upload-audio", files={"file": ("a.wav", wav, "audio/wav")})
    rule = requests.post(f"{server.url}/_mock/faults", timeout=10,
                         json={"method": "POST", "path": "*/consult-note", "cut_stream_after": 3})
    assert rule.status_code in (200, 201), rule.text
    try:
        got: list[str] = []
        client, stream = heidi.stream(f"/sessions/{session_id}/consult-note", NOTE_REQUEST)
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)), client, stream as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line:
                    got.append(line)
        assert len(got) == 3 and all(set(json.loads(line)) == {"data"} for line in got)
        note = heidi.call("GET", f"/sessions/{session_id}")["session"]["consult_note"]
        assert not note or note.get("status") != "COMPLETED", note  # saved only when the stream ends

        client, stream = heidi.stream(f"/sessions/{session_id}/consult-note", NOTE_REQUEST)  # the rule fired once
        with client, stream as response:
            whole = [json.loads(line)["data"] for line in response.iter_lines() if line]
        assert len(whole) > 3 and "Lisinopril 10 mg" in "".join(whole)
        note = heidi.call("GET", f"/sessions/{session_id}")["session"]["consult_note"]
        assert note["status"] == "COMPLETED" and note["result"] == "".join(whole)
    finally:
        requests.delete(f"{server.url}/_mock/faults", timeout=10)


def test_a_client_that_asks_for_server_sent_events_gets_them(server):
    heidi = Scribe(server.url, api_key="scribe-sse")
    session_id = heidi.new_session()
    client, stream = heidi.stream(f"/sessions/{session_id}/consult-note", NOTE_REQUEST,
                                  headers={"Accept": "text/event-stream"})
    with client, stream as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    assert text.endswith("\n\n")
    events = text[:-2].split("\n\n")
    assert len(events) > 1
    pieces = []
    for event in events:
        assert event.startswith("data: ") and "\n" not in event, event
        piece = json.loads(event.removeprefix("data: "))
        assert set(piece) == {"data"} and isinstance(piece["data"], str)
        pieces.append(piece["data"])
    assert "".join(pieces).startswith("## ")


def test_more_streams_than_request_threads_hold_nobody_either(slow_server):
    """Two request threads (serve's default): one stream at a time is paced, the others go out at once
    (core/streams.py), so three at once leave a thread for everyone else."""
    heidi = Scribe(slow_server.url, api_key="scribe-pace-many")
    session_id = heidi.new_session()
    body = SHORT_ASK
    spans: list[float] = []
    failure: list[BaseException] = []

    def read():
        try:
            client, stream = heidi.stream(f"/sessions/{session_id}/ask-ai", body)
            with client, stream as response:
                arrivals = [time.monotonic() for line in response.iter_lines() if line]
            spans.append(arrivals[-1] - arrivals[0])
        except BaseException as error:  # reported by the main thread
            failure.append(error)

    readers = [threading.Thread(target=read, daemon=True) for _ in range(3)]
    for reader in readers:
        reader.start()
    time.sleep(0.5)
    times = []
    for _ in range(20):
        began = time.monotonic()
        heidi.call("GET", f"/sessions/{session_id}")
        times.append(time.monotonic() - began)
    for reader in readers:
        reader.join(30)
    assert not failure, failure
    assert max(times) < 1.0, times
    paced = [span for span in spans if span > 1.0]
    assert len(spans) == 3 and len(paced) == 1, spans  # one paced (several pieces 0.3 s apart), two at once
