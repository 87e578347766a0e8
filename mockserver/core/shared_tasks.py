"""Tasks in the shared store: `TaskEngine`'s behaviour with every task in Redis, so that any worker process can
poll a task another created, and a task outlives the worker that created it.

The work is a closure, which no other process could run: `submit` runs it inline and stores its JSON result (or
its failure) with the task before the client learns the task's id. The status a poll sees still follows the
timing mode, by the same `Task.advance` as in memory: a poll reads the task (one script), advances it in Python
and writes it back only if nobody wrote it in between (a second script comparing the JSON it read), else reads
again. So concurrent per-poll polls, from any workers, each advance exactly one step, and under `once` retention
exactly one poll removes a finished task and answers with its result; the others find it gone.

Keys, under the link's prefix `P`: `P:tasks:task:ID`, a hash (`task`: `Task.to_dict()` as JSON; `result`: the
work's result as JSON, or `failure`: `[error, details]`; `done` once the task can be evicted; `tenant`, `slot`
for the indexes); `P:tasks:order`, every task by submission; `P:tasks:created`, every task by creation time (for
expiry, against the mock's clock, which tests steer: not Redis key expiry, which follows the wall clock);
`P:tasks:tenant:T`, a tenant's tasks by creation time, then submission (the member `slot` is `SEQ:ID`);
`P:tasks:seq`, the submission counter.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from datetime import datetime, timedelta
from typing import Any

from mockserver.core.clock import Clock, micros
from mockserver.core.errors import NotFound
from mockserver.core.json_codec import compact
from mockserver.core.shared import UNLINK_MATCHING, RedisLink
from mockserver.core.tasks import DONE, Task, TaskFailure, TooManyTasks, as_failure, check_modes, run_now

# Every script gets ARGV[1], the key every task key starts with, and (where it expires tasks) ARGV[2], the
# creation time in microseconds before which a task has expired.
_COMMON = """
local base = ARGV[1]
local function drop(id)
  local key = base .. ':task:' .. id
  local owner = redis.call('HMGET', key, 'tenant', 'slot')
  if owner[1] then redis.call('ZREM', base .. ':tenant:' .. owner[1], owner[2]) end
  redis.call('DEL', key)
  redis.call('ZREM', base .. ':order', id)
  redis.call('ZREM', base .. ':created', id)
end
local function expire(before)
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', base .. ':created', '-inf', '(' .. before)) do drop(id) end
end
local function seen(id)
  local key = base .. ':task:' .. id
  local fields = redis.call('HMGET', key, 'task', 'failure')
  return {fields[1], fields[2], redis.call('HEXISTS', key, 'result')}
end
"""

# ARGV: base, expiry, tenant, id, max_per_tenant, created (microseconds), task. 0 when the tenant is full of
# tasks whose work is running, else 1 (and the oldest evictable task made room if needed).
_RESERVE = """
expire(ARGV[2])
local tenant, id, created = ARGV[3], ARGV[4], ARGV[6]
local index = base .. ':tenant:' .. tenant
if redis.call('ZCARD', index) >= tonumber(ARGV[5]) then
  local victim = nil
  for _, slot in ipairs(redis.call('ZRANGE', index, 0, -1)) do
    local candidate = string.match(slot, ':(.*)$')
    if redis.call('HEXISTS', base .. ':task:' .. candidate, 'done') == 1 then victim = candidate break end
  end
  if not victim then return 0 end
  drop(victim)
end
local seq = redis.call('INCR', base .. ':seq')
local slot = string.format('%015d:%s', seq, id)
redis.call('HSET', base .. ':task:' .. id, 'tenant', tenant, 'slot', slot, 'task', ARGV[7])
redis.call('ZADD', index, created, slot)
redis.call('ZADD', base .. ':order', seq, id)
redis.call('ZADD', base .. ':created', created, id)
return 1
"""

# ARGV: base, id, 'result' or 'failure', its JSON, the task ('' to leave it). Nothing if the task is gone (a reset
# or expiry while the work ran).
_COMPLETE = """
local key = base .. ':task:' .. ARGV[2]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, ARGV[3], ARGV[4], 'done', '1')
if ARGV[5] ~= '' then redis.call('HSET', key, 'task', ARGV[5]) end
return 1
"""

# ARGV: base, expiry, id. The task, its failure and whether it has a result; nothing for an unknown task.
_READ = """
expire(ARGV[2])
if redis.call('EXISTS', base .. ':task:' .. ARGV[3]) == 0 then return false end
return seen(ARGV[3])
"""

# ARGV: base, id, the task as read, the task advanced, remove ('1'/''), want the result ('1'/''), finished
# ('1'/''). Nothing if the task is no longer as read (another poll came first), else {1, the result or ''}.
_WRITE = """
local id = ARGV[2]
local key = base .. ':task:' .. id
if redis.call('HGET', key, 'task') ~= ARGV[3] then return false end
local result = ARGV[6] == '1' and redis.call('HGET', key, 'result') or ''
if ARGV[5] == '1' then
  drop(id)
else
  redis.call('HSET', key, 'task', ARGV[4])
  if ARGV[7] == '1' then redis.call('HSET', key, 'done', '1') end
