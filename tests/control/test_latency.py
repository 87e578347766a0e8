"""The global latency on vendor answers: `serve --latency`, and `/_mock/latency` at run time. Timings over a real
port are checked loosely: a latency makes a call at least that slow, and the admin API stays fast."""

from __future__ import annotations

import time

import pytest
import requests

from mockserver import Config, create_app
from mockserver.core import latency
from tests.support import AUTH, Served

OFF = {"min_ms": 0, "max_ms": 0, "enabled": False, "description": "off"}


@pytest.mark.parametrize("text, bounds", [
    ("250ms", (250, 250)), ("1.5s", (1500, 1500)), ("100-400ms", (100, 400)), ("100ms-1s", (100, 1000)),
    ("0.5-2s", (500, 2000)), ("0", (0, 0)), ("0ms", (0, 0)), (" 100 - 400 MS ", (100, 400)), ("60s", (60000, 60000)),
])
def test_the_grammar(text, bounds):
    assert latency.parse(text) == bounds


@pytest.mark.parametrize("text, message", [
    ("250", "needs a unit"), ("100-400", "is not a duration"), ("-5ms", "is not a duration"),
    ("400-100ms", "runs backwards"), ("61s", "between 0 and 60000 ms"), ("1m", "is not a duration"), ("", "is not"),
])
def test_what_the_grammar_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        latency.parse(text)
    with pytest.raises(ValueError, match=message):
        Config(latency=text)


def test_the_admin_api_sets_shows_and_clears_it():
    client = create_app(Config(validate_responses=True, latency="5ms")).test_client()
    assert client.get("/_mock/latency").get_json() == {"min_ms": 5, "max_ms": 5, "enabled": True,
                                                       "description": "5ms"}
    assert client.put("/_mock/latency", json={"min_ms": 1, "max_ms": 3}).get_json()["description"] == "1-3ms"
    assert client.put("/_mock/latency", json={"ms": 2}).get_json()["description"] == "2ms"
    assert client.put("/_mock/latency", json={"ms": 0}).get_json() == OFF
    assert client.put("/_mock/latency", json={"ms": 4}).status_code == 200
    assert client.delete("/_mock/latency").get_json() == OFF
    client.put("/_mock/latency", json={"ms": 4})
    client.post("/_mock/reset")
    assert client.get("/_mock/latency").get_json()["description"] == "5ms"  # back to serve --latency


@pytest.mark.parametrize("body, status, detail", [
    ({}, 400, "give ms (a fixed latency), or min_ms and max_ms (a random one)"),
    ({"min_ms": 100}, 400, "give ms (a fixed latency), or min_ms and max_ms (a random one)"),
    ({"ms": 1, "max_ms": 2}, 400, "give ms, or min_ms and max_ms, not both"),
    ({"min_ms": 400, "max_ms": 100}, 400, "latency range 400-100 ms runs backwards: give the smaller number first"),
    ({"ms": -1}, 422, None),
    ({"ms": 60001}, 422, None),
    ({"ms": "250ms"}, 422, None),
    ({"seconds": 1}, 422, None),
])
def test_bad_changes_are_refused_and_change_nothing(body, status, detail):
    client = create_app(Config(validate_responses=True)).test_client()
    client.put("/_mock/latency", json={"ms": 7})
    answer = client.put("/_mock/latency", json=body)
    assert answer.status_code == status
    if detail:
        assert answer.get_json() == {"detail": detail}
    assert client.get("/_mock/latency").get_json()["description"] == "7ms"


def test_it_is_no_fault_and_the_journal_sees_the_wait():
    client = create_app(Config(validate_responses=True, latency="30ms")).test_client()
    client.get("/v2/patient-contexts/", headers=AUTH)
    entry = client.application.extensions["mockserver"].journal.find()[0]
    assert entry.fault is None and entry.duration_ms >= 30


def timed(call) -> float:
    start = time.perf_counter()
    call().raise_for_status()
    return time.perf_counter() - start


def test_a_latency_slows_every_vendor_answer_and_never_the_admin_api():
    server = Served("--latency", "300ms", "--no-access-log")
    try:
        vendor = [timed(lambda: requests.get(f"{server.url}/v2/patient-contexts/", headers=AUTH, timeout=10)),
                  timed(lambda: requests.get(f"{server.url}/v1/patients", headers={"X-User-Token": "u"}, timeout=10))]
        admin = min(timed(lambda: requests.get(f"{server.url}/_mock/requests", timeout=10)) for _ in range(3))
        docs = min(timed(lambda: requests.get(f"{server.url}/openapi.json", timeout=10)) for _ in range(3))
        requests.put(f"{server.url}/_mock/latency", json={"ms": 0}, timeout=10).raise_for_status()
        off = min(timed(lambda: requests.get(f"{server.url}/v2/patient-contexts/", headers=AUTH, timeout=10))
                  for _ in range(3))
        requests.post(f"{server.url}/_mock/reset", timeout=10).raise_for_status()
        back = requests.get(f"{server.url}/_mock/latency", timeout=10).json()
    finally:
        server.stop()
    assert all(seconds >= 0.3 for seconds in vendor), vendor
    assert admin < 0.3 and docs < 0.3 and off < 0.3, (admin, docs, off)
    assert back["description"] == "300ms"


def test_a_random_range_stays_within_its_bounds():
    client = create_app(Config(latency="10-40ms")).test_client()
    runtime = client.application.extensions["mockserver"]
    waits = [runtime.latency.seconds() for _ in range(200)]
    assert all(0.010 <= wait <= 0.040 for wait in waits) and len(set(waits)) > 1
