"""Serving the app: granian (fast, Rust) for `mockserver serve`, waitress as a pure-Python fallback.

With state in memory there is exactly one worker process; with `--store redis://...` (the shared store) there may
be several, each a whole app on the one world in Redis. Granian runs the WSGI app on a pool of threads per worker.
The config reaches the workers through an environment variable because granian imports the app itself
(`factory=True`).
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from mockserver.core.config import Config

CONFIG_ENV = "MOCKSERVER_CONFIG"
SERVERS = ("granian", "waitress")
THREADS = 2
"""Request threads. Each thread more costs GIL hand-offs: on two cores, with wrk, one thread served
creates about 1.7x faster than two, and four about as fast as two. Two, not one, because a latency
fault sleeps in its thread, and one slow answer must not stall every other."""


WORKER_STOP_SECONDS = 3
"""How long granian's master waits for a worker to stop before it kills it. On a busy machine a worker sometimes
never sees the master's SIGTERM (about one stop in four with two workers under load, in a test loop), and the
master waited for it forever."""


def app_from_env():
    """Granian's factory target, run in the worker process: the app, built from the config the CLI put in
    the environment."""
    from mockserver.app import create_app

    _log_to_stderr()  # a forked worker has the master's logging; a spawned one (Python 3.14's default) has none
    app = create_app(Config.from_json(os.environ.get(CONFIG_ENV, "{}")))
    _keep_snapshots(app)
    _nudge_main_thread()  # the worker, too, waits for its stop signal on the main thread
    _exit_with_master()
    return app


def _exit_with_master(every: float = 0.5, grace: float = 5.0) -> None:
    """Stop this worker when granian's master is gone. A master that dies, or that respawns a worker while it is
    shutting down (`--workers N` respawns failed ones), leaves a worker no one will ever stop, holding the port and
    the terminal's output; it notices within `every` seconds, stops as on Ctrl-C, and exits anyway after `grace`."""
    master = os.getppid()

    def watch() -> None:
        while os.getppid() == master:
            time.sleep(every)
        logging.getLogger("mockserver").warning("the server's master process is gone: this worker stops")
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(grace)
        os._exit(1)

    threading.Thread(target=watch, name="mockserver-master-watch", daemon=True).start()


def listening(host: str, port: int, server: str, auth: str) -> str:
    """The first line `serve` prints: where it listens (tests and scripts wait for it)."""
    return f"mockserver on http://{host}:{port} ({server}, auth {auth}); Ctrl-C stops it"


def _keep_snapshots(app) -> None:
    """`serve --snapshot`: the serving app's state written to the file, in the process that serves it."""
    runtime = app.extensions["mockserver"]
    if runtime.config.snapshot:
        from mockserver.control.snapshot import Snapshot

        Snapshot(Path(runtime.config.snapshot), runtime.store, runtime.config.snapshot_seconds).keep()


def _log_to_stderr() -> None:
    """The app's own lines (`mockserver` loggers, INFO and up) on stderr; a no-op where logging is set up."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)


def _freeze_what_lives_until_exit() -> None:
    """Take everything alive now (modules, the app and its schemas: some 180,000 objects) out of the collector's sight.

    They live until the process ends, so collecting them gains nothing; but at exit the interpreter's
    teardown runs full collections that walk every tracked object. After Ctrl-C that was 0.3-0.5 s of
    CPU in the waitress process on an idle machine, about 7 s when it got 5 % of a CPU, so a loaded
    machine could see `mockserver serve` miss a 10 s stop deadline. Frozen, the exit takes some 20 ms.
    Start-up garbage is collected first, so none of it is kept for good.
    """
    gc.collect()
    gc.freeze()


def _nudge_main_thread(every: float = 0.25) -> None:
    """Make sure a Ctrl-C reaches granian's master, whichever of its threads the kernel hands it to.

    Granian's master and its worker each wait for it in `Event.wait()` on the main thread, and Python runs
    a signal's handler only there; a SIGINT or SIGTERM the kernel delivers to another thread (granian's
    watcher, a Rust thread, the access log's) is only noted, and the main thread sleeps on: about one
    Ctrl-C in seven was lost (the master, or the worker it then waits for forever). A daemon thread
    interrupts the main thread's wait a few times a second with a signal whose handler does nothing,
    and Python then runs the pending handler too.
    """
    main = threading.main_thread().ident
    signal.signal(signal.SIGUSR2, lambda *_: None)

    def nudge() -> None:
        while True:
            time.sleep(every)
            signal.pthread_kill(main, signal.SIGUSR2)

    threading.Thread(target=nudge, name="mockserver-signal-nudge", daemon=True).start()


def serve(config: Config, host: str, port: int, server: str = "granian", threads: int = THREADS, workers: int = 1,
          banner: str | None = None) -> None:
    """Block serving on host:port until SIGINT/SIGTERM, then shut down cleanly. `banner`: what to print first
    (the CLI's, with the console's URL and the credentials) instead of the one line of where it listens."""
    _log_to_stderr()
    print(
        banner or listening(host, port, server, config.auth),
        file=sys.stderr,
        flush=True,
    )
    if server == "granian":
        from granian import Granian

        os.environ[CONFIG_ENV] = config.to_json()
        _freeze_what_lives_until_exit()
        _nudge_main_thread()
        Granian("mockserver.harness.server:app_from_env", factory=True, address=host, port=port, interface="wsgi",
                workers=workers, respawn_failed_workers=workers > 1, respawn_interval=0.5, blocking_threads=threads,
                workers_kill_timeout=WORKER_STOP_SECONDS, log_access=False, log_level="warning").serve()
    elif server == "waitress":
        from waitress.server import create_server

        from mockserver.app import create_app

        app = create_app(config)
        _keep_snapshots(app)
        _freeze_what_lives_until_exit()
        # Ctrl-C must reach the main thread, the one that turns it into KeyboardInterrupt and stops waitress.
        # Threads inherit the signal mask of the thread that starts them: with SIGINT blocked while waitress
        # starts its request threads (and they, later, the access log's and the tasks'), no other thread
        # can take it, and it always interrupts the main thread's wait at once.
        unblocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            wsgi_server = create_server(app, host=host, port=port, threads=threads)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, unblocked)
        wsgi_server.run()
    else:
        raise ValueError(f"unknown server {server!r}; choose one of {', '.join(SERVERS)}")
