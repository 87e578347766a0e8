"""Heidi Health: JWT auth, patient profiles, sessions and linked accounts (`routes`), and the scribe flow: audio,
transcripts, templates, consult notes, documents, clinical codes and Ask Heidi (`scribe_routes`). Under the real
base path."""

from mockserver.clinical import transcripts
from mockserver.core.family import Family
from mockserver.heidi import scribe_routes
from mockserver.heidi.models import HeidiBackend
from mockserver.heidi.routes import BASE_PATH, api

FAMILY = Family(
    api=api,
    new_backend=lambda clock, settings: HeidiBackend(clock).configure(settings),
    restore_backend=lambda clock, state: HeidiBackend.from_state(state, clock),
    open_backend=HeidiBackend,
    # API calls take the JWT; GET /jwt takes the API key that obtains one.
    credentials=("Authorization: Bearer {token}", "Heidi-Api-Key: {api_key}"),
    commons=(transcripts.COMMONS,),
    configured_credentials=lambda spec: list(spec.get("heidi", {}).get("api_keys", [])),
)

__all__ = ["BASE_PATH", "FAMILY", "HeidiBackend", "scribe_routes"]
