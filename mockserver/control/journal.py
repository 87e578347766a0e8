"""The request journal: what the code under test sent and what the mock answered (WireMock's journal).

Bounded (oldest entries fall off) and cheap on the request path: a request leaves only raw
material (its WSGI environ, body bytes); the readable `Entry` is built when someone asks. The
admin API's own calls are not journaled, so the journal shows only the traffic under test.

`Journal` keeps it in this process; `RedisJournal` in the shared store, so that it shows every worker's requests.
Both turn raw material into an `Entry` in one place: `_material` (raw -> an Entry's fields), then `Entry(id, ...)`.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from dataclasses import dataclass, fields
from datetime import datetime
from fnmatch import fnmatchcase
from functools import cached_property
from typing import TYPE_CHECKING

from mockserver.core.clock import iso_millis
from mockserver.core.store import record_fields

if TYPE_CHECKING:
    from mockserver.core.shared import RedisLink

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
        out = record_fields(self)
        out.pop("masked_json", None)  # once read, the cached property is among the instance's attributes
        return {**out, "at": iso_millis(self.at)}

    @cached_property
    def masked_json(self) -> dict:
        """`to_json()` with its credentials masked (`masked`), made once: the admin API's default answer."""
        return masked(self.to_json())


class JournalChecks:
    """What tests ask of a journal, on its `find`: the same for both journals."""

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


class Journal(JournalChecks):
    """Thread-safe ring of `Entry`s with filters and assertion helpers."""

    def __init__(self, size: int = 1000):
        self._entries: deque[list] = deque(maxlen=size)
        """[id, raw material in `_material`'s order, the `Entry` once someone read it]: live readers (five consoles)
        build each once."""
        self._last_id = 0
        """Ids only grow, across clears too: a reader's cursor (`after`) never sees an id twice."""
        self._lock = threading.Lock()

    def record(self, *, at: datetime, family: str, method: str, path: str, environ: dict, request_body: bytes,
               status: int, duration_ms: float, response_body: bytes, operation: str | None,
               fault: str | None) -> None:
        raw = (family, method, path, status, operation, at, environ, request_body, duration_ms, response_body, fault)
        with self._lock:
            self._last_id += 1
            self._entries.append([self._last_id, raw, None])

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @property
    def oldest_id(self) -> int:
        """The id of the oldest entry held; when empty, the id the next entry gets. A reader that holds entries
        with smaller ids knows they fell off or were cleared."""
        with self._lock:
            return self._entries[0][0] if self._entries else self._last_id + 1

    def find(self, *, family: str | None = None, method: str | None = None, path: str | None = None,
             status: int | None = None, operation: str | None = None, after: int | None = None,
             limit: int | None = None) -> list[Entry]:
        """Entries oldest first; `path` is a glob (`/v2/patient-contexts/*`); `after`: only those with a greater id
        (a live reader's cursor, read from the new end); `limit`: only the newest that many. An entry is built only
        for what is returned, so a live reader's poll costs what it returns, however busy the traffic was."""
        with self._lock:
            if after is None:
                raws = list(self._entries)
            else:
                raws = list(itertools.takewhile(lambda item: item[0] > after, reversed(self._entries)))[::-1]
        wanted = [item for item in raws if _matches(item[1][:len(_FILTERED)], family, method, path, status, operation)]
        if limit is not None:
            wanted = wanted[max(len(wanted) - limit, 0):]
        return [_entry(raw) for raw in wanted]

    def __len__(self) -> int:
        return len(self._entries)


def _matches(keys, family, method, path, status, operation) -> bool:
    """The filters of `find`, on an entry's `_FILTERED` values (no `Entry` is built for what is left out)."""
    fam, meth, pth, code, op = keys
    return ((family is None or fam == family) and (method is None or meth == method.upper())
            and (path is None or fnmatchcase(pth, path)) and (status is None or code == status)
            and (operation is None or op == operation))


def _entry(item: list) -> Entry:
    """The item's `Entry`, built on first read and kept (two readers racing build it twice, harmlessly)."""
    if item[2] is None:
        item[2] = Entry(id=item[0], **_material(*item[1]))
    return item[2]


