"""Haidy-Analyst over HTTP: structure endpoints that start tasks, the task poll, and the
deprecated FHIR upload endpoints. The processing itself is in `structure`, `extraction`, `fhir`."""

from __future__ import annotations

import json

from mockserver.clinical import extraction, transcripts
from mockserver.clinical.transcripts import TranscriptBook
from mockserver.core.clock import iso
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import FieldError, RequestValidationError
from mockserver.haidy.analyst import fhir
from mockserver.haidy.analyst.inputs import (
    Acquirer,
    Input,
    InvalidBase64,
    UnsupportedType,
    decode,
    parse_inputs,
    steps_for,
)
from mockserver.haidy.api import ERROR, api
from mockserver.haidy.files import find_file
from mockserver.haidy.models import HaidyBackend

TASK = "haidy/task"
VALIDATION = "common/fastapi-validation-error"
_TO_TASKS = {"PollTask": {"operationId": "poll_task", "requestBody": {"task_id": "$response.body#/task_id"}}}
_LEGACY = {"Deprecation": "true", "Link": '</v2/structure/fhir>; rel="successor-version"'}
_LEGACY_ERRORS = FastApiErrors(validation_status=400)


@api.operation("POST", "/v2/structure", summary="Structure clinical records into a HolisticPatient (starts a task)",
               body="haidy/structure-request", responses={200: TASK}, links={200: _TO_TASKS})
def structure(call):
    """Poll /v2/tasks with the task_id; the result is a HolisticPatient."""
    body = call.body
    return _submit(call, parse_inputs(body["new_records"]), body.get("holistic_patient"), body.get("config") or {})


@api.operation(
    "POST",
    "/v2/structure/fhir",
    summary="Structure clinical records into a FHIR R4B Bundle (starts a task)",
    body="haidy/structure-request",
    query="haidy/fhir-query",
    responses={200: TASK},
    links={200: _TO_TASKS},
)
def structure_fhir(call):
    """Same input as /v2/structure; the result is a FHIR R4B Bundle of type collection."""
    body = call.body
    options = {name: call.query[name] for name in ("include_patient", "include_document_references", "include_data")}
    return _submit(call, parse_inputs(body["new_records"]), body.get("holistic_patient"), body.get("config") or {},
                   fhir_options=options)


@api.operation("POST", "/v2/structure/text", summary="Structure plain text strings at once",
               body="haidy/structure-text-request", responses={200: TASK}, links={200: _TO_TASKS})
def structure_text(call):
    """Answers with the task already DONE and its HolisticPatient in `result` (the docs show no polling)."""
    inputs = [Input(None, "plain_text", text=text) for text in call.body["inputs"]]
    result = _work(call, inputs, None, call.body.get("config") or {}, None, None)()
    return call.runtime.tasks.finished_view(call.tenant, [], result)


@api.operation("POST", "/v2/tasks", summary="Poll a task", body="haidy/task-request", responses={200: TASK, 404: ERROR})
def poll_task(call):
    """After the poll that reports DONE or FAILED the task is gone (404), unless --task-retention keep."""
    return call.runtime.tasks.poll(call.tenant, call.body["task_id"])


@api.operation("POST", "/v2/structure/documents/fhir/base64", summary="Deprecated: base64 documents to FHIR",
               body="haidy/legacy-base64-request", deprecated=True, errors=_LEGACY_ERRORS,
               responses={200: TASK, 400: VALIDATION}, links={200: _TO_TASKS})
def legacy_base64_to_fhir(call):
    """Use /v2/structure/fhir. Invalid input answers 400 here, an unsupported file type 422."""
    inputs, errors = [], []
    for index, item in enumerate(call.body["files"]):
        try:
            data, media_type = decode(item["file_base64"], "document")
        except InvalidBase64 as exc:
            errors.append(FieldError(("body", "files", index, "file_base64"), str(exc), "value_error.base64"))
            continue
        except UnsupportedType as exc:
            raise _unprocessable(("body", "files", index, "file_base64"), str(exc)) from None
        inputs.append(Input(None, "document", data=data, media_type=media_type, title=item["file_name"]))
    if errors:
        raise RequestValidationError(errors)
    return _submit(call, inputs, None, {}, fhir_options={}), 200, _LEGACY


@api.operation("POST", "/v2/structure/documents/fhir/url", summary="Deprecated: documents by URL to FHIR",
               body="haidy/legacy-url-request", deprecated=True, errors=_LEGACY_ERRORS,
               responses={200: TASK, 400: VALIDATION}, links={200: _TO_TASKS})
def legacy_url_to_fhir(call):
    """Use /v2/structure/fhir. `current_fhir_bundle` (a Bundle as a JSON string) is extended."""
    current = call.body.get("current_fhir_bundle")
    existing = None
    if current:
        try:
            existing = json.loads(current)
        except ValueError:
            existing = None
        if not isinstance(existing, dict) or existing.get("resourceType") != "Bundle":
            raise RequestValidationError([FieldError(("body", "current_fhir_bundle"),
                                                     "not a FHIR Bundle as a JSON string", "value_error.json")])
    inputs = [Input(None, "document", url=url) for url in call.body["file_urls"]]
    return _submit(call, inputs, None, {}, fhir_options={}, extend=existing), 200, _LEGACY


def _submit(call, inputs, existing, config, fhir_options=None, extend=None) -> dict:
    work = _work(call, inputs, existing, config, fhir_options, extend)
    return call.runtime.tasks.submit(call.tenant, steps_for(inputs), work, injected=call.task_failure).view()


def _work(call, inputs, existing, config, fhir_options, extend):
    """The task's work, closed over everything it needs so it can run on another thread."""
    runtime = call.runtime
    with call.backend(HaidyBackend) as haidy:
        overrides = dict(haidy.overrides)
        with call.commons(TranscriptBook, transcripts.NAME) as book:
            registered = dict(book.texts)
    acquirer = Acquirer(
        allowed_hosts=set(runtime.config.allowed_url_hosts),
        transcripts=registered,
        own_file=lambda file_id: find_file(runtime.store, file_id),
        max_bytes=runtime.config.max_file_bytes,
    )

    def work():
        records = [acquirer.record(item) for item in inputs]
        for rec in records:
            if rec["content_hash"] in overrides:
                rec["structured_output"] = overrides[rec["content_hash"]]
        holistic = extraction.holistic_patient(records, existing=existing, config=config, now=iso(runtime.clock.now()))
        if fhir_options is None:
            return holistic
        bundle = fhir.bundle(holistic, [r["document"] for r in records], **fhir_options)
        return _extend(extend, bundle) if extend else bundle

    return work


def _extend(existing: dict, bundle: dict) -> dict:
    """The given Bundle with the new entries added (same fullUrl: the new one replaces it)."""
    new = {entry["fullUrl"]: entry for entry in bundle.get("entry", [])}
    kept = [entry for entry in existing.get("entry", []) if entry.get("fullUrl") not in new]
    return {**existing, "type": existing.get("type", "collection"), "entry": kept + list(new.values())}


class _Unprocessable(RequestValidationError):
    """Valid input whose content is not processable: 422 even where invalid input answers 400."""


def _unprocessable(loc: tuple, message: str) -> RequestValidationError:
    return _Unprocessable([FieldError(loc, message, "value_error.file_type")])
