"""The task engine: status paths, timing modes, retention, expiry and bounds, on a steered clock."""

import threading
from datetime import UTC, datetime

import pytest

from mockserver.core.clock import Clock
from mockserver.core.errors import NotFound
from mockserver.core.tasks import TaskEngine, TaskFailure, TooManyTasks

START = datetime(2024, 12, 22, 10, 30, tzinfo=UTC)
DOCS = ["DOCUMENT_DOWNLOAD_DONE", "DOCUMENT_PARSING_DONE"]


@pytest.fixture
def clock():
    clock = Clock()
    clock.freeze(START)
    return clock


def poll_until_gone(tasks, clock, task_id, tenant="t", step=1.0, limit=20):
    views = []
    for _ in range(limit):
        clock.advance(step)
        try:
            views.append(tasks.poll(tenant, task_id))
        except NotFound:
            return views
    raise AssertionError(f"task never finished: {views[-1]}")


def test_per_poll_walks_one_status_per_poll_then_the_result_is_gone(clock):
    tasks = TaskEngine(clock, timing="per-poll")
    created = tasks.submit("t", DOCS, lambda: {"ok": 1}).view()
    assert (created["status"], created["percentage"], created["result"], created["completed_at"]) == (
        "QUEUED",
        0,
        None,
        None,
    )
    assert list(created["status_changes_at"]) == ["CREATED", "QUEUED"]
    views = poll_until_gone(tasks, clock, created["task_id"])
    assert [(v["status"], v["percentage"]) for v in views] == [
        ("STARTED", 0),
        ("DOCUMENT_DOWNLOAD_DONE", 25),
        ("DOCUMENT_PARSING_DONE", 50),
        ("SERVICE_DONE", 75),
        ("DONE", 100),
    ]
    done = views[-1]
    assert done["result"] == {"ok": 1} and done["completed_at"] == "2024-12-22T10:30:05Z"
    assert done["status_changes_at"]["STARTED"] == done["started_at"] == "2024-12-22T10:30:01Z"
    assert list(done["status_changes_at"]) == ["CREATED", "QUEUED", "STARTED", *DOCS, "SERVICE_DONE", "DONE"]


def test_instant_is_done_at_the_first_poll(clock):
    tasks = TaskEngine(clock, timing="instant")
    task_id = tasks.submit("t", [], lambda: 42).id
    assert tasks.poll("t", task_id)["result"] == 42


def test_realtime_follows_the_clock_and_waits_for_the_work(clock):
    tasks = TaskEngine(clock, timing="realtime", duration=4.0, retention="keep")
    release = threading.Event()
    task_id = tasks.submit("t", ["AUDIO_PROCESSING_DONE"], lambda: release.wait(5) and "heard").id
    assert tasks.poll("t", task_id)["status"] == "QUEUED"
    clock.advance(1.0)
    assert tasks.poll("t", task_id)["status"] == "STARTED"
    clock.advance(10)
    assert tasks.poll("t", task_id)["status"] == "SERVICE_DONE"  # time is up, the work is not
    release.set()
    for _ in range(50):
        view = tasks.poll("t", task_id)
        if view["status"] == "DONE":
            break
        threading.Event().wait(0.02)
    assert view["result"] == "heard" and view["percentage"] == 100
    assert view["status_changes_at"]["AUDIO_PROCESSING_DONE"] == "2024-12-22T10:30:02Z"  # on its schedule
    assert tasks.poll("t", task_id)["status"] == "DONE"  # keep: still there


def test_percentage_never_decreases(clock):
    tasks = TaskEngine(clock, timing="per-poll", retention="keep")
    task_id = tasks.submit("t", DOCS, lambda: None).id
    values = [tasks.poll("t", task_id)["percentage"] for _ in range(9)]
    assert values == sorted(values) and values[-1] == 100


def test_work_failure_ends_failed_with_error_and_details(clock):
    def work():
        raise TaskFailure("Unable to download document from URL", "Connection timeout after 30s")

    tasks = TaskEngine(clock, timing="per-poll")
    task_id = tasks.submit("t", DOCS, work).id
    views = poll_until_gone(tasks, clock, task_id)
    assert [v["status"] for v in views] == ["STARTED", "FAILED"]
    failed = views[-1]
    assert failed["additional_info"] == {"error": "Unable to download document from URL",
                                         "details": "Connection timeout after 30s"}
    assert failed["result"] is None and failed["completed_at"] is not None and failed["percentage"] == 0


