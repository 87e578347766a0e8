"""Esteem's `X-User-Token`: every token is a user of the one shared world, so the principal is the user."""

from __future__ import annotations

from mockserver.core.declaration import Identity
from mockserver.core.errors import Unauthorized

WORLD = "esteem"
"""The tenant holding Esteem's world: one per server, shared by all its users."""

HEADER = "X-User-Token"
NOT_AUTHORIZED = "You are not authorized to perform this action."


class UserTokenAuth:
    """A known user's token; in open auth any other non-empty token becomes a user of its own practice."""

    def authenticate(self, req, runtime) -> Identity:
        token = req.headers.get(HEADER, "").strip()
        if token:
            with runtime.store.session(WORLD, WORLD) as world:
                user = world.authenticate(token, enrol=runtime.tenants.open)
            if user is not None:
                return Identity(WORLD, user)
        raise Unauthorized(NOT_AUTHORIZED)

    def openapi(self) -> tuple[str, dict]:
        return "userToken", {"type": "apiKey", "in": "header", "name": HEADER}
