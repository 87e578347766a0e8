"""The browser the console's tests drive: one headless chromium per test module (tests/console/browser.py), and
the console page on the module's `served` server, which must end with no script error and no alert."""

import pytest

from tests.console.browser import console_for, start_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    driver = start_chromium(downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()


@pytest.fixture
def console(browser, served):
    page = console_for(browser, served)
    yield page
    errors = page.script_errors()
    assert not errors, f"the console's scripts failed: {errors}"
    assert page.no_alert()
