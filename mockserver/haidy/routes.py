"""Haidy's patient contexts over HTTP: create, find, upload files, the PIS deep-link page and its QR code."""

from __future__ import annotations

import json

from flask import Response

from mockserver.core.declaration import HTML, MULTIPART, Body, Reply
from mockserver.core.error_styles import HtmlErrors
from mockserver.core.errors import FieldError, NotFound, RequestValidationError
from mockserver.haidy import qr_code
from mockserver.haidy.api import ERROR, api
from mockserver.haidy.integration import PAGE
from mockserver.haidy.models import HaidyBackend

CONTEXT = "haidy/patient-context"
_CREATE_FIELDS = ("external_id", "patient_group", "name", "birth_date", "gender")
_BY_ID = {"patient_context_id": "$response.body#/id"}
PNG = "image/png"


@api.operation(
    "POST", "/v2/patient-contexts/", summary="Create a patient context",
    body="haidy/patient-context-create", responses={200: CONTEXT, 400: ERROR},
    links={200: {
        "GetPatientContext": {"operationId": "get_patient_context", "parameters": _BY_ID},
        "UploadPatientFiles": {"operationId": "upload_patient_files", "parameters": _BY_ID},
    }},
)
def create_patient_context(call):
    """A duplicate external_id in the same patient group answers 400; the patient group must exist."""
    with call.backend(HaidyBackend) as haidy:
        ctx = haidy.create_patient_context(**{k: call.body.get(k) for k in _CREATE_FIELDS})
        return ctx.to_json()


@api.operation(
    "GET",
    "/v2/patient-contexts/",
    summary="List patient contexts, filtered by external_id and patient_group",
    query="haidy/patient-context-query",
    responses={200: "haidy/patient-context-list"},
    reads_only=True,
)
def list_patient_contexts(call):
    """Not in the docs, which say to "retrieve the existing patient context" after a duplicate."""
    with call.backend(HaidyBackend) as haidy:
        return [c.to_json() for c in haidy.find_patient_contexts(**call.query)]


@api.operation("GET", "/v2/patient-contexts/{patient_context_id}", summary="Retrieve a patient context",
               responses={200: CONTEXT, 404: ERROR}, reads_only=True)
def get_patient_context(call):
    with call.backend(HaidyBackend) as haidy:
        return haidy.patient_context(call.path["patient_context_id"]).to_json()


@api.operation(
    "POST", "/v2/patient-files/upload/{patient_context_id}", summary="Upload files to a patient context",
    body=Body("haidy/patient-files-upload", MULTIPART), responses={200: "haidy/patient-files-uploaded", 404: ERROR},
)
def upload_patient_files(call):
    """Files are sniffed by content; empty, oversized or unsupported ones are listed in failed_files."""
    uploads = [(part.filename or "file", part.read()) for part in call.files["files"]]
    with call.backend(HaidyBackend) as haidy:
        result = haidy.upload_files(call.path["patient_context_id"], uploads, call.runtime.config.max_file_bytes)
        return result.to_json()


@api.operation(
    "GET", "/integration", summary="The PIS deep link into the Haidy web app for one patient",
    query="haidy/integration-query", authenticated=False, errors=HtmlErrors(), servers=("https://haidy.ch",),
    responses={200: Reply(None, HTML, "The patient's page"), 404: Reply(None, HTML, "Unknown integration or patient"),
               422: Reply(None, HTML, "A required parameter is missing or the metadata is not JSON")},
)
def integration_page(call):
    """Served on haidy.ch in reality; here beside the API so the URL a PIS builds can be opened."""
    query = call.query
    metadata = _metadata(call.runtime.schemas, query.get("metadata"), "metadata")
    integration, unique_id = query["integration"], query["unique_id"]

    def lookup(_tenant, haidy):
        ctx = haidy.context_for_integration(integration, unique_id)
        return integration in haidy.integrations, ctx, ctx and [haidy.files[i] for i in ctx.file_ids]

    found = call.runtime.store.scan(api.name, lookup)
    if not any(owned for owned, _, _ in found):
        raise NotFound(f"Unknown integration '{integration}'")
    matches = [(ctx, files) for _, ctx, files in found if ctx is not None]
    if not matches:
        raise NotFound(f"No patient context with external_id '{unique_id}' for this integration")
    best = max(matches, key=lambda match: match[0].updated_at)
    page = PAGE.render(ctx=best[0], files=best[1], email=query["email"], metadata=metadata)
    return Response(page, 200, mimetype=HTML)


@api.operation(
    "GET", "/v2/external-integrations/{integration_id}/qr-code", summary="A QR code (PNG) for the Haidy app",
    query="haidy/qr-code-query", reads_only=True,
    responses={200: Reply(None, PNG, "The QR code as a PNG image: the deep link the Haidy app opens for this patient"),
               404: ERROR},
)
def get_qr_code(call):
    """The integration must be one of the caller's tenant (every tenant has the docs' one); the PNG is the same
    bytes for the same query (`qr_code.png`)."""
    query = call.query
    metadata = _metadata(call.runtime.schemas, query.get("patient_metadata"), "patient_metadata")
    integration_id = call.path["integration_id"]
    with call.backend(HaidyBackend) as haidy:
        haidy.integration(integration_id)
    text = qr_code.payload(integration_id, query["unique_id"], query.get("consultation_id"), metadata)
    return Response(qr_code.png(text), 200, mimetype=PNG)


def _metadata(schemas, raw: str | None, name: str) -> dict:
    """The deep link's `metadata` (and the QR code's `patient_metadata`, parameter `name`): URL-encoded JSON,
    checked against its one schema."""
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise RequestValidationError(
            [FieldError(("query", name), f"{name} is not a JSON object", "value_error.json")]
        )
    errors = schemas.errors("haidy/integration-metadata", value, ("query", name))
    if errors:
        raise RequestValidationError(errors)
    return value
