"""Fault injection: rules that make matching requests fail, slow down or lose their connection.

A rule matches on method, path glob and header globs; it can wait for the Nth match (`after`)
and fire once, N times, or always (`times`). Firing answers a status (with a body, or the family's
own error shape), adds latency, drops the connection (a reset before any byte, or a cut mid-body:
`drops`), or lets the request through but makes the task it creates end FAILED.

`Faults` keeps the rules in the process; `RedisFaults` keeps them and their counters in the shared store, so that
`times` and `after` count the calls on every worker.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
import uuid
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from mockserver.control import drops

if TYPE_CHECKING:
    from mockserver.core.shared import RedisLink

ID_PREFIX = "fault-"
COUNTERS = ("matched", "fired")


@dataclass
class FaultRule:
    method: str | None = None
    path: str = "*"
    headers: dict[str, str] = field(default_factory=dict)
    after: int = 0
    """Let this many matching requests through first: `after=2` fails the 3rd call."""
    times: int | None = 1
    """How often it fires; None: every time."""
    status: int | None = None
    body: Any = None
    """JSON body to answer; None: the family's error shape for `status`."""
    response_headers: dict[str, str] = field(default_factory=dict)
    retry_after: int | None = None
    """Seconds for a `Retry-After` header; with no status given, the answer is 429."""
    latency_ms: int = 0
    drop: bool | str = False
    """Lose the connection instead of answering: "reset" (a TCP reset before any byte) or "cut" (status line,
    headers and part of the body, then it closes); True means "reset". See `drops`."""
    cut_stream_after: int | None = None
    """A streamed answer (Heidi's consult note, Ask Heidi) sends this many pieces, then the connection is cut: the
    request goes through, the client reads part of the stream and then fails."""
    task_error: dict[str, str] | None = None
    """{"error", "details"}: the request goes through, but the task it creates ends FAILED with these."""
    id: str = ""
    matched: int = 0
    fired: int = 0

    def __post_init__(self):
        if self.method:
            self.method = self.method.upper()
        if self.drop is True:
            self.drop = drops.DEFAULT_MODE
        elif self.drop is not False and self.drop not in drops.MODES:
            raise ValueError(f"drop must be true, false or one of {', '.join(map(repr, drops.MODES))}, "
                             f"not {self.drop!r}")
        if self.retry_after is not None and self.status is None:
            self.status = 429
        cuts = self.cut_stream_after is not None
        if not (self.status or self.latency_ms or self.drop or self.task_error or cuts):
            raise ValueError("a fault rule needs a status, latency, retry_after, drop, cut_stream_after or task_error")

    def matches(self, method: str, path: str, headers) -> bool:
        return ((self.method is None or self.method == method) and fnmatchcase(path, self.path)
                and all(fnmatchcase(headers.get(name, ""), pattern) for name, pattern in self.headers.items()))

    def to_json(self) -> dict:
        return asdict(self)


class Faults:
    """The active rules, checked in the order they were added; the first that fires wins."""

    def __init__(self):
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            rule.id = f"{ID_PREFIX}{next(self._ids)}"
            self._rules.append(rule)
        return rule

    def remove(self, rule_id: str) -> bool:
        with self._lock:
            kept = [r for r in self._rules if r.id != rule_id]
            removed, self._rules = len(kept) != len(self._rules), kept
        return removed

    def clear(self) -> None:
        with self._lock:
            self._rules = []

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def fire(self, method: str, path: str, headers) -> FaultRule | None:
        """Count the match on every rule that matches; return the first one due to fire."""
        if not self._rules:
            return None
        chosen = None
        with self._lock:
            for rule in self._rules:
                if not rule.matches(method, path, headers):
                    continue
                rule.matched += 1
                due = rule.matched > rule.after and (rule.times is None or rule.fired < rule.times)
                if due and chosen is None:
                    rule.fired += 1
                    chosen = rule
        return chosen


# KEYS: ids, rules, matched, fired, version. ARGV: the rule's JSON (no id, no counters), its matched and fired, the
# new version token, the id prefix. Returns the new id.
_ADD = """
local id = ARGV[5] .. redis.call('INCR', KEYS[1])
redis.call('HSET', KEYS[2], id, ARGV[1])
redis.call('HSET', KEYS[3], id, ARGV[2])
redis.call('HSET', KEYS[4], id, ARGV[3])
redis.call('SET', KEYS[5], ARGV[4])
return id
"""

