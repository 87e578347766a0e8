"""Heidi's scribe flow over HTTP: audio, transcripts, templates, the streamed consult note, documents, context
documents, clinical codes and Ask Heidi. Declared on the family's `api`, so under the root and the real base path.

A note, a document, the codes and an answer are written from what the session holds (`scribe.consultation`),
by the clinical layer's writer; the same inputs give the same bytes.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask import Response

from mockserver.clinical import codes, notes, transcripts
from mockserver.clinical.answers import answer
from mockserver.clinical.audio import Audio, AudioError, NotAudio, read_audio
from mockserver.clinical.transcripts import TranscriptBook, placeholder
from mockserver.core.declaration import MULTIPART as FORM
from mockserver.core.declaration import Body, Reply
from mockserver.core.errors import BadRequest, FieldError, NotFound, PayloadTooLarge, RequestValidationError
from mockserver.core.json_codec import loads
from mockserver.core.sniff import DOCX, JPEG, PDF, PNG, sniff_document
from mockserver.core.streams import EVENT_STREAM, NDJSON, Stream
from mockserver.heidi import scribe, templates
from mockserver.heidi.errors import PlainDetail
from mockserver.heidi.models import UserData, document_item
from mockserver.heidi.routes import ERROR, api, data_of

ONLY_AUDIO = "only audio file is allowed"
"""The documented answer to an upload that is not audio."""
DOC = "application/msword"
CONTEXT_TYPES = (PDF, JPEG, PNG, DOCX, DOC)
"""What a context document may be (the docs: .pdf, .jpg, .png, .docx, .doc), judged by content."""
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_STREAMED = Reply("heidi/stream", NDJSON,
                  "The answer as it is written: one {\"data\": \"...\"} object per line; the whole answer is every "
                  f"data value joined. A client that asks for {EVENT_STREAM} gets server-sent events instead.")
_SESSION_ID = {"session_id": "$request.path.session_id"}


def _uploaded(call, field: str) -> tuple[str, bytes]:
    """The file part's name and bytes, refused above the upload limit (413)."""
    part = call.files[field][0]
    data = part.read(call.runtime.config.max_file_bytes + 1)
    if len(data) > call.runtime.config.max_file_bytes:
        raise PayloadTooLarge(f"{field} is larger than {call.runtime.config.max_file_bytes} bytes",
                              code="FileTooLargeError")
    return part.filename or field, data


def _audio(data: bytes) -> Audio:
    """The recording as measured; not audio is the documented 400, a broken recording a 400 saying what broke."""
    try:
        return read_audio(data)
    except NotAudio:
        raise PlainDetail(ONLY_AUDIO) from None
    except AudioError as broken:
        raise PlainDetail(f"error: failed to upload audio: {broken}") from None


def _transcriber(book: TranscriptBook) -> scribe.Transcriber:
    def transcribe(digest: str, duration: float | None) -> str:
        text = book.text_of(digest)
        return placeholder(digest, duration) if text is None else text

    return transcribe


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.upper().replace("Z", "+00:00"))


def _new_id(mine: UserData) -> str:
    return mine.entropy(12).hex()


def _recording_id(mine: UserData) -> str:
    """Digits, as the docs' "123": random, so two recordings never share one."""
    return str(10**11 + int.from_bytes(mine.entropy(8), "big") % (9 * 10**11))


# -- audio and transcripts -----------------------------------------------------------------------


@api.operation("POST", "/sessions/{session_id}/upload-audio", summary="Upload a session's recording",
               body=Body("heidi/audio-upload", FORM),
               responses={200: "heidi/audio-uploaded", 400: ERROR, 404: ERROR, 413: ERROR},
               links={200: {"GetTranscript": {"operationId": "get_transcript", "parameters": _SESSION_ID}}})
