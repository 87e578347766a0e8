"""Haidy's state and rules for one tenant: patient groups, patient contexts and their files.

Plain Python, no HTTP: the routes translate requests into these calls and results into JSON.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from datetime import datetime

from mockserver.core.clock import Clock, iso
from mockserver.core.errors import BadRequest, NotFound
from mockserver.core.ids import Entropy, random_id
from mockserver.core.sniff import sniff_document
from mockserver.core.store import unique
from mockserver.core.tables import Tables, records
from mockserver.haidy.consultations import CONSULTATION, Consultation
from mockserver.haidy.files import PatientFile, content_hash

DEFAULT_PATIENT_GROUP = "sqmcrfbv6fx4g04"
DEFAULT_INTEGRATION = "o10i0iva3tn75kk"
"""The IDs the docs use, so their examples work as written on any new tenant."""

ACCEPTED = "PDF, PNG, JPEG, DOCX or plain text"


@dataclass
class PatientContext:
    id: str
    external_id: str
    patient_group: str
    name: str | None
    birth_date: str | None
    gender: str | None
    created_at: datetime
    updated_at: datetime
    file_ids: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        created, updated = iso(self.created_at), iso(self.updated_at)
        count = len(self.file_ids)
        return {
            "id": self.id, "external_id": self.external_id, "patient_group": self.patient_group,
            "name": self.name, "birth_date": self.birth_date, "gender": self.gender,
            "created_at": created, "updated_at": updated, "created": created, "updated": updated,
            "total_files": count, "parsed_files": count, "overtime_files": 0, "error_files": 0,
        }


@dataclass
class UploadResult:
    uploaded: list[PatientFile]
    failed: list[dict]

    def to_json(self) -> dict:
        return {
            "uploaded_files": [f.to_json() for f in self.uploaded], "failed_files": self.failed,
            "total_uploaded": len(self.uploaded), "total_failed": len(self.failed),
        }


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))


_TIME = (iso, _parse)
CONTEXT = records(PatientContext, created_at=_TIME, updated_at=_TIME)
_BASE64 = (lambda data: base64.b64encode(data).decode(), lambda text: base64.b64decode(text, validate=True))
FILE = records(PatientFile, uploaded_at=_TIME, content=_BASE64)
"""How a context and a file are stored and exported."""


def _key(patient_group: str, external_id: str) -> str:
    """A context's unique key: its patient group and external_id (a group id has no newline)."""
    return f"{patient_group}\n{external_id}"


