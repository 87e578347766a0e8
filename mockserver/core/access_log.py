"""The access log of `mockserver serve`: one line per request on stderr, at a microsecond or two each.

Python's `logging` costs more per record than serving a GET does (it halved GETs per second in
benchmarks/http_bench.py), and even one flushed write per request, made by the request thread,
cost a quarter of GET throughput. So a request only appends its preformatted line to a deque
(thread-safe, no lock of ours) and one daemon thread writes what has gathered, a few times a
second, in one write; lines reach the terminal at most `interval` seconds late.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from multiprocessing.util import Finalize


class AccessLog:
    def __init__(self, stream=None, interval: float = 0.05):
        self.stream = stream
        self.interval = interval
        self._lines: deque[str] = deque()
        self._second = -1
        self._stamp = ""
        self._writer: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def write(self, method: str, path: str, status: int, elapsed_ms: float) -> None:
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        self._lines.append(f"{self._stamp} {method} {path} {status} {elapsed_ms:.1f}ms\n")
        if self._writer is None:
            self._start()

    def flush(self) -> None:
        """Write every line gathered so far, in order, in one write."""
        batch = []
        try:
            while True:
                batch.append(self._lines.popleft())
        except IndexError:
            pass
        if batch:
            stream = self.stream or sys.stderr
            stream.write("".join(batch))
            stream.flush()

    def _start(self) -> None:
        with self._start_lock:
            if self._writer is None:
                self._writer = threading.Thread(target=self._drain, name="mockserver-access-log", daemon=True)
                self._writer.start()
                # Runs at interpreter exit, and also in granian's worker (a multiprocessing child,
                # which ends with os._exit and so skips atexit): no line is lost on Ctrl-C.
                Finalize(None, self.flush, exitpriority=10)

    def _drain(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()
