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

from mockserver.core import streams
from mockserver.core.config import Config
from mockserver.core.gate import Gate

CONFIG_ENV = "MOCKSERVER_CONFIG"
SERVERS = ("granian", "waitress")
THREADS = 2
"""Request threads. Two, not one, because a latency or a fault's delay waits in its thread, and one slow answer must
not stall every other. Behind the gate (`core/gate.py`) only one of them runs the app at a time, and one that waits
steps out, so two serve about as fast as one (benchmarks/http_bench.py, wrk -c16 on two cores: 4,100-4,600 creates/s
and 5,900-6,700 gets/s against 4,900 and 7,000 with one; without the gate, 2,700 and 4,700)."""

SWITCH_SECONDS = 0.00025
"""How long a thread that waits for the GIL waits before it asks the running one to hand it over (Python's default
is 5 ms), in a server with more than one request thread. Granian's threads take the GIL back right after each
request, and a thread that waits sees the switch counter move and keeps waiting: with the default, one request in
a hundred waited half a second or more for a GIL the other thread kept taking (p99 of gets 500-760 ms at 16
connections). With a quarter millisecond the wait is short, and behind the gate the thread that got the GIL soon
waits on the gate's lock instead: p99 13-20 ms."""
THREADS_ENV = "MOCKSERVER_THREADS"

WORKER_STOP_SECONDS = 3
"""How long granian's master waits for a worker to stop before it kills it. On a busy machine a worker sometimes
never sees the master's SIGTERM (about one stop in four with two workers under load, in a test loop), and the
master waited for it forever."""


def app_from_env():
    """Granian's factory target, run in the worker process: the app, built from the config the CLI put in
    the environment."""
    _log_to_stderr()  # a forked worker has the master's logging; a spawned one (Python 3.14's default) has none
    app = _serving_app(Config.from_json(os.environ.get(CONFIG_ENV, "{}")), int(os.environ.get(THREADS_ENV, THREADS)))
    _nudge_main_thread()  # the worker, too, waits for its stop signal on the main thread
    _exit_with_master()
    return app


def _serving_app(config: Config, threads: int):
    """The WSGI app as a server with `threads` request threads runs it, in the process that serves: built, keeping
    its snapshots, the GIL handed over quickly, its start-up objects frozen (in granian's worker: after the master
    froze what it had), gated, and pacing streams on all its threads but one (`core/streams.py`)."""
    from mockserver.app import create_app

    app = create_app(config)
    streams.pacing_slots(threads - 1)
    _keep_snapshots(app)
    _share_the_gil_quickly(threads)
    _freeze_what_lives_until_exit()
    return _gated(app, config, threads)


def _gated(app, config: Config, threads: int):
    """With more than one request thread and the state in memory, one request at a time in the app (`core/gate.py`);
    on the shared store the threads' requests mostly wait on Redis, and overlap."""
    return Gate().around(app) if threads > 1 and not config.store else app


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


def _share_the_gil_quickly(threads: int) -> None:
    """With more than one request thread, `SWITCH_SECONDS` instead of Python's 5 ms."""
    if threads > 1:
        sys.setswitchinterval(SWITCH_SECONDS)


def _freeze_what_lives_until_exit() -> None:
    """Take everything alive now (modules, the app and its schemas: some 180,000 objects) out of the collector's sight.

    They live until the process ends, so collecting them gains nothing, and every full collection walked them
    all: 130 ms, in the middle of a request, every few seconds under load (in granian's worker, which builds its
    own app after the master froze). And at exit the interpreter's
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

        os.environ[CONFIG_ENV], os.environ[THREADS_ENV] = config.to_json(), str(threads)
        _freeze_what_lives_until_exit()
        _nudge_main_thread()
        Granian("mockserver.harness.server:app_from_env", factory=True, address=host, port=port, interface="wsgi",
                workers=workers, respawn_failed_workers=workers > 1, respawn_interval=0.5, blocking_threads=threads,
                workers_kill_timeout=WORKER_STOP_SECONDS, log_access=False, log_level="warning").serve()
    elif server == "waitress":
        from waitress.server import create_server

        app = _serving_app(config, threads)
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
