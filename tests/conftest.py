import os
import signal
import uuid

import pytest

from mockserver import Config, create_app
from tests.support import Served

if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    # A shell that starts pytest in the background (`make test &`, `nohup`) ignores Ctrl-C for it, and every server
    # a test starts would inherit that and never stop on the Ctrl-C the tests send: a handler of our own is not
    # inherited, so they start with the default one.
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(scope="session", params=["memory", "redis"])
def mockserver_store(request) -> str | None:
    """The plugin's choice of store, made for both: every test of the behaviour (through `app`, `client` and the
    plugin's fixtures) runs on the memory store and on a real Redis."""
    return None if request.param == "memory" else request.getfixturevalue("redis_server").url


@pytest.fixture
def store(request, mockserver_store) -> str | None:
    """The store of `app`: None (memory), or the test Redis under a prefix of this test's own (`redis_link`)."""
    return mockserver_store and request.getfixturevalue("redis_link").url


@pytest.fixture
def app(store):
    """A fresh app per test, checking its own responses against the schemas, on each store."""
    return create_app(Config(validate_responses=True, store=store))


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def served():
    """The real `mockserver serve` (granian) on a free port, for end-to-end tests."""
    server = Served()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A real `redis-server` for this test process (tests/redis_server.py), stopped at the end."""
    from tests.redis_server import REDIS_SERVER, RedisServer

    if REDIS_SERVER is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is not installed; `make system-deps` installs it")
        pytest.skip("redis-server is not installed (run 'sudo make system-deps')")
    server = RedisServer()
    yield server
    server.close()


@pytest.fixture
def redis_link(redis_server):
    """A link to the test Redis under a prefix of this test's own: tests share the server, never a key."""
    from mockserver.core.shared import RedisLink

    link = RedisLink.parse(f"{redis_server.url}?prefix=t{uuid.uuid4().hex[:12]}")
    yield link
    link.wipe()
    link.redis.close()


@pytest.fixture
def other_link(redis_link):
    """The same store as `redis_link`, as another worker process sees it: its own client and connections."""
    from mockserver.core.shared import RedisLink

    link = RedisLink.parse(redis_link.url)
    assert link.redis is not redis_link.redis
    yield link
    link.redis.close()
