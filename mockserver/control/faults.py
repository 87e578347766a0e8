"""Fault injection: rules that make matching requests fail, slow down or lose their connection.

A rule matches on method, path glob and header globs; it can wait for the Nth match (`after`)
and fire once, N times, or always (`times`). Firing answers a status (with a body, or the family's
own error shape), adds latency, drops the connection (a reset before any byte, or a cut mid-body:
`drops`), or lets the request through but makes the task it creates end FAILED.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass, field
from fnmatch import fnmatchcase
from typing import Any

from mockserver.control import drops


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
        if not (self.status or self.latency_ms or self.drop or self.task_error):
            raise ValueError("a fault rule needs a status, a latency, retry_after, drop or task_error")

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
            rule.id = f"fault-{next(self._ids)}"
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
