"""pytest plugin (registered by the `pytest11` entry point): a live mock for every test session.

Fixtures:
- `mockserver` (session): the mock served on a free port in a thread; state is reset before
  every test that uses it.
- `mockserver_client` (function): a Flask test client of the same app, no sockets.
"""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.serving import make_server

from mockserver.app import create_app
from mockserver.clock import Clock
from mockserver.config import Config
from mockserver.faults import FaultRule
from mockserver.journal import Journal


class MockServer:
    """A mock running in this process: its base `url`, the Flask `app`, and state control."""

    def __init__(self, app: Flask, host: str = "127.0.0.1", port: int = 0):
        self.app = app
        self._server = make_server(host, port, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="mockserver", daemon=True)
        self._thread.start()

    @property
    def runtime(self):
        return self.app.extensions["mockserver"]

    def reset(self) -> None:
        """Drop all state: every tenant starts afresh, as on a new server."""
        self.runtime.reset()

    def client(self) -> FlaskClient:
        return self.app.test_client()

    @property
    def journal(self) -> Journal:
        """Every request and answer since the last reset: `.find(...)`, `.assert_called(...)`."""
        return self.runtime.journal

    @property
    def clock(self) -> Clock:
        """The mock's time: `.freeze(at)`, `.advance(seconds)`, `.unfreeze()`; reset unfreezes it."""
        return self.runtime.clock

    def fault(self, **rule) -> FaultRule:
        """Add a fault rule (see `FaultRule`): `fault(method="POST", path="/v2/*", status=503)`."""
        return self.runtime.faults.add(FaultRule(**rule))

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
    if {"mockserver", "mockserver_client"} & set(request.fixturenames):
        request.getfixturevalue("mockserver").reset()


@pytest.fixture
def mockserver_client(mockserver: MockServer) -> FlaskClient:
    """A Flask test client of the session's mock: in-process, no sockets, same state as `.url`."""
    return mockserver.client()
