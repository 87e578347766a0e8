"""Heidi auth: GET /jwt buys a real HS256 JWT with an API key; every call checks it (signature, expiry)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest

from mockserver import Config, create_app
from mockserver.heidi.auth import ISSUER
from tests.heidi.support import BASE, bearer, detail, get_token, login

NOW = datetime(2024, 12, 11, 3, 57, 57, tzinfo=UTC)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def sign(header: dict, claims: dict, secret: str) -> str:
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


@pytest.fixture
def clock(app):
    clock = app.extensions["mockserver"].clock
    clock.freeze(NOW)
    return clock


def test_jwt_is_a_signed_hs256_token_with_an_expiry(client, app, clock):
    resp = client.get(f"{BASE}/jwt?email=dr.smith@example.com&third_party_internal_id=ehr-user-7741",
                      headers={"Heidi-Api-Key": "key-1"})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["expiration_time"] == "2024-12-11T04:57:57+00:00"
    header, claims, signature = body["token"].split(".")
    assert unb64(header) == {"alg": "HS256", "typ": "JWT"}
    claims = unb64(claims)
    assert claims["sub"] == "ehr-user-7741" and claims["email"] == "dr.smith@example.com"
    assert claims["iss"] == ISSUER and claims["exp"] - claims["iat"] == 3600 and claims["tenant"] == "key-1"
    secret = app.extensions["mockserver"].config.jwt_secret
    expected = hmac.new(secret.encode(), f"{header}.{b64(json.dumps(claims, separators=(',', ':')).encode())}".encode(),
                        hashlib.sha256).digest()
    assert b64(expected) == signature


def test_token_works_until_it_expires_on_the_mock_clock(client, clock):
    headers = login(client)
    clock.advance(3599)
    assert client.get(f"{BASE}/patient-profiles", headers=headers).status_code == 200
    clock.advance(1)
    resp = client.get(f"{BASE}/patient-profiles", headers=headers)
    assert resp.status_code == 401
    assert detail(resp) == {"msg": "Token has expired", "type": "TokenExpiredError"}
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(f"{BASE}/patient-profiles", headers=login(client)).status_code == 200


def test_lifetime_is_configurable():
    app = create_app(Config(jwt_lifetime_seconds=5, validate_responses=True))
    client = app.test_client()
    app.extensions["mockserver"].clock.freeze(NOW)
    headers = login(client)
    app.extensions["mockserver"].clock.advance(5)
    assert client.get(f"{BASE}/patient-profiles", headers=headers).status_code == 401
    with pytest.raises(ValueError, match="at least 1 second"):
        Config(jwt_lifetime_seconds=0)


def tamper(token: str) -> list[str]:
    header, claims, signature = token.split(".")
    longer = unb64(claims) | {"exp": unb64(claims)["exp"] + 86400}
    return [
        f"{header}.{b64(json.dumps(longer).encode())}.{signature}",  # payload changed
        f"{header}.{claims}.{b64(b'not the signature')}",  # signature changed
        f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{claims}.{signature}",  # alg none
        sign({"alg": "HS256", "typ": "JWT"}, unb64(claims), "guessed-secret"),  # another key
    ]


@pytest.mark.parametrize("auth", ["open", "strict"])
def test_forged_mock_tokens_are_401_in_both_modes(tmp_path, auth):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps({"tenants": {"acme": {"heidi": {"api_keys": ["acme-key"]}}}}))
    client = create_app(Config(auth=auth, tenants_file=str(tenants), validate_responses=True)).test_client()
    for forged in tamper(get_token(client, key="acme-key")):
        resp = client.get(f"{BASE}/patient-profiles", headers=bearer(forged))
        assert resp.status_code == 401, forged
        assert detail(resp)["type"] == "InvalidTokenError"


def test_a_token_of_another_server_is_refused_unless_it_shares_the_secret():
    first = create_app(Config(validate_responses=True)).test_client()
    token = get_token(first)
    assert create_app(Config()).test_client().get(f"{BASE}/patient-profiles", headers=bearer(token)).status_code == 401
    shared = Config(jwt_secret="team-secret")
    token = get_token(create_app(shared).test_client())
    again = create_app(Config(jwt_secret="team-secret")).test_client()
    assert again.get(f"{BASE}/patient-profiles", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize(
    "headers, message, type_",
    [
        ({}, "Not authenticated", "NotAuthenticatedError"),
        ({"Authorization": "  "}, "Not authenticated", "NotAuthenticatedError"),
        (
            {"Authorization": "Bearer "},
            "Invalid authentication credentials: expected 'Bearer <token>'",
            "InvalidTokenError",
        ),
        (
            {"Authorization": "Basic dXNlcjpwdw=="},
            "Invalid authentication credentials: expected 'Bearer <token>'",
            "InvalidTokenError",
        ),
    ],
)
def test_missing_or_malformed_bearer_is_401(client, headers, message, type_):
    resp = client.get(f"{BASE}/sessions/1234567890", headers=headers)
    assert resp.status_code == 401
    assert detail(resp) == {"msg": message, "type": type_}
    assert resp.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("headers, type_", [({}, "MissingApiKeyError"), ({"Heidi-Api-Key": " "}, "MissingApiKeyError")])
def test_jwt_needs_an_api_key(client, headers, type_):
    resp = client.get(f"{BASE}/jwt?email=a@b.c&third_party_internal_id=u", headers=headers)
    assert resp.status_code == 401 and detail(resp)["type"] == type_


@pytest.mark.parametrize("query, field", [
    ("third_party_internal_id=u", "email"),
    ("email=a@b.c", "third_party_internal_id"),
    ("email=not-an-email&third_party_internal_id=u", "email"),
    ("email=a@b.c&third_party_internal_id=", "third_party_internal_id"),
])
def test_jwt_query_is_validated(client, query, field):
    resp = client.get(f"{BASE}/jwt?{query}", headers={"Heidi-Api-Key": "k"})
    assert resp.status_code == 422
    error = detail(resp)
    assert error["type"] == "RequestValidationError" and f"query -> {field}" in error["msg"]
    assert [e["loc"] for e in error["errors"]] == [["query", field]]


def test_open_mode_any_key_is_its_own_tenant_and_any_token_too(client):
    acme, globex = login(client, key="acme"), login(client, key="globex")
    created = client.post(f"{BASE}/patient-profiles", json={"first_name": "Ada"}, headers=acme).get_json()["data"]
    url = f"{BASE}/patient-profiles/{created['id']}"
    assert client.get(url, headers=login(client, key="acme")).status_code == 200  # the same user, a new JWT
    assert client.get(url, headers=login(client, key="acme", user="someone-else")).status_code == 404
    assert client.get(url, headers=globex).status_code == 404
    opaque = {"Authorization": "Bearer any-old-token"}
    assert client.get(url, headers=opaque).status_code == 404
    assert client.get(f"{BASE}/patient-profiles", headers=opaque).status_code == 200


@pytest.fixture
def strict_client(tmp_path):
    tenants = tmp_path / "tenants.json"
    tenants.write_text(json.dumps({"tenants": {
        "acme": {"tokens": ["acme-haidy-token"], "heidi": {"api_keys": ["acme-key-1", "acme-key-2"]}},
        "globex": {"heidi": {"api_keys": ["globex-key"]}},
    }, "admin_tokens": ["acme-admin"]}))
    return create_app(Config(auth="strict", tenants_file=str(tenants), validate_responses=True)).test_client()


def test_strict_mode_takes_only_configured_keys_and_issued_tokens(strict_client):
    resp = strict_client.get(f"{BASE}/jwt?email=a@b.c&third_party_internal_id=u", headers={"Heidi-Api-Key": "stranger"})
    assert resp.status_code == 401 and detail(resp) == {"msg": "Invalid API key", "type": "InvalidApiKeyError"}
    for opaque in ("acme-haidy-token", "anything"):
        resp = strict_client.get(f"{BASE}/patient-profiles", headers=bearer(opaque))
        assert resp.status_code == 401 and detail(resp)["type"] == "InvalidTokenError"

    acme = login(strict_client, key="acme-key-1")
    created = strict_client.post(f"{BASE}/patient-profiles", json={}, headers=acme).get_json()["data"]
    url = f"{BASE}/patient-profiles/{created['id']}"
    assert strict_client.get(url, headers=login(strict_client, key="acme-key-2")).status_code == 200
    assert strict_client.get(url, headers=login(strict_client, key="globex-key")).status_code == 404


def test_api_keys_can_be_added_at_run_time_and_reset_drops_them(strict_client):
    admin = {"Authorization": "Bearer acme-admin"}
    strict_client.post("/_mock/tenants/initech", json={"heidi": {"api_keys": ["initech-key"]}}, headers=admin)
    headers = login(strict_client, key="initech-key")
    assert strict_client.get(f"{BASE}/patient-profiles", headers=headers).status_code == 200
    assert strict_client.post("/_mock/reset", headers=admin).status_code == 200
    resp = strict_client.get(
        f"{BASE}/jwt?email=a@b.c&third_party_internal_id=u", headers={"Heidi-Api-Key": "initech-key"}
    )
    assert resp.status_code == 401
    # A token already issued stays valid: the reset drops data, not the signing key.
    assert strict_client.get(f"{BASE}/patient-profiles", headers=headers).status_code == 200


def test_jwt_answers_at_the_root_too(client, clock):
    resp = client.get("/jwt?email=a@b.c&third_party_internal_id=u", headers={"Heidi-Api-Key": "k"})
    assert resp.status_code == 200
    assert datetime.fromisoformat(resp.get_json()["expiration_time"]) == NOW.replace(microsecond=0) + timedelta(hours=1)
