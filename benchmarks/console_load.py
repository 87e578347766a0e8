"""Simulated open web consoles: the admin API polls of N consoles, to measure what they cost the API.

The issue asks that an open console not slow the API. A console's live updates are short GETs on a timer
(mockserver/console/static/js/poll.js), so what the server pays for them is those requests; this module makes
exactly them, on the schedule of the console's JavaScript, while http_bench.py drives the API with wrk. It is a
simulation, not browsers: on a two-core machine five headless Chromiums would spend the CPU on their own
rendering, and the benchmark would measure them, not the server.

The schedule mirrors the JavaScript (constants named after its ones):

- app.js: GET /_mock/health once when the console opens; views/requests.js asks for it again when it renders.
- journal.js, views/requests.js: the journal poll, GET /_mock/requests?after=<last id>&limit=LIVE_LIMIT (no
  limit on the first), JOURNAL_POLL_MS after the previous poll ended (poll.js's Scope.every waits `ms` after each
  run ends, never runs two at once). The answer's
  X-Mock-Journal-Oldest header says which entries the journal still holds: the console keeps its entries from
  that id on (that is how it notices a clear) and appends the new ones, at most JOURNAL_SIZE.
- views/data.js: a forced refresh on open, then one JOURNAL_POLL_MS after the previous refresh ended: the
  journal poll, GET /_mock/tasks (so the tasks too are polled every JOURNAL_POLL_MS), and GET /_mock/state when
  due: STATE_EVERY_MS after the last fetch, or sooner when the new journal entries include a call that may change
  data (not a GET, or a GET of a path ending in /jwt): once STATE_AFTER_TRAFFIC_MS has passed since it; and
  either way no sooner than STATE_COST_FACTOR times the last full export's duration (an export grows with the
  world, so a console backs off in proportion to its cost). The state is asked for with the last export's ETag as
  If-None-Match: a 304 (nothing changed) costs the server next to nothing. While a journal poll comes back full
  (LIVE_LIMIT entries: more traffic than a live view reads, a load test) the state is not read at all.

Each console keeps one keep-alive connection, as a browser does, and reconnects after an error.

    with ConsoleLoad("http://127.0.0.1:8000", count=5, view="data") as consoles:
        ...                                # warm-up: consoles.take() discards what was counted so far
        figures = consoles.take()          # what the consoles did since the last take()
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

JOURNAL_POLL_MS = 1000
"""views/requests.js and views/data.js: scope.every(1000, ...)."""
STATE_EVERY_MS = 5000
"""views/data.js: the state is fetched again this long after the last fetch, for changes made through the admin API."""
STATE_AFTER_TRAFFIC_MS = 1000
"""views/data.js: after a call that may change data, the state is fetched again once this long has passed..."""
STATE_COST_FACTOR = 100
"""views/data.js: the state is fetched again no sooner than this many times the previous fetch took."""
LIVE_LIMIT = 100
"""journal.js: a journal poll after the first asks for at most this many new entries (`limit`)."""
JOURNAL_SIZE = 1000
"""The journal's default size (mockserver/control/journal.py): more entries than that a console never holds."""
TIMEOUT = 10
"""Seconds before a console's request counts as failed (the browser would wait longer; a benchmark should not)."""

HEALTH, JOURNAL, TASKS, STATE = "/_mock/health", "/_mock/requests", "/_mock/tasks", "/_mock/state"
ENDPOINTS = (HEALTH, JOURNAL, TASKS, STATE)
VIEWS = ("requests", "data")
OLDEST_HEADER = "X-Mock-Journal-Oldest"


@dataclass
class Endpoint:
    """What the consoles got from one endpoint: the latency is from sending the request to the last byte read."""

    requests: int = 0
    non_2xx: int = 0
    errors: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0
    bytes: int = 0

    @property
    def mean_ms(self) -> float:
        return self.total_ms / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Figures:
    """What `count` consoles on `view` did during `seconds`; `problems` are the first few failures, described."""

    view: str
    count: int
    seconds: float
    endpoints: dict[str, Endpoint]
    problems: tuple[str, ...] = ()

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints.values())

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(e.non_2xx for e in self.endpoints.values())

    @property
    def errors(self) -> int:
        return sum(e.errors for e in self.endpoints.values())

    @property
    def valid(self) -> bool:
        """Any non-2xx answer or failed request voids the figures, and the run they were taken during."""
        return self.non_2xx == 0 and self.errors == 0


