"""Serving the app: granian (fast, Rust) for `mockserver serve`, waitress as a pure-Python fallback.

State lives in memory, so there is exactly one worker process; granian runs the WSGI app on a
pool of threads. The config reaches the worker through an environment variable because granian
imports the app itself (`factory=True`).
"""

from __future__ import annotations

import logging
import os
import sys

from mockserver.core.config import Config

CONFIG_ENV = "MOCKSERVER_CONFIG"
SERVERS = ("granian", "waitress")
THREADS = 2
"""Request threads. Each thread more costs GIL hand-offs: on two cores, with wrk, one thread served
creates about 1.7x faster than two, and four about as fast as two. Two, not one, because a latency
fault sleeps in its thread, and one slow answer must not stall every other."""


def app_from_env():
    """Granian's factory target: the app, built from the config the CLI put in the environment."""
    from mockserver.app import create_app

    return create_app(Config.from_json(os.environ.get(CONFIG_ENV, "{}")))


def serve(config: Config, host: str, port: int, server: str = "granian", threads: int = THREADS) -> None:
    """Block serving on host:port until SIGINT/SIGTERM, then shut down cleanly."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)
    print(
        f"mockserver on http://{host}:{port} ({server}, auth {config.auth}); Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    if server == "granian":
        from granian import Granian

        os.environ[CONFIG_ENV] = config.to_json()
        Granian("mockserver.harness.server:app_from_env", factory=True, address=host, port=port, interface="wsgi",
                workers=1, blocking_threads=threads, log_access=False, log_level="warning").serve()
    elif server == "waitress":
        import waitress

        from mockserver.app import create_app

        waitress.serve(create_app(config), host=host, port=port, threads=threads, _quiet=True)
    else:
        raise ValueError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")
