"""Uploaded patient files: what one is, how its content is identified, and where to find one by id.

One place for each, because the analyst side (a task reading an uploaded file by its mock URL,
structure overrides matched by content) must agree with the patient-context side exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from mockserver.core.store import MemoryStore
from mockserver.haidy.api import api


@dataclass
class PatientFile:
    id: str
    patient_context_id: str
    filename: str
    content_type: str
    uploaded_at: datetime
    content: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.content)

    def to_json(self) -> dict:
        return {"id": self.id, "filename": self.filename, "size": self.size, "content_type": self.content_type}


def content_hash(content: bytes | str) -> str:
    """How Haidy identifies a record's content (text as UTF-8): `sha256:` and the hex digest."""
    raw = content.encode() if isinstance(content, str) else content
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def find_file(store: MemoryStore, file_id: str) -> PatientFile | None:
    """The uploaded file with this id, whichever tenant holds it (file ids are random and unguessable:
    the mock's download URL is unauthenticated, as a pre-signed link would be)."""
    found = [f for f in store.scan(api.name, lambda _tenant, haidy: haidy.files.get(file_id)) if f]
    return found[0] if found else None
