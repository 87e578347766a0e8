"""The request journal: what the code under test sent and what the mock answered (WireMock's journal).

Bounded (oldest entries fall off) and cheap on the request path: a request leaves only raw
material (its WSGI environ, body bytes); the readable `Entry` is built when someone asks. The
admin API's own calls are not journaled, so the journal shows only the traffic under test.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from functools import cached_property

from mockserver.core.clock import iso_millis
from mockserver.core.store import record_fields

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
        return {**record_fields(self), "at": iso_millis(self.at)}

    @cached_property
    def masked_json(self) -> dict:
        """`to_json()` with its credentials masked (`masked`), made once: the admin API's default answer."""
        return masked(self.to_json())


class Journal:
    """Thread-safe ring of `Entry`s with filters and assertion helpers."""

    def __init__(self, size: int = 1000):
        self._entries: deque[list] = deque(maxlen=size)
        """[id, raw material, the `Entry` once someone read it]: live readers (five consoles) build each once."""
        self._last_id = 0
        """Ids only grow, across clears too: a reader's cursor (`after`) never sees an id twice."""
        self._lock = threading.Lock()

    def record(self, *, at: datetime, family: str, method: str, path: str, environ: dict, request_body: bytes,
               status: int, duration_ms: float, response_body: bytes, operation: str | None,
               fault: str | None) -> None:
        raw = (at, family, method, path, environ, request_body, status, duration_ms, response_body, operation, fault)
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
        wanted = [raw for raw in raws if _matches(raw, family, method, path, status, operation)]
        if limit is not None:
            wanted = wanted[max(len(wanted) - limit, 0):]
        return [_entry(raw) for raw in wanted]

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


def _matches(item: list, family, method, path, status, operation) -> bool:
    """The filters of `Journal.find`, on the raw material (no `Entry` is built for what is left out)."""
    _, fam, meth, pth, _, _, code, _, _, op, _ = item[1]
    return ((family is None or fam == family) and (method is None or meth == method.upper())
            and (path is None or fnmatchcase(pth, path)) and (status is None or code == status)
            and (operation is None or op == operation))


def _entry(item: list) -> Entry:
    """The item's `Entry`, built on first read and kept (two readers racing build it twice, harmlessly)."""
    if item[2] is None:
        item[2] = _build(item[0], item[1])
    return item[2]


def _build(number: int, raw: tuple) -> Entry:
    at, family, method, path, environ, body, status, duration, answer, operation, fault = raw
    return Entry(id=number, at=at, family=family, method=method, path=path, query=environ.get("QUERY_STRING", ""),
                 status=status, duration_ms=duration, request_headers=_headers(environ),
                 request_body=body[:BODY_LIMIT].decode("utf-8", "replace"),
                 response_body=answer[:BODY_LIMIT].decode("utf-8", "replace"), operation=operation, fault=fault)


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
