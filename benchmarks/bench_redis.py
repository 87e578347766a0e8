"""A throwaway redis-server for the benchmarks: Debian's `redis-server` alone on a free loopback port, with its own
temporary directory, nothing written to disk (`--save "" --appendonly no`), in its own session so that its CPU
can be counted apart (and with the server it serves, not as "other" CPU). Stopped and its directory deleted when
the context ends. The same lines as tests/redis_server.py, which the benchmarks do not import.

    with redis_server(log=Path("redis.log")) as redis:
        subprocess.run(["mockserver", "serve", "--store", redis.url, ...])
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
PREFIX = "bench"
"""The `?prefix=` of the store URL: every key the mock writes starts with it."""


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


def redis_version() -> str:
    """`redis-server 7.0.15`, or "" when it is not installed."""
    path = redis_server_path()
    if not path:
        return ""
    out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    return "redis-server " + (out.split("v=", 1)[1].split()[0] if "v=" in out else out.strip())


@dataclass(frozen=True)
class RedisServer:
    port: int
    pid: int
    """Also its session id: it leads its own session."""
    dir: Path

    @property
    def url(self) -> str:
        """The mock's `--store` URL."""
        return f"redis://{HOST}:{self.port}/0?prefix={PREFIX}"


def terminate(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL if it is still there after 10 s."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _ping(port: int) -> bool:
    """One RESP PING on a fresh connection; no client library needed."""
    try:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(log: Path | None = None, timeout: float = 10) -> Iterator[RedisServer]:
    """Start a redis-server, yield it once it answers PING; always stop it (SIGTERM, then SIGKILL) and delete its
    directory. `log`: where its output goes (default: nowhere)."""
    path = redis_server_path()
    if path is None:
        raise RuntimeError("redis-server is not installed (sudo apt-get install redis-server)")
    port, directory = _free_port(), Path(tempfile.mkdtemp(prefix="mockserver-bench-redis-"))
    argv = [path, "--port", str(port), "--bind", HOST, "--dir", str(directory), "--save", "",
            "--appendonly", "no", "--protected-mode", "no", "--logfile", ""]
    out = log.open("wb") if log else subprocess.DEVNULL
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            while not _ping(port):
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on port {port}" + (f"; see {log}" if log else ""))
                time.sleep(0.05)
            yield RedisServer(port, proc.pid, directory)
        finally:
            terminate(proc)
    finally:
        if log:
            out.close()
        shutil.rmtree(directory, ignore_errors=True)
