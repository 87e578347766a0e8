"""The admin API under /_mock/: test control that no vendor has (reset, state, tenants, journal,
faults, clock, latency), and the admin session. In strict auth every operation but health and the
session's wants an admin token (`core.auth.AdminAccess`)."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Response, request

from mockserver import __version__
from mockserver.control import overview
from mockserver.control.faults import FaultRule
from mockserver.core.auth import ADMIN_AUTH, ADMIN_COOKIE
from mockserver.core.clock import iso
from mockserver.core.declaration import Api, Header, Reply
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import BadRequest, NotFound, Unauthorized

ERROR = "common/fastapi-error"

api = Api(
    "mock", title="mockserver admin API", errors=FastApiErrors(), auth=ADMIN_AUTH, prefixes=("/_mock/",),
    validation_schema="common/fastapi-validation-error", error_schema=ERROR,
)


@api.operation("GET", "/_mock/health", summary="Liveness and what this server runs", responses={200: "mock/health"},
               authenticated=False)
def health(call):
    """Public in every auth mode (start-up checks and `mockserver contract` read it), so it tells nothing secret:
    how the server was started, for the console's overview."""
    config = call.runtime.config
    data_set = config.fixtures or config.state_file
    data_set = data_set and Path(data_set).name  # a name, not where it lies on this machine
    return {"status": "ok", "version": __version__, "auth": config.auth,
            "families": [f.name for f in call.runtime.families], "task_timing": config.task_timing,
            "task_seconds": config.task_seconds, "task_retention": config.task_retention,
            "data_set": data_set or None, "cors_origins": list(config.cors_origins),
            "admin_origins": list(config.admin_origins),
            "worker": os.getpid(), "store": _store_health(call.runtime)}


def _store_health(runtime) -> dict:
    """Which store holds the state and whether it answers: health must answer while Redis does not."""
    link = getattr(runtime.store, "link", None)
    return {"kind": runtime.store.kind, "reachable": link.reachable() if link else True,
            "location": link.where() if link else None,
            "snapshot": Path(runtime.config.snapshot).name if runtime.config.snapshot else None}


@api.operation("GET", "/_mock/credentials", summary="How to authenticate to each family, and with which tokens",
               responses={200: "mock/credentials"})
def list_credentials(call):
    """Per family: the header to send, the tenants file's credentials (strict auth takes only these) and those
    of the data the server started with (open auth, where a token is its own tenant). Never the admin tokens."""
    return {"auth": call.runtime.config.auth, "families": overview.credentials(call.runtime)}


@api.operation("POST", "/_mock/reset", summary="Drop all data and run-time tenants; back to the start",
               responses={200: "mock/ack"})
def reset(call):
    call.runtime.reset()
    return {"status": "reset"}


STATE_TAG = Header("ETag", "The state's version: send it back as If-None-Match to get 304 while nothing changed")


@api.operation("GET", "/_mock/state", summary="Export all state as JSON",
               responses={200: Reply("mock/state", headers=(STATE_TAG,)),
                          304: Reply(None, description="Not modified since the export whose ETag was sent")})
def export_state(call):
    """An export reads every object under its tenant's lock; a reader that polls (the console) asks with
    If-None-Match and pays nothing while nothing changed."""
    tag = f'"{call.runtime.store.version}"'  # read first: a change during the export makes the next one differ
    if tag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers={"ETag": tag})
    return call.runtime.store.export(), 200, {"ETag": tag}


@api.operation("PUT", "/_mock/state", summary="Replace all state with an export", body="mock/state",
               responses={200: "mock/ack", 400: ERROR})
def import_state(call):
    """Replaces everything, or nothing: an export its schema refuses answers 422 (each field located), one
    that breaks a rule no schema can state (an id used twice, a file listed but missing) 400."""
    try:
        call.runtime.store.load(call.body)
    except ValueError as exc:
        raise BadRequest(f"state not loadable: {exc}") from None
    return {"status": "loaded"}


@api.operation("POST", "/_mock/tenants/{tenant}", summary="Register a tenant or add to what it has",
               body="mock/tenant", responses={200: "mock/ack"})
def provision_tenant(call):
    """Adds tokens and family settings (e.g. Haidy patient groups) to a tenant; its data is kept."""
    tenant, spec = call.path["tenant"], call.body
    call.runtime.tenants.add(tenant, spec)
    for family in call.runtime.store.families():
        if family in spec:
            with call.runtime.store.session(family, call.runtime.tenants.home(family, tenant)) as backend:
                backend.configure(spec[family])
    return {"status": "provisioned"}


JOURNAL_OLDEST = Header("X-Mock-Journal-Oldest", "The id of the oldest entry the journal holds (when empty, the id "
                        "the next entry gets): a reader polling with `after` drops the entries it holds below it, "
                        "which were cleared or fell off the end", "integer")


@api.operation("GET", "/_mock/requests", summary="The request journal, oldest first, filtered",
               query="mock/journal-query", responses={200: Reply("mock/journal", headers=(JOURNAL_OLDEST,))})
def list_requests(call):
    """Credentials (Authorization, API keys, cookies, and any header, query parameter or JSON field whose name
    says token, key, secret, password, auth, cookie or credential) are masked to a hint unless `reveal=true`."""
    reveal = call.query.pop("reveal", False)
    journal = call.runtime.journal
    entries = [entry.to_json() if reveal else entry.masked_json for entry in journal.find(**call.query)]
    oldest = journal.oldest_id  # read after the entries: a clear in between drops them, as it should
    return entries, 200, {JOURNAL_OLDEST.name: str(oldest)}


@api.operation("DELETE", "/_mock/requests", summary="Empty the request journal", responses={200: "mock/ack"})
def clear_requests(call):
    call.runtime.journal.clear()
    return {"status": "cleared"}


