"""Every example of Heidi's transcription, consult-note, documents-and-codes and authentication pages, run as the
page writes it against the mock, under both mounts (the root and the real base path).

Requests are taken from the page text (tests/heidi/doc_examples/, verbatim copies of the vendor's pages): method,
path, headers and body as written; only the base URL and the token (the pages' `<your_token>`) are ours. A JSON
body is sent byte for byte. The transcription page writes its multipart bodies as JSON ("the JSON stands for
multipart parts"): a value that names a file is sent as that file (the shipped 3 s consult.mp3), the others as
form fields. What an example needs first (a note before the client-customised template, an upload before the
transcript) is done first, through the documented endpoints.
"""

from __future__ import annotations

import base64
import io
import json
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

import mockserver
from mockserver import Config, create_app
from mockserver.core.shared import with_fresh_prefix
from tests.heidi.support import BASE, bearer
from tests.support import DOC_COPIES, make_pdf

DOCS = DOC_COPIES["heidi"]
PAGES = ("heidi-transcription.txt", "heidi-consult-notes.txt", "heidi-documents-and-codes.txt",
         "heidi-authentication.txt")
SAMPLES = Path(mockserver.__file__).parent / "clinical" / "samples"
MP3 = (SAMPLES / "consult.mp3").read_bytes()
"""The shipped recording: the pages' consult.mp3 (and audio.mp3, the chunk)."""
TEXT = ("Patient has hypertension and takes lisinopril 10 mg daily. Allergic to penicillin. Blood pressure 150/90. "
        "No chest pain. Plan: increase lisinopril to 20 mg daily and review in two weeks.")
"""What the recording says, registered for the tenant."""
MOUNTS = {"root": "", "base": BASE}
FILE_FIELDS = ("file", "context_documents")
"""The multipart fields that carry a file (the pages' field tables say so)."""
STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")

_REQUEST = re.compile(r"^(GET|POST|PATCH|DELETE) (/\S+)(?: HTTP/1\.1)?$")
_HEADER = re.compile(r"^([A-Za-z-]+): (.+)$")
_PART = re.compile(r'^\s+part "(\w+)": (.+)$')


@dataclass(frozen=True)
class DocRequest:
    page: str
    method: str
    path: str
    headers: dict
    body: str | None
    """A JSON body (or the JSON the page writes for multipart parts) as the page prints it."""
    parts: dict
    """The constructed context-documents example's `part "name": value` lines."""
    remark: str
    """The line under the body: where the page says what its text left out (a trailing comma)."""

    @property
    def key(self) -> tuple[str, str]:
        return self.method, self.path


def doc_requests(page: str) -> list[DocRequest]:
    """Every example request of a page: the request line, the header lines under it, then a body that opens with
    `{` at the start of a line and ends at the first line opening with `}` (or `part` lines)."""
    lines = (DOCS / page).read_text(encoding="utf-8").splitlines()
    found = []
    for i, line in enumerate(lines):
        match = _REQUEST.match(line)
        if not match:
            continue
        j, headers, parts = i + 1, {}, {}
        while j < len(lines) and _HEADER.match(lines[j]):
            name, value = _HEADER.match(lines[j]).groups()
            headers[name] = value
            j += 1
        while j < len(lines) and _PART.match(lines[j]):
            name, value = _PART.match(lines[j]).groups()
            parts[name] = value
            j += 1
        while j < len(lines) and not lines[j].strip():
            j += 1
        body, remark = None, ""
        if not parts and j < len(lines) and lines[j].startswith("{"):
            end = next(k for k in range(j, len(lines)) if lines[k].startswith("}"))
            body, remark = "\n".join(lines[j:end + 1]), lines[end + 1] if end + 1 < len(lines) else ""
        found.append(DocRequest(page, match.group(1), match.group(2), headers, body, parts, remark))
    return found


REQUESTS = {page: doc_requests(page) for page in PAGES}
BY_KEY = {request.key: request for page in PAGES for request in REQUESTS[page]}


def doc(method: str, path: str) -> DocRequest:
    return BY_KEY[(method, path)]


