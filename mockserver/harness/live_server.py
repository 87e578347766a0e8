"""A mock served in this process on a real port, and a `requests` session bound to it: what the pytest
plugin's fixtures hand to tests (kept apart from the plugin so loading the plugin imports none of it)."""

from __future__ import annotations

import threading

import requests
from flask import Flask
from werkzeug.serving import make_server

from mockserver.harness.mock_handle import MockHandle


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


class ApiSession(requests.Session):
    """A `requests.Session` bound to a base URL: `session.get("/v2/patient-contexts/")`."""

    def __init__(self, base_url: str, headers: dict[str, str]):
        super().__init__()
        self.base_url = base_url
        self.headers.update(headers)

    def request(self, method, url, *args, **kwargs):
        return super().request(method, url if "://" in url else self.base_url + url, *args, **kwargs)
