"""The Flask app class the mock runs on: Flask, minus per-request work the mock never needs.

Flask's request cycle is most of what a served GET costs (benchmarks/http_bench.py: bare Flask on granian is the
ceiling). Three parts of it do nothing for this app, and each runs on every request:

- `ensure_sync` asks `inspect` three times per request whether a view or hook is a coroutine; none is.
- the session interface looks for a signed cookie on every request and prepares one for every answer; the mock
  keeps no Flask session (the console's admin cookie is read and set by hand, `control/browser.py`).
- a finished body goes back to the server as a closing iterator, and granian streams an iterator through a channel
  chunk by chunk; a list of bytes it sends in one piece (`Answer.get_app_iter`).
"""

from __future__ import annotations

from flask import Flask, Response
from flask.sessions import NullSession, SessionInterface


class Answer(Response):
    """A response whose finished body reaches the WSGI server as a list: granian's one-piece path. The pipeline and
    the error pages answer with it; Flask's own `response_class` stays, so a `Response` made elsewhere is not
    converted (`force_type`) on its way out."""

    def get_app_iter(self, environ):
        body = self.response
        if (type(body) is list and not self.direct_passthrough and not self._on_close
                and environ["REQUEST_METHOD"] != "HEAD" and self.status_code >= 200
                and self.status_code not in (204, 304) and all(type(chunk) is bytes for chunk in body)):
            return body
        return super().get_app_iter(environ)


class _NoSessions(SessionInterface):
    """No cookie read, none written: `session` is one shared `NullSession`, which refuses writes (as Flask's own
    is without a secret key), so sharing it shares nothing."""

    _null = NullSession()

    def open_session(self, app, request):
        return self._null

    def save_session(self, app, session, response) -> None:
        return None


class MockFlask(Flask):
    """Flask with no sessions and `ensure_sync` remembered; routing, hooks and error handlers are Flask's own."""

    session_interface = _NoSessions()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._sync: dict = {}

    def ensure_sync(self, func):
        """Flask's, asked once per function instead of on every call."""
        try:
            return self._sync[func]
        except KeyError:
            self._sync[func] = synced = super().ensure_sync(func)
            return synced
        except TypeError:  # unhashable: a rare callable object
            return super().ensure_sync(func)
