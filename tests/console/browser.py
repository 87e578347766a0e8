"""The console in a real browser: Debian's chromium driven by Selenium through Debian's chromedriver, on the real
`mockserver serve` on a real port.

The system chromedriver is given explicitly, so Selenium Manager never looks for (or downloads) a driver. Without
chromium or chromedriver the tests are skipped (`make system-deps` installs both), except in CI, where they fail.
Screenshots of the main views go to $MOCKSERVER_SCREENSHOTS (default build/screenshots/, which git ignores);
`MOCKSERVER_SCREENSHOTS=docs/screenshots` refreshes the README's.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import requests
from selenium import webdriver
from selenium.common.exceptions import (
    NoAlertPresentException,
    NoSuchElementException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import ROOT, unless_installed

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(os.environ.get("MOCKSERVER_SCREENSHOTS") or ROOT / "build" / "screenshots")
WAIT_SECONDS = 15
"""The longest an explicit wait waits: generous for a busy 2-core machine; a passing wait returns at once."""

NEEDS_BROWSER = unless_installed(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Debian's chromium and chromium-driver are needed for the console's browser tests "
           "(make system-deps, run as root, installs them); in CI these tests fail instead")
"""Every test module here carries it, with the `browser` marker."""


def start_chromium(downloads: Path) -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900",
                     "--no-first-run", "--disable-extensions", "--lang=en-US"):
        options.add_argument(argument)
    if os.geteuid() == 0:
        options.add_argument("--no-sandbox")  # chromium refuses to run as root with its sandbox
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads), "download.prompt_for_download": False,
        "intl.accept_languages": "en-US"})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    return driver


class Console:
    """The browser on one mock's console, with the waits the tests need."""

    def __init__(self, driver: webdriver.Chrome, url: str, downloads: Path):
        self.driver, self.url, self.downloads = driver, url, downloads

    def open(self, view: str = "overview") -> None:
        """Load the console afresh on `view` (from a blank page: a URL that differs only in its hash does not
        reload)."""
        self.driver.get("about:blank")
        self.driver.get(f"{self.url}/_mock/console/#/{view}")
        self.wait_for("#view h1")

    def go(self, view: str) -> None:
        """Another view of the page already open, by its link (no reload)."""
        self.driver.find_element(By.CSS_SELECTOR, f"#nav a[href='#/{view}']").click()
        self.wait(lambda d: d.find_element(By.ID, "view").get_attribute("data-view") == view.split("/")[0])

    def wait(self, condition, seconds: float = WAIT_SECONDS, message: str = ""):
        return WebDriverWait(self.driver, seconds, poll_frequency=0.1,
                             ignored_exceptions=(NoSuchElementException, StaleElementReferenceException),
                             ).until(condition, message)

    def wait_for(self, css: str, seconds: float = WAIT_SECONDS):
        """The first element `css` selects, once it is visible."""
        return self.wait(EC.visibility_of_element_located((By.CSS_SELECTOR, css)), seconds, f"nothing visible at {css}")

    def wait_for_text(self, css: str, text: str, seconds: float = WAIT_SECONDS):
        """The first element `css` selects, once its text holds `text`."""
        self.wait(lambda d: text in self.content(css), seconds, f"{text!r} never in {css}")
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def content(self, css: str) -> str:
        """The text of the first element `css` selects ("" if none): its textContent, read in the page (WebDriver's
        rendered text of a large element takes long)."""
        return self.driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", css)

    def click(self, css: str) -> None:
        """Click the first element `css` selects, found again if a live update replaced it meanwhile."""
        self.wait(lambda d: d.find_element(By.CSS_SELECTOR, css).click() or True, message=f"could not click {css}")

    def find(self, css: str):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css: str):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def screenshot(self, name: str, *, from_top: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        if from_top:
            self.driver.execute_script("window.scrollTo(0, 0)")
        self.driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))

    def mark_page(self) -> None:
        """Mark the loaded page: `still_same_page()` is then false after any reload."""
        self.driver.execute_script("window.__consoleTestMark = 'loaded once';")

    def still_same_page(self) -> bool:
        return self.driver.execute_script("return window.__consoleTestMark === 'loaded once';")

    def no_alert(self) -> bool:
        try:
            self.driver.switch_to.alert  # noqa: B018  (raises when there is none)
        except NoAlertPresentException:
            return True
        return False

    def script_errors(self) -> list[str]:
        """The page's errors since the last call, except failed loads (a fault's 503 is one, on purpose)."""
        return [entry["message"] for entry in self.driver.get_log("browser")
                if entry["level"] == "SEVERE" and "Failed to load resource" not in entry["message"]]


def console_for(browser, served, headers: dict | None = None) -> Console:
    """A fresh start for one test: the mock reset (data, journal, faults, clock), the downloads emptied."""
    requests.post(f"{served.url}/_mock/reset", headers=headers, timeout=10).raise_for_status()
    for old in browser.downloads.iterdir():
        old.unlink()
    browser.get_log("browser")  # drop what earlier tests left
    return Console(browser, served.url, browser.downloads)
