"""The admin API under /_mock/: test control that no vendor has (reset, state, tenants, journal,
faults, clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mockserver import __version__
from mockserver.control.faults import FaultRule
from mockserver.core.clock import iso
from mockserver.core.declaration import Api
from mockserver.core.error_styles import FastApiErrors
from mockserver.core.errors import BadRequest, NotFound

ERROR = "common/fastapi-error"

api = Api(
    "mock", title="mockserver admin API", errors=FastApiErrors(), auth=None, prefixes=("/_mock/",),
    validation_schema="common/fastapi-validation-error", error_schema=ERROR,
)


@api.operation("GET", "/_mock/health", summary="Liveness and what this server runs", responses={200: "mock/health"})
def health(call):
    return {"status": "ok", "version": __version__, "auth": call.runtime.config.auth,
            "families": [f.name for f in call.runtime.families]}


@api.operation("POST", "/_mock/reset", summary="Drop all data and run-time tenants; back to the start",
               responses={200: "mock/ack"})
def reset(call):
    call.runtime.reset()
    return {"status": "reset"}


@api.operation("GET", "/_mock/state", summary="Export all state as JSON", responses={200: "mock/state"})
def export_state(call):
    return call.runtime.store.export()


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


@api.operation("GET", "/_mock/requests", summary="The request journal, oldest first, filtered",
               query="mock/journal-query", responses={200: "mock/journal"})
def list_requests(call):
    return [entry.to_json() for entry in call.runtime.journal.find(**call.query)]


@api.operation("DELETE", "/_mock/requests", summary="Empty the request journal", responses={200: "mock/ack"})
def clear_requests(call):
    call.runtime.journal.clear()
    return {"status": "cleared"}


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
