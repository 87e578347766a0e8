"""Credentials in the journal: masked by the admin API unless `?reveal=true`; as sent in the in-process journal."""

from __future__ import annotations

import json

import pytest
import requests

from mockserver.control.journal import mask, masked
from tests.support import GROUP

LONG = "live-token-0123456789-wxyz"
HEIDI = "/api/v2/ml-scribe/open-api"


def journal(mockserver, **params) -> list[dict]:
    answer = requests.get(f"{mockserver.url}/_mock/requests", params=params, timeout=10)
    answer.raise_for_status()
    return answer.json()


def test_the_admin_api_masks_credentials_and_reveals_them_when_asked(mockserver):
    requests.post(f"{mockserver.url}/v2/patient-contexts/?access_token={LONG}&external_id=x", timeout=10,
                  json={"external_id": "masked", "patient_group": GROUP},
                  headers={"Authorization": f"Bearer {LONG}", "Cookie": f"session={LONG}; theme=dark",
                           "X-Trace": "not-a-secret"})
    requests.get(f"{mockserver.url}/v1/patients", headers={"X-User-Token": "short"}, timeout=10)
    jwt = requests.get(f"{mockserver.url}{HEIDI}/jwt", headers={"Heidi-Api-Key": "clinic-api-key-0001"}, timeout=10,
                       params={"email": "a@example.com", "third_party_internal_id": "a"}).json()["token"]

    haidy, esteem, heidi = journal(mockserver)
    assert haidy["request_headers"]["Authorization"] == "Bearer ****wxyz"
    assert haidy["request_headers"]["Cookie"] == "session=****wxyz; theme=****"
    assert haidy["request_headers"]["X-Trace"] == "not-a-secret"
    assert haidy["query"] == "access_token=****wxyz&external_id=x"
    assert json.loads(haidy["request_body"]) == {"external_id": "masked", "patient_group": GROUP}
    assert esteem["request_headers"]["X-User-Token"] == "****"  # too short for a hint
    assert heidi["request_headers"]["Heidi-Api-Key"] == "****0001"
    assert heidi["query"] == "email=a%40example.com&third_party_internal_id=a"
    assert json.loads(heidi["response_body"])["token"] == f"****{jwt[-4:]}"  # the JWT it bought
    assert LONG not in json.dumps([haidy, esteem, heidi]) and jwt not in heidi["response_body"]

    revealed = journal(mockserver, reveal="true")
    assert revealed[0]["request_headers"]["Authorization"] == f"Bearer {LONG}"
    assert revealed[2]["request_headers"]["Heidi-Api-Key"] == "clinic-api-key-0001"
    assert json.loads(revealed[2]["response_body"])["token"] == jwt
    assert journal(mockserver, reveal="false") == [haidy, esteem, heidi]
    # the plugin's in-process journal keeps them as sent, for tests' assertions
    assert mockserver.journal.find()[0].request_headers["Authorization"] == f"Bearer {LONG}"


def test_a_bad_reveal_is_refused(mockserver):
    answer = requests.get(f"{mockserver.url}/_mock/requests", params={"reveal": "maybe"}, timeout=10)
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "reveal"]


@pytest.mark.parametrize("secret, shown", [
    ("Bearer abc", "Bearer ****"),
    (f"Bearer {LONG}", "Bearer ****wxyz"),
    (LONG, "****wxyz"),
    ("", "****"),
    ('0123456789abcd\\"', "****"),  # no half of a JSON escape
])
def test_mask(secret, shown):
    assert mask(secret) == shown


def test_only_secret_names_are_masked_in_bodies():
    body = json.dumps({"token": LONG, "password": "p", "client_secret": "s", "api_key": "k", "authoredOn": "2024-01-01",
                       "identity_signature": "med_x", "session_id": "123", "keyword": "w", "nested": {"x-auth": "a"}})
    entry = {"request_headers": {"Sec-Fetch-Site": "same-origin", "X-Api-Key": "k", "Authorization": "t"},
             "query": "key=1&monkey=2&page=3", "request_body": body, "response_body": body[:30]}
    out = masked(entry)
    shown = json.loads(out["request_body"])
    assert shown == {"token": "****wxyz", "password": "****", "client_secret": "****", "api_key": "****",
                     "authoredOn": "2024-01-01", "identity_signature": "med_x", "session_id": "123", "keyword": "w",
                     "nested": {"x-auth": "****"}}
    assert out["request_headers"] == {"Sec-Fetch-Site": "same-origin", "X-Api-Key": "****", "Authorization": "****"}
    assert out["query"] == "key=****&monkey=2&page=3"
    assert out["response_body"] == '{"token": "****4567'  # cut at the journal's limit inside it: masked too
    assert entry["request_headers"]["X-Api-Key"] == "k"  # the entry itself is left alone


def test_the_coverage_command_reads_a_masked_journal(mockserver, capsys):
    from mockserver.harness import cli

    requests.get(f"{mockserver.url}/v2/patient-contexts/", headers={"Authorization": f"Bearer {LONG}"}, timeout=10)
    assert cli.main(["coverage", "--base-url", mockserver.url, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report  # built from method, path, status and operation, which masking leaves alone
