"""Heidi's scribe flow on one session: audio in, transcript out, then what is written from it (consult note,
documents, clinical codes, Ask Heidi's context).

Plain Python, no HTTP. A session's `audio` lists its recordings in the order they entered it: an uploaded file
(`USER_UPLOADED`, one chunk, transcribed on the next transcript fetch, as documented) or a segmented recording
(`LIVE`, chunks posted with their index in any order, each transcribed as it arrives). The words come from the
tenant's transcript registry (`clinical/transcripts.py`) through a `Transcriber`; the bytes are not kept, only
what was measured of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from mockserver.clinical.audio import Audio
from mockserver.clinical.notes import Consultation
from mockserver.core.errors import BadRequest, NotFound

UPLOADED, LIVE = "USER_UPLOADED", "LIVE"
"""An audio entry's source, as the live transcript names them."""
INITIALIZED, TRANSCRIBED = "INITIALIZED", "TRANSCRIBED"
"""An uploaded file's status: stored and waiting for the next transcript fetch (documented), then transcribed."""
RECORDING, FINISHED = "RECORDING", "FINISHED"
"""A segmented recording's status: open for chunks, then closed by `:finish`."""
READY, PENDING = "READY", "PENDING"
"""A live-transcript chunk's status."""

Transcriber = Callable[[str, float | None], str]
"""(audio sha256, duration) -> what the recording says: the registered text, or a placeholder that says none is."""


def stamp(moment: datetime) -> str:
    """`2024-12-11T03:57:57.921000`: Heidi's timestamps (UTC, microseconds, no offset)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def recording_not_found(recording_id: str) -> NotFound:
    return NotFound(f"Recording {recording_id} not found", code="RecordingNotFoundError")


def _chunk(index: int, audio: Audio, digest: str, text: str | None) -> dict:
    return {"index": index, "sha256": digest, "format": audio.format, "media_type": audio.media_type,
            "duration": audio.duration, "text": text}


def upload_audio(session, data: bytes, audio: Audio, *, entry_id: str, now: datetime,
                 start_time: datetime | None, end_time: datetime | None) -> dict:
    """Attach a finished recording; nothing is transcribed yet. `end_time` defaults to the start plus the measured
    duration; the session's duration grows by it."""
    start = start_time or now
    end = end_time or start + timedelta(seconds=audio.duration or 0)
    entry = {"id": entry_id, "source": UPLOADED, "status": INITIALIZED, "created_at": stamp(now),
             "start_time": stamp(start), "end_time": stamp(end),
             "chunks": [_chunk(0, audio, hashlib.sha256(data).hexdigest(), None)]}
    session.audio.append(entry)
    session.duration = round(session.duration + (audio.duration or 0), 3)
    return public_audio(entry, len(session.audio) - 1)


def open_recording(session, recording_id: str, now: datetime) -> str:
    session.audio.append({"id": recording_id, "source": LIVE, "status": RECORDING, "created_at": stamp(now),
                          "start_time": stamp(now), "end_time": None, "chunks": []})
    return recording_id


def recording(session, recording_id: str) -> dict:
    for entry in session.audio:
        if entry["source"] == LIVE and entry["id"] == recording_id:
            return entry
    raise recording_not_found(recording_id)


def add_chunk(session, recording_id: str, index: int, data: bytes, audio: Audio, transcribe: Transcriber) -> None:
    """One segment, transcribed as it arrives; a second chunk with an index replaces the first."""
    entry = recording(session, recording_id)
    if entry["status"] != RECORDING:
        raise BadRequest(f"Recording {recording_id} is finished; it takes no more chunks",
                         code="RecordingFinishedError")
    digest = hashlib.sha256(data).hexdigest()
    chunks = [c for c in entry["chunks"] if c["index"] != index]
    replaced = sum(c["duration"] or 0 for c in entry["chunks"] if c["index"] == index)
    chunks.append(_chunk(index, audio, digest, transcribe(digest, audio.duration)))
    entry["chunks"] = sorted(chunks, key=lambda c: c["index"])
    session.duration = round(max(0.0, session.duration - replaced) + (audio.duration or 0), 3)


def finish_recording(session, recording_id: str, now: datetime) -> None:
    """Closing twice is no error: the second finish finds it closed."""
    entry = recording(session, recording_id)
    if entry["status"] == RECORDING:
        entry["status"] = FINISHED
        entry["end_time"] = stamp(now)


def transcribe_pending(session, transcribe: Transcriber) -> None:
    """What the transcript fetch does first: every uploaded file not yet transcribed is."""
    for entry in session.audio:
        if entry["status"] == INITIALIZED:
            for chunk in entry["chunks"]:
                chunk["text"] = transcribe(chunk["sha256"], chunk["duration"])
            entry["status"] = TRANSCRIBED


def transcript(session) -> str:
    """Every recording's words in the order the recordings entered the session, each one's chunks in index
    order; recordings apart by a blank line."""
    parts = []
    for entry in session.audio:
        words = " ".join(c["text"].strip() for c in entry["chunks"] if c["text"] and c["text"].strip())
        if words:
            parts.append(words)
    return "\n\n".join(parts)


def live_transcript(session, recording_status: str | None) -> dict:
    """Every source's chunks as transcribed so far; `recording_status` keeps the recordings in that status."""
    chunks = []
    wanted = None if recording_status is None else recording_status.upper()
    for entry in session.audio:
        if wanted is not None and entry["status"] != wanted:
            continue
        for c in entry["chunks"]:
            chunks.append({"id": f"{entry['id']}-{c['index']}", "status": READY if c["text"] is not None else PENDING,
                           "duration": c["duration"], "text": c["text"] or "", "source": entry["source"]})
    active = next((e["source"] for e in reversed(session.audio) if e["status"] == RECORDING), None)
    if active is None and session.audio:
        active = session.audio[-1]["source"]
    return {"session_id": session.session_id, "transcript": transcript(session), "active_source": active,
            "chunks": chunks}


def public_audio(entry: dict, index: int) -> dict:
    """An audio entry as the API shows it: the documented `uploaded_audio` fields, then what the mock measured.
    `access_url` stays null: the mock keeps no audio to hand back (`expiry` 0)."""
    return {"id": entry["id"], "index": index, "status": entry["status"], "created_at": entry["created_at"],
            "access_url": None, "expiry": 0, "source": entry["source"], "start_time": entry["start_time"],
            "end_time": entry["end_time"], "duration": round(sum(c["duration"] or 0 for c in entry["chunks"]), 3)}


def consultation(session, transcript_text: str, context: list[str], addition: str = "") -> Consultation:
    """What a note is written from: the transcript, the clinician's notes, the patient, the context."""
    patient = {k: v for k, v in session.patient.items() if v not in (None, "")}
    return Consultation(transcript=transcript_text, clinician_notes=tuple(session.clinician_notes),
                        patient=patient, context=tuple(context), addition=addition)


def note_id(session_id: str, text: str) -> str:
    """A note's id: the same note of the same session has the same one (24 hex, as Heidi's ObjectIds)."""
    return hashlib.sha256(f"{session_id}\n{text}".encode()).hexdigest()[:24]
