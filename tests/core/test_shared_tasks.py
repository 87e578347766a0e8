"""Tasks in the shared store: two engines with their own Redis clients on one prefix stand in for two worker
processes (and real processes do, once); every rule of the in-memory engine holds across them."""

import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor, wait
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import NotFound
from mockserver.core.shared import RedisLink
from mockserver.core.shared_tasks import RedisTaskEngine
from mockserver.core.tasks import TIMINGS, TaskEngine, TaskFailure, TooManyTasks

START = datetime(2024, 12, 22, 10, 30, tzinfo=UTC)
DOCS = ["DOCUMENT_DOWNLOAD_DONE", "DOCUMENT_PARSING_DONE"]
MANY_STEPS = [f"STEP_{n}_DONE" for n in range(80)]
"""A long path: every concurrent per-poll poll must land on a step of its own."""


@pytest.fixture
def clock():
    clock = Clock()
    clock.freeze(START)
    return clock


@pytest.fixture
def workers(redis_link, other_link, clock):
    """Two engines, one per link: `workers(timing=...)` gives (first, second)."""

    def make(**options):
        return tuple(RedisTaskEngine(clock, link=link, **options) for link in (redis_link, other_link))

    return make


def fail_download():
    raise TaskFailure("Unable to download document from URL", "Connection timeout after 30s")


# --- every view as the in-memory engine gives it ---------------------------------------------------------------

SCENARIOS = {
    "result": {"work": lambda: {"bundle": [1, 2.5, "é", None], "nested": {"b": 1, "a": 2}}},
    "failure": {"work": fail_download},
    "crash": {"work": lambda: 1 / 0},
    "injected": {"work": lambda: "fine", "injected": TaskFailure("Injected", "by a fault rule")},
}


def record(engine, clock, scenario: str) -> str:
    """Submit, then peek and poll as the clock moves, then a synchronous task: all that was seen, as JSON text."""
    task = engine.submit("t", DOCS, **SCENARIOS[scenario])
    wait([task.outcome])  # the in-memory engine's realtime work runs on a pool: let it finish, as Redis's has
    seen = [task.view()]
    for _ in range(9):
        clock.advance(0.7)
        seen.append(engine.peek())
        try:
            seen.append(engine.poll("t", task.id))
        except NotFound as exc:
            seen.append(["gone", exc.status, exc.message])
    done_at_once = engine.finished_view("t", [], {"sync": True})
    seen += [done_at_once, engine.peek(), engine.poll("t", done_at_once["task_id"]), len(engine)]
    text = json.dumps(seen)
    for number, task_id in enumerate((task.id, done_at_once["task_id"])):
        text = text.replace(task_id, f"<task {number}>")
    return text


@pytest.mark.parametrize("scenario", SCENARIOS)
@pytest.mark.parametrize("retention", ["once", "keep"])
@pytest.mark.parametrize("timing", TIMINGS)
def test_every_view_is_the_in_memory_engines_byte_for_byte(redis_link, timing, retention, scenario):
    options = {"timing": timing, "retention": retention, "duration": 4.0}
    seen = {}
    for name, make in {"memory": lambda clock: TaskEngine(clock, **options),
                       "redis": lambda clock: RedisTaskEngine(clock, link=redis_link, **options)}.items():
        clock = Clock()
        clock.freeze(START)
        seen[name] = record(make(clock), clock, scenario)
    assert seen["redis"] == seen["memory"]
    assert "DONE" in seen["redis"] or "FAILED" in seen["redis"]


# --- one world for every worker -------------------------------------------------------------------------------


def test_a_task_one_worker_created_is_polled_to_the_end_by_the_other(workers, clock):
    first, second = workers(timing="per-poll")
    gate = threading.Lock()  # the work closes over what no other process could have: it runs before submit returns
    created = first.submit("t", DOCS, lambda: {"ok": not gate.locked()}).view()
    assert (created["status"], created["result"]) == ("QUEUED", None)
    statuses = []
    for engine in [second, first, second, first, second]:
        clock.advance(1)
        view = engine.poll("t", created["task_id"])
        statuses.append(view["status"])
    assert statuses == ["STARTED", *DOCS, "SERVICE_DONE", "DONE"]
    assert view["result"] == {"ok": True} and view["completed_at"] == "2024-12-22T10:30:05Z"
    for engine in (first, second):
        with pytest.raises(NotFound, match="Task not found"):
            engine.poll("t", created["task_id"])


