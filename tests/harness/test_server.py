"""What `serve` sets up in the process that answers: the GIL switch interval and the frozen start-up objects."""

from __future__ import annotations

import gc
import io
import sys

import pytest

from mockserver.harness import server


def answer(app, path: str) -> tuple[str, bytes]:
    status = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "mock", "SERVER_PORT": "80",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": sys.stderr}
    body = b"".join(app(environ, lambda line, headers: status.append(line)))
    return status[0], body


@pytest.fixture
def interval():
    before = sys.getswitchinterval()
    yield
    sys.setswitchinterval(before)


@pytest.mark.usefixtures("interval")
def test_more_than_one_request_thread_hands_the_gil_over_within_a_quarter_millisecond():
    sys.setswitchinterval(0.005)
    server._share_the_gil_quickly(1)
    assert sys.getswitchinterval() == pytest.approx(0.005)
    server._share_the_gil_quickly(server.THREADS)
    assert server.THREADS > 1 and sys.getswitchinterval() == pytest.approx(server.SWITCH_SECONDS)


@pytest.mark.usefixtures("interval")
def test_the_worker_builds_its_app_then_freezes_it_with_the_interval_of_its_thread_count(monkeypatch):
    monkeypatch.setenv(server.THREADS_ENV, "2")
    monkeypatch.setenv(server.CONFIG_ENV, "{}")
    for started in ("_nudge_main_thread", "_exit_with_master"):  # threads and signals for a real worker only
        monkeypatch.setattr(server, started, lambda: None)
    frozen = gc.get_freeze_count()
    try:
        app = server.app_from_env()
        assert app.__name__ == "gated"  # two threads, state in memory: one request at a time in the app
        assert answer(app, "/_mock/health")[0].startswith("200")
        assert gc.get_freeze_count() > frozen
        assert sys.getswitchinterval() == pytest.approx(server.SWITCH_SECONDS)
    finally:
        gc.unfreeze()


def test_one_thread_or_the_shared_store_is_not_gated():
    from mockserver.core.config import Config

    app = object()
    assert server._gated(app, Config(), 1) is app
    assert server._gated(app, Config(store="redis://127.0.0.1:1/0"), 4) is app
    assert server._gated(app, Config(), 2) is not app
