"""A real Redis server for the tests: Debian's `redis-server` on a free port with its own temporary directory."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import redis

from tests.support import free_port, unless_installed

REDIS_SERVER = shutil.which("redis-server")
needs_redis = unless_installed(REDIS_SERVER is None, "redis-server is not installed (run 'sudo make system-deps')")


class RedisServer:
    """`redis-server` in the foreground; `stop()` ends it, `start()` starts it again on the same port and
    directory (with `persist`, an append-only file there keeps the data across the restart)."""

    def __init__(self, persist: bool = False):
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="mockserver-redis-"))
        self.persist = persist
        self.proc: subprocess.Popen | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
                "--save", "", "--appendonly", "yes" if self.persist else "no", "--protected-mode", "no"]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {self.port}") from None
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