class HaidyBackend:
    """One tenant's Haidy data, in tables (`core/tables.py`). The store serialises calls, so methods need no
    locking of their own."""

    def __init__(self, clock: Clock, tables: Tables | None = None):
        self.clock = clock
        self.tables = tables = tables or Tables()
        self.patient_groups = tables.table("patient_groups")
        """Group id -> True: the groups this tenant owns."""
        self.integrations = tables.table("integrations")
        """Integration id -> True."""
        self.contexts: dict[str, PatientContext] = tables.table("contexts", CONTEXT)
        self.files: dict[str, PatientFile] = tables.table("files", FILE)
        self.consultations: dict[str, Consultation] = tables.table("consultations", CONSULTATION)
        """Consultation id -> consultation (`consultations.py`: approved in the app, listed and reported)."""
        """Audio sha256 hex -> transcript text: what "transcription" of that audio yields."""
        self.overrides: dict[str, dict] = tables.table("overrides")
        """content_hash -> structured_output a test wants instead of what extraction would find."""
        self._by_key: dict[str, str] = tables.table("context_keys")
        """`_key(patient_group, external_id)` -> context id: the uniqueness rule, as an index."""
        self.entropy: Entropy = os.urandom
        """Where new IDs come from; a seeded data set swaps in a seeded source."""

    def configure(self, settings: dict) -> HaidyBackend:
        """Provision patient groups and integrations, always beside the ones the docs use."""
        for group in [DEFAULT_PATIENT_GROUP, *settings.get("patient_groups", [])]:
            self.patient_groups[group] = True
        for integration in [DEFAULT_INTEGRATION, *settings.get("integrations", [])]:
            self.integrations[integration] = True
        return self

    def create_patient_context(self, external_id: str, patient_group: str, name: str | None = None,
                               birth_date: str | None = None, gender: str | None = None) -> PatientContext:
        if patient_group not in self.patient_groups:
            raise BadRequest(f"Patient group '{patient_group}' does not exist or does not belong to your organization")
        key = _key(patient_group, external_id)
        existing = self._by_key.get(key)
        if existing is not None:
            raise BadRequest(
                f"A patient context with external_id '{external_id}' already exists in patient group "
                f"'{patient_group}' (id {existing})")
        now = self.clock.now()
        ctx = PatientContext(self._new_id("ctx_"), external_id, patient_group, name, birth_date, gender, now, now)
        self.contexts[ctx.id] = ctx
        self._by_key[key] = ctx.id
        return ctx

    def patient_context(self, context_id: str) -> PatientContext:
        ctx = self.contexts.get(context_id)
        if ctx is None:
            raise NotFound("Patient context not found")
        return ctx

    def find_patient_contexts(self, external_id: str | None = None, patient_group: str | None = None):
        return [c for c in self.contexts.values()
                if (external_id is None or c.external_id == external_id)
                and (patient_group is None or c.patient_group == patient_group)]

    def upload_files(self, context_id: str, uploads: list[tuple[str, bytes]], max_bytes: int) -> UploadResult:
        """Store each acceptable file; refuse empty, oversized and unsupported ones with a reason."""
        ctx = self.patient_context(context_id)
        result = UploadResult([], [])
        now = self.clock.now()
        for filename, content in uploads:
            reason, content_type = None, None
            if not content:
                reason = "File is empty"
            elif len(content) > max_bytes:
                reason = f"File exceeds the maximum size of {max_bytes} bytes"
            else:
                content_type = sniff_document(content)
                if content_type is None:
                    reason = f"Unsupported file type; accepted are {ACCEPTED}"
            if reason:
                result.failed.append({"filename": filename, "size": len(content), "error": reason})
                continue
            stored = PatientFile(self._new_id("file_"), ctx.id, filename, content_type, now, content)
            self.files[stored.id] = stored
            ctx.file_ids.append(stored.id)
            result.uploaded.append(stored)
        if result.uploaded:
            ctx.updated_at = now
        return result

    def integration(self, integration_id: str) -> str:
        """`integration_id` if this tenant owns it (every tenant owns the docs' one), else the 404."""
        if integration_id not in self.integrations:
            raise NotFound("Integration not found")
        return integration_id

    def context_for_integration(self, integration: str, unique_id: str) -> PatientContext | None:
        """The newest context whose external_id is `unique_id`, if this tenant owns `integration`."""
        if integration not in self.integrations:
            return None
        matches = self.find_patient_contexts(external_id=unique_id)
        return max(matches, key=lambda c: c.updated_at, default=None)

    def linked_context(self, unique_id: str) -> PatientContext | None:
        """The context a consultation with this `unique_id` belongs to: external_id == unique_id in the docs'
        patient group (haidy-pis-integration.txt, "Patient linking")."""
        context_id = self._by_key.get(_key(DEFAULT_PATIENT_GROUP, unique_id))
        return self.contexts.get(context_id) if context_id else None

    def _new_id(self, prefix: str) -> str:
        return random_id(12, prefix, self.entropy)

    def override_structure(self, content: bytes | str, structured_output: dict) -> str:
        """Make records with exactly this content structure to `structured_output`; returns their content_hash."""
        digest = content_hash(content)
        self.overrides[digest] = structured_output
        return digest

    def to_state(self) -> dict:
        return {
            "overrides": dict(self.overrides),
            "patient_groups": sorted(self.patient_groups),
            "integrations": sorted(self.integrations),
            "patient_contexts": [CONTEXT.encode(c) for c in self.contexts.values()],
            "files": [FILE.encode(f) for f in self.files.values()],
            "consultations": [CONSULTATION.encode(c) for c in self.consultations.values()],
        }

    @classmethod
    def from_state(cls, state: dict, clock: Clock) -> HaidyBackend:
        """`state` has the shape of mock/haidy-state; refused here (ValueError) is what a schema cannot say:
        a repeated id or external_id, a context listing a file that is not its own, or a consultation linked to a
        context that does not exist."""
        backend = cls(clock)
        backend.patient_groups.update(dict.fromkeys(state.get("patient_groups", []), True))
        backend.integrations.update(dict.fromkeys(state.get("integrations", []), True))
        backend.overrides.update(state.get("overrides", {}))
        contexts = [CONTEXT.decode(raw) for raw in state.get("patient_contexts", [])]
        backend.contexts.update(unique(contexts, lambda c: c.id, "patient context"))
        keys = unique(contexts, lambda c: (c.patient_group, c.external_id),
                      "patient context (patient_group, external_id)")
        backend._by_key.update({_key(*key): ctx.id for key, ctx in keys.items()})
        backend.files.update(unique((FILE.decode(raw) for raw in state.get("files", [])), lambda f: f.id, "file"))
        for ctx in contexts:
            for file_id in ctx.file_ids:
                stored = backend.files.get(file_id)
                if stored is None or stored.patient_context_id != ctx.id:
                    raise ValueError(f"patient context {ctx.id} lists file {file_id!r}, which is not one of its files")
        consultations = [CONSULTATION.decode(raw) for raw in state.get("consultations", [])]
        backend.consultations.update(unique(consultations, lambda c: c.id, "consultation"))
        for consultation in consultations:
            if consultation.patient_context_id is not None and consultation.patient_context_id not in backend.contexts:
                raise ValueError(f"consultation {consultation.id} belongs to patient context "
                                 f"{consultation.patient_context_id!r}, which does not exist")
        return backend.configure({})  # the docs' group and integration, which every tenant has
