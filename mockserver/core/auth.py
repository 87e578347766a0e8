"""Auth schemes: each finds the tenant a request acts for, or refuses with 401."""

from __future__ import annotations

from mockserver.core.declaration import Identity
from mockserver.core.errors import Unauthorized


class BearerAuth:
    """`Authorization: Bearer <token>`, as Haidy (and FastAPI's HTTPBearer) expect it."""

    def authenticate(self, req, runtime) -> Identity:
        header = req.environ.get("HTTP_AUTHORIZATION", "")
        scheme, _, token = header.partition(" ")
        if not header.strip():
            raise Unauthorized("Not authenticated", headers={"WWW-Authenticate": "Bearer"})
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Invalid authentication credentials", headers={"WWW-Authenticate": "Bearer"})
        tenant = runtime.tenants.resolve(token)
        if tenant is None:
            raise Unauthorized("Invalid authentication credentials", headers={"WWW-Authenticate": "Bearer"})
        return Identity(tenant)

    def openapi(self) -> tuple[str, dict]:
        return "bearerAuth", {"type": "http", "scheme": "bearer"}
