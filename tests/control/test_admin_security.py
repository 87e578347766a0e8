"""The admin API (/_mock/) against other sites' pages (CORS, cross-site requests) and, in strict auth, its admin
token: as a bearer token or the console's session cookie. The root URL's way to the console."""

from __future__ import annotations

import json

import pytest
import requests

from mockserver import Config, create_app
from mockserver.core.auth import ADMIN_COOKIE
from tests.support import AUTH, GROUP, Served

EVIL = "http://evil.example"
BODY = {"external_id": "kept", "patient_group": GROUP}
PUBLIC = {"health", "create_session", "delete_session", "download_patient_file"}
"""The only operations under /_mock/ that answer without an admin token in strict auth."""


def contexts(base: str) -> list:
    return requests.get(f"{base}/v2/patient-contexts/", params={"external_id": "kept"}, headers=AUTH, timeout=10).json()


# Other sites' pages, over a real port


def test_a_page_of_another_site_can_neither_read_the_journal_nor_reset(served):
    requests.post(f"{served.url}/_mock/reset", timeout=10).raise_for_status()
    requests.post(f"{served.url}/v2/patient-contexts/", json=BODY, headers=AUTH, timeout=10).raise_for_status()
    read = requests.get(f"{served.url}/_mock/requests", headers={"Origin": EVIL}, timeout=10)
    assert read.status_code == 200 and "Access-Control-Allow-Origin" not in read.headers  # the browser hides it
    preflight = requests.options(f"{served.url}/_mock/reset", timeout=10, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"})
    assert preflight.status_code == 403 and "Access-Control-Allow-Origin" not in preflight.headers
    reset = requests.post(f"{served.url}/_mock/reset", headers={"Origin": EVIL}, timeout=10)
    assert reset.status_code == 403 and "Access-Control-Allow-Origin" not in reset.headers
    assert reset.json() == {"detail": "Cross-site request refused: the admin API takes POST only from its own pages "
                                      f"and from the origins of serve --admin-origin, not from {EVIL}"}
    assert len(contexts(served.url)) == 1  # nothing was reset
    marked = requests.delete(f"{served.url}/_mock/faults", headers={"Sec-Fetch-Site": "cross-site"}, timeout=10)
    assert marked.status_code == 403


def test_its_own_pages_and_scripts_without_an_origin_keep_working(served):
    requests.post(f"{served.url}/_mock/reset", timeout=10).raise_for_status()
    requests.post(f"{served.url}/v2/patient-contexts/", json=BODY, headers=AUTH, timeout=10).raise_for_status()
    own = requests.post(f"{served.url}/_mock/faults", json={"path": "/nowhere", "status": 500}, timeout=10,
                        headers={"Origin": served.url, "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 201
    assert requests.post(f"{served.url}/_mock/reset", timeout=10).json() == {"status": "reset"}  # curl, scripts
    assert contexts(served.url) == []


def test_the_vendor_apis_keep_answering_every_origin(served):
    preflight = requests.options(f"{served.url}/v2/patient-contexts/", timeout=10, headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"})
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == EVIL
    created = requests.post(f"{served.url}/v2/patient-contexts/", json={**BODY, "external_id": "cors"}, timeout=10,
                            headers={**AUTH, "Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert created.status_code == 200 and created.headers["Access-Control-Allow-Origin"] == EVIL
    assert "Deprecation" in created.headers["Access-Control-Expose-Headers"]


def test_an_admin_origin_may_read_and_change_with_its_cookies():
    console = "http://localhost:5173"
    server = Served("--admin-origin", console + "/", "--cors-origin", "http://app.local")
    try:
        read = requests.get(f"{server.url}/_mock/requests", headers={"Origin": console}, timeout=10)
        preflight = requests.options(f"{server.url}/_mock/reset", timeout=10, headers={
            "Origin": console, "Access-Control-Request-Method": "POST"})
        reset = requests.post(f"{server.url}/_mock/reset", timeout=10,
                              headers={"Origin": console, "Sec-Fetch-Site": "cross-site"})
        other = requests.post(f"{server.url}/_mock/reset", headers={"Origin": "http://app.local"}, timeout=10)
        health = requests.get(f"{server.url}/_mock/health", timeout=10).json()
    finally:
        server.stop()
    assert read.headers["Access-Control-Allow-Origin"] == console
    assert read.headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight.status_code == 200 and preflight.headers["Access-Control-Allow-Origin"] == console
    assert reset.status_code == 200
    assert other.status_code == 403  # a vendor API's CORS origin is not the admin API's
    assert (health["admin_origins"], health["cors_origins"]) == ([console], ["http://app.local"])


@pytest.mark.parametrize("host, origin, allowed", [
    ("mock.local", "http://mock.local", True),
    ("mock.local:80", "http://mock.local", True),
    ("MOCK.local:8443", "https://mock.local:8443", True),
    ("mock.local", "https://mock.local", True),  # a TLS proxy in front: the same host, and no port given
    ("mock.local:80", "https://mock.local", False),
    ("mock.local", "http://mock.local:81", False),
    ("mock.local", "http://mock.local.evil.example", False),
    ("mock.local", "null", False),  # a sandboxed frame, a file:// page
    ("mock.local", "http://mock.local:notaport", False),
])
def test_own_origin_is_the_host_the_request_came_to(host, origin, allowed):
    client = create_app(Config()).test_client()
    answer = client.delete("/_mock/requests", headers={"Host": host, "Origin": origin})
    assert answer.status_code == (200 if allowed else 403)


def test_admin_origins_are_checked_and_normalised():
    assert Config(admin_origins=["HTTP://Localhost:5173/", "https://a.example:443"]).admin_origins == [
        "http://localhost:5173", "https://a.example"]
    for wrong in ("localhost:5173", "http://a.example/console", "ftp://a.example", "http://user@a.example"):
        with pytest.raises(ValueError, match="is not an origin"):
            Config(admin_origins=[wrong])


# The admin token, in strict auth


@pytest.fixture
def tenants_file(tmp_path):
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"tenants": {"acme": {"tokens": ["acme-1"]}}, "admin_tokens": ["file-admin"]}))
    return path


@pytest.fixture
def strict(tenants_file):
    return create_app(Config(auth="strict", tenants_file=str(tenants_file), admin_tokens=["cli-admin"],
                             validate_responses=True)).test_client()


def test_strict_admin_api_wants_an_admin_token(strict):
    missing = strict.get("/_mock/requests")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.get_json() == {
        "detail": "Admin token required: send Authorization: Bearer <admin token>, or sign in with POST /_mock/session"}
    for wrong in ("Bearer acme-1", "Bearer nope", "Basic ZmlsZS1hZG1pbg=="):
        answer = strict.get("/_mock/requests", headers={"Authorization": wrong})
        assert answer.status_code == 401 and answer.get_json() == {"detail": "Invalid admin token"}
    for token in ("cli-admin", "file-admin"):  # serve --admin-token, and the tenants file's
        assert strict.get("/_mock/requests", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    refused = strict.post("/_mock/tenants/acme/transcripts", json={"audio_base64": "AA==", "text": "t"})
    assert refused.status_code == 401  # a family's test set-up is the admin API's too


def test_strict_keeps_health_the_documents_and_the_console_public(strict):
    assert strict.get("/_mock/health").status_code == 200
    assert strict.get("/_mock/openapi.json").status_code == 200
    assert strict.get("/openapi.json").status_code == 200
    assert strict.get("/_mock/console/").status_code == 200  # the page holds no data; it asks the admin API
    assert strict.get("/_mock/haidy/files/file_unknown000").status_code == 404  # files: by their random id


def test_the_session_cookie_signs_the_console_in_and_out(strict):
    assert strict.post("/_mock/session", json={"token": "nope"}).status_code == 401
    assert strict.post("/_mock/session", json={}).status_code == 422
    signed_in = strict.post("/_mock/session", json={"token": "file-admin"})
    assert signed_in.status_code == 204 and signed_in.data == b""
    cookie = signed_in.headers["Set-Cookie"]
    assert cookie.startswith(f"{ADMIN_COOKIE}=") and "file-admin" not in cookie
    assert {"HttpOnly", "SameSite=Strict", "Path=/_mock"} <= {part.strip() for part in cookie.split(";")}
    assert strict.get("/_mock/requests").status_code == 200  # the test client sends the cookie back
    assert strict.post("/_mock/reset").status_code == 200
    signed_out = strict.delete("/_mock/session")
    assert signed_out.status_code == 204 and f"{ADMIN_COOKIE}=;" in signed_out.headers["Set-Cookie"]
    assert strict.get("/_mock/requests").status_code == 401
    strict.set_cookie(ADMIN_COOKIE, "forged", path="/_mock")
    assert strict.get("/_mock/requests").get_json() == {"detail": "Invalid admin token"}


def test_credentials_name_what_works_per_family_but_never_the_admin_tokens(strict):
    assert strict.get("/_mock/credentials").status_code == 401
    listed = strict.get("/_mock/credentials", headers={"Authorization": "Bearer cli-admin"}).get_json()
    assert listed == {"auth": "strict", "families": {
        "haidy": {"header": "Authorization: Bearer {token}", "configured": ["acme-1"], "data": []},
        "heidi": {"header": "Heidi-Api-Key: {api_key}", "configured": [], "data": []},
        "esteem": {"header": "X-User-Token: {token}", "configured": [], "data": []}}}
    demo = create_app(Config(fixtures="demo", validate_responses=True)).test_client()
    families = demo.get("/_mock/credentials").get_json()["families"]
    assert families["haidy"]["data"] == families["heidi"]["data"] == ["demo-token"]
    assert {"your_token_here", "practice-1-supervisor", "demo-token"} <= set(families["esteem"]["data"])


def test_strict_without_an_admin_token_closes_the_admin_api_but_health(tmp_path):
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"tenants": {"acme": {"tokens": ["acme-1"]}}}))
    client = create_app(Config(auth="strict", tenants_file=str(path))).test_client()
    closed = client.post("/_mock/reset", headers={"Authorization": "Bearer anything"})
    assert closed.status_code == 401 and "The admin API is closed" in closed.get_json()["detail"]
    assert "--admin-token" in client.post("/_mock/session", json={"token": "anything"}).get_json()["detail"]
    assert client.get("/_mock/health").get_json()["auth"] == "strict"


def test_open_auth_stays_open():
    client = create_app(Config(validate_responses=True)).test_client()
    assert client.post("/_mock/reset").status_code == 200
    signed_in = client.post("/_mock/session", json={"token": "whatever"})
    assert signed_in.status_code == 204 and "Set-Cookie" not in signed_in.headers
    with pytest.raises(ValueError, match="admin tokens need auth 'strict'"):
        Config(admin_tokens=["t"])


def test_every_admin_operation_but_the_public_ones_declares_the_admin_token(strict):
    document = strict.get("/_mock/openapi.json").get_json()
    security = {op["operationId"]: op["security"] for item in document["paths"].values() for op in item.values()}
    assert {name for name, needs in security.items() if not needs} == PUBLIC
    assert all(needs == [{"adminToken": []}] for name, needs in security.items() if name not in PUBLIC)
    assert document["components"]["securitySchemes"]["adminToken"]["scheme"] == "bearer"
    reset = document["paths"]["/_mock/reset"]["post"]["responses"]
    assert "401" in reset and "401" not in document["paths"]["/_mock/health"]["get"]["responses"]
    assert "content" not in document["paths"]["/_mock/session"]["post"]["responses"]["204"]


def test_the_tenants_file_schema_takes_admin_tokens(tmp_path):
    path = tmp_path / "tenants.json"
    path.write_text(json.dumps({"tenants": {}, "admin_tokens": [""]}))
    with pytest.raises(ValueError, match="admin_tokens -> 0"):
        create_app(Config(auth="strict", tenants_file=str(path)))
    schema = create_app(Config()).extensions["mockserver"].schemas.schema("mock/tenants-file")
    assert schema["properties"]["admin_tokens"]["items"] == {"type": "string", "minLength": 1}


def test_strict_over_http_with_a_bearer_token_or_a_session(tenants_file):
    server = Served("--auth", "strict", "--config", str(tenants_file), "--admin-token", "cli-admin")
    try:
        assert requests.get(f"{server.url}/_mock/faults", timeout=10).status_code == 401
        admin = {"Authorization": "Bearer cli-admin"}
        assert requests.get(f"{server.url}/_mock/faults", headers=admin, timeout=10).json() == []
        with requests.Session() as console:
            assert console.post(f"{server.url}/_mock/session", json={"token": "file-admin"},
                                headers={"Origin": server.url}, timeout=10).status_code == 204
            assert console.get(f"{server.url}/_mock/faults", timeout=10).json() == []
        assert requests.get(f"{server.url}/_mock/health", timeout=10).json()["auth"] == "strict"
    finally:
        server.stop()


# The root URL


@pytest.mark.parametrize("accept, method, expected", [
    ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "GET", 302),  # a browser
    ("text/html", "HEAD", 302),
    ("*/*", "GET", 404),  # curl, requests
    ("application/json", "GET", 404),
    (None, "GET", 404),
    ("text/html", "POST", 404),
])
def test_a_browser_at_the_root_goes_to_the_console(client, accept, method, expected):
    answer = client.open("/", method=method, headers={"Accept": accept} if accept else {})
    assert answer.status_code == expected
    if expected == 302:
        assert answer.headers["Location"] == "/_mock/console/"
    elif method != "HEAD":
        assert answer.get_json() == {"detail": "Not Found"}


def test_the_root_redirect_over_http(served):
    browser = requests.get(f"{served.url}/", headers={"Accept": "text/html"}, allow_redirects=False, timeout=10)
    assert browser.status_code == 302 and browser.headers["Location"] == "/_mock/console/"
    assert requests.get(f"{served.url}/", timeout=10).json() == {"detail": "Not Found"}