def upload_audio(call):
    """Its type is sniffed and its duration measured from the bytes; it is transcribed on the next transcript
    fetch. end_time defaults to start_time plus the measured duration."""
    _, data = _uploaded(call, "file")
    audio = _audio(data)
    start, end = _time(call.body.get("start_time")), _time(call.body.get("end_time"))
    for name, moment in (("start_time", start), ("end_time", end)):
        try:
            if moment is not None:
                scribe.stamp(moment)
        except OverflowError:  # a valid ISO 8601 time that leaves the calendar once in UTC
            raise _invalid(name, f"{name} must lie between the years 1 and 9999 in UTC") from None
    if start is not None and end is not None and end < start:
        raise _invalid("end_time", "end_time is before start_time")
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        try:
            uploaded = scribe.upload_audio(session, data, audio, entry_id=_new_id(mine), now=mine.clock.now(),
                                           start_time=start, end_time=end)
        except OverflowError:  # the duration carries start_time past the calendar's end (nothing was kept)
            raise _invalid("start_time", "start_time plus the recording's duration passes the year 9999") from None
        session.updated_at = mine.clock.now()
        return {"uploaded_audio": uploaded}


@api.operation("POST", "/sessions/{session_id}/restful-segment-transcription",
               summary="Open a segmented recording on a session", responses={200: "heidi/recording", 404: ERROR},
               links={200: {"UploadChunk": {"operationId": "upload_audio_chunk", "parameters": {
                   "session_id": "$request.path.session_id", "recording_id": "$response.body#/recording_id"}}}})
def open_recording(call):
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        return {"recording_id": scribe.open_recording(session, _recording_id(mine), mine.clock.now())}


@api.operation("POST", "/sessions/{session_id}/restful-segment-transcription/{recording_id}:transcribe",
               summary="Send one chunk of a segmented recording", body=Body("heidi/audio-chunk", FORM),
               responses={200: "heidi/success", 400: ERROR, 404: ERROR, 413: ERROR})
def upload_audio_chunk(call):
    """Chunks come with their index, in any order; each is transcribed as it arrives (from the transcript
    registry), and the transcript joins them by index."""
    _, data = _uploaded(call, "file")
    audio = _audio(data)
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        scribe.recording(session, call.path["recording_id"])  # an unknown recording is a 404 before anything else
        with call.commons(TranscriptBook, transcripts.NAME) as book:
            scribe.add_chunk(session, call.path["recording_id"], call.body["index"], data, audio, _transcriber(book))
        session.updated_at = mine.clock.now()
        return {"is_success": True}


@api.operation("POST", "/sessions/{session_id}/restful-segment-transcription/{recording_id}:finish",
               summary="Close a segmented recording", responses={200: "heidi/success", 404: ERROR})
def finish_recording(call):
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        scribe.finish_recording(session, call.path["recording_id"], mine.clock.now())
        return {"is_success": True}


def _transcribed(call, mine: UserData, session_id: str):
    """The session, every upload transcribed (what a transcript fetch, and anything written from it, does)."""
    session = mine.session(session_id)
    if any(entry["status"] == scribe.INITIALIZED for entry in session.audio):
        with call.commons(TranscriptBook, transcripts.NAME) as book:
            scribe.transcribe_pending(session, _transcriber(book))
    return session


@api.operation("GET", "/sessions/{session_id}/transcript", summary="Get a session's transcript",
               responses={200: "heidi/transcript", 404: ERROR})
def get_transcript(call):
    """Transcribes what was uploaded since the last fetch, then answers every recording's words."""
    with data_of(call) as mine:
        return {"transcript": scribe.transcript(_transcribed(call, mine, call.path["session_id"]))}


def _live(call):
    with data_of(call) as mine:
        return scribe.live_transcript(mine.session(call.path["session_id"]), call.query.get("recording_status"))


@api.operation("GET", "/sessions/{session_id}/transcript/live", summary="Get a session's transcript, chunk by chunk",
               query="heidi/live-transcript-query", responses={200: "heidi/live-transcript", 404: ERROR},
               reads_only=True)