def _material(family: str, method: str, path: str, status: int, operation: str | None, at: datetime, environ: dict,
              request_body: bytes, duration_ms: float, response_body: bytes, fault: str | None) -> dict:
    """A request's raw material -> an `Entry`'s fields but its id: the headers as sent (`_headers`), the query,
    the bodies cut at BODY_LIMIT as text. The one place that reads raw material, for both journals."""
    return {"family": family, "method": method, "path": path, "status": status, "operation": operation, "at": at,
            "query": environ.get("QUERY_STRING", ""), "request_headers": _headers(environ),
            "request_body": request_body[:BODY_LIMIT].decode("utf-8", "replace"), "duration_ms": duration_ms,
            "response_body": response_body[:BODY_LIMIT].decode("utf-8", "replace"), "fault": fault}


_FILTERED = ("family", "method", "path", "status", "operation")
"""What `find` filters on, in `_matches`' order (and first in `_material`'s): `RedisJournal` keeps them apart from
the rest, so a filter reads them without parsing the bodies."""
_REST = tuple(f.name for f in fields(Entry) if f.name not in (*_FILTERED, "id"))
_dump = json.JSONEncoder(separators=(",", ":"), default=datetime.isoformat).encode
"""Compact JSON, with `at` as ISO 8601 (exact, offset and microseconds kept). ASCII: whatever a WSGI server puts
in a header can be sent to Redis."""

_RECORD = """
local id = redis.call('INCR', KEYS[1])
redis.call('XADD', KEYS[2], 'MAXLEN', ARGV[1], id .. '-0', 'k', ARGV[2], 'v', ARGV[3])
"""
"""One round trip: the next id (a counter that a clear keeps, so ids only grow) and the entry under it, the
oldest trimmed to the journal's size; atomic, so the stream's order is the ids' order."""
_MAX_ID = 2**63
"""Above any id INCR gives: a cursor past it is clamped, not an id Redis refuses."""
PAGE = 256
"""Entries read per round trip when `find` looks for the newest few that pass a filter."""


class RedisJournal(JournalChecks):
    """`Journal` in the shared store: one stream of every worker's requests in order of arrival, each under its id.

    `record` sends the entry's fields, compact, in one script call; the `Entry` is built when someone reads it.
    """

    def __init__(self, link: RedisLink, size: int = 1000):
        self._redis = link.redis
        self._size = size
        self._last_id = link.key("journal", "last-id")
        self._entries = link.key("journal", "entries")
        self._record = self._redis.register_script(_RECORD)

    def record(self, *, at: datetime, family: str, method: str, path: str, environ: dict, request_body: bytes,
               status: int, duration_ms: float, response_body: bytes, operation: str | None,
               fault: str | None) -> None:
        material = _material(family, method, path, status, operation, at, environ, request_body, duration_ms,
                             response_body, fault)
        self._record(keys=[self._last_id, self._entries],
                     args=[self._size, _dump([material[name] for name in _FILTERED]),
                           _dump([material[name] for name in _REST])])

    def clear(self) -> None:
        self._redis.unlink(self._entries)

    @property
    def oldest_id(self) -> int:
        """As `Journal.oldest_id`."""
        with self._redis.pipeline() as pipe:  # MULTI: both as of one moment
            oldest, last = pipe.xrange(self._entries, count=1).get(self._last_id).execute()
        return _id(oldest[0]) if oldest else int(last or 0) + 1

    def find(self, *, family: str | None = None, method: str | None = None, path: str | None = None,
             status: int | None = None, operation: str | None = None, after: int | None = None,
             limit: int | None = None) -> list[Entry]:
        """As `Journal.find`. With `limit`, reads from the new end only as far as needed: a live reader's poll
        (`after` and `limit`, no filter) is one read of what it returns."""
        filters = (family, method, path, status, operation)
        filtered = any(value is not None for value in filters)

        def passes(item) -> bool:
            return not filtered or _matches(_keys(item), *filters)

        low = f"({min(after, _MAX_ID)}" if after is not None and after > 0 else "-"
        if limit is None:
            items = [item for item in self._redis.xrange(self._entries, low, "+") if passes(item)]
        else:
            newest = filter(passes, self._newest_first(low, max(limit, PAGE) if filtered else limit))
            items = list(itertools.islice(newest, max(limit, 0)))[::-1]
        return [_read(item) for item in items]

    def _newest_first(self, low: str, page: int):
        """Items newer than `low`, newest first, read `page` at a time as the caller asks for more."""
        high = "+"
        while page > 0:
            items = self._redis.xrevrange(self._entries, high, low, count=page)
            yield from items
            if len(items) < page:
                return
            high = f"({_id(items[-1])}"

    def __len__(self) -> int:
        return self._redis.xlen(self._entries)


