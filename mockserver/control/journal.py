"""The request journal: what the code under test sent and what the mock answered (WireMock's journal).

Bounded (oldest entries fall off) and cheap on the request path: a request leaves only raw
material (its WSGI environ, body bytes); the readable `Entry` is built when someone asks. The
admin API's own calls are not journaled, so the journal shows only the traffic under test.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import datetime
from fnmatch import fnmatchcase

from mockserver.core.clock import iso_millis

BODY_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
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
        return {**asdict(self), "at": iso_millis(self.at)}


class Journal:
    """Thread-safe ring of `Entry`s with filters and assertion helpers."""

    def __init__(self, size: int = 1000):
        self._entries: deque[tuple[int, tuple]] = deque(maxlen=size)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, *, at: datetime, family: str, method: str, path: str, environ: dict, request_body: bytes,
               status: int, duration_ms: float, response_body: bytes, operation: str | None,
               fault: str | None) -> None:
        raw = (at, family, method, path, environ, request_body, status, duration_ms, response_body, operation, fault)
        with self._lock:
            self._entries.append((next(self._ids), raw))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def find(self, *, family: str | None = None, method: str | None = None, path: str | None = None,
             status: int | None = None, operation: str | None = None) -> list[Entry]:
        """Entries oldest first; `path` is a glob (`/v2/patient-contexts/*`)."""
        with self._lock:
            raws = list(self._entries)
        return [e for e in map(_entry, raws)
                if (family is None or e.family == family)
                and (method is None or e.method == method.upper())
                and (path is None or fnmatchcase(e.path, path))
                and (status is None or e.status == status)
                and (operation is None or e.operation == operation)]

    def __len__(self) -> int:
        return len(self._entries)

    def assert_called(
        self, method: str, path: str, *, times: int | None = None, status: int | None = None
    ) -> list[Entry]:
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


def _entry(item: tuple[int, tuple]) -> Entry:
    number, (at, family, method, path, environ, body, status, duration, answer, operation, fault) = item
    return Entry(id=number, at=at, family=family, method=method, path=path, query=environ.get("QUERY_STRING", ""),
                 status=status, duration_ms=duration, request_headers=_headers(environ),
                 request_body=body[:BODY_LIMIT].decode("utf-8", "replace"),
                 response_body=answer[:BODY_LIMIT].decode("utf-8", "replace"), operation=operation, fault=fault)


def _headers(environ: dict) -> dict[str, str]:
    """Request headers as the client sent them, from the WSGI environ."""
    out = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            out[key.replace("_", "-").title()] = environ[key]
    return out