end
return {1, result}
"""

# ARGV: base, expiry. Every task as `seen` gives it, oldest first, flattened.
_PEEK = """
expire(ARGV[2])
local rows = {}
for _, id in ipairs(redis.call('ZRANGE', base .. ':order', 0, -1)) do
  for _, value in ipairs(seen(id)) do rows[#rows + 1] = value end
end
return rows
"""

# ARGV: base, the pattern of every key under it.
_RESET = UNLINK_MATCHING + """
return unlink_matching(ARGV[2])
"""


class RedisTaskEngine:
    """`TaskEngine`'s interface over Redis; see the module's docstring. `workers` is accepted for the same
    signature: the work runs inline, on the request's thread."""

    def __init__(self, clock: Clock, *, link: RedisLink, timing: str = "realtime", retention: str = "once",
                 duration: float = 3.0, ttl: float = 3600.0, max_per_tenant: int = 1000, workers: int = 2):
        check_modes(timing, retention)
        self.clock, self.link, self.timing, self.retention = clock, link, timing, retention
        self.duration, self.ttl, self.max_per_tenant = duration, ttl, max_per_tenant
        self._base = link.key("tasks")
        redis = link.redis
        self._reserve, self._complete, self._read, self._write, self._peek = (
            redis.register_script(_COMMON + body) for body in (_RESERVE, _COMPLETE, _READ, _WRITE, _PEEK))
        self._reset = redis.register_script(_RESET)

    def submit(self, tenant: str, steps: list[str], work: Callable[[], Any],
               injected: TaskFailure | None = None) -> Task:
        """Start a task; it is QUEUED on return, and its work's outcome is already in Redis."""
        return self._submit(tenant, steps, work, injected, finish=False)

    def poll(self, tenant: str, task_id: str) -> dict:
        """The task as a client sees it now; 404 for unknown, expired, foreign or already-fetched tasks."""
        now = self.clock.now()
        while True:
            found = self._read(args=[self._base, self._expiry(now), task_id])
            if found is None:
                raise NotFound("Task not found")
            raw, failure, has_result = found
            task = Task.from_dict(json.loads(raw), _stored_outcome(failure, has_result))
            if task.tenant != tenant:
                raise NotFound("Task not found")
            task.polls += 1
            task.advance(self.timing, self.duration, now)
            done = task.status == DONE
            written = self._write(args=[self._base, task_id, raw, compact(task.to_dict()),
                                        _flag(task.finished and self.retention == "once"), _flag(done),
                                        _flag(task.finished)])
            if written is None:
                continue  # another poll moved or removed the task since it was read: read it again
            if done:
                task.outcome = _settled(json.loads(written[1]))
            return task.view()

    def peek(self) -> list[dict]:
        """As `TaskEngine.peek`: every task, oldest first, no poll counted, no result, nothing removed. Realtime
        tasks are shown where the clock has moved them and left as they are in Redis: a poll moves them the same."""
        now = self.clock.now()
        rows = self._peek(args=[self._base, self._expiry(now)])
        views = []
        for raw, failure, has_result in zip(*[iter(rows)] * 3, strict=True):
            task = Task.from_dict(json.loads(raw), _stored_outcome(failure, has_result))
            if self.timing == "realtime":
                task.advance(self.timing, self.duration, now)
            views.append(task.peek_view())
        return views

    def finished_view(self, tenant: str, steps: list[str], result: Any) -> dict:
        """A task that is DONE at once (synchronous endpoints), pollable like any other."""
        return self._submit(tenant, steps, lambda: result, None, finish=True).view()

    def reset(self) -> None:
        """Every task of this prefix gone, in one script: no worker sees half of them."""
        self._reset(args=[self._base, self.link.pattern("tasks")])

    def __len__(self) -> int:
        return self.link.redis.zcard(self.link.key("tasks", "order"))

    def _submit(self, tenant: str, steps: list[str], work: Callable[[], Any], injected: TaskFailure | None, *,
                finish: bool) -> Task:
        """The task is in Redis (counted against the tenant's bound) while its work runs, as in memory, and its
        outcome is stored before the caller learns its id."""
        now = self.clock.now()
        task = Task.new(tenant, steps, now, injected)
        if not self._reserve(args=[self._base, self._expiry(now), tenant, task.id, self.max_per_tenant,
                                   micros(now), compact(task.to_dict())]):
            raise TooManyTasks.over(self.max_per_tenant)
        task.outcome, field, value = _run_for_the_store(work)
        if finish:
            task.finish(self.clock.now())
        self._complete(args=[self._base, task.id, field, value, compact(task.to_dict()) if finish else ""])
        return task

    def _expiry(self, now: datetime) -> int:
        """Tasks created before this (in microseconds) have expired."""
        return micros(now - timedelta(seconds=self.ttl))


def _run_for_the_store(work: Callable[[], Any]) -> tuple[Future, str, str]:
    """Run the work: its outcome, and the hash field and JSON that keep it. A result that JSON cannot hold is the
    work's failure: no worker could hand it out."""
    outcome = run_now(work)
    if outcome.exception() is None:
        try:
            return outcome, "result", compact(outcome.result())
        except (TypeError, ValueError) as exc:
            outcome = _settled(error=exc)
    failure = as_failure(outcome.exception())
    return outcome, "failure", compact([failure.error, failure.details])


def _stored_outcome(failure: bytes | None, has_result: int) -> Future | None:
    """The work's outcome as stored; None while it runs. The result itself is read only by the poll that shows it."""
    if failure is not None:
        return _settled(error=TaskFailure(*json.loads(failure)))
    return _settled() if has_result else None


def _settled(result: Any = None, error: BaseException | None = None) -> Future:
    future: Future = Future()
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)
    return future


def _flag(value: bool) -> str:
    return "1" if value else ""

