"""Auth schemes: each finds the tenant a request acts for, or refuses with 401."""

from __future__ import annotations

import hashlib
import hmac
import secrets

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


ADMIN_COOKIE = "mockserver_admin"
"""The admin session cookie `POST /_mock/session` sets, for the console (a page cannot set a bearer header
on its own navigations and downloads)."""
_BEARER_CHALLENGE = {"WWW-Authenticate": "Bearer"}


class AdminAccess:
    """Who may use the admin API. Open auth: anyone. Strict auth: holders of an admin token, sent as a bearer
    token or as the session cookie, whose value is an HMAC of the token under a key made at start-up (so the
    cookie is not the token, and a restarted server forgets it). Strict auth without an admin token: nobody."""

    def __init__(self, required: bool, tokens: list[str]):
        self.required = required
        self.tokens = tuple(dict.fromkeys(tokens))
        self._key = secrets.token_bytes(32)
        self._sessions = {self._session_value(token) for token in self.tokens}

    def _session_value(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    def accepts(self, token: str) -> bool:
        if not self.required:
            return bool(token)
        return any(hmac.compare_digest(token.encode(), known.encode()) for known in self.tokens)

    def session_for(self, token: str) -> str | None:
        """The cookie value that signs in with `token`; None for a token this server does not take."""
        return self._session_value(token) if self.required and self.accepts(token) else None

    def check_configured(self) -> None:
        """`Unauthorized` saying how to open the admin API, where strict auth has no admin token to take."""
        if self.required and not self.tokens:
            raise Unauthorized("The admin API is closed: this server runs --auth strict without an admin token "
                               "(start it with --admin-token TOKEN, or list \"admin_tokens\" in the tenants file)",
                               headers=_BEARER_CHALLENGE)

    def check(self, req) -> None:
        """Nothing when `req` may use the admin API; else `Unauthorized`, saying what to send."""
        if not self.required:
            return
        self.check_configured()
        scheme, _, token = req.environ.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() == "bearer" and self.accepts(token.strip()):
            return
        cookie = req.cookies.get(ADMIN_COOKIE)
        if cookie and any(hmac.compare_digest(cookie.encode(), known.encode()) for known in self._sessions):
            return
        if scheme or cookie:
            raise Unauthorized("Invalid admin token", headers=_BEARER_CHALLENGE)
        raise Unauthorized("Admin token required: send Authorization: Bearer <admin token>, or sign in with "
                           "POST /_mock/session", headers=_BEARER_CHALLENGE)


class AdminAuth:
    """The admin API's scheme: whatever `runtime.admin` (an `AdminAccess`) lets in; no tenant."""

    def authenticate(self, req, runtime) -> Identity:
        runtime.admin.check(req)
        return ADMIN

    def openapi(self) -> tuple[str, dict]:
        return "adminToken", {
            "type": "http", "scheme": "bearer",
            "description": f"An admin token (serve --admin-token, or admin_tokens in the tenants file), or the "
                           f"{ADMIN_COOKIE} cookie POST /_mock/session sets. Needed only in strict auth: open "
                           "auth checks nothing."}


ADMIN = Identity("", "admin")
ADMIN_AUTH = AdminAuth()
"""The one instance every admin operation declares (the admin API's and the families' under /_mock/)."""
