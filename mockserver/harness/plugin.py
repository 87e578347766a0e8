"""pytest plugin (registered by the `pytest11` entry point): a live mock for every test session.

Fixtures (see each docstring): `mockserver_session` (the shared live mock), `mockserver` (it,
reset for this test, or a dedicated one under `@pytest.mark.mockserver(...)`), `mockserver_client`,
`mockserver_intercept`, and ready `requests` sessions per family (`haidy_session`, `heidi_session`,
`esteem_session`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from flask.testing import FlaskClient

    from mockserver.harness.live_server import ApiSession, MockServer
    from mockserver.harness.mock_handle import MockHandle

# pytest loads this module in every run where the package is installed, also where no test uses a mock:
# so it imports only pytest, and a fixture imports the app (and Flask, jsonschema, ...) when it is used.


def __getattr__(name: str):
    """`mockserver.harness.plugin.MockServer` and `.ApiSession`, the types the fixtures return, on first use."""
    if name in ("MockServer", "ApiSession"):
        from mockserver.harness import live_server

        return getattr(live_server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_SEEN = pytest.StashKey[list]()
"""Journal entries of every test, kept for the coverage report (each test's reset clears the journal)."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockserver")
    group.addoption(
        "--mockserver-coverage", action="store_true",
        help="report which documented operations and status codes the tests exercised on the mock")
    group.addoption(
        "--mockserver-store", metavar="redis://HOST:PORT/DB", default=None,
        help="run the mocks on this Redis (the shared store) instead of in memory; each mock under a prefix of its own")


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    seen = config.stash.get(_SEEN, None)
    if seen is None:
        return
    from mockserver.app import create_app
    from mockserver.control.coverage import CoverageReport

    document = create_app().test_client().get("/openapi.json").get_json()
    terminalreporter.write_line(CoverageReport.build(document, seen).render())


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--mockserver-coverage", default=False):
        config.stash[_SEEN] = []
    config.addinivalue_line(
        "markers",
        "mockserver(**options): run this test on its own mock; options are Config fields "
        "(auth, tenants_file, fixtures= a data set such as 'demo', ...) plus state= (an export: dict or JSON file) "
        "and frozen_at= (datetime)")


@pytest.fixture(scope="session")
def mockserver_store(request: pytest.FixtureRequest) -> str | None:
    """Where the mocks keep their state: None, in memory (the default); or a Redis URL (`--mockserver-store`), on
    which every mock of the session gets a prefix of its own. Override it to choose in a conftest."""
    return request.config.getoption("--mockserver-store", default=None)


def _own_store(store: str | None) -> str | None:
    from mockserver.core.shared import with_fresh_prefix

    return store and with_fresh_prefix(store)


def _stop(server: MockServer) -> None:
    server.stop()
    link = getattr(server.runtime.store, "link", None)
    if link is not None:
        link.wipe()


@pytest.fixture(scope="session")
def mockserver_session(mockserver_store: str | None) -> MockServer:
    """The session's shared mock (one per pytest-xdist worker), checking its answers against the schemas."""
    from mockserver.app import create_app
    from mockserver.core.config import Config
    from mockserver.harness.live_server import MockServer

    server = MockServer(create_app(Config(validate_responses=True, store=_own_store(mockserver_store))))
    yield server
    _stop(server)


@pytest.fixture
def mockserver(request: pytest.FixtureRequest, mockserver_session: MockServer,
               mockserver_store: str | None) -> MockServer:
    """The mock for this test, freshly reset; a `@pytest.mark.mockserver(...)` test gets its own."""
    import secrets

    from mockserver.app import create_app
    from mockserver.core.config import Config
    from mockserver.core.validation import check_document
    from mockserver.harness.live_server import MockServer

    marker = request.node.get_closest_marker("mockserver")
    if marker is None:
        server = mockserver_session
        server.reset()
    else:
        options = dict(marker.kwargs)
        state, frozen_at = options.pop("state", None), options.pop("frozen_at", None)
        if options.get("auth") == "strict" and "admin_tokens" not in options:  # its admin API stays usable
            options["admin_tokens"] = [secrets.token_urlsafe(16)]                 # with `mockserver.admin_headers`
        if state is not None and not isinstance(state, dict):
            options["state_file"] = str(state)  # checked on load, and what reset() returns to
        server = MockServer(create_app(Config(validate_responses=True, store=_own_store(mockserver_store), **options)))
        if isinstance(state, dict):
            check_document(server.runtime.schemas.errors("mock/state", state), "the marker's state")
            server.runtime.store.load(state)
        if frozen_at is not None:
            server.clock.freeze(frozen_at)
    yield server
    seen = request.config.stash.get(_SEEN, None)
    if seen is not None:
        seen.extend(server.journal.find())
    if server is not mockserver_session:
        _stop(server)


@pytest.fixture
def mockserver_client(mockserver: MockServer) -> FlaskClient:
    """A Flask test client of this test's mock: in-process, no sockets, same state as `.url`."""
    return mockserver.client()


@pytest.fixture
def mockserver_intercept(mockserver: MockServer) -> MockHandle:
    """`requests` and `httpx` calls to the vendors' real hosts go to this test's mock, no sockets."""
    from mockserver.harness.intercept import intercept

    with intercept(mockserver.app) as handle:
        yield handle


@pytest.fixture
def haidy_session(mockserver: MockServer) -> ApiSession:
    """A `requests.Session` for Haidy on this test's mock, sending `Authorization: Bearer test-token`."""
    from mockserver.harness.live_server import ApiSession

    with ApiSession(mockserver.url, {"Authorization": "Bearer test-token"}) as session:
        yield session


@pytest.fixture
def heidi_session(mockserver: MockServer) -> ApiSession:
    """A `requests.Session` for Heidi under its real base path, with a JWT bought from `GET /jwt`
    with the API key `test-api-key` (so the tenant is `test-api-key`)."""
    import requests

    from mockserver.harness.live_server import ApiSession
    from mockserver.heidi import BASE_PATH

    base = mockserver.url + BASE_PATH
    issued = requests.get(
        f"{base}/jwt",
        params={"email": "clinician@example.com", "third_party_internal_id": "test-user"},
        headers={"Heidi-Api-Key": "test-api-key"},
        timeout=10,
    )
    issued.raise_for_status()
    with ApiSession(base, {"Authorization": f"Bearer {issued.json()['token']}"}) as session:
        yield session


@pytest.fixture
def esteem_session(mockserver: MockServer) -> ApiSession:
    """A `requests.Session` for Esteem on this test's mock, as user `test-user-token` (role user, own practice)."""
    from mockserver.harness.live_server import ApiSession

    with ApiSession(mockserver.url, {"X-User-Token": "test-user-token"}) as session:
        yield session
