"""The console (mockserver/console/) in a real browser against `mockserver serve --fixtures demo` with realtime
tasks: every scenario reaches the mock the way a person would, and the page is never reloaded where the issue
says "without reloading". One server and one browser for the module; each test starts from a reset."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from mockserver.console import STATIC, SWAGGER_UI_VERSION
from tests.console.browser import NEEDS_BROWSER, Console, console_for
from tests.support import AUTH, GROUP, Served

pytestmark = [pytest.mark.browser, NEEDS_BROWSER]

TASK_SECONDS = 2.0
INJECTION = "<img src=x onerror=\"window.__injected=1;alert(1)\">"
ANSWER = "#operations-{} .live-responses-table tr.response .response-col_status"
"""Where Swagger UI shows the status of the call "Execute" made, for an operation (tag-operationId)."""


@pytest.fixture(scope="module")
def served():
    server = Served("--fixtures", "demo", "--task-timing", "realtime", "--task-seconds", str(TASK_SECONDS),
                    "--no-access-log")
    yield server
    server.stop()


def create_context(served, name: str, external_id: str, token: str = "test-token") -> dict:
    answer = requests.post(f"{served.url}/v2/patient-contexts/", headers={"Authorization": f"Bearer {token}"},
                           json={"external_id": external_id, "patient_group": GROUP, "name": name}, timeout=10)
    answer.raise_for_status()
    return answer.json()


def test_the_root_url_opens_the_console_on_its_overview(console: Console, served):
    console.driver.get(served.url + "/")
    console.wait(lambda d: d.current_url == f"{served.url}/_mock/console/#/overview")
    console.wait_for_text("#server", "auth open")
    heidi = console.wait_for_text("#family-heidi", f"{served.url}/api/v2/ml-scribe/open-api").text
    assert "https://registrar.api.heidihealth.com/api/v2/ml-scribe/open-api" in heidi
    assert "Heidi-Api-Key: <heidiApiKey>" in heidi and "Authorization: Bearer <JWT>" in heidi
    haidy = console.find("#family-haidy").text
    assert served.url in haidy and "Authorization: Bearer <token>" in haidy and "demo-token" in haidy
    esteem = console.find("#family-esteem").text
    assert "X-User-Token: <userToken>" in esteem and "your_token_here" in esteem  # the data set's admin user
    assert "in memory (this process), lost on stop" in console.content("#server-info")
    console.screenshot("overview")


def test_the_console_comes_from_the_package_and_nothing_from_elsewhere(console: Console, served):
    page = requests.get(f"{served.url}/_mock/console/", timeout=10)
    assert page.status_code == 200 and "script-src 'self'" in page.headers["Content-Security-Policy"]
    bundle = requests.get(f"{served.url}/_mock/console/vendor/swagger-ui/swagger-ui-bundle.js", timeout=10)
    assert bundle.status_code == 200 and f'"{SWAGGER_UI_VERSION}"' in bundle.text
    assert requests.get(f"{served.url}/_mock/console/%2e%2e/__init__.py", timeout=10).status_code == 404
    markup = re.compile(r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write|createContextualFragment")
    for source in (STATIC / "js").rglob("*.js"):  # every value from data goes through DOM APIs (js/dom.js)
        assert not markup.search(source.read_text(encoding="utf-8")), source


def test_try_it_out_creates_a_patient_context_that_data_and_requests_show_without_reloading(console: Console, served):
    console.open("reference/haidy")
    console.mark_page()
    console.wait_for_text("#credentials-status", "Bearer demo-token")
    operation = console.wait_for("#operations-haidy-create_patient_context")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    body = console.wait_for("#operations-haidy-create_patient_context textarea.body-param__text")
    assert json.loads(body.get_attribute("value"))["external_id"] == "patient-12345"  # the docs' example, as sent
    operation.find_element(By.CSS_SELECTOR, "button.execute").click()
    console.wait_for_text(ANSWER.format("haidy-create_patient_context"), "200")
    console.screenshot("reference")
    urls = console.driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert urls and all(url.startswith(served.url) for url in urls), urls  # Swagger UI too: nothing from elsewhere

    console.go("data")
    console.wait_for_text("#haidy-demo-token", "patient-12345")
    console.go("requests")
    console.wait_for_text("#request-rows", "/v2/patient-contexts/")
    console.find("#request-rows tr").click()  # newest first: the call try it out made
    console.wait_for_text("#request-detail", "POST /v2/patient-contexts/")
    assert json.loads(console.find("#request-body").text)["name"] == "John Doe"  # pretty printed JSON
    assert json.loads(console.find("#response-body").text)["external_id"] == "patient-12345"
    assert "demo-token" not in console.content("#request-detail")  # the token is masked
    assert console.still_same_page()


def test_new_requests_appear_live_and_filter(console: Console, served):
    console.open("requests")
    console.mark_page()

    def paths():
        return console.driver.execute_script(
            "return [...document.querySelectorAll('#request-rows tr .path')].map(td => td.textContent)")

    create_context(served, "Live One", "live-1")
    requests.get(f"{served.url}/v2/patient-contexts/missing", headers=AUTH, timeout=10)
    requests.get(f"{served.url}/v1/patients", headers={"X-User-Token": "your_token_here"}, timeout=10)
    console.wait(lambda d: len(console.find_all("#request-rows tr")) >= 3, message="the three calls never showed")
    console.find("#request-filters input[name=status]").send_keys("4xx")
    console.wait(lambda d: paths() == ["/v2/patient-contexts/missing"], message="the 4xx filter")
    console.find("#request-filters input[name=status]").clear()
    Select(console.find("#request-filters select[name=family]")).select_by_value("esteem")
    console.wait(lambda d: paths() == ["/v1/patients"], message="the family filter")
    Select(console.find("#request-filters select[name=family]")).select_by_value("")
    console.find("#request-filters input[name=path]").send_keys("/v2/*")
    console.wait(lambda d: len(console.find_all("#request-rows tr")) == 2)
    console.click("#request-rows tr:last-child")
    console.wait_for_text("#request-detail", "POST /v2/patient-contexts/")
    assert "Bearer test-token" not in console.content("#request-detail")  # masked: the admin API's hint only
    console.screenshot("requests")
    console.find("#request-filters input[name=reveal]").click()  # GET /_mock/requests?reveal=true
    console.wait(lambda d: len(console.find_all("#request-rows tr")) == 2)
    console.click("#request-rows tr:last-child")
    console.wait_for_text("#request-detail", "Bearer test-token")

    requests.delete(f"{served.url}/_mock/requests", timeout=10)  # a clear by someone else: a test, a script
    requests.get(f"{served.url}/v2/after-the-clear", headers=AUTH, timeout=10)
    console.find("#request-filters input[name=path]").clear()
    console.wait(lambda d: paths() == ["/v2/after-the-clear"], message="the list never dropped the cleared requests")
    assert console.still_same_page()


def test_a_realtime_task_moves_its_progress_bar_to_done_between_the_clients_polls(console: Console, served):
    console.open("data")
    console.mark_page()
    started = requests.post(f"{served.url}/v2/structure", headers=AUTH, timeout=10, json={"new_records": [{
        "record_id": "123e4567-e89b-12d3-a456-426614174000",
        "source": {"type": "plain_text", "text": "Patient presents with hypertension. Lisinopril 10mg daily."}}]})
    task_id = started.json()["task_id"]
    bar = f".progress[data-task='{task_id}']"
    seen = []

    def progress(driver):
        element = driver.find_elements(By.CSS_SELECTOR, bar)
        if element:
            seen.append((element[0].get_attribute("data-status"), int(element[0].get_attribute("aria-valuenow"))))
        return bool(seen) and seen[-1][0] == "DONE"

    # no client polls yet: the bar follows the task as the server holds it (GET /_mock/tasks)
    console.wait(progress, seconds=TASK_SECONDS + 15, message="the task's bar never reached DONE")
    assert seen[-1] == ("DONE", 100)
    assert any(status != "DONE" and value < 100 for status, value in seen), seen  # it moved, it did not jump
    values = [value for _, value in seen]
    assert values == sorted(values)

    fetched = requests.post(f"{served.url}/v2/tasks", headers=AUTH, json={"task_id": task_id}, timeout=10).json()
    assert fetched["status"] == "DONE" and fetched["result"]["clinical_records"]  # the console only looked
    polls = f"#tasks tr[data-task='{task_id}'] td.num"
    console.wait(lambda d: console.content(polls) == "1", message="the client's poll never showed")
    assert console.find(bar).get_attribute("data-status") == "DONE"  # fetched and gone from the server: still DONE
    assert console.still_same_page()


def test_a_fault_rule_added_in_the_console_fails_the_next_call(console: Console, served):
    console.open("controls")
    form = console.wait_for("#fault-form")
    form.find_element(By.NAME, "status").send_keys("999")
    form.find_element(By.ID, "add-fault").click()
    refused = console.wait_for("#fault-error .error").text
    assert "status" in refused and "599" in refused  # the admin API's own message
    assert requests.get(f"{served.url}/_mock/faults", timeout=10).json() == []  # and nothing changed

    form.find_element(By.NAME, "status").clear()
    Select(form.find_element(By.NAME, "method")).select_by_value("POST")
    form.find_element(By.NAME, "path").send_keys("/v2/patient-contexts/")
    form.find_element(By.NAME, "status").send_keys("503")
    assert json.loads(console.find("#fault-preview").text) == {"method": "POST", "path": "/v2/patient-contexts/",
                                                                "status": 503}
    form.find_element(By.ID, "add-fault").click()
    rule = console.wait_for("#fault-list tbody tr")
    assert "status 503" in rule.text and "/v2/patient-contexts/" in rule.text
    assert not console.find_all("#fault-error .error")
    answer = requests.post(f"{served.url}/v2/patient-contexts/", headers=AUTH, timeout=10,
                           json={"external_id": "f-1", "patient_group": GROUP})
    assert answer.status_code == 503
    console.wait_for_text("#fault-list tbody tr", "1 / 1")
    console.screenshot("controls")
    console.find("#fault-list tbody tr button.remove").click()
    console.wait_for_text("#fault-list", "No fault rules")
    assert requests.get(f"{served.url}/_mock/faults", timeout=10).json() == []


def test_the_clock_freezes_and_advances(console: Console, served):
    console.open("controls")
    console.wait_for_text("#clock-state", "running")
    console.find("#freeze").click()
    console.wait_for_text("#clock-state", "frozen")
    frozen = console.find("#clock-now").get_attribute("data-iso")
    assert requests.get(f"{served.url}/_mock/clock", timeout=10).json() == {"now": frozen, "frozen": True}
    console.find("#advance-hour").click()
    console.wait(lambda d: console.find("#clock-now").get_attribute("data-iso") != frozen)
    later = requests.get(f"{served.url}/_mock/clock", timeout=10).json()
    assert later["frozen"] and _seconds(later["now"]) - _seconds(frozen) == 3600
    seconds = console.find("#advance-seconds")
    seconds.clear()
    seconds.send_keys("90")
    console.find("#advance").click()
    console.wait(lambda d: _seconds(console.find("#clock-now").get_attribute("data-iso")) - _seconds(frozen) == 3690)
    console.find("#unfreeze").click()
    console.wait_for_text("#clock-state", "running")
    assert requests.get(f"{served.url}/_mock/clock", timeout=10).json()["frozen"] is False


def _seconds(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def test_export_reset_and_import_the_state(console: Console, served, tmp_path):
    create_context(served, "Kept Patient", "kept-1", token="export-tenant")
    console.open("data")
    console.wait_for_text("#tenants", "Kept Patient")
    console.find("#export").click()
    console.wait(lambda d: [p for p in console.downloads.glob("mockserver-state-*.json")], message="no download")
    exported = next(console.downloads.glob("mockserver-state-*.json"))
    console.wait(lambda d: exported.stat().st_size > 0 and _json(exported) is not None)
    assert "export-tenant" in _json(exported)["tenants"]

    console.find("#reset").click()
    console.wait(lambda d: "Kept Patient" not in console.content("#tenants"), message="the reset did not show")
    console.wait_for_text("#state-notice", "Reset")

    not_json = tmp_path / "not-json.json"
    not_json.write_text("this is not JSON", encoding="utf-8")
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"tenants": {"x": {"haidy": {"patient_contexts": [{"id": 1}]}}}}), encoding="utf-8")
    for bad in (not_json, wrong):
        console.find("#import-file").send_keys(str(bad))
        console.find("#import").click()
        console.wait_for("#state-error .error")
        assert "export-tenant" not in requests.get(f"{served.url}/_mock/state", timeout=10).json()["tenants"]
    assert "patient_contexts" in console.content("#state-error")  # the schema's complaint, as the API words it

    console.find("#import-file").send_keys(str(exported))
    console.find("#import").click()
    console.wait_for_text("#state-notice", "State loaded")
    console.wait_for_text("#tenants", "Kept Patient")
    assert not console.find_all("#state-error .error")


def _json(path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None


def test_a_script_in_the_data_shows_as_text_and_never_runs(console: Console, served):
    create_context(served, INJECTION, INJECTION[:40], token=INJECTION)
    console.open("data")
    console.wait_for_text("#tenants", INJECTION)
    names = console.driver.execute_script(
        "return [...document.querySelectorAll('#tenants td.name')].map(td => td.textContent)")
    assert INJECTION in names
    assert not console.find_all("img[src='x']")
    console.go("requests")
    console.wait_for("#request-rows tr").click()
    console.wait_for_text("#request-body", INJECTION.replace('"', '\\"'))
    console.go("overview")
    console.wait_for_text("#family-haidy", INJECTION)
    assert console.driver.execute_script("return window.__injected") is None
    assert console.no_alert()


def test_search_and_the_gauge_chart(console: Console):
    console.open("data")
    console.wait_for_text("#tenants", "John")
    console.find("#search").send_keys("1049")
    console.wait(lambda d: len(console.find_all(".esteem-patients tbody tr")) == 1)
    assert "John Doe" in console.content(".esteem-patients")
    console.find("button.chart-toggle[data-patient='1049']").click()
    chart = console.wait_for("tr[data-chart='1049'] svg.chart")
    assert chart.find_elements(By.CSS_SELECTOR, "g.series polyline")
    console.find("#search").clear()
    console.find("#search").send_keys("David Palmer")
    console.wait(lambda d: "David Palmer" in console.content("#tenants") and "1049" not in console.content("#tenants"))
    links = console.find_all(".haidy-contexts a[href^='/_mock/haidy/files/'][download]")
    assert links
    href = links[0].get_attribute("href")
    assert requests.get(href, timeout=10).status_code == 200
    assert console.find(".haidy-contexts a.deep-link").get_attribute("href").startswith(f"{console.url}/integration?")
    console.find("#search").clear()
    console.find("#search").send_keys("1049")
    console.wait_for("tr[data-chart='1049'] svg.chart")
    console.driver.execute_script("document.querySelector('.esteem-patients').scrollIntoView()")
    console.screenshot("data", from_top=False)


def test_heidi_try_it_out_with_a_jwt_from_the_api_key(console: Console):
    console.open("reference/heidi")
    console.wait_for("#operations-heidi-list_patient_profiles")
    console.find("#get-jwt").click()
    console.wait_for_text("#credentials-status", "JWT in use")
    operation = console.find("#operations-heidi-list_patient_profiles")
    operation.find_element(By.CSS_SELECTOR, ".opblock-summary").click()
    console.wait_for("#operations-heidi-list_patient_profiles button.execute").click()
    console.wait_for_text(ANSWER.format("heidi-list_patient_profiles"), "200")
    assert "/api/v2/ml-scribe/open-api/patient-profiles" in operation.text  # the request URL shown


def test_coverage_draws_what_was_exercised(console: Console, served):
    create_context(served, "Covered", "cov-1")
    requests.post(f"{served.url}/v2/patient-contexts/", headers=AUTH, json={}, timeout=10)  # 422
    console.open("coverage")
    row = "tr[data-operation='create_patient_context']"
    console.wait_for(f"{row} .tile.hit[data-status='200']")
    assert console.find_all(f"{row} .tile.hit[data-status='422']")
    assert console.find_all(f"{row} .tile.miss[data-status='400']")
    assert "2 /" in console.find("#coverage-bar-haidy").text
    console.screenshot("coverage")


def test_the_latency_set_in_the_console_slows_every_vendor_answer(console: Console, served):
    console.open("controls")
    form = console.wait_for("#latency-form")
    form.find_element(By.CSS_SELECTOR, "input[value=range]").click()
    form.find_element(By.NAME, "min_ms").send_keys("500")
    form.find_element(By.NAME, "max_ms").send_keys("100")
    console.find("#set-latency").click()
    console.wait_for("#latency-error .error")  # min above max: the admin API's message, and nothing changed
    assert requests.get(f"{served.url}/_mock/latency", timeout=10).json()["enabled"] is False

    form.find_element(By.CSS_SELECTOR, "input[value=fixed]").click()
    form.find_element(By.NAME, "ms").send_keys("300")
    console.find("#set-latency").click()
    console.wait_for_text("#latency-now", "300ms")
    assert not console.find_all("#latency-error .error")
    started = time.perf_counter()
    requests.get(f"{served.url}/v2/patient-contexts/?external_id=x&patient_group={GROUP}", headers=AUTH, timeout=10)
    assert time.perf_counter() - started >= 0.3
    form.find_element(By.CSS_SELECTOR, "input[value=off]").click()
    console.find("#set-latency").click()
    console.wait_for_text("#latency-now", "none")


def test_a_page_of_another_site_cannot_read_or_change_the_admin_api(console: Console, served):
    create_context(served, "Not Reset", "cross-1")
    elsewhere = served.url.replace("127.0.0.1", "localhost")  # another origin (and site) for the same server
    console.driver.get(f"{elsewhere}/openapi.json")  # a page there without the console's CSP, which would block this
    outcome = console.driver.execute_async_script("""
        const [target, done] = arguments;
        (async () => {
          const out = {};
          try { await fetch(`${target}/_mock/requests`); out.read = "answered"; } catch (e) { out.read = "blocked"; }
          const vendor = await fetch(`${target}/v1/patients`, {headers: {"X-User-Token": "your_token_here"}});
          out.vendor = vendor.status;
          await fetch(`${target}/_mock/reset`, {method: "POST", mode: "no-cors"});
          return out;
        })().then(done, (e) => done({error: String(e)}));
    """, served.url)
    assert outcome == {"read": "blocked", "vendor": 200}
    assert any("blocked by CORS policy" in error for error in console.script_errors())  # the browser says why
    state = requests.get(f"{served.url}/_mock/state", timeout=10).json()
    assert "test-token" in state["tenants"]  # the cross-site reset was refused


def test_the_overview_says_when_the_state_is_shared_in_redis(browser, redis_server):
    """A frontend developer on a shared sandbox sees where the world lives, and that it outlives the mock."""
    store = f"{redis_server.url}?prefix=console-overview"
    shared = Served("--store", store, "--workers", "2", "--no-access-log")
    try:
        page = console_for(browser, shared)
        page.driver.get(shared.url + "/_mock/console/#/overview")
        text = page.wait_for_text("#server-info", "in Redis at").text
        assert f"in Redis at {store}, shared by every worker, kept across restarts" in text
        assert "unreachable" not in text and not page.script_errors()
    finally:
        shared.stop()


def test_a_heidi_sessions_recordings_and_consult_note_show_as_text(console: Console, served):
    base = f"{served.url}/api/v2/ml-scribe/open-api"
    token = requests.get(f"{base}/jwt", params={"email": "dr@example.com", "third_party_internal_id": "console"},
                         headers={"Heidi-Api-Key": "console-key"}, timeout=10).json()["token"]
    auth = {"Authorization": f"Bearer {token}"}
    audio = (STATIC.parent.parent / "clinical" / "samples" / "consult.mp3").read_bytes()
    said = "Patient has asthma and takes salbutamol 100 mcg as needed."
    requests.post(f"{served.url}/_mock/tenants/console-key/transcripts", timeout=10,
                  json={"audio_base64": base64.b64encode(audio).decode(), "text": said}).raise_for_status()
    session = requests.post(f"{base}/sessions", json={}, headers=auth, timeout=10).json()["session_id"]
    requests.patch(f"{base}/sessions/{session}", json={"clinician_notes": [INJECTION]}, headers=auth,
                   timeout=10).raise_for_status()
    requests.post(f"{base}/sessions/{session}/upload-audio", files={"file": ("consult.mp3", audio)}, headers=auth,
                  timeout=10).raise_for_status()
    note = requests.post(f"{base}/sessions/{session}/consult-note", headers=auth, timeout=10, json={
        "generation_method": "TEMPLATE", "addition": "", "template_id": "659b8042fe093d6592b41ef7",
        "voice_style": "DETAILED", "brain": "LEFT"})
    written = "".join(json.loads(line)["data"] for line in note.text.splitlines())
    console.open("data")
    row = f"#tenants tr[data-id='{session}']"
    console.wait_for_text(f"{row} td.recordings", "1 · 3.0 s")
    console.wait_for_text(f"{row} td.note", "H & P · DETAILED · COMPLETED")
    shown = console.driver.execute_script(f"return document.querySelector(\"{row} td.note pre\").textContent")
    assert shown == written and "Asthma" in shown and INJECTION in shown  # the note quotes the notes, as text
    assert not console.find_all("img[src='x']")
    assert console.driver.execute_script("return window.__injected") is None
