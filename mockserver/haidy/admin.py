"""Haidy's mock-only operations under /_mock/: test set-up the vendor does not offer.

Downloading an uploaded file by its id (the URL the integration page links and structure tasks
may fetch), and fixing what an input structures to. What a recording transcribes to is registered for every
family at once (`clinical/transcripts.py`).
They are Haidy's, so they live here; the app puts them in the admin API's document.
"""

from __future__ import annotations

import io
from contextlib import AbstractContextManager

from flask import send_file

from mockserver.core.auth import ADMIN_AUTH
from mockserver.core.declaration import Api, Reply
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import BadRequest, NotFound, decoded_base64
from mockserver.haidy import consultations
from mockserver.haidy.api import api as haidy_api
from mockserver.haidy.files import find_file
from mockserver.haidy.models import HaidyBackend

ERROR = "common/fastapi-error"

api = Api(
    "haidy-admin",
    title="Haidy test set-up: files, structure overrides, consultation approvals",
    errors=FastApiErrors(),
    auth=ADMIN_AUTH,
    prefixes=("/_mock/",),
    validation_schema="common/fastapi-validation-error",
    error_schema=ERROR,
)


@api.operation(
    "GET", "/_mock/haidy/files/{file_id}", summary="Download an uploaded patient file (mock-only URL)",
    responses={200: Reply(None, "application/octet-stream", "The file's bytes, with its sniffed type"), 404: ERROR},
    authenticated=False,
)
def download_patient_file(call):
    """Unauthenticated, also in strict auth, so the integration page's links and the structure API can fetch
    uploads by URL: a file's random id is what gives access to it."""
    stored = find_file(call.runtime.store, call.path["file_id"])
    if stored is None:
        raise NotFound("File not found")
    return send_file(io.BytesIO(stored.content), mimetype=stored.content_type, download_name=stored.filename)


@api.operation("POST", "/_mock/tenants/{tenant}/haidy/structure-overrides",
               summary="Make a given input structure to a given result", body="mock/structure-override",
               responses={200: "mock/structure-override-registered", 400: ERROR})
def override_structure(call):
    """Keyed by the input's content (plain text, or the bytes of a document or audio as base64)."""
    body = call.body
    if ("text" in body) == ("content_base64" in body):
        raise BadRequest("give exactly one of text or content_base64")
    content = body["text"] if "text" in body else decoded_base64(body["content_base64"], "content_base64")
    with _tenant_backend(call) as haidy:
        return {"content_hash": haidy.override_structure(content, body["structured_output"])}


@api.operation("POST", "/_mock/tenants/{tenant}/haidy/consultations",
               summary="Approve a consultation, as a doctor does in the Haidy app", body="haidy/consultation-approval",
               responses={200: "haidy/consultation", 404: ERROR})
def approve_consultation(call):
    """The simulated approval: the consultation is then listed by GET /v2/consultations for the tenant's token, and
    its report written from `transcript`. 404 for an integration the tenant does not own."""
    body = call.body
    approved_at = body.get("approved_at")
    approved_at = approved_at and consultations.parse_moment(approved_at, ("body", "approved_at"))
    with _tenant_backend(call) as haidy:
        return consultations.approve(haidy, body["unique_id"], body["transcript"], integration=body.get("integration"),
                                     approved_at=approved_at, title=body.get("title")).to_json()


def _tenant_backend(call) -> AbstractContextManager[HaidyBackend]:
    """The Haidy state of the tenant named in the path (the admin API has no caller tenant)."""
    return call.runtime.store.session(haidy_api.name, call.path["tenant"])
