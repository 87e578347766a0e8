"""The console of a mock in strict auth: the admin API answers 401 until the admin token is given, so the console
asks for it (POST /_mock/session sets the cookie), then shows what it was refused."""

from __future__ import annotations

import json

import pytest
import requests

from tests.console.browser import NEEDS_BROWSER, Console, console_for
from tests.support import Served

pytestmark = [pytest.mark.browser, NEEDS_BROWSER]

ADMIN_TOKEN = "console-admin-token"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    tenants = tmp_path_factory.mktemp("strict") / "tenants.json"
    tenants.write_text(json.dumps({
        "tenants": {"acme": {"tokens": ["acme-token"], "haidy": {"patient_groups": ["acmegroup000001"]}}},
        "admin_tokens": [ADMIN_TOKEN],
    }), encoding="utf-8")
    server = Served("--auth", "strict", "--config", str(tenants), "--no-access-log")
    yield server
    server.stop()


@pytest.fixture
def console(browser, served):
    requests.post(f"{served.url}/_mock/reset", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
                  timeout=10).raise_for_status()
    page = console_for(browser, served, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    yield page
    assert page.no_alert()


def test_strict_mode_asks_for_the_admin_token(console: Console, served):
    assert requests.get(f"{served.url}/_mock/state", timeout=10).status_code == 401
    requests.post(f"{served.url}/v2/patient-contexts/", headers={"Authorization": "Bearer acme-token"}, timeout=10,
                  json={"external_id": "strict-1", "patient_group": "acmegroup000001", "name": "Strict Patient"})
    console.open("data")
    dialog = console.wait_for("#login")
    console.screenshot("strict-login")
    token = dialog.find_element("name", "token")
    token.send_keys("not-the-token")
    dialog.find_element("css selector", "button[type=submit]").click()
    console.wait_for_text("#login-error", "not the admin token")
    token.clear()
    token.send_keys(ADMIN_TOKEN)
    dialog.find_element("css selector", "button[type=submit]").click()
    console.wait(lambda d: not console.find("#login").is_displayed())
    console.wait_for_text("#tenants", "Strict Patient")  # the refused call, made again with the session cookie
    console.wait_for_text("#server", "auth strict")
    assert console.find("#logout").is_displayed()

    console.open("overview")  # the session cookie holds across a reload
    console.wait_for_text("#family-haidy", "acme-token")  # GET /_mock/credentials: the tenants file's
    assert not console.find("#login").is_displayed()
    console.find("#logout").click()
    console.wait_for("#login")
    assert console.script_errors() == []
