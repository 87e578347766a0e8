"""Journal, fault rules and clock: from Python (the plugin's MockServer) and over /_mock/."""

from datetime import UTC, datetime

import pytest
import requests

from tests.support import AUTH, GROUP

BODY = {"external_id": "e", "patient_group": GROUP}


def create(base, **fields):
    return requests.post(f"{base}/v2/patient-contexts/", json={**BODY, **fields}, headers=AUTH, timeout=10)


def test_journal_records_requests_and_answers(mockserver):
    create(mockserver.url)
    create(mockserver.url)
    requests.get(f"{mockserver.url}/v2/nowhere", headers=AUTH)
    requests.get(f"{mockserver.url}/_mock/health")
    first, second = mockserver.journal.assert_called("POST", "/v2/patient-contexts/", times=2)
    assert (first.status, second.status) == (200, 400)
    assert first.json() == BODY and first.operation == "create_patient_context" and first.family == "haidy"
    assert first.request_headers["Authorization"] == "Bearer test-token"
    assert '"external_id":"e"' in first.response_body
    assert [e.path for e in mockserver.journal.find(status=404)] == ["/v2/nowhere"]
    assert mockserver.journal.find(path="/_mock/*") == []
    mockserver.journal.assert_not_called("GET", "/v2/patient-contexts/*")
    with pytest.raises(AssertionError, match="called 2 times, expected 1"):
        mockserver.journal.assert_called("POST", "/v2/patient-contexts/", times=1)


def test_journal_over_http(mockserver):
    create(mockserver.url)
    listed = requests.get(f"{mockserver.url}/_mock/requests", params={"method": "post", "status": 200}).json()
    assert [(e["method"], e["path"], e["status"]) for e in listed] == [("POST", "/v2/patient-contexts/", 200)]
    assert requests.delete(f"{mockserver.url}/_mock/requests").json() == {"status": "cleared"}
    assert requests.get(f"{mockserver.url}/_mock/requests").json() == []


def test_the_nth_call_fails_once_in_the_familys_shape(mockserver):
    rule = mockserver.fault(method="POST", path="/v2/patient-contexts/", after=1, status=503)
    assert create(mockserver.url, external_id="a").status_code == 200
    failed = create(mockserver.url, external_id="b")
    assert failed.status_code == 503 and failed.json() == {"detail": f"Injected fault {rule.id}"}
    assert create(mockserver.url, external_id="b").status_code == 200
    assert (rule.matched, rule.fired) == (3, 1)
    assert mockserver.journal.find(status=503)[0].fault == rule.id


def test_counted_rule_with_custom_body_and_header_match(mockserver):
    mockserver.fault(path="/v2/*", headers={"X-Scenario": "outage*"}, times=2, status=500, body={"detail": "down"})
    outage = {**AUTH, "X-Scenario": "outage-1"}
    results = [requests.get(f"{mockserver.url}/v2/patient-contexts/", headers=outage).status_code for _ in range(3)]
    assert results == [500, 500, 200]
    assert requests.get(f"{mockserver.url}/v2/patient-contexts/", headers=AUTH).status_code == 200


def test_rate_limit_with_retry_after_over_http(mockserver):
    added = requests.post(f"{mockserver.url}/_mock/faults", json={"path": "/v2/patient-contexts/", "retry_after": 7})
    assert added.status_code == 201
    limited = requests.get(f"{mockserver.url}/v2/patient-contexts/", headers=AUTH)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    rules = requests.get(f"{mockserver.url}/_mock/faults").json()
    assert rules[0]["fired"] == 1
    assert requests.delete(f"{mockserver.url}/_mock/faults/{rules[0]['id']}").json() == {"status": "removed"}
    assert requests.delete(f"{mockserver.url}/_mock/faults/{rules[0]['id']}").status_code == 404


def test_latency_delays_a_normal_answer(mockserver):
    mockserver.fault(path="/v2/patient-contexts/", latency_ms=300)
    response = requests.get(f"{mockserver.url}/v2/patient-contexts/", headers=AUTH)
    assert response.status_code == 200 and response.elapsed.total_seconds() >= 0.3


def test_bad_rules_are_400_or_422(mockserver):
    assert requests.post(f"{mockserver.url}/_mock/faults", json={"path": "/x"}).status_code == 400
    assert requests.post(f"{mockserver.url}/_mock/faults", json={"status": 42}).status_code == 422


def test_frozen_clock_drives_timestamps_and_reset_unfreezes(mockserver):
    mockserver.clock.freeze(datetime(2024, 1, 15, 10, 30, tzinfo=UTC))
    assert create(mockserver.url).json()["created_at"] == "2024-01-15T10:30:00Z"
    changed = requests.post(f"{mockserver.url}/_mock/clock", json={"advance_seconds": 3600}).json()
    assert changed == {"now": "2024-01-15T11:30:00Z", "frozen": True}
    assert create(mockserver.url, external_id="later").json()["created_at"] == "2024-01-15T11:30:00Z"
    mockserver.reset()
    assert requests.get(f"{mockserver.url}/_mock/clock").json()["frozen"] is False
    assert mockserver.journal.find() == [] and mockserver.runtime.faults.rules() == []


def test_freeze_at_over_http(mockserver):
    frozen = requests.post(f"{mockserver.url}/_mock/clock", json={"freeze": True, "at": "2030-05-01T00:00:00Z"}).json()
    assert frozen == {"now": "2030-05-01T00:00:00Z", "frozen": True}
    assert requests.post(f"{mockserver.url}/_mock/clock", json={"unfreeze": True}).json()["frozen"] is False