def _id(item: tuple) -> int:
    """A stream item's id: `N-0` is entry N."""
    return int(item[0].partition(b"-")[0])


def _keys(item: tuple) -> list:
    return json.loads(item[1][b"k"])


def _read(item: tuple) -> Entry:
    """A stream item's `Entry`."""
    rest = dict(zip(_REST, json.loads(item[1][b"v"]), strict=True))
    rest["at"] = datetime.fromisoformat(rest["at"])
    return Entry(id=_id(item), **dict(zip(_FILTERED, _keys(item), strict=True)), **rest)


SECRET_NAME = re.compile(
    r"token|secret|passw|cookie|credential|authori[sz]ation|api[-_]?key|(?:^|[-_])(?:auth|key)(?:$|[-_])",
    re.IGNORECASE)
"""Names of headers, query parameters and JSON fields whose values the admin API masks: Authorization,
Heidi-Api-Key, X-User-Token, Cookie, access_token, api_key, key, password, client_secret, X-Auth-...
(not FHIR's authoredOn, nor Haidy's identity_signature)."""
_MAYBE_SECRET = re.compile(r"auth|token|key|secret|passw|cookie|credential", re.IGNORECASE)
"""A quick look for a text that may hold a secret name, before it is taken apart."""
MASK = "****"
HINT_FROM = 16
"""A secret this long or longer keeps its last 4 characters after the mask, to tell tokens apart; a shorter one
would give too much of itself away and is masked whole."""
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9_-]*) +(\S.*)")
_JSON_FIELD = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)"((?:[^"\\]|\\.)*)("|\\?\Z)')
"""A JSON field with a string value: name, colon, value, and its closing quote (none where the body was cut)."""


def masked(entry: dict) -> dict:
    """A journal entry's JSON with its credentials masked (`mask`): for the admin API, which pages can show;
    the in-process `Journal` keeps them as sent, for tests' assertions."""
    headers = entry["request_headers"]
    return {**entry, "request_headers": {name: _mask_header(name, value) for name, value in headers.items()},
            "query": _mask_query(entry["query"]), "request_body": _mask_json_text(entry["request_body"]),
            "response_body": _mask_json_text(entry["response_body"])}


def mask(secret: str) -> str:
    """`****`, and the last 4 characters of a long secret: `Bearer eyJh...Qssw5c` -> `Bearer ****sw5c`."""
    scheme = _SCHEME.fullmatch(secret)
    if scheme:
        return f"{scheme.group(1)} {mask(scheme.group(2))}"
    hint = secret[-4:] if len(secret) >= HINT_FROM else ""
    return MASK + ("" if "\\" in hint or '"' in hint else hint)  # no half of an escape in a JSON string


def _mask_header(name: str, value: str) -> str:
    if not SECRET_NAME.search(name):
        return value
    if name.lower() == "cookie":  # each cookie's name stays readable
        return "; ".join(f"{key}={mask(val)}" if sep else mask(key)
                         for key, sep, val in (part.strip().partition("=") for part in value.split(";")))
    return mask(value)


def _mask_query(query: str) -> str:
    """The query string with the values of secret-named parameters masked; the rest as sent, byte for byte."""
    if not query or not _MAYBE_SECRET.search(query):
        return query
    out = []
    for part in query.split("&"):
        name, sep, value = part.partition("=")
        out.append(f"{name}={mask(value)}" if sep and SECRET_NAME.search(name) else part)
    return "&".join(out)


def _mask_json_text(body: str) -> str:
    """String values of secret-named JSON fields masked in place, so a body cut at the journal's limit (no longer
    JSON) is masked too, and the rest keeps its layout."""
    if not _MAYBE_SECRET.search(body):
        return body
    return _JSON_FIELD.sub(_mask_field, body)


def _mask_field(field: re.Match) -> str:
    name, colon, value, end = field.groups()
    if not SECRET_NAME.search(name):
        return field.group(0)
    return f'"{name}"{colon}"{mask(value)}' + ('"' if end == '"' else "")


def _headers(environ: dict) -> dict[str, str]:
    """Request headers as the client sent them, from the WSGI environ."""
    out = {key[5:].replace("_", "-").title(): value for key, value in environ.items() if key.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            out[key.replace("_", "-").title()] = environ[key]
    return out