def get_live_transcript(call):
    """Every source's chunks so far: an upload's are PENDING until a transcript fetch, a recording's READY as
    they arrive. Nothing is transcribed by this call."""
    return _live(call)


@api.operation("GET", "/open-api/sessions/{session_id}/transcript/live",
               summary="Get the live transcript at the path the vendor's page prints",
               query="heidi/live-transcript-query", responses={200: "heidi/live-transcript", 404: ERROR},
               reads_only=True)
def get_live_transcript_as_printed(call):
    """The page prints this path with `/open-api` again after the base URL; both forms answer the same."""
    return _live(call)


# -- templates, notes and documents --------------------------------------------------------------


@api.operation("GET", "/templates/consult-note-templates", summary="List the consult-note templates",
               responses={200: "heidi/templates"}, reads_only=True)
def list_consult_note_templates(call):
    return {"templates": [t.to_json() for t in templates.consult_note_templates()]}


@api.operation("GET", "/templates/document-templates", summary="List the document templates",
               responses={200: "heidi/document-templates"}, reads_only=True)
def list_document_templates(call):
    return {"data": [t.to_json() for t in templates.document_templates()]}


def _template(template_id: str | None, category: str) -> templates.HeidiTemplate:
    found = templates.template(template_id) if template_id else None
    if found is None or found.category != category:
        raise NotFound(f"Template {template_id} not found", code="TemplateNotFoundError")
    return found


def _consultation(call, mine: UserData, session, addition: str = "") -> notes.Consultation:
    """What is written from: the transcript, the clinician's notes, the patient, and as context the linked
    sessions' notes, the profile's additional context and the context documents' descriptions."""
    context = []
    for linked_id in session.linked_sessions_for_context:
        linked = mine.sessions.get(linked_id)
        if linked is not None and linked.consult_note and linked.consult_note.get("result"):
            context.append(linked.consult_note["result"])
    profile = mine.profiles.get(session.patient_profile_id) if session.patient_profile_id else None
    if profile is not None and profile.fields.get("additional_context"):
        context.append(profile.fields["additional_context"])
    context += [d["additional_context"] for d in session.context_documents if d.get("additional_context")]
    return scribe.consultation(session, scribe.transcript(session), context, addition)


def _note_template(body: dict) -> tuple[notes.NoteTemplate, str | None, str]:
    """(template, its id, its name) of a consult-note request, which names one of the two (its schema says so)."""
    if "third_party_template" in body:
        try:
            custom = templates.from_third_party(body["third_party_template"])
        except ValueError as why:
            raise _invalid("third_party_template", str(why)) from None
        return custom, None, custom.name
    shipped = _template(body["template_id"], templates.CONSULT_NOTE)
    return shipped.note, shipped.id, shipped.name


def _invalid(field: str, message: str) -> RequestValidationError:
    return RequestValidationError([FieldError(("body", field), message, "value_error")])


@api.operation("POST", "/sessions/{session_id}/consult-note", summary="Generate the session's consult note (streamed)",
               body="heidi/consult-note-request", responses={200: _STREAMED, 404: ERROR},
               links={200: {"GetSessionNote": {"operationId": "get_session", "parameters": _SESSION_ID}}})
def generate_consult_note(call):
    """Written from the session's transcript, notes, patient and context along the template; streamed a few
    words at a time. The session's consult_note holds it once the last piece is sent."""
    body = call.body
    template, template_id, heading = _note_template(body)
    voice_style, content_type = body["voice_style"], body.get("content_type", "MARKDOWN")
    session_id = call.path["session_id"]
    with data_of(call) as mine:
        session = _transcribed(call, mine, session_id)
        text = notes.write_note(_consultation(call, mine, session, body["addition"]), template,
                                voice_style=voice_style, content_type=content_type)
    note = {"status": "COMPLETED", "result": text, "heading": heading, "brain": body["brain"],
            "voice_style": voice_style, "generation_method": body["generation_method"], "template_id": template_id,
            "ai_command_id": None, "ai_command_text": None, "feedback": None, "dictation_cleanup_mode": None,
            "id": scribe.note_id(session_id, text), "content_type": content_type}

    def save() -> None:
        with data_of(call) as mine:
            finished = mine.sessions.get(session_id)
            if finished is not None:
                finished.consult_note = note
                finished.updated_at = mine.clock.now()

    return Stream([{"data": piece} for piece in notes.pieces(text)], finish=save)


