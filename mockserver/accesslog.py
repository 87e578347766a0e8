"""The access log of `mockserver serve`: one line per request on stderr, at a few microseconds each.

Python's `logging` costs more per record than serving a GET does (it halved GETs per second in
benchmarks/http_bench.py), so this writes preformatted lines and formats the timestamp once a second.
"""

from __future__ import annotations

import sys
import time


class AccessLog:
    def __init__(self, stream=None):
        self.stream = stream
        self._second = -1
        self._stamp = ""

    def write(self, method: str, path: str, status: int, elapsed_ms: float) -> None:
        second = int(time.time())
        if second != self._second:
            self._second, self._stamp = second, time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
        (self.stream or sys.stderr).write(f"{self._stamp} {method} {path} {status} {elapsed_ms:.1f}ms\n")