def test_the_work_runs_inline_and_its_outcome_is_stored_before_submit_returns(workers, redis_link):
    first, _ = workers(timing="instant")
    ran = []
    task = first.submit("t", [], lambda: ran.append("ran") or {"answer": 42})
    assert ran == ["ran"]
    stored = redis_link.redis.hgetall(redis_link.key("tasks", "task", task.id))
    assert json.loads(stored[b"result"]) == {"answer": 42} and stored[b"done"] == b"1"
    failed = first.submit("t", [], fail_download)
    stored = redis_link.redis.hget(redis_link.key("tasks", "task", failed.id), "failure")
    assert json.loads(stored) == ["Unable to download document from URL", "Connection timeout after 30s"]


def test_failures_reach_the_other_worker_as_the_work_raised_them(workers):
    first, second = workers(timing="instant")
    failed = second.poll("t", first.submit("t", DOCS, fail_download).id)
    assert (failed["status"], failed["result"], failed["percentage"]) == ("FAILED", None, 0)
    assert failed["additional_info"] == {"error": "Unable to download document from URL",
                                         "details": "Connection timeout after 30s"}
    crashed = second.poll("t", first.submit("t", [], lambda: {}["missing"]).id)
    assert crashed["additional_info"] == {"error": "Internal processing error", "details": "KeyError('missing')"}
    injected = first.submit("t", [], lambda: "fine", injected=TaskFailure("Injected", "by a fault rule"))
    assert second.poll("t", injected.id)["additional_info"] == {"error": "Injected", "details": "by a fault rule"}
    unsendable = second.poll("t", first.submit("t", [], lambda: {1, 2}).id)
    assert unsendable["status"] == "FAILED"
    assert unsendable["additional_info"]["details"] == "TypeError('Object of type set is not JSON serializable')"


def test_realtime_steps_follow_the_stored_creation_time_for_every_worker(workers, clock):
    first, second = workers(timing="realtime", duration=4.0, retention="keep")
    task_id = first.submit("t", ["AUDIO_PROCESSING_DONE"], lambda: "heard").id
    statuses = []
    for _ in range(6):
        mine, theirs = first.poll("t", task_id), second.poll("t", task_id)
        assert mine == theirs
        statuses.append(mine["status"])
        clock.advance(1)
    assert statuses == ["QUEUED", "STARTED", "AUDIO_PROCESSING_DONE", "SERVICE_DONE", "DONE", "DONE"]
    assert mine["status_changes_at"]["AUDIO_PROCESSING_DONE"] == "2024-12-22T10:30:02Z"
    assert mine["result"] == "heard"


def test_concurrent_per_poll_polls_from_two_workers_each_advance_exactly_one_step(workers):
    engines = workers(timing="per-poll", retention="keep")
    task = engines[0].submit("t", MANY_STEPS, lambda: "walked")
    threads, polls_each = 8, 5
    start = threading.Barrier(threads)

    def poll_some(number: int) -> list[str]:
        engine = engines[number % 2]
        start.wait()
        return [engine.poll("t", task.id)["status"] for _ in range(polls_each)]

    with ThreadPoolExecutor(threads) as pool:
        seen = [status for statuses in pool.map(poll_some, range(threads)) for status in statuses]
    assert sorted(seen, key=task.steps.index) == task.steps[2 : 2 + threads * polls_each]
    assert engines[1].peek()[0]["polls"] == threads * polls_each


def test_a_finished_task_is_handed_out_once_when_workers_poll_it_together(workers):
    engines = workers(timing="instant")
    threads = 12
    for round_number in range(15):
        task_id = engines[round_number % 2].submit("t", [], lambda n=round_number: {"round": n}).id
        start = threading.Barrier(threads)

        def poll(number: int, task_id=task_id, start=start):
            start.wait()
            try:
                return engines[number % 2].poll("t", task_id)
            except NotFound as exc:
                return exc.message

        with ThreadPoolExecutor(threads) as pool:
            answers = list(pool.map(poll, range(threads)))
        results = [answer for answer in answers if isinstance(answer, dict)]
        assert [r["result"] for r in results] == [{"round": round_number}] and results[0]["status"] == "DONE"
        assert answers.count("Task not found") == threads - 1
    assert len(engines[0]) == len(engines[1]) == 0


def test_tasks_are_per_tenant(workers):
    first, second = workers(timing="instant")
    task_id = first.submit("t", [], lambda: 1).id
    with pytest.raises(NotFound):
        second.poll("other", task_id)
    assert second.poll("t", task_id)["status"] == "DONE"


