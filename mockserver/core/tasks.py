"""Asynchronous tasks: a status path walked on the shared clock, per poll, or at once.

A task is submitted with the statuses that apply to its inputs and the work to do. The work
runs off the request thread in `realtime` mode (on a small pool) and inline otherwise; the
status a poll sees is the furthest step that both the timing mode and the finished work allow.
Memory is bounded: finished tasks expire after a TTL, a tenant holds at most `max_per_tenant`
tasks (oldest finished ones are evicted first), and with `once` retention a task is gone after
the poll that reported DONE or FAILED.

The step logic is `Task`'s own, and a task turns into JSON and back, so that `shared_tasks.RedisTaskEngine`
(several worker processes, tasks in Redis) walks the same path to the same views.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from mockserver.core.clock import Clock, iso
from mockserver.core.errors import ApiError, NotFound
from mockserver.core.ids import random_id

TIMINGS = ("realtime", "per-poll", "instant")
RETENTIONS = ("once", "keep")
DONE, FAILED = "DONE", "FAILED"


class TaskFailure(Exception):
    """Raised by a task's work: the task ends FAILED with this error and details."""

    def __init__(self, error: str, details: str = ""):
        super().__init__(error)
        self.error, self.details = error, details


class TooManyTasks(ApiError):
    status = 429
    code = "TooManyTasks"

    @classmethod
    def over(cls, limit: int) -> TooManyTasks:
        return cls(f"Too many tasks in progress (limit {limit}); poll or wait for some to finish")


@dataclass
class Task:
    id: str
    tenant: str
    steps: list[str]
    """Every status from CREATED to DONE that applies to this task's inputs."""
    created: datetime
    reached: dict[str, datetime] = field(default_factory=dict)
    polls: int = 0
    outcome: Future | None = None
    injected: TaskFailure | None = None

    @classmethod
    def new(cls, tenant: str, steps: list[str], now: datetime, injected: TaskFailure | None = None) -> Task:
        """A task just submitted: QUEUED, as the docs' creation response shows."""
        path = ["CREATED", "QUEUED", "STARTED", *steps, "SERVICE_DONE", DONE]
        return cls(_new_id(), tenant, path, now, {"CREATED": now, "QUEUED": now}, injected=injected)

    @property
    def status(self) -> str:
        return list(self.reached)[-1]

    @property
    def finished(self) -> bool:
        return self.status in (DONE, FAILED)

    @property
    def work_done(self) -> bool:
        """False also while the work is not yet handed to a thread (a peek may see the task then)."""
        return self.outcome is not None and self.outcome.done()

    def view(self, *, with_result: bool = True) -> dict:
        """The task object of the docs; without `result` for a look that is not the client's poll."""
        status = self.status
        failure = self._failure() if status == FAILED else None
        last = [name for name in self.reached if name != FAILED][-1]
        return {
            "task_id": self.id,
            "status": status,
            "percentage": max(0, round(100 * (self.steps.index(last) - 2) / (len(self.steps) - 3))),
            "started_at": iso(self.reached.get("STARTED", self.created)),
            "completed_at": iso(self.reached[status]) if self.finished else None,
            "status_changes_at": {name: iso(at) for name, at in self.reached.items()},
            **({"result": self.outcome.result() if status == DONE else None} if with_result else {}),
            "additional_info": {"error": failure.error, "details": failure.details} if failure else None,
        }

    def peek_view(self) -> dict:
        """The task as the console sees it (`peek`): no result, but whose it is and how often it was polled."""
        return {**self.view(with_result=False), "tenant": self.tenant, "polls": self.polls,
                "created_at": iso(self.created)}

    def _failure(self) -> TaskFailure | None:
        if self.injected:
            return self.injected
        error = self.outcome.exception() if self.work_done else None
        return as_failure(error) if error else None

    def advance(self, timing: str, duration: float, now: datetime) -> None:
        """Move as far as `timing` allows, stopping before DONE until the work is done."""
        if self.finished:
            return
        work_done = self.work_done
        failed = self.injected is not None or (work_done and self.outcome.exception() is not None)
        position = self.steps.index(self.status)
        if timing == "instant":
            target = len(self.steps) - 1
        elif timing == "per-poll":
            target = position + 1
        else:
            elapsed = (now - self.created).total_seconds()
            target = int(elapsed / duration * (len(self.steps) - 2)) + 1 if duration > 0 else len(self.steps)
        target = min(target, len(self.steps) - 1)
        if failed:
            # A failure shows once processing has started: the step after STARTED never comes.
            stop = self.steps.index("STARTED")
            for name in self.steps[position + 1 : min(target, stop) + 1]:
                self.reached[name] = self._when(timing, duration, name, now)
            if target > stop:
                self.reached[FAILED] = self._when(timing, duration, self.steps[stop + 1], now)
            return
        if not work_done:
            target = min(target, len(self.steps) - 2)
        for name in self.steps[position + 1 : target + 1]:
            self.reached[name] = self._when(timing, duration, name, now)

    def finish(self, now: datetime) -> None:
        """Every step reached at `now`: a task that is DONE as soon as it exists."""
        for name in self.steps[2:]:
            self.reached[name] = now

    def _when(self, timing: str, duration: float, step: str, now: datetime) -> datetime:
        """When a step was reached: on its schedule in realtime, else at this poll."""
        if timing != "realtime":
            return now
        index = self.steps.index(step)
        scheduled = self.created + timedelta(seconds=duration * (index - 1) / (len(self.steps) - 2))
        return min(scheduled, now)

    def to_dict(self) -> dict:
        """Everything but the work's outcome, as JSON holds it (exact to the microsecond): a shared store keeps
        tasks this way."""
        return {"id": self.id, "tenant": self.tenant, "steps": self.steps, "created": self.created.isoformat(),
                "reached": {name: at.isoformat() for name, at in self.reached.items()}, "polls": self.polls,
                "injected": [self.injected.error, self.injected.details] if self.injected else None}

    @classmethod
    def from_dict(cls, data: dict, outcome: Future | None = None) -> Task:
        """The task `to_dict` gave, with the outcome of its work (None: still running)."""
        injected = data["injected"]
        return cls(data["id"], data["tenant"], data["steps"], datetime.fromisoformat(data["created"]),
                   {name: datetime.fromisoformat(at) for name, at in data["reached"].items()}, data["polls"],
                   outcome, TaskFailure(*injected) if injected else None)