@api.operation("POST", "/sessions/{session_id}/client-customised-template/response",
               summary="Fill a JSON template of your own from the session's note",
               body="heidi/custom-template", responses={200: "heidi/custom-template", 400: ERROR, 404: ERROR})
def fill_custom_template(call):
    """Needs a consult note first (documented). Every string or null value is filled with what the note's
    writer has for its key (a key naming medications gets the medications); other values stay as sent."""
    with data_of(call) as mine:
        session = _transcribed(call, mine, call.path["session_id"])
        if not (session.consult_note and session.consult_note.get("result")):
            raise BadRequest("error: generate a consult note with a template for this session first",
                             code="ConsultNoteNotFoundError")
        consultation = _consultation(call, mine, session)
    return _filled(call.body, consultation)


def _filled(value, consultation: notes.Consultation, key: str = ""):
    if isinstance(value, dict):
        return {k: _filled(v, consultation, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, consultation, key) for v in value]
    if isinstance(value, str) or value is None:
        section = notes.Section(key or "History", templates.fills_for(key or "history"))
        filled = notes.write_note(consultation, notes.NoteTemplate(key, (section,)), voice_style="BRIEF")
        return filled.split("\n", 1)[1].strip() if "\n" in filled else filled
    return value


@api.operation("POST", "/sessions/{session_id}/documents", summary="Create a document from a template",
               body="heidi/document-create", responses={200: "heidi/document", 404: ERROR},
               links={200: {"ListDocuments": {"operationId": "list_documents", "parameters": _SESSION_ID}}})
def create_document(call):
    """Generated in the same call from the document template, from what the session holds."""
    body = call.body
    shipped = _template(body["template_id"], templates.DOCUMENT)
    voice_style, content_type = body.get("voice_style", "GOLDILOCKS"), body.get("content_type", "MARKDOWN")
    with data_of(call) as mine:
        session = _transcribed(call, mine, call.path["session_id"])
        content = notes.write_note(_consultation(call, mine, session), shipped.note, voice_style=voice_style,
                                   content_type=content_type)
        document = {"id": _new_id(mine), "session_id": session.session_id, "index": len(session.documents),
                    "name": shipped.name, "template_id": shipped.id, "content": content, "generation_type": "TEMPLATE",
                    "brain": body["brain"], "voice_style": voice_style, "content_type": content_type,
                    "document_tab_type": body.get("document_tab_type", "DOCUMENT")}
        session.documents.append(document)
        session.updated_at = mine.clock.now()
    return {name: document[name] for name in ("id", "session_id", "name", "template_id", "brain", "voice_style",
                                               "content_type", "content")}


@api.operation("GET", "/sessions/{session_id}/documents", summary="List a session's documents",
               responses={200: "heidi/document-list", 404: ERROR}, reads_only=True)
def list_documents(call):
    with data_of(call) as mine:
        return {"documents": [document_item(d) for d in mine.session(call.path["session_id"]).documents]}


# -- context documents ---------------------------------------------------------------------------


def _context_type(data: bytes) -> str:
    if data.startswith(_OLE2):
        return DOC
    found = sniff_document(data)
    if found not in CONTEXT_TYPES:
        raise PlainDetail("only pdf, jpg, png, docx and doc files are allowed")
    return found