def test_unfetched_tasks_expire_after_the_ttl_on_the_mocks_clock(workers, clock):
    first, second = workers(timing="instant", ttl=60)
    kept, lost = first.submit("t", [], lambda: 1).id, first.submit("t", [], lambda: 2).id
    clock.advance(60)
    assert second.poll("t", kept)["result"] == 1  # not older than the TTL yet
    clock.advance(0.001)
    with pytest.raises(NotFound):
        second.poll("t", lost)
    assert len(first) == len(second) == 0


def test_a_tenant_holds_a_bounded_number_of_tasks_across_workers(workers):
    first, second = workers(timing="per-poll", max_per_tenant=3)
    oldest = first.submit("t", [], lambda: 1).id
    for engine in (second, first, second):
        engine.submit("t", [], lambda: 1)  # finished work: the oldest is evicted to make room
    assert len(first) == 3
    with pytest.raises(NotFound):
        second.poll("t", oldest)


def test_too_many_tasks_while_every_one_of_them_is_still_working(workers):
    first, second = workers(timing="per-poll", max_per_tenant=2)
    gate = threading.Event()
    with ThreadPoolExecutor(2) as pool:
        working = [pool.submit(engine.submit, "t", [], lambda: gate.wait(10)) for engine in (first, second)]
        for _ in range(500):
            if len(first) == 2:
                break
            threading.Event().wait(0.01)
        with pytest.raises(TooManyTasks) as refused:
            second.submit("t", [], lambda: 1)
        assert refused.value.status == 429
        first.submit("another-tenant", [], lambda: 1)
        gate.set()
        wait(working)
    oldest, younger = [view["task_id"] for view in first.peek() if view["tenant"] == "t"]
    newest = second.submit("t", [], lambda: 1).id  # the work is done now: the oldest makes room
    assert [view["task_id"] for view in first.peek() if view["tenant"] == "t"] == [younger, newest]


def test_finished_view_is_done_at_once_and_pollable_by_another_worker(workers):
    first, second = workers(timing="per-poll")
    view = first.finished_view("t", [], {"x": 1})
    assert (view["status"], view["percentage"], view["result"]) == ("DONE", 100, {"x": 1})
    assert second.poll("t", view["task_id"])["result"] == {"x": 1}
    with pytest.raises(NotFound):
        first.poll("t", view["task_id"])


def test_a_peek_sees_every_workers_tasks_oldest_first_and_is_not_a_poll(workers):
    first, second = workers(timing="instant")
    ids = [first.submit("t", [], lambda: {"secret": "a"}).id, second.submit("u", [], lambda: {"secret": "b"}).id]
    for _ in range(2):
        peeked = second.peek()
        assert [(p["task_id"], p["tenant"], p["status"], p["polls"]) for p in peeked] == [
            (ids[0], "t", "QUEUED", 0), (ids[1], "u", "QUEUED", 0)]
        assert all("result" not in p and p["created_at"] == "2024-12-22T10:30:00Z" for p in peeked)
    assert first.poll("t", ids[0])["result"] == {"secret": "a"}
    assert [p["task_id"] for p in first.peek()] == [ids[1]]


def test_a_peek_moves_realtime_tasks_as_a_poll_would(workers, clock):
    peeking, polling = workers(timing="realtime", duration=4.0, retention="keep")
    task_id = polling.submit("t", DOCS, lambda: "done").id
    for _ in range(6):
        clock.advance(1)
        assert peeking.peek()[0]["status_changes_at"] == polling.poll("t", task_id)["status_changes_at"]
    assert peeking.peek()[0]["status"] == "DONE" and peeking.peek()[0]["polls"] == 6


def test_a_peek_leaves_per_poll_tasks_where_the_last_poll_left_them(workers, clock):
    peeking, polling = workers(timing="per-poll")
    task_id = polling.submit("t", DOCS, lambda: None).id
    polling.poll("t", task_id)
    clock.advance(60)
    assert [peeking.peek()[0]["status"] for _ in range(3)] == ["STARTED"] * 3
    assert peeking.poll("t", task_id)["status"] == "DOCUMENT_DOWNLOAD_DONE"


