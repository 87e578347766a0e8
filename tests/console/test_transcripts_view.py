"""The console's Transcripts view in a real browser on a real `mockserver serve`: register what a recording says
for a tenant (an audio file read as base64, POST /_mock/tenants/{tenant}/transcripts), see the sha256 it answers,
and the tenant's list (GET /_mock/tenants/{tenant}/transcripts); data is shown as text, never as markup."""

from __future__ import annotations

import base64
import hashlib
import io
import math
import struct
import wave

import pytest
import requests

from tests.console.browser import NEEDS_BROWSER, Console
from tests.heidi.support import BASE
from tests.support import Served

pytestmark = [pytest.mark.browser, NEEDS_BROWSER]

TENANT = "scribe-console"
INJECTION = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def served():
    server = Served("--no-access-log")
    yield server
    server.stop()


def make_wav(seconds: float = 1.5, rate: int = 8000, tone: float = 440) -> bytes:
    frames = int(seconds * rate)
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(struct.pack(f"<{frames}h", *(int(5000 * math.sin(2 * math.pi * tone * i / rate))
                                                      for i in range(frames))))
    return out.getvalue()


def register_in_the_console(console: Console, tenant: str, audio_path, text: str) -> str:
    """Fill the form and submit; the sha256 the console shows."""
    console.find("#transcript-tenant").clear()
    console.find("#transcript-tenant").send_keys(tenant)
    console.find("#transcript-file").send_keys(str(audio_path))
    console.find("#transcript-text").send_keys(text)
    console.click("#register-transcript")
    console.wait_for("#transcript-sha256")
    return console.content("#transcript-sha256 code")


def listed(console: Console) -> list[tuple[str, str]]:
    return [tuple(row) for row in console.driver.execute_script(
        "return [...document.querySelectorAll('#transcript-list tbody tr')]"
        ".map(tr => [tr.dataset.sha256, tr.querySelector('td.text').textContent])")]


def test_register_a_transcript_for_a_wav_and_see_it_listed(console: Console, served, tmp_path):
    audio = tmp_path / "visit.wav"
    audio.write_bytes(make_wav())
    text = "The patient has hypertension and takes lisinopril 10 mg daily."
    console.open("transcripts")
    console.mark_page()
    assert console.find("#nav-transcripts").get_attribute("class") == "active"

    sha256 = register_in_the_console(console, TENANT, audio, text)
    assert sha256 == hashlib.sha256(audio.read_bytes()).hexdigest()  # the file's own bytes reached the mock
    console.wait(lambda d: listed(console) == [(sha256, text)], message="the transcript never showed in the list")
    answer = requests.get(f"{served.url}/_mock/tenants/{TENANT}/transcripts", timeout=10).json()
    assert answer == {"transcripts": [{"sha256": sha256, "text": text}]}

    # That recording now transcribes to it: Heidi's transcript of an upload of the same file (tenant = API key).
    jwt = requests.get(f"{served.url}{BASE}/jwt", params={"email": "a@example.com", "third_party_internal_id": "u1"},
                       headers={"Heidi-Api-Key": TENANT}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {jwt}"}
    session = requests.post(f"{served.url}{BASE}/sessions", json={}, headers=auth, timeout=10).json()["session_id"]
    requests.post(f"{served.url}{BASE}/sessions/{session}/upload-audio", headers=auth, timeout=10,
                  files={"file": ("visit.wav", audio.read_bytes(), "audio/wav")}).raise_for_status()
    transcript = requests.get(f"{served.url}{BASE}/sessions/{session}/transcript", headers=auth, timeout=10)
    assert transcript.json()["transcript"] == text

    # One registered through the admin API meanwhile shows without a reload; the route may name the tenant.
    other = make_wav(tone=660)
    requests.post(f"{served.url}/_mock/tenants/{TENANT}/transcripts", timeout=10, json={
        "audio_base64": base64.b64encode(other).decode(), "text": "Second recording."}).raise_for_status()
    console.wait(lambda d: len(listed(console)) == 2, message="the API's registration never showed")
    assert console.still_same_page()
    console.open(f"transcripts/{TENANT}")
    console.wait(lambda d: {t for _, t in listed(console)} == {text, "Second recording."})
    console.screenshot("transcripts")


def test_a_missing_file_or_tenant_is_said_and_nothing_is_sent(console: Console, served):
    console.open("transcripts")
    console.find("#transcript-tenant").send_keys(TENANT)
    console.find("#transcript-text").send_keys("No audio chosen.")
    console.click("#register-transcript")
    console.wait_for_text("#transcript-error", "Choose the audio file")
    assert requests.get(f"{served.url}/_mock/tenants/{TENANT}/transcripts", timeout=10).json() == {"transcripts": []}


def test_a_script_in_a_transcript_shows_as_text_and_never_runs(console: Console, served, tmp_path):
    audio = tmp_path / "xss.wav"
    audio.write_bytes(make_wav(seconds=0.5))
    text = f"Patient said {INJECTION} twice."
    console.open("transcripts")
    sha256 = register_in_the_console(console, INJECTION, audio, text)  # the tenant's name too
    console.wait(lambda d: listed(console) == [(sha256, text)], message="the transcript never showed as text")
    assert INJECTION in console.content("#transcripts h2")
    assert not console.find_all("img[src='x']")
    assert console.no_alert()
    stored = requests.get(f"{served.url}/_mock/tenants/{requests.utils.quote(INJECTION, safe='')}/transcripts",
                          timeout=10).json()
    assert stored == {"transcripts": [{"sha256": sha256, "text": text}]}


def test_approve_a_haidy_consultation_that_the_pis_then_lists(console: Console, served):
    tenant = "console-clinic"
    console.open(f"transcripts/{tenant}")
    console.find("#consultation-unique-id").send_keys("patient-console-1")
    console.find("#consultation-title").send_keys(INJECTION)
    console.find("#consultation-transcript").send_keys("Patient has asthma and takes salbutamol 100 mcg as needed.")
    console.click("#approve-consultation")
    consultation = console.wait_for("#consultation-id code").text
    # In open auth a token is its own tenant: the PIS of this tenant now finds it, new, with its report.
    auth = {"Authorization": f"Bearer {tenant}"}
    listed = requests.get(f"{served.url}/v2/consultations", params={"downloaded": "false"}, headers=auth,
                          timeout=10).json()["items"]
    assert [(c["id"], c["unique_id"], c["title"]) for c in listed] == [(consultation, "patient-console-1", INJECTION)]
    report = requests.get(f"{served.url}/v2/consultation/{consultation}/report/TXT", headers=auth, timeout=10)
    assert report.status_code == 200 and "Asthma" in report.text
    assert not console.find_all("img[src='x']")


def test_an_approval_without_its_fields_is_said_and_nothing_is_approved(console: Console, served):
    tenant = "console-clinic-empty"
    console.open(f"transcripts/{tenant}")
    console.click("#approve-consultation")
    console.wait_for_text("#consultation-error", "unique_id")
    assert requests.get(f"{served.url}/v2/consultations", headers={"Authorization": f"Bearer {tenant}"},
                        timeout=10).json()["items"] == []