def page_text(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def printed_path(page: str, label: str) -> str:
    """A path the page prints on a `Path...:` line under `label` (not as an example request)."""
    text = page_text(page)
    return re.search(rf"^{re.escape(label)}\s+(/\S+)", text, re.M).group(1)


def with_vendor_trailing_comma(body: str) -> str:
    """The body as the vendor printed it: a comma after the last value, before the closing brace."""
    head, _, tail = body.rpartition("\n}")
    assert tail == ""
    return head + ",\n}"


class Heidi:
    """The pages' client under one mount: the base URL and a JWT bought with the pages' own /jwt example."""

    def __init__(self, client, prefix: str, key: str, user: str = "123"):
        self.client, self.prefix, self.key = client, prefix, key
        resp = client.get(f"{prefix}/jwt", query_string={"email": "test@heidihealth.com",
                                                         "third_party_internal_id": user},
                          headers={"Heidi-Api-Key": key})
        assert resp.status_code == 200, resp.get_data(as_text=True)
        self.auth = bearer(resp.get_json()["token"])

    def send(self, request: DocRequest, body: str | None = None, expect: int = 200, **files):
        """The page's request as written; `body` replaces its text (a variant the page describes), `files` the
        bytes of a named file part."""
        headers = {}
        for name, value in request.headers.items():
            if name == "Authorization":
                headers.update(self.auth)
            elif name == "Heidi-Api-Key":
                headers[name] = self.key
            elif name != "Content-Type":
                headers[name] = value
        body = request.body if body is None else body
        content_type = request.headers.get("Content-Type", "")
        kwargs = {}
        if content_type.startswith("multipart/form-data"):
            fields = json.loads(body) if body is not None else {}
            fields.update(request.parts)
            kwargs = {"data": {name: self._part(name, value, files) for name, value in fields.items()},
                      "content_type": "multipart/form-data"}
        elif body is not None:
            kwargs = {"data": body.encode(), "content_type": content_type}
        resp = self.client.open(self.prefix + request.path, method=request.method, headers=headers, **kwargs)
        assert resp.status_code == expect, (request.method, request.path, resp.status_code, resp.get_data()[:500])
        return resp

    def _part(self, name: str, value: str, files: dict):
        if name not in FILE_FIELDS:
            return value
        match = re.fullmatch(r"<binary of (.+)>", value)
        filename = match.group(1) if match else value
        data = files.get(filename)
        if data is None:
            data = make_pdf("Discharge summary: asthma") if filename.endswith(".pdf") else MP3
        return io.BytesIO(data), filename

    def call(self, method: str, path: str, expect: int = 200, **kwargs):
        resp = self.client.open(self.prefix + path, method=method, headers=self.auth, **kwargs)
        assert resp.status_code == expect, (method, path, resp.status_code, resp.get_data()[:500])
        return resp

    def session(self, session_id: str = "1234567890") -> dict:
        return self.call("GET", f"/sessions/{session_id}").get_json()["session"]


def streamed(resp) -> tuple[list[dict], str]:
    """The documented stream: one {"data": "..."} object per line; (the objects, their data joined)."""
    assert resp.mimetype == "application/x-ndjson", resp.mimetype
    pieces = [json.loads(line) for line in resp.get_data(as_text=True).splitlines()]
    assert pieces and all(set(piece) == {"data"} and isinstance(piece["data"], str) for piece in pieces)
    return pieces, "".join(piece["data"] for piece in pieces)


@pytest.fixture(scope="module")
def shared_app(mockserver_store):
    """One app per store for the module, checking its answers against the schemas: each test is a new API key
    (a tenant of its own, whose API users start with the docs' objects), as a new integrator is."""
    app = create_app(Config(validate_responses=True, store=mockserver_store and with_fresh_prefix(mockserver_store)))
    yield app
    link = getattr(app.extensions["mockserver"].store, "link", None)
    if link is not None:
        link.wipe()


@pytest.fixture
def client(shared_app):
    return shared_app.test_client()


@pytest.fixture
def key() -> str:
    return f"doc-example-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=list(MOUNTS), ids=list(MOUNTS))
def heidi(request, client, key):
    return Heidi(client, MOUNTS[request.param], key)


def register(heidi, audio: bytes = MP3, text: str = TEXT) -> None:
    resp = heidi.client.post(f"/_mock/tenants/{heidi.key}/transcripts",
                             json={"audio_base64": base64.b64encode(audio).decode(), "text": text})
    assert resp.status_code == 200, resp.get_json()


def upload_as_documented(heidi) -> dict:
    return heidi.send(doc("POST", "/sessions/1234567890/upload-audio")).get_json()["uploaded_audio"]


def note_as_documented(heidi) -> str:
    return streamed(heidi.send(doc("POST", "/sessions/1234567890/consult-note")))[1]


# -- the pages' requests, as parsed ---------------------------------------------------------------


def test_the_pages_show_these_requests():
    """Guards the parser: every example request of the four pages, with its body where it has one."""
    shown = [(r.page[6:-4], r.method, r.path, r.body is not None or bool(r.parts)) for p in PAGES for r in REQUESTS[p]]
    assert shown == [
        ("transcription", "POST", "/sessions/1234567890/upload-audio", True),
        ("transcription", "POST", "/sessions/1234567890/restful-segment-transcription", False),
        ("transcription", "POST", "/sessions/1234567890/restful-segment-transcription/123:transcribe", True),
        ("transcription", "POST", "/sessions/1234567890/restful-segment-transcription/123:finish", False),
        ("transcription", "GET", "/sessions/1234567890/transcript", False),
        ("consult-notes", "GET", "/templates/consult-note-templates", False),
        ("consult-notes", "POST", "/sessions/1234567890/consult-note", True),
        ("documents-and-codes", "POST", "/sessions/1234567890/documents", True),
        ("documents-and-codes", "GET", "/sessions/1234567890/documents", False),
        ("documents-and-codes", "PATCH", "/sessions/1234567890", True),
        ("documents-and-codes", "PATCH", "/sessions/1234567890", True),
        ("documents-and-codes", "POST", "/sessions/1234567890/context-documents", True),
        ("documents-and-codes", "GET", "/sessions/1234567890/clinical-codes", False),
        ("documents-and-codes", "POST", "/sessions/1234567890/ask-ai", True),
        ("authentication", "GET", "/jwt?email=test@heidihealth.com&third_party_internal_id=123", False),
        ("authentication", "POST", "/users/linked-account", True),
        ("authentication", "DELETE", "/users/linked-account:unlink", False),
        ("authentication", "GET", "/users/linked-account/access", False),
    ]
    patches = [r for r in REQUESTS["heidi-documents-and-codes.txt"] if r.method == "PATCH"]
    assert [sorted(json.loads(r.body)) for r in patches] == [["clinician_notes"], ["linked_sessions_for_context"]]
    assert "trailing comma" in patches[0].remark


# -- transcription --------------------------------------------------------------------------------


def test_upload_audio_as_written(heidi):
    uploaded = upload_as_documented(heidi)
    documented = json.loads(re.search(r"Example response \(200\):\n(\{.*?\n\})", page_text(PAGES[0]), re.S).group(1))
    assert set(documented["uploaded_audio"]) <= set(uploaded)
    assert uploaded["status"] == "INITIALIZED" and uploaded["access_url"] is None and uploaded["expiry"] == 0
    assert STAMP.match(uploaded["created_at"])
    assert (uploaded["start_time"], uploaded["end_time"]) == ("2024-12-11T03:57:57.000000",
                                                              "2024-12-11T04:12:57.000000")
    # The docs' session holds the docs' open recording "123" first: the upload is its second audio.
    assert [a["id"] for a in heidi.session()["audio"]] == ["123", uploaded["id"]]
    assert uploaded["index"] == 1 and uploaded["duration"] == 3.0


def test_transcript_as_written_transcribes_the_upload(heidi):
    register(heidi)
    upload_as_documented(heidi)
    assert heidi.send(doc("GET", "/sessions/1234567890/transcript")).get_json() == {"transcript": TEXT}
    assert heidi.session()["audio"][1]["status"] == "TRANSCRIBED"


def test_open_a_segmented_recording_as_written(heidi):
    resp = heidi.send(doc("POST", "/sessions/1234567890/restful-segment-transcription"))
    recording_id = resp.get_json()["recording_id"]
    assert set(resp.get_json()) == {"recording_id"} and recording_id.isdigit() and recording_id != "123"
    assert [a["id"] for a in heidi.session()["audio"]] == ["123", recording_id]


def test_a_chunk_and_finish_as_written_on_the_docs_recording_123(heidi):
    register(heidi)
    transcribe = doc("POST", "/sessions/1234567890/restful-segment-transcription/123:transcribe")
    assert json.loads(transcribe.body) == {"file": "audio.mp3", "index": "0"}
    assert heidi.send(transcribe).get_json() == {"is_success": True}
    finish = doc("POST", "/sessions/1234567890/restful-segment-transcription/123:finish")
    assert heidi.send(finish).get_json() == {"is_success": True}
    recording = heidi.session()["audio"][0]
    assert (recording["id"], recording["status"], recording["duration"]) == ("123", "FINISHED", 3.0)
    assert heidi.send(doc("GET", "/sessions/1234567890/transcript")).get_json() == {"transcript": TEXT}


@pytest.mark.parametrize("form", ["relative", "as printed"])
def test_the_live_transcript_at_both_paths(heidi, form):
    printed = printed_path(PAGES[0], "Path (exactly as printed):")
    assert printed == "/open-api/sessions/{session_id}/transcript/live"
    path = printed.removeprefix("/open-api") if form == "relative" else printed
    path = path.replace("{session_id}", "1234567890")
    register(heidi)
    uploaded = upload_as_documented(heidi)
    before = heidi.call("GET", path).get_json()
    assert before["session_id"] == "1234567890" and before["transcript"] == ""
    assert [(c["id"], c["status"], c["source"]) for c in before["chunks"]] == [
        (f"{uploaded['id']}-0", "PENDING", "USER_UPLOADED")]
    heidi.send(doc("GET", "/sessions/1234567890/transcript"))
    after = heidi.call("GET", path).get_json()
    assert after["transcript"] == TEXT and [(c["status"], c["text"]) for c in after["chunks"]] == [("READY", TEXT)]
    other = printed if form == "relative" else printed.removeprefix("/open-api")
    assert heidi.call("GET", other.replace("{session_id}", "1234567890")).get_json() == after


# -- consult-note templates and notes -------------------------------------------------------------


def test_the_template_list_as_written_holds_the_documented_h_and_p(heidi):
    templates = heidi.send(doc("GET", "/templates/consult-note-templates")).get_json()["templates"]
    h_and_p = next(t for t in templates if t["id"] == "659b8042fe093d6592b41ef7")
    assert set(h_and_p) == {"id", "name", "structure_template", "template_category", "template_html", "author_name"}
    assert (h_and_p["name"], h_and_p["template_category"], h_and_p["author_name"]) == (
        "H & P", "CONSULT_NOTE_TEMPLATE", "Heidi")
    assert "Plan" in h_and_p["structure_template"] and "<h2>" in h_and_p["template_html"]
    assert {t["template_category"] for t in templates} == {"CONSULT_NOTE_TEMPLATE"}


def test_the_consult_note_as_written_streams_a_note_and_saves_it(heidi):
    register(heidi)
    upload_as_documented(heidi)
    request = doc("POST", "/sessions/1234567890/consult-note")
    assert json.loads(request.body)["template_id"] == "659b8042fe093d6592b41ef7"
    pieces, note = streamed(heidi.send(request))
    assert len(pieces) > 1
    headings = re.findall(r"^## (.+)$", note, re.M)
    assert headings == ["Patient", "Chief complaint", "History of present illness", "Past medical history",
                        "Medications", "Allergies", "Examination", "Assessment", "Plan"]
    assert "Lisinopril 10 mg daily" in note and "Hypertension" in note
    saved = heidi.session()["consult_note"]
    assert (saved["status"], saved["result"], saved["heading"]) == ("COMPLETED", note, "H & P")
    assert (saved["template_id"], saved["voice_style"], saved["brain"], saved["generation_method"]) == (
        "659b8042fe093d6592b41ef7", "GOLDILOCKS", "LEFT", "TEMPLATE")


def test_the_client_customised_template_after_a_note(heidi):
    """The page prints only a placeholder body (`...JSON template content`, not JSON) and the path in JS
    template-literal notation: the path is run with the docs' session, the body is a template of our own."""
    printed = re.search(r"^Path: (/sessions/\{session_id\}/client-customised-template/response)$",
                        page_text(PAGES[1]), re.M).group(1)
    assert "${sessionId}" in page_text(PAGES[1])
    path = printed.replace("{session_id}", "1234567890")
    template = {"chief_complaint": None, "medications": None, "allergies": "", "plan": None, "visits": 2}
    first = heidi.call("POST", path, expect=400, json=template).get_json()  # the documented precondition
    assert first["detail"]["type"] == "ConsultNoteNotFoundError"
    register(heidi)
    upload_as_documented(heidi)
    note_as_documented(heidi)
    filled = heidi.call("POST", path, json=template).get_json()
    assert set(filled) == set(template) and filled["visits"] == 2
    assert "Lisinopril 10 mg daily" in filled["medications"] and "Penicillin" in filled["allergies"]
    assert "lisinopril to 20 mg" in filled["plan"]


def test_the_placeholder_body_of_the_custom_template_is_a_validation_error(heidi):
    placeholder = re.search(r"^Request body: .*?\n(\{\n  \.\.\.JSON template content\n\})", page_text(PAGES[1]),
                            re.S | re.M).group(1)
    resp = heidi.call("POST", "/sessions/1234567890/client-customised-template/response", expect=422,
                      data=placeholder.encode(), content_type="application/json")
    assert resp.get_json()["detail"]["type"] == "RequestValidationError"


# -- documents ------------------------------------------------------------------------------------


def test_create_a_document_as_written_then_list_it(heidi):
    register(heidi)
    upload_as_documented(heidi)
    created = heidi.send(doc("POST", "/sessions/1234567890/documents")).get_json()
    assert set(created) == {"id", "session_id", "name", "template_id", "brain", "voice_style", "content_type",
                            "content"}
    assert (created["session_id"], created["template_id"], created["voice_style"], created["content_type"]) == (
        "1234567890", "66455a5f0b0a1c8d018c6896", "GOLDILOCKS", "MARKDOWN")
    assert created["name"] == "Referral Letter" and "## " in created["content"] and "Lisinopril" in created["content"]
    listed = heidi.send(doc("GET", "/sessions/1234567890/documents")).get_json()["documents"]
    assert len(listed) == 1 and set(listed[0]) >= {"id", "session_id", "index", "name", "template_id", "content",
                                                    "generation_type", "brain"}
    assert {k: listed[0][k] for k in ("id", "index", "content", "generation_type", "brain")} == {
        "id": created["id"], "index": 0, "content": created["content"], "generation_type": "TEMPLATE",
        "brain": "LEFT"}


def test_the_older_pages_document_template_id_works_too(heidi):
    older = re.search(r'older page example uses template_id "([0-9a-f]{24})"', page_text(PAGES[2])).group(1)
    body = doc("POST", "/sessions/1234567890/documents").body.replace("66455a5f0b0a1c8d018c6896", older)
    assert heidi.send(doc("POST", "/sessions/1234567890/documents"), body=body).get_json()["template_id"] == older


# -- session context ------------------------------------------------------------------------------


@pytest.mark.parametrize("printed", ["as written", "with the vendor's trailing comma"])
def test_patch_clinician_notes_as_written(heidi, printed):
    request = next(r for r in REQUESTS[PAGES[2]] if r.method == "PATCH" and "clinician_notes" in r.body)
    body = request.body if printed == "as written" else with_vendor_trailing_comma(request.body)
    session = heidi.send(request, body=body).get_json()["session"]
    assert session["clinician_notes"] == ["Medication history: paracetamol", "Allergies: penicillin"]
    assert heidi.session()["clinician_notes"] == session["clinician_notes"]


def test_patch_linked_sessions_as_written_and_their_notes_become_context(heidi):
    """The page links 1234567891 and 1234567892: every new API user has them (earlier consults of the docs'
    session, each with a note), so the request runs as written, and the next note draws on theirs."""
    request = next(r for r in REQUESTS[PAGES[2]] if r.method == "PATCH" and "linked_sessions" in r.body)
    session = heidi.send(request).get_json()["session"]
    assert session["linked_sessions_for_context"] == ["1234567891", "1234567892"]
    assert heidi.session()["linked_sessions_for_context"] == ["1234567891", "1234567892"]
    earlier = [heidi.session(linked)["consult_note"]["result"] for linked in ("1234567891", "1234567892")]
    assert all(earlier)
    history = note_as_documented(heidi).split("## Past medical history", 1)[1].split("\n## ", 1)[0]
    assert "- Previously: hypertension" in history and "- Previously: penicillin allergy" in history, history


def test_upload_a_context_document_as_constructed(heidi):
    request = doc("POST", "/sessions/1234567890/context-documents")
    assert set(request.parts) == {"context_documents", "meta_data"}
    answer = heidi.send(request).get_json()
    meta = json.loads(request.parts["meta_data"])
    [stored] = answer["context_documents"]
    assert {k: stored[k] for k in meta} == meta and stored["media_type"] == "application/pdf"
    assert heidi.call("GET", "/sessions/1234567890/context-documents").get_json() == answer


# -- clinical codes and Ask Heidi -----------------------------------------------------------------


def test_clinical_codes_as_written(heidi):
    request = doc("GET", "/sessions/1234567890/clinical-codes")
    before = heidi.send(request).get_json()
    assert (before["session_id"], before["consult_note_id"], before["clinical_entities"]) == ("1234567890", None, [])
    register(heidi)
    upload_as_documented(heidi)
    note = note_as_documented(heidi)
    codes = heidi.send(request).get_json()
    assert set(codes) == {"id", "session_id", "consult_note_id", "clinical_entities"}
    assert codes["consult_note_id"] == heidi.session()["consult_note"]["id"]
    entity = next(e for e in codes["clinical_entities"] if e["primary_code"]["code"] == "38341003")
    assert set(entity) >= {"location_in_note", "reference_in_transcript", "reference_in_context", "primary_code",
                           "similar_codes"}
    assert set(entity["primary_code"]) >= {"code", "code_name", "metadata", "score", "code_system"}
    assert entity["primary_code"]["code_system"] == "snomed_ct" and 0 <= entity["primary_code"]["score"] <= 1
    assert all(note[loc["start"]:loc["end"]].lower() == "hypertension" for loc in entity["location_in_note"])
    [cited] = entity["reference_in_transcript"]
    where = cited["location_in_transcript"]
    assert TEXT[where["start"]:where["end"]] == "hypertension" and "hypertension" in cited["transcript_text"]


def test_ask_heidi_as_written_streams_data_objects(heidi):
    request = doc("POST", "/sessions/1234567890/ask-ai")
    assert json.loads(request.body)["content"] == "My long paragraph of text"
    pieces, text = streamed(heidi.send(request))
    assert len(pieces) > 1 and text.startswith("Summary: My long paragraph of text")
    documented = re.findall(r'^\{ "data": "(.*)" \}$', page_text(PAGES[2]), re.M)
    assert "".join(documented) == "My summary of the text."  # the page's own pieces join the same way


# -- authentication -------------------------------------------------------------------------------


def test_a_jwt_as_written(heidi):
    resp = heidi.send(doc("GET", "/jwt?email=test@heidihealth.com&third_party_internal_id=123"))
    assert set(resp.get_json()) == {"token", "expiration_time"}
    headers = bearer(resp.get_json()["token"])
    assert heidi.client.get(f"{heidi.prefix}/sessions/1234567890", headers=headers).status_code == 200


def test_the_getting_started_curl_reaches_the_mock_under_the_base_path(client):
    curl = re.search(r"^curl -X GET '(https://[^']+)' -H 'Heidi-Api-Key: (\w+)'$", page_text(PAGES[3]), re.M)
    url = curl.group(1)
    assert url.startswith("https://registrar.api.heidihealth.com" + BASE)
    resp = client.get(url.removeprefix("https://registrar.api.heidihealth.com"),
                      headers={"Heidi-Api-Key": curl.group(2)})
    assert resp.status_code == 200 and resp.get_json()["token"]


@pytest.mark.parametrize("printed", ["as written", "with the vendor's trailing comma"])
def test_link_check_and_unlink_as_written(heidi, printed):
    link = doc("POST", "/users/linked-account")
    body = link.body if printed == "as written" else with_vendor_trailing_comma(link.body)
    assert json.loads(link.body) == {"kinde_user_id": "kp_xxx"}
    account = heidi.send(link, body=body).get_json()["account"]
    access = heidi.send(doc("GET", "/users/linked-account/access")).get_json()
    assert (access["is_valid"], access["is_linked"], access["account"]) == (True, True, account)
    assert heidi.send(doc("DELETE", "/users/linked-account:unlink")).get_json() == {"is_success": True}
    assert heidi.send(doc("GET", "/users/linked-account/access")).get_json()["is_linked"] is False


def test_the_linked_account_has_the_documented_fields(heidi):
    documented = json.loads(re.search(r"Example response \(200\):\n(\{\n  \"account\".*?\n\})", page_text(PAGES[3]),
                                      re.S).group(1))["account"]
    account = heidi.send(doc("POST", "/users/linked-account")).get_json()["account"]
    assert set(documented) <= set(account)
    assert (account["user_id"], account["ehr_email"], account["ehr_user_id"]) == ("kp_xxx", "test@heidihealth.com",
                                                                                  "123")
    access = heidi.send(doc("GET", "/users/linked-account/access")).get_json()
    assert {"user_id", "ehr_provider"} <= set(access["account"])


def test_a_heidi_account_linked_to_another_api_user_is_the_documented_error(heidi):
    heidi.send(doc("POST", "/users/linked-account"))
    other = Heidi(heidi.client, heidi.prefix, heidi.key, user="456")
    resp = other.send(doc("POST", "/users/linked-account"), expect=400)
    assert resp.get_json() == {"detail": {
        "msg": "Heidi account with user_id kp_xxx already linked to an OpenAPI User",
        "type": "OpenAPIHeidiAccountAlreadyLinkedError"}}