def as_failure(error: BaseException) -> TaskFailure:
    """How an exception of the work shows in the task: its own TaskFailure, else an internal error."""
    return error if isinstance(error, TaskFailure) else TaskFailure("Internal processing error", repr(error))


def check_modes(timing: str, retention: str) -> None:
    if timing not in TIMINGS or retention not in RETENTIONS:
        raise ValueError(f"task timing must be one of {TIMINGS} and retention one of {RETENTIONS}")


class TaskEngine:
    """All tasks of one server, per tenant; every method is thread-safe."""

    def __init__(self, clock: Clock, *, timing: str = "realtime", retention: str = "once",
                 duration: float = 3.0, ttl: float = 3600.0, max_per_tenant: int = 1000, workers: int = 2):
        check_modes(timing, retention)
        self.clock, self.timing, self.retention = clock, timing, retention
        self.duration, self.ttl, self.max_per_tenant = duration, ttl, max_per_tenant
        self._tasks: dict[tuple[str, str], Task] = {}
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mockserver-task") \
            if timing == "realtime" else None

    def submit(self, tenant: str, steps: list[str], work: Callable[[], Any],
               injected: TaskFailure | None = None) -> Task:
        """Start a task; it is QUEUED on return, as the docs' creation response shows."""
        now = self.clock.now()
        task = Task.new(tenant, steps, now, injected)
        with self._lock:
            self._expire(now)
            self._make_room(tenant)
            self._tasks[(tenant, task.id)] = task
        task.outcome = self._pool.submit(work) if self._pool else run_now(work)
        return task

    def poll(self, tenant: str, task_id: str) -> dict:
        """The task as a client sees it now; 404 for unknown, expired, foreign or already-fetched tasks."""
        now = self.clock.now()
        with self._lock:
            self._expire(now)
            task = self._tasks.get((tenant, task_id))
            if task is None:
                raise NotFound("Task not found")
            task.polls += 1
            task.advance(self.timing, self.duration, now)
            if task.finished and self.retention == "once":
                del self._tasks[(tenant, task_id)]
        return task.view()

    def peek(self) -> list[dict]:
        """Every task held, oldest first, seen from outside (the console's progress bars) without being a client's
        poll: no poll is counted, no result handed out, nothing removed under `once` retention. Realtime tasks move
        with the clock, as a poll would move them (to the same steps at the same times); per-poll and instant ones
        stay where the last poll left them."""
        now = self.clock.now()
        with self._lock:
            self._expire(now)
            views = []
            for task in self._tasks.values():
                if self.timing == "realtime":
                    task.advance(self.timing, self.duration, now)
                views.append(task.peek_view())
        return views

    def finished_view(self, tenant: str, steps: list[str], result: Any) -> dict:
        """A task that is DONE at once (synchronous endpoints), pollable like any other."""
        task = self.submit(tenant, steps, lambda: result)
        now = self.clock.now()
        with self._lock:
            task.finish(now)
        return task.view()

    def reset(self) -> None:
        with self._lock:
            self._tasks = {}

    def __len__(self) -> int:
        return len(self._tasks)

    def _expire(self, now: datetime) -> None:
        limit = now - timedelta(seconds=self.ttl)
        stale = [key for key, task in self._tasks.items() if task.created < limit]
        for key in stale:
            del self._tasks[key]

    def _make_room(self, tenant: str) -> None:
        mine = [t for (owner, _), t in self._tasks.items() if owner == tenant]
        if len(mine) < self.max_per_tenant:
            return
        finished = sorted((t for t in mine if t.finished or t.work_done), key=lambda t: t.created)
        if not finished:
            raise TooManyTasks.over(self.max_per_tenant)
        del self._tasks[(tenant, finished[0].id)]


def run_now(work: Callable[[], Any]) -> Future:
    future: Future = Future()
    try:
        future.set_result(work())
    except Exception as exc:  # the task's failure, reported by poll
        future.set_exception(exc)
    return future


def _new_id() -> str:
    return random_id()
