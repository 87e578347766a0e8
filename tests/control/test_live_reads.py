"""What the console's live views read without disturbing the traffic under test: the journal from a cursor,
and the tasks as they stand."""

from mockserver import Config, create_app
from tests.support import AUTH, GROUP

OLDEST = "X-Mock-Journal-Oldest"


def create(client, external_id):
    body = {"external_id": external_id, "patient_group": GROUP}
    return client.post("/v2/patient-contexts/", json=body, headers=AUTH)


def test_the_journal_from_a_cursor_and_its_oldest_id(client):
    empty = client.get("/_mock/requests")
    assert empty.json == [] and empty.headers[OLDEST] == "1"
    for name in "abc":
        create(client, name)
    everything = client.get("/_mock/requests")
    assert [e["id"] for e in everything.json] == [1, 2, 3] and everything.headers[OLDEST] == "1"
    newer = client.get("/_mock/requests?after=1")
    assert [e["id"] for e in newer.json] == [2, 3]
    assert client.get("/_mock/requests?after=3").json == []
    assert [e["id"] for e in client.get("/_mock/requests?after=1&method=POST&status=200").json] == [2, 3]


def test_a_reader_behind_a_clear_learns_that_its_entries_are_gone(client):
    create(client, "a")
    client.delete("/_mock/requests")
    after_clear = client.get("/_mock/requests?after=1")
    assert after_clear.json == [] and after_clear.headers[OLDEST] == "2"  # drop everything below 2
    create(client, "b")
    later = client.get("/_mock/requests?after=1")
    assert [e["id"] for e in later.json] == [2] and later.headers[OLDEST] == "2"  # ids go on growing


def test_entries_that_fell_off_move_the_oldest_id():
    client = create_app(Config(journal_size=2, validate_responses=True)).test_client()
    for name in "abc":
        create(client, name)
    answer = client.get("/_mock/requests?after=0")
    assert [e["id"] for e in answer.json] == [2, 3] and answer.headers[OLDEST] == "2"


def test_a_bad_cursor_is_refused_in_the_admin_shape(client):
    for bad in ("-1", "x", "1.5"):
        answer = client.get(f"/_mock/requests?after={bad}")
        assert answer.status_code in (400, 422) and "after" in str(answer.json["detail"])


def test_the_cursor_and_its_header_are_in_the_admin_document(client):
    operation = client.get("/_mock/openapi.json").json["paths"]["/_mock/requests"]["get"]
    assert "after" in [p["name"] for p in operation["parameters"]]
    assert operation["responses"]["200"]["headers"][OLDEST]["schema"] == {"type": "integer"}


def test_the_vendor_document_is_not_journaled(client):
    assert client.get("/openapi.json").status_code == 200
    client.get("/v2/nowhere", headers=AUTH)
    assert [e["path"] for e in client.get("/_mock/requests").json] == ["/v2/nowhere"]


def test_tasks_as_they_stand_without_a_poll():
    client = create_app(Config(task_timing="per-poll", validate_responses=True)).test_client()
    records = [{"source": {"type": "plain_text", "text": "Fever for 3 days."}}]
    started = client.post("/v2/structure", json={"new_records": records}, headers=AUTH).json
    (task,) = client.get("/_mock/tasks").json
    assert (task["task_id"], task["tenant"], task["polls"], task["status"]) == (started["task_id"], "test-token", 0,
                                                                                 "QUEUED")
    assert "result" not in task and task["status_changes_at"]["CREATED"] == task["created_at"]
    assert client.get("/_mock/tasks").json == [task]  # looking twice moves nothing
    polled = client.post("/v2/tasks", json={"task_id": started["task_id"]}, headers=AUTH).json
    (again,) = client.get("/_mock/tasks").json
    assert (again["polls"], again["status"]) == (1, polled["status"]) and polled["status"] != "QUEUED"
    while polled["status"] != "DONE":
        polled = client.post("/v2/tasks", json={"task_id": started["task_id"]}, headers=AUTH).json
    assert client.get("/_mock/tasks").json == []  # the result was fetched once: gone


def test_a_limit_keeps_the_newest_of_what_was_asked_for(client):
    for name in "abcd":
        create(client, name)
    client.get("/v2/nowhere", headers=AUTH)
    assert [e["id"] for e in client.get("/_mock/requests?limit=2").json] == [4, 5]
    assert [e["id"] for e in client.get("/_mock/requests?after=1&limit=2&method=POST").json] == [3, 4]
    assert [e["id"] for e in client.get("/_mock/requests?after=3&limit=10").json] == [4, 5]
    assert client.get("/_mock/requests?limit=0").status_code in (400, 422)


def test_the_state_answers_304_while_nothing_changed(client):
    first = client.get("/_mock/state")
    tag = first.headers["ETag"]
    unchanged = client.get("/_mock/state", headers={"If-None-Match": tag})
    assert unchanged.status_code == 304 and unchanged.data == b"" and unchanged.headers["ETag"] == tag
    created = create(client, "a").json
    changed = client.get("/_mock/state", headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    tag = changed.headers["ETag"]
    client.get(f"/v2/patient-contexts/{created['id']}", headers=AUTH)  # declared to only read
    client.get("/v2/patient-contexts/", headers=AUTH)
    assert client.get("/_mock/state", headers={"If-None-Match": tag}).status_code == 304


def test_a_new_tenant_a_reset_and_an_import_are_changes(client):
    tag = client.get("/_mock/state").headers["ETag"]
    client.get("/v2/patient-contexts/", headers={"Authorization": "Bearer someone-new"})  # a read, by a new tenant
    after_read = client.get("/_mock/state", headers={"If-None-Match": tag})
    assert after_read.status_code == 200 and "someone-new" in after_read.json["tenants"]
    for change in (lambda: client.post("/_mock/reset"), lambda: client.put("/_mock/state", json=after_read.json)):
        tag = client.get("/_mock/state").headers["ETag"]
        change()
        assert client.get("/_mock/state", headers={"If-None-Match": tag}).status_code == 200


def test_the_304_is_in_the_admin_document(client):
    responses = client.get("/_mock/openapi.json").json["paths"]["/_mock/state"]["get"]["responses"]
    assert "content" not in responses["304"] and "ETag" in responses["200"]["headers"]
