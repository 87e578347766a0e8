"""Haidy (44ai): patient contexts, patient files and the PIS integration deep link (`routes`), and
the analyst product: structure, tasks, FHIR and extraction (`analyst/`)."""

from mockserver.clinical import transcripts
from mockserver.core.family import Family
from mockserver.haidy import admin, consultation_routes, report_routes, routes
from mockserver.haidy.analyst import routes as analyst_routes
from mockserver.haidy.api import api
from mockserver.haidy.models import HaidyBackend

FAMILY = Family(
    api=api,
    new_backend=lambda clock, settings: HaidyBackend(clock).configure(settings),
    restore_backend=lambda clock, state: HaidyBackend.from_state(state, clock),
    open_backend=HaidyBackend,
    credentials=("Authorization: Bearer {token}",),
    admin=admin.api,
    commons=(transcripts.COMMONS,),
)

__all__ = ["FAMILY", "HaidyBackend", "analyst_routes", "consultation_routes", "report_routes", "routes"]