class Failed(Exception):
    """A console's request that got no usable answer; the poll ends there, as a rejected fetch ends a JS task."""


@dataclass
class _Tally:
    """The counters all consoles of one ConsoleLoad add to, under one lock."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    since: float = field(default_factory=time.monotonic)

    def record(self, endpoint: str, ms: float, size: int, status: int | None, problem: str | None) -> None:
        with self.lock:
            counts = self.endpoints.setdefault(endpoint, Endpoint())
            counts.requests += 1
            counts.total_ms += ms
            counts.max_ms = max(counts.max_ms, ms)
            counts.bytes += size
            if status is None:
                counts.errors += 1
            elif not 200 <= status < 300:
                counts.non_2xx += 1
            if problem and len(self.problems) < 5:
                self.problems.append(problem)

    def fail(self, endpoint: str, problem: str) -> None:
        """An answer counted already (2xx) that the console could not use: an error, not another request."""
        with self.lock:
            self.endpoints.setdefault(endpoint, Endpoint()).errors += 1
            if len(self.problems) < 5:
                self.problems.append(problem)

    def take(self, view: str, count: int) -> Figures:
        with self.lock:
            now = time.monotonic()
            figures = Figures(view, count, now - self.since, self.endpoints, tuple(self.problems))
            self.endpoints, self.problems, self.since = {}, [], now
        return figures


class Console(threading.Thread):
    """One open console showing `view`, until `stopping` is set."""

    def __init__(self, base: str, view: str, tally: _Tally, stopping: threading.Event, headers: dict[str, str]):
        super().__init__(name=f"console-{view}", daemon=True)
        url = urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.view, self.tally, self.stopping = view, tally, stopping
        self.headers = {"Accept": "*/*", **headers}
        self.connection: http.client.HTTPConnection | None = None
        self.entries: list[dict] = []
        self.after = 0  # the journal cursor: the id of the newest entry seen
        self.primed = False  # journal.js: the first poll reads the whole journal, later ones at most LIVE_LIMIT
        self.busy = False  # journal.js: the last poll asked with a limit and came back full
        self.state_at = 0.0  # monotonic seconds at the end of the last state fetch (data.js: stateAt)
        self.state_seconds = 0.0  # how long the last full export took
        self.state_tag: str | None = None  # its ETag, sent back as If-None-Match (data.js: stateTag)
        self.changes = False

    # HTTP ---------------------------------------------------------------------------------------

    def get(self, path: str, endpoint: str, etag: str | None = None) -> tuple[bytes, http.client.HTTPResponse]:
        """One GET on the console's keep-alive connection; counted, and `Failed` unless it answered 2xx (or 304
        to a conditional GET: `etag` sent as If-None-Match)."""
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
            self.connection.request("GET", path, headers={**self.headers, **({"If-None-Match": etag} if etag else {})})
            response = self.connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            if self.connection is not None:
                self.connection.close()
                self.connection = None
            self.tally.record(endpoint, (time.monotonic() - started) * 1000, 0, None,
                              f"GET {path}: {type(error).__name__}: {error}")
            raise Failed(path) from error
        ms = (time.monotonic() - started) * 1000
        if not (200 <= response.status < 300 or (etag and response.status == 304)):
            self.tally.record(endpoint, ms, len(body), response.status,
                              f"GET {path}: {response.status} {body[:200]!r}")
            raise Failed(path)
        self.tally.record(endpoint, ms, len(body), response.status, None)
        return body, response

    # What the views do --------------------------------------------------------------------------

    def poll_journal(self) -> list[dict]:
        """The cursor poll; the new entries, after keeping the ones the journal still holds."""
        limit = f"&limit={LIVE_LIMIT}" if self.primed else ""  # the first poll reads the whole journal
        body, response = self.get(f"{JOURNAL}?after={self.after}{limit}", JOURNAL)
        oldest = response.getheader(OLDEST_HEADER)
        try:
            new = json.loads(body)
            kept = [e for e in self.entries if e["id"] >= int(oldest)] + new
            after = int(new[-1]["id"]) if new else self.after
        except (ValueError, TypeError, KeyError) as error:
            self.tally.fail(JOURNAL, f"GET {JOURNAL}: unusable answer ({OLDEST_HEADER}: {oldest!r}, {body[:100]!r}): "
                                     f"{error}")
            raise Failed(JOURNAL) from error
        self.entries, self.after, self.busy = kept[-JOURNAL_SIZE:], after, self.primed and len(new) >= LIVE_LIMIT
        self.primed = True
        return new

    def state_due(self) -> bool:
        """data.js's rule: every STATE_EVERY_MS; after data-changing traffic sooner, but backed off by the cost;
        not while the journal polls come back full (the view waits for calm)."""
        since, cost = time.monotonic() - self.state_at, STATE_COST_FACTOR * self.state_seconds
        return not self.busy and (since >= max(STATE_EVERY_MS / 1000, cost)
                                  or (self.changes and since >= max(STATE_AFTER_TRAFFIC_MS / 1000, cost)))

    def refresh_data(self, force: bool = False) -> None:
        """One refresh of the Data view: journal, tasks, and the state when it is due."""
        new = self.poll_journal()
        if any(e.get("method") != "GET" or str(e.get("path", "")).endswith("/jwt") for e in new):
            self.changes = True
        self.get(TASKS, TASKS)
        if force or self.state_due():
            self.changes = False
            started = time.monotonic()
            _, response = self.get(STATE, STATE, self.state_tag)
            self.state_at = time.monotonic()
            if response.status != 304:  # data.js keeps the cost of the last full export
                self.state_seconds, self.state_tag = self.state_at - started, response.getheader("ETag")

    def poll(self, task) -> None:
        """poll.js's Scope.every: run `task` now and JOURNAL_POLL_MS after each run ends; a failed run is only
        counted (the console shows "offline" and tries again)."""
        while not self.stopping.is_set():
            try:
                task()
            except Failed:
                pass
            self.stopping.wait(JOURNAL_POLL_MS / 1000)

    def run(self) -> None:
        try:
            self.get(HEALTH, HEALTH)  # app.js: showServer()
            if self.view == "requests":
                self.get(HEALTH, HEALTH)  # requests.js: render() reads the families from it
                self.poll(self.poll_journal)
            else:
                self.refresh_data(force=True)  # data.js: render() ends with refresh({force: true})
                self.poll(self.refresh_data)
        except Failed:
            pass  # the view did not open: counted; a reload is a person's job, not the console's
        finally:
            if self.connection is not None:
                self.connection.close()


class ConsoleLoad:
    """`count` consoles open on `view` against `base` while the `with` block runs (or between start and stop)."""

    def __init__(self, base: str, count: int, view: str, headers: dict[str, str] | None = None):
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(VIEWS)}, not {view!r}")
        self.base, self.count, self.view = base, count, view
        self.headers = headers or {}
        self.tally = _Tally()
        self.stopping = threading.Event()
        self.consoles: list[Console] = []

    def start(self) -> ConsoleLoad:
        self.tally.take(self.view, self.count)
        self.consoles = [Console(self.base, self.view, self.tally, self.stopping, self.headers)
                         for _ in range(self.count)]
        for console in self.consoles:
            console.start()
        return self

    def take(self) -> Figures:
        """What the consoles did since the start or the last take(), and the counters back to zero."""
        return self.tally.take(self.view, self.count)

    def stop(self) -> None:
        """Close the consoles; a request in flight is let finish (at most TIMEOUT seconds)."""
        self.stopping.set()
        for console in self.consoles:
            console.join(TIMEOUT + 1)

    def __enter__(self) -> ConsoleLoad:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()