def test_an_unexpected_error_in_the_work_is_a_failed_task_not_a_crash(clock):
    tasks = TaskEngine(clock, timing="instant")
    task_id = tasks.submit("t", [], lambda: 1 / 0).id
    failed = tasks.poll("t", task_id)
    assert failed["status"] == "FAILED" and failed["additional_info"]["error"] == "Internal processing error"


def test_injected_failure(clock):
    tasks = TaskEngine(clock, timing="instant")
    task_id = tasks.submit("t", [], lambda: "fine", injected=TaskFailure("Injected", "by a fault rule")).id
    assert tasks.poll("t", task_id)["additional_info"] == {"error": "Injected", "details": "by a fault rule"}


def test_tasks_are_per_tenant(clock):
    tasks = TaskEngine(clock, timing="instant")
    task_id = tasks.submit("t", [], lambda: 1).id
    with pytest.raises(NotFound):
        tasks.poll("other", task_id)
    assert tasks.poll("t", task_id)["status"] == "DONE"


def test_unfetched_tasks_expire_after_the_ttl(clock):
    tasks = TaskEngine(clock, timing="instant", ttl=60)
    task_id = tasks.submit("t", [], lambda: 1).id
    clock.advance(61)
    with pytest.raises(NotFound):
        tasks.poll("t", task_id)
    assert len(tasks) == 0


def test_a_tenant_holds_a_bounded_number_of_tasks(clock):
    tasks = TaskEngine(clock, timing="per-poll", max_per_tenant=3)
    first = tasks.submit("t", [], lambda: 1).id
    for _ in range(3):
        tasks.submit("t", [], lambda: 1)  # finished work: the oldest is evicted to make room
    assert len(tasks) == 3
    with pytest.raises(NotFound):
        tasks.poll("t", first)
    stuck = TaskEngine(clock, timing="realtime", max_per_tenant=2)
    gate = threading.Event()
    for _ in range(2):
        stuck.submit("t", [], lambda: gate.wait(5))
    with pytest.raises(TooManyTasks):
        stuck.submit("t", [], lambda: 1)
    stuck.submit("another-tenant", [], lambda: 1)
    gate.set()


def test_finished_view_is_done_at_once_and_pollable(clock):
    tasks = TaskEngine(clock, timing="per-poll")
    view = tasks.finished_view("t", [], {"x": 1})
    assert (view["status"], view["percentage"], view["result"]) == ("DONE", 100, {"x": 1})
    assert tasks.poll("t", view["task_id"])["result"] == {"x": 1}


def test_a_peek_is_not_a_poll(clock):
    """The console watches tasks between a client's polls: no poll counted, no result, nothing removed."""
    tasks = TaskEngine(clock, timing="instant")
    task_id = tasks.submit("t", [], lambda: {"secret": "result"}).id
    (peeked,) = tasks.peek()
    assert (peeked["task_id"], peeked["tenant"], peeked["status"], peeked["polls"]) == (task_id, "t", "QUEUED", 0)
    assert "result" not in peeked and peeked["created_at"] == "2024-12-22T10:30:00Z"
    assert tasks.poll("t", task_id)["result"] == {"secret": "result"}  # the client still gets it, once
    assert tasks.peek() == []


def test_a_peek_moves_realtime_tasks_as_a_poll_would(clock):
    peeking, polling = (TaskEngine(clock, timing="realtime", duration=4.0, retention="keep") for _ in range(2))
    seen = [engine.submit("t", DOCS, lambda: "done").id for engine in (peeking, polling)]
    for _ in range(6):
        clock.advance(1)
        assert peeking.peek()[0]["status_changes_at"] == polling.poll("t", seen[1])["status_changes_at"]
    assert peeking.poll("t", seen[0]) | {"task_id": None} == polling.poll("t", seen[1]) | {"task_id": None}
    assert peeking.peek()[0]["status"] == "DONE" and peeking.peek()[0]["polls"] == 1


def test_a_peek_leaves_per_poll_tasks_where_the_last_poll_left_them(clock):
    tasks = TaskEngine(clock, timing="per-poll")
    task_id = tasks.submit("t", DOCS, lambda: None).id
    tasks.poll("t", task_id)
    clock.advance(60)
    assert [tasks.peek()[0]["status"] for _ in range(3)] == ["STARTED"] * 3
    assert tasks.poll("t", task_id)["status"] == "DOCUMENT_DOWNLOAD_DONE"
