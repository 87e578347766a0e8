import signal

import pytest

from mockserver import Config, create_app
from tests.support import Served

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # A shell that starts pytest in the background (`make test &`, `nohup`) ignores Ctrl-C for it, and every server
    # a test starts would inherit that and never stop on the Ctrl-C the tests send: a handler of our own is not
    # inherited, so they start with the default one.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def app():
    """A fresh app per test, checking its own responses against the schemas."""
    return create_app(Config(validate_responses=True))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def served():
    """The real `mockserver serve` (granian) on a free port, for end-to-end tests."""
    server = Served()
    yield server
    server.stop()
