"""The request journal: what the code under test sent and what the mock answered (WireMock's journal).

Bounded (oldest entries fall off) and cheap: bodies are kept as text up to a limit. The admin
API's own calls are not journaled, so the journal shows only the traffic under test.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase

BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Entry:
    id: int
    at: str
    family: str
    method: str
    path: str
    query: str
    status: int
    duration_ms: float
    request_headers: dict
    request_body: str
    response_body: str
    operation: str | None
    fault: str | None

    def json(self):
        """The request body parsed as JSON (None if it was not JSON)."""
        try:
            return json.loads(self.request_body)
        except ValueError:
            return None

    def to_json(self) -> dict:
        return asdict(self)


class Journal:
    """Thread-safe ring of `Entry`s with filters and assertion helpers."""

    def __init__(self, size: int = 1000):
        self._entries: deque[Entry] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, **fields) -> None:
        with self._lock:
            self._entries.append(Entry(id=next(self._ids), **fields))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(self, *, family: str | None = None, method: str | None = None, path: str | None = None,
             status: int | None = None, operation: str | None = None) -> list[Entry]:
        """Entries oldest first; `path` is a glob (`/v2/patient-contexts/*`)."""
        with self._lock:
            entries = list(self._entries)
        return [e for e in entries
                if (family is None or e.family == family)
                and (method is None or e.method == method.upper())
                and (path is None or fnmatchcase(e.path, path))
                and (status is None or e.status == status)
                and (operation is None or e.operation == operation)]

    def __len__(self) -> int:
        return len(self._entries)

    def assert_called(self, method: str, path: str, *, times: int | None = None, status: int | None = None) -> list[Entry]:
        """Fail unless `method path` was called (exactly `times` times, if given); return the calls."""
        calls = self.find(method=method, path=path, status=status)
        wanted = f"{method.upper()} {path}" + (f" -> {status}" if status else "")
        if times is None and not calls:
            raise AssertionError(f"{wanted} was never called; journal:\n{self.summary()}")
        if times is not None and len(calls) != times:
            raise AssertionError(f"{wanted} called {len(calls)} times, expected {times}; journal:\n{self.summary()}")
        return calls

    def assert_not_called(self, method: str, path: str) -> None:
        calls = self.find(method=method, path=path)
        if calls:
            raise AssertionError(f"{method.upper()} {path} was called {len(calls)} times; journal:\n{self.summary()}")

    def summary(self) -> str:
        return "\n".join(f"  #{e.id} {e.method} {e.path} -> {e.status}" for e in self.find()) or "  (empty)"
