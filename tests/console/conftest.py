"""The browser the console's tests drive: one headless chromium per test module (tests/console/browser.py)."""

import pytest

from tests.console.browser import start_chromium


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    downloads = tmp_path_factory.mktemp("downloads")
    driver = start_chromium(downloads)
    driver.downloads = downloads
    yield driver
    driver.quit()
