"""Esteem General API: patients and their gauges, with user roles and Rails-style errors."""

from mockserver.core.family import Family
from mockserver.esteem.auth import WORLD
from mockserver.esteem.models import EsteemWorld
from mockserver.esteem.routes import api

FAMILY = Family(
    api=api,
    new_backend=lambda clock, settings: EsteemWorld(clock).configure(settings),
    restore_backend=lambda clock, state: EsteemWorld.from_state(state, clock),
    open_backend=EsteemWorld,
    credentials=("X-User-Token: {token}",),
    configured_credentials=lambda spec: [user["token"] for user in spec.get("esteem", {}).get("users", [])],
    state_credentials=lambda tenant, state: [user["token"] for user in state.get("users", [])],
    shared_tenant=WORLD,
)

__all__ = ["FAMILY", "EsteemWorld"]
