import pytest

from mockserver import Config, create_app
from tests.support import Served


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
