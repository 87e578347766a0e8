"""The admin API under /_mock/: test control that no vendor has (reset, state, tenants)."""

from __future__ import annotations

from mockserver import __version__
from mockserver.api import Api
from mockserver.errors import BadRequest
from mockserver.styles import FastApiErrors

ERROR = "common/fastapi-error"

api = Api(
    "mock", title="mockserver admin API", errors=FastApiErrors(), auth=None, prefixes=("/_mock/",),
    validation_schema="common/fastapi-validation-error", error_schema=ERROR, public=False,
)


@api.operation("GET", "/_mock/health", summary="Liveness and what this server runs", responses={200: "mock/health"})
def health(call):
    return {"status": "ok", "version": __version__, "auth": call.runtime.config.auth,
            "families": [a.name for a in call.runtime.apis if a.public]}


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
    """Replaces everything, or nothing if the export is not loadable."""
    try:
        call.runtime.store.load(call.body)
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
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
            with call.runtime.store.session(family, tenant) as backend:
                backend.configure(spec[family])
    return {"status": "provisioned"}
