"""One request at a time runs the app's Python, in a server with several request threads; a request that waits
steps out of the gate while it waits.

Several request threads are there so that a slow answer (a latency, a fault's delay) does not hold the others. But
two threads that both run Python hand the GIL to each other every switch interval, and on two cores that cost a
third of the throughput (benchmarks/http_bench.py: 2,900 creates/s with both running, 3,900-4,300 gated). Behind
the gate, the other threads wait on a lock, not on the GIL, until the request ahead is done or waits:

- `wait(seconds)`: a sleep outside the gate (the global latency, a fault rule's `latency_ms`);
- `acquire(lock)`: a lock that something outside the gate may hold (a tenant's, under a task or a snapshot);
- `stepped_out()`: any other wait that may need another request to end (a download from this very server).

Bodies that stream (a dropped connection's, a file's) are read by the server after the app returned: outside.
Without a gate (in process, or on the shared store, whose requests mostly wait on Redis) both are plain waits.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_held = threading.local()
"""The gate this thread is in, if any."""


class Gate:
    def __init__(self) -> None:
        self._lock = threading.Lock()

    def around(self, app: Callable) -> Callable:
        """The WSGI app `app`, entered one request at a time."""
        lock = self._lock

        def gated(environ, start_response):
            with lock:
                _held.gate = self
                try:
                    return app(environ, start_response)
                finally:
                    _held.gate = None

        return gated


@contextmanager
def stepped_out() -> Iterator[None]:
    """Leave this thread's gate for the block (another request may run meanwhile), and wait to re-enter it."""
    gate = getattr(_held, "gate", None)
    if gate is None:
        yield
        return
    _held.gate = None
    gate._lock.release()
    try:
        yield
    finally:
        gate._lock.acquire()
        _held.gate = gate


def wait(seconds: float) -> None:
    """Sleep, out of the gate."""
    with stepped_out():
        time.sleep(seconds)


def acquire(lock, timeout: float = -1) -> bool:
    """`lock.acquire(timeout=timeout)`, out of the gate if the lock is not free at once."""
    if lock.acquire(blocking=False):
        return True
    with stepped_out():
        return lock.acquire(timeout=timeout)
