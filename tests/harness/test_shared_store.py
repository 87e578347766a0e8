"""`serve --workers 2 --store redis://...`: two real worker processes on a real Redis serve one world.

Each rule of the shared store, over HTTP, with requests spread over both workers (a fresh connection per request,
so the kernel hands them to either worker's accept).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.redis_server import RedisServer, needs_redis
from tests.support import AUTH, GROUP, Served

pytestmark = needs_redis

ROUNDS = 40


def _fresh(method: str, url: str, **kwargs) -> requests.Response:
    """One request on a connection of its own: either worker may take it."""
    with requests.Session() as session:
        return session.request(method, url, headers={**AUTH, "Connection": "close", **kwargs.pop("headers", {})},
                               timeout=30, **kwargs)


def _together(count: int, call) -> list:
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda n: call(n), range(count)))


def _store(server: RedisServer) -> str:
    return f"{server.url}?prefix=w{uuid.uuid4().hex[:10]}"


@pytest.fixture
def two_workers(redis_server):
    served = Served("--workers", "2", "--store", _store(redis_server), "--task-timing", "instant", "--no-access-log")
    _wait_for_both(served)
    yield served
    code, output = served.stop()
    assert code == 0, output


def _wait_for_both(served: Served) -> set[int]:
    """Both workers answer (a respawned or slow one included), as their process ids in /_mock/health say."""
    seen: set[int] = set()
    deadline = time.monotonic() + 30
    while len(seen) < 2:
        assert time.monotonic() < deadline, f"only workers {seen} answered"
        seen |= {r.json()["worker"] for r in _together(8, lambda _: _fresh("GET", f"{served.url}/_mock/health"))}
    return seen


def _contexts(served: Served, external_id: str) -> list[dict]:
    """The tenant's contexts of this external_id, as the state export holds them."""
    state = _fresh("GET", f"{served.url}/_mock/state").json()
    held = state["tenants"].get("test-token", {}).get("haidy", {}).get("patient_contexts", [])
    return [c for c in held if c["external_id"] == external_id]


def _create(served: Served, external_id: str) -> requests.Response:
    return _fresh("POST", f"{served.url}/v2/patient-contexts/", json={"external_id": external_id,
                                                                      "patient_group": GROUP})


def test_forty_concurrent_creates_of_one_external_id_give_exactly_one_context(two_workers):
    answers = _together(ROUNDS, lambda _: _create(two_workers, "SAME-1"))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [400] * (ROUNDS - 1), statuses
    assert all("already exists" in a.json()["detail"] for a in answers if a.status_code == 400)
    assert len(_contexts(two_workers, "SAME-1")) == 1


def test_a_done_task_result_is_fetched_once_however_many_workers_poll(two_workers):
    task = _fresh("POST", f"{two_workers.url}/v2/structure/text", json={"inputs": ["Metformin 500 mg daily"]}).json()
    assert task["status"] == "DONE"
    polls = _together(10, lambda _: _fresh("POST", f"{two_workers.url}/v2/tasks", json={"task_id": task["task_id"]}))
    assert sorted(p.status_code for p in polls) == [200] + [404] * 9
    (done,) = [p.json() for p in polls if p.status_code == 200]
    assert "Metformin" in str(done["result"]["patient_structured_output"]), done


def test_a_fault_fires_once_across_workers_and_after_counts_every_workers_calls(two_workers):
    url = two_workers.url
    _fresh("POST", f"{url}/_mock/faults", json={"method": "GET", "path": "/v2/patient-contexts/*", "status": 503,
                                                "times": 1})
    answers = _together(20, lambda _: _fresh("GET", f"{url}/v2/patient-contexts/nope"))
    assert sorted(a.status_code for a in answers) == [404] * 19 + [503]
    _fresh("DELETE", f"{url}/_mock/faults")
    _fresh("POST", f"{url}/_mock/faults", json={"path": "/v2/patient-contexts/*", "status": 500, "after": 3})
    statuses = [_fresh("GET", f"{url}/v2/patient-contexts/nope").status_code for _ in range(6)]
    assert statuses == [404, 404, 404, 500, 404, 404]
    (rule,) = _fresh("GET", f"{url}/_mock/faults").json()
    assert (rule["matched"], rule["fired"]) == (6, 1)


def test_a_frozen_clock_is_frozen_for_every_worker(two_workers):
    url = two_workers.url
    _fresh("POST", f"{url}/_mock/clock", json={"freeze": True, "at": "2024-01-15T10:30:00Z"})
    nows = {_fresh("GET", f"{url}/_mock/clock").json()["now"] for _ in range(10)}
    assert nows == {"2024-01-15T10:30:00Z"}
    _fresh("POST", f"{url}/_mock/clock", json={"advance_seconds": 60})
    created = _together(10, lambda n: _create(two_workers, f"clock-{n}").json()["created_at"])
    assert set(created) == {"2024-01-15T10:31:00Z"}


