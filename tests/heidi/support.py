"""Helpers of the Heidi tests: the real base path and a JWT bought with an API key."""

from __future__ import annotations

BASE = "/api/v2/ml-scribe/open-api"
DOC_PROFILE = "5eb7cf5a86d9755df3a6c593"
DOC_SESSIONS = ("1234567890", "0987654321")
"""What every new API user starts with (each its own copy): the docs' example objects."""
DOC_CONTEXT_SESSIONS = ("1234567891", "1234567892")
"""The earlier sessions the context page links (each with a consult note), made before DOC_SESSIONS."""
DOC_SESSION_COUNT = len(DOC_CONTEXT_SESSIONS) + len(DOC_SESSIONS)


def get_token(client, key: str = "heidi-key", user: str = "ehr-user-1", email: str = "dr.smith@example.com") -> str:
    resp = client.get(f"{BASE}/jwt", query_string={"email": email, "third_party_internal_id": user},
                      headers={"Heidi-Api-Key": key})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def login(client, **kwargs) -> dict:
    """Headers of a JWT for (by default) user ehr-user-1 of API key heidi-key."""
    return bearer(get_token(client, **kwargs))


def detail(resp) -> dict:
    """The `detail` of a Heidi error, after checking it is one."""
    assert resp.mimetype == "application/json", resp.get_data(as_text=True)[:200]
    body = resp.get_json()
    assert set(body) == {"detail"} and {"msg", "type"} <= set(body["detail"]), body
    return body["detail"]