def _meta(text: str, schemas) -> dict:
    try:
        meta = loads(text)
    except ValueError as exc:
        raise _invalid("meta_data", f"meta_data is not JSON: {exc}") from None
    errors = schemas.errors("heidi/context-document-meta", meta, ("body", "meta_data"))
    if errors:
        raise RequestValidationError(errors)
    return meta


def _context_view(document: dict) -> dict:
    return {k: document[k] for k in ("id", "name", "date", "additional_context", "media_type", "size")}


@api.operation("POST", "/sessions/{session_id}/context-documents", summary="Add a document to a session's context",
               body=Body("heidi/context-document-upload", FORM),
               responses={200: "heidi/context-documents", 400: ERROR, 404: ERROR, 413: ERROR})
def upload_context_document(call):
    """PDF, JPEG, PNG, DOCX or DOC by content; its additional_context is context for what is written next."""
    _, data = _uploaded(call, "context_documents")
    if not data:
        raise PlainDetail("the file is empty")
    media_type = _context_type(data)
    meta = _meta(call.body["meta_data"], call.runtime.schemas)
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        session.context_documents.append({
            "id": _new_id(mine), "name": meta["name"], "date": meta.get("date"),
            "additional_context": meta.get("additional_context"), "media_type": media_type, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest()})
        session.updated_at = mine.clock.now()
        return {"context_documents": [_context_view(d) for d in session.context_documents]}


@api.operation("GET", "/sessions/{session_id}/context-documents", summary="List a session's context documents",
               responses={200: "heidi/context-documents", 404: ERROR}, reads_only=True)
def list_context_documents(call):
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        return {"context_documents": [_context_view(d) for d in session.context_documents]}


@api.operation("DELETE", "/sessions/{session_id}/context-documents", summary="Delete context documents",
               query="heidi/context-documents-delete-query",
               responses={204: Reply(None, description="Deleted (unknown ids are skipped)"), 404: ERROR})
def delete_context_documents(call):
    doomed = set(call.query["ids"])
    with data_of(call) as mine:
        session = mine.session(call.path["session_id"])
        session.context_documents = [d for d in session.context_documents if d["id"] not in doomed]
        session.updated_at = mine.clock.now()
    return Response(status=204)


# -- clinical codes and Ask Heidi ----------------------------------------------------------------


@api.operation("GET", "/sessions/{session_id}/clinical-codes", summary="Clinical codes for the session's note",
               responses={200: "heidi/clinical-codes", 404: ERROR})
def get_clinical_codes(call):
    """Codes for what the consult note affirms, each with where the note, the transcript and the context say it;
    before a note exists, none. The same note gives the same answer."""
    session_id = call.path["session_id"]
    with data_of(call) as mine:
        session = _transcribed(call, mine, session_id)
        note = session.consult_note if session.consult_note and session.consult_note.get("result") else None
        consultation = _consultation(call, mine, session)
    text = note["result"] if note else ""
    entities = codes.clinical_entities(text, consultation.transcript, consultation.context) if note else []
    return {"id": hashlib.sha256(f"codes\n{session_id}\n{text}".encode()).hexdigest()[:24], "session_id": session_id,
            "consult_note_id": note["id"] if note else None, "clinical_entities": entities}


@api.operation("POST", "/sessions/{session_id}/ask-ai", summary="Ask Heidi about a text or the session (streamed)",
               body="heidi/ask-ai", responses={200: _STREAMED, 404: ERROR})
def ask_heidi(call):
    """A deterministic answer built from `content`, or from the session when content is blank."""
    body = call.body
    with data_of(call) as mine:
        session = _transcribed(call, mine, call.path["session_id"])
        consultation = _consultation(call, mine, session)
    text = answer(body["ai_command_text"], body.get("content", ""), consultation,
                  content_type=body.get("content_type", "MARKDOWN"))
    return Stream([{"data": piece} for piece in notes.pieces(text)])