def test_the_journal_holds_every_workers_requests_in_order_of_arrival(two_workers):
    url = two_workers.url
    _fresh("DELETE", f"{url}/_mock/requests")
    _together(ROUNDS, lambda n: _create(two_workers, f"journal-{n}"))
    for n in range(5):  # one after another: their order is known
        _create(two_workers, f"ordered-{n}")
    entries = _fresh("GET", f"{url}/_mock/requests").json()
    ids = [entry["id"] for entry in entries]
    assert len(entries) == ROUNDS + 5 and ids == sorted(ids)
    assert [e["request_body"] for e in entries[-5:]] == [
        f'{{"external_id": "ordered-{n}", "patient_group": "{GROUP}"}}' for n in range(5)]


def test_a_reset_empties_the_world_for_every_worker(two_workers):
    url = two_workers.url
    _together(10, lambda n: _create(two_workers, f"reset-{n}"))
    assert _fresh("POST", f"{url}/_mock/reset").status_code == 200
    assert _contexts(two_workers, "reset-1") == []
    assert _create(two_workers, "reset-1").status_code == 200


def test_a_task_survives_the_death_of_the_worker_that_created_it(redis_server):
    served = Served("--workers", "2", "--store", _store(redis_server), "--task-seconds", "1.5", "--no-access-log")
    try:
        workers = _wait_for_both(served)
        task = _fresh("POST", f"{served.url}/v2/structure/text", json={"inputs": ["Aspirin 100 mg"]})
        assert task.status_code == 200
        created_by = task.json()  # the structure/text answer is DONE at once; start a real, realtime one too
        started = _fresh("POST", f"{served.url}/v2/structure", json={"new_records": [
            {"source": {"type": "plain_text", "text": "Aspirin 100 mg daily"}}]}).json()
        assert started["status"] == "QUEUED", created_by
        for pid in workers:  # every worker that answered dies; granian starts new ones
            os.kill(pid, signal.SIGKILL)
        deadline, status = time.monotonic() + 30, None
        while status != "DONE":
            assert time.monotonic() < deadline, f"the task never finished: {status}"
            try:
                polled = _fresh("POST", f"{served.url}/v2/tasks", json={"task_id": started["task_id"]})
            except requests.ConnectionError:  # no worker is up yet
                time.sleep(0.2)
                continue
            assert polled.status_code == 200, polled.text
            status = polled.json()["status"]
            time.sleep(0.2)
        assert "Aspirin" in str(polled.json()["result"]["patient_structured_output"])
        assert _wait_for_both(served).isdisjoint(workers)
    finally:
        served.stop()


def test_redis_down_answers_503_in_the_family_shape_and_the_mock_recovers_by_itself():
    redis = RedisServer(persist=True)
    served = Served("--workers", "2", "--store", _store(redis), "--no-access-log")
    try:
        kept = _create(served, "before-outage").json()
        redis.stop()
        down = _create(served, "during-outage")
        assert down.status_code == 503
        assert "unavailable" in down.json()["detail"]  # Haidy's error shape: {"detail": ...}
        heidi = _fresh("GET", f"{served.url}/api/v2/ml-scribe/open-api/jwt", headers={"Heidi-Api-Key": "k"},
                       params={"email": "a@b.c", "third_party_internal_id": "u"})
        assert heidi.status_code == 503 and heidi.json()["detail"]["type"] == "ServiceUnavailable", heidi.text
        health = _fresh("GET", f"{served.url}/_mock/health").json()
        assert health["store"]["kind"] == "redis" and health["store"]["reachable"] is False
        redis.start()
        deadline = time.monotonic() + 20
        while (again := _create(served, "after-outage")).status_code != 200:
            assert time.monotonic() < deadline, again.text
            time.sleep(0.2)
        got = _fresh("GET", f"{served.url}/v2/patient-contexts/{kept['id']}")
        assert got.status_code == 200 and got.json()["external_id"] == "before-outage"
        assert _create(served, "during-outage").status_code == 200  # nothing of the refused create was written
    finally:
        served.stop()
        redis.close()


def test_the_world_survives_a_restart_of_the_mock(redis_server):
    store = _store(redis_server)
    first = Served("--store", store, "--no-access-log")
    try:
        kept = _create(first, "survivor").json()
        _fresh("POST", f"{first.url}/_mock/faults", json={"path": "/nowhere", "status": 500})
    finally:
        assert first.stop()[0] == 0
    second = Served("--store", store, "--workers", "2", "--no-access-log")
    try:
        got = _fresh("GET", f"{second.url}/v2/patient-contexts/{kept['id']}")
        assert got.status_code == 200 and got.json() == kept
        assert [rule["path"] for rule in _fresh("GET", f"{second.url}/_mock/faults").json()] == ["/nowhere"]
    finally:
        second.stop()


def test_two_prefixes_on_one_redis_are_two_worlds(redis_server):
    one, other = Served("--store", _store(redis_server)), Served("--store", _store(redis_server))
    try:
        assert _create(one, "mine").status_code == 200
        assert _create(other, "mine").status_code == 200  # no duplicate: the other world has none
        assert len(_contexts(one, "mine")) == len(_contexts(other, "mine")) == 1
    finally:
        one.stop()
        other.stop()