# KEYS: rules, matched, fired. ARGV: (id, after, times or -1 for "every time") of each rule this request matches,
# in the order added. Counts the match on each that still exists; fires the first one due. Returns
# {id, matched, fired} of the one that fired, or nil.
_FIRE = """
local chosen
for i = 1, #ARGV, 3 do
  local id = ARGV[i]
  if redis.call('HEXISTS', KEYS[1], id) == 1 then
    local matched = redis.call('HINCRBY', KEYS[2], id, 1)
    if not chosen then
      local times = tonumber(ARGV[i + 2])
      local fired = tonumber(redis.call('HGET', KEYS[3], id) or 0)
      if matched > tonumber(ARGV[i + 1]) and (times < 0 or fired < times) then
        chosen = {id, matched, redis.call('HINCRBY', KEYS[3], id, 1)}
      end
    end
  end
end
return chosen
"""


class RedisFaults:
    """`Faults` shared by every worker on one Redis. Under `link.key("faults", ...)`: `rules` (id -> the rule's
    JSON), `matched` and `fired` (id -> count), `ids` (the id counter: ids are unique across workers and never
    reused, so a rule removed meanwhile is never confused with another) and `version` (a token, new on every
    change to the rules).

    `fire` runs on every request: each process keeps the rules it last read and reads them again only when the
    version changed, so a request costs one GET, plus one script (counting and choosing atomically) when a rule
    matches. The version is a fresh token rather than a counter, so a flushed Redis cannot count back up to a
    version a process has cached."""

    def __init__(self, link: RedisLink):
        self._link = link
        key = link.key
        self._ids, self._rules, self._version = key("faults", "ids"), key("faults", "rules"), key("faults", "version")
        self._matched, self._fired = key("faults", "matched"), key("faults", "fired")
        self._add = link.redis.register_script(_ADD)
        self._fire = link.redis.register_script(_FIRE)
        self._cache: tuple[bytes | None, list[FaultRule]] = (None, [])
        """(version, its rules in order), replaced whole so that threads need no lock."""

    def add(self, rule: FaultRule) -> FaultRule:
        definition = {k: v for k, v in rule.to_json().items() if k not in ("id", *COUNTERS)}
        rule.id = self._add(keys=[self._ids, self._rules, self._matched, self._fired, self._version],
                            args=[json.dumps(definition), rule.matched, rule.fired, _new_version(), ID_PREFIX]).decode()
        return rule

    def remove(self, rule_id: str) -> bool:
        with self._link.redis.pipeline() as pipe:
            pipe.hdel(self._rules, rule_id).hdel(self._matched, rule_id).hdel(self._fired, rule_id)
            removed = pipe.set(self._version, _new_version()).execute()[0]
        return bool(removed)

    def clear(self) -> None:
        """Every rule and counter; the id counter stays, as `Faults`' does."""
        with self._link.redis.pipeline() as pipe:
            pipe.delete(self._rules, self._matched, self._fired).set(self._version, _new_version()).execute()

    def rules(self) -> list[FaultRule]:
        with self._link.redis.pipeline() as pipe:
            return _read_rules(*pipe.hgetall(self._rules).hgetall(self._matched).hgetall(self._fired).execute())

    def fire(self, method: str, path: str, headers) -> FaultRule | None:
        """Count the match on every rule that matches; return the first one due to fire, with its counters."""
        matching = [rule for rule in self._current_rules() if rule.matches(method, path, headers)]
        if not matching:
            return None
        args = [arg for rule in matching for arg in (rule.id, rule.after, -1 if rule.times is None else rule.times)]
        outcome = self._fire(keys=[self._rules, self._matched, self._fired], args=args)
        if outcome is None:
            return None
        chosen_id, matched, fired = outcome[0].decode(), outcome[1], outcome[2]
        chosen = copy.copy(next(rule for rule in matching if rule.id == chosen_id))  # the cached one stays as read
        chosen.matched, chosen.fired = matched, fired
        return chosen

    def _current_rules(self) -> list[FaultRule]:
        """The rules as this process last read them, read again if they changed since (their counters unread)."""
        version = self._link.redis.get(self._version)
        cached_version, rules = self._cache
        if version == cached_version:
            return rules
        with self._link.redis.pipeline() as pipe:
            version, definitions = pipe.get(self._version).hgetall(self._rules).execute()
        rules = _read_rules(definitions)
        self._cache = (version, rules)
        return rules


def _new_version() -> str:
    return uuid.uuid4().hex


def _read_rules(definitions: dict[bytes, bytes], matched: dict[bytes, bytes] | None = None,
                fired: dict[bytes, bytes] | None = None) -> list[FaultRule]:
    """The rules from their hashes in Redis, in the order they were added (by the number in their ids)."""
    matched, fired = matched or {}, fired or {}
    rules = [FaultRule(**json.loads(text), id=rule_id.decode(), matched=int(matched.get(rule_id, 0)),
                       fired=int(fired.get(rule_id, 0))) for rule_id, text in definitions.items()]
    return sorted(rules, key=lambda rule: int(rule.id.removeprefix(ID_PREFIX)))
