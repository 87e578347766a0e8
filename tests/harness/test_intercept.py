"""Interception: requests and httpx calls to the vendors' real hosts reach the fake in-process."""

import asyncio
import runpy

import httpx
import pytest
import requests
from requests.adapters import HTTPAdapter

import mockserver
from tests.support import AUTH, GROUP, ROOT

BODY = {"external_id": "patient-12345", "patient_group": GROUP, "name": "John Doe"}


def test_requests_to_the_vendor_host_reach_the_fake():
    with mockserver.intercept() as mock:
        created = requests.post("https://api.44ai.ch/v2/patient-contexts/", json=BODY, headers=AUTH)
        assert created.status_code == 200 and created.reason == "OK"
        assert created.json()["external_id"] == "patient-12345"
        again = requests.post("https://api.44ai.ch/v2/patient-contexts/", json=BODY, headers=AUTH)
        with pytest.raises(requests.HTTPError, match="400"):
            again.raise_for_status()
        mock.journal.assert_called("POST", "/v2/patient-contexts/", times=2)


def test_other_hosts_are_untouched(served):
    original = HTTPAdapter.send
    with mockserver.intercept() as mock:
        assert requests.get(f"{served.url}/_mock/health").json()["status"] == "ok"
        assert mock.journal.find() == []
    assert HTTPAdapter.send is original


def test_httpx_sync_and_async():
    with mockserver.intercept() as mock:
        with httpx.Client(base_url="https://api.44ai.ch") as client:
            assert client.post("/v2/patient-contexts/", json=BODY, headers=AUTH).status_code == 200

        async def listing():
            async with httpx.AsyncClient() as client:
                return await client.get("https://api.44ai.ch/v2/patient-contexts/", headers=AUTH)

        listed = asyncio.run(listing())
        assert [c["external_id"] for c in listed.json()] == ["patient-12345"]
        assert len(mock.journal.find(family="haidy")) == 2


def test_faults_apply_to_intercepted_calls():
    with mockserver.intercept() as mock:
        mock.fault(path="/v2/patient-contexts/", method="GET", drop=True, times=2)
        with pytest.raises(requests.ConnectionError):
            requests.get("https://api.44ai.ch/v2/patient-contexts/", headers=AUTH)
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get("https://api.44ai.ch/v2/patient-contexts/", headers=AUTH)
        assert requests.get("https://api.44ai.ch/v2/patient-contexts/", headers=AUTH).json() == []


def test_the_docs_example_runs_wholly_unchanged_under_interception(capsys):
    example = ROOT / "tests" / "haidy" / "doc_examples" / "haidy_patient_contexts.py"
    with mockserver.intercept() as mock:
        runpy.run_path(str(example), run_name="__main__")
        out = capsys.readouterr().out
        assert "✅ Created patient context: ctx_" in out
        created = mock.journal.assert_called("POST", "/v2/patient-contexts/", times=1)[0]
        assert created.request_headers["Authorization"] == "Bearer YOUR_API_TOKEN"
        assert created.request_headers["Host"] == "api.44ai.ch"


def test_the_fixture_shares_the_session_mock(mockserver_intercept, mockserver):
    requests.post("https://api.44ai.ch/v2/patient-contexts/", json=BODY, headers=AUTH).raise_for_status()
    listed = requests.get(f"{mockserver.url}/v2/patient-contexts/", headers=AUTH).json()
    assert [c["external_id"] for c in listed] == ["patient-12345"]
    assert mockserver_intercept.app is mockserver.app


@pytest.mark.parametrize("url", ["https://api.heidihealth.com/api/v2/ml-scribe/open-api/jwt",
                                 "https://44ai.ch/v2/patient-contexts/", "https://staging.api.esteem.health/v1/patients"])
def test_a_wrong_guess_at_a_vendor_host_fails_loudly_instead_of_reaching_the_network(url):
    with mockserver.intercept() as mock:
        with pytest.raises(mockserver.NotIntercepted, match="Intercepted: api.44ai.ch, api.esteem.health, haidy.ch, "
                                                          "registrar.api.heidihealth.com"):
            requests.get(url, timeout=5)
        with pytest.raises(mockserver.NotIntercepted, match=r"intercept\(allow_hosts="):
            httpx.get(url, timeout=5)
        assert mock.journal.find() == []


def test_an_allowed_vendor_host_goes_to_the_network(monkeypatch):
    sent = []

    def network(adapter, request, **kwargs):  # stands in for the real network: no request leaves the machine
        sent.append(request.url)
        response = requests.Response()
        response.status_code, response._content, response.request = 204, b"", request
        return response

    monkeypatch.setattr(HTTPAdapter, "send", network)
    with mockserver.intercept(allow_hosts=["staging.api.44ai.ch"]):
        assert requests.get("https://staging.api.44ai.ch/health", timeout=5).status_code == 204
        assert requests.post("https://api.44ai.ch/v2/patient-contexts/", json=BODY, headers=AUTH).status_code == 200
    assert sent == ["https://staging.api.44ai.ch/health"]