def test_reset_removes_every_task_of_this_prefix_and_nothing_else(workers, redis_link, redis_server, clock):
    first, second = workers(timing="per-poll")
    neighbour_link = RedisLink.parse(f"{redis_server.url}?prefix={redis_link.prefix}-neighbour")
    neighbour = RedisTaskEngine(clock, link=neighbour_link, timing="per-poll")
    try:
        kept = neighbour.submit("t", [], lambda: 1).id
        for engine in (first, second):
            engine.submit("t", DOCS, lambda: 1)
        assert len(first) == 2 and len(neighbour) == 1
        second.reset()
        assert len(first) == len(second) == 0 and first.peek() == []
        assert list(redis_link.redis.scan_iter(redis_link.pattern())) == []
        assert neighbour.poll("t", kept)["status"] == "STARTED"
        first.submit("t", [], lambda: 1)  # and the engine works on after a reset
        assert len(second) == 1
    finally:
        neighbour.reset()
        neighbour_link.redis.close()


def test_every_key_is_under_the_tasks_prefix(workers, redis_link):
    first, second = workers(timing="per-poll", retention="keep")
    for engine in (first, second):
        task_id = engine.submit("tenant:with:colons", DOCS, lambda: 1).id
        engine.poll("tenant:with:colons", task_id)
    second.finished_view("t", [], None)
    keys = {key.decode() for key in redis_link.redis.scan_iter("*")}
    mine = {key for key in keys if key.startswith(redis_link.prefix + ":")}
    assert mine and all(key.startswith(redis_link.key("tasks") + ":") for key in mine)


def test_a_poll_is_two_round_trips(workers, other_link):
    first, second = workers(timing="per-poll", retention="keep")
    task_id = first.submit("t", DOCS, lambda: 1).id
    second.poll("t", task_id)  # loads the scripts into Redis
    client = other_link.redis
    sent = []
    real = client.execute_command

    def counting(*args, **options):
        sent.append(args[0])
        return real(*args, **options)

    client.execute_command = counting
    try:
        second.poll("t", task_id)
    finally:
        del client.execute_command
    assert sent == ["EVALSHA", "EVALSHA"]


# --- real worker processes (on the wall clock, as theirs is) ------------------------------------------------

WORKER = """
import json, signal, sys, threading
from mockserver.core.clock import Clock
from mockserver.core.shared import RedisLink
from mockserver.core.shared_tasks import RedisTaskEngine

url, role = sys.argv[1], sys.argv[2]
link = RedisLink.parse(url)
engine = RedisTaskEngine(Clock(), link=link, timing="per-poll", retention="keep")
if role == "submit":
    lock = threading.Lock()
    task = engine.submit("t", sys.argv[3:], lambda: {"made_by": "a worker now dead", "free": not lock.locked()})
    print(task.id, flush=True)
    signal.pause()  # killed here, with no chance to tidy up
else:
    task_id, count, pollers, ready = sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), link.key("test-ready")
    link.redis.incr(ready)
    while int(link.redis.get(ready)) < pollers:  # every poller starts at once
        pass
    print(json.dumps([engine.poll("t", task_id)["status"] for _ in range(count)]), flush=True)
"""


def start_worker(redis_link, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WORKER, redis_link.url, *args], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).parents[2])


def test_a_task_outlives_the_worker_process_that_created_it(redis_link):
    creator = start_worker(redis_link, "submit", *DOCS)
    try:
        task_id = creator.stdout.readline().strip()
    finally:
        creator.kill()
        creator.wait(10)
        creator.stdout.close()
    assert task_id
    survivor = RedisTaskEngine(Clock(), link=redis_link, timing="per-poll", retention="keep")
    statuses = [survivor.poll("t", task_id) for _ in range(5)]
    assert [view["status"] for view in statuses] == ["STARTED", *DOCS, "SERVICE_DONE", "DONE"]
    assert statuses[-1]["result"] == {"made_by": "a worker now dead", "free": True}


def test_polls_from_two_worker_processes_each_advance_exactly_one_step(redis_link):
    engine = RedisTaskEngine(Clock(), link=redis_link, timing="per-poll", retention="keep")  # the processes' clock
    task = engine.submit("t", MANY_STEPS, lambda: "walked")
    pollers = [start_worker(redis_link, "poll", task.id, "35", "2") for _ in range(2)]
    try:
        seen = [status for poller in pollers for status in json.loads(poller.communicate(timeout=60)[0])]
    finally:
        for poller in pollers:
            poller.kill()
            poller.wait(10)
    assert sorted(seen, key=task.steps.index) == task.steps[2:72]
    assert engine.peek()[0]["polls"] == 70