@api.operation("GET", "/_mock/tasks", summary="Every task the server holds, as it stands, without polling it",
               responses={200: "mock/tasks"})
def list_tasks(call):
    """For watching progress between a client's polls: not counted as a poll, no result handed out, nothing
    removed; realtime tasks move with the clock as a poll would move them."""
    return call.runtime.tasks.peek()


@api.operation("POST", "/_mock/faults", summary="Add a fault rule", body="mock/fault-rule",
               responses={201: "mock/fault-rule", 400: ERROR})
def add_fault(call):
    fields = {k: v for k, v in call.body.items() if k not in ("id", "matched", "fired")}
    try:
        rule = FaultRule(**fields)
    except (TypeError, ValueError) as exc:  # TypeError: a field FaultRule does not have
        raise BadRequest(str(exc)) from None
    return call.runtime.faults.add(rule).to_json(), 201


@api.operation(
    "GET", "/_mock/faults", summary="The fault rules with their counters", responses={200: "mock/fault-rules"}
)
def list_faults(call):
    return [rule.to_json() for rule in call.runtime.faults.rules()]


@api.operation("DELETE", "/_mock/faults", summary="Remove every fault rule", responses={200: "mock/ack"})
def clear_faults(call):
    call.runtime.faults.clear()
    return {"status": "cleared"}


@api.operation(
    "DELETE", "/_mock/faults/{fault_id}", summary="Remove one fault rule", responses={200: "mock/ack", 404: ERROR}
)
def remove_fault(call):
    if not call.runtime.faults.remove(call.path["fault_id"]):
        raise NotFound("Fault rule not found")
    return {"status": "removed"}


@api.operation("GET", "/_mock/clock", summary="The mock's current time", responses={200: "mock/clock"})
def get_clock(call):
    return _clock(call.runtime.clock)


@api.operation("POST", "/_mock/clock", summary="Freeze, advance or unfreeze the mock's time",
               body="mock/clock-change", responses={200: "mock/clock", 400: ERROR})
def change_clock(call):
    """A time outside years 1 to 9999 answers 400 and changes nothing."""
    clock, change = call.runtime.clock, call.body
    try:  # the resulting time first, so an impossible one cannot break every later request
        at = (
            datetime.fromisoformat(change["at"].replace("Z", "+00:00"))
            if change.get("freeze") and "at" in change
            else None
        )
        start = at.astimezone(UTC) if at else datetime.now(UTC) if change.get("unfreeze") else clock.now()
        start + timedelta(seconds=change.get("advance_seconds") or 0)
    except OverflowError as exc:
        raise BadRequest(f"time out of range: {exc}") from None
    if change.get("unfreeze"):
        clock.unfreeze()
    if change.get("freeze"):
        clock.freeze(datetime.fromisoformat(change["at"].replace("Z", "+00:00")) if "at" in change else None)
    if change.get("advance_seconds"):
        clock.advance(change["advance_seconds"])
    return _clock(clock)


def _clock(clock) -> dict:
    return {"now": iso(clock.now()), "frozen": clock.frozen}


@api.operation("GET", "/_mock/latency", summary="The latency added to every vendor answer",
               responses={200: "mock/latency"})
def get_latency(call):
    return call.runtime.latency.to_json()


@api.operation("PUT", "/_mock/latency", summary="Add a fixed or random latency to every vendor answer",
               body="mock/latency-change", responses={200: "mock/latency", 400: ERROR})
def set_latency(call):
    """`{"ms": 250}` fixed, `{"min_ms": 100, "max_ms": 400}` uniform random, `{"ms": 0}` off. Never on the admin
    API or the console, and not a fault; a reset returns to `serve --latency`."""
    change = call.body
    if "ms" in change and ("min_ms" in change or "max_ms" in change):
        raise BadRequest("give ms, or min_ms and max_ms, not both")
    if "ms" in change:
        bounds = (change["ms"], change["ms"])
    elif "min_ms" in change and "max_ms" in change:
        bounds = (change["min_ms"], change["max_ms"])
    else:
        raise BadRequest("give ms (a fixed latency), or min_ms and max_ms (a random one)")
    try:
        call.runtime.latency.set(*bounds)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return call.runtime.latency.to_json()


@api.operation("DELETE", "/_mock/latency", summary="No added latency", responses={200: "mock/latency"})
def clear_latency(call):
    call.runtime.latency.set(0, 0)
    return call.runtime.latency.to_json()


_NO_CONTENT = Reply(None, description="Done; no content")


@api.operation("POST", "/_mock/session", summary="Sign in to the admin API with an admin token (a cookie)",
               body="mock/admin-session", responses={204: _NO_CONTENT, 401: ERROR}, authenticated=False)
def create_session(call):
    """Strict auth: sets the HttpOnly cookie the console then sends (SameSite=Strict, Path=/_mock); a token that
    is not an admin token answers 401. Open auth needs no session: 204, nothing set."""
    access = call.runtime.admin
    if not access.required:
        return Response(status=204)
    session = access.session_for(call.body["token"])
    if session is None:
        access.check_configured()
        raise Unauthorized("Invalid admin token", headers={"WWW-Authenticate": "Bearer"})
    response = Response(status=204)
    response.set_cookie(ADMIN_COOKIE, session, path="/_mock", httponly=True, samesite="Strict")
    return response


@api.operation("DELETE", "/_mock/session", summary="Sign out of the admin API (clears the cookie)",
               responses={204: _NO_CONTENT}, authenticated=False)
def delete_session(call):
    response = Response(status=204)
    response.delete_cookie(ADMIN_COOKIE, path="/_mock", httponly=True, samesite="Strict")
    return response
