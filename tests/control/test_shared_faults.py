"""`RedisFaults`: fault rules and their counters shared by every worker on a Redis. A "second worker" is a second
`RedisFaults` on its own client; threads on both stand for concurrent requests."""

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from werkzeug.datastructures import Headers

from mockserver.control.faults import FaultRule, Faults, RedisFaults

NO_HEADERS = Headers()


@pytest.fixture
def workers(redis_link, other_link):
    return RedisFaults(redis_link), RedisFaults(other_link)


def fire_concurrently(workers, calls_each: int, threads: int = 8, path: str = "/v2/x") -> list[FaultRule | None]:
    """`fire` from `threads` threads spread over the workers, all starting together; every call's answer."""
    start = threading.Barrier(threads)

    def calls(worker):
        start.wait()
        return [worker.fire("POST", path, NO_HEADERS) for _ in range(calls_each)]

    with ThreadPoolExecutor(threads) as pool:
        return [answer for answers in pool.map(calls, [*workers] * (threads // len(workers))) for answer in answers]


def counters(worker) -> list[tuple[str, int, int]]:
    return [(rule.id, rule.matched, rule.fired) for rule in worker.rules()]


def test_a_rule_added_on_one_worker_fires_on_the_other_with_its_answer(workers):
    first, second = workers
    rule = first.add(FaultRule(method="post", path="/v2/*", status=503, body={"detail": "down"}, times=None))
    assert rule.id == "fault-1" and rule.method == "POST"
    fired = second.fire("POST", "/v2/x", NO_HEADERS)
    assert (fired.id, fired.status, fired.body) == ("fault-1", 503, {"detail": "down"})
    assert (fired.matched, fired.fired) == (1, 1)
    assert second.rules()[0].to_json() == {**rule.to_json(), "matched": 1, "fired": 1}


def test_times_one_fires_exactly_once_over_every_worker_and_thread(workers):
    first, second = workers
    first.add(FaultRule(path="/v2/*", status=500))
    answers = fire_concurrently(workers, calls_each=25)
    assert len([a for a in answers if a is not None]) == 1
    assert counters(second) == [("fault-1", 200, 1)]


def test_times_two_fires_exactly_twice_under_concurrency(workers):
    workers[1].add(FaultRule(path="/v2/*", status=500, times=2))
    answers = fire_concurrently(workers, calls_each=25)
    assert len([a for a in answers if a is not None]) == 2
    assert counters(workers[0]) == [("fault-1", 200, 2)]


def test_after_three_lets_exactly_three_calls_through_counting_every_worker(workers):
    first, second = workers
    first.add(FaultRule(path="/v2/*", status=503, after=3, times=None))
    answers = [(first, second)[call % 2].fire("POST", "/v2/x", NO_HEADERS) for call in range(8)]
    assert [a is not None for a in answers] == [False] * 3 + [True] * 5
    assert [(a.matched, a.fired) for a in answers[3:]] == [(4, 1), (5, 2), (6, 3), (7, 4), (8, 5)]


def test_after_three_under_concurrency(workers):
    workers[0].add(FaultRule(path="/v2/*", status=503, after=3, times=None))
    answers = fire_concurrently(workers, calls_each=20)
    assert len([a for a in answers if a is None]) == 3
    assert counters(workers[1]) == [("fault-1", 160, 157)]


def test_times_none_fires_every_time(workers):
    workers[0].add(FaultRule(path="/v2/*", latency_ms=5, times=None))
    answers = fire_concurrently(workers, calls_each=10, threads=4)
    assert all(a is not None and a.latency_ms == 5 for a in answers) and len(answers) == 40
    assert counters(workers[1]) == [("fault-1", 40, 40)]


def test_the_first_rule_due_fires_and_every_matching_rule_counts(workers):
    first, second = workers
    first.add(FaultRule(path="/v2/*", status=500, after=1, times=1))
    second.add(FaultRule(path="/v2/*", status=503, times=None))
    first.add(FaultRule(path="/v1/*", status=502, times=None))
    fired = [(first, second)[call % 2].fire("GET", "/v2/x", NO_HEADERS).id for call in range(4)]
    assert fired == ["fault-2", "fault-1", "fault-2", "fault-2"]
    assert counters(second) == [("fault-1", 4, 1), ("fault-2", 4, 3), ("fault-3", 0, 0)]


def test_method_path_and_header_globs(workers):
    first, second = workers
    first.add(FaultRule(method="post", path="/v2/*", headers={"X-Scenario": "outage*"}, status=500, times=None))
    outage = Headers({"x-scenario": "outage-eu"})
    assert second.fire("GET", "/v2/x", outage) is None
    assert second.fire("POST", "/v1/x", outage) is None
    assert second.fire("POST", "/v2/x", NO_HEADERS) is None
    assert second.fire("POST", "/v2/x", Headers({"X-Scenario": "normal"})) is None
    assert second.fire("POST", "/v2/x", outage).id == "fault-1"
    assert counters(first) == [("fault-1", 1, 1)]  # calls that do not match are not counted


def test_remove_and_clear_are_seen_by_the_other_worker(workers):
    first, second = workers
    kept = first.add(FaultRule(path="/a", status=500, times=None))
    removed = first.add(FaultRule(path="/b", status=500, times=None))
    assert second.fire("GET", "/b", NO_HEADERS).id == removed.id  # the other worker has read (and cached) them
    assert first.remove(removed.id) is True
    assert second.remove(removed.id) is False and second.remove("fault-99") is False
    assert second.fire("GET", "/b", NO_HEADERS) is None
    assert [rule.id for rule in second.rules()] == [kept.id]
    assert second.fire("GET", "/a", NO_HEADERS).id == kept.id
    first.clear()
    assert second.fire("GET", "/a", NO_HEADERS) is None and second.rules() == []
    assert second.add(FaultRule(path="/a", status=500)).id == "fault-3"  # ids go on after a clear, as in Faults


def test_a_rule_removed_while_a_worker_still_has_it_cached_does_not_fire(workers, redis_link):
    """The race between another worker's remove and this worker's read of the rules: the count itself checks."""
    first, second = workers
    first.add(FaultRule(path="/a", status=500, times=None))
    second.add(FaultRule(path="/a", status=503, times=None))
    assert first.fire("GET", "/a", NO_HEADERS).id == "fault-1"
    redis_link.redis.hdel(redis_link.key("faults", "rules"), "fault-1")  # removed, as far as the cache can tell not
    assert first.fire("GET", "/a", NO_HEADERS).id == "fault-2"
    assert counters(second) == [("fault-2", 2, 1)]
    assert redis_link.redis.hget(redis_link.key("faults", "matched"), "fault-1") == b"1"  # not counted again


def test_ids_are_unique_across_workers_and_rules_list_in_the_order_added(workers):
    start = threading.Barrier(8)

    def add(worker):
        start.wait()
        return [worker.add(FaultRule(path="/x", status=500)).id for _ in range(10)]

    with ThreadPoolExecutor(8) as pool:
        ids = [rule_id for added in pool.map(add, [*workers] * 4) for rule_id in added]
    assert sorted(ids) == sorted(f"fault-{n}" for n in range(1, 81))
    assert [rule.id for rule in workers[0].rules()] == [f"fault-{n}" for n in range(1, 81)]


def test_a_request_costs_one_get_without_rules_or_without_a_match(workers, redis_link, monkeypatch):
    faults = workers[0]
    sent = []
    client = redis_link.redis
    execute = client.execute_command
    monkeypatch.setattr(client, "execute_command", lambda *args, **kw: sent.append(args[0]) or execute(*args, **kw))
    assert faults.fire("GET", "/v2/x", NO_HEADERS) is None and sent == ["GET"]
    workers[1].add(FaultRule(path="/v1/*", status=500, times=None))
    faults.fire("GET", "/v2/x", NO_HEADERS)  # reads the changed rules once
    faults.fire("GET", "/v1/x", NO_HEADERS)  # a fresh redis-server loads the script once (NOSCRIPT, SCRIPT LOAD)
    sent.clear()
    assert faults.fire("GET", "/v2/x", NO_HEADERS) is None and sent == ["GET"]
    assert faults.fire("GET", "/v1/x", NO_HEADERS).id == "fault-1" and sent == ["GET", "GET", "EVALSHA"]


def test_a_rule_keeps_every_field_through_the_store(workers):
    first, second = workers
    rule = first.add(FaultRule(method="PUT", path="/v2/*/x", headers={"A": "b*"}, after=2, times=3, body=[1, "x"],
                               response_headers={"X-Y": "z"}, retry_after=7, latency_ms=20, drop="cut",
                               task_error={"error": "E", "details": "d"}))
    assert second.rules()[0].to_json() == rule.to_json()
    assert second.rules()[0].status == 429


def fault_steps(rng: random.Random, count: int):
    """A random sequence of add, fire, remove, clear and rules calls over a few paths and headers."""
    added = 0
    for _ in range(count):
        kind = rng.choices(["add", "fire", "remove", "clear", "rules"], weights=[4, 12, 2, 0.3, 1])[0]
        if kind == "add":
            added += 1
            yield kind, dict(method=rng.choice([None, "GET", "POST"]), path=rng.choice(["/a*", "/ab", "*"]),
                             headers=rng.choice([{}, {"X-S": "o*"}]), after=rng.randrange(4),
                             times=rng.choice([None, 1, 2, 3]), status=500)
        elif kind == "fire":
            yield kind, (rng.choice(["GET", "POST"]), rng.choice(["/ab", "/ac", "/b"]),
                         rng.choice([NO_HEADERS, Headers({"X-S": "on"})]))
        elif kind == "remove":
            yield kind, f"fault-{rng.randrange(1, added + 2)}"  # mostly rules added, some removed, one never
        else:
            yield kind, None


def run_steps(faults, steps, workers=None) -> list:
    """Every call's answer, as plain data; with `workers`, each call goes to one of them in turn."""
    answers = []
    for index, (kind, value) in enumerate(steps):
        target = faults if workers is None else workers[index % len(workers)]
        if kind == "add":
            answers.append(target.add(FaultRule(**value)).to_json())
        elif kind == "fire":
            rule = target.fire(*value)
            answers.append(None if rule is None else rule.to_json())
        elif kind == "remove":
            answers.append(target.remove(value))
        elif kind == "clear":
            answers.append(target.clear())
        else:
            answers.append([rule.to_json() for rule in target.rules()])
    return answers


@pytest.mark.parametrize("seed", range(5))
def test_the_same_calls_give_the_same_answers_as_the_memory_faults(workers, seed):
    steps = list(fault_steps(random.Random(seed), 300))
    assert run_steps(None, steps, workers) == run_steps(Faults(), steps)
