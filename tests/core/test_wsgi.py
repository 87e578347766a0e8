"""`MockFlask` and `Answer`: Flask's behaviour, minus work the mock never needs."""

from __future__ import annotations

import pytest
from flask import session

from mockserver.core.wsgi import Answer, MockFlask


def environ(method: str = "GET") -> dict:
    return {"REQUEST_METHOD": method, "SERVER_NAME": "mock", "SERVER_PORT": "80", "wsgi.url_scheme": "http",
            "PATH_INFO": "/", "wsgi.input": None}


def test_a_finished_body_reaches_the_server_as_a_list_of_bytes():
    assert Answer(b'{"a":1}', 200).get_app_iter(environ()) == [b'{"a":1}']


@pytest.mark.parametrize("status, method", [(204, "GET"), (304, "GET"), (200, "HEAD")])
def test_an_answer_without_a_body_stays_empty(status, method):
    assert list(Answer(b"body", status).get_app_iter(environ(method))) == []


def test_a_streamed_body_is_still_streamed():
    body = Answer((chunk for chunk in (b"a", b"b")), 200).get_app_iter(environ())
    assert not isinstance(body, list) and list(body) == [b"a", b"b"]


def test_an_answer_with_a_close_callback_keeps_the_closing_iterator():
    closed = []
    answer = Answer(b"x", 200)
    answer.call_on_close(lambda: closed.append(True))
    body = answer.get_app_iter(environ())
    assert list(body) == [b"x"]
    body.close()
    assert closed == [True]


def test_no_session_cookie_is_read_or_written_and_the_session_refuses_writes():
    app = MockFlask("t")

    @app.route("/")
    def index():
        with pytest.raises(RuntimeError):
            session["user"] = "x"
        return "ok"

    answer = app.test_client().get("/", headers={"Cookie": "session=forged"})
    assert answer.status_code == 200 and "Set-Cookie" not in answer.headers


def test_views_and_hooks_run_as_flask_runs_them_and_ensure_sync_answers_the_same_function():
    app = MockFlask("t")
    calls = []
    app.before_request(lambda: calls.append("before"))

    @app.route("/")
    def index():
        return "sync"

    assert app.test_client().get("/").data == b"sync" and calls == ["before"]
    assert app.ensure_sync(index) is index and app.ensure_sync(index) is index
