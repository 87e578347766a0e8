"""Heidi's auth: an API key buys a JWT (`GET /jwt`); every other call sends it as a bearer token.

The JWTs are real HS256 tokens signed with `Config.jwt_secret`, carrying the tenant of the API key
they were bought with and the API user they act for. Expiry is read from the shared clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
from datetime import UTC, datetime

from mockserver.core.declaration import Identity
from mockserver.core.errors import Unauthorized
from mockserver.heidi.models import ApiUser

ISSUER = "mockserver/heidi"
"""The `iss` of every token the mock issues: a token claiming it must verify, or it is refused."""

_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")
_BEARER = {"WWW-Authenticate": "Bearer"}


def issue(tenant: str, user: ApiUser, now: datetime, secret: str, lifetime: int) -> tuple[str, datetime]:
    """A signed token for `user` of `tenant`, and when it expires (whole seconds, as JWTs count)."""
    issued = int(now.timestamp())
    claims = {"iss": ISSUER, "sub": user.third_party_internal_id, "email": user.email, "tenant": tenant,
              "iat": issued, "exp": issued + lifetime, "jti": secrets.token_hex(8)}
    signing_input = f"{_b64(_compact({'alg': 'HS256', 'typ': 'JWT'}))}.{_b64(_compact(claims))}"
    token = f"{signing_input}.{_b64(_sign(signing_input, secret))}"
    return token, datetime.fromtimestamp(issued + lifetime, UTC)


def verify(token: str, secret: str, now: datetime) -> dict | None:
    """The claims of a token this mock issued, or None for a token that does not claim to be one.

    A token that claims the mock's issuer but is forged (bad signature, another algorithm) or expired
    is refused, whatever the auth mode."""
    parts = token.split(".")
    if len(parts) != 3 or not all(_SEGMENT.match(p) for p in parts):
        return None
    try:
        header, claims = json.loads(_unb64(parts[0])), json.loads(_unb64(parts[1]))
    except ValueError:
        return None
    if not isinstance(claims, dict) or claims.get("iss") != ISSUER:
        return None
    expected = _b64(_sign(f"{parts[0]}.{parts[1]}", secret))
    if not isinstance(header, dict) or header.get("alg") != "HS256" or not hmac.compare_digest(parts[2], expected):
        raise Unauthorized("Invalid token: the signature does not verify", code="InvalidTokenError", headers=_BEARER)
    if now.timestamp() >= claims["exp"]:
        raise Unauthorized("Token has expired", code="TokenExpiredError", headers=_BEARER)
    return claims


class HeidiBearer:
    """`Authorization: Bearer <jwt>`. A mock JWT acts for the tenant of the API key it was bought with.

    Open mode also takes any other non-empty token, as its own tenant (like Haidy's) and as that
    tenant's anonymous API user; strict mode takes only the mock's JWTs."""

    def authenticate(self, req, runtime) -> Identity:
        header = req.headers.get("Authorization", "")
        if not header.strip():
            raise Unauthorized("Not authenticated", code="NotAuthenticatedError", headers=_BEARER)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized("Invalid authentication credentials: expected 'Bearer <token>'",
                               code="InvalidTokenError", headers=_BEARER)
        claims = verify(token, runtime.config.jwt_secret, runtime.clock.now())
        if claims is not None:
            return Identity(claims["tenant"], ApiUser(claims["sub"], claims["email"]))
        if not runtime.tenants.open:
            raise Unauthorized("Invalid token: not issued by this server", code="InvalidTokenError", headers=_BEARER)
        return Identity(runtime.tenants.resolve(token), ApiUser(""))

    def openapi(self) -> tuple[str, dict]:
        return "heidiBearer", {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class HeidiApiKey:
    """`Heidi-Api-Key: <key>`, only for `GET /jwt`. Keys come from the tenants file
    (`{"heidi": {"api_keys": [...]}}`); open mode also takes any other key, as its own tenant."""

    def authenticate(self, req, runtime) -> Identity:
        key = req.headers.get("Heidi-Api-Key", "").strip()
        if not key:
            raise Unauthorized("Heidi-Api-Key header is missing", code="MissingApiKeyError")
        tenant = runtime.tenants.owner("heidi", "api_keys", key) or (key if runtime.tenants.open else None)
        if tenant is None:
            raise Unauthorized("Invalid API key", code="InvalidApiKeyError")
        return Identity(tenant)

    def openapi(self) -> tuple[str, dict]:
        return "heidiApiKey", {"type": "apiKey", "in": "header", "name": "Heidi-Api-Key"}


def _compact(value: dict) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _sign(signing_input: str, secret: str) -> bytes:
    return hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
