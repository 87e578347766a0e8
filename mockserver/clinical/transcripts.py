"""The transcript registry: what a recording says, one per tenant, read by every family.

The mock never listens to audio. A test (or the data set) registers what a recording transcribes to, keyed by the
SHA-256 of its bytes, and then that exact recording transcribes the same in Haidy's structure API and in Heidi's
transcript. It is stored like a family's backend (per tenant, in tables, in the state export under `transcripts`),
so it is shared by every worker on the shared store. Registered through the admin API (`admin`), the plugin
(`mock.register_transcript`) and the console.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from mockserver.core.auth import ADMIN_AUTH
from mockserver.core.declaration import Api
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import decoded_base64
from mockserver.core.family import Commons
from mockserver.core.tables import Tables

NAME = "transcripts"
"""The registry's name in the store and in the state export, beside the families'."""
ERROR = "common/fastapi-error"


def audio_digest(audio: bytes) -> str:
    """The key of a registered transcript: the audio's SHA-256 as hex."""
    return hashlib.sha256(audio).hexdigest()


class TranscriptBook:
    """One tenant's registered transcripts, by the audio's SHA-256 (hex)."""

    def __init__(self, tables: Tables | None = None):
        self.tables = tables = tables or Tables()
        self.texts: dict[str, str] = tables.table("texts")

    def configure(self, settings: dict) -> TranscriptBook:
        """A tenant provisions nothing here; the store calls this on every new backend."""
        return self

    def register(self, audio: bytes, text: str) -> str:
        """Make this audio transcribe to `text`; returns its sha256 hex."""
        digest = audio_digest(audio)
        self.texts[digest] = text
        return digest

    def text_of(self, digest: str) -> str | None:
        return self.texts.get(digest)

    def to_state(self) -> dict:
        return {"texts": dict(self.texts)}

    @classmethod
    def from_state(cls, state: Mapping) -> TranscriptBook:
        book = cls()
        book.texts.update(state.get("texts", {}))
        return book


def placeholder(digest: str, duration: float | None) -> str:
    """What a recording nobody registered transcribes to: the same for the same bytes, and it says so."""
    length = "" if duration is None else f", {duration:g} s"
    return (f"[mockserver: no transcript is registered for this recording (audio sha256:{digest}{length}). "
            "Register what it says with POST /_mock/tenants/{tenant}/transcripts.]")


admin = Api(
    "transcripts-admin",
    title="Transcripts: what a recording says, for every family",
    errors=FastApiErrors(),
    auth=ADMIN_AUTH,
    prefixes=("/_mock/",),
    validation_schema="common/fastapi-validation-error",
    error_schema=ERROR,
)


@admin.operation("POST", "/_mock/tenants/{tenant}/transcripts", summary="Register what a recording transcribes to",
                 body="mock/transcript", responses={200: "mock/transcript-registered", 400: ERROR})
def register_transcript(call):
    """That exact audio (by content hash) then transcribes to this text in Haidy's structure API and Heidi's
    transcript, for this tenant."""
    audio = decoded_base64(call.body["audio_base64"], "audio_base64")
    with call.runtime.store.session(NAME, call.path["tenant"]) as book:
        return {"sha256": book.register(audio, call.body["text"])}


@admin.operation("GET", "/_mock/tenants/{tenant}/transcripts", summary="The transcripts registered for a tenant",
                 responses={200: "mock/transcript-list"}, reads_only=True)
def list_transcripts(call):
    with call.runtime.store.session(NAME, call.path["tenant"], writes=False) as book:
        return {"transcripts": [{"sha256": digest, "text": text} for digest, text in book.texts.items()]}


COMMONS = Commons(
    name=NAME,
    new_backend=lambda clock: TranscriptBook(),
    restore_backend=lambda clock, state: TranscriptBook.from_state(state),
    open_backend=lambda clock, tables: TranscriptBook(tables),
    admin=admin,
)
