"""pytest plugin (registered by the `pytest11` entry point): a live mock for every test session.

Fixtures:
- `mockserver` (session): the mock served on a free port in a thread; state is reset before
  every test that uses it.
- `mockserver_client` (function): a Flask test client of the same app, no sockets.
- `mockserver_intercept` (function): calls to the vendors' real hosts reach that app in-process.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from mockserver.app import create_app
from mockserver.config import Config
from mockserver.handle import MockHandle
from mockserver.intercept import intercept


class MockServer(MockHandle):
    """A mock served in this process on a real port: its base `url`, plus every `MockHandle` control."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        super().__init__(app)
        self._server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="mockserver", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture(scope="session")
def mockserver() -> MockServer:
    """The session's mock on 127.0.0.1 (free port), checking its own responses against the schemas."""
    server = MockServer(create_app(Config(validate_responses=True)))
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _mockserver_reset(request: pytest.FixtureRequest) -> None:
    """Reset before each test that uses the mock, so no test sees another's data."""
    if {"mockserver", "mockserver_client", "mockserver_intercept"} & set(request.fixturenames):
        request.getfixturevalue("mockserver").reset()


@pytest.fixture
def mockserver_client(mockserver: MockServer) -> FlaskClient:
    """A Flask test client of the session's mock: in-process, no sockets, same state as `.url`."""
    return mockserver.client()


@pytest.fixture
def mockserver_intercept(mockserver: MockServer) -> MockHandle:
    """`requests` and `httpx` calls to the vendors' real hosts go to the session's mock, no sockets."""
    with intercept(mockserver.app) as handle:
        yield handle
